/* idle/main.c - bring the board up (console, release the SE), print "idle: host parked in WFI"
 * and sleep in WFI forever with no interrupt enabled: a Host that leaves the SE and the PSA
 * Proxy to scripted clients (psaemu.proxy.client). */
#include "cpu.h"
#include "host_ns.h"
#include "print.h"

int main(void)
{
    ns_board_init();
    print_str("idle: host parked in WFI\n");
    console_flush();
    for (;;) {
        cpu_wfi();
    }
}
