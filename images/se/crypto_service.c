/* crypto_service.c - the Crypto service (SID 0x80), TF-M v1.3 wire format.
 *
 * in[0] is always `struct tfm_crypto_pack_iovec` (44 bytes) whose sfn_id selects the function;
 * the other vectors depend on the function (tfm-client-abi §6.3). Message handling:
 *   1. psa_read exactly 44 bytes of in[0], else PSA_ERROR_GENERIC_ERROR; sfn_id >= 65 likewise.
 *   2. in_len/out_len = the vector counts with trailing zero-size vectors removed.
 *   3. in[1..] and every output get a 4-byte aligned slice of a 5120-byte scratch buffer (the
 *      inputs are read into it); if they do not fit, PSA_ERROR_INSUFFICIENT_MEMORY.
 *   4. the function checks its vector counts and fixed sizes (PSA_ERROR_PROGRAMMER_ERROR), then
 *      does the work and sets the length of each output it produced.
 *   5. each output is psa_written with that length (whatever the status: an operation handle
 *      goes back in out[0] even on errors), and the scratch is wiped.
 *
 * Supported: SHA-256 hashing (one-shot and multipart), HMAC-SHA256 (multipart), random
 * numbers (HMAC_DRBG with a fixed seed: runs are reproducible), and volatile keys of type
 * RAW_DATA, HMAC, DERIVE and AES (import, export, destroy, get attributes). Keys and
 * operations are owned by msg->client_id (-1 for every mailbox request). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spm.h"
#include "lib/drbg.h"
#include "lib/hmac_sha256.h"
#include "lib/memfuncs.h"
#include "lib/sha256.h"

/* ---- wire format ---- */
struct crypto_pack_iovec {
    uint32_t sfn_id;
    uint16_t step;
    uint16_t pad;
    uint32_t key_id;
    uint32_t alg;
    uint32_t op_handle;
    uint32_t capacity;
    uint8_t nonce[16];
    uint32_t nonce_length;
};
_Static_assert(sizeof(struct crypto_pack_iovec) == 44, "tfm_crypto_pack_iovec is 44 bytes");
_Static_assert(offsetof(struct crypto_pack_iovec, op_handle) == 16, "op_handle at 16");
_Static_assert(offsetof(struct crypto_pack_iovec, nonce_length) == 40, "nonce_length at 40");

/* psa_key_attributes_t as the v1.3 client sends it (psa_client_key_attributes_s, 24 bytes). */
#define CRYPTO_ATTR_SIZE        24u
#define CRYPTO_ATTR_LIFETIME    0u
#define CRYPTO_ATTR_ID          4u
#define CRYPTO_ATTR_ALG         8u
#define CRYPTO_ATTR_USAGE       12u
#define CRYPTO_ATTR_BITS        16u
#define CRYPTO_ATTR_TYPE        20u

/* sfn_id values (v1.3) */
enum {
    SFN_GET_KEY_ATTRIBUTES = 0, SFN_IMPORT_KEY = 4, SFN_DESTROY_KEY = 5, SFN_EXPORT_KEY = 6,
    SFN_HASH_COMPUTE = 10, SFN_HASH_COMPARE = 11, SFN_HASH_SETUP = 12, SFN_HASH_UPDATE = 13,
    SFN_HASH_FINISH = 14, SFN_HASH_VERIFY = 15, SFN_HASH_ABORT = 16, SFN_HASH_CLONE = 17,
    SFN_MAC_COMPUTE = 18, SFN_MAC_VERIFY = 19, SFN_MAC_SIGN_SETUP = 20,
    SFN_MAC_VERIFY_SETUP = 21, SFN_MAC_UPDATE = 22, SFN_MAC_SIGN_FINISH = 23,
    SFN_MAC_VERIFY_FINISH = 24, SFN_MAC_ABORT = 25,
    SFN_GENERATE_RANDOM = 61,
    SFN_MAX = 65
};

/* PSA Crypto 1.0 encodings */
#define ALG_SHA_256             0x02000009u
#define ALG_HMAC_SHA_256        0x03800009u
#define ALG_CATEGORY_MASK       0x7F000000u
#define ALG_CATEGORY_HASH       0x02000000u
#define ALG_CATEGORY_MAC        0x03000000u

#define KEY_TYPE_RAW_DATA       0x1001u
#define KEY_TYPE_HMAC           0x1100u
#define KEY_TYPE_DERIVE         0x1200u
#define KEY_TYPE_AES            0x2400u

#define KEY_USAGE_EXPORT        0x00000001u
#define KEY_USAGE_SIGN_HASH     0x00001000u     /* MAC sign policy with Mbed TLS 2.25 */
#define KEY_USAGE_VERIFY_HASH   0x00002000u

#define KEY_LIFETIME_VOLATILE   0u

/* ---- limits ---- */
#define CRYPTO_SCRATCH_SIZE     5120u           /* CRYPTO_IOVEC_BUFFER_SIZE */
#define CRYPTO_NUM_OPS          8u              /* CRYPTO_CONC_OPER_NUM */
#define CRYPTO_NUM_KEYS         32u             /* TFM_CRYPTO_MAX_KEY_HANDLES */
#define CRYPTO_KEY_MAX_DATA     160u            /* largest key accepted by import (bytes) */
#define CRYPTO_KEY_ID_FIRST     0x7FFFFFE0u     /* volatile key ids: FIRST + table index */
#define SHA256_LEN              32u

/* Fixed DRBG seed: the random stream is the same in every run (an emulator, not a product). */
static const uint8_t crypto_drbg_seed[] = "psaemu SE crypto HMAC_DRBG seed v1";

/* ---- vectors as the functions see them ---- */
typedef struct {
    const uint8_t *base;
    uint32_t len;
} cin_t;

typedef struct {
    uint8_t *base;
    uint32_t size;          /* capacity */
    uint32_t len;           /* bytes produced (0 = nothing is written back) */
} cout_t;

typedef struct {
    const struct crypto_pack_iovec *iov;
    cin_t in[4];
    cout_t out[4];
    uint32_t in_len;
    uint32_t out_len;
    int32_t client;
} creq_t;

/* ---- state ---- */
typedef struct {
    bool in_use;
    uint16_t type;
    uint16_t len;           /* key data bytes; bits = 8 * len */
    int32_t owner;
    uint32_t alg;
    uint32_t usage;
    uint8_t data[CRYPTO_KEY_MAX_DATA];
} ckey_t;

enum { OP_FREE = 0, OP_HASH = 1, OP_MAC = 2 };

typedef struct {
    uint8_t kind;           /* OP_* */
    bool verify;            /* MAC: set up for verification */
    int32_t owner;
    union {
        sha256_ctx_t sha;
        hmac_sha256_ctx_t hmac;
    } u;
} cop_t;

static uint32_t crypto_scratch[CRYPTO_SCRATCH_SIZE / 4u];
static struct crypto_pack_iovec crypto_iov;
static ckey_t crypto_keys[CRYPTO_NUM_KEYS];
static cop_t crypto_ops[CRYPTO_NUM_OPS];
static sha256_ctx_t crypto_sha_tmp;
static uint8_t crypto_digest[SHA256_LEN];
static bool crypto_drbg_ready;

/* ---- helpers ---- */
static bool lens_ok(const creq_t *r, uint32_t in_min, uint32_t in_max, uint32_t out_min,
                    uint32_t out_max)
{
    return r->in_len >= in_min && r->in_len <= in_max && r->out_len >= out_min &&
           r->out_len <= out_max;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Output a u32 (a handle or key id) in out[i]; the caller checked the output is 4 bytes. */
static void put_u32(creq_t *r, uint32_t i, uint32_t v)
{
    wr32(r->out[i].base, v);
    r->out[i].len = 4;
}

/* Input i, or an empty one if it was trimmed away. */
static cin_t in_vec(const creq_t *r, uint32_t i)
{
    cin_t e = { NULL, 0 };
    return i < r->in_len ? r->in[i] : e;
}

/* Compare without an early exit. */
static bool same_bytes(const uint8_t *a, const uint8_t *b, uint32_t n)
{
    uint8_t d = 0;
    while (n--) {
        d |= *a++ ^ *b++;
    }
    return d == 0;
}

/* in[ref_idx] must be exactly the SHA256_LEN bytes of crypto_digest. */
static psa_status_t digest_check(const creq_t *r, uint32_t ref_idx)
{
    cin_t ref = in_vec(r, ref_idx);

    if (ref.len != SHA256_LEN || !same_bytes(crypto_digest, ref.base, SHA256_LEN)) {
        return PSA_ERROR_INVALID_SIGNATURE;
    }
    return PSA_SUCCESS;
}

static void sha256_oneshot(cin_t in, uint8_t *digest)
{
    sha256_init(&crypto_sha_tmp);
    sha256_update(&crypto_sha_tmp, in.base, in.len);
    sha256_final(&crypto_sha_tmp, digest);
}

static psa_status_t hash_alg_check(uint32_t alg)
{
    if (alg == ALG_SHA_256) {
        return PSA_SUCCESS;
    }
    return (alg & ALG_CATEGORY_MASK) == ALG_CATEGORY_HASH ? PSA_ERROR_NOT_SUPPORTED
                                                          : PSA_ERROR_INVALID_ARGUMENT;
}

/* ---- key table ---- */
static psa_status_t key_get(const creq_t *r, uint32_t id, ckey_t **key)
{
    uint32_t idx = id - CRYPTO_KEY_ID_FIRST;
    ckey_t *k;

    if (id < CRYPTO_KEY_ID_FIRST || idx >= CRYPTO_NUM_KEYS || !crypto_keys[idx].in_use) {
        return PSA_ERROR_INVALID_HANDLE;
    }
    k = &crypto_keys[idx];
    if (k->owner != r->client) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    *key = k;
    return PSA_SUCCESS;
}

/* ---- operation table (handles 1..8) ---- */
/* Allocate an operation; the handle output (out[0]) must hold 0 on entry. */
static psa_status_t op_alloc(creq_t *r, uint8_t kind, cop_t **op)
{
    uint32_t i;

    if (rd32(r->out[0].base) != 0u) {
        return PSA_ERROR_BAD_STATE;
    }
    for (i = 0; i < CRYPTO_NUM_OPS; i++) {
        if (crypto_ops[i].kind == OP_FREE) {
            memset(&crypto_ops[i], 0, sizeof crypto_ops[i]);
            crypto_ops[i].kind = kind;
            crypto_ops[i].owner = r->client;
            put_u32(r, 0, i + 1u);
            *op = &crypto_ops[i];
            return PSA_SUCCESS;
        }
    }
    return PSA_ERROR_NOT_PERMITTED;
}

static psa_status_t op_lookup(const creq_t *r, uint8_t kind, uint32_t handle, cop_t **op)
{
    cop_t *o;

    if (handle == 0u || handle > CRYPTO_NUM_OPS) {
        return PSA_ERROR_BAD_STATE;
    }
    o = &crypto_ops[handle - 1u];
    if (o->kind != kind || o->owner != r->client) {
        return PSA_ERROR_BAD_STATE;
    }
    *op = o;
    return PSA_SUCCESS;
}

/* Release the operation and report handle 0 in out[0]. */
static void op_release(creq_t *r, cop_t *op)
{
    se_wipe(op, sizeof *op);            /* kind = OP_FREE */
    put_u32(r, 0, 0);
}

/* ---- hash ---- */
static psa_status_t f_hash_compute(creq_t *r)
{
    psa_status_t st;

    if (!lens_ok(r, 1, 2, 1, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = hash_alg_check(r->iov->alg);
    if (st != PSA_SUCCESS) {
        return st;
    }
    if (r->out[0].size < SHA256_LEN) {
        return PSA_ERROR_BUFFER_TOO_SMALL;
    }
    sha256_oneshot(in_vec(r, 1), r->out[0].base);
    r->out[0].len = SHA256_LEN;
    return PSA_SUCCESS;
}

static psa_status_t f_hash_compare(creq_t *r)
{
    psa_status_t st;

    if (!lens_ok(r, 1, 3, 0, 0)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = hash_alg_check(r->iov->alg);
    if (st != PSA_SUCCESS) {
        return st;
    }
    sha256_oneshot(in_vec(r, 1), crypto_digest);
    return digest_check(r, 2);
}

/* ---- multipart operations (hash and MAC): the common steps ---- */
/* Common entry of the multipart functions: counts, the 4-byte handle output, and the current
 * handle written back first. */
static bool op_entry(creq_t *r, uint32_t in_min, uint32_t in_max, uint32_t out_min,
                     uint32_t out_max)
{
    if (!lens_ok(r, in_min, in_max, out_min, out_max) || r->out[0].size != 4u) {
        return false;
    }
    put_u32(r, 0, r->iov->op_handle);
    return true;
}

/* Entry of a step of an existing operation (update, finish, verify, abort): op_entry with one
 * input and up to in_max, exactly out_n outputs; then the `kind` operation named by op_handle. */
static psa_status_t op_step(creq_t *r, uint8_t kind, uint32_t in_max, uint32_t out_n,
                            cop_t **op)
{
    if (!op_entry(r, 1, in_max, out_n, out_n)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return op_lookup(r, kind, r->iov->op_handle, op);
}

/* Feed the operation (SHA-256 or HMAC-SHA256). */
static void op_update(cop_t *op, cin_t in)
{
    if (op->kind == OP_HASH) {
        sha256_update(&op->u.sha, in.base, in.len);
    } else {
        hmac_sha256_update(&op->u.hmac, in.base, in.len);
    }
}

/* Its SHA256_LEN-byte digest or MAC. */
static void op_final(cop_t *op, uint8_t *out)
{
    if (op->kind == OP_HASH) {
        sha256_final(&op->u.sha, out);
    } else {
        hmac_sha256_final(&op->u.hmac, out);
    }
}

/* HASH_UPDATE / MAC_UPDATE */
static psa_status_t f_op_update(creq_t *r, uint8_t kind)
{
    cop_t *op;
    psa_status_t st = op_step(r, kind, 2, 1, &op);

    if (st != PSA_SUCCESS) {
        return st;
    }
    op_update(op, in_vec(r, 1));
    return PSA_SUCCESS;
}

/* HASH_FINISH / MAC_SIGN_FINISH: the digest or MAC in out[1]; the operation ends either way
 * (a MAC operation set up for verification: BAD_STATE). */
static psa_status_t f_op_finish(creq_t *r, uint8_t kind)
{
    cop_t *op;
    psa_status_t st = op_step(r, kind, 1, 2, &op);

    if (st != PSA_SUCCESS) {
        return st;
    }
    if (op->verify) {
        st = PSA_ERROR_BAD_STATE;
    } else if (r->out[1].size < SHA256_LEN) {
        st = PSA_ERROR_BUFFER_TOO_SMALL;
    } else {
        op_final(op, r->out[1].base);
        r->out[1].len = SHA256_LEN;
    }
    op_release(r, op);
    return st;
}

/* HASH_VERIFY / MAC_VERIFY_FINISH: compare the digest or MAC with in[1]; the operation ends
 * either way (a MAC operation not set up for verification: BAD_STATE). */
static psa_status_t f_op_verify(creq_t *r, uint8_t kind)
{
    cop_t *op;
    psa_status_t st = op_step(r, kind, 2, 1, &op);

    if (st != PSA_SUCCESS) {
        return st;
    }
    if (kind == OP_MAC && !op->verify) {
        st = PSA_ERROR_BAD_STATE;
    } else {
        op_final(op, crypto_digest);
        st = digest_check(r, 1);
        se_wipe(crypto_digest, sizeof crypto_digest);
    }
    op_release(r, op);
    return st;
}

/* HASH_ABORT / MAC_ABORT: an unknown handle is not an error. */
static psa_status_t f_op_abort(creq_t *r, uint8_t kind)
{
    cop_t *op;
    psa_status_t st = op_step(r, kind, 1, 1, &op);

    if (st == PSA_ERROR_PROGRAMMER_ERROR) {
        return st;
    }
    if (st == PSA_SUCCESS) {
        op_release(r, op);
    }
    return PSA_SUCCESS;
}

/* ---- hash operations: setup and clone ---- */
static psa_status_t f_hash_setup(creq_t *r)
{
    cop_t *op;
    psa_status_t st;

    if (!op_entry(r, 1, 1, 1, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = op_alloc(r, OP_HASH, &op);
    if (st != PSA_SUCCESS) {
        return st;
    }
    st = hash_alg_check(r->iov->alg);
    if (st != PSA_SUCCESS) {
        op_release(r, op);
        return st;
    }
    sha256_init(&op->u.sha);
    return PSA_SUCCESS;
}

static psa_status_t f_hash_clone(creq_t *r)
{
    cop_t *src, *dst;
    psa_status_t st;

    if (!lens_ok(r, 1, 1, 1, 1) || r->out[0].size != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    put_u32(r, 0, 0);                   /* out[0] is the target handle */
    st = op_lookup(r, OP_HASH, r->iov->op_handle, &src);
    if (st != PSA_SUCCESS) {
        return st;
    }
    st = op_alloc(r, OP_HASH, &dst);
    if (st != PSA_SUCCESS) {
        return st;
    }
    dst->u.sha = src->u.sha;
    return PSA_SUCCESS;
}

/* ---- MAC (HMAC-SHA256) ---- */
static psa_status_t f_mac_setup(creq_t *r, bool verify)
{
    uint32_t alg = r->iov->alg;
    ckey_t *key;
    cop_t *op;
    psa_status_t st;

    if (!op_entry(r, 1, 1, 1, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_get(r, r->iov->key_id, &key);
    if (st != PSA_SUCCESS) {
        return st;
    }
    st = op_alloc(r, OP_MAC, &op);
    if (st != PSA_SUCCESS) {
        return st;
    }
    if ((alg & ALG_CATEGORY_MASK) != ALG_CATEGORY_MAC) {
        st = PSA_ERROR_INVALID_ARGUMENT;
    } else if (alg != ALG_HMAC_SHA_256) {
        st = PSA_ERROR_NOT_SUPPORTED;
    } else if ((key->usage & (verify ? KEY_USAGE_VERIFY_HASH : KEY_USAGE_SIGN_HASH)) == 0u ||
               key->alg != alg) {
        st = PSA_ERROR_NOT_PERMITTED;
    } else if (key->type != KEY_TYPE_HMAC) {
        st = PSA_ERROR_INVALID_ARGUMENT;
    }
    if (st != PSA_SUCCESS) {
        op_release(r, op);
        return st;
    }
    op->verify = verify;
    hmac_sha256_init(&op->u.hmac, key->data, key->len);
    return PSA_SUCCESS;
}

/* ---- random ---- */
static psa_status_t f_generate_random(creq_t *r)
{
    if (!lens_ok(r, 1, 1, 0, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (r->out_len == 0u) {
        return PSA_SUCCESS;
    }
    if (!crypto_drbg_ready) {
        drbg_instantiate(crypto_drbg_seed, sizeof crypto_drbg_seed - 1u);
        crypto_drbg_ready = true;
    }
    drbg_generate(r->out[0].base, r->out[0].size);
    r->out[0].len = r->out[0].size;
    return PSA_SUCCESS;
}

/* ---- keys ---- */
static psa_status_t f_import_key(creq_t *r)
{
    cin_t attr = in_vec(r, 1), data = in_vec(r, 2);
    uint32_t lifetime, id, alg, usage, bits, type, i;
    ckey_t *k = NULL;

    if (!lens_ok(r, 2, 3, 1, 1) || attr.len != CRYPTO_ATTR_SIZE || r->out[0].size != 4u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    for (i = 0; i < CRYPTO_NUM_KEYS; i++) {
        if (!crypto_keys[i].in_use) {
            k = &crypto_keys[i];
            break;
        }
    }
    if (k == NULL) {
        return PSA_ERROR_INSUFFICIENT_MEMORY;
    }
    lifetime = rd32(attr.base + CRYPTO_ATTR_LIFETIME);
    id = rd32(attr.base + CRYPTO_ATTR_ID);
    alg = rd32(attr.base + CRYPTO_ATTR_ALG);
    usage = rd32(attr.base + CRYPTO_ATTR_USAGE);
    bits = rd32(attr.base + CRYPTO_ATTR_BITS);
    type = (uint32_t)attr.base[CRYPTO_ATTR_TYPE] | ((uint32_t)attr.base[CRYPTO_ATTR_TYPE + 1] << 8);

    if (data.len == 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (lifetime != KEY_LIFETIME_VOLATILE) {
        return PSA_ERROR_NOT_SUPPORTED;         /* no persistent key storage */
    }
    if (id != 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;      /* a volatile key cannot choose its id */
    }
    switch (type) {
    case KEY_TYPE_RAW_DATA:
    case KEY_TYPE_HMAC:
    case KEY_TYPE_DERIVE:
        break;
    case KEY_TYPE_AES:
        if (data.len != 16u && data.len != 24u && data.len != 32u) {
            return PSA_ERROR_INVALID_ARGUMENT;
        }
        break;
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (data.len > CRYPTO_KEY_MAX_DATA) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (bits != 0u && bits != data.len * 8u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    k->in_use = true;
    k->type = (uint16_t)type;
    k->len = (uint16_t)data.len;
    k->owner = r->client;
    k->alg = alg;
    k->usage = usage;
    memcpy(k->data, data.base, data.len);
    put_u32(r, 0, CRYPTO_KEY_ID_FIRST + (uint32_t)(k - crypto_keys));
    return PSA_SUCCESS;
}

static psa_status_t f_destroy_key(creq_t *r)
{
    ckey_t *k;
    psa_status_t st;

    if (!lens_ok(r, 1, 1, 0, 0)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_get(r, r->iov->key_id, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    se_wipe(k, sizeof *k);              /* in_use = false */
    return PSA_SUCCESS;
}

static psa_status_t f_export_key(creq_t *r)
{
    ckey_t *k;
    psa_status_t st;
    uint32_t cap = r->out_len != 0u ? r->out[0].size : 0u;

    if (!lens_ok(r, 1, 1, 0, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_get(r, r->iov->key_id, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    if ((k->usage & KEY_USAGE_EXPORT) == 0u) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    if (cap < k->len) {
        return PSA_ERROR_BUFFER_TOO_SMALL;
    }
    memcpy(r->out[0].base, k->data, k->len);
    r->out[0].len = k->len;
    return PSA_SUCCESS;
}

static psa_status_t f_get_key_attributes(creq_t *r)
{
    ckey_t *k;
    psa_status_t st;
    uint8_t *a;

    if (!lens_ok(r, 1, 1, 1, 1) || r->out[0].size != CRYPTO_ATTR_SIZE) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = key_get(r, r->iov->key_id, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    a = r->out[0].base;
    memset(a, 0, CRYPTO_ATTR_SIZE);
    wr32(a + CRYPTO_ATTR_LIFETIME, KEY_LIFETIME_VOLATILE);
    wr32(a + CRYPTO_ATTR_ID, r->iov->key_id);
    wr32(a + CRYPTO_ATTR_ALG, k->alg);
    wr32(a + CRYPTO_ATTR_USAGE, k->usage);
    wr32(a + CRYPTO_ATTR_BITS, (uint32_t)k->len * 8u);
    a[CRYPTO_ATTR_TYPE] = (uint8_t)k->type;
    a[CRYPTO_ATTR_TYPE + 1] = (uint8_t)(k->type >> 8);
    r->out[0].len = CRYPTO_ATTR_SIZE;
    return PSA_SUCCESS;
}

static psa_status_t crypto_dispatch(creq_t *r)
{
    switch (r->iov->sfn_id) {
    case SFN_GET_KEY_ATTRIBUTES:    return f_get_key_attributes(r);
    case SFN_IMPORT_KEY:            return f_import_key(r);
    case SFN_DESTROY_KEY:           return f_destroy_key(r);
    case SFN_EXPORT_KEY:            return f_export_key(r);
    case SFN_HASH_COMPUTE:          return f_hash_compute(r);
    case SFN_HASH_COMPARE:          return f_hash_compare(r);
    case SFN_HASH_SETUP:            return f_hash_setup(r);
    case SFN_HASH_UPDATE:           return f_op_update(r, OP_HASH);
    case SFN_HASH_FINISH:           return f_op_finish(r, OP_HASH);
    case SFN_HASH_VERIFY:           return f_op_verify(r, OP_HASH);
    case SFN_HASH_ABORT:            return f_op_abort(r, OP_HASH);
    case SFN_HASH_CLONE:            return f_hash_clone(r);
    case SFN_MAC_SIGN_SETUP:        return f_mac_setup(r, false);
    case SFN_MAC_VERIFY_SETUP:      return f_mac_setup(r, true);
    case SFN_MAC_UPDATE:            return f_op_update(r, OP_MAC);
    case SFN_MAC_SIGN_FINISH:       return f_op_finish(r, OP_MAC);
    case SFN_MAC_VERIFY_FINISH:     return f_op_verify(r, OP_MAC);
    case SFN_MAC_ABORT:             return f_op_abort(r, OP_MAC);
    case SFN_GENERATE_RANDOM:       return f_generate_random(r);
    case SFN_MAC_COMPUTE:           /* v1.3: the service stubs return NOT_SUPPORTED */
    case SFN_MAC_VERIFY:
    default:                        return PSA_ERROR_NOT_SUPPORTED;
    }
}

static uint32_t align4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

/* The next 4-byte aligned slice of `size` bytes of the scratch buffer (*used bytes are taken
 * already), or NULL if it does not fit. */
static uint8_t *scratch_take(uint32_t *used, uint32_t size)
{
    uint8_t *p = (uint8_t *)crypto_scratch + *used;

    if (align4(size) > CRYPTO_SCRATCH_SIZE - *used || size > CRYPTO_SCRATCH_SIZE) {
        return NULL;
    }
    *used += align4(size);
    return p;
}

/* The number of vectors once trailing zero-size ones are removed. */
static uint32_t vec_count(const uint32_t size[4])
{
    uint32_t n = 4;

    while (n > 0u && size[n - 1u] == 0u) {
        n--;
    }
    return n;
}

psa_status_t crypto_call(se_msg_t *m)
{
    static creq_t r;                    /* static: keeps the PendSV stack small */
    uint8_t *scratch = (uint8_t *)crypto_scratch;
    uint32_t in_sz[4], out_sz[4], used = 0, i;
    psa_status_t st;

    for (i = 0; i < 4u; i++) {
        in_sz[i] = m->in_size[i];
        out_sz[i] = m->out_size[i];
    }
    memset(&r, 0, sizeof r);
    memset(&crypto_iov, 0, sizeof crypto_iov);
    if (se_read(m, 0, &crypto_iov, sizeof crypto_iov) != sizeof crypto_iov) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    if (crypto_iov.sfn_id >= SFN_MAX) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    r.iov = &crypto_iov;
    r.client = m->client_id;
    r.in_len = vec_count(in_sz);
    r.out_len = vec_count(out_sz);
    if (r.in_len == 0u) {
        return PSA_ERROR_GENERIC_ERROR;
    }

    r.in[0].base = (const uint8_t *)&crypto_iov;
    r.in[0].len = sizeof crypto_iov;
    st = PSA_SUCCESS;
    for (i = 1; i < r.in_len && st == PSA_SUCCESS; i++) {
        uint8_t *p = scratch_take(&used, in_sz[i]);
        if (p == NULL) {
            st = PSA_ERROR_INSUFFICIENT_MEMORY;
            break;
        }
        r.in[i].base = p;
        r.in[i].len = (uint32_t)se_read(m, i, p, in_sz[i]);
    }
    for (i = 0; i < r.out_len && st == PSA_SUCCESS; i++) {
        uint8_t *p = scratch_take(&used, out_sz[i]);
        if (p == NULL) {
            st = PSA_ERROR_INSUFFICIENT_MEMORY;
            break;
        }
        r.out[i].base = p;
        r.out[i].size = out_sz[i];
        r.out[i].len = 0;
        memset(p, 0, align4(out_sz[i]));
    }

    if (st == PSA_SUCCESS) {
        st = crypto_dispatch(&r);
        for (i = 0; i < r.out_len; i++) {
            if (r.out[i].len != 0u && r.out[i].len <= r.out[i].size) {
                (void)se_write(m, i, r.out[i].base, r.out[i].len);
            }
        }
    }
    se_wipe(scratch, used);
    se_wipe(&crypto_iov, sizeof crypto_iov);
    return st;
}
