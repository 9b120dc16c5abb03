/* psa/client.h - PSA client API of the Host (TF-M v1.3 IPC model).
 *
 * The five calls reach the SPM through SVC 10..14 (see psa/svc_stubs.c). psa_call() passes a
 * pointer to a 12-byte control block {type, in_len, out_len} on the caller's stack in r1. */
#ifndef HOST_PSA_CLIENT_H
#define HOST_PSA_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"

/* PSA_FRAMEWORK_VERSION, PSA_VERSION_NONE, psa_handle_t, PSA_NULL_HANDLE, PSA_MAX_IOVEC and
 * PSA_IPC_CALL: common/psa_common.h (through psa/error.h). */
#define PSA_HANDLE_IS_VALID(h)  ((psa_handle_t)(h) > 0)
/* A connect result that is not a handle is a status (0 or negative). */
#define PSA_HANDLE_TO_ERROR(h)  ((psa_status_t)(h))

typedef struct psa_invec {
    const void *base;
    size_t len;
} psa_invec;

typedef struct psa_outvec {
    void *base;
    size_t len;
} psa_outvec;

/* What r1 of the psa_call SVC points at (TF-M v1.3). */
struct tfm_control_parameter_t {
    int32_t type;
    size_t in_len;
    size_t out_len;
};

uint32_t psa_framework_version(void);
uint32_t psa_version(uint32_t sid);
psa_handle_t psa_connect(uint32_t sid, uint32_t version);
psa_status_t psa_call(psa_handle_t handle, int32_t type,
                      const psa_invec *in_vec, size_t in_len,
                      psa_outvec *out_vec, size_t out_len);
void psa_close(psa_handle_t handle);

/* The raw SVC 13 stub under psa_call (exported for tests and for the partition copy). */
psa_status_t psa_call_param_pack(psa_handle_t handle, const struct tfm_control_parameter_t *ctrl,
                                 const psa_invec *in_vec, psa_outvec *out_vec);

#endif /* HOST_PSA_CLIENT_H */
