/* board_host.h - Host-side addresses used by the images. By default the Musca-B1 Host (SSE-200
 * Cortex-M33) as the psaemu board model (platform/system/boards/musca_b1.toml) defines it; a build for
 * another board passes -DBOARD_HOST_HEADER='"board_<name>.h"' (images/Makefile), and that
 * header defines the same names instead (see board_tiny_main.h). */
#ifndef IMAGES_BOARD_HOST_H
#define IMAGES_BOARD_HOST_H

#ifdef BOARD_HOST_HEADER
#include BOARD_HOST_HEADER
#else

#define HOST_UART_BASE          0x50102000u     /* PL011 (UART1, secure alias) */

#define HOST_SCC_BASE           0x5010B000u     /* Serial Configuration Control */
#define SCC_AZ_CTRL             0x200u          /* SE (CryptoIsland) control */
#define SCC_AZ_CTRL_DBGRESET_N  (1u << 7)
#define SCC_AZ_CTRL_HRESET_N    (1u << 8)
#define SCC_AZ_CTRL_BOOT_REMAP  (1u << 0)
/* SE boot remap windows (what TF-M v1.3.0's bl0_main.c:56-68 programs) */
#define SCC_AZ_CPU_VTOR         0x064u          /* rom | code << 8 | sys << 16 (window bases) */
#define SCC_AZ_ROM_REMAP_MASK   0x1E4u
#define SCC_AZ_ROM_REMAP_OFFSET 0x1E8u
#define SCC_AZ_CODE_REMAP_MASK  0x1ECu
#define SCC_AZ_CODE_REMAP_OFFSET 0x1F0u
#define SCC_AZ_SYS_REMAP_MASK   0x1F4u
#define SCC_AZ_SYS_REMAP_OFFSET 0x1F8u

#define HOST_MHU_TO_SE_SENDER   0x52600000u     /* Host->SE sender frame (its IRQs unused) */
#define HOST_MHU_FROM_SE_RECV   0x52700000u     /* SE->Host receiver frame */

#define HOST_IRQ_MHU_FROM_SE_MSG0   87          /* receiver ch0 status != 0 (level) */
#define HOST_IRQ_MHU_FROM_SE_COMB   89          /* receiver combined (level) */

/* Host physical address of the shared window and the offset to the SE's view of it. */
#define HOST_SHARED_BASE        0x1A408000u
#define HOST_SHARED_SIZE        0x00078000u

/* 0: the SE is held in reset until the Host releases it through the SCC (HOST_SCC_BASE);
 * 1: the SE runs from power-on and the board has no SCC. */
#define BOARD_SE_RUNS_FROM_RESET    0

#endif /* BOARD_HOST_HEADER */

/* Name of the vector-table entry (common/startup_*.c) of external interrupt n, given as a
 * board macro holding a plain decimal number: IRQ_HANDLER(HOST_IRQ_MHU_FROM_SE_COMB). */
#ifndef IRQ_HANDLER
#define IRQ_HANDLER_(n)         IRQ##n##_Handler
#define IRQ_HANDLER(n)          IRQ_HANDLER_(n)
#endif

#endif /* IMAGES_BOARD_HOST_H */
