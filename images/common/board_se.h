/* board_se.h - SE-side addresses used by the images. By default the Musca-B1 Secure Enclave
 * (Cortex-M0+) as the psaemu board model (platform/system/boards/musca_b1.toml) defines it; a build for
 * another board passes -DBOARD_SE_HEADER='"board_<name>.h"' (images/Makefile), and that header
 * defines the same names instead (see board_tiny_aux.h). */
#ifndef IMAGES_BOARD_SE_H
#define IMAGES_BOARD_SE_H

#ifdef BOARD_SE_HEADER
#include BOARD_SE_HEADER
#else

#define SE_UART_BASE            0x5000A000u     /* PL011 console (psaemu addition) */

#define SE_MHU_TO_HOST_SENDER   0x50003000u     /* SE->Host sender frame */
#define SE_MHU_FROM_HOST_RECV   0x50004000u     /* Host->SE receiver frame */

#define SE_IRQ_MHU_FROM_HOST_COMB   23          /* receiver combined (level) */
#define SE_IRQ_MHU_FROM_HOST_MSG0   24          /* receiver ch0 status != 0 (level) */

/* Host flash controllers through the SE's SYS remap window (SE 0xA0xxxxxx = Host 0x52xxxxxx). */
#define SE_EFLASH0_BASE         0xA0400000u     /* GFC-100, Host eFlash0 */
#define SE_QSPI_BASE            0xA0800000u     /* Cadence QSPI + MT25QL, Host QSPI flash */

/* The SE reaches the Host's Code SRAM (0x1A400000..) through its CODE remap at 0x38200000:
 * SE address = Host address + HOST_TO_SE_ADDR_OFFSET. */
#define HOST_TO_SE_ADDR_OFFSET  0x1DE00000u

/* The shared window the images use: Host address (as in board_host.h) and the SE's view. */
#define HOST_SHARED_BASE        0x1A408000u
#define SE_SHARED_BASE          0x38208000u

#endif /* BOARD_SE_HEADER */

/* Name of the vector-table entry (common/startup_*.c) of external interrupt n, given as a
 * board macro holding a plain decimal number: IRQ_HANDLER(SE_IRQ_MHU_FROM_HOST_MSG0). */
#ifndef IRQ_HANDLER
#define IRQ_HANDLER_(n)         IRQ##n##_Handler
#define IRQ_HANDLER(n)          IRQ_HANDLER_(n)
#endif

#endif /* IMAGES_BOARD_SE_H */
