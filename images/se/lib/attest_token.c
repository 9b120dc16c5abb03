/* attest_token.c - Initial Attestation token, COSE_Sign1 (ES256) or COSE_Mac0 (HMAC-SHA256);
 * format in attest_token.h. The token is built in two passes with the same code: a counting
 * pass (NULL buffer) gives the sizes, then the real pass writes into the caller's buffer. The
 * signature or MAC is computed without a second copy of the payload: the head of the
 * Sig_structure / MAC_structure is encoded into a small scratch buffer and the crypto engine
 * hashes or MACs head || payload (the payload bytes already written). The keys live in the
 * engine's built-in slots; the firmware never signs or MACs itself. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest_token.h"
#include "cbor.h"
#include "../crypto_engine.h"

#define SHA256_DIGEST_SIZE    32u
#define ALG_SHA_256           0x02000009u
#define ALG_HMAC_SHA_256      0x03800009u
#define ALG_DET_ECDSA_SHA_256 0x06000709u   /* PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256) */
#define KEY_TYPE_HMAC         0x1100u
#define KEY_TYPE_ECC_P256     0x7112u       /* PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) */
#define AUTH_TAG_MAX          64u           /* ES256 signature r || s */

/* "psaemu-SE test IAK (HMAC-256) v1" */
const uint8_t attest_iak[32] = {
    0x70, 0x73, 0x61, 0x65, 0x6d, 0x75, 0x2d, 0x53, 0x45, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x49,
    0x41, 0x4b, 0x20, 0x28, 0x48, 0x4d, 0x41, 0x43, 0x2d, 0x32, 0x35, 0x36, 0x29, 0x20, 0x76, 0x31,
};

/* TF-M's published test IAK (P-256 private scalar; tfm_initial_attestation_key.pem). */
const uint8_t attest_iak_p256[32] = {
    0xA9, 0xB4, 0x54, 0xB2, 0x6D, 0x6F, 0x90, 0xA4, 0xEA, 0x31, 0x19, 0x35, 0x64, 0xCB, 0xA9, 0x1F,
    0xEC, 0x6F, 0x9A, 0x00, 0x2A, 0x7D, 0xC0, 0x50, 0x4B, 0x92, 0xA1, 0x93, 0x71, 0x34, 0x58, 0x5F,
};

/* COSE (RFC 8152): header label 1 = alg. */
#define COSE_TAG_SIGN1        18u
#define COSE_TAG_MAC0         17u
#define COSE_HDR_ALG          1u
#define CBOR_NEGATIVE_7       0x26u         /* major type 1, argument 6 */
#define COSE_ALG_HMAC256_256  5u

/* Claim labels: Arm range base -75000. */
#define CLAIM_BASE            (-75000)
#define CLAIM_PROFILE         (CLAIM_BASE - 0)
#define CLAIM_CLIENT_ID       (CLAIM_BASE - 1)
#define CLAIM_LIFECYCLE       (CLAIM_BASE - 2)
#define CLAIM_IMPL_ID         (CLAIM_BASE - 3)
#define CLAIM_BOOT_SEED       (CLAIM_BASE - 4)
#define CLAIM_HW_VERSION      (CLAIM_BASE - 5)
#define CLAIM_NO_SW_COMPS     (CLAIM_BASE - 7)
#define CLAIM_CHALLENGE       (CLAIM_BASE - 8)
#define CLAIM_UEID            (CLAIM_BASE - 9)
#define CLAIM_ORIGINATION     (CLAIM_BASE - 10)
#define CLAIM_COUNT           10u

#define LIFECYCLE_SECURED     0x3000
#define UEID_TYPE_RAND        0x01u
#define UEID_SIZE             33u

/* What differs between the two token kinds. */
typedef struct {
    uint32_t cose_tag;
    uint8_t protected_hdr[3];   /* bstr .cbor {1: alg} content */
    const char *context;        /* first item of the to-be-signed / to-be-MACed structure */
    size_t auth_len;            /* signature or MAC length */
    uint32_t builtin;           /* the engine's built-in key */
    uint16_t key_type;
    const uint8_t *key;
} attest_profile_t;

static const attest_profile_t profiles[2] = {
    [ATTEST_ASYMMETRIC] = { COSE_TAG_SIGN1, { 0xa1u, COSE_HDR_ALG, CBOR_NEGATIVE_7 }, "Signature1",
                            64u, SE_BUILTIN_ATTEST_IAK, KEY_TYPE_ECC_P256, attest_iak_p256 },
    [ATTEST_SYMMETRIC]  = { COSE_TAG_MAC0, { 0xa1u, COSE_HDR_ALG, COSE_ALG_HMAC256_256 }, "MAC0",
                            32u, SE_BUILTIN_ATTEST_HMAC, KEY_TYPE_HMAC, attest_iak },
};

static const uint8_t impl_id[32] = {
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
    0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
};

static const uint8_t boot_seed[32] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
};

static const uint8_t ueid_type = UEID_TYPE_RAND;

int attest_key_provision(attest_kind_t kind)
{
    const attest_profile_t *p = &profiles[kind == ATTEST_SYMMETRIC ? ATTEST_SYMMETRIC : ATTEST_ASYMMETRIC];

    return se_crypto_builtin_import(p->builtin, p->key_type, p->key, 32u) == PSA_SUCCESS
           ? ATTEST_OK : ATTEST_ERR_GENERAL;
}

int attest_public_key(uint8_t *out, size_t size, size_t *len)
{
    *len = 0;
    if (size < ATTEST_PUBLIC_KEY_SIZE) {
        return ATTEST_ERR_BUFFER_OVERFLOW;
    }
    if (attest_key_provision(ATTEST_ASYMMETRIC) != ATTEST_OK ||
        se_crypto_builtin_export_public(SE_BUILTIN_ATTEST_IAK, out, size, len) != PSA_SUCCESS ||
        *len != ATTEST_PUBLIC_KEY_SIZE) {
        *len = 0;
        return ATTEST_ERR_GENERAL;
    }
    return ATTEST_OK;
}

/* ueid_hash = the instance id after its type byte: SHA-256 of the IAK public key, or for a
 * symmetric token SHA-256(SHA-256(attest_iak)) (TF-M v1.3 hashes the symmetric key twice). */
static int instance_hash(attest_kind_t kind, uint8_t ueid_hash[SHA256_DIGEST_SIZE])
{
    uint8_t buf[ATTEST_PUBLIC_KEY_SIZE];
    const uint8_t *src = attest_iak;
    size_t n = sizeof attest_iak;
    unsigned rounds = kind == ATTEST_ASYMMETRIC ? 1u : 2u;

    if (kind == ATTEST_ASYMMETRIC) {
        if (attest_public_key(buf, sizeof buf, &n) != ATTEST_OK) {
            return ATTEST_ERR_GENERAL;
        }
        src = buf;
    }
    while (rounds-- > 0u) {
        if (se_crypto_hash(ALG_SHA_256, src, n, NULL, 0, ueid_hash, SHA256_DIGEST_SIZE, &n) != PSA_SUCCESS ||
            n != SHA256_DIGEST_SIZE) {
            return ATTEST_ERR_GENERAL;
        }
        src = ueid_hash;
    }
    return ATTEST_OK;
}

/* The claims map. ueid_hash is only read when e has a buffer. */
static void encode_claims(cbor_enc_t *e, const uint8_t *challenge, size_t challenge_len,
                          int32_t client_id, const uint8_t *ueid_hash)
{
    cbor_map(e, CLAIM_COUNT);

    cbor_int(e, CLAIM_CHALLENGE);
    cbor_bstr(e, challenge, challenge_len);

    cbor_int(e, CLAIM_BOOT_SEED);
    cbor_bstr(e, boot_seed, sizeof boot_seed);

    cbor_int(e, CLAIM_UEID);
    cbor_bstr_header(e, UEID_SIZE);
    cbor_raw(e, &ueid_type, 1);
    cbor_raw(e, ueid_hash, SHA256_DIGEST_SIZE);

    cbor_int(e, CLAIM_IMPL_ID);
    cbor_bstr(e, impl_id, sizeof impl_id);

    cbor_int(e, CLAIM_CLIENT_ID);
    cbor_int(e, client_id);

    cbor_int(e, CLAIM_LIFECYCLE);
    cbor_int(e, LIFECYCLE_SECURED);

    cbor_int(e, CLAIM_NO_SW_COMPS);
    cbor_int(e, 1);

    cbor_int(e, CLAIM_ORIGINATION);
    cbor_tstr(e, "www.trustedfirmware.org");

    cbor_int(e, CLAIM_PROFILE);
    cbor_tstr(e, "PSA_IOT_PROFILE_1");

    cbor_int(e, CLAIM_HW_VERSION);
    cbor_tstr(e, "060456527282910010");
}

/* Everything before the payload bytes: tag([protected, {}, bstr-head(payload_len) */
static void encode_prefix(cbor_enc_t *e, const attest_profile_t *p, size_t payload_len)
{
    cbor_tag(e, p->cose_tag);
    cbor_array(e, 4);
    cbor_bstr(e, p->protected_hdr, sizeof p->protected_hdr);
    cbor_map(e, 0);
    cbor_bstr_header(e, payload_len);
}

/* The signature or MAC over [context, protected, external_aad h'', payload]: its head (at most
 * 1 + 11 + 4 + 1 + 5 = 22 bytes) is encoded in scratch, the payload bytes are in place. */
static int authenticate(const attest_profile_t *p, const uint8_t *payload, size_t payload_len,
                        uint8_t *auth)
{
    uint8_t scratch[24];
    uint8_t hash[SHA256_DIGEST_SIZE];
    cbor_enc_t s;
    size_t n = 0;
    psa_status_t st;

    cbor_init(&s, scratch, sizeof scratch);
    cbor_array(&s, 4);
    cbor_tstr(&s, p->context);
    cbor_bstr(&s, p->protected_hdr, sizeof p->protected_hdr);
    cbor_bstr(&s, NULL, 0);
    cbor_bstr_header(&s, payload_len);
    if (s.overflow || se_crypto_builtin_import(p->builtin, p->key_type, p->key, 32u) != PSA_SUCCESS) {
        return ATTEST_ERR_GENERAL;
    }
    if (p->cose_tag == COSE_TAG_MAC0) {
        st = se_crypto_builtin_mac(p->builtin, ALG_HMAC_SHA_256, scratch, s.len, payload, payload_len,
                                   auth, p->auth_len, &n);
    } else {
        st = se_crypto_hash(ALG_SHA_256, scratch, s.len, payload, payload_len, hash, sizeof hash, &n);
        if (st == PSA_SUCCESS && n == sizeof hash) {
            st = se_crypto_builtin_sign_hash(p->builtin, ALG_DET_ECDSA_SHA_256, hash, sizeof hash,
                                             auth, p->auth_len, &n);
        }
    }
    return st == PSA_SUCCESS && n == p->auth_len ? ATTEST_OK : ATTEST_ERR_GENERAL;
}

int attest_token_create(attest_kind_t kind, const uint8_t *challenge, size_t challenge_len,
                        int32_t client_id, uint8_t *buf, size_t buf_size, size_t *token_len)
{
    const attest_profile_t *p;
    cbor_enc_t e;
    size_t payload_len;
    size_t payload_off;
    size_t total;

    if (token_len == NULL) {
        return ATTEST_ERR_INVALID_INPUT;
    }
    *token_len = 0;
    if (challenge == NULL || (kind != ATTEST_ASYMMETRIC && kind != ATTEST_SYMMETRIC) ||
        (challenge_len != 32u && challenge_len != 48u && challenge_len != 64u)) {
        return ATTEST_ERR_INVALID_INPUT;
    }
    p = &profiles[kind];

    /* Counting pass. */
    cbor_init(&e, NULL, 0);
    encode_claims(&e, challenge, challenge_len, client_id, NULL);
    payload_len = e.len;
    cbor_init(&e, NULL, 0);
    encode_prefix(&e, p, payload_len);
    cbor_bstr_header(&e, p->auth_len);
    total = e.len + payload_len + p->auth_len;

    *token_len = total;
    if (buf == NULL) {
        return ATTEST_OK;
    }
    if (total > buf_size || total > ATTEST_TOKEN_MAX_SIZE) {
        return ATTEST_ERR_BUFFER_OVERFLOW;
    }

    /* Writing pass. */
    {
        uint8_t scratch[AUTH_TAG_MAX];      /* UEID hash, then the signature or MAC */

        if (instance_hash(kind, scratch) != ATTEST_OK) {
            *token_len = 0;
            return ATTEST_ERR_GENERAL;
        }
        cbor_init(&e, buf, total);
        encode_prefix(&e, p, payload_len);
        payload_off = e.len;
        encode_claims(&e, challenge, challenge_len, client_id, scratch);
        if (e.overflow || e.len != payload_off + payload_len ||
            authenticate(p, buf + payload_off, payload_len, scratch) != ATTEST_OK) {
            *token_len = 0;
            return ATTEST_ERR_GENERAL;
        }
        cbor_bstr(&e, scratch, p->auth_len);
        if (e.overflow || e.len != total) {
            *token_len = 0;
            return ATTEST_ERR_GENERAL;
        }
    }
    return ATTEST_OK;
}
