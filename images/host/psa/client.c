/* psa/client.c - psa_call(): the TF-M v1.3 control block on the caller's stack. */
#include "psa/client.h"

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
