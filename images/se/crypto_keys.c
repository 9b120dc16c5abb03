/* crypto_keys.c - the Crypto service's key table, key policy and persistent keys.
 *
 * Key table (TF-M v1.3 crypto_key.c): CRYPTO_NUM_KEYS entries {owner, key id, attributes};
 * entry i is the engine's key slot i, which holds the material. A key is found by id; an id
 * in the table owned by another client id is PSA_ERROR_NOT_PERMITTED, an unknown one
 * PSA_ERROR_INVALID_HANDLE; a full table PSA_ERROR_INSUFFICIENT_MEMORY.
 * Volatile keys get ids KEY_ID_VOLATILE_MIN + entry (0x7FFFFFE0.. with 32 entries); persistent
 * keys keep their user id (1..0x3FFFFFFF) and are stored, as Mbed TLS stores them through
 * ITS, as an ITS asset of client id TFM_SP_CRYPTO (259), uid = owner << 32 | id, holding the
 * 24-byte client attributes followed by the engine's key blob (512 bytes at most). A stored
 * key is loaded into the table on first use after an SE reset (or by psa_open_key). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_internal.h"
#include "platform_config.h"
#include "lib/memfuncs.h"
#include "storage.h"

enum {
    SFN_GET_KEY_ATTRIBUTES = 0, SFN_RESET_KEY_ATTRIBUTES = 1, SFN_OPEN_KEY = 2, SFN_CLOSE_KEY = 3,
    SFN_IMPORT_KEY = 4, SFN_DESTROY_KEY = 5, SFN_EXPORT_KEY = 6, SFN_EXPORT_PUBLIC_KEY = 7,
    SFN_PURGE_KEY = 8, SFN_COPY_KEY = 9, SFN_GENERATE_KEY = 62
};

#define CRYPTO_PARTITION_ID     259         /* TFM_SP_CRYPTO: owner of the stored keys */
#define KEY_STORE_MAX           STORAGE_ITS_MAX_DATA
#define LIFETIME_VOLATILE       0u
#define LIFETIME_READ_ONLY      0xFFu

static ckey_t crypto_keys[CRYPTO_NUM_KEYS];
static uint8_t key_store_buf[KEY_STORE_MAX];    /* attributes + blob of one stored key */
static uint32_t info_buf[2];                    /* engine output of key creation: type, bits */

uint32_t key_slot(const ckey_t *k)
{
    return (uint32_t)(k - crypto_keys);
}

/* ---- policy ---- */
static bool is_hash_and_sign(uint32_t alg)
{
    uint32_t base = alg & ~ALG_HASH_MASK;

    return base == 0x06000200u || base == 0x06000300u || base == 0x06000600u ||
           base == 0x06000700u;
}

/* Mbed TLS 2.25 psa_key_algorithm_permits: equal; a hash-and-sign policy with
 * PSA_ALG_ANY_HASH permits the same scheme with any specific hash; a key agreement policy
 * (ECDH + KDF) permits its raw agreement. */
static bool alg_permits(uint32_t policy, uint32_t alg)
{
    if (policy == alg) {
        return true;
    }
    if (is_hash_and_sign(alg) && (policy & ALG_HASH_MASK) == ALG_HASH_MASK &&
        (alg & ALG_HASH_MASK) != 0u && (policy & ~ALG_HASH_MASK) == (alg & ~ALG_HASH_MASK)) {
        return true;
    }
    return (policy & ALG_CATEGORY_MASK) == ALG_CAT_KA && (policy & 0xFFFFu) != 0u &&
           (policy & ALG_KA_MASK) == alg;
}

/* The algorithm two policies share (psa_copy_key): 0 when either is 0; the specific one of a
 * wildcard and a match; INVALID_ARGUMENT when they share none. */
static psa_status_t alg_intersect(uint32_t a, uint32_t b, uint32_t *out)
{
    if (a == b || b == 0u) {
        *out = b == 0u ? 0u : a;
        return PSA_SUCCESS;
    }
    if (a == 0u) {
        *out = 0u;
    } else if (alg_permits(a, b)) {
        *out = b;
    } else if (alg_permits(b, a)) {
        *out = a;
    } else {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    return PSA_SUCCESS;
}

/* ---- persistent keys ---- */
static uint64_t store_uid(int32_t owner, uint32_t id)
{
    return ((uint64_t)(uint32_t)owner << 32) | id;
}

static void attr_write(uint8_t *a, const ckey_t *k)
{
    memset(a, 0, CRYPTO_ATTR_SIZE);
    wr32(a + CRYPTO_ATTR_LIFETIME, k->lifetime);
    wr32(a + CRYPTO_ATTR_ID, k->id);
    wr32(a + CRYPTO_ATTR_ALG, k->alg);
    wr32(a + CRYPTO_ATTR_USAGE, k->usage);
    wr32(a + CRYPTO_ATTR_BITS, k->bits);
    a[CRYPTO_ATTR_TYPE] = (uint8_t)k->type;
    a[CRYPTO_ATTR_TYPE + 1] = (uint8_t)(k->type >> 8);
}

static void attr_read(const uint8_t *a, ckey_t *k)
{
    k->lifetime = rd32(a + CRYPTO_ATTR_LIFETIME);
    k->id = rd32(a + CRYPTO_ATTR_ID);
    k->alg = rd32(a + CRYPTO_ATTR_ALG);
    k->usage = rd32(a + CRYPTO_ATTR_USAGE);
    k->bits = rd32(a + CRYPTO_ATTR_BITS);
    k->type = (uint16_t)(a[CRYPTO_ATTR_TYPE] | (a[CRYPTO_ATTR_TYPE + 1] << 8));
}

/* The client's psa_client_key_attributes_s in the release the SE models: the v1.3 layout
 * above (24 bytes, also the stored one) or v1.4+'s 20 bytes {type u16, bits u16, lifetime, id,
 * usage, alg}. */
#define CLIENT_ATTR_V14_SIZE    20u

static uint32_t client_attr_size(void)
{
    return se_tfm_release() >= 14u ? CLIENT_ATTR_V14_SIZE : CRYPTO_ATTR_SIZE;
}

static void client_attr_write(uint8_t *a, const ckey_t *k)
{
    if (se_tfm_release() < 14u) {
        attr_write(a, k);
        return;
    }
    memset(a, 0, CLIENT_ATTR_V14_SIZE);
    a[0] = (uint8_t)k->type;
    a[1] = (uint8_t)(k->type >> 8);
    a[2] = (uint8_t)k->bits;
    a[3] = (uint8_t)(k->bits >> 8);
    wr32(a + 4, k->lifetime);
    wr32(a + 8, k->id);
    wr32(a + 12, k->usage);
    wr32(a + 16, k->alg);
}

static void client_attr_read(const uint8_t *a, ckey_t *k)
{
    if (se_tfm_release() < 14u) {
        attr_read(a, k);
        return;
    }
    k->type = (uint16_t)(a[0] | (a[1] << 8));
    k->bits = (uint32_t)(a[2] | (a[3] << 8));
    k->lifetime = rd32(a + 4);
    k->id = rd32(a + 8);
    k->usage = rd32(a + 12);
    k->alg = rd32(a + 16);
}

/* Write the key of entry k to storage (attributes + engine blob). */
static psa_status_t key_store(ckey_t *k)
{
    storage_write_t w;
    psa_status_t st;
    uint32_t n;

    attr_write(key_store_buf, k);
    d_begin(CE_KEY_BLOB_EXPORT, key_slot(k), 0, 0);
    ce_out(&crypto_desc, 0, key_store_buf + CRYPTO_ATTR_SIZE, KEY_STORE_MAX - CRYPTO_ATTR_SIZE);
    st = ce_run(&crypto_desc);
    if (st == PSA_ERROR_BUFFER_TOO_SMALL) {
        st = PSA_ERROR_INSUFFICIENT_STORAGE;        /* the key does not fit an ITS asset */
    }
    n = CRYPTO_ATTR_SIZE + crypto_desc.out_len[0];
    if (st == PSA_SUCCESS) {
        st = storage_write_begin(&w, STORAGE_ITS, CRYPTO_PARTITION_ID, store_uid(k->owner, k->id), 0, n);
    }
    if (st == PSA_SUCCESS) {
        storage_write_data(&w, key_store_buf, n);
        st = storage_write_commit(&w);
    }
    se_wipe(key_store_buf, sizeof key_store_buf);
    return st;
}

static bool key_stored(int32_t owner, uint32_t id, storage_asset_t *a)
{
    return storage_lookup(STORAGE_ITS, CRYPTO_PARTITION_ID, store_uid(owner, id), a) == PSA_SUCCESS;
}

static psa_status_t entry_alloc(ckey_t **k)
{
    uint32_t i;

    for (i = 0; i < CRYPTO_NUM_KEYS; i++) {
        if (!crypto_keys[i].in_use) {
            memset(&crypto_keys[i], 0, sizeof crypto_keys[i]);
            *k = &crypto_keys[i];
            return PSA_SUCCESS;
        }
    }
    return PSA_ERROR_INSUFFICIENT_MEMORY;
}

/* Load stored key (owner, id) into a free entry. */
static psa_status_t key_load(int32_t owner, uint32_t id, ckey_t **key)
{
    storage_asset_t a;
    ckey_t *k;
    psa_status_t st;

    if (id < KEY_ID_USER_MIN || id > KEY_ID_USER_MAX || !key_stored(owner, id, &a)) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (a.size < CRYPTO_ATTR_SIZE || a.size > KEY_STORE_MAX) {
        return PSA_ERROR_DATA_CORRUPT;
    }
    st = entry_alloc(&k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    memcpy(key_store_buf, storage_data(STORAGE_ITS, &a), a.size);
    attr_read(key_store_buf, k);
    d_begin(CE_KEY_BLOB_IMPORT, key_slot(k), 0, 0);
    ce_in(&crypto_desc, 0, key_store_buf + CRYPTO_ATTR_SIZE, a.size - CRYPTO_ATTR_SIZE);
    st = ce_run(&crypto_desc);
    se_wipe(key_store_buf, sizeof key_store_buf);
    if (st != PSA_SUCCESS) {
        return PSA_ERROR_DATA_CORRUPT;
    }
    k->in_use = true;
    k->persistent = true;
    k->owner = owner;
    k->id = id;
    *key = k;
    return PSA_SUCCESS;
}

/* ---- lookup ---- */
static psa_status_t key_in_table(const creq_t *r, uint32_t id, ckey_t **key)
{
    uint32_t i;

    for (i = 0; i < CRYPTO_NUM_KEYS; i++) {
        if (crypto_keys[i].in_use && crypto_keys[i].id == id) {
            if (crypto_keys[i].owner != r->client) {
                return PSA_ERROR_NOT_PERMITTED;
            }
            *key = &crypto_keys[i];
            return PSA_SUCCESS;
        }
    }
    return PSA_ERROR_INVALID_HANDLE;
}

psa_status_t key_find(const creq_t *r, uint32_t id, ckey_t **key)
{
    psa_status_t st = key_in_table(r, id, key);

    if (st == PSA_ERROR_INVALID_HANDLE && id >= KEY_ID_USER_MIN && id <= KEY_ID_USER_MAX) {
        st = key_load(r->client, id, key);
        if (st == PSA_ERROR_DOES_NOT_EXIST) {
            st = PSA_ERROR_INVALID_HANDLE;
        }
    }
    return st;
}

psa_status_t key_use(const creq_t *r, uint32_t id, uint32_t usage, uint32_t alg, uint32_t cat,
                     ckey_t **key)
{
    psa_status_t st = key_find(r, id, key);

    if (st != PSA_SUCCESS) {
        return st;
    }
    if (cat != 0u && (alg & ALG_CATEGORY_MASK) != cat) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (((*key)->usage & usage) != usage || (alg != 0u && !alg_permits((*key)->alg, alg))) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    return PSA_SUCCESS;
}

/* Remove entry k (and its engine slot) from memory. */
static void key_unload(ckey_t *k)
{
    d_begin(CE_KEY_DESTROY, key_slot(k), 0, 0);
    (void)ce_run(&crypto_desc);
    se_wipe(k, sizeof *k);
}

/* ---- creating keys (import, generate, copy, derivation output) ---- */
/* Check the client attributes in[attr_i] and take a table entry for the new key (its
 * attributes filled in, not yet in use). */
static psa_status_t key_begin(const creq_t *r, uint32_t attr_i, ckey_t **key)
{
    cin_t attr = in_vec(r, attr_i);
    ckey_t tmp;
    storage_asset_t a;
    uint32_t persistence, i;
    psa_status_t st;

    memset(&tmp, 0, sizeof tmp);
    client_attr_read(attr.base, &tmp);
    persistence = tmp.lifetime & 0xFFu;
    if ((tmp.lifetime >> 8) != 0u || persistence == LIFETIME_READ_ONLY) {
        return PSA_ERROR_INVALID_ARGUMENT;      /* only the local location, not read-only */
    }
    tmp.persistent = persistence != LIFETIME_VOLATILE;
    if (tmp.persistent) {
        if (tmp.id < KEY_ID_USER_MIN || tmp.id > KEY_ID_USER_MAX) {
            return PSA_ERROR_INVALID_ARGUMENT;
        }
        for (i = 0; i < CRYPTO_NUM_KEYS; i++) {
            if (crypto_keys[i].in_use && crypto_keys[i].id == tmp.id && crypto_keys[i].owner == r->client) {
                return PSA_ERROR_ALREADY_EXISTS;
            }
        }
        if (key_stored(r->client, tmp.id, &a)) {
            return PSA_ERROR_ALREADY_EXISTS;
        }
    } else if (tmp.id != 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;      /* a volatile key cannot choose its id */
    }
    st = entry_alloc(key);
    if (st != PSA_SUCCESS) {
        return st;
    }
    tmp.owner = r->client;
    **key = tmp;
    if (!tmp.persistent) {
        (*key)->id = KEY_ID_VOLATILE_MIN + key_slot(*key);
    }
    return PSA_SUCCESS;
}

/* The engine made the key in k's slot (st = its status, bits in engine output 0): complete
 * the entry, store a persistent key, report the id in out[0]. */
static psa_status_t key_commit(creq_t *r, ckey_t *k, psa_status_t st)
{
    if (st != PSA_SUCCESS) {
        se_wipe(k, sizeof *k);
        return st;
    }
    k->in_use = true;
    if (k->persistent) {
        st = key_store(k);
        if (st != PSA_SUCCESS) {
            key_unload(k);
            return st;
        }
    }
    put_u32(r, 0, k->id);
    return PSA_SUCCESS;
}


/* Run the key-creating descriptor set up in crypto_desc; on success take the key's size. */
static psa_status_t key_make(ckey_t *k)
{
    psa_status_t st;

    ce_out(&crypto_desc, 0, info_buf, sizeof info_buf);
    st = ce_run(&crypto_desc);
    if (st == PSA_SUCCESS) {
        k->bits = info_buf[1];
    }
    return st;
}

static psa_status_t f_import_key(creq_t *r)
{
    cin_t data = in_vec(r, 2);
    ckey_t *k;
    psa_status_t st;

    if (!lens_ok(r, 2, 3, 1, 1) || in_vec(r, 1).len != client_attr_size() || r->out[0].size != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_begin(r, 1, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    d_begin(CE_KEY_IMPORT, key_slot(k), 0, 0);
    crypto_desc.aux[0] = k->type;
    crypto_desc.aux[1] = k->bits;
    ce_in(&crypto_desc, 0, data.base, data.len);
    return key_commit(r, k, key_make(k));
}

static psa_status_t f_generate_key(creq_t *r)
{
    ckey_t *k;
    psa_status_t st;

    if (!lens_ok(r, 2, 2, 1, 1) || in_vec(r, 1).len != client_attr_size() || r->out[0].size != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_begin(r, 1, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    d_begin(CE_KEY_GENERATE, key_slot(k), 0, 0);
    crypto_desc.aux[0] = k->type;
    crypto_desc.aux[1] = k->bits;
    return key_commit(r, k, key_make(k));
}

psa_status_t crypto_key_derive(creq_t *r, uint32_t ctx)
{
    ckey_t *k;
    psa_status_t st;

    if (!lens_ok(r, 2, 2, 1, 1) || in_vec(r, 1).len != client_attr_size() || r->out[0].size != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_begin(r, 1, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    d_begin(CE_KDF_OUTPUT_KEY, CE_NO_SLOT, 0, ctx);
    crypto_desc.aux[0] = key_slot(k);
    crypto_desc.aux[1] = k->type;
    crypto_desc.aux[2] = k->bits;
    return key_commit(r, k, key_make(k));
}

static psa_status_t f_copy_key(creq_t *r)
{
    ckey_t *src, *k;
    uint32_t src_slot;
    psa_status_t st;
    ckey_t want;

    if (!lens_ok(r, 2, 2, 1, 1) || in_vec(r, 1).len != client_attr_size() || r->out[0].size != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_use(r, r->iov->key_id, KEY_USAGE_COPY, 0, 0, &src);
    if (st != PSA_SUCCESS) {
        return st;
    }
    src_slot = key_slot(src);
    memset(&want, 0, sizeof want);
    client_attr_read(in_vec(r, 1).base, &want);
    if ((want.type != 0u && want.type != src->type) || (want.bits != 0u && want.bits != src->bits)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    st = alg_intersect(src->alg, want.alg, &want.alg);
    if (st != PSA_SUCCESS) {
        return st;
    }
    st = key_begin(r, 1, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    k->type = src->type;
    k->bits = src->bits;
    k->alg = want.alg;
    k->usage = src->usage & want.usage;
    d_begin(CE_KEY_COPY, src_slot, 0, 0);
    crypto_desc.aux[0] = key_slot(k);
    return key_commit(r, k, key_make(k));
}

/* ---- other key management ---- */
static psa_status_t f_get_key_attributes(creq_t *r)
{
    ckey_t *k;
    psa_status_t st;

    if (!lens_ok(r, 1, 1, 1, 1) || r->out[0].size != client_attr_size()) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_find(r, r->iov->key_id, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    client_attr_write(r->out[0].base, k);
    r->out[0].len = client_attr_size();
    return PSA_SUCCESS;
}

static psa_status_t f_reset_key_attributes(creq_t *r)
{
    if (!lens_ok(r, 1, 1, 1, 1) || r->out[0].size != client_attr_size()) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    memset(r->out[0].base, 0, client_attr_size());
    r->out[0].len = client_attr_size();
    return PSA_SUCCESS;
}

/* OPEN_KEY: v1.3 sends the key id in in[1] (4 bytes) and takes the handle (= the id) in out[0]. */
static psa_status_t f_open_key(creq_t *r)
{
    uint32_t id;
    ckey_t *k;
    psa_status_t st;

    if (!lens_ok(r, 2, 2, 1, 1) || in_vec(r, 1).len != 4u || r->out[0].size != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    id = rd32(in_vec(r, 1).base);
    if (id < KEY_ID_USER_MIN || id > KEY_ID_USER_MAX) {
        return PSA_ERROR_INVALID_HANDLE;
    }
    st = key_in_table(r, id, &k);
    if (st == PSA_ERROR_INVALID_HANDLE) {
        st = key_load(r->client, id, &k);
    }
    if (st == PSA_SUCCESS) {
        put_u32(r, 0, id);
    }
    return st;
}

/* CLOSE_KEY and PURGE_KEY: remove the key from memory (Mbed TLS 2.25 psa_close_key also
 * destroys a volatile key; psa_purge_key leaves a volatile key alone). */
static psa_status_t f_unload_key(creq_t *r, bool close)
{
    ckey_t *k;
    psa_status_t st;
    storage_asset_t a;

    if (!lens_ok(r, 1, 1, 0, 0)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_in_table(r, r->iov->key_id, &k);
    if (st == PSA_ERROR_INVALID_HANDLE && !close && key_stored(r->client, r->iov->key_id, &a)) {
        return PSA_SUCCESS;                     /* a stored key that is not loaded */
    }
    if (st != PSA_SUCCESS) {
        return st;
    }
    if (close || k->persistent) {
        key_unload(k);
    }
    return PSA_SUCCESS;
}

static psa_status_t f_destroy_key(creq_t *r)
{
    ckey_t *k;
    psa_status_t st;
    storage_asset_t a;

    if (!lens_ok(r, 1, 1, 0, 0)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_find(r, r->iov->key_id, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    if (k->persistent && key_stored(k->owner, k->id, &a)) {
        st = storage_remove(STORAGE_ITS, &a);
    }
    key_unload(k);
    return st;
}

static psa_status_t f_export(creq_t *r, bool public_part)
{
    ckey_t *k;
    psa_status_t st;
    bool is_public;

    if (!lens_ok(r, 1, 1, 0, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_find(r, r->iov->key_id, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    is_public = (k->type & KEY_TYPE_CATEGORY_MASK) == KEY_TYPE_CATEGORY_PUBLIC;
    if (!public_part && !is_public && (k->usage & KEY_USAGE_EXPORT) == 0u) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    d_begin(public_part ? CE_KEY_EXPORT_PUBLIC : CE_KEY_EXPORT, key_slot(k), 0, 0);
    d_out_vec(0, r, 0);
    return d_run(r, 0, 0);
}

psa_status_t crypto_key_call(creq_t *r)
{
    switch (r->iov->sfn_id) {
    case SFN_GET_KEY_ATTRIBUTES:    return f_get_key_attributes(r);
    case SFN_RESET_KEY_ATTRIBUTES:  return f_reset_key_attributes(r);
    case SFN_OPEN_KEY:              return f_open_key(r);
    case SFN_CLOSE_KEY:             return f_unload_key(r, true);
    case SFN_IMPORT_KEY:            return f_import_key(r);
    case SFN_DESTROY_KEY:           return f_destroy_key(r);
    case SFN_EXPORT_KEY:            return f_export(r, false);
    case SFN_EXPORT_PUBLIC_KEY:     return f_export(r, true);
    case SFN_PURGE_KEY:             return f_unload_key(r, false);
    case SFN_COPY_KEY:              return f_copy_key(r);
    case SFN_GENERATE_KEY:          return f_generate_key(r);
    default:                        return PSA_ERROR_NOT_SUPPORTED;
    }
}
