/* psa/ps.c - Protected Storage client (TF-M v1.3 layout: one SID per function,
 * connect -> PSA_IPC_CALL -> close for every call; a failed connect gives GENERIC_ERROR).
 * set/get/get_info/remove are the storage client's (psa/storage_client.c), shared with ITS. */
#include "psa/client.h"
#include "psa/protected_storage.h"
#include "psa_host_sids.h"
#include "request.h"
#include "storage_client.h"

psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                        psa_storage_create_flags_t create_flags)
{
    return storage_client_set(SID_PS_SET, uid, data_length, p_data, create_flags);
}

psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size,
                        void *p_data, size_t *p_data_length)
{
    return storage_client_get(SID_PS_GET, uid, data_offset, data_size, p_data, p_data_length);
}

psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return storage_client_get_info(SID_PS_GET_INFO, uid, p_info);
}

psa_status_t psa_ps_remove(psa_storage_uid_t uid)
{
    return storage_client_remove(SID_PS_REMOVE, uid);
}

psa_status_t psa_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags)
{
    (void)uid;
    (void)capacity;
    (void)create_flags;
    return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_ps_set_extended(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                                 const void *p_data)
{
    (void)uid;
    (void)data_offset;
    (void)data_length;
    (void)p_data;
    return PSA_ERROR_NOT_SUPPORTED;
}

uint32_t psa_ps_get_support(void)
{
    /* The service always answers PSA_SUCCESS; the status is not looked at. */
    uint32_t support_flags = 0u;
    psa_outvec out_vec[1] = { psa_out(&support_flags, sizeof(support_flags)) };

    (void)psa_request(SID_PS_GET_SUPPORT, PSA_IPC_CALL, NULL, 0u, out_vec, 1u, NULL);
    return support_flags;
}
