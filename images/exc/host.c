/* exc/host.c - exception-engine checks for the Host (Cortex-M33, hard-float).
 *
 * Runs on the Host alone (the SE is never released). Each check prints "PASS <name>" or
 * "FAIL <name> <detail>" on the Host UART; main() returns the number of failed checks, which
 * becomes the semihosting exit status.
 *
 * Interrupts used (none of them is wired to a peripheral on the Musca-B1 model):
 *   IRQ0  0xC0  nested: low, pends IRQ1        IRQ1  0x40  nested: high
 *   IRQ2  0x80  tail-chain: pends IRQ3, IRQ4   IRQ3  0x80  same priority   IRQ4  0xA0  lower
 *   IRQ5  0x80  PRIMASK                        IRQ6  0x80, IRQ7 0xA0, IRQ8 0x40  BASEPRI=0x80
 *   IRQ9  0x20  pends PendSV (0xE0)            IRQ10 0x80  PSP thread (asm stub)
 *   IRQ11 0x80  FP: clobbers s0-s15            IRQ12 0x40  FP: preempts IRQ11, clobbers again
 *   IRQ13       priority read-back only        IRQ14 0x80  SVC from Handler mode
 * SysTick 0x80 counts ticks; SVCall keeps priority 0.
 *
 * SVC numbers: #5 r0..r3 -> r0 = r0 | r1<<4 | r2<<8 | r3<<12 (r1..r3 come back unchanged),
 *              #6 drop to privileged Thread mode (clear CONTROL.nPRIV),
 *              #7 firmware marker SVC7_FW_TAG | (r0 - r1); a Python handler may claim #7 first
 *                 (the tests register one that returns r0 + r1).
 *
 * systick_count/systick_masked (a), primask (d), pendsv (f) and wfi_wake (j) are the checks of
 * exc/shared.c, which the SE runs as well. */
#include <stdint.h>

#include "board_host.h"
#include "check.h"
#include "cpu.h"
#include "print.h"
#include "regs.h"
#include "scs.h"
#include "shared.h"

#define NVIC_IABR_BASE  0xE000E300u
#define SCB_CFSR        0xE000ED28u

#define SVC7_FW_TAG     0xF7000000u

/* ---------------------------------------------------------------------------------------- */
/* CONTROL, STIR                                                                             */

static inline void set_control(uint32_t v)
{
    cpu_msr(control, v);
    cpu_isb();
}

/* Pend an external interrupt through the Software Trigger Interrupt Register. */
static void stir_set_pending(unsigned irq)
{
    REG32(NVIC_STIR) = irq;
}

/* Pend through STIR, then make sure it is recognised before the next instruction (as the
 * architecture requires after DSB+ISB). */
static inline void stir_pend(unsigned irq)
{
    stir_set_pending(irq);
    cpu_dsb();
    cpu_isb();
}

/* ---------------------------------------------------------------------------------------- */
/* (b) nested preemption                                                                     */

static volatile uint32_t nest_iabr, nest_ipsr;

void IRQ0_Handler(void)
{
    evlog('A');
    stir_pend(1u);
    evlog('a');
}

void IRQ1_Handler(void)
{
    evlog('B');
    nest_iabr = REG32(NVIC_IABR_BASE);
    nest_ipsr = cpu_mrs(ipsr);
}

static void check_nested(void)
{
    check_begin("nested_preemption");
    evlog_reset();
    irq_enable_at(0u, 0xC0u);
    irq_enable_at(1u, 0x40u);
    ispr_pend(0u);
    evlog('t');
    expect_str("order", evlog_str(), "ABat");
    expect_eq("iabr_in_high", nest_iabr, 0x3u);
    expect_eq("ipsr_in_high", nest_ipsr, 16u + 1u);
    expect_eq("iabr_after", REG32(NVIC_IABR_BASE), 0u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (c) same and lower priority do not preempt: they tail-chain, higher priority first        */

static volatile uint32_t tail_iabr;

void IRQ2_Handler(void)
{
    evlog('C');
    stir_pend(4u);                          /* lower priority */
    stir_pend(3u);                          /* same priority */
    spin(100u);
    evlog('c');
}

void IRQ3_Handler(void)
{
    evlog('D');
    tail_iabr = REG32(NVIC_IABR_BASE);
}

void IRQ4_Handler(void)
{
    evlog('E');
}

static void check_tailchain(void)
{
    check_begin("tail_chain");
    evlog_reset();
    irq_enable_at(2u, 0x80u);
    irq_enable_at(3u, 0x80u);
    irq_enable_at(4u, 0xA0u);
    ispr_pend(2u);
    evlog('t');
    expect_str("order", evlog_str(), "CcDEt");
    expect_eq("iabr_in_chained", tail_iabr, 1u << 3);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (d) PRIMASK: check_primask() in shared.c                                                  */

void IRQ5_Handler(void)
{
    primask_irq();
}

/* ---------------------------------------------------------------------------------------- */
/* (e) BASEPRI                                                                               */

void IRQ6_Handler(void) { evlog('6'); }
void IRQ7_Handler(void) { evlog('7'); }
void IRQ8_Handler(void) { evlog('8'); }

static void check_basepri(void)
{
    check_begin("basepri");
    evlog_reset();
    irq_enable_at(6u, 0x80u);
    irq_enable_at(7u, 0xA0u);
    irq_enable_at(8u, 0x40u);

    cpu_msr(basepri, 0x80u);
    stir_pend(7u);                          /* 0xA0 >= BASEPRI: masked */
    stir_pend(6u);                          /* 0x80 == BASEPRI: masked */
    spin(200u);
    evlog('x');
    stir_pend(8u);                          /* 0x40 < BASEPRI: preempts at once */
    evlog('y');
    expect_true("6_pending", nvic_is_pending_irq(6u));
    expect_true("7_pending", nvic_is_pending_irq(7u));
    cpu_msr(basepri, 0u);                   /* 6 then 7 run here */
    evlog('z');
    expect_str("order", evlog_str(), "x8y67z");
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (f) PendSV: check_pendsv() in shared.c                                                    */

void IRQ9_Handler(void)
{
    pendsv_irq();
}

/* ---------------------------------------------------------------------------------------- */
/* (g) firmware SVC handler: arguments from the stacked frame, result through stacked r0      */

static volatile uint32_t svc_last_frame;

void svc_dispatch(uint32_t *frame, uint32_t exc_return);

/* Hands the frame (MSP or PSP per EXC_RETURN.SPSEL) to the C dispatcher, which returns straight
 * to EXC_RETURN. */
__attribute__((naked)) void SVC_Handler(void)
{
    CPU_EXC_FRAME_TAILCALL(svc_dispatch);
}

void svc_dispatch(uint32_t *frame, uint32_t exc_return)
{
    svc_last_frame = (uint32_t)(uintptr_t)frame;
    switch (svc_record(frame, exc_return)) {
    case 5:
        break;                              /* done by svc_record() */
    case 6:
        __asm__ volatile("mrs r2, control\n\t"
                         "bic r2, r2, #1\n\t"
                         "msr control, r2\n\t"
                         "isb" ::: "r2", "memory");
        break;
    case 7:
        frame[0] = SVC7_FW_TAG | (frame[0] - frame[1]);
        break;
    default:
        frame[0] = 0xDEADDEADu;
        break;
    }
}

static inline uint32_t svc6(void)
{
    register uint32_t r0 __asm__("r0") = 0u;
    __asm__ volatile("svc #6" : "+r"(r0) :: "r1", "r2", "r3", "memory");
    return r0;
}

static inline uint32_t svc7(uint32_t a, uint32_t b)
{
    register uint32_t r0 __asm__("r0") = a;
    register uint32_t r1 __asm__("r1") = b;
    __asm__ volatile("svc #7" : "+r"(r0), "+r"(r1) :: "r2", "r3", "memory");
    return r0;
}

/* An SVC from an interrupt handler: SVCall (priority 0) preempts this handler (0x80). */
void IRQ14_Handler(void)
{
    svc_from_irq();
}

static void check_svc(void)
{
    check_begin("svc_firmware");
    volatile uint32_t marker = 0u;          /* a local: the frame must lie below it */
    expect_svc5();
    expect_eq("excret_thread_msp", svc_last_excret & 0xCu, 0x8u);
    expect_true("frame_on_msp", svc_last_frame < (uint32_t)(uintptr_t)&marker);
    check_end();

    check_begin("svc_from_handler");
    irq_enable_at(14u, 0x80u);
    stir_pend(14u);
    expect_eq("r0", svc_in_irq_result, 0xDCBAu);
    expect_eq("excret_handler_msp", svc_in_irq_excret & 0xCu, 0x0u);
    check_end();

    /* svc #7: a Python handler (if the test registered one) returns r0 + r1 without entering
     * the firmware; otherwise SVC_Handler returns SVC7_FW_TAG | (r0 - r1). */
    uint32_t before = svc_count;
    uint32_t v = svc7(0x1200u, 0x34u);
    if (v == 0x1234u && svc_count == before) {
        check_begin("svc7_python");
    } else {
        check_begin("svc7_firmware");
        expect_eq("r0", v, SVC7_FW_TAG | 0x11CCu);
        expect_eq("count", svc_count, before + 1u);
    }
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (h) Thread mode on the PSP, privileged and unprivileged                                   */

static uint64_t psp_stack[256];             /* 2 KiB, 8-byte aligned */

/* Records MSP, PSP and EXC_RETURN exactly as they are at exception entry. */
__attribute__((naked)) void IRQ10_Handler(void)
{
    PSP_IRQ_HANDLER_BODY();
}

static volatile uint32_t psp_unpriv_control, psp_unpriv_primask, psp_unpriv_svc_r0;
static volatile uint32_t psp_unpriv_ticks, psp_priv_control;

static void psp_body(void)
{
    psp_thread_start(NVIC_STIR, 10u);

    /* Unprivileged: CPSID is ignored (PRIMASK is read back once privileged again: MRS of the
     * mask registers reads zero when unprivileged), SVC and interrupts still work, and SVC #6
     * clears CONTROL.nPRIV from Handler mode. */
    set_control(cpu_mrs(control) | 1u);
    psp_unpriv_control = cpu_mrs(control);
    __asm__ volatile("cpsid i" ::: "memory");
    psp_unpriv_svc_r0 = svc5(0xFu, 0xEu, 0xDu, 0xCu).r0;
    uint32_t t0 = ticks;
    psp_unpriv_ticks = wait_at_least(&ticks, t0 + 2u) - t0;   /* SysTick runs meanwhile */
    svc6();
    psp_priv_control = cpu_mrs(control);
    psp_unpriv_primask = cpu_mrs(primask);
}

static void check_psp(void)
{
    uint32_t *top = (uint32_t *)(void *)&psp_stack[256];

    check_begin("psp_thread");
    psp_thread_run(10u, 2999u, psp_body, top);
    expect_eq("control_spsel", psp_seen.control & 2u, 2u);
    expect_eq("irq_count", psp_irq_count, 1u);
    expect_eq("irq_excret_thread_psp", psp_irq_lr & 0xCu, 0xCu);
    uint32_t frame = (psp_irq_lr & 0x10u) ? 0x20u : 0x68u;
    expect_eq("irq_psp_frame", psp_irq_psp, (psp_seen.sp_before - frame) & ~7u);
    expect_eq("irq_msp_untouched", psp_irq_msp, psp_seen.msp_in_thread);
    expect_eq("svc_r0", psp_seen.svc_r0, 0x8765u);
    expect_eq("svc_excret_thread_psp", psp_seen.svc_excret & 0xCu, 0xCu);
    expect_eq("unpriv_control", psp_unpriv_control & 3u, 3u);
    expect_eq("unpriv_cpsid_ignored", psp_unpriv_primask, 0u);
    expect_eq("unpriv_svc_r0", psp_unpriv_svc_r0, 0xCDEFu);
    expect_true("unpriv_ticks", psp_unpriv_ticks >= 2u);
    expect_eq("svc6_privileged", psp_priv_control & 3u, 2u);
    expect_eq("msp_restored", psp_seen.msp_after, psp_seen.msp_before);
    expect_eq("psp_restored", cpu_mrs(psp), (uint32_t)(uintptr_t)top);
    expect_eq("control_back", cpu_mrs(control) & 3u, 0u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (i) FP context: s0-s15 and FPSCR survive handlers that use FP (extended frames)             */

static const float fp_in[16] = {
    1.5f, -2.25f, 3.0f, 4.125f, 5.5f, -6.75f, 7.0f, 8.0625f,
    9.5f, 10.25f, -11.0f, 12.5f, 13.75f, 14.0f, -15.5f, 16.25f,
};
static const float fp_junk1[16] = {
    101.f, 102.f, 103.f, 104.f, 105.f, 106.f, 107.f, 108.f,
    109.f, 110.f, 111.f, 112.f, 113.f, 114.f, 115.f, 116.f,
};
static const float fp_junk2[16] = {
    -1.f, -2.f, -3.f, -4.f, -5.f, -6.f, -7.f, -8.f,
    -9.f, -10.f, -11.f, -12.f, -13.f, -14.f, -15.f, -16.f,
};
static float fp_out[16];
static float fp_irq11_after[16];
static volatile uint32_t fp_irq11_lr, fp_irq12_lr, fp_irq11_fpscr;
static volatile float fp_operand = 2.5f;
static volatile float fp_irq11_calc, fp_irq12_calc;

#define S0_S15 "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", \
               "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15"

void IRQ12_Handler(void)
{
    fp_irq12_lr = (uint32_t)(uintptr_t)__builtin_return_address(0);
    __asm__ volatile("vldmia %0, {s0-s15}" :: "r"(fp_junk2) : S0_S15, "memory");
    fp_irq12_calc = fp_operand * -4.0f;
}

void IRQ11_Handler(void)
{
    fp_irq11_lr = (uint32_t)(uintptr_t)__builtin_return_address(0);
    /* Clobber s0-s15 and FPSCR, let IRQ12 preempt (it clobbers them again), keep ours. */
    __asm__ volatile("vldmia %[junk], {s0-s15}\n\t"
                     "vmsr   fpscr, %[zero]\n\t"
                     "str    %[irq], [%[stir]]\n\t"
                     "dsb\n\t"
                     "isb\n\t"
                     "vstmia %[after], {s0-s15}\n\t"
                     :: [junk] "r"(fp_junk1), [zero] "r"(0u), [irq] "r"(12u), [stir] "r"(NVIC_STIR),
                        [after] "r"(fp_irq11_after)
                     : S0_S15, "memory");
    fp_irq11_calc = fp_operand * 3.0f + 0.25f;
    uint32_t fpscr;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(fpscr));
    fp_irq11_fpscr = fpscr;
}

static int floats_equal(const float *a, const float *b, unsigned n)
{
    const uint32_t *x = (const uint32_t *)(const void *)a;
    const uint32_t *y = (const uint32_t *)(const void *)b;
    for (unsigned i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return 0;
        }
    }
    return 1;
}

static void check_fp(void)
{
    check_begin("fp_context");
    irq_enable_at(11u, 0x80u);
    irq_enable_at(12u, 0x40u);
    uint32_t fpscr_after;
    const uint32_t fpscr_thread = 0xA0C00000u;      /* N, C flags and round-towards-zero */
    __asm__ volatile("vldmia %[in], {s0-s15}\n\t"
                     "vmsr   fpscr, %[fpscr]\n\t"
                     "str    %[irq], [%[stir]]\n\t"
                     "dsb\n\t"
                     "isb\n\t"
                     "vstmia %[out], {s0-s15}\n\t"
                     "vmrs   %[fpscr_out], fpscr\n\t"
                     "vmsr   fpscr, %[zero]\n\t"
                     : [fpscr_out] "=&r"(fpscr_after)
                     : [in] "r"(fp_in), [out] "r"(fp_out), [fpscr] "r"(fpscr_thread), [irq] "r"(11u),
                       [stir] "r"(NVIC_STIR), [zero] "r"(0u)
                     : S0_S15, "memory");
    expect_true("s0_s15_thread", floats_equal(fp_out, fp_in, 16u));
    expect_eq("fpscr_thread", fpscr_after, fpscr_thread);
    expect_true("s0_s15_irq11", floats_equal(fp_irq11_after, fp_junk1, 16u));
    expect_eq("irq11_excret_fp_thread", fp_irq11_lr & 0x1Cu, 0x08u);     /* FType=0, Thread, MSP */
    expect_eq("irq12_excret_fp_handler", fp_irq12_lr & 0x1Cu, 0x00u);    /* FType=0, Handler */
    expect_eq("irq11_calc", (uint32_t)(fp_irq11_calc * 4.0f), 31u);       /* 2.5*3+0.25 = 7.75 */
    expect_eq("irq12_calc", (uint32_t)(-fp_irq12_calc), 10u);
    expect_eq("irq11_fpscr_after_irq12", fp_irq11_fpscr & 0x00C00000u, 0u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (k) WFE/SEV ((j) WFI: check_wfi() in shared.c)                                            */

static void check_wfe(void)
{
    check_begin("wfe_sev");
    ticks = 0u;
    systick_start(19999u);
    uint32_t t0 = ticks;
    __asm__ volatile("sev\n\twfe" ::: "memory");        /* event register set: no sleep */
    uint32_t t1 = ticks;
    __asm__ volatile("wfe" ::: "memory");               /* event consumed: sleeps until SysTick */
    uint32_t t2 = ticks;
    systick_stop();
    expect_eq("sev_wfe_immediate", t1 - t0, 0u);
    expect_eq("wfe_woken_by_irq", t2 - t0, 1u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (l) priority registers keep only the top 3 bits                                           */

static void check_priority_bits(void)
{
    check_begin("priority_bits");
    nvic_set_priority(13u, 0xFFu);
    expect_eq("ipr_word", nvic_get_priority(13u), 0xE0u);
    REG32(NVIC_IPR_BASE + 12u) = 0xFFFFFFFFu;           /* IRQ12..15 */
    expect_eq("ipr3_all", REG32(NVIC_IPR_BASE + 12u), 0xE0E0E0E0u);
    REG32(NVIC_IPR_BASE + 12u) = 0u;
    *(volatile uint8_t *)(uintptr_t)(NVIC_IPR_BASE + 13u) = 0xFFu;   /* byte access */
    expect_eq("ipr_byte", *(volatile uint8_t *)(uintptr_t)(NVIC_IPR_BASE + 13u), 0xE0u);
    expect_eq("ipr3_byte_word", REG32(NVIC_IPR_BASE + 12u), 0x0000E000u);
    *(volatile uint8_t *)(uintptr_t)(NVIC_IPR_BASE + 13u) = 0x5Fu;
    expect_eq("ipr_0x5f", nvic_get_priority(13u), 0x40u);
    uint32_t shpr2 = REG32(SCB_SHPR2);
    REG32(SCB_SHPR2) = 0xFFFFFFFFu;
    expect_eq("shpr2_svcall", REG32(SCB_SHPR2), 0xE0000000u);
    REG32(SCB_SHPR2) = shpr2;
    uint32_t shpr3 = REG32(SCB_SHPR3);
    REG32(SCB_SHPR3) = 0xFFFFFFFFu;
    expect_eq("shpr3_pendsv_systick", REG32(SCB_SHPR3), 0xE0E000E0u);
    REG32(SCB_SHPR3) = shpr3;
    nvic_set_priority(13u, 0u);
    check_end();
}

int main(void)
{
    console_init(HOST_UART_BASE);
    print_str("exc_host: exception engine checks\n");

    shpr_set(SCB_SHPR3, 3u, 0x80u);         /* SysTick 0x80 */

    check_priority_bits();
    check_systick(999u, 10u, 5000u, 1);
    check_nested();
    check_tailchain();
    check_primask(5u, 1);
    check_basepri();
    check_pendsv(9u, 0x20u, 0xE0u, stir_set_pending);
    check_svc();
    check_psp();
    check_fp();
    check_wfi(4999u);
    check_wfe();

    return check_summary("exc_host");
}
