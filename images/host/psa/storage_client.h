/* psa/storage_client.h - private to the client library: the calls the ITS (psa/its.c) and PS
 * (psa/ps.c) clients share, each taking the SID of its service. TF-M v1.3 wire format:
 *
 *   set      in[0] uid (8), in[1] data, in[2] create_flags (4)
 *   get      in[0] uid (8), in[1] data_offset (4)      out[0] data
 *   get_info in[0] uid (8)                              out[0] psa_storage_info_t (12)
 *   remove   in[0] uid (8)
 *
 * A failed connect gives PSA_ERROR_GENERIC_ERROR (psa_request). */
#ifndef HOST_PSA_STORAGE_CLIENT_H
#define HOST_PSA_STORAGE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "psa/storage_common.h"

psa_status_t storage_client_set(uint32_t sid, psa_storage_uid_t uid, size_t data_length,
                                const void *p_data, psa_storage_create_flags_t create_flags);
/* PSA_ERROR_INVALID_ARGUMENT without a call if p_data_length is NULL. */
psa_status_t storage_client_get(uint32_t sid, psa_storage_uid_t uid, size_t data_offset,
                                size_t data_size, void *p_data, size_t *p_data_length);
psa_status_t storage_client_get_info(uint32_t sid, psa_storage_uid_t uid,
                                     struct psa_storage_info_t *p_info);
psa_status_t storage_client_remove(uint32_t sid, psa_storage_uid_t uid);

#endif /* HOST_PSA_STORAGE_CLIENT_H */
