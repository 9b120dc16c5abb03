/* nonblock/main.c - Host work during long SE operations (tests/proxy/test_nonblocking.py).
 *
 * SysTick fires every NB_TICK cycles and its handler counts. The program issues NB_CALLS
 * psa_hash_compute(SHA-256) calls over NB_DATA bytes (each a long SE operation), reads the
 * tick count before and after each call, and prints
 *
 *     nonblock: calls=<n> ticks_in_calls=<t> ticks_total=<T> status=<s>
 *
 * then exits with 0 (every call returned PSA_SUCCESS with the same digest) or 1. Under TF-M
 * v1.3's blocking proxy the core takes no interrupt while a call waits (at most the one tick
 * pending when it returns is counted per call); with the proxy's non-blocking wait the handler
 * keeps running, so ticks_in_calls grows with the time the SE takes. */
#include "cpu.h"
#include "host_ns.h"
#include "print.h"
#include "psa/client.h"
#include "psa/crypto.h"
#include "regs.h"
#include "scs.h"

#define NB_TICK     2000u           /* SysTick period, Host cycles */
#define NB_CALLS    4u
#define NB_DATA     4096u

static volatile uint32_t ticks;
static uint8_t data[NB_DATA];

void SysTick_Handler(void)
{
    ticks++;
}

int main(void)
{
    uint8_t digest[32], first[32];
    uint32_t in_calls = 0u;
    int32_t status = PSA_SUCCESS;
    int rc = 0;

    ns_board_init();
    for (uint32_t i = 0; i < NB_DATA; i++) {
        data[i] = (uint8_t)(i * 7u + 3u);
    }
    REG32(SYST_RVR) = NB_TICK - 1u;
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = 7u;                           /* enable, interrupt, core clock */

    for (uint32_t c = 0; c < NB_CALLS && rc == 0; c++) {
        size_t len = 0;
        uint32_t before = ticks;
        status = psa_hash_compute(PSA_ALG_SHA_256, data, NB_DATA, digest, sizeof(digest), &len);
        in_calls += ticks - before;
        if (status != PSA_SUCCESS || len != sizeof(digest)) {
            rc = 1;
        } else if (c == 0u) {
            for (unsigned i = 0; i < sizeof(digest); i++) {
                first[i] = digest[i];
            }
        } else {
            for (unsigned i = 0; i < sizeof(digest); i++) {
                rc |= first[i] != digest[i];
            }
        }
    }
    REG32(SYST_CSR) = 0u;

    print_str("nonblock: calls=");
    print_udec(NB_CALLS);
    print_str(" ticks_in_calls=");
    print_udec(in_calls);
    print_str(" ticks_total=");
    print_udec(ticks);
    print_str(" status=");
    print_sdec(status);
    print_nl();
    console_flush();
    return rc;
}
