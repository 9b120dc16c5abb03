/* board_se.h - Musca-B1 Secure Enclave (Cortex-M0+) addresses used by the images,
 * as the psaemu board model (platform/boards/musca_b1.toml) defines them. */
#ifndef IMAGES_BOARD_SE_H
#define IMAGES_BOARD_SE_H

#define SE_UART_BASE            0x5000A000u     /* PL011 console (psaemu addition) */

#define SE_MHU_TO_HOST_SENDER   0x50003000u     /* SE->Host sender frame */
#define SE_MHU_FROM_HOST_RECV   0x50004000u     /* Host->SE receiver frame */

#define SE_IRQ_MHU_FROM_HOST_COMB   23          /* receiver combined (level) */
#define SE_IRQ_MHU_FROM_HOST_MSG0   24          /* receiver ch0 status != 0 (level) */

/* The SE reaches the Host's Code SRAM (0x1A400000..) through its CODE remap at 0x38200000:
 * SE address = Host address + HOST_TO_SE_ADDR_OFFSET. */
#define HOST_TO_SE_ADDR_OFFSET  0x1DE00000u

#endif /* IMAGES_BOARD_SE_H */
