/* psa/attest.c - Initial Attestation client (TF-M v1.3: SIDs 0x20/0x21, connect -> call ->
 * close). A failed connect returns the connect result itself as the status. */
#include "psa/client.h"
#include "psa/initial_attestation.h"
#include "psa_host_sids.h"

psa_status_t psa_initial_attest_get_token(const uint8_t *auth_challenge, size_t challenge_size,
                                          uint8_t *token_buf, size_t token_buf_size,
                                          size_t *token_size)
{
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    in_vec[0].base = auth_challenge;
    in_vec[0].len = challenge_size;
    out_vec[0].base = token_buf;
    out_vec[0].len = token_buf_size;

    psa_handle_t h = psa_connect(SID_ATTEST_GET_TOKEN, SID_VERSION);
    if (!PSA_HANDLE_IS_VALID(h)) {
        return PSA_HANDLE_TO_ERROR(h);
    }
    psa_status_t status = psa_call(h, PSA_IPC_CALL, in_vec, 1u, out_vec, 1u);
    psa_close(h);
    if (status == PSA_SUCCESS) {
        *token_size = out_vec[0].len;
    }
    return status;
}

psa_status_t psa_initial_attest_get_token_size(size_t challenge_size, size_t *token_size)
{
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    in_vec[0].base = &challenge_size;
    in_vec[0].len = sizeof(challenge_size);
    out_vec[0].base = token_size;
    out_vec[0].len = sizeof(*token_size);

    psa_handle_t h = psa_connect(SID_ATTEST_GET_TOKEN_SIZE, SID_VERSION);
    if (!PSA_HANDLE_IS_VALID(h)) {
        return PSA_HANDLE_TO_ERROR(h);
    }
    psa_status_t status = psa_call(h, PSA_IPC_CALL, in_vec, 1u, out_vec, 1u);
    psa_close(h);
    return status;
}
