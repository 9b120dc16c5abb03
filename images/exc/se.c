/* exc/se.c - exception-engine checks for the Secure Enclave (Cortex-M0+, Armv6-M).
 *
 * Runs on the SE alone (the test releases it through the machine API). Each check prints
 * "PASS <name>" or "FAIL <name> <detail>" on the SE UART; main() returns the number of failed
 * checks as the semihosting exit status. Only Armv6-M instructions are used: no STIR, no
 * BASEPRI, no IT blocks; NVIC_IPR and SHPR are accessed as whole words.
 *
 * Interrupts used (IRQ0..20 are not wired to any peripheral on the SE):
 *   IRQ0 0xC0 -> pends IRQ1 0x80 -> pends IRQ2 0x40 -> pends IRQ3 0x00   (nesting, 4 levels)
 *   IRQ4 0x80 pends IRQ5 0x80 (same) and IRQ6 0xC0 (lower)                (tail-chaining)
 *   IRQ7 0x80 PRIMASK    IRQ8 0x00 pends PendSV (0xC0)    IRQ9 0x80 PSP thread (asm stub)
 *   IRQ10 0x80 SVC from Handler mode    IRQ12..15 priority read-back
 * SysTick 0x80; SVCall keeps priority 0.
 *
 * systick_count/systick_masked (a), primask (d), wfi_wake (g) and pendsv (i) are the checks of
 * exc/shared.c, which the Host runs as well. */
#include <stdint.h>

#include "board_se.h"
#include "check.h"
#include "cpu.h"
#include "print.h"
#include "regs.h"
#include "scs.h"
#include "shared.h"

#define ICSR_VECTACTIVE 0x1FFu

/* ---------------------------------------------------------------------------------------- */
/* (b) nesting through all four priority levels                                              */

static volatile uint32_t nest_depth_ipsr;

void IRQ0_Handler(void) { evlog('0'); ispr_pend(1u); evlog('a'); }
void IRQ1_Handler(void) { evlog('1'); ispr_pend(2u); evlog('b'); }
void IRQ2_Handler(void) { evlog('2'); ispr_pend(3u); evlog('c'); }
void IRQ3_Handler(void)
{
    evlog('3');
    nest_depth_ipsr = cpu_mrs(ipsr);
}

static void check_nested(void)
{
    check_begin("nested_preemption");
    evlog_reset();
    irq_enable_at(0u, 0xC0u);
    irq_enable_at(1u, 0x80u);
    irq_enable_at(2u, 0x40u);
    irq_enable_at(3u, 0x00u);
    ispr_pend(0u);
    evlog('t');
    expect_str("order", evlog_str(), "0123cbat");
    expect_eq("ipsr_innermost", nest_depth_ipsr, 16u + 3u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (c) tail-chaining                                                                         */

static volatile uint32_t tail_icsr;

void IRQ4_Handler(void)
{
    evlog('C');
    ispr_pend(6u);                          /* lower */
    ispr_pend(5u);                          /* same */
    spin(100u);
    evlog('c');
}

void IRQ5_Handler(void)
{
    evlog('D');
    tail_icsr = REG32(SCB_ICSR);
}

void IRQ6_Handler(void) { evlog('E'); }

static void check_tailchain(void)
{
    check_begin("tail_chain");
    evlog_reset();
    irq_enable_at(4u, 0x80u);
    irq_enable_at(5u, 0x80u);
    irq_enable_at(6u, 0xC0u);
    ispr_pend(4u);
    evlog('t');
    expect_str("order", evlog_str(), "CcDEt");
    expect_eq("vectactive_in_chained", tail_icsr & ICSR_VECTACTIVE, 16u + 5u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (d) PRIMASK: check_primask() in shared.c                                                  */

void IRQ7_Handler(void)
{
    primask_irq();
}

/* ---------------------------------------------------------------------------------------- */
/* (e) firmware SVC                                                                          */

void svc_dispatch(uint32_t *frame, uint32_t exc_return);

/* Hands the frame (MSP or PSP per EXC_RETURN bit 2) to the C dispatcher. */
__attribute__((naked)) void SVC_Handler(void)
{
    CPU_EXC_FRAME_TAILCALL(svc_dispatch);
}

void svc_dispatch(uint32_t *frame, uint32_t exc_return)
{
    if (svc_record(frame, exc_return) != 5u) {
        frame[0] = 0xDEADDEADu;
    }
}

void IRQ10_Handler(void)
{
    svc_from_irq();
}

static void check_svc(void)
{
    check_begin("svc_firmware");
    expect_svc5();
    expect_eq("excret", svc_last_excret, 0xFFFFFFF9u);
    check_end();

    check_begin("svc_from_handler");
    irq_enable_at(10u, 0x80u);
    ispr_pend(10u);
    expect_eq("r0", svc_in_irq_result, 0xDCBAu);
    expect_eq("excret", svc_in_irq_excret, 0xFFFFFFF1u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (f) Thread mode on the PSP                                                                */

static uint64_t psp_stack[128];             /* 1 KiB, 8-byte aligned */

__attribute__((naked)) void IRQ9_Handler(void)
{
    PSP_IRQ_HANDLER_BODY();
}

static volatile uint32_t psp_ticks;

static void psp_body(void)
{
    psp_thread_start(NVIC_ISPR_BASE, 1u << 9);
    uint32_t t0 = ticks;
    psp_ticks = wait_at_least(&ticks, t0 + 2u) - t0;
}

static void check_psp(void)
{
    uint32_t *top = (uint32_t *)(void *)&psp_stack[128];

    check_begin("psp_thread");
    psp_thread_run(9u, 1999u, psp_body, top);
    expect_eq("control_spsel", psp_seen.control & 2u, 2u);
    expect_eq("irq_count", psp_irq_count, 1u);
    expect_eq("irq_excret", psp_irq_lr, 0xFFFFFFFDu);
    expect_eq("irq_psp_frame", psp_irq_psp, (psp_seen.sp_before - 0x20u) & ~7u);
    expect_eq("irq_msp_untouched", psp_irq_msp, psp_seen.msp_in_thread);
    expect_eq("svc_r0", psp_seen.svc_r0, 0x8765u);
    expect_eq("svc_excret", psp_seen.svc_excret, 0xFFFFFFFDu);
    expect_true("ticks_on_psp", psp_ticks >= 2u);
    expect_eq("msp_restored", psp_seen.msp_after, psp_seen.msp_before);
    expect_eq("psp_restored", cpu_mrs(psp), (uint32_t)(uintptr_t)top);
    expect_eq("control_back", cpu_mrs(control) & 2u, 0u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (h) priority registers keep only the top 2 bits                                           */

static void check_priority_bits(void)
{
    check_begin("priority_bits");
    nvic_set_priority(13u, 0xFFu);
    expect_eq("ipr_irq13", nvic_get_priority(13u), 0xC0u);
    REG32(NVIC_IPR_BASE + 12u) = 0xFFFFFFFFu;           /* IRQ12..15 */
    expect_eq("ipr3_all", REG32(NVIC_IPR_BASE + 12u), 0xC0C0C0C0u);
    REG32(NVIC_IPR_BASE + 12u) = 0x7F3FBF5Fu;
    expect_eq("ipr3_mixed", REG32(NVIC_IPR_BASE + 12u), 0x40008040u);
    REG32(NVIC_IPR_BASE + 12u) = 0u;
    uint32_t shpr2 = REG32(SCB_SHPR2);
    REG32(SCB_SHPR2) = 0xFFFFFFFFu;
    expect_eq("shpr2_svcall", REG32(SCB_SHPR2), 0xC0000000u);
    REG32(SCB_SHPR2) = shpr2;
    uint32_t shpr3 = REG32(SCB_SHPR3);
    REG32(SCB_SHPR3) = 0xFFFFFFFFu;
    expect_eq("shpr3_pendsv_systick", REG32(SCB_SHPR3), 0xC0C00000u);
    REG32(SCB_SHPR3) = shpr3;
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (i) PendSV: check_pendsv() in shared.c                                                    */

void IRQ8_Handler(void)
{
    pendsv_irq();
}

/* NVIC_ISPR: Armv6-M has no STIR */
static void ispr_set_pending(unsigned irq)
{
    nvic_set_pending_irq(irq);
}

int main(void)
{
    console_init(SE_UART_BASE);
    print_str("exc_se: exception engine checks\n");

    shpr_set(SCB_SHPR3, 3u, 0x80u);         /* SysTick 0x80 */

    check_priority_bits();
    check_systick(799u, 8u, 4000u, 0);
    check_nested();
    check_tailchain();
    check_primask(7u, 0);
    check_svc();
    check_psp();
    check_wfi(3999u);
    check_pendsv(8u, 0x00u, 0xC0u, ispr_set_pending);

    return check_summary("exc_se");
}
