/* its.c - Internal Trusted Storage service (TF-M v1.3 wire format: SIDs 0x70..0x73, one
 * function per SID, every call PSA_IPC_CALL).
 *
 *   set      in[0] uid (8), in[1] data, in[2] create_flags (4)
 *   get      in[0] uid (8), in[1] data_offset (4)      out[0] data
 *   get_info in[0] uid (8)                              out[0] psa_storage_info_t (12)
 *   remove   in[0] uid (8)
 *
 * Assets are keyed by (client_id, uid) in the ITS store (storage.c); at most 10 assets of up
 * to 512 bytes. A mailbox request has client_id -1 unless client ids are forwarded (spm.c). The
 * request handling is shared with PS (storage_service.c); ITS checks the size limit of set after
 * the lookup. */
#include "spm.h"
#include "storage_service.h"

static const storage_service_t its = {
    .area = STORAGE_ITS,
    .max_data = STORAGE_ITS_MAX_DATA,
    .size_before_lookup = false,
};

psa_status_t its_set(se_msg_t *m)
{
    return storage_service_set(&its, m);
}

psa_status_t its_get(se_msg_t *m)
{
    return storage_service_get(&its, m);
}

psa_status_t its_get_info(se_msg_t *m)
{
    return storage_service_get_info(&its, m);
}

psa_status_t its_remove(se_msg_t *m)
{
    return storage_service_remove(&its, m);
}
