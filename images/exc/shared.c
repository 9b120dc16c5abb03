/* shared.c - helpers and checks the same on the Host and the SE (see shared.h). Built once
 * per core; Armv6-M instructions only (the inline asm uses low registers). */
#include "shared.h"

#include "check.h"
#include "cpu.h"
#include "regs.h"
#include "scs.h"

volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
}

void systick_start(uint32_t reload)
{
    REG32(SYST_CSR) = 0u;
    REG32(SYST_RVR) = reload;
    REG32(SYST_CVR) = 0u;                   /* clears the counter and COUNTFLAG */
    REG32(SYST_CSR) = SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE;
}

void systick_stop(void)
{
    REG32(SYST_CSR) = 0u;
    REG32(SCB_ICSR) = ICSR_PENDSTCLR;
}

void irq_enable_at(unsigned irq, uint8_t prio)
{
    nvic_set_priority(irq, prio);
    nvic_enable_irq(irq);
}

void ispr_pend(unsigned irq)
{
    nvic_set_pending_irq(irq);
    cpu_dsb();
    cpu_isb();
}

void spin(uint32_t n)
{
    for (volatile uint32_t i = 0; i < n; i++) {
    }
}

uint32_t wait_at_least(volatile uint32_t *v, uint32_t want)
{
    uint32_t limit = SPIN_LIMIT;
    while (*v < want && --limit != 0u) {
    }
    return *v;
}

void shpr_set(uint32_t reg, unsigned byte, uint8_t prio)
{
    uint32_t v = REG32(reg);
    v &= ~(0xFFu << (8u * byte));
    v |= (uint32_t)prio << (8u * byte);
    REG32(reg) = v;
}

/* (GCC emits Thumb-1 inline asm in divided syntax; the block selects unified syntax, and GCC
 * switches back after it.) */
__attribute__((naked)) void run_on_psp(void (*fn)(void), uint32_t *top)
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

volatile uint32_t psp_irq_msp, psp_irq_psp, psp_irq_lr, psp_irq_count;

void psp_irq_record(uint32_t msp, uint32_t psp, uint32_t lr)
{
    psp_irq_msp = msp;
    psp_irq_psp = psp;
    psp_irq_lr = lr;
    psp_irq_count++;
}

volatile struct psp_seen psp_seen;

void psp_thread_run(unsigned irq, uint32_t reload, void (*body)(void), uint32_t *top)
{
    irq_enable_at(irq, 0x80u);
    psp_irq_count = 0u;
    ticks = 0u;
    systick_start(reload);
    psp_seen.msp_before = cpu_mrs(msp);
    run_on_psp(body, top);
    psp_seen.msp_after = cpu_mrs(msp);
    systick_stop();
}

void psp_thread_start(uint32_t pend_reg, uint32_t pend_val)
{
    uint32_t sp;

    psp_seen.control = cpu_mrs(control);
    psp_seen.msp_in_thread = cpu_mrs(msp);
    __asm__ volatile("mov    %0, sp\n\t"
                     "str    %2, [%1]\n\t"
                     "dsb\n\t"
                     "isb\n\t"
                     : "=&l"(sp) : "l"(pend_reg), "l"(pend_val) : "memory");
    psp_seen.sp_before = sp;
    psp_seen.svc_r0 = svc5(5u, 6u, 7u, 8u).r0;
    psp_seen.svc_excret = svc_last_excret;
}

/* CPSIE, then read *p: an interrupt pending meanwhile must be taken between the two. */
static uint32_t cpsie_then_read(volatile uint32_t *p)
{
    uint32_t v;
    __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]" : "=l"(v) : "l"(p) : "memory");
    return v;
}

/* ---------------------------------------------------------------------------------------- */

volatile uint32_t svc_count, svc_last_excret, svc_last_ipsr;
volatile uint32_t svc_in_irq_result, svc_in_irq_excret;

uint32_t svc_record(uint32_t *frame, uint32_t exc_return)
{
    const uint16_t *pc = (const uint16_t *)(uintptr_t)frame[6];
    uint32_t number = pc[-1] & 0xFFu;       /* the SVC instruction before the return address */

    svc_count++;
    svc_last_excret = exc_return;
    svc_last_ipsr = cpu_mrs(ipsr);
    if (number == 5u) {
        frame[0] = frame[0] | frame[1] << 4 | frame[2] << 8 | frame[3] << 12;
    }
    return number;
}

void expect_svc5(void)
{
    uint32_t before = svc_count;
    struct svc_result r = svc5(1u, 2u, 3u, 4u);
    expect_eq("r0", r.r0, 0x4321u);
    expect_eq("r1", r.r1, 2u);
    expect_eq("r2", r.r2, 3u);
    expect_eq("r3", r.r3, 4u);
    expect_eq("count", svc_count, before + 1u);
    expect_eq("ipsr", svc_last_ipsr, 11u);
}

void svc_from_irq(void)
{
    svc_in_irq_result = svc5(0xAu, 0xBu, 0xCu, 0xDu).r0;
    svc_in_irq_excret = svc_last_excret;
}

/* ---------------------------------------------------------------------------------------- */

void check_systick(uint32_t reload, uint32_t n, uint32_t settle, int check_cvr)
{
    check_begin("systick_count");
    ticks = 0u;
    systick_start(reload);
    expect_eq("rvr", REG32(SYST_RVR), reload);
    if (check_cvr) {
        expect_true("cvr<=rvr", REG32(SYST_CVR) <= reload);
    }
    uint32_t got = wait_at_least(&ticks, n);
    systick_stop();
    expect_eq("ticks", got, n);
    spin(settle);
    expect_eq("ticks_after_stop", ticks, n);
    check_end();

    check_begin("systick_masked");
    ticks = 0u;
    cpu_irq_disable();
    systick_start(reload);
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
    expect_eq("ticks_unmasked", cpsie_then_read(&ticks), 1u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */

static volatile uint32_t primask_count;

void primask_irq(void)
{
    primask_count++;
}

void check_primask(unsigned irq, int check_cleared)
{
    check_begin("primask");
    primask_count = 0u;
    irq_enable_at(irq, 0x80u);

    cpu_irq_disable();
    ispr_pend(irq);
    spin(200u);
    expect_eq("masked_count", primask_count, 0u);
    expect_true("still_pending", nvic_is_pending_irq(irq));
    /* The interrupt must be taken between CPSIE and the load. */
    expect_eq("after_cpsie", cpsie_then_read(&primask_count), 1u);

    /* Same with MSR PRIMASK. */
    cpu_msr(primask, 1u);
    expect_eq("primask_reads_1", cpu_mrs(primask), 1u);
    ispr_pend(irq);
    spin(200u);
    expect_eq("masked_count_msr", primask_count, 1u);
    uint32_t now;
    __asm__ volatile("msr primask, %2\n\tisb\n\tldr %0, [%1]"
                     : "=&l"(now) : "l"(&primask_count), "l"(0u) : "memory");
    expect_eq("after_msr_primask", now, 2u);
    if (check_cleared) {
        expect_true("not_pending", !nvic_is_pending_irq(irq));
    }
    check_end();
}

/* ---------------------------------------------------------------------------------------- */

static volatile uint32_t pendsv_count;

void PendSV_Handler(void)
{
    evlog('P');
    pendsv_count++;
}

static void pendsv_set(void)
{
    REG32(SCB_ICSR) = ICSR_PENDSVSET;
}

void pendsv_irq(void)
{
    evlog('N');
    pendsv_set();
    cpu_dsb();
    cpu_isb();
    spin(100u);
    evlog('n');
}

void check_pendsv(unsigned irq, uint8_t irq_prio, uint8_t pendsv_prio,
                  void (*set_pending)(unsigned irq))
{
    check_begin("pendsv");
    evlog_reset();
    shpr_set(SCB_SHPR3, 2u, pendsv_prio);
    irq_enable_at(irq, irq_prio);

    /* Pended inside a higher-priority handler: runs after it (tail-chained). */
    set_pending(irq);
    cpu_dsb();
    cpu_isb();
    evlog('t');
    /* Pended from Thread mode: runs at once. */
    pendsv_set();
    cpu_dsb();
    cpu_isb();
    evlog('u');
    /* Both pending together: the IRQ first, PendSV last. */
    cpu_irq_disable();
    pendsv_set();
    set_pending(irq);
    cpu_dsb();
    cpu_irq_enable();
    cpu_isb();
    evlog('v');
    expect_str("order", evlog_str(), "NnPtPuNnPv");
    expect_eq("count", pendsv_count, 3u);
    check_end();
}

/* ---------------------------------------------------------------------------------------- */

void check_wfi(uint32_t reload)
{
    check_begin("wfi_wake");
    ticks = 0u;
    systick_start(reload);
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
    uint32_t t2 = cpsie_then_read(&ticks);
    systick_stop();
    expect_eq("masked_not_taken", t1 - t0, 0u);
    expect_true("masked_pending", pending != 0u);
    expect_eq("taken_after_cpsie", t2 - t0, 1u);
    check_end();
}
