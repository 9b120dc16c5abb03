/* multicall/main.c - forwarded calls from the thread and from an interrupt handler at once
 * (tests/proxy/test_multicall.py, docs/proxy.md "Several calls in flight").
 *
 * The thread stores an ITS asset (uid A), starts SysTick (every MC_TICK cycles, priority below
 * SVCall so its handler may issue SVCs), then makes MC_THREAD_CALLS psa_hash_compute(SHA-256)
 * calls over MC_DATA bytes (each a long SE operation) and checks every digest against the
 * known SHA-256 of the data. Every MC_EVERY-th tick, the SysTick handler makes a psa_its_get,
 * alternately of uid A (checked: PSA_SUCCESS, the stored length and bytes) and of uid B, which is
 * never stored (checked: PSA_ERROR_DOES_NOT_EXIST), until it has made MC_HANDLER_CALLS. The thread then waits for the handler to finish and prints
 *
 *     multicall: thread_calls=<n> thread_ok=<n> handler_calls=<h> handler_ok=<h>
 *
 * exiting with 0 when every call returned the expected data, else 1. With TF-M v1.3's
 * blocking proxy the core takes no interrupt while a call waits, so the handler's calls come
 * between or after the thread's; with the proxy's non-blocking wait and several mailbox slots,
 * a handler call is in flight in one slot while the thread's hash waits in another. */
#include "cpu.h"
#include "host_ns.h"
#include "print.h"
#include "psa/client.h"
#include "psa/crypto.h"
#include "psa/internal_trusted_storage.h"
#include "regs.h"
#include "scs.h"

#define MC_TICK             2000u       /* SysTick period, Host cycles */
#define MC_EVERY            2u          /* the handler calls on every 2nd tick */
#define MC_THREAD_CALLS     4u
#define MC_HANDLER_CALLS    8u
#define MC_DATA             4096u
#define MC_UID_A            ((psa_storage_uid_t)0x4D01u)
#define MC_UID_B            ((psa_storage_uid_t)0x4D02u)   /* never stored */
#define MC_LEN_A            32u
#define SYSTICK_PRIO_SHIFT  24u         /* SHPR3[31:24]: SysTick's priority */
#define SYSTICK_PRIO        0x80u       /* below SVCall (0): an SVC in the handler is taken */

/* SHA-256 of data[i] = (uint8_t)(i * 7 + 3), i < 4096 (computed independently of the SE). */
static const uint8_t expected_digest[32] = {
    0x74, 0x86, 0xda, 0x8f, 0x1e, 0x13, 0x94, 0x3f, 0xae, 0x21, 0xa0, 0xb0, 0x43, 0xf1, 0xe9, 0x96,
    0x40, 0xd7, 0xd8, 0xeb, 0xaf, 0xb2, 0x52, 0x66, 0x47, 0x8b, 0x5c, 0xdd, 0xae, 0x12, 0x72, 0xb5,
};

static uint8_t data[MC_DATA];
static uint8_t asset_a[MC_LEN_A];
static volatile uint32_t ticks;
static volatile uint32_t handler_calls;
static volatile uint32_t handler_ok;

static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

/* One psa_its_get: uid A (even n) gives the stored bytes, uid B (odd n) does not exist. */
static int handler_get(uint32_t n)
{
    uint8_t buf[MC_LEN_A + 8u];
    size_t len = 0;

    if (n & 1u) {
        return psa_its_get(MC_UID_B, 0, sizeof(buf), buf, &len) == PSA_ERROR_DOES_NOT_EXIST;
    }
    psa_status_t s = psa_its_get(MC_UID_A, 0, sizeof(buf), buf, &len);
    return s == PSA_SUCCESS && len == MC_LEN_A && same(buf, asset_a, MC_LEN_A);
}

void SysTick_Handler(void)
{
    ticks++;
    if (ticks % MC_EVERY != 0u || handler_calls >= MC_HANDLER_CALLS) {
        return;
    }
    handler_ok += (uint32_t)handler_get(handler_calls);
    handler_calls++;
}

int main(void)
{
    uint32_t thread_ok = 0u;

    ns_board_init();
    for (uint32_t i = 0; i < MC_DATA; i++) {
        data[i] = (uint8_t)(i * 7u + 3u);
    }
    for (uint32_t i = 0; i < MC_LEN_A; i++) {
        asset_a[i] = (uint8_t)(i ^ 0x5Au);
    }
    if (psa_its_set(MC_UID_A, MC_LEN_A, asset_a, 0) != PSA_SUCCESS) {
        print_str("multicall: psa_its_set failed");
        print_nl();
        console_flush();
        return 1;
    }
    REG32(SCB_SHPR3) = (REG32(SCB_SHPR3) & ~(0xFFu << SYSTICK_PRIO_SHIFT)) |
                       (SYSTICK_PRIO << SYSTICK_PRIO_SHIFT);
    REG32(SYST_RVR) = MC_TICK - 1u;
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = 7u;                           /* enable, interrupt, core clock */

    for (uint32_t c = 0; c < MC_THREAD_CALLS; c++) {
        uint8_t digest[32];
        size_t len = 0;
        psa_status_t s = psa_hash_compute(PSA_ALG_SHA_256, data, MC_DATA, digest, sizeof(digest), &len);
        thread_ok += (uint32_t)(s == PSA_SUCCESS && len == sizeof(digest) &&
                                same(digest, expected_digest, sizeof(digest)));
    }
    while (handler_calls < MC_HANDLER_CALLS) {
        cpu_wfi();                              /* SysTick is periodic: the next tick wakes it */
    }
    REG32(SYST_CSR) = 0u;

    print_str("multicall: thread_calls=");
    print_udec(MC_THREAD_CALLS);
    print_str(" thread_ok=");
    print_udec(thread_ok);
    print_str(" handler_calls=");
    print_udec(handler_calls);
    print_str(" handler_ok=");
    print_udec(handler_ok);
    print_nl();
    console_flush();
    return thread_ok == MC_THREAD_CALLS && handler_ok == MC_HANDLER_CALLS ? 0 : 1;
}
