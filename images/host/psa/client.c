/* psa/client.c - psa_call(): the TF-M v1.3 control block on the caller's stack; and
 * psa_request() (psa/request.h), the connect -> call -> close of every client API call. */
#include "psa/client.h"
#include "psa_host_sids.h"
#include "request.h"

psa_status_t psa_call(psa_handle_t handle, int32_t type,
                      const psa_invec *in_vec, size_t in_len,
                      psa_outvec *out_vec, size_t out_len)
{
    /* The SPM reads (and may check write access to) these 12 bytes during the SVC. */
    struct tfm_control_parameter_t ctrl;

    ctrl.type = type;
    ctrl.in_len = in_len;
    ctrl.out_len = out_len;
    return psa_call_param_pack(handle, &ctrl, in_vec, out_vec);
}

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
