/* psa/request.c - psa_request() (psa/request.h), the connect -> call -> close of every client
 * API call. It uses only the PSA client API, so it serves both transports: the SVC stubs
 * (svc_stubs.c + client.c) and the secure veneers (images/veneers/psa_ns_api.c). */
#include "psa/client.h"
#include "psa_host_sids.h"
#include "request.h"

psa_status_t psa_request(uint32_t sid, int32_t type, const psa_invec *in_vec, size_t in_len,
                         psa_outvec *out_vec, size_t out_len, psa_handle_t *connect_result)
{
    psa_handle_t h = psa_connect(sid, SID_VERSION);

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
