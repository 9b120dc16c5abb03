/* cpu.h - the few CPU instructions the images need, as inline asm.
 * Everything here is valid on both ARMv6-M (Cortex-M0+) and ARMv8-M Mainline (Cortex-M33). */
#ifndef IMAGES_CPU_H
#define IMAGES_CPU_H

#include <stdint.h>

static inline void cpu_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void cpu_irq_enable(void)  { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void cpu_wfi(void)         { __asm__ volatile("wfi" ::: "memory"); }
static inline void cpu_wfe(void)         { __asm__ volatile("wfe" ::: "memory"); }
static inline void cpu_dmb(void)         { __asm__ volatile("dmb sy" ::: "memory"); }
static inline void cpu_dsb(void)         { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void cpu_isb(void)         { __asm__ volatile("isb sy" ::: "memory"); }

/* MRS / MSR of a special register named as in the assembler: msp, psp, control, ipsr and
 * primask exist on both cores; basepri only on ARMv8-M Mainline. */
#define cpu_mrs(reg)                                \
    __extension__({ uint32_t v_; __asm__ volatile("mrs %0, " #reg : "=r"(v_)); v_; })
#define cpu_msr(reg, v)                             \
    __asm__ volatile("msr " #reg ", %0" :: "r"((uint32_t)(v)) : "memory")

/* The whole body of a naked exception handler that hands the stacked exception frame to C:
 * tail-calls fn(frame, exc_return), frame being on the PSP if EXC_RETURN bit 2 is set, else on
 * the MSP. LR still holds EXC_RETURN, so fn's return ends the exception. fn is reached through
 * a literal (a B on ARMv6-M reaches only +-2 KiB); Thumb-1 instructions only. */
#define CPU_EXC_FRAME_TAILCALL(fn)                  \
    __asm__ volatile(".syntax unified\n\t"          \
                     "movs   r0, #4\n\t"            \
                     "mov    r1, lr\n\t"            \
                     "tst    r0, r1\n\t"            \
                     "beq    1f\n\t"                \
                     "mrs    r0, psp\n\t"           \
                     "b      2f\n"                  \
                     "1:\n\t"                       \
                     "mrs    r0, msp\n"             \
                     "2:\n\t"                       \
                     "ldr    r2, =" #fn "\n\t"      \
                     "bx     r2\n\t"                \
                     ".ltorg\n\t")

#endif /* IMAGES_CPU_H */
