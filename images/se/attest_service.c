/* attest_service.c - Initial Attestation service, TF-M v1.3 wire format. The token kind is
 * the device's (the crypto engine's ATTEST register, board key `attestation`): COSE_Sign1
 * signed with the ECC P-256 IAK (the default, as TF-M v1.3) or COSE_Mac0 (se/lib/attest_token.c).
 *
 *   get_token       SID 0x20  in[0] challenge (32/48/64)   out[0] token
 *   get_token_size  SID 0x21  in[0] challenge size (u32)   out[0] token size (u32)
 *   get_public_key  SID 0x22  none                         out[0] key (0x04 || X || Y, 65),
 *                                                          out[1] curve (u8 0x12 SECP_R1),
 *                                                          out[2] key length (u32)
 *
 * The client id claim is msg->client_id (-1, or the forwarded caller: spm.c). */
#include <stddef.h>
#include <stdint.h>

#include "spm.h"
#include "crypto_engine.h"
#include "lib/attest_token.h"
#include "lib/memfuncs.h"

#define ATTEST_CHALLENGE_MAX    64u
#define PSA_ECC_FAMILY_SECP_R1  0x12u

static uint8_t attest_challenge[ATTEST_CHALLENGE_MAX];
static uint8_t attest_token[ATTEST_TOKEN_MAX_SIZE];

static psa_status_t attest_status(int err)
{
    switch (err) {
    case ATTEST_OK:                     return PSA_SUCCESS;
    case ATTEST_ERR_INVALID_INPUT:      return PSA_ERROR_INVALID_ARGUMENT;
    case ATTEST_ERR_BUFFER_OVERFLOW:    return PSA_ERROR_BUFFER_TOO_SMALL;
    default:                            return PSA_ERROR_GENERIC_ERROR;
    }
}

static int attest_challenge_size_ok(uint32_t n)
{
    return n == 32u || n == 48u || n == 64u;
}

/* The token kind of this device, read at every request. */
static attest_kind_t attest_kind(void)
{
    return se_crypto_attestation_kind() == SE_ATTEST_SYMMETRIC ? ATTEST_SYMMETRIC : ATTEST_ASYMMETRIC;
}

void attest_init(void)
{
    /* Provision the device's attestation key into the engine at boot (TF-M registers its IAK
     * with the Crypto service when it makes a token); a failure shows at the first request. */
    (void)attest_key_provision(attest_kind());
}

psa_status_t attest_get_token(se_msg_t *m)
{
    uint32_t ch_len = m->in_size[0];
    uint32_t buf_size = m->out_size[0];
    size_t token_len = 0;
    psa_status_t st;

    if (ch_len > ATTEST_CHALLENGE_MAX) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (se_read(m, 0, attest_challenge, ch_len) != ch_len) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    if (!attest_challenge_size_ok(ch_len) || buf_size == 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (buf_size > ATTEST_TOKEN_MAX_SIZE) {
        buf_size = ATTEST_TOKEN_MAX_SIZE;
    }
    st = attest_status(attest_token_create(attest_kind(), attest_challenge, ch_len, m->client_id,
                                           attest_token, buf_size, &token_len));
    if (st == PSA_SUCCESS) {
        st = se_write(m, 0, attest_token, token_len);
    }
    se_wipe(attest_token, sizeof attest_token);
    return st;
}

psa_status_t attest_get_token_size(se_msg_t *m)
{
    uint32_t ch_len = 0, size32;
    size_t token_len = 0;
    psa_status_t st;

    if (m->in_size[0] != 4u || m->out_size[0] != 4u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (se_read(m, 0, &ch_len, sizeof ch_len) != sizeof ch_len) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    if (!attest_challenge_size_ok(ch_len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    /* Size query: the library encodes the token without writing it (the challenge content
     * does not change the size). */
    memset(attest_challenge, 0, sizeof attest_challenge);
    st = attest_status(attest_token_create(attest_kind(), attest_challenge, ch_len, m->client_id, NULL, 0,
                                           &token_len));
    if (st != PSA_SUCCESS) {
        return st;
    }
    size32 = (uint32_t)token_len;
    return se_write(m, 0, &size32, sizeof size32);
}

psa_status_t attest_get_public_key(se_msg_t *m)
{
    uint8_t key[ATTEST_PUBLIC_KEY_SIZE];
    uint8_t curve = PSA_ECC_FAMILY_SECP_R1;
    uint32_t len32;
    size_t key_len = 0;
    psa_status_t st;

    /* TF-M v1.3 tfm_attest_req_mngr.c: the curve and length outputs must be 1 and 4 bytes. */
    if (m->out_size[1] != sizeof curve || m->out_size[2] != sizeof len32) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (attest_kind() == ATTEST_SYMMETRIC) {
        return PSA_ERROR_NOT_SUPPORTED;     /* a symmetric IAK has no public key */
    }
    if (m->out_size[0] < ATTEST_PUBLIC_KEY_SIZE) {
        return PSA_ERROR_BUFFER_TOO_SMALL;
    }
    st = attest_status(attest_public_key(key, sizeof key, &key_len));
    len32 = (uint32_t)key_len;
    if (st == PSA_SUCCESS) {
        st = se_write(m, 0, key, key_len);
    }
    if (st == PSA_SUCCESS) {
        st = se_write(m, 1, &curve, sizeof curve);
    }
    if (st == PSA_SUCCESS) {
        st = se_write(m, 2, &len32, sizeof len32);
    }
    return st;
}
