/* shared.h - what exc/host.c (Cortex-M33) and exc/se.c (Cortex-M0+) share: SysTick and SCB
 * bits, SysTick and waiting helpers, SVC #5, and the checks whose logic is the same on both
 * cores. shared.c is compiled for each core and uses Armv6-M instructions only. */
#ifndef IMAGES_EXC_SHARED_H
#define IMAGES_EXC_SHARED_H

#include <stdint.h>

#define SYST_ENABLE     (1u << 0)
#define SYST_TICKINT    (1u << 1)
#define SYST_CLKSOURCE  (1u << 2)
#define SYST_COUNTFLAG  (1u << 16)

#define ICSR_PENDSVSET  (1u << 28)
#define ICSR_PENDSTSET  (1u << 26)
#define ICSR_PENDSTCLR  (1u << 25)

#define SPIN_LIMIT      2000000u

/* SysTick interrupts counted by SysTick_Handler (shared.c). */
extern volatile uint32_t ticks;

/* Start SysTick (processor clock, interrupt on) with the counter cleared; stop it and clear a
 * pending SysTick. */
void systick_start(uint32_t reload);
void systick_stop(void);

/* Set the priority of an IRQ and enable it. */
void irq_enable_at(unsigned irq, uint8_t prio);
/* Pend an IRQ through NVIC_ISPR, then DSB+ISB so that it is recognised before going on. */
void ispr_pend(unsigned irq);
void spin(uint32_t n);
/* Wait (bounded by SPIN_LIMIT) until *v reaches at least `want`; returns the last value seen. */
uint32_t wait_at_least(volatile uint32_t *v, uint32_t want);
/* Set byte `byte` of a SHPRn register with a word read-modify-write (Armv6-M has no byte
 * access there). */
void shpr_set(uint32_t reg, unsigned byte, uint8_t prio);

/* SVC #5: r0 = r0 | r1<<4 | r2<<8 | r3<<12 in the firmware's SVC handler; r1..r3 come back
 * unchanged. */
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

/* The common part of the firmware's SVC handler, called first by svc_dispatch() (host.c,
 * se.c): counts the call, records EXC_RETURN and IPSR, and performs SVC #5 on the stacked
 * frame. Returns the SVC number; the caller performs the others. */
extern volatile uint32_t svc_count, svc_last_excret, svc_last_ipsr;
uint32_t svc_record(uint32_t *frame, uint32_t exc_return);

/* Inside a check: SVC #5 gives r0 = 0x4321 with r1..r3 unchanged, entering the firmware's
 * handler once with IPSR 11 (SVCall). */
void expect_svc5(void);

/* The body of the handler of the IRQ that makes SVC #5 from Handler mode: its r0 and the
 * EXC_RETURN the SVC handler saw. */
extern volatile uint32_t svc_in_irq_result, svc_in_irq_excret;
void svc_from_irq(void);

/* Run fn() in Thread mode on the PSP (CONTROL.SPSEL=1) with the PSP starting at `top`, then
 * switch back to the MSP. fn must return privileged. */
void run_on_psp(void (*fn)(void), uint32_t *top);

/* The whole body of the naked handler of the IRQ taken on the PSP: records MSP, PSP and
 * EXC_RETURN exactly as they are at exception entry (psp_irq_record()). */
#define PSP_IRQ_HANDLER_BODY()                          \
    __asm__ volatile(".syntax unified\n\t"              \
                     "mrs    r0, msp\n\t"               \
                     "mrs    r1, psp\n\t"               \
                     "mov    r2, lr\n\t"                \
                     "ldr    r3, =psp_irq_record\n\t"   \
                     "bx     r3\n\t"                    \
                     ".ltorg\n\t")
extern volatile uint32_t psp_irq_msp, psp_irq_psp, psp_irq_lr, psp_irq_count;
void psp_irq_record(uint32_t msp, uint32_t psp, uint32_t lr);

/* The run of "psp_thread": body() in Thread mode on the PSP from `top` (run_on_psp), with IRQ
 * `irq` enabled at 0x80 (its handler: PSP_IRQ_HANDLER_BODY) and SysTick running (reload). The
 * body begins with psp_thread_start(): it records CONTROL and MSP, pends the IRQ by the word
 * write *pend_reg = pend_val (STIR or NVIC_ISPR) in the asm block that reads SP (so SP is
 * exactly the one the IRQ interrupts), then makes SVC #5. What the run saw: */
struct psp_seen {
    uint32_t msp_before, msp_after;         /* Thread mode on the MSP, around the run */
    uint32_t control, msp_in_thread, sp_before, svc_r0, svc_excret;    /* psp_thread_start() */
};
extern volatile struct psp_seen psp_seen;
void psp_thread_run(unsigned irq, uint32_t reload, void (*body)(void), uint32_t *top);
void psp_thread_start(uint32_t pend_reg, uint32_t pend_val);

/* ---- checks; each prints its PASS / FAIL lines (check.h) ---- */

/* "systick_count": `n` reloads of `reload` give exactly n interrupts, and none in `settle`
 * spins after the timer is stopped (with check_cvr, CVR <= RVR right after the start too).
 * "systick_masked": with PRIMASK set, reloads are seen through COUNTFLAG while the interrupt
 * only pends; several reloads leave one pending SysTick, taken as soon as PRIMASK is cleared. */
void check_systick(uint32_t reload, uint32_t n, uint32_t settle, int check_cvr);

/* "primask": CPSID / MSR PRIMASK hold IRQ `irq` (priority 0x80, pended through NVIC_ISPR),
 * which is taken right after unmasking; with check_cleared, it is no longer pending after.
 * The IRQ's handler calls primask_irq(). */
void check_primask(unsigned irq, int check_cleared);
void primask_irq(void);

/* "pendsv": PendSV (pendsv_prio) pended inside the handler of IRQ `irq` (irq_prio, higher)
 * runs after it, from Thread mode at once, and pended together with the IRQ after it.
 * set_pending pends an IRQ from software: the IRQ's handler calls pendsv_irq(). */
void check_pendsv(unsigned irq, uint8_t irq_prio, uint8_t pendsv_prio,
                  void (*set_pending)(unsigned irq));
void pendsv_irq(void);

/* "wfi_wake": WFI wakes on SysTick (`reload`); with PRIMASK set it wakes on the pending
 * SysTick without taking it, which is taken right after CPSIE. */
void check_wfi(uint32_t reload);

#endif /* IMAGES_EXC_SHARED_H */
