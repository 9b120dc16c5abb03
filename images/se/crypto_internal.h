/* crypto_internal.h - what the Crypto service's files share: the decoded request, the
 * TF-M v1.3 wire constants, the key table and the engine descriptor helpers. */
#ifndef SE_CRYPTO_INTERNAL_H
#define SE_CRYPTO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_engine.h"
#include "spm.h"

/* ---- wire format (TF-M v1.3.0 tfm_crypto_defs.h:36, crypto_client_struct.h:32) ---- */
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

#define CRYPTO_ATTR_SIZE        24u     /* psa_client_key_attributes_s of v1.3 */
#define CRYPTO_ATTR_LIFETIME    0u
#define CRYPTO_ATTR_ID          4u
#define CRYPTO_ATTR_ALG         8u
#define CRYPTO_ATTR_USAGE       12u
#define CRYPTO_ATTR_BITS        16u
#define CRYPTO_ATTR_TYPE        20u

/* ---- PSA Crypto 1.0 values used by the firmware's checks ---- */
#define ALG_CATEGORY_MASK       0x7F000000u
#define ALG_CAT_HASH            0x02000000u
#define ALG_CAT_MAC             0x03000000u
#define ALG_CAT_CIPHER          0x04000000u
#define ALG_CAT_AEAD            0x05000000u
#define ALG_CAT_SIGN            0x06000000u
#define ALG_CAT_ASYM_ENC        0x07000000u
#define ALG_CAT_KDF             0x08000000u
#define ALG_CAT_KA              0x09000000u
#define ALG_HASH_MASK           0x000000FFu
#define ALG_KA_MASK             0x7FFF0000u

#define KEY_USAGE_EXPORT        0x00000001u
#define KEY_USAGE_COPY          0x00000002u
#define KEY_USAGE_ENCRYPT       0x00000100u
#define KEY_USAGE_DECRYPT       0x00000200u
#define KEY_USAGE_SIGN_MESSAGE  0x00000400u     /* PSA 1.0.1; SIGN_HASH implies it */
#define KEY_USAGE_VERIFY_MESSAGE 0x00000800u    /* PSA 1.0.1; VERIFY_HASH implies it */
#define KEY_USAGE_SIGN_HASH     0x00001000u     /* also the MAC sign policy with Mbed TLS 2.25 */
#define KEY_USAGE_VERIFY_HASH   0x00002000u
#define KEY_USAGE_DERIVE        0x00004000u

#define KEY_TYPE_CATEGORY_MASK  0x7000u
#define KEY_TYPE_CATEGORY_PUBLIC 0x4000u

#define KEY_ID_USER_MIN         0x00000001u
#define KEY_ID_USER_MAX         0x3FFFFFFFu
#define KEY_ID_VOLATILE_MIN     (0x80000000u - CRYPTO_NUM_KEYS)   /* .. PSA_KEY_ID_VENDOR_MAX */

/* ---- a decoded request ---- */
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

/* ---- key table (crypto_keys.c): entry i is engine slot i ---- */
typedef struct {
    bool in_use;
    bool persistent;
    uint16_t type;
    int32_t owner;
    uint32_t id;
    uint32_t lifetime;
    uint32_t alg;
    uint32_t usage;
    uint32_t bits;
} ckey_t;

bool lens_ok(const creq_t *r, uint32_t in_min, uint32_t in_max, uint32_t out_min, uint32_t out_max);
cin_t in_vec(const creq_t *r, uint32_t i);
uint32_t rd32(const uint8_t *p);
void wr32(uint8_t *p, uint32_t v);
void put_u32(creq_t *r, uint32_t i, uint32_t v);

/* The caller's key `id`, loading a stored persistent key into the table if needed:
 * PSA_ERROR_INVALID_HANDLE (unknown), PSA_ERROR_NOT_PERMITTED (another client's). */
psa_status_t key_find(const creq_t *r, uint32_t id, ckey_t **key);
/* key_find, then the policy: `usage` flags held and `alg` permitted (0: no algorithm check);
 * a key not of algorithm category `cat` (0: any) is PSA_ERROR_INVALID_ARGUMENT first. */
psa_status_t key_use(const creq_t *r, uint32_t id, uint32_t usage, uint32_t alg, uint32_t cat,
                     ckey_t **key);
uint32_t key_slot(const ckey_t *k);
/* Key management functions (sfn 0..9, 62) and the output key of a derivation (sfn 57). */
psa_status_t crypto_key_call(creq_t *r);
psa_status_t crypto_key_derive(creq_t *r, uint32_t ctx);

/* The engine descriptor of the request being served. */
extern ce_desc_t crypto_desc;
void d_begin(uint32_t cmd, uint32_t slot, uint32_t alg, uint32_t ctx);
void d_in_vec(uint32_t ce_i, const creq_t *r, uint32_t vec_i);
void d_out_vec(uint32_t ce_i, const creq_t *r, uint32_t vec_i);
/* Run it; on success set out_vec[vec_i].len from engine output ce_i (vec_i < 4, else none). */
psa_status_t d_run(creq_t *r, uint32_t vec_i, uint32_t ce_i);

#endif /* SE_CRYPTO_INTERNAL_H */
