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
 *                 (the tests register one that returns r0 + r1). */
#include <stdint.h>

#include "board_host.h"
#include "check.h"
#include "cpu.h"
#include "print.h"
#include "regs.h"
#include "scs.h"

#define NVIC_IABR_BASE  0xE000E300u
#define SCB_SCR         0xE000ED10u
#define SCB_CFSR        0xE000ED28u

#define SYST_ENABLE     (1u << 0)
#define SYST_TICKINT    (1u << 1)
#define SYST_CLKSOURCE  (1u << 2)
#define SYST_COUNTFLAG  (1u << 16)

#define ICSR_PENDSVSET  (1u << 28)
#define ICSR_PENDSTSET  (1u << 26)
#define ICSR_PENDSTCLR  (1u << 25)

#define SVC7_FW_TAG     0xF7000000u
#define SPIN_LIMIT      2000000u

/* ---------------------------------------------------------------------------------------- */
/* Special registers                                                                         */

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

static inline void set_control(uint32_t v)
{
    __asm__ volatile("msr control, %0\n\tisb" :: "r"(v) : "memory");
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

static inline void set_basepri(uint32_t v)
{
    __asm__ volatile("msr basepri, %0" :: "r"(v) : "memory");
}

/* Pend an external interrupt through the Software Trigger Interrupt Register, then make sure
 * it is recognised before the next instruction (as the architecture requires after DSB+ISB). */
static inline void stir_pend(unsigned irq)
{
    REG32(NVIC_STIR) = irq;
    cpu_dsb();
    cpu_isb();
}

/* Pend through NVIC_ISPR instead. */
static inline void ispr_pend(unsigned irq)
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

/* Wait (bounded) until *v reaches at least `want`; returns the last value seen. */
static uint32_t wait_at_least(volatile uint32_t *v, uint32_t want)
{
    uint32_t limit = SPIN_LIMIT;
    while (*v < want && --limit != 0u) {
    }
    return *v;
}

/* ---------------------------------------------------------------------------------------- */
/* SysTick                                                                                   */

static volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
}

static void systick_start(uint32_t reload)
{
    REG32(SYST_CSR) = 0u;
    REG32(SYST_RVR) = reload;
    REG32(SYST_CVR) = 0u;                   /* clears the counter and COUNTFLAG */
    REG32(SYST_CSR) = SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE;
}

static void systick_stop(void)
{
    REG32(SYST_CSR) = 0u;
    REG32(SCB_ICSR) = ICSR_PENDSTCLR;
}

/* (a) N reloads give exactly N interrupts; none after the timer is stopped. */
static void check_systick(void)
{
    check_begin("systick_count");
    ticks = 0u;
    systick_start(999u);
    expect_eq("rvr", REG32(SYST_RVR), 999u);
    expect_true("cvr<=rvr", REG32(SYST_CVR) <= 999u);
    uint32_t got = wait_at_least(&ticks, 10u);
    systick_stop();
    expect_eq("ticks", got, 10u);
    spin(5000u);
    expect_eq("ticks_after_stop", ticks, 10u);
    check_end();

    /* With PRIMASK set, reloads are seen through COUNTFLAG while the interrupt only pends;
     * several reloads leave one pending SysTick, taken as soon as PRIMASK is cleared. */
    check_begin("systick_masked");
    ticks = 0u;
    cpu_irq_disable();
    systick_start(999u);
    (void)REG32(SYST_CSR);                  /* reading clears COUNTFLAG */
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
    __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]" : "=r"(after) : "r"(&ticks) : "memory");
    expect_eq("ticks_unmasked", after, 1u);
    check_end();
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
    nest_ipsr = get_ipsr();
}

static void check_nested(void)
{
    check_begin("nested_preemption");
    evlog_reset();
    nvic_set_priority(0u, 0xC0u);
    nvic_set_priority(1u, 0x40u);
    nvic_enable_irq(0u);
    nvic_enable_irq(1u);
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
    nvic_set_priority(2u, 0x80u);
    nvic_set_priority(3u, 0x80u);
    nvic_set_priority(4u, 0xA0u);
    nvic_enable_irq(2u);
    nvic_enable_irq(3u);
    nvic_enable_irq(4u);
    ispr_pend(2u);
    evlog('t');
    expect_str("order", evlog_str(), "CcDEt");
    expect_eq("iabr_in_chained", tail_iabr, 1u << 3);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (d) PRIMASK                                                                               */

static volatile uint32_t irq5_count;

void IRQ5_Handler(void)
{
    irq5_count++;
}

static void check_primask(void)
{
    check_begin("primask");
    irq5_count = 0u;
    nvic_set_priority(5u, 0x80u);
    nvic_enable_irq(5u);

    cpu_irq_disable();
    ispr_pend(5u);
    spin(200u);
    expect_eq("masked_count", irq5_count, 0u);
    expect_true("still_pending", nvic_is_pending_irq(5u));
    uint32_t now;
    /* The interrupt must be taken between CPSIE and the load. */
    __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]" : "=r"(now) : "r"(&irq5_count) : "memory");
    expect_eq("after_cpsie", now, 1u);

    /* Same with MSR PRIMASK. */
    set_primask(1u);
    expect_eq("primask_reads_1", get_primask(), 1u);
    ispr_pend(5u);
    spin(200u);
    expect_eq("masked_count_msr", irq5_count, 1u);
    __asm__ volatile("msr primask, %2\n\tisb\n\tldr %0, [%1]"
                     : "=&r"(now) : "r"(&irq5_count), "r"(0u) : "memory");
    expect_eq("after_msr_primask", now, 2u);
    expect_true("not_pending", !nvic_is_pending_irq(5u));
    check_end();
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
    nvic_set_priority(6u, 0x80u);
    nvic_set_priority(7u, 0xA0u);
    nvic_set_priority(8u, 0x40u);
    nvic_enable_irq(6u);
    nvic_enable_irq(7u);
    nvic_enable_irq(8u);

    set_basepri(0x80u);
    stir_pend(7u);                          /* 0xA0 >= BASEPRI: masked */
    stir_pend(6u);                          /* 0x80 == BASEPRI: masked */
    spin(200u);
    evlog('x');
    stir_pend(8u);                          /* 0x40 < BASEPRI: preempts at once */
    evlog('y');
    expect_true("6_pending", nvic_is_pending_irq(6u));
    expect_true("7_pending", nvic_is_pending_irq(7u));
    set_basepri(0u);                        /* 6 then 7 run here */
    evlog('z');
    expect_str("order", evlog_str(), "x8y67z");
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (f) PendSV                                                                                */

static volatile uint32_t pendsv_count;

void PendSV_Handler(void)
{
    evlog('P');
    pendsv_count++;
}

void IRQ9_Handler(void)
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
    REG32(SCB_SHPR3) = (REG32(SCB_SHPR3) & ~0x00FF0000u) | (0xE0u << 16);     /* PendSV lowest */
    nvic_set_priority(9u, 0x20u);
    nvic_enable_irq(9u);

    /* Pended inside a higher-priority handler: runs after it (tail-chained). */
    stir_pend(9u);
    evlog('t');
    /* Pended from Thread mode: runs at once. */
    REG32(SCB_ICSR) = ICSR_PENDSVSET;
    cpu_dsb();
    cpu_isb();
    evlog('u');
    /* Both pending together: the IRQ first, PendSV last. */
    cpu_irq_disable();
    REG32(SCB_ICSR) = ICSR_PENDSVSET;
    REG32(NVIC_STIR) = 9u;
    cpu_dsb();
    cpu_irq_enable();
    cpu_isb();
    evlog('v');
    expect_str("order", evlog_str(), "NnPtPuNnPv");
    expect_eq("count", pendsv_count, 3u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */
/* (g) firmware SVC handler: arguments from the stacked frame, result through stacked r0      */

static volatile uint32_t svc_count, svc_last_excret, svc_last_ipsr, svc_last_frame;

void svc_dispatch(uint32_t *frame, uint32_t exc_return);

/* Chooses the stack the frame was pushed on from EXC_RETURN.SPSEL (bit 2) and tail-calls the
 * C dispatcher, which returns straight to EXC_RETURN (LR is not touched here). */
__attribute__((naked)) void SVC_Handler(void)
{
    __asm__ volatile(
        "tst    lr, #4\n\t"
        "ite    eq\n\t"
        "mrseq  r0, msp\n\t"
        "mrsne  r0, psp\n\t"
        "mov    r1, lr\n\t"
        "b      svc_dispatch\n\t");
}

void svc_dispatch(uint32_t *frame, uint32_t exc_return)
{
    const uint16_t *pc = (const uint16_t *)(uintptr_t)frame[6];
    uint32_t number = pc[-1] & 0xFFu;       /* the SVC instruction before the return address */

    svc_count++;
    svc_last_excret = exc_return;
    svc_last_ipsr = get_ipsr();
    svc_last_frame = (uint32_t)(uintptr_t)frame;
    switch (number) {
    case 5:
        frame[0] = frame[0] | frame[1] << 4 | frame[2] << 8 | frame[3] << 12;
        break;
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

static volatile uint32_t svc_in_irq_result, svc_in_irq_excret;

/* An SVC from an interrupt handler: SVCall (priority 0) preempts this handler (0x80). */
void IRQ14_Handler(void)
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
    expect_eq("excret_thread_msp", svc_last_excret & 0xCu, 0x8u);
    expect_true("frame_on_msp", svc_last_frame < (uint32_t)(uintptr_t)&before);
    check_end();

    check_begin("svc_from_handler");
    nvic_set_priority(14u, 0x80u);
    nvic_enable_irq(14u);
    stir_pend(14u);
    expect_eq("r0", svc_in_irq_result, 0xDCBAu);
    expect_eq("excret_handler_msp", svc_in_irq_excret & 0xCu, 0x0u);
    check_end();

    /* svc #7: a Python handler (if the test registered one) returns r0 + r1 without entering
     * the firmware; otherwise SVC_Handler returns SVC7_FW_TAG | (r0 - r1). */
    before = svc_count;
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
static volatile uint32_t irq10_msp, irq10_psp, irq10_lr, irq10_count;

void irq10_record(uint32_t msp, uint32_t psp, uint32_t lr);

/* Records MSP, PSP and EXC_RETURN exactly as they are at exception entry. */
__attribute__((naked)) void IRQ10_Handler(void)
{
    __asm__ volatile(
        "mrs    r0, msp\n\t"
        "mrs    r1, psp\n\t"
        "mov    r2, lr\n\t"
        "b      irq10_record\n\t");
}

void irq10_record(uint32_t msp, uint32_t psp, uint32_t lr)
{
    irq10_msp = msp;
    irq10_psp = psp;
    irq10_lr = lr;
    irq10_count++;
}

/* Run fn() in Thread mode on the PSP (CONTROL.SPSEL=1) with the PSP starting at `top`, then
 * switch back to the MSP. fn must return privileged. */
__attribute__((naked)) static void run_on_psp(void (*fn)(void), uint32_t *top)
{
    (void)fn;
    (void)top;
    __asm__ volatile(
        "push   {r4, lr}\n\t"
        "msr    psp, r1\n\t"
        "mrs    r2, control\n\t"
        "orr    r2, r2, #2\n\t"
        "msr    control, r2\n\t"
        "isb\n\t"
        "blx    r0\n\t"
        "mrs    r2, control\n\t"
        "bic    r2, r2, #2\n\t"
        "msr    control, r2\n\t"
        "isb\n\t"
        "pop    {r4, pc}\n\t");
}

static volatile uint32_t psp_msp_in_thread, psp_sp_before, psp_control, psp_svc_r0, psp_svc_excret;
static volatile uint32_t psp_unpriv_control, psp_unpriv_primask, psp_unpriv_svc_r0;
static volatile uint32_t psp_unpriv_ticks, psp_priv_control;

static void psp_body(void)
{
    uint32_t sp;

    psp_control = get_control();
    psp_msp_in_thread = get_msp();
    /* Pend IRQ10 and read SP in the same asm block so SP is exactly the one it interrupts. */
    __asm__ volatile("mov    %0, sp\n\t"
                     "str    %2, [%1]\n\t"
                     "dsb\n\t"
                     "isb\n\t"
                     : "=&r"(sp) : "r"(NVIC_STIR), "r"(10u) : "memory");
    psp_sp_before = sp;
    psp_svc_r0 = svc5(5u, 6u, 7u, 8u).r0;
    psp_svc_excret = svc_last_excret;

    /* Unprivileged: CPSID is ignored (PRIMASK is read back once privileged again: MRS of the
     * mask registers reads zero when unprivileged), SVC and interrupts still work, and SVC #6
     * clears CONTROL.nPRIV from Handler mode. */
    set_control(get_control() | 1u);
    psp_unpriv_control = get_control();
    __asm__ volatile("cpsid i" ::: "memory");
    psp_unpriv_svc_r0 = svc5(0xFu, 0xEu, 0xDu, 0xCu).r0;
    uint32_t t0 = ticks;
    psp_unpriv_ticks = wait_at_least(&ticks, t0 + 2u) - t0;   /* SysTick runs meanwhile */
    svc6();
    psp_priv_control = get_control();
    psp_unpriv_primask = get_primask();
}

static void check_psp(void)
{
    check_begin("psp_thread");
    nvic_set_priority(10u, 0x80u);
    nvic_enable_irq(10u);
    uint32_t *top = (uint32_t *)(void *)&psp_stack[256];
    irq10_count = 0u;
    ticks = 0u;
    systick_start(2999u);
    uint32_t msp_before = get_msp();
    run_on_psp(psp_body, top);
    uint32_t msp_after = get_msp();
    systick_stop();

    expect_eq("control_spsel", psp_control & 2u, 2u);
    expect_eq("irq_count", irq10_count, 1u);
    expect_eq("irq_excret_thread_psp", irq10_lr & 0xCu, 0xCu);
    uint32_t frame = (irq10_lr & 0x10u) ? 0x20u : 0x68u;
    expect_eq("irq_psp_frame", irq10_psp, (psp_sp_before - frame) & ~7u);
    expect_eq("irq_msp_untouched", irq10_msp, psp_msp_in_thread);
    expect_eq("svc_r0", psp_svc_r0, 0x8765u);
    expect_eq("svc_excret_thread_psp", psp_svc_excret & 0xCu, 0xCu);
    expect_eq("unpriv_control", psp_unpriv_control & 3u, 3u);
    expect_eq("unpriv_cpsid_ignored", psp_unpriv_primask, 0u);
    expect_eq("unpriv_svc_r0", psp_unpriv_svc_r0, 0xCDEFu);
    expect_true("unpriv_ticks", psp_unpriv_ticks >= 2u);
    expect_eq("svc6_privileged", psp_priv_control & 3u, 2u);
    expect_eq("msp_restored", msp_after, msp_before);
    expect_eq("psp_restored", get_psp(), (uint32_t)(uintptr_t)top);
    expect_eq("control_back", get_control() & 3u, 0u);
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
    nvic_set_priority(11u, 0x80u);
    nvic_set_priority(12u, 0x40u);
    nvic_enable_irq(11u);
    nvic_enable_irq(12u);
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
/* (j) WFI, (k) WFE/SEV                                                                      */

static void check_wfi(void)
{
    check_begin("wfi_wake");
    ticks = 0u;
    systick_start(4999u);
    uint32_t t0 = ticks;
    cpu_wfi();
    uint32_t t1 = ticks;
    expect_eq("ticks_after_wfi", t1 - t0, 1u);

    /* WFI with PRIMASK set wakes on the pending interrupt without taking it. */
    cpu_irq_disable();
    t0 = ticks;
    cpu_wfi();
    t1 = ticks;
    uint32_t pending = REG32(SCB_ICSR) & ICSR_PENDSTSET;
    uint32_t t2;
    __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]" : "=r"(t2) : "r"(&ticks) : "memory");
    systick_stop();
    expect_eq("masked_not_taken", t1 - t0, 0u);
    expect_true("masked_pending", pending != 0u);
    expect_eq("taken_after_cpsie", t2 - t0, 1u);
    check_end();
}

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

    REG32(SCB_SHPR3) = (REG32(SCB_SHPR3) & ~0xFF000000u) | (0x80u << 24);     /* SysTick 0x80 */

    check_priority_bits();
    check_systick();
    check_nested();
    check_tailchain();
    check_primask();
    check_basepri();
    check_pendsv();
    check_svc();
    check_psp();
    check_fp();
    check_wfi();
    check_wfe();

    print_str("exc_host: ");
    print_udec(check_count());
    print_str(" checks, ");
    print_udec(check_failures());
    print_str(" failed\n");
    console_flush();
    return (int)check_failures();
}
