/* lib/ns_board.c - board bring-up of the non-secure Host images.
 *
 * Only Non-secure peripherals are touched: the SCC that releases the SE is Secure-only on
 * Musca-B1 (Non-secure accesses to it fault), so the Host's secure side (TF-M's BL0; psaemu
 * plays it when it models that side) releases the SE before any client runs. */
#include "host_ns.h"

#include "print.h"

void ns_board_init(void)
{
    console_init(HOST_UART_NS_BASE);
}
