/* its_probe/main.c - print the persistent ITS asset (uid 0x5EED) as
 * "DATA its_persist <hex>" or "DATA its_persist MISSING", then exit 0. */
#include "host_ns.h"
#include "print.h"

int main(void)
{
    ns_board_init();
    (void)its_persist_report();
    console_flush();
    return 0;
}
