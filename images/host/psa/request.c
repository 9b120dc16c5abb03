/* psa/request.c - psa_request() (psa/request.h), the connect -> call -> close of every client
 * API call, or one call on a stateless handle when the release has one (psa_release.h). It uses only the PSA client API, so it serves both transports: the SVC stubs
 * (svc_stubs.c + client.c) and the secure veneers (images/veneers/psa_ns_api.c). */
#include "psa/client.h"
#include "psa_host_sids.h"
#include "psa_release.h"
#include "request.h"

/* The stateless handle of `sid` in this release and the psa_call type that selects its
 * function; 0 when the service is connection-based. */
static psa_handle_t stateless_handle(uint32_t sid, int32_t *type)
{
    if (CRYPTO_STATELESS && sid == SID_CRYPTO) {
        return HANDLE_CRYPTO;
    }
    if (STORAGE_ATTEST_STATELESS) {
        if (sid >= SID_ITS_SET && sid <= SID_ITS_REMOVE) {
            *type = STATELESS_FIRST_TYPE + (int32_t)(sid - SID_ITS_SET);
            return HANDLE_ITS;
        }
        if (sid >= SID_PS_SET && sid <= SID_PS_GET_SUPPORT) {
            *type = STATELESS_FIRST_TYPE + (int32_t)(sid - SID_PS_SET);
            return HANDLE_PS;
        }
        if (sid == SID_ATTEST_GET_TOKEN || sid == SID_ATTEST_GET_TOKEN_SIZE) {
            *type = STATELESS_FIRST_TYPE + (int32_t)(sid - SID_ATTEST_GET_TOKEN);
            return HANDLE_ATTEST;
        }
    }
    return 0;
}

psa_status_t psa_request(uint32_t sid, int32_t type, const psa_invec *in_vec, size_t in_len,
                         psa_outvec *out_vec, size_t out_len, psa_handle_t *connect_result)
{
    psa_handle_t h = stateless_handle(sid, &type);

    if (h != 0) {                   /* one call, no connection */
        if (connect_result != NULL) {
            *connect_result = h;
        }
        return psa_call(h, type, in_vec, in_len, out_vec, out_len);
    }
    h = psa_connect(sid, SID_VERSION);

    if (connect_result != NULL) {
        *connect_result = h;
    }
    if (!PSA_HANDLE_IS_VALID(h)) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    psa_status_t status = psa_call(h, type, in_vec, in_len, out_vec, out_len);
    psa_close(h);
    return status;
}
