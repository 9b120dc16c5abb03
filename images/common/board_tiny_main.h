/* board_tiny_main.h - core "main" (Cortex-M33) of the test board tests/boards/tiny.toml, in the
 * Host role of the images. Included by board_host.h when the build passes
 * -DBOARD_HOST_HEADER='"board_tiny_main.h"'; defines what the Musca-B1 part of board_host.h does. */
#ifndef IMAGES_BOARD_TINY_MAIN_H
#define IMAGES_BOARD_TINY_MAIN_H

#define HOST_UART_BASE          0x40004000u     /* main_uart (PL011) */

#define HOST_MHU_TO_SE_SENDER   0x40010000u     /* main_to_aux_sender */
#define HOST_MHU_FROM_SE_RECV   0x40011000u     /* aux_to_main_receiver */

#define HOST_IRQ_MHU_FROM_SE_MSG0   5           /* aux_to_main_receiver msg0 (level) */
#define HOST_IRQ_MHU_FROM_SE_COMB   6           /* aux_to_main_receiver comb (level) */

/* The "mailbox" window: main sees it at 0x21000000, aux at 0x60000000 (board_tiny_aux.h). */
#define HOST_SHARED_BASE        0x21000000u
#define HOST_SHARED_SIZE        0x00004000u

/* aux has reset = "run" and the board has no SCC: nothing to release. */
#define BOARD_SE_RUNS_FROM_RESET    1

#endif /* IMAGES_BOARD_TINY_MAIN_H */
