/* scs.h - System Control Space: NVIC, SCB and SysTick registers and small NVIC helpers.
 *
 * The priority helpers use aligned 32-bit read-modify-write accesses: ARMv6-M (Cortex-M0+)
 * only allows word accesses to NVIC_IPRn and SHPRn, and word accesses are also valid on
 * ARMv8-M, so one implementation serves both cores. */
#ifndef IMAGES_SCS_H
#define IMAGES_SCS_H

#include <stdint.h>
#include "regs.h"

/* SysTick */
#define SYST_CSR        0xE000E010u     /* CTRL */
#define SYST_RVR        0xE000E014u     /* LOAD */
#define SYST_CVR        0xE000E018u     /* VAL  */

/* NVIC: one bit per IRQ in each 32-bit word */
#define NVIC_ISER_BASE  0xE000E100u     /* set-enable   */
#define NVIC_ICER_BASE  0xE000E180u     /* clear-enable */
#define NVIC_ISPR_BASE  0xE000E200u     /* set-pending  */
#define NVIC_ICPR_BASE  0xE000E280u     /* clear-pending*/
#define NVIC_IPR_BASE   0xE000E400u     /* priority, one byte per IRQ */

/* SCB */
#define SCB_ICSR        0xE000ED04u
#define SCB_VTOR        0xE000ED08u
#define SCB_AIRCR       0xE000ED0Cu
#define SCB_SCR         0xE000ED10u
#define SCB_SCR_SEVONPEND (1u << 4)    /* a pending transition of any interrupt is a WFE event */
#define SCB_SHPR1       0xE000ED18u
#define SCB_SHPR2       0xE000ED1Cu
#define SCB_SHPR3       0xE000ED20u

/* Software trigger interrupt register (ARMv7-M/ARMv8-M Mainline only) */
#define NVIC_STIR       0xE000EF00u

#define NVIC_WORD(base, irq)  REG32((base) + 4u * ((uint32_t)(irq) >> 5))
#define NVIC_BIT(irq)         (1u << ((uint32_t)(irq) & 31u))

static inline void nvic_enable_irq(unsigned irq)        { NVIC_WORD(NVIC_ISER_BASE, irq) = NVIC_BIT(irq); }
static inline void nvic_disable_irq(unsigned irq)       { NVIC_WORD(NVIC_ICER_BASE, irq) = NVIC_BIT(irq); }
static inline void nvic_set_pending_irq(unsigned irq)   { NVIC_WORD(NVIC_ISPR_BASE, irq) = NVIC_BIT(irq); }
static inline void nvic_clear_pending_irq(unsigned irq) { NVIC_WORD(NVIC_ICPR_BASE, irq) = NVIC_BIT(irq); }

static inline int nvic_is_pending_irq(unsigned irq)
{
    return (NVIC_WORD(NVIC_ISPR_BASE, irq) & NVIC_BIT(irq)) != 0u;
}

/* prio is the raw 8-bit priority field (only the top implemented bits are kept by hardware,
 * e.g. 0x00/0x40/0x80/0xC0 with 2 bits). */
static inline void nvic_set_priority(unsigned irq, uint8_t prio)
{
    volatile uint32_t *ipr = (volatile uint32_t *)(uintptr_t)(NVIC_IPR_BASE + 4u * (irq >> 2));
    unsigned shift = 8u * (irq & 3u);
    uint32_t v = *ipr;
    v &= ~(0xFFu << shift);
    v |= (uint32_t)prio << shift;
    *ipr = v;
}

static inline uint8_t nvic_get_priority(unsigned irq)
{
    uint32_t v = REG32(NVIC_IPR_BASE + 4u * (irq >> 2));
    return (uint8_t)(v >> (8u * (irq & 3u)));
}

#endif /* IMAGES_SCS_H */
