/* psa/storage_client.c - the storage calls shared by the ITS and PS clients
 * (psa/storage_client.h). */
#include "psa/client.h"
#include "request.h"
#include "storage_client.h"

psa_status_t storage_client_set(uint32_t sid, psa_storage_uid_t uid, size_t data_length,
                                const void *p_data, psa_storage_create_flags_t create_flags)
{
    const psa_invec in_vec[3] = {
        psa_in(&uid, sizeof(uid)),
        psa_in(p_data, data_length),
        psa_in(&create_flags, sizeof(create_flags)),
    };

    return psa_request(sid, PSA_IPC_CALL, in_vec, 3u, NULL, 0u, NULL);
}

psa_status_t storage_client_get(uint32_t sid, psa_storage_uid_t uid, size_t data_offset,
                                size_t data_size, void *p_data, size_t *p_data_length)
{
    const psa_invec in_vec[2] = {
        psa_in(&uid, sizeof(uid)),
        psa_in(&data_offset, sizeof(data_offset)),
    };
    psa_outvec out_vec[1] = { psa_out(p_data, data_size) };
    psa_handle_t h;

    if (p_data_length == NULL) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    psa_status_t status = psa_request(sid, PSA_IPC_CALL, in_vec, 2u, out_vec, 1u, &h);
    if (PSA_HANDLE_IS_VALID(h)) {
        /* whatever the status: the bytes written, as the SPM put them into out_vec[0].len
         * (still data_size if the SPM rejected the call before any service saw it); after a
         * failed connect *p_data_length is left untouched */
        *p_data_length = out_vec[0].len;
    }
    return status;
}

psa_status_t storage_client_get_info(uint32_t sid, psa_storage_uid_t uid,
                                     struct psa_storage_info_t *p_info)
{
    const psa_invec in_vec[1] = { psa_in(&uid, sizeof(uid)) };
    psa_outvec out_vec[1] = { psa_out(p_info, sizeof(*p_info)) };

    return psa_request(sid, PSA_IPC_CALL, in_vec, 1u, out_vec, 1u, NULL);
}

psa_status_t storage_client_remove(uint32_t sid, psa_storage_uid_t uid)
{
    const psa_invec in_vec[1] = { psa_in(&uid, sizeof(uid)) };

    return psa_request(sid, PSA_IPC_CALL, in_vec, 1u, NULL, 0u, NULL);
}
