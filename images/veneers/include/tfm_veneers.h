/* tfm_veneers.h - the secure entry points a Non-secure application calls (TF-M v1.3 IPC model).
 *
 * Their addresses come from the import library prebuilt/s_veneers.o. Each veneer issues the
 * PSA client SVC of its name with the arguments still in r0..r3 and returns the SPM's result
 * in r0; the SPM treats the call as coming from a Non-secure client (client id -1): every
 * buffer it is given, the psa_call control block included, must be Non-secure memory. */
#ifndef PSAEMU_TFM_VENEERS_H
#define PSAEMU_TFM_VENEERS_H

#include <stdint.h>

#include "psa/client.h"

uint32_t tfm_psa_framework_version_veneer(void);
uint32_t tfm_psa_version_veneer(uint32_t sid);
psa_handle_t tfm_psa_connect_veneer(uint32_t sid, uint32_t version);
/* ctrl: {type, in_len, out_len}, 12 bytes, read by the SPM during the call */
psa_status_t tfm_psa_call_veneer(psa_handle_t handle, const struct tfm_control_parameter_t *ctrl,
                                 const psa_invec *in_vec, psa_outvec *out_vec);
void tfm_psa_close_veneer(psa_handle_t handle);

#endif /* PSAEMU_TFM_VENEERS_H */
