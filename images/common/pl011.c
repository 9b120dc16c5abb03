/* pl011.c - minimal Arm PL011 UART driver. */
#include "pl011.h"
#include "regs.h"

void pl011_init(uintptr_t base, uint32_t ibrd, uint32_t fbrd)
{
    REG32_OFF(base, PL011_CR) = 0u;                     /* disable while programming */
    REG32_OFF(base, PL011_IBRD) = ibrd;
    REG32_OFF(base, PL011_FBRD) = fbrd;
    REG32_OFF(base, PL011_LCR_H) = PL011_LCR_H_WLEN_8 | PL011_LCR_H_FEN;
    REG32_OFF(base, PL011_CR) = PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE;
}

void pl011_putc(uintptr_t base, char c)
{
    while (REG32_OFF(base, PL011_FR) & PL011_FR_TXFF) {
        /* transmit FIFO full */
    }
    REG32_OFF(base, PL011_DR) = (uint32_t)(uint8_t)c;
}

void pl011_flush(uintptr_t base)
{
    while (REG32_OFF(base, PL011_FR) & PL011_FR_BUSY) {
        /* still shifting out */
    }
}
