/* s_image.c - the secure image of own_proxy_host, where TF-M's S image sits on Musca-B1
 * (0x1A260400, the vector table address the SE sends at boot). BL0 (bl0.c) boots it; it brings
 * up the PSA Proxy (psa_proxy_sp_init: IPC_SYNC_MAGIC and the queue handshake), then acts as a
 * client of the proxy: psa_framework_version answered locally, ITS set + get of one uid
 * (CONNECT/CALL/CLOSE each) and a SHA-256 through Crypto, every result checked.
 *
 * Output: "own_proxy: <check> ok" or "own_proxy: <check> FAIL expected <x> got <y>", the
 * digest as "own_proxy: sha256(abc) <hex>", then "own_proxy: <n> checks, <f> failures";
 * exit status = f. The image was linked in one piece
 * with BL0, whose startup already initialised .data and .bss. */
#include <stdint.h>

#include "board_host.h"
#include "own_proxy.h"
#include "print.h"
#include "psa/crypto.h"
#include "psa/storage_common.h"
#include "psa_host_sids.h"
#include "regs.h"
#include "scs.h"
#include "semihost.h"
#include "startup.h"
#include "../psa/crypto_pack.h"

#define ITS_UID             ((psa_storage_uid_t)0x0B1Du)
#define ITS_FLAGS_NONE      0u

static unsigned checks, failures;

static void check(const char *what, int32_t got, int32_t want)
{
    checks++;
    print_str("own_proxy: ");
    print_str(what);
    if (got == want) {
        print_str(" ok\n");
        return;
    }
    failures++;
    print_str(" FAIL expected ");
    print_sdec(want);
    print_str(" got ");
    print_sdec(got);
    print_nl();
}

/* connect -> call -> close, as TF-M v1.3's client library does for every API call. */
static psa_status_t request(uint32_t sid, const psa_invec *in_vec, size_t in_len,
                            psa_outvec *out_vec, size_t out_len)
{
    psa_handle_t h = psa_proxy_connect(sid, SID_VERSION);
    if (h <= 0) {
        return h < 0 ? h : PSA_ERROR_GENERIC_ERROR;
    }
    psa_status_t status = psa_proxy_call(h, in_vec, in_len, out_vec, out_len);
    psa_proxy_close(h);
    return status;
}

static void check_its(void)
{
    static const char data[] = "own_proxy_host ITS data";
    const psa_storage_uid_t uid = ITS_UID;
    const uint32_t flags = ITS_FLAGS_NONE;
    const uint32_t offset = 0u;
    char back[64];

    const psa_invec set_in[3] = { { &uid, sizeof(uid) }, { data, sizeof(data) }, { &flags, sizeof(flags) } };
    check("its_set", request(SID_ITS_SET, set_in, 3, NULL, 0), PSA_SUCCESS);

    const psa_invec get_in[2] = { { &uid, sizeof(uid) }, { &offset, sizeof(offset) } };
    psa_outvec get_out[1] = { { back, sizeof(back) } };
    check("its_get", request(SID_ITS_GET, get_in, 2, get_out, 1), PSA_SUCCESS);
    check("its_get_length", (int32_t)get_out[0].len, (int32_t)sizeof(data));
    check("its_get_data", __builtin_memcmp(back, data, sizeof(data)) == 0, 1);
}

static void check_sha256(void)
{
    /* FIPS 180-2 appendix B.1: SHA-256("abc") */
    static const uint8_t expect[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    const struct tfm_crypto_pack_iovec iov = { .sfn_id = CRYPTO_SFN_HASH_COMPUTE, .alg = PSA_ALG_SHA_256 };
    uint8_t hash[32];

    const psa_invec in[2] = { { &iov, sizeof(iov) }, { "abc", 3 } };
    psa_outvec out[1] = { { hash, sizeof(hash) } };
    check("sha256", request(SID_CRYPTO, in, 2, out, 1), PSA_SUCCESS);
    check("sha256_length", (int32_t)out[0].len, (int32_t)sizeof(hash));
    check("sha256_digest", __builtin_memcmp(hash, expect, sizeof(hash)) == 0, 1);
    print_str("own_proxy: sha256(abc) ");
    print_hex_bytes(hash, out[0].len);
    print_nl();
}

static int s_image_main(void)
{
    console_init(HOST_UART_BASE);
    print_str("own_proxy: S image up\n");

    psa_status_t status = psa_proxy_sp_init();
    check("proxy_init", status, PSA_SUCCESS);
    if (status == PSA_SUCCESS) {
        print_str("own_proxy: mailbox ready, queue at 0x");
        print_hex32((uint32_t)psa_proxy_shared_base());
        print_nl();
        check("framework_version", (int32_t)psa_proxy_framework_version(), (int32_t)PSA_FRAMEWORK_VERSION);
        check_its();
        check_sha256();
    }

    print_str("own_proxy: ");
    print_udec(checks);
    print_str(" checks, ");
    print_udec(failures);
    print_str(" failures\n");
    console_flush();
    return (int)failures;
}

__attribute__((noreturn)) static void s_image_reset(void)
{
    extern const vector_t s_image_vectors[];
    REG32(SCB_VTOR) = (uint32_t)(uintptr_t)s_image_vectors;
    semihost_exit((uint32_t)s_image_main());
}

/* The S image's vector table: MSP and reset; every exception goes to the common default. */
__attribute__((section(".s_image_vectors"), used))
const vector_t s_image_vectors[16] = {
    (vector_t)(uintptr_t)__StackTop, s_image_reset,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, 0, 0, 0, Default_Handler, Default_Handler, 0, Default_Handler,
    Default_Handler,
};
