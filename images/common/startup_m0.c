/* startup_m0.c - Secure Enclave (Cortex-M0+) vector table and reset code.
 * 16 system entries + 32 external interrupts; every handler except Reset_Handler is a weak
 * alias of Default_Handler, so an image overrides one by defining e.g. IRQ24_Handler. */
#include "startup.h"

#define SE_NUM_IRQS 32

void NMI_Handler(void)       WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void)       WEAK_DEFAULT;
void PendSV_Handler(void)    WEAK_DEFAULT;
void SysTick_Handler(void)   WEAK_DEFAULT;

REPEAT10(DECLARE_IRQ_HANDLER, )      /* IRQ0..9   */
REPEAT10(DECLARE_IRQ_HANDLER, 1)     /* IRQ10..19 */
REPEAT10(DECLARE_IRQ_HANDLER, 2)     /* IRQ20..29 */
DECLARE_IRQ_HANDLER(30)
DECLARE_IRQ_HANDLER(31)

__attribute__((section(".vectors"), used))
const vector_t __Vectors[16 + SE_NUM_IRQS] = {
    (vector_t)(uintptr_t)__StackTop,    /*  0: initial MSP */
    Reset_Handler,                      /*  1 */
    NMI_Handler,                        /*  2 */
    HardFault_Handler,                  /*  3 */
    0, 0, 0, 0, 0, 0, 0,                /*  4..10: reserved */
    SVC_Handler,                        /* 11 */
    0, 0,                               /* 12..13: reserved */
    PendSV_Handler,                     /* 14 */
    SysTick_Handler,                    /* 15 */
    REPEAT10(IRQ_VECTOR, )
    REPEAT10(IRQ_VECTOR, 1)
    REPEAT10(IRQ_VECTOR, 2)
    IRQ_VECTOR(30)
    IRQ_VECTOR(31)
};

void Default_Handler(void)
{
    for (;;) {
        __asm__ volatile("b ." ::: "memory");
    }
}

void Reset_Handler(void)
{
    startup_common();
}
