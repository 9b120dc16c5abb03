/* regression/t_crypto.c - suite "crypto": hash, HMAC, key import/export/destroy, random. */
#include "print.h"
#include "psa/crypto.h"
#include "test.h"

#define S "crypto"

#define SHA256_LEN      32u
#define BIG_LEN         4096u

/* Input of n bytes: byte i = (i*7+3) & 0xFF (the first n bytes of big[]). */
static uint8_t big[BIG_LEN];

/* SHA-256 of big[0..n) for n = 0, 1, 64, 4096, computed on the build host with Python:
 *   hashlib.sha256(bytes((i*7+3) & 0xFF for i in range(n))).hexdigest() */
static const uint8_t sha256_0[SHA256_LEN] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};
static const uint8_t sha256_1[SHA256_LEN] = {
    0x08, 0x4f, 0xed, 0x08, 0xb9, 0x78, 0xaf, 0x4d, 0x7d, 0x19, 0x6a, 0x74, 0x46, 0xa8, 0x6b, 0x58,
    0x00, 0x9e, 0x63, 0x6b, 0x61, 0x1d, 0xb1, 0x62, 0x11, 0xb6, 0x5a, 0x9a, 0xad, 0xff, 0x29, 0xc5,
};
static const uint8_t sha256_64[SHA256_LEN] = {
    0x39, 0xe3, 0xd7, 0xb6, 0xb5, 0xd0, 0x75, 0xd3, 0x7d, 0x05, 0x3a, 0xd8, 0x9b, 0x24, 0xb4, 0x1b,
    0xef, 0x4f, 0x3c, 0x29, 0x76, 0x0c, 0x84, 0x44, 0x7c, 0xab, 0x3f, 0x3b, 0xe1, 0x88, 0x22, 0x41,
};
static const uint8_t sha256_4096[SHA256_LEN] = {
    0x74, 0x86, 0xda, 0x8f, 0x1e, 0x13, 0x94, 0x3f, 0xae, 0x21, 0xa0, 0xb0, 0x43, 0xf1, 0xe9, 0x96,
    0x40, 0xd7, 0xd8, 0xeb, 0xaf, 0xb2, 0x52, 0x66, 0x47, 0x8b, 0x5c, 0xdd, 0xae, 0x12, 0x72, 0xb5,
};

/* RFC 4231 test case 2: HMAC-SHA-256, key "Jefe" */
static const uint8_t hmac_key[4] = {'J', 'e', 'f', 'e'};
static const char hmac_msg[] = "what do ya want for nothing?";
#define HMAC_MSG_LEN    (sizeof(hmac_msg) - 1u)
#define HMAC_SPLIT      11u
static const uint8_t hmac_expected[SHA256_LEN] = {
    0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
    0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
};

/* hash_compute of more than the proxy's shared buffer (0x78000 - 124 bytes) can hold, read
 * from eFlash0 through its Non-secure alias */
#define HUGE_INPUT_ADDR 0x0A260000u     /* Non-secure eFlash1 (board attribution) */
#define HUGE_INPUT_LEN  500000u

#define RAW_KEY_LEN     16u

static uint8_t out[64];
static uint8_t out2[64];
static psa_key_id_t hmac_key_id;
static psa_key_id_t raw_key_id;

static void zero(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = 0u;
    }
}

static void init_big(void)
{
    for (uint32_t i = 0; i < BIG_LEN; i++) {
        big[i] = (uint8_t)((i * 7u + 3u) & 0xFFu);
    }
}

/* ---------------------------------------------------------------- hash */

/* psa_hash_setup(SHA-256) then psa_hash_update with the first n bytes of big[]; 1 if both
 * succeeded (update_what names the update in a failure). */
static int hash_started(psa_hash_operation_t *op, size_t n, const char *update_what)
{
    return t_expect_status("psa_hash_setup", psa_hash_setup(op, PSA_ALG_SHA_256), PSA_SUCCESS) &&
           t_expect_status(update_what, psa_hash_update(op, big, n), PSA_SUCCESS);
}

/* Abort an operation a failed test left active. */
static void hash_cleanup(psa_hash_operation_t *op)
{
    if (op->handle != 0u) {
        (void)psa_hash_abort(op);
    }
}

static void t_hash_compute(const char *name, size_t n, const uint8_t *expected)
{
    size_t len = 0u;

    t_begin(S, name);
    zero(out, sizeof(out));
    psa_status_t st = psa_hash_compute(PSA_ALG_SHA_256, big, n, out, sizeof(out), &len);
    if (t_expect_status("psa_hash_compute", st, PSA_SUCCESS) &&
        t_expect_size("hash length", (uint32_t)len, SHA256_LEN)) {
        print_str("DATA sha256 ");
        print_udec((uint32_t)n);
        print_char(' ');
        print_hex_bytes(out, SHA256_LEN);
        print_nl();
        t_expect_digest("digest", out, expected, SHA256_LEN);
    }
    t_end();
}

static void t_hash_multipart(void)
{
    psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;
    size_t len = 0u;

    t_begin(S, "hash_multipart");
    zero(out, sizeof(out));
    if (t_expect_status("psa_hash_setup", psa_hash_setup(&op, PSA_ALG_SHA_256), PSA_SUCCESS) &&
        t_expect_true("operation handle set by setup", op.handle != 0u) &&
        t_expect_status("psa_hash_update 1", psa_hash_update(&op, big, 1000u), PSA_SUCCESS) &&
        t_expect_status("psa_hash_update 2", psa_hash_update(&op, big + 1000, 2000u), PSA_SUCCESS) &&
        t_expect_status("psa_hash_update 3", psa_hash_update(&op, big + 3000, BIG_LEN - 3000u),
                        PSA_SUCCESS) &&
        t_expect_status("psa_hash_finish", psa_hash_finish(&op, out, sizeof(out), &len),
                        PSA_SUCCESS) &&
        t_expect_size("hash length", (uint32_t)len, SHA256_LEN)) {
        t_expect_digest("digest", out, sha256_4096, SHA256_LEN);
        t_expect_hex("operation handle after finish", op.handle, 0u);
    }
    hash_cleanup(&op);
    t_end();
}

static void t_hash_verify(void)
{
    psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;

    t_begin(S, "hash_verify");
    if (hash_started(&op, 64u, "psa_hash_update") &&
        t_expect_status("psa_hash_verify", psa_hash_verify(&op, sha256_64, SHA256_LEN),
                        PSA_SUCCESS)) {
        t_expect_hex("operation handle after verify", op.handle, 0u);
    }
    hash_cleanup(&op);
    t_end();
}

static void t_hash_clone(void)
{
    psa_hash_operation_t a = PSA_HASH_OPERATION_INIT;
    psa_hash_operation_t b = PSA_HASH_OPERATION_INIT;
    size_t la = 0u;
    size_t lb = 0u;

    t_begin(S, "hash_clone");
    zero(out, sizeof(out));
    zero(out2, sizeof(out2));
    if (hash_started(&a, 32u, "psa_hash_update(source, 32 bytes)") &&
        t_expect_status("psa_hash_clone", psa_hash_clone(&a, &b), PSA_SUCCESS) &&
        t_expect_true("clone has its own handle", b.handle != 0u && b.handle != a.handle) &&
        t_expect_status("psa_hash_update(source, 32 more)", psa_hash_update(&a, big + 32, 32u),
                        PSA_SUCCESS) &&
        t_expect_status("psa_hash_update(clone, 32 more)", psa_hash_update(&b, big + 32, 32u),
                        PSA_SUCCESS) &&
        t_expect_status("psa_hash_finish(source)", psa_hash_finish(&a, out, sizeof(out), &la),
                        PSA_SUCCESS) &&
        t_expect_status("psa_hash_finish(clone)", psa_hash_finish(&b, out2, sizeof(out2), &lb),
                        PSA_SUCCESS)) {
        t_expect_digest("source digest", out, sha256_64, SHA256_LEN);
        t_expect_digest("clone digest", out2, sha256_64, SHA256_LEN);
    }
    /* the client refuses to clone into an operation in use, without a call */
    psa_hash_operation_t used = {1u};
    t_expect_status("psa_hash_clone(target in use)", psa_hash_clone(&a, &used),
                    PSA_ERROR_BAD_STATE);
    hash_cleanup(&a);
    hash_cleanup(&b);
    t_end();
}

static void t_hash_abort(void)
{
    psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;

    t_begin(S, "hash_abort");
    if (hash_started(&op, 100u, "psa_hash_update") &&
        t_expect_status("psa_hash_abort", psa_hash_abort(&op), PSA_SUCCESS)) {
        t_expect_hex("operation handle after abort", op.handle, 0u);
    }
    t_end();
}

static void t_hash_setup_bad_state(void)
{
    psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;

    t_begin(S, "hash_setup_bad_state");
    if (t_expect_status("psa_hash_setup", psa_hash_setup(&op, PSA_ALG_SHA_256), PSA_SUCCESS)) {
        uint32_t h = op.handle;
        t_expect_status("psa_hash_setup(operation in use)", psa_hash_setup(&op, PSA_ALG_SHA_256),
                        PSA_ERROR_BAD_STATE);
        t_expect_hex("operation handle kept", op.handle, h);
        t_expect_status("psa_hash_abort", psa_hash_abort(&op), PSA_SUCCESS);
    }
    t_end();
}

/* ---------------------------------------------------------------- MAC */

static void t_mac_import_key(void)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;

    t_begin(S, "mac_import_key");
    psa_set_key_type(&attr, PSA_KEY_TYPE_HMAC);
    psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&attr, PSA_ALG_HMAC(PSA_ALG_SHA_256));
    hmac_key_id = PSA_KEY_ID_NULL;
    if (t_expect_status("psa_import_key", psa_import_key(&attr, hmac_key, sizeof(hmac_key),
                                                         &hmac_key_id), PSA_SUCCESS)) {
        t_expect_true("key id != 0", hmac_key_id != PSA_KEY_ID_NULL);
    }
    t_end();
}

static void t_get_key_attributes(void)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;

    t_begin(S, "get_key_attributes");
    if (t_expect_status("psa_get_key_attributes", psa_get_key_attributes(hmac_key_id, &attr),
                        PSA_SUCCESS)) {
        t_expect_hex("type", psa_get_key_type(&attr), PSA_KEY_TYPE_HMAC);
        t_expect_size("bits", (uint32_t)psa_get_key_bits(&attr), 8u * sizeof(hmac_key));
        t_expect_hex("algorithm", psa_get_key_algorithm(&attr), PSA_ALG_HMAC(PSA_ALG_SHA_256));
        t_expect_hex("usage", psa_get_key_usage_flags(&attr),
                     PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH);
        t_expect_hex("lifetime", psa_get_key_lifetime(&attr), PSA_KEY_LIFETIME_VOLATILE);
    }
    t_end();
}

static void t_mac_sign(void)
{
    psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
    size_t len = 0u;
    const uint8_t *msg = (const uint8_t *)hmac_msg;

    t_begin(S, "mac_sign_multipart");
    zero(out, sizeof(out));
    if (t_expect_status("psa_mac_sign_setup",
                        psa_mac_sign_setup(&op, hmac_key_id, PSA_ALG_HMAC(PSA_ALG_SHA_256)),
                        PSA_SUCCESS) &&
        t_expect_status("psa_mac_update 1", psa_mac_update(&op, msg, HMAC_SPLIT), PSA_SUCCESS) &&
        t_expect_status("psa_mac_update 2",
                        psa_mac_update(&op, msg + HMAC_SPLIT, HMAC_MSG_LEN - HMAC_SPLIT),
                        PSA_SUCCESS) &&
        t_expect_status("psa_mac_sign_finish", psa_mac_sign_finish(&op, out, sizeof(out), &len),
                        PSA_SUCCESS) &&
        t_expect_size("mac length", (uint32_t)len, SHA256_LEN)) {
        t_expect_digest("mac", out, hmac_expected, SHA256_LEN);
        t_expect_hex("operation handle after finish", op.handle, 0u);
    }
    if (op.handle != 0u) {
        (void)psa_mac_abort(&op);
    }
    t_end();
}

static void t_mac_verify(const char *name, const uint8_t *mac, psa_status_t expected)
{
    psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;

    t_begin(S, name);
    if (t_expect_status("psa_mac_verify_setup",
                        psa_mac_verify_setup(&op, hmac_key_id, PSA_ALG_HMAC(PSA_ALG_SHA_256)),
                        PSA_SUCCESS) &&
        t_expect_status("psa_mac_update",
                        psa_mac_update(&op, (const uint8_t *)hmac_msg, HMAC_MSG_LEN),
                        PSA_SUCCESS)) {
        t_expect_status("psa_mac_verify_finish", psa_mac_verify_finish(&op, mac, SHA256_LEN),
                        expected);
    }
    /* After an error status the proxy writes no outputs back, so the client may still hold
     * the handle the service already released; aborting an unknown handle succeeds. */
    if (op.handle != 0u) {
        t_expect_status("psa_mac_abort", psa_mac_abort(&op), PSA_SUCCESS);
    }
    t_end();
}

/* ---------------------------------------------------------------- import / export */

static psa_status_t import_raw(psa_key_usage_t usage, const uint8_t *data, psa_key_id_t *id)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;

    psa_set_key_type(&attr, PSA_KEY_TYPE_RAW_DATA);
    psa_set_key_usage_flags(&attr, usage);
    *id = PSA_KEY_ID_NULL;
    return psa_import_key(&attr, data, RAW_KEY_LEN, id);
}

static void t_export_roundtrip(void)
{
    uint8_t key[RAW_KEY_LEN];
    size_t len = 0u;

    t_begin(S, "export_roundtrip");
    fill_pattern(key, sizeof(key), 0x40u);
    zero(out, sizeof(out));
    if (t_expect_status("psa_import_key(RAW_DATA, EXPORT)",
                        import_raw(PSA_KEY_USAGE_EXPORT, key, &raw_key_id), PSA_SUCCESS) &&
        t_expect_status("psa_export_key", psa_export_key(raw_key_id, out, sizeof(out), &len),
                        PSA_SUCCESS) &&
        t_expect_size("exported length", (uint32_t)len, RAW_KEY_LEN)) {
        t_expect_bytes("exported data", out, key, RAW_KEY_LEN);
    }
    t_end();
}

static void t_export_not_permitted(void)
{
    uint8_t key[RAW_KEY_LEN];
    size_t len = 0u;
    psa_key_id_t id;

    t_begin(S, "export_not_permitted");
    fill_pattern(key, sizeof(key), 0x50u);
    if (t_expect_status("psa_import_key(RAW_DATA, no usage)", import_raw(0u, key, &id),
                        PSA_SUCCESS)) {
        t_expect_status("psa_export_key", psa_export_key(id, out, sizeof(out), &len),
                        PSA_ERROR_NOT_PERMITTED);
        t_expect_status("psa_destroy_key", psa_destroy_key(id), PSA_SUCCESS);
    }
    t_end();
}

static void t_export_destroyed(void)
{
    size_t len = 0u;

    t_begin(S, "export_destroyed");
    t_expect_status("psa_destroy_key", psa_destroy_key(raw_key_id), PSA_SUCCESS);
    t_expect_status("psa_export_key after destroy", psa_export_key(raw_key_id, out, sizeof(out),
                                                                   &len),
                    PSA_ERROR_INVALID_HANDLE);
    t_end();
}

/* ---------------------------------------------------------------- random */

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0u) {
            return 0;
        }
    }
    return 1;
}

static void t_generate_random(void)
{
    t_begin(S, "generate_random");
    zero(out, sizeof(out));
    zero(out2, sizeof(out2));
    if (t_expect_status("psa_generate_random 1", psa_generate_random(out, 32u), PSA_SUCCESS) &&
        t_expect_status("psa_generate_random 2", psa_generate_random(out2, 32u), PSA_SUCCESS)) {
        t_expect_true("first output is not all zero", !all_zero(out, 32u));
        t_expect_true("second output is not all zero", !all_zero(out2, 32u));
        t_expect_true("the two outputs differ", !bytes_equal(out, out2, 32u));
        t_expect_true("nothing written past 32 bytes", all_zero(out + 32, 32u));
    }
    t_end();
}

void suite_crypto(void)
{
    size_t len = 0u;

    init_big();
    t_hash_compute("hash_compute_0", 0u, sha256_0);
    t_hash_compute("hash_compute_1", 1u, sha256_1);
    t_hash_compute("hash_compute_64", 64u, sha256_64);
    t_hash_compute("hash_compute_4096", BIG_LEN, sha256_4096);
    t_one_status(S, "hash_compare_ok", "psa_hash_compare",
                 psa_hash_compare(PSA_ALG_SHA_256, big, 64u, sha256_64, SHA256_LEN), PSA_SUCCESS);
    t_one_status(S, "hash_compare_mismatch", "psa_hash_compare(wrong hash)",
                 psa_hash_compare(PSA_ALG_SHA_256, big, 64u, sha256_4096, SHA256_LEN),
                 PSA_ERROR_INVALID_SIGNATURE);
    t_hash_multipart();
    t_hash_verify();
    t_hash_clone();
    t_hash_abort();
    t_hash_setup_bad_state();
    t_one_status(S, "hash_compute_too_large", "psa_hash_compute(500000 bytes)",
                 psa_hash_compute(PSA_ALG_SHA_256, (const uint8_t *)HUGE_INPUT_ADDR,
                                  HUGE_INPUT_LEN, out, sizeof(out), &len),
                 PSA_ERROR_INSUFFICIENT_MEMORY);
    t_mac_import_key();
    t_get_key_attributes();
    t_mac_sign();
    t_mac_verify("mac_verify", hmac_expected, PSA_SUCCESS);
    t_mac_verify("mac_verify_wrong", sha256_0, PSA_ERROR_INVALID_SIGNATURE);
#if PSAEMU_TFM_RELEASE >= 14
    /* v1.4+ clients send the one-shot functions */
    t_begin(S, "mac_compute_oneshot");
    zero(out, sizeof(out));
    if (t_expect_status("psa_mac_compute",
                        psa_mac_compute(hmac_key_id, PSA_ALG_HMAC(PSA_ALG_SHA_256),
                                        (const uint8_t *)hmac_msg, HMAC_MSG_LEN, out, sizeof(out),
                                        &len), PSA_SUCCESS) &&
        t_expect_size("mac length", (uint32_t)len, SHA256_LEN)) {
        t_expect_digest("mac", out, hmac_expected, SHA256_LEN);
    }
    t_end();
    t_one_status(S, "cipher_encrypt_not_permitted", "psa_cipher_encrypt(HMAC key)",
                 psa_cipher_encrypt(hmac_key_id, PSA_ALG_CTR, big, 16u, out, sizeof(out), &len),
                 PSA_ERROR_NOT_PERMITTED);
#else
    t_one_status(S, "mac_compute_unsupported", "psa_mac_compute",
                 psa_mac_compute(hmac_key_id, PSA_ALG_HMAC(PSA_ALG_SHA_256),
                                 (const uint8_t *)hmac_msg, HMAC_MSG_LEN, out, sizeof(out), &len),
                 PSA_ERROR_NOT_SUPPORTED);
    t_one_status(S, "cipher_encrypt_unsupported", "psa_cipher_encrypt",
                 psa_cipher_encrypt(hmac_key_id, PSA_ALG_CTR, big, 16u, out, sizeof(out), &len),
                 PSA_ERROR_NOT_SUPPORTED);
#endif
    t_one_status(S, "mac_destroy_key", "psa_destroy_key", psa_destroy_key(hmac_key_id),
                 PSA_SUCCESS);
    t_export_roundtrip();
    t_export_not_permitted();
    t_export_destroyed();
    t_generate_random();
    t_one_status(S, "generate_random_zero", "psa_generate_random(size 0)",
                 psa_generate_random(out, 0u), PSA_SUCCESS);
}
