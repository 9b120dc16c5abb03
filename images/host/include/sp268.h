/* sp268.h - entry points of the secure partition 268 linked into regression_host.
 *
 * The partition's code is in output section .tfm_sp.268 (Secure alias 0x1A280000) and its data
 * and stack in Secure SRAM (0x30000000); it carries its own copy of the PSA client library, so
 * every SVC it makes is seen by the SPM as coming from partition 268. The non-secure test code
 * calls these functions directly. They switch to the partition's own stack and never perform a
 * call the SPM would treat as a programmer error (that would panic the system). */
#ifndef HOST_SP268_H
#define HOST_SP268_H

#include <stdint.h>

struct sp268_result {
    int32_t status;     /* status of the failing step, or of the last step */
    uint32_t step;      /* 0 = all steps passed, otherwise the failing step (see sp268.c) */
    uint32_t value;     /* step-specific extra value (a length or a counter value) */
};

/* tfm_platform_nv_counter_read(0, 4, buf) as a secure client. Returns the
 * enum tfm_platform_err_t result; res->value = the counter bytes (little-endian) read. */
int32_t sp268_nv_counter_read0(struct sp268_result *res);

/* ITS set / get / compare / get_info / remove of uid SP268_ITS_UID as a secure client.
 * Returns 0 and res->step 0 when all steps passed. */
#define SP268_ITS_UID   0x5EC00268u
#define SP268_ITS_LEN   24u
int32_t sp268_its_roundtrip(struct sp268_result *res);

#endif /* HOST_SP268_H */
