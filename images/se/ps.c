/* ps.c - Protected Storage service (TF-M v1.3 wire format: SIDs 0x60..0x64, one function per
 * SID, every call PSA_IPC_CALL).
 *
 *   set         in[0] uid (8), in[1] data, in[2] create_flags (4)
 *   get         in[0] uid (8), in[1] data_offset (4)   out[0] data
 *   get_info    in[0] uid (8)                           out[0] psa_storage_info_t (12)
 *   remove      in[0] uid (8)
 *   get_support                                         out[0] u32 (4)
 *
 * Assets are keyed by (client_id, uid) in the PS store (storage.c), separate from ITS: the
 * same uid in ITS and PS are different assets. At most 10 assets of up to 2048 bytes. The
 * data is stored as is (TF-M's PS encrypts with AEAD and uses NV counters for rollback
 * protection; neither is visible on the wire). The request handling is shared with ITS
 * (storage_service.c); PS checks the size limit of set before the lookup. */
#include <stdint.h>

#include "spm.h"
#include "storage_service.h"

#define PS_SUPPORT_FLAGS        0u      /* PSA_STORAGE_SUPPORT_SET_EXTENDED not offered */

static const storage_service_t ps = {
    .area = STORAGE_PS,
    .max_data = STORAGE_PS_MAX_DATA,
    .size_before_lookup = true,
};

psa_status_t ps_set(se_msg_t *m)
{
    return storage_service_set(&ps, m);
}

psa_status_t ps_get(se_msg_t *m)
{
    return storage_service_get(&ps, m);
}

psa_status_t ps_get_info(se_msg_t *m)
{
    return storage_service_get_info(&ps, m);
}

psa_status_t ps_remove(se_msg_t *m)
{
    return storage_service_remove(&ps, m);
}

psa_status_t ps_get_support(se_msg_t *m)
{
    uint32_t support = PS_SUPPORT_FLAGS;

    if (m->out_size[0] != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return se_write(m, 0, &support, sizeof support);
}
