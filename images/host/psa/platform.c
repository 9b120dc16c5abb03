/* psa/platform.c - TF-M platform service client, the calls open to non-secure clients
 * (system reset, ioctl). A failed connect and any negative status map to
 * TFM_PLATFORM_ERR_SYSTEM_ERROR; a non-negative status is the service's enum value. */
#include "psa/client.h"
#include "psa_host_sids.h"
#include "tfm_platform_api.h"

static enum tfm_platform_err_t platform_status(psa_status_t status)
{
    if (status < PSA_SUCCESS) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    return (enum tfm_platform_err_t)status;
}

enum tfm_platform_err_t tfm_platform_system_reset(void)
{
    psa_handle_t h = psa_connect(SID_PLATFORM_SYSTEM_RESET, SID_VERSION);
    if (h <= 0) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    psa_status_t status = psa_call(h, PSA_IPC_CALL, NULL, 0u, NULL, 0u);
    psa_close(h);
    return platform_status(status);
}

enum tfm_platform_err_t tfm_platform_ioctl(tfm_platform_ioctl_req_t request,
                                           psa_invec *input, psa_outvec *output)
{
    tfm_platform_ioctl_req_t req = request;
    psa_invec in_vec[2];
    size_t in_len = 1u;
    size_t out_len = 0u;

    in_vec[0].base = &req;
    in_vec[0].len = sizeof(req);
    if (input != NULL) {
        in_vec[1].base = input->base;
        in_vec[1].len = input->len;
        in_len = 2u;
    }
    if (output != NULL) {
        out_len = 1u;
    }

    psa_handle_t h = psa_connect(SID_PLATFORM_IOCTL, SID_VERSION);
    if (h <= 0) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    psa_status_t status = psa_call(h, PSA_IPC_CALL, in_vec, in_len, output, out_len);
    psa_close(h);
    return platform_status(status);
}
