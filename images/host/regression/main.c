/* regression/main.c - PSA client regression suite, run as a non-secure Host client.
 *
 * Prints one "TEST <suite>.<name> PASS|FAIL <detail>|SKIP" line per test, a few
 * "DATA ..." lines, then "regression: <N> tests, <F> failures" (N counts PASS + FAIL, not
 * SKIP) and exits with F. */
#include "host_ns.h"
#include "print.h"
#include "test.h"

int main(void)
{
    ns_board_init();

    suite_client();
    suite_its();
    suite_ps();
    suite_crypto();
    suite_crypto_families();
    suite_attest();
    suite_platform();
    suite_secure();

    return t_summary("regression");
}
