/* bench_ipc/main.c - IPC benchmark client (bench/bench_ipc.py).
 *
 * Releases the SE, stores a 64-byte ITS asset (uid 0xB0B), connects ONCE to TFM_ITS_GET
 * (SID 0x71, version 1), then issues bench_calls forwarded
 *
 *     psa_call(h, PSA_IPC_CALL, in_vec[3], 3, out_vec[1], 1)
 *
 * on that connection: in_vec = {uid (8 B), offset (4 B) = 0, 52 bytes of padding} (64 B in;
 * the ITS service checks only in_size[0] == 8 and in_size[1] == 4), out_vec = {64-byte buffer}
 * (64 B out). Each call must return PSA_SUCCESS with out_vec[0].len == 64 and the asset's bytes.
 * Then it closes the connection, prints "bench_ipc: <N> calls ok" (or the first failure) and
 * exits with 0 (all ok) or 1.
 *
 * bench_calls is a volatile word in .data (default 1000). The benchmark changes it after loading
 * the image by writing its LOAD address in flash (the .data image that Reset_Handler copies to
 * RAM), found from the PT_LOAD segment holding the symbol's RAM address. */
#include "host_ns.h"
#include "print.h"
#include "psa/client.h"
#include "psa/internal_trusted_storage.h"
#include "psa_host_sids.h"

#define BENCH_UID       ((psa_storage_uid_t)0xB0Bu)
#define BENCH_LEN       64u
#define BENCH_PAD       52u

/* Number of forwarded psa_call()s; patched at its load address by bench/bench_ipc.py. */
volatile uint32_t bench_calls = 1000u;

static uint32_t asset[BENCH_LEN / 4u];
static uint32_t out_buf[BENCH_LEN / 4u];
static uint8_t pad[BENCH_PAD];

/* "bench_ipc: FAIL <what> at call <i>: expected <e> got <g>", then exit status 1 */
static int fail(const char *what, uint32_t i, int32_t got, int32_t expected)
{
    print_str("bench_ipc: FAIL ");
    print_str(what);
    print_str(" at call ");
    print_udec(i);
    print_str(": expected ");
    print_sdec(expected);
    print_str(" got ");
    print_sdec(got);
    print_nl();
    console_flush();
    return 1;
}

int main(void)
{
    const psa_storage_uid_t uid = BENCH_UID;
    const uint32_t offset = 0u;
    const psa_invec in_vec[3] = {{&uid, sizeof(uid)}, {&offset, sizeof(offset)}, {pad, BENCH_PAD}};
    psa_outvec out_vec[1] = {{out_buf, BENCH_LEN}};
    uint32_t n = bench_calls;

    ns_board_init();
    for (uint32_t w = 0; w < BENCH_LEN / 4u; w++) {
        asset[w] = 0x9E3779B9u * (w + 1u);
    }
    for (uint32_t b = 0; b < BENCH_PAD; b++) {
        pad[b] = (uint8_t)(0xA0u + b);
    }

    psa_status_t st = psa_its_set(uid, BENCH_LEN, asset, PSA_STORAGE_FLAG_NONE);
    if (st != PSA_SUCCESS) {
        return fail("psa_its_set", 0u, st, PSA_SUCCESS);
    }
    psa_handle_t h = psa_connect(SID_ITS_GET, SID_VERSION);
    if (!PSA_HANDLE_IS_VALID(h)) {
        return fail("psa_connect(TFM_ITS_GET) handle (any > 0)", 0u, h, 1);
    }

    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t w = 0; w < BENCH_LEN / 4u; w++) {
            out_buf[w] = 0u;
        }
        out_vec[0].len = BENCH_LEN;
        st = psa_call(h, PSA_IPC_CALL, in_vec, 3u, out_vec, 1u);
        if (st != PSA_SUCCESS) {
            psa_close(h);
            return fail("status", i, st, PSA_SUCCESS);
        }
        if (out_vec[0].len != BENCH_LEN) {
            psa_close(h);
            return fail("out_vec[0].len", i, (int32_t)out_vec[0].len, BENCH_LEN);
        }
        for (uint32_t w = 0; w < BENCH_LEN / 4u; w++) {
            if (out_buf[w] != asset[w]) {
                psa_close(h);
                return fail("data (first differing word as signed)", i, (int32_t)out_buf[w],
                            (int32_t)asset[w]);
            }
        }
    }
    psa_close(h);

    print_str("bench_ipc: ");
    print_udec(n);
    print_str(" calls ok\n");
    console_flush();
    return 0;
}
