/* crc/host.c - Host (Cortex-M33) CRC-32 benchmark: release the SE (which runs crc_se.elf),
 * then CRC a 64 KiB buffer crc_passes times, print the result and exit 0. */
#include <stdint.h>

#include "board_host.h"
#include "crc32.h"
#include "print.h"
#include "regs.h"

#define CRC_BUF_SIZE (64u * 1024u)

/* Number of passes; in .data so a harness can patch it in the ELF or in RAM. */
volatile uint32_t crc_passes = CRC_PASSES_DEFAULT;
/* Final CRC, for debuggers and tests. */
volatile uint32_t crc_result;

static uint8_t crc_buf[CRC_BUF_SIZE] __attribute__((aligned(4)));
static uint32_t crc_table[256];

int main(void)
{
    console_init(HOST_UART_BASE);

    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CTRL) |= SCC_AZ_CTRL_DBGRESET_N | SCC_AZ_CTRL_HRESET_N;

    crc_benchmark("host", crc_buf, CRC_BUF_SIZE, crc_table, crc_passes, &crc_result);
    return 0;
}
