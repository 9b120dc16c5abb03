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
 * SysTick 0x80; SVCall keeps priority 0. */
#include <stdint.h>

#include "board_se.h"
#include "check.h"
#include "cpu.h"
#include "print.h"
#include "regs.h"
#include "scs.h"


#define SYST_ENABLE     (1u << 0)
#define SYST_TICKINT    (1u << 1)
#define SYST_CLKSOURCE  (1u << 2)
#define SYST_COUNTFLAG  (1u << 16)

#define ICSR_PENDSVSET  (1u << 28)
#define ICSR_PENDSTSET  (1u << 26)
#define ICSR_PENDSTCLR  (1u << 25)
#define ICSR_VECTACTIVE 0x1FFu

#define SPIN_LIMIT      2000000u

/* ---------------------------------------------------------------------------------------- */

static inline uint32_t get_msp(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, msp" : "=r"(v));
    return v;
}

static inline uint32_t get_psp(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, psp" : "=r"(v));
    return v;
}

static inline uint32_t get_control(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, control" : "=r"(v));
    return v;
}

static inline uint32_t get_ipsr(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, ipsr" : "=r"(v));
    return v;
}

static inline uint32_t get_primask(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, primask" : "=r"(v));
    return v;
}

static inline void set_primask(uint32_t v)
{
    __asm__ volatile("msr primask, %0" :: "r"(v) : "memory");
}

/* Pend an interrupt through NVIC_ISPR; DSB+ISB make sure it is recognised before going on. */
static inline void pend(unsigned irq)
{
    nvic_set_pending_irq(irq);
    cpu_dsb();
    cpu_isb();
}

static void spin(uint32_t n)
{
    for (volatile uint32_t i = 0; i < n; i++) {
    }
}

static uint32_t wait_at_least(volatile uint32_t *v, uint32_t want)
{
    uint32_t limit = SPIN_LIMIT;
    while (*v < want && --limit != 0u) {
    }
    return *v;
}

static void shpr_set(uint32_t reg, unsigned byte, uint8_t prio)
{
    uint32_t v = REG32(reg);
    v &= ~(0xFFu << (8u * byte));
    v |= (uint32_t)prio << (8u * byte);
    REG32(reg) = v;
}

/* ---------------------------------------------------------------------------------------- */
/* (a) SysTick                                                                               */

static volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
}

static void systick_start(uint32_t reload)
{
    REG32(SYST_CSR) = 0u;
    REG32(SYST_RVR) = reload;
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE;
}

static void systick_stop(void)
{
    REG32(SYST_CSR) = 0u;
    REG32(SCB_ICSR) = ICSR_PENDSTCLR;
}

static void check_systick(void)
{
    check_begin("systick_count");
    ticks = 0u;
    systick_start(799u);
    expect_eq("rvr", REG32(SYST_RVR), 799u);
    uint32_t got = wait_at_least(&ticks, 8u);
    systick_stop();
    expect_eq("ticks", got, 8u);
    spin(4000u);
    expect_eq("ticks_after_stop", ticks, 8u);
    check_end();

    check_begin("systick_masked");
    ticks = 0u;
    cpu_irq_disable();
    systick_start(799u);
    (void)REG32(SYST_CSR);
    uint32_t reloads = 0u, limit = SPIN_LIMIT;
    while (reloads < 3u && --limit != 0u) {
        if (REG32(SYST_CSR) & SYST_COUNTFLAG) {
            reloads++;
        }
    }
    REG32(SYST_CSR) = 0u;
    expect_eq("reloads", reloads, 3u);
    expect_eq("ticks_masked", ticks, 0u);
    expect_true("pendstset", (REG32(SCB_ICSR) & ICSR_PENDSTSET) != 0u);
    uint32_t after;
    __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]" : "=l"(after) : "l"(&ticks) : "memory");
    expect_eq("ticks_unmasked", after, 1u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (b) nesting through all four priority levels                                              */

static volatile uint32_t nest_depth_ipsr;

void IRQ0_Handler(void) { evlog('0'); pend(1u); evlog('a'); }
void IRQ1_Handler(void) { evlog('1'); pend(2u); evlog('b'); }
void IRQ2_Handler(void) { evlog('2'); pend(3u); evlog('c'); }
void IRQ3_Handler(void)
{
    evlog('3');
    nest_depth_ipsr = get_ipsr();
}

static void check_nested(void)
{
    check_begin("nested_preemption");
    evlog_reset();
    nvic_set_priority(0u, 0xC0u);
    nvic_set_priority(1u, 0x80u);
    nvic_set_priority(2u, 0x40u);
    nvic_set_priority(3u, 0x00u);
    for (unsigned i = 0; i < 4u; i++) {
        nvic_enable_irq(i);
    }
    pend(0u);
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
    pend(6u);                               /* lower */
    pend(5u);                               /* same */
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
    nvic_set_priority(4u, 0x80u);
    nvic_set_priority(5u, 0x80u);
    nvic_set_priority(6u, 0xC0u);
    nvic_enable_irq(4u);
    nvic_enable_irq(5u);
    nvic_enable_irq(6u);
    pend(4u);
    evlog('t');
    expect_str("order", evlog_str(), "CcDEt");
    expect_eq("vectactive_in_chained", tail_icsr & ICSR_VECTACTIVE, 16u + 5u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (d) PRIMASK                                                                               */

static volatile uint32_t irq7_count;

void IRQ7_Handler(void)
{
    irq7_count++;
}

static void check_primask(void)
{
    check_begin("primask");
    irq7_count = 0u;
    nvic_set_priority(7u, 0x80u);
    nvic_enable_irq(7u);

    cpu_irq_disable();
    pend(7u);
    spin(200u);
    expect_eq("masked_count", irq7_count, 0u);
    expect_true("still_pending", nvic_is_pending_irq(7u));
    uint32_t now;
    __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]" : "=l"(now) : "l"(&irq7_count) : "memory");
    expect_eq("after_cpsie", now, 1u);

    set_primask(1u);
    expect_eq("primask_reads_1", get_primask(), 1u);
    pend(7u);
    spin(200u);
    expect_eq("masked_count_msr", irq7_count, 1u);
    __asm__ volatile("msr primask, %2\n\tisb\n\tldr %0, [%1]"
                     : "=&l"(now) : "l"(&irq7_count), "l"(0u) : "memory");
    expect_eq("after_msr_primask", now, 2u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (e) firmware SVC                                                                          */

static volatile uint32_t svc_count, svc_last_excret, svc_last_ipsr;

void svc_dispatch(uint32_t *frame, uint32_t exc_return);

/* EXC_RETURN bit 2 selects the stack holding the frame (MSP or PSP); Thumb-1 only. */
__attribute__((naked)) void SVC_Handler(void)
{
    __asm__ volatile(
        ".syntax unified\n\t"
        "movs   r0, #4\n\t"
        "mov    r1, lr\n\t"
        "tst    r0, r1\n\t"
        "beq    1f\n\t"
        "mrs    r0, psp\n\t"
        "b      2f\n"
        "1:\n\t"
        "mrs    r0, msp\n"
        "2:\n\t"
        "ldr    r2, =svc_dispatch\n\t"
        "bx     r2\n\t"
        ".ltorg\n\t");
}

void svc_dispatch(uint32_t *frame, uint32_t exc_return)
{
    const uint16_t *pc = (const uint16_t *)(uintptr_t)frame[6];
    uint32_t number = pc[-1] & 0xFFu;

    svc_count++;
    svc_last_excret = exc_return;
    svc_last_ipsr = get_ipsr();
    if (number == 5u) {
        frame[0] = frame[0] | frame[1] << 4 | frame[2] << 8 | frame[3] << 12;
    } else {
        frame[0] = 0xDEADDEADu;
    }
}

struct svc_result {
    uint32_t r0, r1, r2, r3;
};

static inline struct svc_result svc5(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    register uint32_t r0 __asm__("r0") = a;
    register uint32_t r1 __asm__("r1") = b;
    register uint32_t r2 __asm__("r2") = c;
    register uint32_t r3 __asm__("r3") = d;
    __asm__ volatile("svc #5" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3) :: "memory");
    return (struct svc_result){r0, r1, r2, r3};
}

static volatile uint32_t svc_in_irq_result, svc_in_irq_excret;

void IRQ10_Handler(void)
{
    svc_in_irq_result = svc5(0xAu, 0xBu, 0xCu, 0xDu).r0;
    svc_in_irq_excret = svc_last_excret;
}

static void check_svc(void)
{
    check_begin("svc_firmware");
    uint32_t before = svc_count;
    struct svc_result r = svc5(1u, 2u, 3u, 4u);
    expect_eq("r0", r.r0, 0x4321u);
    expect_eq("r1", r.r1, 2u);
    expect_eq("r2", r.r2, 3u);
    expect_eq("r3", r.r3, 4u);
    expect_eq("count", svc_count, before + 1u);
    expect_eq("ipsr", svc_last_ipsr, 11u);
    expect_eq("excret", svc_last_excret, 0xFFFFFFF9u);
    check_end();

    check_begin("svc_from_handler");
    nvic_set_priority(10u, 0x80u);
    nvic_enable_irq(10u);
    pend(10u);
    expect_eq("r0", svc_in_irq_result, 0xDCBAu);
    expect_eq("excret", svc_in_irq_excret, 0xFFFFFFF1u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (f) Thread mode on the PSP                                                                */

static uint64_t psp_stack[128];             /* 1 KiB, 8-byte aligned */
static volatile uint32_t irq9_msp, irq9_psp, irq9_lr, irq9_count;

void irq9_record(uint32_t msp, uint32_t psp, uint32_t lr);

__attribute__((naked)) void IRQ9_Handler(void)
{
    __asm__ volatile(
        ".syntax unified\n\t"
        "mrs    r0, msp\n\t"
        "mrs    r1, psp\n\t"
        "mov    r2, lr\n\t"
        "ldr    r3, =irq9_record\n\t"
        "bx     r3\n\t"
        ".ltorg\n\t");
}

void irq9_record(uint32_t msp, uint32_t psp, uint32_t lr)
{
    irq9_msp = msp;
    irq9_psp = psp;
    irq9_lr = lr;
    irq9_count++;
}

/* Run fn() in Thread mode on the PSP starting at `top`, then switch back to the MSP.
 * (GCC emits Thumb-1 inline asm in divided syntax; the blocks here select unified syntax,
 * and GCC switches back after each one.) */
__attribute__((naked)) static void run_on_psp(void (*fn)(void), uint32_t *top)
{
    (void)fn;
    (void)top;
    __asm__ volatile(
        ".syntax unified\n\t"
        "push   {r4, lr}\n\t"
        "msr    psp, r1\n\t"
        "mrs    r2, control\n\t"
        "movs   r3, #2\n\t"
        "orrs   r2, r3\n\t"
        "msr    control, r2\n\t"
        "isb\n\t"
        "blx    r0\n\t"
        "mrs    r2, control\n\t"
        "movs   r3, #2\n\t"
        "bics   r2, r3\n\t"
        "msr    control, r2\n\t"
        "isb\n\t"
        "pop    {r4, pc}\n\t");
}

static volatile uint32_t psp_msp_in_thread, psp_sp_before, psp_control, psp_svc_r0, psp_svc_excret;
static volatile uint32_t psp_ticks;

static void psp_body(void)
{
    uint32_t sp;

    psp_control = get_control();
    psp_msp_in_thread = get_msp();
    __asm__ volatile("mov    %0, sp\n\t"
                     "str    %2, [%1]\n\t"
                     "dsb\n\t"
                     "isb\n\t"
                     : "=&l"(sp) : "l"(NVIC_ISPR_BASE), "l"(1u << 9) : "memory");
    psp_sp_before = sp;
    psp_svc_r0 = svc5(5u, 6u, 7u, 8u).r0;
    psp_svc_excret = svc_last_excret;
    uint32_t t0 = ticks;
    psp_ticks = wait_at_least(&ticks, t0 + 2u) - t0;
}

static void check_psp(void)
{
    check_begin("psp_thread");
    nvic_set_priority(9u, 0x80u);
    nvic_enable_irq(9u);
    uint32_t *top = (uint32_t *)(void *)&psp_stack[128];
    irq9_count = 0u;
    ticks = 0u;
    systick_start(1999u);
    uint32_t msp_before = get_msp();
    run_on_psp(psp_body, top);
    uint32_t msp_after = get_msp();
    systick_stop();

    expect_eq("control_spsel", psp_control & 2u, 2u);
    expect_eq("irq_count", irq9_count, 1u);
    expect_eq("irq_excret", irq9_lr, 0xFFFFFFFDu);
    expect_eq("irq_psp_frame", irq9_psp, (psp_sp_before - 0x20u) & ~7u);
    expect_eq("irq_msp_untouched", irq9_msp, psp_msp_in_thread);
    expect_eq("svc_r0", psp_svc_r0, 0x8765u);
    expect_eq("svc_excret", psp_svc_excret, 0xFFFFFFFDu);
    expect_true("ticks_on_psp", psp_ticks >= 2u);
    expect_eq("msp_restored", msp_after, msp_before);
    expect_eq("psp_restored", get_psp(), (uint32_t)(uintptr_t)top);
    expect_eq("control_back", get_control() & 2u, 0u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (g) WFI                                                                                   */

static void check_wfi(void)
{
    check_begin("wfi_wake");
    ticks = 0u;
    systick_start(3999u);
    uint32_t t0 = ticks;
    cpu_wfi();
    uint32_t t1 = ticks;
    expect_eq("ticks_after_wfi", t1 - t0, 1u);

    cpu_irq_disable();
    t0 = ticks;
    cpu_wfi();
    t1 = ticks;
    uint32_t pending = REG32(SCB_ICSR) & ICSR_PENDSTSET;
    uint32_t t2;
    __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]" : "=l"(t2) : "l"(&ticks) : "memory");
    systick_stop();
    expect_eq("masked_not_taken", t1 - t0, 0u);
    expect_true("masked_pending", pending != 0u);
    expect_eq("taken_after_cpsie", t2 - t0, 1u);
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
/* (i) PendSV                                                                                */

static volatile uint32_t pendsv_count;

void PendSV_Handler(void)
{
    evlog('P');
    pendsv_count++;
}

void IRQ8_Handler(void)
{
    evlog('N');
    REG32(SCB_ICSR) = ICSR_PENDSVSET;
    cpu_dsb();
    cpu_isb();
    spin(100u);
    evlog('n');
}

static void check_pendsv(void)
{
    check_begin("pendsv");
    evlog_reset();
    shpr_set(SCB_SHPR3, 2u, 0xC0u);
    nvic_set_priority(8u, 0x00u);
    nvic_enable_irq(8u);

    pend(8u);
    evlog('t');
    REG32(SCB_ICSR) = ICSR_PENDSVSET;
    cpu_dsb();
    cpu_isb();
    evlog('u');
    cpu_irq_disable();
    REG32(SCB_ICSR) = ICSR_PENDSVSET;
    nvic_set_pending_irq(8u);
    cpu_dsb();
    cpu_irq_enable();
    cpu_isb();
    evlog('v');
    expect_str("order", evlog_str(), "NnPtPuNnPv");
    expect_eq("count", pendsv_count, 3u);
    check_end();
}

int main(void)
{
    console_init(SE_UART_BASE);
    print_str("exc_se: exception engine checks\n");

    shpr_set(SCB_SHPR3, 3u, 0x80u);         /* SysTick 0x80 */

    check_priority_bits();
    check_systick();
    check_nested();
    check_tailchain();
    check_primask();
    check_svc();
    check_psp();
    check_wfi();
    check_pendsv();

    print_str("exc_se: ");
    print_udec(check_count());
    print_str(" checks, ");
    print_udec(check_failures());
    print_str(" failed\n");
    console_flush();
    return (int)check_failures();
}
