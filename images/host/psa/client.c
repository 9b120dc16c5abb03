/* psa/client.c - psa_call(): the TF-M v1.3 control block on the caller's stack, or the packed
 * parameter word of v1.4+ (psa_release.h). */
#include <stdint.h>

#include "psa/client.h"
#include "psa_release.h"

psa_status_t psa_call(psa_handle_t handle, int32_t type,
                      const psa_invec *in_vec, size_t in_len,
                      psa_outvec *out_vec, size_t out_len)
{
#if PSA_PACKED_CALL_PARAMS
    uint32_t word;

    if (!psa_pack_call_params(type, in_len, out_len, &word)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    /* r1 carries the word itself; the SVC stub passes it through untouched */
    return psa_call_param_pack(handle, (const struct tfm_control_parameter_t *)(uintptr_t)word,
                               in_vec, out_vec);
#else
    /* The SPM reads (and may check write access to) these 12 bytes during the SVC. */
    struct tfm_control_parameter_t ctrl;

    ctrl.type = type;
    ctrl.in_len = in_len;
    ctrl.out_len = out_len;
    return psa_call_param_pack(handle, &ctrl, in_vec, out_vec);
#endif
}
