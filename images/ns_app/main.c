/* ns_app/main.c - a Non-secure application written the way TF-M's NS applications are: it uses
 * the PSA client API (veneers/psa_ns_api.c, over the secure veneers of prebuilt/s_veneers.o) and
 * the ITS, PS, Crypto and Initial Attestation client APIs on top of it, and never issues an SVC
 * itself. It does not release the Secure Enclave and reserves no proxy memory: the secure side
 * (psaemu's Host SPM + PSA Proxy, and BL0) does that.
 *
 * Prints "TEST ns_app.<name> PASS|FAIL <detail>" per test, then
 * "ns_app: <N> tests, <F> failures", and exits with F (semihosting). */
#include "host_ns.h"
#include "print.h"
#include "psa/client.h"
#include "psa/crypto.h"
#include "psa/initial_attestation.h"
#include "psa/internal_trusted_storage.h"
#include "psa/protected_storage.h"
#include "psa_host_sids.h"
#include "test.h"

#define S "ns_app"

#define ITS_UID     ((psa_storage_uid_t)0x4E5A0001u)
#define PS_UID      ((psa_storage_uid_t)0x4E5A0002u)
#define SHA256_LEN  32u
#define TOKEN_MAX   0x250u      /* PSA_INITIAL_ATTEST_TOKEN_MAX_SIZE of the TF-M v1.3 Musca-B1 build */
#define COSE_MAC0_TAG_BYTE  0xD1u   /* CBOR tag 17: symmetric-key (HMAC) token */
#define COSE_SIGN1_TAG_BYTE 0xD2u   /* CBOR tag 18: signed token */

static const uint8_t asset[] = "stored through the veneers";
static uint8_t buf[sizeof(asset)];
static uint8_t token[TOKEN_MAX];

static void t_client(void)
{
    t_one_hex(S, "framework_version", "psa_framework_version()", psa_framework_version(),
              PSA_FRAMEWORK_VERSION);
    t_one_hex(S, "version_its", "psa_version(ITS set)", psa_version(SID_ITS_SET), SID_VERSION);
    t_one_hex(S, "version_unknown_sid", "psa_version(0xDEAD)", psa_version(0xDEADu), PSA_VERSION_NONE);

    /* A Non-secure caller's programmer error is a status, not a panic. */
    psa_outvec out = { buf, sizeof(buf) };
    t_one_status(S, "call_invalid_handle", "psa_call(handle 0x7FFF)",
                 psa_call((psa_handle_t)0x7FFF, PSA_IPC_CALL, NULL, 0u, &out, 1u),
                 PSA_ERROR_PROGRAMMER_ERROR);
}

/* set -> get -> compare -> remove -> get again (DOES_NOT_EXIST), for ITS or PS */
typedef psa_status_t (*set_fn)(psa_storage_uid_t, size_t, const void *, psa_storage_create_flags_t);
typedef psa_status_t (*get_fn)(psa_storage_uid_t, size_t, size_t, void *, size_t *);
typedef psa_status_t (*remove_fn)(psa_storage_uid_t);

static void t_storage(const char *name, psa_storage_uid_t uid, set_fn set, get_fn get, remove_fn rm)
{
    size_t len = 0u;

    t_begin(S, name);
    if (t_expect_status("set", set(uid, sizeof(asset), asset, 0u), PSA_SUCCESS) &&
        t_expect_status("get", get(uid, 0u, sizeof(buf), buf, &len), PSA_SUCCESS) &&
        t_expect_size("get length", (uint32_t)len, sizeof(asset)) &&
        t_expect_bytes("data read back", buf, asset, sizeof(asset)) &&
        t_expect_status("remove", rm(uid), PSA_SUCCESS)) {
        t_expect_status("get after remove", get(uid, 0u, sizeof(buf), buf, &len), PSA_ERROR_DOES_NOT_EXIST);
    }
    t_end();
}

static void t_crypto(void)
{
    static const uint8_t abc[3] = { 'a', 'b', 'c' };
    /* SHA-256("abc"), FIPS 180-2 appendix B.1 */
    static const uint8_t sha256_abc[SHA256_LEN] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    uint8_t hash[SHA256_LEN];
    size_t len = 0u;

    t_begin(S, "sha256_abc");
    if (t_expect_status("psa_crypto_init", psa_crypto_init(), PSA_SUCCESS) &&
        t_expect_status("psa_hash_compute", psa_hash_compute(PSA_ALG_SHA_256, abc, sizeof(abc), hash,
                                                             sizeof(hash), &len), PSA_SUCCESS) &&
        t_expect_size("hash length", (uint32_t)len, SHA256_LEN)) {
        t_expect_digest("SHA-256(\"abc\")", hash, sha256_abc, SHA256_LEN);
    }
    t_end();
}

static void t_attest(void)
{
    uint8_t challenge[PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32];
    size_t expected = 0u, size = 0u;

    fill_pattern(challenge, sizeof(challenge), 0x4E5u);
    t_begin(S, "attest_token_32");
    if (t_expect_status("psa_initial_attest_get_token_size",
                        psa_initial_attest_get_token_size(sizeof(challenge), &expected), PSA_SUCCESS) &&
        t_expect_status("psa_initial_attest_get_token",
                        psa_initial_attest_get_token(challenge, sizeof(challenge), token, sizeof(token), &size),
                        PSA_SUCCESS) &&
        t_expect_size("token size = get_token_size", (uint32_t)size, (uint32_t)expected)) {
        t_expect_true("token starts with the COSE_Mac0 or COSE_Sign1 tag",
                      token[0] == COSE_MAC0_TAG_BYTE || token[0] == COSE_SIGN1_TAG_BYTE);
    }
    t_end();
}

int main(void)
{
    console_init(HOST_UART_NS_BASE);

    t_client();
    t_storage("its_round_trip", ITS_UID, psa_its_set, psa_its_get, psa_its_remove);
    t_storage("ps_round_trip", PS_UID, psa_ps_set, psa_ps_get, psa_ps_remove);
    t_crypto();
    t_attest();

    return t_summary("ns_app");
}
