/* psa/svc_stubs.c - the five PSA client SVCs (TF-M v1.3 numbering).
 *
 * Each stub is "svc #n; bx lr": the arguments stay in r0..r3 as the caller passed them and
 * the SPM leaves its result in r0. The SPM decides who is calling from the address of the SVC
 * instruction, so a secure partition links its own copy of this file into its code section
 * (host/sp268/). The stubs live in their own file so that the compiler, which cannot see what
 * an SVC does, never optimises a caller on the basis of their (empty-looking) bodies. */
#include "psa/client.h"

#define SVC_STR_(n) #n
#define SVC_STR(n)  SVC_STR_(n)

#define SVC_PSA_FRAMEWORK_VERSION   10
#define SVC_PSA_VERSION             11
#define SVC_PSA_CONNECT             12
#define SVC_PSA_CALL                13
#define SVC_PSA_CLOSE               14

#define SVC_STUB __attribute__((naked, noinline, noclone))

SVC_STUB uint32_t psa_framework_version(void)
{
    __asm__ volatile("svc #" SVC_STR(SVC_PSA_FRAMEWORK_VERSION) "\n\tbx lr");
}

/* r0 = sid */
SVC_STUB uint32_t psa_version(uint32_t sid)
{
    (void)sid;
    __asm__ volatile("svc #" SVC_STR(SVC_PSA_VERSION) "\n\tbx lr");
}

/* r0 = sid, r1 = version; r0 = handle (> 0) or a status */
SVC_STUB psa_handle_t psa_connect(uint32_t sid, uint32_t version)
{
    (void)sid;
    (void)version;
    __asm__ volatile("svc #" SVC_STR(SVC_PSA_CONNECT) "\n\tbx lr");
}

/* r0 = handle, r1 = &ctrl, r2 = in_vec, r3 = out_vec; r0 = status */
SVC_STUB psa_status_t psa_call_param_pack(psa_handle_t handle,
                                          const struct tfm_control_parameter_t *ctrl,
                                          const psa_invec *in_vec, psa_outvec *out_vec)
{
    (void)handle;
    (void)ctrl;
    (void)in_vec;
    (void)out_vec;
    __asm__ volatile("svc #" SVC_STR(SVC_PSA_CALL) "\n\tbx lr");
}

/* r0 = handle */
SVC_STUB void psa_close(psa_handle_t handle)
{
    (void)handle;
    __asm__ volatile("svc #" SVC_STR(SVC_PSA_CLOSE) "\n\tbx lr");
}
