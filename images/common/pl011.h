/* pl011.h - minimal Arm PL011 UART driver (transmit only is what the images use). */
#ifndef IMAGES_PL011_H
#define IMAGES_PL011_H

#include <stdint.h>

#define PL011_DR        0x000u
#define PL011_FR        0x018u
#define PL011_IBRD      0x024u
#define PL011_FBRD      0x028u
#define PL011_LCR_H     0x02Cu
#define PL011_CR        0x030u

#define PL011_FR_BUSY   (1u << 3)
#define PL011_FR_TXFF   (1u << 5)

#define PL011_LCR_H_FEN     (1u << 4)
#define PL011_LCR_H_WLEN_8  (3u << 5)

#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_TXE    (1u << 8)
#define PL011_CR_RXE    (1u << 9)

/* Program 8N1 with FIFOs and enable TX+RX. ibrd/fbrd are the baud divisors. */
void pl011_init(uintptr_t base, uint32_t ibrd, uint32_t fbrd);
/* Write one byte, waiting while the transmit FIFO is full. */
void pl011_putc(uintptr_t base, char c);
/* Wait until the UART has finished sending everything. */
void pl011_flush(uintptr_t base);

#endif /* IMAGES_PL011_H */
