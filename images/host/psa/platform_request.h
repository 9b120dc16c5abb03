/* psa/platform_request.h - private to psa/platform.c and psa/platform_secure.c: a platform
 * service request and its result mapping. A failed connect and any negative status map to
 * TFM_PLATFORM_ERR_SYSTEM_ERROR; a non-negative status is the service's enum value. */
#ifndef HOST_PSA_PLATFORM_REQUEST_H
#define HOST_PSA_PLATFORM_REQUEST_H

#include "request.h"
#include "tfm_platform_api.h"

static inline enum tfm_platform_err_t platform_request(uint32_t sid, int32_t type,
                                                       const psa_invec *in_vec, size_t in_len,
                                                       psa_outvec *out_vec, size_t out_len)
{
    /* a failed connect is PSA_ERROR_GENERIC_ERROR here: negative as well */
    psa_status_t status = psa_request(sid, type, in_vec, in_len, out_vec, out_len, NULL);

    if (status < PSA_SUCCESS) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    return (enum tfm_platform_err_t)status;
}

#endif /* HOST_PSA_PLATFORM_REQUEST_H */
