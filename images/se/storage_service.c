/* storage_service.c - set/get/get_info/remove for the ITS and PS services (storage_service.h). */
#include <stddef.h>
#include <stdint.h>

#include "storage_service.h"

#define STORAGE_FLAG_WRITE_ONCE 0x1u
#define STORAGE_FLAGS_DEFINED   0x7u    /* WRITE_ONCE | NO_CONFIDENTIALITY | NO_REPLAY_PROTECTION */
#define STORAGE_INFO_SIZE       12u
#define STORAGE_CHUNK           128u

static uint8_t storage_chunk[STORAGE_CHUNK];

static uint64_t read_uid(se_msg_t *m)
{
    uint64_t uid = 0;
    (void)se_read(m, 0, &uid, sizeof uid);
    return uid;
}

/* The asset named by in[0] (uid 0: INVALID_ARGUMENT; else the lookup's status). */
static psa_status_t lookup_uid(const storage_service_t *s, se_msg_t *m, storage_asset_t *a)
{
    uint64_t uid = read_uid(m);

    if (uid == 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    return storage_lookup(s->area, m->client_id, uid, a);
}

psa_status_t storage_service_set(const storage_service_t *s, se_msg_t *m)
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
    uid = read_uid(m);
    (void)se_read(m, 2, &flags, sizeof flags);

    if (uid == 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if ((flags & ~STORAGE_FLAGS_DEFINED) != 0u) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (s->size_before_lookup && len > s->max_data) {       /* PS */
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    st = storage_lookup(s->area, m->client_id, uid, &a);
    if (st == PSA_SUCCESS) {
        if ((a.flags & STORAGE_FLAG_WRITE_ONCE) != 0u) {
            return PSA_ERROR_NOT_PERMITTED;
        }
    } else if (st != PSA_ERROR_DOES_NOT_EXIST) {
        return st;
    }
    if (len > s->max_data) {                                /* ITS (PS: checked above) */
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    st = storage_write_begin(&w, s->area, m->client_id, uid, flags & 0xFFFFu, len);
    if (st != PSA_SUCCESS) {
        return st;
    }
    for (left = len; left != 0u;) {
        size_t n = se_read(m, 1, storage_chunk, left < STORAGE_CHUNK ? left : STORAGE_CHUNK);
        if (n == 0u) {
            break;      /* short input: not committed below */
        }
        storage_write_data(&w, storage_chunk, (uint32_t)n);
        left -= (uint32_t)n;
    }
    return storage_write_commit(&w);
}

psa_status_t storage_service_get(const storage_service_t *s, se_msg_t *m)
{
    uint32_t offset = 0, n;
    storage_asset_t a;
    psa_status_t st;

    if (m->in_size[0] != 8u || m->in_size[1] != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    (void)se_read(m, 1, &offset, sizeof offset);
    st = lookup_uid(s, m, &a);
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
    return se_write(m, 0, storage_data(s->area, &a) + offset, n);
}

psa_status_t storage_service_get_info(const storage_service_t *s, se_msg_t *m)
{
    uint32_t info[3];
    storage_asset_t a;
    psa_status_t st;

    if (m->in_size[0] != 8u || m->out_size[0] != STORAGE_INFO_SIZE) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = lookup_uid(s, m, &a);
    if (st != PSA_SUCCESS) {
        return st;
    }
    /* capacity = size: ITS files are exactly their size. For PS this deviates from TF-M
     * v1.3/v1.5, whose PS never fills `capacity` and sends whatever was on the stack there;
     * here the reply is deterministic. */
    info[0] = a.size;
    info[1] = a.size;
    info[2] = a.flags & 0xFFFFu;
    return se_write(m, 0, info, sizeof info);
}

psa_status_t storage_service_remove(const storage_service_t *s, se_msg_t *m)
{
    storage_asset_t a;
    psa_status_t st;

    if (m->in_size[0] != 8u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = lookup_uid(s, m, &a);
    if (st != PSA_SUCCESS) {
        return st;
    }
    if ((a.flags & STORAGE_FLAG_WRITE_ONCE) != 0u) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    return storage_remove(s->area, &a);
}
