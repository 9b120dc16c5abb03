/* psa/platform.c - TF-M platform service client, the calls open to non-secure clients
 * (system reset, ioctl). Result mapping in psa/platform_request.h. */
#include "psa/client.h"
#include "psa_host_sids.h"
#include "platform_request.h"

enum tfm_platform_err_t tfm_platform_system_reset(void)
{
    return platform_request(SID_PLATFORM_SYSTEM_RESET, PSA_IPC_CALL, NULL, 0u, NULL, 0u);
}

enum tfm_platform_err_t tfm_platform_ioctl(tfm_platform_ioctl_req_t request,
                                           psa_invec *input, psa_outvec *output)
{
    tfm_platform_ioctl_req_t req = request;
    psa_invec in_vec[2];
    size_t in_len = 1u;
    size_t out_len = 0u;

    in_vec[0] = psa_in(&req, sizeof(req));
    if (input != NULL) {
        in_vec[1] = psa_in(input->base, input->len);
        in_len = 2u;
    }
    if (output != NULL) {
        out_len = 1u;
    }
    return platform_request(SID_PLATFORM_IOCTL, PSA_IPC_CALL, in_vec, in_len, output, out_len);
}
