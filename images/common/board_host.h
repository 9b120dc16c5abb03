/* board_host.h - Musca-B1 Host (SSE-200 Cortex-M33) addresses used by the images,
 * as the psaemu board model (platform/boards/musca_b1.toml) defines them. */
#ifndef IMAGES_BOARD_HOST_H
#define IMAGES_BOARD_HOST_H

#define HOST_UART_BASE          0x50102000u     /* PL011 (UART1, secure alias) */

#define HOST_SCC_BASE           0x5010B000u     /* Serial Configuration Control */
#define SCC_AZ_CTRL             0x200u          /* SE (CryptoIsland) control */
#define SCC_AZ_CTRL_DBGRESET_N  (1u << 7)
#define SCC_AZ_CTRL_HRESET_N    (1u << 8)

#define HOST_MHU_TO_SE_SENDER   0x52600000u     /* Host->SE sender frame (its IRQs unused) */
#define HOST_MHU_FROM_SE_RECV   0x52700000u     /* SE->Host receiver frame */

#define HOST_IRQ_MHU_FROM_SE_MSG0   87          /* receiver ch0 status != 0 (level) */
#define HOST_IRQ_MHU_FROM_SE_COMB   89          /* receiver combined (level) */

/* Host physical address of the shared window and the offset to the SE's view of it. */
#define HOST_SHARED_BASE        0x1A408000u
#define HOST_SHARED_SIZE        0x00078000u

#endif /* IMAGES_BOARD_HOST_H */
