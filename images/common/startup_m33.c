/* startup_m33.c - Host (Cortex-M33) vector table and reset code.
 * 16 system entries + 96 external interrupts; every handler except Reset_Handler is a weak
 * alias of Default_Handler, so an image overrides one by defining e.g. IRQ89_Handler.
 * The FPU is deliberately not touched (CPACR, 0xE000ED88): FP is always on in psaemu. */
#include "startup.h"
#include "regs.h"
#include "scs.h"

#define HOST_NUM_IRQS 96

void NMI_Handler(void)        WEAK_DEFAULT;
void HardFault_Handler(void)  WEAK_DEFAULT;
void MemManage_Handler(void)  WEAK_DEFAULT;
void BusFault_Handler(void)   WEAK_DEFAULT;
void UsageFault_Handler(void) WEAK_DEFAULT;
void SecureFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void)        WEAK_DEFAULT;
void DebugMon_Handler(void)   WEAK_DEFAULT;
void PendSV_Handler(void)     WEAK_DEFAULT;
void SysTick_Handler(void)    WEAK_DEFAULT;

REPEAT10(DECLARE_IRQ_HANDLER, )      /* IRQ0..9   */
REPEAT10(DECLARE_IRQ_HANDLER, 1)     /* IRQ10..19 */
REPEAT10(DECLARE_IRQ_HANDLER, 2)
REPEAT10(DECLARE_IRQ_HANDLER, 3)
REPEAT10(DECLARE_IRQ_HANDLER, 4)
REPEAT10(DECLARE_IRQ_HANDLER, 5)
REPEAT10(DECLARE_IRQ_HANDLER, 6)
REPEAT10(DECLARE_IRQ_HANDLER, 7)
REPEAT10(DECLARE_IRQ_HANDLER, 8)     /* IRQ80..89 */
DECLARE_IRQ_HANDLER(90)
DECLARE_IRQ_HANDLER(91)
DECLARE_IRQ_HANDLER(92)
DECLARE_IRQ_HANDLER(93)
DECLARE_IRQ_HANDLER(94)
DECLARE_IRQ_HANDLER(95)

__attribute__((section(".vectors"), used))
const vector_t __Vectors[16 + HOST_NUM_IRQS] = {
    (vector_t)(uintptr_t)__StackTop,    /*  0: initial MSP */
    Reset_Handler,                      /*  1 */
    NMI_Handler,                        /*  2 */
    HardFault_Handler,                  /*  3 */
    MemManage_Handler,                  /*  4 */
    BusFault_Handler,                   /*  5 */
    UsageFault_Handler,                 /*  6 */
    SecureFault_Handler,                /*  7 */
    0,                                  /*  8: reserved */
    0,                                  /*  9: reserved */
    0,                                  /* 10: reserved */
    SVC_Handler,                        /* 11 */
    DebugMon_Handler,                   /* 12 */
    0,                                  /* 13: reserved */
    PendSV_Handler,                     /* 14 */
    SysTick_Handler,                    /* 15 */
    REPEAT10(IRQ_VECTOR, )
    REPEAT10(IRQ_VECTOR, 1)
    REPEAT10(IRQ_VECTOR, 2)
    REPEAT10(IRQ_VECTOR, 3)
    REPEAT10(IRQ_VECTOR, 4)
    REPEAT10(IRQ_VECTOR, 5)
    REPEAT10(IRQ_VECTOR, 6)
    REPEAT10(IRQ_VECTOR, 7)
    REPEAT10(IRQ_VECTOR, 8)
    IRQ_VECTOR(90)
    IRQ_VECTOR(91)
    IRQ_VECTOR(92)
    IRQ_VECTOR(93)
    IRQ_VECTOR(94)
    IRQ_VECTOR(95)
};

void Default_Handler(void)
{
    for (;;) {
        __asm__ volatile("b ." ::: "memory");
    }
}

void Reset_Handler(void)
{
    /* Point VTOR at our table (it already is when booted from it; harmless otherwise). */
    REG32(SCB_VTOR) = (uint32_t)(uintptr_t)__Vectors;
    startup_common();
}
