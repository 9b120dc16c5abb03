/* lib/ns_board.c - board bring-up of the non-secure Host images. */
#include "host_ns.h"

#include "board_host.h"
#include "print.h"
#include "regs.h"

void ns_board_init(void)
{
    console_init(HOST_UART_NS_BASE);
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CTRL) |= SCC_AZ_CTRL_DBGRESET_N | SCC_AZ_CTRL_HRESET_N;
}
