/* regs.h - minimal memory-mapped register access helpers (psaemu test images). */
#ifndef IMAGES_REGS_H
#define IMAGES_REGS_H

#include <stdint.h>

/* A 32-bit device register at an absolute address. */
#define REG32(addr)          (*(volatile uint32_t *)(uintptr_t)(addr))
/* A 32-bit register at byte offset `off` from a peripheral base address. */
#define REG32_OFF(base, off) REG32((uintptr_t)(base) + (uintptr_t)(off))

#define BIT(n)               (1u << (n))

#endif /* IMAGES_REGS_H */
