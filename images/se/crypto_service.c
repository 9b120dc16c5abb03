/* crypto_service.c - the Crypto service (SID 0x80), TF-M v1.3 wire format, on the crypto engine.
 *
 * in[0] is always `struct tfm_crypto_pack_iovec` (44 bytes; 52 from v1.6) whose sfn_id selects the function;
 * the other vectors depend on the function (client side: TF-M v1.3.0 interface/src/tfm_crypto_ipc_api.c). Message handling:
 *   1. psa_read exactly the release's pack size of in[0] (pack_read), else PSA_ERROR_GENERIC_ERROR;
 *      sfn_id >= the release's SID_MAX likewise.
 *   2. in_len/out_len = the vector counts with trailing zero-size vectors removed.
 *   3. in[1..] and every output get a 4-byte aligned slice of a 5120-byte scratch buffer (the
 *      inputs are read into it); if they do not fit, PSA_ERROR_INSUFFICIENT_MEMORY.
 *   4. the function checks its vector counts and fixed sizes (PSA_ERROR_PROGRAMMER_ERROR), the
 *      key (owner table, crypto_keys.c) and its policy, then has the engine do the work on the
 *      scratch buffers and sets the length of each output it produced.
 *   5. each output is psa_written with that length (whatever the status: an operation handle
 *      goes back in out[0] even on errors), and the scratch is wiped.
 *
 * Multipart operations: a table of CRYPTO_NUM_OPS slots, handle = slot + 1, each with an engine
 * context of the same index. Setup needs op_handle 0 (else BAD_STATE), a full table is
 * NOT_PERMITTED, a wrong/foreign/other-kind handle BAD_STATE; an operation ends (handle 0 in
 * out[0]) at finish, verify, abort, or any error of a hash/MAC/cipher step. Keys and
 * operations are owned by msg->client_id (-1, or the forwarded caller: spm.c). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_internal.h"
#include "platform_config.h"
#include "lib/memfuncs.h"

_Static_assert(sizeof(struct crypto_pack_iovec) == 44, "tfm_crypto_pack_iovec is 44 bytes");
_Static_assert(offsetof(struct crypto_pack_iovec, op_handle) == 16, "op_handle at 16");
_Static_assert(offsetof(struct crypto_pack_iovec, nonce_length) == 40, "nonce_length at 40");

/* sfn_id values (v1.3) */
enum {
    SFN_HASH_COMPUTE = 10, SFN_HASH_COMPARE = 11, SFN_HASH_SETUP = 12, SFN_HASH_UPDATE = 13,
    SFN_HASH_FINISH = 14, SFN_HASH_VERIFY = 15, SFN_HASH_ABORT = 16, SFN_HASH_CLONE = 17,
    SFN_MAC_COMPUTE = 18, SFN_MAC_VERIFY = 19, SFN_MAC_SIGN_SETUP = 20,
    SFN_MAC_VERIFY_SETUP = 21, SFN_MAC_UPDATE = 22, SFN_MAC_SIGN_FINISH = 23,
    SFN_MAC_VERIFY_FINISH = 24, SFN_MAC_ABORT = 25,
    SFN_CIPHER_ENCRYPT = 26, SFN_CIPHER_DECRYPT = 27, SFN_CIPHER_ENCRYPT_SETUP = 28,
    SFN_CIPHER_DECRYPT_SETUP = 29, SFN_CIPHER_GENERATE_IV = 30, SFN_CIPHER_SET_IV = 31,
    SFN_CIPHER_UPDATE = 32, SFN_CIPHER_FINISH = 33, SFN_CIPHER_ABORT = 34,
    SFN_AEAD_ENCRYPT = 35, SFN_AEAD_DECRYPT = 36, SFN_AEAD_ENCRYPT_SETUP = 37,
    SFN_AEAD_DECRYPT_SETUP = 38, SFN_AEAD_GENERATE_NONCE = 39, SFN_AEAD_SET_NONCE = 40,
    SFN_AEAD_SET_LENGTHS = 41, SFN_AEAD_UPDATE_AD = 42, SFN_AEAD_UPDATE = 43,
    SFN_AEAD_FINISH = 44, SFN_AEAD_VERIFY = 45, SFN_AEAD_ABORT = 46,
    SFN_SIGN_HASH = 47, SFN_VERIFY_HASH = 48, SFN_ASYMMETRIC_ENCRYPT = 49,
    SFN_ASYMMETRIC_DECRYPT = 50,
    SFN_KDF_SETUP = 51, SFN_KDF_GET_CAPACITY = 52, SFN_KDF_SET_CAPACITY = 53,
    SFN_KDF_INPUT_BYTES = 54, SFN_KDF_INPUT_KEY = 55, SFN_KDF_KEY_AGREEMENT = 56,
    SFN_KDF_OUTPUT_BYTES = 57, SFN_KDF_OUTPUT_KEY = 58, SFN_KDF_ABORT = 59,
    SFN_RAW_KEY_AGREEMENT = 60, SFN_GENERATE_RANDOM = 61,   /* 62 GENERATE_KEY; 63/64 domain params */
    SFN_MAX = 65,
    /* v1.4+ message signing (the release's 47/48), numbered past the v1.3 table */
    SFN_SIGN_MESSAGE = 100, SFN_VERIFY_MESSAGE = 101
};

#define CRYPTO_SCRATCH_SIZE     5120u           /* CRYPTO_IOVEC_BUFFER_SIZE */
#define AEAD_MAX_NONCE          16u

/* ---- state ---- */
enum { OP_FREE = 0, OP_HASH = 1, OP_MAC = 2, OP_CIPHER = 3, OP_KDF = 4, OP_AEAD = 5 };

typedef struct {
    uint8_t kind;           /* OP_* */
    int32_t owner;
    uint32_t alg;           /* KDF: the derivation algorithm (key policy checks) */
} cop_t;

static uint32_t crypto_scratch[CRYPTO_SCRATCH_SIZE / 4u];
static struct crypto_pack_iovec crypto_iov;
static uint32_t crypto_aead_lengths[2];     /* v1.6 pack: ad_length, plaintext_length */
static cop_t crypto_ops[CRYPTO_NUM_OPS];
ce_desc_t crypto_desc;

/* ---- helpers shared with crypto_keys.c ---- */
bool lens_ok(const creq_t *r, uint32_t in_min, uint32_t in_max, uint32_t out_min, uint32_t out_max)
{
    return r->in_len >= in_min && r->in_len <= in_max && r->out_len >= out_min &&
           r->out_len <= out_max;
}

uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void put_u32(creq_t *r, uint32_t i, uint32_t v)
{
    wr32(r->out[i].base, v);
    r->out[i].len = 4;
}

cin_t in_vec(const creq_t *r, uint32_t i)
{
    cin_t e = { NULL, 0 };
    return i < r->in_len ? r->in[i] : e;
}

void d_begin(uint32_t cmd, uint32_t slot, uint32_t alg, uint32_t ctx)
{
    ce_begin(&crypto_desc, cmd, slot, alg, ctx);
}

void d_in_vec(uint32_t ce_i, const creq_t *r, uint32_t vec_i)
{
    cin_t v = in_vec(r, vec_i);
    ce_in(&crypto_desc, ce_i, v.base, v.len);
}

void d_out_vec(uint32_t ce_i, const creq_t *r, uint32_t vec_i)
{
    if (vec_i < r->out_len) {
        ce_out(&crypto_desc, ce_i, r->out[vec_i].base, r->out[vec_i].size);
    }
}

psa_status_t d_run(creq_t *r, uint32_t vec_i, uint32_t ce_i)
{
    psa_status_t st = ce_run(&crypto_desc);

    if (st == PSA_SUCCESS && vec_i < r->out_len) {
        r->out[vec_i].len = crypto_desc.out_len[ce_i];
    }
    return st;
}

/* ---- operation table (handles 1..CRYPTO_NUM_OPS) ---- */
static uint32_t op_index(const cop_t *op)
{
    return (uint32_t)(op - crypto_ops);
}

/* Allocate an operation; the handle output (out[0]) must hold 0 on entry. */
static psa_status_t op_alloc(creq_t *r, uint8_t kind, cop_t **op)
{
    uint32_t i;

    if (rd32(r->out[0].base) != 0u) {
        return PSA_ERROR_BAD_STATE;
    }
    for (i = 0; i < CRYPTO_NUM_OPS; i++) {
        if (crypto_ops[i].kind == OP_FREE) {
            crypto_ops[i].kind = kind;
            crypto_ops[i].owner = r->client;
            crypto_ops[i].alg = r->iov->alg;
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

/* Release the operation (and its engine context) and report handle 0 in out[0] if there is one. */
static void op_release(creq_t *r, cop_t *op, bool handle_out)
{
    ce_desc_t *d = &crypto_desc;

    ce_begin(d, CE_CTX_ABORT, CE_NO_SLOT, 0, op_index(op));
    (void)ce_run(d);
    se_wipe(op, sizeof *op);            /* kind = OP_FREE */
    if (handle_out) {
        put_u32(r, 0, 0);
    }
}

/* Common entry of the multipart functions with a handle output: counts, the 4-byte handle
 * output, and the current handle written back first. */
static bool op_entry(creq_t *r, uint32_t in_min, uint32_t in_max, uint32_t out_min,
                     uint32_t out_max)
{
    if (!lens_ok(r, in_min, in_max, out_min, out_max) || r->out[0].size != 4u) {
        return false;
    }
    put_u32(r, 0, r->iov->op_handle);
    return true;
}

/* How a step ends the operation: STEP_ENDS on success; STEP_KEEP_ON_ERROR keeps it after an
 * error (TF-M v1.6 AEAD: the client aborts it), otherwise an error ends it (v1.3 hash/MAC/cipher). */
enum { STEP_ENDS = 1u, STEP_KEEP_ON_ERROR = 2u };

/* A step of an existing operation: engine command `cmd` on its context with in[1] (if
 * in_max > 1), out[1] (if the client sent out_min..out_max vectors and out[1] is one of them)
 * and aux0/aux1; `how`: STEP_* flags. */
static psa_status_t op_step_ex(creq_t *r, uint8_t kind, uint32_t cmd, uint32_t in_max,
                               uint32_t out_min, uint32_t out_max, uint32_t how, uint32_t aux0,
                               uint32_t aux1)
{
    cop_t *op;
    psa_status_t st;

    if (!op_entry(r, 1, in_max, out_min, out_max)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = op_lookup(r, kind, r->iov->op_handle, &op);
    if (st != PSA_SUCCESS) {
        return st;
    }
    d_begin(cmd, CE_NO_SLOT, 0, op_index(op));
    crypto_desc.aux[0] = aux0;
    crypto_desc.aux[1] = aux1;
    d_in_vec(0, r, 1);
    d_out_vec(0, r, 1);
    st = d_run(r, 1u, 0);
    if (st == PSA_SUCCESS ? (how & STEP_ENDS) != 0u : (how & STEP_KEEP_ON_ERROR) == 0u) {
        op_release(r, op, true);
    }
    return st;
}

/* A hash/MAC/cipher step: exactly out_n vectors; any error ends the operation. */
static psa_status_t op_step(creq_t *r, uint8_t kind, uint32_t cmd, uint32_t in_max,
                            uint32_t out_n, bool ends)
{
    return op_step_ex(r, kind, cmd, in_max, out_n, out_n, ends ? STEP_ENDS : 0u, 0, 0);
}

/* A multipart AEAD step (TF-M v1.6 crypto_aead.c: an error keeps the operation until the client
 * aborts it; the engine has ended its context, so later steps are BAD_STATE). */
static psa_status_t aead_step(creq_t *r, uint32_t cmd, uint32_t in_max, uint32_t out_min,
                              uint32_t out_max, uint32_t how, uint32_t aux0, uint32_t aux1)
{
    return op_step_ex(r, OP_AEAD, cmd, in_max, out_min, out_max, how | STEP_KEEP_ON_ERROR, aux0,
                      aux1);
}

/* Abort: an unknown handle is not an error. */
static psa_status_t op_abort(creq_t *r, uint8_t kind)
{
    cop_t *op;

    if (!op_entry(r, 1, 1, 1, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (op_lookup(r, kind, r->iov->op_handle, &op) == PSA_SUCCESS) {
        op_release(r, op, true);
    }
    return PSA_SUCCESS;
}

/* Setup of an operation of `kind`: engine command `cmd` with key `k` (NULL: none) and aux0. */
static psa_status_t op_setup(creq_t *r, uint8_t kind, uint32_t cmd, const ckey_t *k, uint32_t aux0)
{
    cop_t *op;
    psa_status_t st = op_alloc(r, kind, &op);

    if (st != PSA_SUCCESS) {
        return st;
    }
    d_begin(cmd, k != NULL ? key_slot(k) : CE_NO_SLOT, r->iov->alg, op_index(op));
    crypto_desc.aux[0] = aux0;
    st = ce_run(&crypto_desc);
    if (st != PSA_SUCCESS) {
        op_release(r, op, true);
    }
    return st;
}

/* ---- hash ---- */
static psa_status_t f_hash_compute(creq_t *r, bool compare)
{
    if (compare ? !lens_ok(r, 1, 3, 0, 0) : !lens_ok(r, 1, 2, 1, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    d_begin(compare ? CE_HASH_COMPARE : CE_HASH_COMPUTE, CE_NO_SLOT, r->iov->alg, 0);
    d_in_vec(0, r, 1);
    d_in_vec(1, r, 2);
    d_out_vec(0, r, 0);
    return d_run(r, compare ? 4u : 0u, 0);
}

static psa_status_t f_hash_setup(creq_t *r)
{
    if (!op_entry(r, 1, 1, 1, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return op_setup(r, OP_HASH, CE_HASH_SETUP, NULL, 0);
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
    d_begin(CE_HASH_CLONE, CE_NO_SLOT, 0, op_index(src));
    crypto_desc.aux[0] = op_index(dst);
    st = ce_run(&crypto_desc);
    if (st != PSA_SUCCESS) {
        op_release(r, dst, true);
    }
    return st;
}

/* ---- keyed one-shot functions ---- */
/* What engine input 0 is before the vectors: nothing, the AEAD nonce from the pack, or the hash
 * of in[1] (message signing: in[1] is then not passed on, in[2] follows the hash). */
enum { LEAD_NONE = 0, LEAD_NONCE = 1, LEAD_HASH = 2 };

typedef struct {
    uint8_t sfn;
    uint8_t cmd;
    uint8_t in_max;         /* vectors: in[1..in_max-1] go to engine inputs (after the lead) */
    uint8_t out_n;          /* 0 or 1 (out[0]) */
    uint8_t lead;           /* LEAD_* */
    uint32_t usage;         /* message signing: SIGN/VERIFY_MESSAGE, or the _HASH flag (<< 2) */
    uint32_t cat;
} oneshot_t;

static uint8_t message_hash[64];            /* static: keeps the PendSV stack small */

static const oneshot_t oneshots[] = {
    { SFN_MAC_COMPUTE, CE_MAC_COMPUTE, 2, 1, LEAD_NONE, KEY_USAGE_SIGN_HASH, ALG_CAT_MAC },
    { SFN_MAC_VERIFY, CE_MAC_VERIFY, 3, 0, LEAD_NONE, KEY_USAGE_VERIFY_HASH, ALG_CAT_MAC },
    { SFN_CIPHER_ENCRYPT, CE_CIPHER_ENCRYPT, 2, 1, LEAD_NONE, KEY_USAGE_ENCRYPT, ALG_CAT_CIPHER },
    { SFN_CIPHER_DECRYPT, CE_CIPHER_DECRYPT, 2, 1, LEAD_NONE, KEY_USAGE_DECRYPT, ALG_CAT_CIPHER },
    { SFN_AEAD_ENCRYPT, CE_AEAD_ENCRYPT, 3, 1, LEAD_NONCE, KEY_USAGE_ENCRYPT, ALG_CAT_AEAD },
    { SFN_AEAD_DECRYPT, CE_AEAD_DECRYPT, 3, 1, LEAD_NONCE, KEY_USAGE_DECRYPT, ALG_CAT_AEAD },
    { SFN_SIGN_HASH, CE_SIGN_HASH, 2, 1, LEAD_NONE, KEY_USAGE_SIGN_HASH, ALG_CAT_SIGN },
    { SFN_VERIFY_HASH, CE_VERIFY_HASH, 3, 0, LEAD_NONE, KEY_USAGE_VERIFY_HASH, ALG_CAT_SIGN },
    { SFN_SIGN_MESSAGE, CE_SIGN_HASH, 2, 1, LEAD_HASH, KEY_USAGE_SIGN_MESSAGE, ALG_CAT_SIGN },
    { SFN_VERIFY_MESSAGE, CE_VERIFY_HASH, 3, 0, LEAD_HASH, KEY_USAGE_VERIFY_MESSAGE, ALG_CAT_SIGN },
    { SFN_ASYMMETRIC_ENCRYPT, CE_ASYM_ENCRYPT, 3, 1, LEAD_NONE, KEY_USAGE_ENCRYPT, ALG_CAT_ASYM_ENC },
    { SFN_ASYMMETRIC_DECRYPT, CE_ASYM_DECRYPT, 3, 1, LEAD_NONE, KEY_USAGE_DECRYPT, ALG_CAT_ASYM_ENC },
    { SFN_RAW_KEY_AGREEMENT, CE_RAW_AGREEMENT, 2, 1, LEAD_NONE, KEY_USAGE_DERIVE, ALG_CAT_KA },
};

/* Message signing (PSA 1.0.1 psa_sign_message / psa_verify_message, as Mbed TLS serves them for
 * hash-and-sign algorithms): the key must hold the _MESSAGE usage flag or the _HASH one (which
 * implies it); in[1] is hashed with the algorithm's hash into message_hash. A wildcard or absent
 * hash (ECDSA_ANY, ANY_HASH) is INVALID_ARGUMENT. */
static psa_status_t message_hash_of(creq_t *r, const ckey_t *k, uint32_t usage, uint32_t *hash_len)
{
    uint32_t hash = r->iov->alg & ALG_HASH_MASK;
    psa_status_t st;

    if ((k->usage & (usage | usage << 2)) == 0u) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    if (hash == 0u || hash == ALG_HASH_MASK) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    d_begin(CE_HASH_COMPUTE, CE_NO_SLOT, ALG_CAT_HASH | hash, 0);
    d_in_vec(0, r, 1);
    ce_out(&crypto_desc, 0, message_hash, sizeof message_hash);
    st = ce_run(&crypto_desc);
    *hash_len = crypto_desc.out_len[0];
    return st;
}

static psa_status_t f_oneshot(creq_t *r, const oneshot_t *o)
{
    const struct crypto_pack_iovec *iov = r->iov;
    ckey_t *k;
    uint32_t i, first, hash_len = 0;
    psa_status_t st;

    if (!lens_ok(r, 1, o->in_max, o->out_n, o->out_n)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (o->lead == LEAD_NONCE && iov->nonce_length > AEAD_MAX_NONCE) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    st = key_use(r, iov->key_id, o->lead == LEAD_HASH ? 0u : o->usage, iov->alg, o->cat, &k);
    if (st == PSA_SUCCESS && o->lead == LEAD_HASH) {
        st = message_hash_of(r, k, o->usage, &hash_len);
    }
    if (st != PSA_SUCCESS) {
        se_wipe(message_hash, sizeof message_hash);
        return st;
    }
    d_begin(o->cmd, key_slot(k), iov->alg, 0);
    first = o->lead == LEAD_NONE ? 1u : 0u;     /* engine input of in[i] is i - first */
    if (o->lead == LEAD_NONCE) {
        ce_in(&crypto_desc, 0, iov->nonce, iov->nonce_length);
    } else if (o->lead == LEAD_HASH) {
        ce_in(&crypto_desc, 0, message_hash, hash_len);
        first = 1u;
    }
    for (i = o->lead == LEAD_HASH ? 2u : 1u; i < o->in_max; i++) {
        d_in_vec(i - first, r, i);
    }
    d_out_vec(0, r, 0);
    st = d_run(r, o->out_n ? 0u : 4u, 0);
    se_wipe(message_hash, sizeof message_hash);
    return st;
}

/* ---- multipart MAC and cipher setup ---- */
static psa_status_t f_keyed_setup(creq_t *r, uint8_t kind, uint32_t cmd, uint32_t usage,
                                  uint32_t cat, uint32_t aux0)
{
    ckey_t *k;
    psa_status_t st;

    if (!op_entry(r, 1, 1, 1, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (rd32(r->out[0].base) != 0u) {
        return PSA_ERROR_BAD_STATE;
    }
    st = key_use(r, r->iov->key_id, usage, r->iov->alg, cat, &k);
    if (st != PSA_SUCCESS) {
        return st;
    }
    return op_setup(r, kind, cmd, k, aux0);
}

/* ---- multipart AEAD (TF-M v1.6 psa_aead_*; earlier releases answer NOT_SUPPORTED) ---- */
/* psa_aead_finish: out[1] the tag, out[2] the ciphertext left (absent when the client has no
 * buffer for it). Success ends the operation; after an error the client aborts it. */
static psa_status_t f_aead_finish(creq_t *r)
{
    cop_t *op;
    psa_status_t st;

    if (!op_entry(r, 1, 1, 2, 3)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = op_lookup(r, OP_AEAD, r->iov->op_handle, &op);
    if (st != PSA_SUCCESS) {
        return st;
    }
    d_begin(CE_AEAD_FINISH, CE_NO_SLOT, 0, op_index(op));
    d_out_vec(0, r, 2);
    d_out_vec(1, r, 1);
    st = d_run(r, 1u, 1);
    if (st == PSA_SUCCESS) {
        if (r->out_len == 3u) {
            r->out[2].len = crypto_desc.out_len[0];
        }
        op_release(r, op, true);
    }
    return st;
}

static psa_status_t f_aead(creq_t *r)
{
    switch (r->iov->sfn_id) {
    case SFN_AEAD_ENCRYPT_SETUP:
        return f_keyed_setup(r, OP_AEAD, CE_AEAD_SETUP, KEY_USAGE_ENCRYPT, ALG_CAT_AEAD, 0);
    case SFN_AEAD_DECRYPT_SETUP:
        return f_keyed_setup(r, OP_AEAD, CE_AEAD_SETUP, KEY_USAGE_DECRYPT, ALG_CAT_AEAD, 1);
    case SFN_AEAD_GENERATE_NONCE:
        return aead_step(r, CE_AEAD_GENERATE_NONCE, 1, 2, 2, 0, 0, 0);
    case SFN_AEAD_SET_NONCE:        return aead_step(r, CE_AEAD_SET_NONCE, 2, 1, 1, 0, 0, 0);
    case SFN_AEAD_SET_LENGTHS:
        return aead_step(r, CE_AEAD_SET_LENGTHS, 1, 1, 1, 0, crypto_aead_lengths[0],
                         crypto_aead_lengths[1]);
    case SFN_AEAD_UPDATE_AD:        return aead_step(r, CE_AEAD_UPDATE_AD, 2, 1, 1, 0, 0, 0);
    case SFN_AEAD_UPDATE:           return aead_step(r, CE_AEAD_UPDATE, 2, 1, 2, 0, 0, 0);
    case SFN_AEAD_FINISH:           return f_aead_finish(r);
    case SFN_AEAD_VERIFY:           return aead_step(r, CE_AEAD_VERIFY, 2, 1, 2, STEP_ENDS, 0, 0);
    default:                        return op_abort(r, OP_AEAD);
    }
}

/* ---- key derivation (the v1.3 KDF functions have no handle output, except setup/abort) ---- */
static psa_status_t kdf_op(creq_t *r, cop_t **op)
{
    return op_lookup(r, OP_KDF, r->iov->op_handle, op);
}

static psa_status_t f_kdf(creq_t *r)
{
    const struct crypto_pack_iovec *iov = r->iov;
    cop_t *op;
    ckey_t *k;
    psa_status_t st;

    switch (iov->sfn_id) {
    case SFN_KDF_SETUP:
        if (!op_entry(r, 1, 1, 1, 1)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return op_setup(r, OP_KDF, CE_KDF_SETUP, NULL, 0);
    case SFN_KDF_ABORT:
        return op_abort(r, OP_KDF);
    case SFN_KDF_OUTPUT_KEY:
        st = lens_ok(r, 2, 2, 1, 1) ? kdf_op(r, &op) : PSA_ERROR_PROGRAMMER_ERROR;
        return st != PSA_SUCCESS ? st : crypto_key_derive(r, op_index(op));
    default:
        break;
    }
    /* get/set capacity, input bytes/key, key agreement, output bytes */
    if (!lens_ok(r, 1, 2, 0, 1)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    st = kdf_op(r, &op);
    if (st != PSA_SUCCESS) {
        return st;
    }
    switch (iov->sfn_id) {
    case SFN_KDF_GET_CAPACITY:
        if (r->out_len != 1u || r->out[0].size != 4u) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        d_begin(CE_KDF_GET_CAPACITY, CE_NO_SLOT, 0, op_index(op));
        break;
    case SFN_KDF_SET_CAPACITY:
        d_begin(CE_KDF_SET_CAPACITY, CE_NO_SLOT, 0, op_index(op));
        crypto_desc.aux[0] = iov->capacity;
        break;
    case SFN_KDF_INPUT_BYTES:
        d_begin(CE_KDF_INPUT_BYTES, CE_NO_SLOT, 0, op_index(op));
        break;
    case SFN_KDF_OUTPUT_BYTES:
        d_begin(CE_KDF_OUTPUT_BYTES, CE_NO_SLOT, 0, op_index(op));
        break;
    default:    /* INPUT_KEY, KEY_AGREEMENT: a key with DERIVE usage permitting the algorithm */
        st = key_use(r, iov->key_id, KEY_USAGE_DERIVE, op->alg, 0, &k);
        if (st != PSA_SUCCESS) {
            return st;
        }
        d_begin(iov->sfn_id == SFN_KDF_INPUT_KEY ? CE_KDF_INPUT_KEY : CE_KDF_KEY_AGREEMENT,
                key_slot(k), 0, op_index(op));
        break;
    }
    crypto_desc.aux[0] = crypto_desc.aux[0] != 0u ? crypto_desc.aux[0] : iov->step;
    d_in_vec(0, r, 1);
    d_out_vec(0, r, 0);
    return d_run(r, 0, 0);
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
    d_begin(CE_RANDOM, CE_NO_SLOT, 0, 0);
    d_out_vec(0, r, 0);
    return d_run(r, 0, 0);
}

static psa_status_t crypto_dispatch(creq_t *r)
{
    uint32_t sfn = r->iov->sfn_id, i;

    for (i = 0; i < sizeof oneshots / sizeof oneshots[0]; i++) {
        if (oneshots[i].sfn == sfn) {
            return f_oneshot(r, &oneshots[i]);
        }
    }
    switch (sfn) {
    case SFN_HASH_COMPUTE:          return f_hash_compute(r, false);
    case SFN_HASH_COMPARE:          return f_hash_compute(r, true);
    case SFN_HASH_SETUP:            return f_hash_setup(r);
    case SFN_HASH_UPDATE:           return op_step(r, OP_HASH, CE_HASH_UPDATE, 2, 1, false);
    case SFN_HASH_FINISH:           return op_step(r, OP_HASH, CE_HASH_FINISH, 1, 2, true);
    case SFN_HASH_VERIFY:           return op_step(r, OP_HASH, CE_HASH_VERIFY, 2, 1, true);
    case SFN_HASH_ABORT:            return op_abort(r, OP_HASH);
    case SFN_HASH_CLONE:            return f_hash_clone(r);
    case SFN_MAC_SIGN_SETUP:
        return f_keyed_setup(r, OP_MAC, CE_MAC_SETUP, KEY_USAGE_SIGN_HASH, ALG_CAT_MAC, 0);
    case SFN_MAC_VERIFY_SETUP:
        return f_keyed_setup(r, OP_MAC, CE_MAC_SETUP, KEY_USAGE_VERIFY_HASH, ALG_CAT_MAC, 1);
    case SFN_MAC_UPDATE:            return op_step(r, OP_MAC, CE_MAC_UPDATE, 2, 1, false);
    case SFN_MAC_SIGN_FINISH:       return op_step(r, OP_MAC, CE_MAC_SIGN_FINISH, 1, 2, true);
    case SFN_MAC_VERIFY_FINISH:     return op_step(r, OP_MAC, CE_MAC_VERIFY_FINISH, 2, 1, true);
    case SFN_MAC_ABORT:             return op_abort(r, OP_MAC);
    case SFN_CIPHER_ENCRYPT_SETUP:
        return f_keyed_setup(r, OP_CIPHER, CE_CIPHER_SETUP, KEY_USAGE_ENCRYPT, ALG_CAT_CIPHER, 0);
    case SFN_CIPHER_DECRYPT_SETUP:
        return f_keyed_setup(r, OP_CIPHER, CE_CIPHER_SETUP, KEY_USAGE_DECRYPT, ALG_CAT_CIPHER, 1);
    case SFN_CIPHER_GENERATE_IV:    return op_step(r, OP_CIPHER, CE_CIPHER_GENERATE_IV, 1, 2, false);
    case SFN_CIPHER_SET_IV:         return op_step(r, OP_CIPHER, CE_CIPHER_SET_IV, 2, 1, false);
    case SFN_CIPHER_UPDATE:         return op_step(r, OP_CIPHER, CE_CIPHER_UPDATE, 2, 2, false);
    case SFN_CIPHER_FINISH:         return op_step(r, OP_CIPHER, CE_CIPHER_FINISH, 1, 2, true);
    case SFN_CIPHER_ABORT:          return op_abort(r, OP_CIPHER);
    case SFN_KDF_SETUP: case SFN_KDF_GET_CAPACITY: case SFN_KDF_SET_CAPACITY:
    case SFN_KDF_INPUT_BYTES: case SFN_KDF_OUTPUT_BYTES: case SFN_KDF_INPUT_KEY:
    case SFN_KDF_OUTPUT_KEY: case SFN_KDF_ABORT: case SFN_KDF_KEY_AGREEMENT:
        return f_kdf(r);
    case SFN_GENERATE_RANDOM:       return f_generate_random(r);
    case SFN_AEAD_ENCRYPT_SETUP: case SFN_AEAD_DECRYPT_SETUP: case SFN_AEAD_GENERATE_NONCE:
    case SFN_AEAD_SET_NONCE: case SFN_AEAD_SET_LENGTHS: case SFN_AEAD_UPDATE_AD:
    case SFN_AEAD_UPDATE: case SFN_AEAD_FINISH: case SFN_AEAD_VERIFY: case SFN_AEAD_ABORT:
        /* TF-M v1.3..v1.5 crypto_aead.c: NOT_SUPPORTED; v1.6 serves them */
        return se_tfm_release() >= 16u ? f_aead(r) : PSA_ERROR_NOT_SUPPORTED;
    default:
        if (sfn <= 9u || sfn == 62u) {
            return crypto_key_call(r);
        }
        /* 63/64 key domain parameters: TF-M v1.3 has none */
        return PSA_ERROR_NOT_SUPPORTED;
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

/* The client's sfn_id in the v1.3 numbering the service dispatches on. v1.4 inserts
 * SIGN_MESSAGE / VERIFY_MESSAGE at 47 / 48 (the later ids move up by 2; SID_MAX 67); v1.5 and
 * v1.6 also drop the two key-domain-parameter ids (SID_MAX 65). Those two become the internal
 * SFN_SIGN_MESSAGE / SFN_VERIFY_MESSAGE. An id past the release's SID_MAX is
 * PSA_ERROR_GENERIC_ERROR, as in v1.3. */
static psa_status_t sfn_from_release(uint32_t *sfn)
{
    uint32_t release = se_tfm_release();
    uint32_t max = release >= 15u ? 65u : release == 14u ? 67u : SFN_MAX;

    if (*sfn >= max) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    if (release >= 14u && *sfn >= SFN_SIGN_HASH) {
        *sfn = *sfn == SFN_SIGN_HASH ? (uint32_t)SFN_SIGN_MESSAGE
             : *sfn == SFN_VERIFY_HASH ? (uint32_t)SFN_VERIFY_MESSAGE : *sfn - 2u;
    }
    return PSA_SUCCESS;
}

/* Read in[0] as the release's client lays it out into crypto_iov (the v1.3 layout the service
 * dispatches on). v1.6 puts ad_length and plaintext_length (size_t each) between capacity and
 * aead_in (TF-M v1.6.0 interface/include/tfm_crypto_defs.h:46-48): 52 bytes. They serve only
 * psa_aead_set_lengths and are kept in crypto_aead_lengths. As in TF-M
 * (crypto_init.c psa_read of sizeof the pack), fewer bytes than the release's pack is an error
 * and bytes past it are not read. */
static bool pack_read(se_msg_t *m)
{
    const size_t head = offsetof(struct crypto_pack_iovec, nonce);
    size_t want = sizeof crypto_iov, got = se_read(m, 0, &crypto_iov, head);

    crypto_aead_lengths[0] = crypto_aead_lengths[1] = 0u;
    if (se_tfm_release() >= 16u) {
        want += sizeof crypto_aead_lengths;
        got += se_read(m, 0, crypto_aead_lengths, sizeof crypto_aead_lengths);
    }
    got += se_read(m, 0, (uint8_t *)&crypto_iov + head, sizeof crypto_iov - head);
    return got == want;
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
    if (!pack_read(m)) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    st = sfn_from_release(&crypto_iov.sfn_id);
    if (st != PSA_SUCCESS) {
        return st;
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
