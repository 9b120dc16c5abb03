/* board_tiny_aux.h - core "aux" (Cortex-M0+) of the test board tests/boards/tiny.toml, in the
 * SE role of the images. Included by board_se.h when the build passes
 * -DBOARD_SE_HEADER='"board_tiny_aux.h"'; defines what the Musca-B1 part of board_se.h does. */
#ifndef IMAGES_BOARD_TINY_AUX_H
#define IMAGES_BOARD_TINY_AUX_H

#define SE_UART_BASE            0x50008000u     /* aux_uart (PL011) */

#define SE_MHU_TO_HOST_SENDER   0x50011000u     /* aux_to_main_sender */
#define SE_MHU_FROM_HOST_RECV   0x50010000u     /* main_to_aux_receiver */

#define SE_IRQ_MHU_FROM_HOST_MSG0   3           /* main_to_aux_receiver msg0 (level) */
#define SE_IRQ_MHU_FROM_HOST_COMB   4           /* main_to_aux_receiver comb (level) */

/* The "mailbox" window: main 0x21000000 = aux 0x60000000, so
 * aux address = main address + HOST_TO_SE_ADDR_OFFSET. */
#define HOST_TO_SE_ADDR_OFFSET  0x3F000000u
#define HOST_SHARED_BASE        0x21000000u
#define SE_SHARED_BASE          0x60000000u

#endif /* IMAGES_BOARD_TINY_AUX_H */
