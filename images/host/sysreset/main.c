/* sysreset/main.c - call tfm_platform_system_reset() as a non-secure client.
 * In TF-M v1.3 the SE resets itself and never replies, so the call is expected never to
 * return (the run ends on a timeout). */
#include "host_ns.h"
#include "print.h"
#include "tfm_platform_api.h"

int main(void)
{
    ns_board_init();
    print_str("sysreset: calling tfm_platform_system_reset\n");
    enum tfm_platform_err_t err = tfm_platform_system_reset();
    print_str("sysreset: returned ");
    print_udec((uint32_t)err);
    print_nl();
    console_flush();
    return 0;
}
