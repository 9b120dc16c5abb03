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
 * protection; neither is visible on the wire). */
#include <stddef.h>
#include <stdint.h>

#include "spm.h"
#include "storage.h"

#define PS_FLAG_WRITE_ONCE      0x1u
#define PS_FLAGS_DEFINED        0x7u    /* WRITE_ONCE | NO_CONFIDENTIALITY | NO_REPLAY_PROTECTION */
#define PS_INFO_SIZE            12u
#define PS_SUPPORT_FLAGS        0u      /* PSA_STORAGE_SUPPORT_SET_EXTENDED not offered */
#define PS_CHUNK                128u

static uint8_t ps_chunk[PS_CHUNK];

static uint64_t ps_read_uid(se_msg_t *m)
{
    uint64_t uid = 0;
    (void)se_read(m, 0, &uid, sizeof uid);
    return uid;
}

psa_status_t ps_set(se_msg_t *m)
{
    uint64_t uid;
    uint32_t flags = 0, len, left;
    storage_asset_t a;
    storage_write_t w;
    psa_status_t st;

    if (m->in_size[0] != 8u || m->in_size[2] != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    len = m->in_size[1];
    uid = ps_read_uid(m);
    (void)se_read(m, 2, &flags, sizeof flags);

    if (uid == 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if ((flags & ~PS_FLAGS_DEFINED) != 0u) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (len > STORAGE_PS_MAX_DATA) {        /* PS checks the size before the lookup */
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    st = storage_lookup(STORAGE_PS, m->client_id, uid, &a);
    if (st == PSA_SUCCESS) {
        if ((a.flags & PS_FLAG_WRITE_ONCE) != 0u) {
            return PSA_ERROR_NOT_PERMITTED;
        }
    } else if (st != PSA_ERROR_DOES_NOT_EXIST) {
        return st;
    }
    st = storage_write_begin(&w, STORAGE_PS, m->client_id, uid, flags & 0xFFFFu, len);
    if (st != PSA_SUCCESS) {
        return st;
    }
    for (left = len; left != 0u;) {
        size_t n = se_read(m, 1, ps_chunk, left < PS_CHUNK ? left : PS_CHUNK);
        if (n == 0u) {
            break;      /* short input: not committed below */
        }
        storage_write_data(&w, ps_chunk, (uint32_t)n);
        left -= (uint32_t)n;
    }
    return storage_write_commit(&w);
}

psa_status_t ps_get(se_msg_t *m)
{
    uint64_t uid;
    uint32_t offset = 0, n;
    storage_asset_t a;
    psa_status_t st;

    if (m->in_size[0] != 8u || m->in_size[1] != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    uid = ps_read_uid(m);
    (void)se_read(m, 1, &offset, sizeof offset);
    if (uid == 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    st = storage_lookup(STORAGE_PS, m->client_id, uid, &a);
    if (st != PSA_SUCCESS) {
        return st;
    }
    if (offset > a.size) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    n = a.size - offset;
    if (n > m->out_size[0]) {
        n = m->out_size[0];
    }
    return se_write(m, 0, storage_data(STORAGE_PS, &a) + offset, n);
}

psa_status_t ps_get_info(se_msg_t *m)
{
    uint64_t uid;
    uint32_t info[3];
    storage_asset_t a;
    psa_status_t st;

    if (m->in_size[0] != 8u || m->out_size[0] != PS_INFO_SIZE) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    uid = ps_read_uid(m);
    if (uid == 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    st = storage_lookup(STORAGE_PS, m->client_id, uid, &a);
    if (st != PSA_SUCCESS) {
        return st;
    }
    /* Deviation from TF-M v1.3/v1.5: their PS never fills `capacity` and sends whatever was on
     * the stack there. Here capacity = size (as ITS does), so the reply is deterministic. */
    info[0] = a.size;
    info[1] = a.size;
    info[2] = a.flags & 0xFFFFu;
    return se_write(m, 0, info, sizeof info);
}

psa_status_t ps_remove(se_msg_t *m)
{
    uint64_t uid;
    storage_asset_t a;
    psa_status_t st;

    if (m->in_size[0] != 8u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    uid = ps_read_uid(m);
    if (uid == 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    st = storage_lookup(STORAGE_PS, m->client_id, uid, &a);
    if (st != PSA_SUCCESS) {
        return st;
    }
    if ((a.flags & PS_FLAG_WRITE_ONCE) != 0u) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    return storage_remove(STORAGE_PS, &a);
}

psa_status_t ps_get_support(se_msg_t *m)
{
    uint32_t support = PS_SUPPORT_FLAGS;

    if (m->out_size[0] != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return se_write(m, 0, &support, sizeof support);
}
