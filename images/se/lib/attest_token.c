/* attest_token.c - symmetric Initial Attestation token (COSE_Mac0 / HMAC-SHA256); format in
 * attest_token.h. The token is built in two passes with the same code: a counting pass
 * (NULL buffer) gives the sizes, then the real pass writes into the caller's buffer. The MAC
 * is computed without a second copy of the payload: the MAC_structure head is encoded into a
 * small scratch buffer and fed to the HMAC, followed by the payload bytes already written. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest_token.h"
#include "cbor.h"
#include "hmac_sha256.h"
#include "sha256.h"

/* "psaemu-SE test IAK (HMAC-256) v1" */
const uint8_t attest_iak[32] = {
    0x70, 0x73, 0x61, 0x65, 0x6d, 0x75, 0x2d, 0x53, 0x45, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x49,
    0x41, 0x4b, 0x20, 0x28, 0x48, 0x4d, 0x41, 0x43, 0x2d, 0x32, 0x35, 0x36, 0x29, 0x20, 0x76, 0x31,
};

/* COSE (RFC 8152): tag 17 = COSE_Mac0, header label 1 = alg, alg 5 = HMAC 256/256. */
#define COSE_TAG_MAC0         17u
#define COSE_HDR_ALG          1
#define COSE_ALG_HMAC256_256  5

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

/* bstr .cbor {1: 5} content, preferred serialization. */
static const uint8_t protected_hdr[3] = {
    0xa0u | 1u,                  /* map(1) */
    COSE_HDR_ALG,                /* 1 */
    COSE_ALG_HMAC256_256,        /* 5 */
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

/* Everything before the payload bytes: 17([protected, {}, bstr-head(payload_len) */
static void encode_prefix(cbor_enc_t *e, size_t payload_len)
{
    cbor_tag(e, COSE_TAG_MAC0);
    cbor_array(e, 4);
    cbor_bstr(e, protected_hdr, sizeof protected_hdr);
    cbor_map(e, 0);
    cbor_bstr_header(e, payload_len);
}

int attest_token_create(const uint8_t *challenge, size_t challenge_len, int32_t client_id,
                        uint8_t *buf, size_t buf_size, size_t *token_len)
{
    cbor_enc_t e;
    size_t payload_len;
    size_t payload_off;
    size_t total;

    if (token_len == NULL) {
        return ATTEST_ERR_INVALID_INPUT;
    }
    *token_len = 0;
    if (challenge == NULL ||
        (challenge_len != 32u && challenge_len != 48u && challenge_len != 64u)) {
        return ATTEST_ERR_INVALID_INPUT;
    }

    /* Counting pass. */
    cbor_init(&e, NULL, 0);
    encode_claims(&e, challenge, challenge_len, client_id, NULL);
    payload_len = e.len;
    cbor_init(&e, NULL, 0);
    encode_prefix(&e, payload_len);
    total = e.len + payload_len + 2u + HMAC_SHA256_SIZE;   /* + bstr(32) tag */

    *token_len = total;
    if (buf == NULL) {
        return ATTEST_OK;
    }
    if (total > buf_size || total > ATTEST_TOKEN_MAX_SIZE) {
        return ATTEST_ERR_BUFFER_OVERFLOW;
    }

    /* Writing pass. */
    {
        uint8_t hash[SHA256_DIGEST_SIZE];   /* UEID hash, then the MAC */
        uint8_t scratch[16];
        cbor_enc_t s;
        hmac_sha256_ctx_t h;

        sha256(attest_iak, sizeof attest_iak, hash);

        cbor_init(&e, buf, total);
        encode_prefix(&e, payload_len);
        payload_off = e.len;
        encode_claims(&e, challenge, challenge_len, client_id, hash);
        if (e.overflow || e.len != payload_off + payload_len) {
            *token_len = 0;
            return ATTEST_ERR_GENERAL;
        }

        /* MAC_structure = ["MAC0", protected, external_aad h'', payload]: head part (at most
         * 1 + 5 + 4 + 1 + 5 = 16 bytes) from scratch, then the payload bytes in buf. */
        cbor_init(&s, scratch, sizeof scratch);
        cbor_array(&s, 4);
        cbor_tstr(&s, "MAC0");
        cbor_bstr(&s, protected_hdr, sizeof protected_hdr);
        cbor_bstr(&s, NULL, 0);
        cbor_bstr_header(&s, payload_len);
        if (s.overflow) {
            *token_len = 0;
            return ATTEST_ERR_GENERAL;
        }
        hmac_sha256_init(&h, attest_iak, sizeof attest_iak);
        hmac_sha256_update(&h, scratch, s.len);
        hmac_sha256_update(&h, buf + payload_off, payload_len);
        hmac_sha256_final(&h, hash);

        cbor_bstr(&e, hash, sizeof hash);
        if (e.overflow || e.len != total) {
            *token_len = 0;
            return ATTEST_ERR_GENERAL;
        }
    }
    return ATTEST_OK;
}
