/* regression/t_attest.c - suite "attest": initial attestation token, token size and the IAK
 * public key. The SE makes asymmetric tokens (COSE_Sign1, TF-M v1.3's default) or, on a board
 * set up for it, symmetric ones (COSE_Mac0): the tests take the kind from the first token and
 * check what that kind implies. */
#include "print.h"
#include "psa/crypto.h"
#include "psa/initial_attestation.h"
#include "test.h"

#define S "attest"

#define CBOR_TAG_COSE_MAC0      0xD1u   /* major type 6, tag 17: the symmetric (HMAC) token */
#define CBOR_TAG_COSE_SIGN1     0xD2u   /* major type 6, tag 18: the asymmetric (ES256) token */
#define SMALL_TOKEN_BUF         16u
#define IAK_PUBLIC_KEY_SIZE     65u     /* 0x04 || X || Y, P-256 */
#define UEID_SIZE               33u     /* 0x01 || SHA-256(IAK public key) */

static uint8_t challenge[PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64];
static uint8_t token[PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE];
static size_t token_size_for[3];        /* get_token_size results for 32, 48, 64 */
static uint8_t token_tag;               /* first byte of the first token: Sign1 or Mac0 */

static unsigned size_index(size_t challenge_size)
{
    return (unsigned)(challenge_size / 16u) - 2u;   /* 32 -> 0, 48 -> 1, 64 -> 2 */
}

/* 1 if needle[0..n) occurs in hay[0..len) */
static int contains(const uint8_t *hay, size_t len, const uint8_t *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++) {
        size_t j = 0;
        while (j < n && hay[i + j] == needle[j]) {
            j++;
        }
        if (j == n) {
            return 1;
        }
    }
    return 0;
}

static void t_get_token_size(const char *name, size_t challenge_size)
{
    size_t size = 0u;

    t_begin(S, name);
    if (t_expect_status("psa_initial_attest_get_token_size",
                        psa_initial_attest_get_token_size(challenge_size, &size), PSA_SUCCESS)) {
        t_expect_true("token size > 0", size > 0u);
        t_expect_true("token size <= 0x400", size <= PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE);
    }
    token_size_for[size_index(challenge_size)] = size;
    t_end();
}

static void t_get_token(const char *name, size_t challenge_size)
{
    size_t size = 0u;

    t_begin(S, name);
    for (size_t i = 0; i < sizeof(token); i++) {
        token[i] = 0u;
    }
    psa_status_t st = psa_initial_attest_get_token(challenge, challenge_size, token, sizeof(token),
                                                   &size);
    if (t_expect_status("psa_initial_attest_get_token", st, PSA_SUCCESS) &&
        t_expect_true("token size <= buffer size", size <= sizeof(token))) {
        if (challenge_size == PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64) {
            print_str("DATA token64 ");
            print_hex_bytes(token, size);
            print_nl();
        }
        t_expect_size("token size = get_token_size", (uint32_t)size,
                      (uint32_t)token_size_for[size_index(challenge_size)]);
        if (token_tag == 0u && size > 0u) {
            token_tag = token[0];
        }
        t_expect_true("first byte: CBOR tag 18 (COSE_Sign1) or 17 (COSE_Mac0)",
                      size > 0u && (token[0] == CBOR_TAG_COSE_SIGN1 || token[0] == CBOR_TAG_COSE_MAC0));
        t_expect_hex("the same kind as the first token", size > 0u ? token[0] : 0u, token_tag);
        t_expect_true("the token contains the challenge",
                      contains(token, size, challenge, challenge_size));
    }
    t_end();
}

static void t_get_token_buffer_too_small(void)
{
    size_t size = 0xDEADu;

    t_begin(S, "get_token_buffer_too_small");
    t_expect_status("psa_initial_attest_get_token(buffer 16 bytes)",
                    psa_initial_attest_get_token(challenge, PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64,
                                                 token, SMALL_TOKEN_BUF, &size),
                    PSA_ERROR_BUFFER_TOO_SMALL);
    t_expect_hex("token_size untouched on error", (uint32_t)size, 0xDEADu);
    t_end();
}

/* Asymmetric: the key is 65 bytes on SECP_R1 and the token's instance id is 0x01 ||
 * SHA-256(key) (hashed by the SE's Crypto service). Symmetric: PSA_ERROR_NOT_SUPPORTED. */
static void t_get_public_key(void)
{
    static uint8_t key[IAK_PUBLIC_KEY_SIZE + 3u];
    uint8_t ueid[UEID_SIZE];
    size_t key_len = 0xDEADu, hash_len = 0u;
    psa_ecc_family_t curve = 0u;
    psa_status_t st;

    t_begin(S, "get_public_key");
    st = tfm_initial_attest_get_public_key(key, sizeof(key), &key_len, &curve);
    if (token_tag == CBOR_TAG_COSE_MAC0) {
        t_expect_status("tfm_initial_attest_get_public_key (symmetric IAK)", st, PSA_ERROR_NOT_SUPPORTED);
    } else if (t_expect_status("tfm_initial_attest_get_public_key", st, PSA_SUCCESS)) {
        t_expect_size("key length", (uint32_t)key_len, IAK_PUBLIC_KEY_SIZE);
        t_expect_hex("curve PSA_ECC_FAMILY_SECP_R1", curve, PSA_ECC_FAMILY_SECP_R1);
        t_expect_hex("uncompressed point", key[0], 0x04u);
        ueid[0] = 0x01u;
        if (t_expect_status("psa_hash_compute(SHA-256, key)",
                            psa_hash_compute(PSA_ALG_SHA_256, key, IAK_PUBLIC_KEY_SIZE, ueid + 1,
                                             sizeof(ueid) - 1u, &hash_len), PSA_SUCCESS)) {
            t_expect_true("the last token holds the instance id 0x01 || SHA-256(key)",
                          contains(token, token_size_for[2], ueid, sizeof(ueid)));
        }
    }
    t_end();
}

static void t_get_public_key_buffer_too_small(void)
{
    static uint8_t key[IAK_PUBLIC_KEY_SIZE];
    size_t key_len = 0u;
    psa_ecc_family_t curve = 0u;

    t_begin(S, "get_public_key_buffer_too_small");
    if (token_tag == CBOR_TAG_COSE_MAC0) {
        t_end_skip();                   /* no public key at all */
        return;
    }
    t_expect_status("tfm_initial_attest_get_public_key(64-byte buffer)",
                    tfm_initial_attest_get_public_key(key, IAK_PUBLIC_KEY_SIZE - 1u, &key_len, &curve),
                    PSA_ERROR_BUFFER_TOO_SMALL);
    t_end();
}

void suite_attest(void)
{
    size_t size = 0u;

    for (unsigned i = 0; i < sizeof(challenge); i++) {
        challenge[i] = (uint8_t)(i + 1u);
    }
    t_get_token_size("get_token_size_32", PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32);
    t_get_token_size("get_token_size_48", PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48);
    t_get_token_size("get_token_size_64", PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64);
    t_get_token("get_token_32", PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32);
    t_get_token("get_token_48", PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48);
    t_get_token("get_token_64", PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64);
    t_one_status(S, "get_token_bad_challenge", "psa_initial_attest_get_token(challenge 20 bytes)",
                 psa_initial_attest_get_token(challenge, 20u, token, sizeof(token), &size),
                 PSA_ERROR_INVALID_ARGUMENT);
    t_one_status(S, "get_token_size_bad_challenge", "psa_initial_attest_get_token_size(20)",
                 psa_initial_attest_get_token_size(20u, &size), PSA_ERROR_INVALID_ARGUMENT);
    t_get_token_buffer_too_small();
    t_get_public_key();
    t_get_public_key_buffer_too_small();
}
