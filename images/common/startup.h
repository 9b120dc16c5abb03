/* startup.h - what the per-core startup files share: linker symbols and the weak-alias
 * helpers used to build the vector tables. Included by startup_m33.c / startup_m0.c, and by
 * images that add a second vector table (host/own_proxy/s_image.c). */
#ifndef IMAGES_STARTUP_H
#define IMAGES_STARTUP_H

#include <stdint.h>
#include "semihost.h"

typedef void (*vector_t)(void);

/* Defined by the linker script (common/sections.ld). */
extern uint32_t __StackTop[];
extern uint32_t __data_load__[];
extern uint32_t __data_start__[];
extern uint32_t __data_end__[];
extern uint32_t __bss_start__[];
extern uint32_t __bss_end__[];

int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void);

#define WEAK_DEFAULT __attribute__((weak, alias("Default_Handler")))

/* Expand X(t0) .. X(t9); with t empty this is X(0) .. X(9). */
#define REPEAT10(X, t) X(t##0) X(t##1) X(t##2) X(t##3) X(t##4) \
                       X(t##5) X(t##6) X(t##7) X(t##8) X(t##9)

#define DECLARE_IRQ_HANDLER(n) void IRQ##n##_Handler(void) WEAK_DEFAULT;
#define IRQ_VECTOR(n)          IRQ##n##_Handler,

/* Copy .data from its load address in flash, zero .bss, run main(), exit via semihosting.
 * Word loops over integer addresses: no memcpy/memset calls can be generated
 * (the images are also built with -fno-tree-loop-distribute-patterns). */
static inline __attribute__((always_inline, noreturn)) void startup_common(void)
{
    const uint32_t *src = __data_load__;
    for (uintptr_t p = (uintptr_t)__data_start__; p < (uintptr_t)__data_end__; p += 4u) {
        *(volatile uint32_t *)p = *src++;
    }
    for (uintptr_t p = (uintptr_t)__bss_start__; p < (uintptr_t)__bss_end__; p += 4u) {
        *(volatile uint32_t *)p = 0u;
    }
    __asm__ volatile("dsb sy\n\tisb sy" ::: "memory");

    int rc = main();
    semihost_exit((uint32_t)rc);
}

#endif /* IMAGES_STARTUP_H */
