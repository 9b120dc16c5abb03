/* psa_ns_api.c - the PSA client API of a bare-metal Non-secure application, over the secure
 * veneers (tfm_veneers.h). With an RTOS, wrap each veneer call in the mutex that serialises
 * calls into the secure side. */
#include <stdint.h>

#include "psa/client.h"
#include "psa_release.h"
#include "tfm_veneers.h"

uint32_t psa_framework_version(void)
{
    return tfm_psa_framework_version_veneer();
}

uint32_t psa_version(uint32_t sid)
{
    return tfm_psa_version_veneer(sid);
}

psa_handle_t psa_connect(uint32_t sid, uint32_t version)
{
    return tfm_psa_connect_veneer(sid, version);
}

psa_status_t psa_call(psa_handle_t handle, int32_t type,
                      const psa_invec *in_vec, size_t in_len,
                      psa_outvec *out_vec, size_t out_len)
{
#if PSA_PACKED_CALL_PARAMS
    uint32_t word;

    if (!psa_pack_call_params(type, in_len, out_len, &word)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return tfm_psa_call_veneer(handle, (const struct tfm_control_parameter_t *)(uintptr_t)word, in_vec, out_vec);
#else
    /* The control block lives on the caller's (Non-secure) stack for the duration of the call. */
    const struct tfm_control_parameter_t ctrl = { type, in_len, out_len };

    return tfm_psa_call_veneer(handle, &ctrl, in_vec, out_vec);
#endif
}

void psa_close(psa_handle_t handle)
{
    tfm_psa_close_veneer(handle);
}
