/* psa/its.c - Internal Trusted Storage client (TF-M v1.3 layout: one SID per function,
 * connect -> PSA_IPC_CALL -> close for every call; a failed connect gives GENERIC_ERROR). */
#include "psa/client.h"
#include "psa/internal_trusted_storage.h"
#include "psa_host_sids.h"

/* connect, call, close; GENERIC_ERROR if the connection cannot be made */
static psa_status_t its_transact(uint32_t sid, const psa_invec *in_vec, size_t in_len,
                                 psa_outvec *out_vec, size_t out_len)
{
    psa_handle_t h = psa_connect(sid, SID_VERSION);
    if (!PSA_HANDLE_IS_VALID(h)) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    psa_status_t status = psa_call(h, PSA_IPC_CALL, in_vec, in_len, out_vec, out_len);
    psa_close(h);
    return status;
}

psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                         psa_storage_create_flags_t create_flags)
{
    psa_invec in_vec[3];

    in_vec[0].base = &uid;
    in_vec[0].len = sizeof(uid);
    in_vec[1].base = p_data;
    in_vec[1].len = data_length;
    in_vec[2].base = &create_flags;
    in_vec[2].len = sizeof(create_flags);
    return its_transact(SID_ITS_SET, in_vec, 3u, NULL, 0u);
}

psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size,
                         void *p_data, size_t *p_data_length)
{
    psa_invec in_vec[2];
    psa_outvec out_vec[1];

    if (p_data_length == NULL) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    in_vec[0].base = &uid;
    in_vec[0].len = sizeof(uid);
    in_vec[1].base = &data_offset;
    in_vec[1].len = sizeof(data_offset);
    out_vec[0].base = p_data;
    out_vec[0].len = data_size;

    psa_handle_t h = psa_connect(SID_ITS_GET, SID_VERSION);
    if (!PSA_HANDLE_IS_VALID(h)) {
        return PSA_ERROR_GENERIC_ERROR;         /* *p_data_length untouched */
    }
    psa_status_t status = psa_call(h, PSA_IPC_CALL, in_vec, 2u, out_vec, 1u);
    psa_close(h);
    /* whatever the status: the bytes written, as the SPM put them into out_vec[0].len
     * (still data_size if the SPM rejected the call before any service saw it) */
    *p_data_length = out_vec[0].len;
    return status;
}

psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    in_vec[0].base = &uid;
    in_vec[0].len = sizeof(uid);
    out_vec[0].base = p_info;
    out_vec[0].len = sizeof(*p_info);
    return its_transact(SID_ITS_GET_INFO, in_vec, 1u, out_vec, 1u);
}

psa_status_t psa_its_remove(psa_storage_uid_t uid)
{
    psa_invec in_vec[1];

    in_vec[0].base = &uid;
    in_vec[0].len = sizeof(uid);
    return its_transact(SID_ITS_REMOVE, in_vec, 1u, NULL, 0u);
}
