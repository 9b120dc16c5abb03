/* psa/crypto.h - the part of the PSA Crypto 1.0 client API this library implements
 * (TF-M v1.3 wire format: 24-byte client key attributes, 44-byte request pack in in_vec[0]). */
#ifndef HOST_PSA_CRYPTO_H
#define HOST_PSA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"

typedef uint32_t psa_algorithm_t;
typedef uint16_t psa_key_type_t;
typedef uint32_t psa_key_id_t;
typedef uint32_t psa_key_usage_t;
typedef uint32_t psa_key_lifetime_t;

/* ---- algorithms ---- */
#define PSA_ALG_SHA_1                   ((psa_algorithm_t)0x02000005)
#define PSA_ALG_SHA_224                 ((psa_algorithm_t)0x02000008)
#define PSA_ALG_SHA_256                 ((psa_algorithm_t)0x02000009)
#define PSA_ALG_SHA_384                 ((psa_algorithm_t)0x0200000A)
#define PSA_ALG_SHA_512                 ((psa_algorithm_t)0x0200000B)
#define PSA_ALG_HMAC_BASE               ((psa_algorithm_t)0x03800000)
#define PSA_ALG_HMAC(hash_alg)          ((psa_algorithm_t)(PSA_ALG_HMAC_BASE | ((hash_alg) & 0xFFu)))
#define PSA_ALG_CMAC                    ((psa_algorithm_t)0x03C00200)
#define PSA_ALG_CTR                     ((psa_algorithm_t)0x04C01000)
#define PSA_ALG_CBC_NO_PADDING          ((psa_algorithm_t)0x04404000)
#define PSA_ALG_GCM                     ((psa_algorithm_t)0x05500200)

/* ---- key types, usage, lifetimes ---- */
#define PSA_KEY_TYPE_NONE               ((psa_key_type_t)0x0000)
#define PSA_KEY_TYPE_RAW_DATA           ((psa_key_type_t)0x1001)
#define PSA_KEY_TYPE_HMAC               ((psa_key_type_t)0x1100)
#define PSA_KEY_TYPE_DERIVE             ((psa_key_type_t)0x1200)
#define PSA_KEY_TYPE_AES                ((psa_key_type_t)0x2400)

#define PSA_KEY_USAGE_EXPORT            ((psa_key_usage_t)0x00000001)
#define PSA_KEY_USAGE_COPY              ((psa_key_usage_t)0x00000002)
#define PSA_KEY_USAGE_ENCRYPT           ((psa_key_usage_t)0x00000100)
#define PSA_KEY_USAGE_DECRYPT           ((psa_key_usage_t)0x00000200)
#define PSA_KEY_USAGE_SIGN_HASH         ((psa_key_usage_t)0x00001000)
#define PSA_KEY_USAGE_VERIFY_HASH       ((psa_key_usage_t)0x00002000)
#define PSA_KEY_USAGE_DERIVE            ((psa_key_usage_t)0x00004000)

#define PSA_KEY_LIFETIME_VOLATILE       ((psa_key_lifetime_t)0x00000000)
#define PSA_KEY_LIFETIME_PERSISTENT     ((psa_key_lifetime_t)0x00000001)

#define PSA_KEY_ID_NULL                 ((psa_key_id_t)0)

#define PSA_HASH_MAX_SIZE               64u
#define PSA_MAC_MAX_SIZE                PSA_HASH_MAX_SIZE

/* TF-M v1.3 client key attributes: 24 bytes, lifetime @0, id @4, alg @8, usage @12,
 * bits @16 (size_t), type @20 (u16 + 2 bytes padding). */
typedef struct psa_client_key_attributes_s {
    psa_key_lifetime_t lifetime;
    psa_key_id_t id;
    psa_algorithm_t alg;
    psa_key_usage_t usage;
    size_t bits;
    psa_key_type_t type;
} psa_key_attributes_t;

#define PSA_KEY_ATTRIBUTES_INIT         {0u, 0u, 0u, 0u, 0u, 0u}

static inline psa_key_attributes_t psa_key_attributes_init(void)
{
    const psa_key_attributes_t v = PSA_KEY_ATTRIBUTES_INIT;
    return v;
}
static inline void psa_set_key_type(psa_key_attributes_t *a, psa_key_type_t t) { a->type = t; }
static inline void psa_set_key_bits(psa_key_attributes_t *a, size_t b) { a->bits = b; }
static inline void psa_set_key_usage_flags(psa_key_attributes_t *a, psa_key_usage_t u) { a->usage = u; }
static inline void psa_set_key_algorithm(psa_key_attributes_t *a, psa_algorithm_t g) { a->alg = g; }
static inline void psa_set_key_lifetime(psa_key_attributes_t *a, psa_key_lifetime_t l) { a->lifetime = l; }
static inline psa_key_type_t psa_get_key_type(const psa_key_attributes_t *a) { return a->type; }
static inline size_t psa_get_key_bits(const psa_key_attributes_t *a) { return a->bits; }
static inline psa_key_usage_t psa_get_key_usage_flags(const psa_key_attributes_t *a) { return a->usage; }
static inline psa_algorithm_t psa_get_key_algorithm(const psa_key_attributes_t *a) { return a->alg; }
static inline psa_key_lifetime_t psa_get_key_lifetime(const psa_key_attributes_t *a) { return a->lifetime; }
static inline psa_key_id_t psa_get_key_id(const psa_key_attributes_t *a) { return a->id; }

/* Multipart operation objects: the client only holds the service's handle (0 = none). */
typedef struct psa_hash_operation_s { uint32_t handle; } psa_hash_operation_t;
typedef struct psa_mac_operation_s { uint32_t handle; } psa_mac_operation_t;
#define PSA_HASH_OPERATION_INIT         {0u}
#define PSA_MAC_OPERATION_INIT          {0u}

static inline psa_hash_operation_t psa_hash_operation_init(void)
{
    const psa_hash_operation_t v = PSA_HASH_OPERATION_INIT;
    return v;
}
static inline psa_mac_operation_t psa_mac_operation_init(void)
{
    const psa_mac_operation_t v = PSA_MAC_OPERATION_INIT;
    return v;
}

/* The service is initialised when the SE boots: PSA_SUCCESS, nothing is sent. */
psa_status_t psa_crypto_init(void);

/* ---- keys ---- */
psa_status_t psa_import_key(const psa_key_attributes_t *attributes, const uint8_t *data,
                            size_t data_length, psa_key_id_t *key);
psa_status_t psa_export_key(psa_key_id_t key, uint8_t *data, size_t data_size,
                            size_t *data_length);
psa_status_t psa_destroy_key(psa_key_id_t key);
psa_status_t psa_get_key_attributes(psa_key_id_t key, psa_key_attributes_t *attributes);

/* ---- hash ---- */
psa_status_t psa_hash_compute(psa_algorithm_t alg, const uint8_t *input, size_t input_length,
                              uint8_t *hash, size_t hash_size, size_t *hash_length);
psa_status_t psa_hash_compare(psa_algorithm_t alg, const uint8_t *input, size_t input_length,
                              const uint8_t *hash, size_t hash_length);
psa_status_t psa_hash_setup(psa_hash_operation_t *operation, psa_algorithm_t alg);
psa_status_t psa_hash_update(psa_hash_operation_t *operation, const uint8_t *input,
                             size_t input_length);
psa_status_t psa_hash_finish(psa_hash_operation_t *operation, uint8_t *hash, size_t hash_size,
                             size_t *hash_length);
psa_status_t psa_hash_verify(psa_hash_operation_t *operation, const uint8_t *hash,
                             size_t hash_length);
psa_status_t psa_hash_abort(psa_hash_operation_t *operation);
psa_status_t psa_hash_clone(const psa_hash_operation_t *source_operation,
                            psa_hash_operation_t *target_operation);

/* ---- MAC ---- */
/* TF-M v1.3 has no one-shot MAC: both return PSA_ERROR_NOT_SUPPORTED without a call. */
psa_status_t psa_mac_compute(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                             size_t input_length, uint8_t *mac, size_t mac_size,
                             size_t *mac_length);
psa_status_t psa_mac_verify(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                            size_t input_length, const uint8_t *mac, size_t mac_length);
psa_status_t psa_mac_sign_setup(psa_mac_operation_t *operation, psa_key_id_t key,
                                psa_algorithm_t alg);
psa_status_t psa_mac_verify_setup(psa_mac_operation_t *operation, psa_key_id_t key,
                                  psa_algorithm_t alg);
psa_status_t psa_mac_update(psa_mac_operation_t *operation, const uint8_t *input,
                            size_t input_length);
psa_status_t psa_mac_sign_finish(psa_mac_operation_t *operation, uint8_t *mac, size_t mac_size,
                                 size_t *mac_length);
psa_status_t psa_mac_verify_finish(psa_mac_operation_t *operation, const uint8_t *mac,
                                   size_t mac_length);
psa_status_t psa_mac_abort(psa_mac_operation_t *operation);

/* ---- one-shot cipher: not in TF-M v1.3 (PSA_ERROR_NOT_SUPPORTED without a call) ---- */
psa_status_t psa_cipher_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, uint8_t *output, size_t output_size,
                                size_t *output_length);
psa_status_t psa_cipher_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, uint8_t *output, size_t output_size,
                                size_t *output_length);

/* ---- random ---- */
/* output_size 0: PSA_SUCCESS without a call. */
psa_status_t psa_generate_random(uint8_t *output, size_t output_size);

#endif /* HOST_PSA_CRYPTO_H */
