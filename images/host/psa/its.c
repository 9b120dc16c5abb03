/* psa/its.c - Internal Trusted Storage client (TF-M v1.3 layout: one SID per function,
 * connect -> PSA_IPC_CALL -> close for every call; a failed connect gives GENERIC_ERROR).
 * The calls are the storage client's (psa/storage_client.c), shared with PS. */
#include "psa/internal_trusted_storage.h"
#include "psa_host_sids.h"
#include "storage_client.h"

psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                         psa_storage_create_flags_t create_flags)
{
    return storage_client_set(SID_ITS_SET, uid, data_length, p_data, create_flags);
}

psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size,
                         void *p_data, size_t *p_data_length)
{
    return storage_client_get(SID_ITS_GET, uid, data_offset, data_size, p_data, p_data_length);
}

psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return storage_client_get_info(SID_ITS_GET_INFO, uid, p_info);
}

psa_status_t psa_its_remove(psa_storage_uid_t uid)
{
    return storage_client_remove(SID_ITS_REMOVE, uid);
}
