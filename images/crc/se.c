/* crc/se.c - Secure Enclave (Cortex-M0+) CRC-32 benchmark: CRC a 32 KiB buffer crc_passes
 * times, print the result, then sleep forever. */
#include <stdint.h>

#include "board_se.h"
#include "cpu.h"
#include "crc32.h"
#include "print.h"

#define CRC_BUF_SIZE (32u * 1024u)

/* Number of passes; in .data so a harness can patch it in the ELF or in RAM. */
volatile uint32_t crc_passes = CRC_PASSES_DEFAULT;
/* Final CRC, for debuggers and tests. */
volatile uint32_t crc_result;

static uint8_t crc_buf[CRC_BUF_SIZE] __attribute__((aligned(4)));
static uint32_t crc_table[256];

int main(void)
{
    console_init(SE_UART_BASE);

    crc_benchmark("se", crc_buf, CRC_BUF_SIZE, crc_table, crc_passes, &crc_result);

    for (;;) {
        cpu_wfi();
    }
}
