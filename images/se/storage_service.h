/* storage_service.h - the request handling shared by the ITS (its.c) and PS (ps.c) services:
 * the TF-M v1.3 wire format of set/get/get_info/remove, parameterised by the store.
 *
 *   set      in[0] uid (8), in[1] data, in[2] create_flags (4)
 *   get      in[0] uid (8), in[1] data_offset (4)      out[0] data
 *   get_info in[0] uid (8)                              out[0] psa_storage_info_t (12)
 *   remove   in[0] uid (8)
 *
 * Assets are keyed by (client_id, uid) in the service's store (storage.c). */
#ifndef SE_STORAGE_SERVICE_H
#define SE_STORAGE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "spm.h"
#include "storage.h"

typedef struct {
    storage_area_t area;
    uint32_t max_data;          /* largest asset set accepts (larger: INVALID_ARGUMENT) */
    bool size_before_lookup;    /* set checks max_data before (PS) or after (ITS) the lookup */
} storage_service_t;

psa_status_t storage_service_set(const storage_service_t *s, se_msg_t *m);
psa_status_t storage_service_get(const storage_service_t *s, se_msg_t *m);
psa_status_t storage_service_get_info(const storage_service_t *s, se_msg_t *m);
psa_status_t storage_service_remove(const storage_service_t *s, se_msg_t *m);

#endif /* SE_STORAGE_SERVICE_H */
