/* cpu.h - the few CPU instructions the images need, as inline asm.
 * Everything here is valid on both ARMv6-M (Cortex-M0+) and ARMv8-M Mainline (Cortex-M33). */
#ifndef IMAGES_CPU_H
#define IMAGES_CPU_H

static inline void cpu_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void cpu_irq_enable(void)  { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void cpu_wfi(void)         { __asm__ volatile("wfi" ::: "memory"); }
static inline void cpu_dmb(void)         { __asm__ volatile("dmb sy" ::: "memory"); }
static inline void cpu_dsb(void)         { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void cpu_isb(void)         { __asm__ volatile("isb sy" ::: "memory"); }

#endif /* IMAGES_CPU_H */
