/* psa/request.h - private to the client library (host/psa/): the request every TF-M v1.3 client
 * call makes, and the iovec initialisers. */
#ifndef HOST_PSA_REQUEST_H
#define HOST_PSA_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "psa/client.h"

/* psa_connect(sid, SID_VERSION) -> psa_call(handle, type, vectors) -> psa_close(handle).
 * Returns the call's status, or PSA_ERROR_GENERIC_ERROR (and nothing is called) when the
 * connection cannot be made. *connect_result (if not NULL) gets what psa_connect returned:
 * PSA_HANDLE_IS_VALID() of it tells whether the call was made. */
psa_status_t psa_request(uint32_t sid, int32_t type, const psa_invec *in_vec, size_t in_len,
                         psa_outvec *out_vec, size_t out_len, psa_handle_t *connect_result);

static inline psa_invec psa_in(const void *base, size_t len)
{
    const psa_invec v = { base, len };
    return v;
}

static inline psa_outvec psa_out(void *base, size_t len)
{
    const psa_outvec v = { base, len };
    return v;
}

#endif /* HOST_PSA_REQUEST_H */
