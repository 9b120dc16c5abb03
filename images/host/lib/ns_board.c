/* lib/ns_board.c - board bring-up and printing helpers of the non-secure Host images. */
#include "host_ns.h"

#include "board_host.h"
#include "print.h"
#include "regs.h"

void ns_board_init(void)
{
    console_init(HOST_UART_NS_BASE);
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CTRL) |= SCC_AZ_CTRL_DBGRESET_N | SCC_AZ_CTRL_HRESET_N;
}

void print_hex_bytes(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        print_char(digits[p[i] >> 4]);
        print_char(digits[p[i] & 0xFu]);
    }
}

void print_sdec(int32_t v)
{
    if (v < 0) {
        print_char('-');
        print_udec(0u - (uint32_t)v);
    } else {
        print_udec((uint32_t)v);
    }
}
