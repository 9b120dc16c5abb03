/* psa/attest.c - Initial Attestation client (TF-M v1.3: SIDs 0x20/0x21/0x22, connect -> call ->
 * close). A failed connect returns the connect result itself as the status. */
#include "psa/client.h"
#include "psa/initial_attestation.h"
#include "psa_host_sids.h"
#include "request.h"

/* psa_request(); a failed connect (*h not a valid handle) gives the connect result as the
 * status */
static psa_status_t attest_request(uint32_t sid, const psa_invec *in, size_t in_len,
                                   psa_outvec *out, size_t out_len, psa_handle_t *h)
{
    psa_status_t status = psa_request(sid, PSA_IPC_CALL, in, in_len, out, out_len, h);

    return PSA_HANDLE_IS_VALID(*h) ? status : PSA_HANDLE_TO_ERROR(*h);
}

psa_status_t psa_initial_attest_get_token(const uint8_t *auth_challenge, size_t challenge_size,
                                          uint8_t *token_buf, size_t token_buf_size,
                                          size_t *token_size)
{
    const psa_invec in = psa_in(auth_challenge, challenge_size);
    psa_outvec out = psa_out(token_buf, token_buf_size);
    psa_handle_t h;
    psa_status_t status = attest_request(SID_ATTEST_GET_TOKEN, &in, 1u, &out, 1u, &h);

    if (PSA_HANDLE_IS_VALID(h) && status == PSA_SUCCESS) {
        *token_size = out.len;
    }
    return status;
}

psa_status_t psa_initial_attest_get_token_size(size_t challenge_size, size_t *token_size)
{
    const psa_invec in = psa_in(&challenge_size, sizeof(challenge_size));
    psa_outvec out = psa_out(token_size, sizeof(*token_size));
    psa_handle_t h;

    return attest_request(SID_ATTEST_GET_TOKEN_SIZE, &in, 1u, &out, 1u, &h);
}

psa_status_t tfm_initial_attest_get_public_key(uint8_t *public_key, size_t public_key_buf_size,
                                               size_t *public_key_len,
                                               psa_ecc_family_t *elliptic_curve_type)
{
    psa_outvec out[3] = {
        psa_out(public_key, public_key_buf_size),
        psa_out(elliptic_curve_type, sizeof(*elliptic_curve_type)),
        psa_out(public_key_len, sizeof(*public_key_len)),
    };
    psa_handle_t h;

    return attest_request(SID_ATTEST_GET_PUBLIC_KEY, NULL, 0u, out, 3u, &h);
}
