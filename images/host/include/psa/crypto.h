/* psa/crypto.h - the part of the PSA Crypto 1.0 client API this library implements
 * (TF-M v1.3 wire format: 24-byte client key attributes, 44-byte request pack in in_vec[0]). */
#ifndef HOST_PSA_CRYPTO_H
#define HOST_PSA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"
#include "psa_release.h"

typedef uint32_t psa_algorithm_t;
typedef uint16_t psa_key_type_t;
typedef uint32_t psa_key_id_t;
typedef uint32_t psa_key_usage_t;
typedef uint32_t psa_key_lifetime_t;
typedef uint16_t psa_key_derivation_step_t;
typedef uint8_t psa_ecc_family_t;

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
#define PSA_ALG_CFB                     ((psa_algorithm_t)0x04C01100)
#define PSA_ALG_OFB                     ((psa_algorithm_t)0x04C01200)
#define PSA_ALG_CBC_NO_PADDING          ((psa_algorithm_t)0x04404000)
#define PSA_ALG_CBC_PKCS7               ((psa_algorithm_t)0x04404100)
#define PSA_ALG_ECB_NO_PADDING          ((psa_algorithm_t)0x04404400)
#define PSA_ALG_CCM                     ((psa_algorithm_t)0x05500100)
#define PSA_ALG_GCM                     ((psa_algorithm_t)0x05500200)
#define PSA_ALG_CHACHA20_POLY1305       ((psa_algorithm_t)0x05100500)
#define PSA_ALG_HASH_MASK               ((psa_algorithm_t)0x000000FF)
#define PSA_ALG_MAC_TRUNCATION_MASK     ((psa_algorithm_t)0x003F0000)
#define PSA_ALG_AEAD_TAG_LENGTH_MASK    ((psa_algorithm_t)0x003F0000)
#define PSA_ALG_TRUNCATED_MAC(mac_alg, len) \
    ((psa_algorithm_t)(((mac_alg) & ~PSA_ALG_MAC_TRUNCATION_MASK) | \
                       (((uint32_t)(len) << 16) & PSA_ALG_MAC_TRUNCATION_MASK)))
#define PSA_ALG_AEAD_WITH_TAG_LENGTH(aead_alg, len) \
    ((psa_algorithm_t)(((aead_alg) & ~PSA_ALG_AEAD_TAG_LENGTH_MASK) | \
                       (((uint32_t)(len) << 16) & PSA_ALG_AEAD_TAG_LENGTH_MASK)))
#define PSA_ALG_RSA_PKCS1V15_SIGN(h)    ((psa_algorithm_t)(0x06000200u | ((h) & PSA_ALG_HASH_MASK)))
#define PSA_ALG_RSA_PSS(h)              ((psa_algorithm_t)(0x06000300u | ((h) & PSA_ALG_HASH_MASK)))
#define PSA_ALG_ECDSA(h)                ((psa_algorithm_t)(0x06000600u | ((h) & PSA_ALG_HASH_MASK)))
#define PSA_ALG_DETERMINISTIC_ECDSA(h)  ((psa_algorithm_t)(0x06000700u | ((h) & PSA_ALG_HASH_MASK)))
#define PSA_ALG_RSA_PKCS1V15_CRYPT      ((psa_algorithm_t)0x07000200)
#define PSA_ALG_RSA_OAEP(h)             ((psa_algorithm_t)(0x07000300u | ((h) & PSA_ALG_HASH_MASK)))
#define PSA_ALG_HKDF(h)                 ((psa_algorithm_t)(0x08000100u | ((h) & PSA_ALG_HASH_MASK)))
#define PSA_ALG_TLS12_PRF(h)            ((psa_algorithm_t)(0x08000200u | ((h) & PSA_ALG_HASH_MASK)))
#define PSA_ALG_TLS12_PSK_TO_MS(h)      ((psa_algorithm_t)(0x08000300u | ((h) & PSA_ALG_HASH_MASK)))
#define PSA_ALG_ECDH                    ((psa_algorithm_t)0x09020000)
#define PSA_ALG_KEY_AGREEMENT(ka, kdf)  ((psa_algorithm_t)((ka) | (kdf)))

/* ---- key types, usage, lifetimes ---- */
#define PSA_KEY_TYPE_NONE               ((psa_key_type_t)0x0000)
#define PSA_KEY_TYPE_RAW_DATA           ((psa_key_type_t)0x1001)
#define PSA_KEY_TYPE_HMAC               ((psa_key_type_t)0x1100)
#define PSA_KEY_TYPE_DERIVE             ((psa_key_type_t)0x1200)
#define PSA_KEY_TYPE_AES                ((psa_key_type_t)0x2400)
#define PSA_KEY_TYPE_CHACHA20           ((psa_key_type_t)0x2004)
#define PSA_KEY_TYPE_RSA_PUBLIC_KEY     ((psa_key_type_t)0x4001)
#define PSA_KEY_TYPE_RSA_KEY_PAIR       ((psa_key_type_t)0x7001)
#define PSA_KEY_TYPE_ECC_KEY_PAIR(f)    ((psa_key_type_t)(0x7100u | (f)))
#define PSA_KEY_TYPE_ECC_PUBLIC_KEY(f)  ((psa_key_type_t)(0x4100u | (f)))
#define PSA_ECC_FAMILY_SECP_R1          ((psa_ecc_family_t)0x12)
#define PSA_ECC_FAMILY_MONTGOMERY       ((psa_ecc_family_t)0x41)

#define PSA_KEY_DERIVATION_INPUT_SECRET ((psa_key_derivation_step_t)0x0101)
#define PSA_KEY_DERIVATION_INPUT_LABEL  ((psa_key_derivation_step_t)0x0201)
#define PSA_KEY_DERIVATION_INPUT_SALT   ((psa_key_derivation_step_t)0x0202)
#define PSA_KEY_DERIVATION_INPUT_INFO   ((psa_key_derivation_step_t)0x0203)
#define PSA_KEY_DERIVATION_INPUT_SEED   ((psa_key_derivation_step_t)0x0204)

#define PSA_KEY_USAGE_EXPORT            ((psa_key_usage_t)0x00000001)
#define PSA_KEY_USAGE_COPY              ((psa_key_usage_t)0x00000002)
#define PSA_KEY_USAGE_ENCRYPT           ((psa_key_usage_t)0x00000100)
#define PSA_KEY_USAGE_DECRYPT           ((psa_key_usage_t)0x00000200)
#define PSA_KEY_USAGE_SIGN_MESSAGE      ((psa_key_usage_t)0x00000400)
#define PSA_KEY_USAGE_VERIFY_MESSAGE    ((psa_key_usage_t)0x00000800)
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
#if PSAEMU_TFM_RELEASE >= 14
/* v1.4+: 20 bytes, the 16-bit fields first */
typedef struct psa_client_key_attributes_s {
    psa_key_type_t type;
    uint16_t bits;
    psa_key_lifetime_t lifetime;
    psa_key_id_t id;
    psa_key_usage_t usage;
    psa_algorithm_t alg;
} psa_key_attributes_t;
#else
/* v1.3: 24 bytes */
typedef struct psa_client_key_attributes_s {
    psa_key_lifetime_t lifetime;
    psa_key_id_t id;
    psa_algorithm_t alg;
    psa_key_usage_t usage;
    size_t bits;
    psa_key_type_t type;
} psa_key_attributes_t;
#endif

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
typedef struct psa_cipher_operation_s { uint32_t handle; } psa_cipher_operation_t;
typedef struct psa_aead_operation_s { uint32_t handle; } psa_aead_operation_t;
typedef struct psa_key_derivation_s { uint32_t handle; } psa_key_derivation_operation_t;
#define PSA_HASH_OPERATION_INIT         {0u}
#define PSA_MAC_OPERATION_INIT          {0u}
#define PSA_CIPHER_OPERATION_INIT       {0u}
#define PSA_AEAD_OPERATION_INIT         {0u}
#define PSA_KEY_DERIVATION_OPERATION_INIT {0u}

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
/* Forwarded (sfn 1); the attributes are what the service answers, unchanged if the call fails. */
void psa_reset_key_attributes(psa_key_attributes_t *attributes);
psa_status_t psa_open_key(psa_key_id_t id, psa_key_id_t *key);
psa_status_t psa_close_key(psa_key_id_t key);
psa_status_t psa_purge_key(psa_key_id_t key);
psa_status_t psa_export_public_key(psa_key_id_t key, uint8_t *data, size_t data_size,
                                   size_t *data_length);
psa_status_t psa_copy_key(psa_key_id_t source_key, const psa_key_attributes_t *attributes,
                          psa_key_id_t *target_key);
psa_status_t psa_generate_key(const psa_key_attributes_t *attributes, psa_key_id_t *key);

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
/* One-shot MAC: TF-M v1.3's client returns PSA_ERROR_NOT_SUPPORTED without a call; from v1.4
 * (PSAEMU_TFM_RELEASE >= 14) it is sent (in[1] input, in[2] MAC; out[0] MAC). */
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

/* ---- one-shot cipher: not in TF-M v1.3 (PSA_ERROR_NOT_SUPPORTED without a call), sent from
 * v1.4; encryption generates the IV and writes IV || ciphertext, decryption takes that ---- */
psa_status_t psa_cipher_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, uint8_t *output, size_t output_size,
                                size_t *output_length);
psa_status_t psa_cipher_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, uint8_t *output, size_t output_size,
                                size_t *output_length);

/* ---- multipart cipher ---- */
psa_status_t psa_cipher_encrypt_setup(psa_cipher_operation_t *operation, psa_key_id_t key,
                                      psa_algorithm_t alg);
psa_status_t psa_cipher_decrypt_setup(psa_cipher_operation_t *operation, psa_key_id_t key,
                                      psa_algorithm_t alg);
psa_status_t psa_cipher_generate_iv(psa_cipher_operation_t *operation, uint8_t *iv,
                                    size_t iv_size, size_t *iv_length);
psa_status_t psa_cipher_set_iv(psa_cipher_operation_t *operation, const uint8_t *iv,
                               size_t iv_length);
psa_status_t psa_cipher_update(psa_cipher_operation_t *operation, const uint8_t *input,
                               size_t input_length, uint8_t *output, size_t output_size,
                               size_t *output_length);
psa_status_t psa_cipher_finish(psa_cipher_operation_t *operation, uint8_t *output,
                               size_t output_size, size_t *output_length);
psa_status_t psa_cipher_abort(psa_cipher_operation_t *operation);

/* ---- AEAD: one-shot; multipart AEAD is PSA_ERROR_NOT_SUPPORTED without a call before v1.6 ---- */
psa_status_t psa_aead_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *nonce,
                              size_t nonce_length, const uint8_t *additional_data,
                              size_t additional_data_length, const uint8_t *plaintext,
                              size_t plaintext_length, uint8_t *ciphertext,
                              size_t ciphertext_size, size_t *ciphertext_length);
psa_status_t psa_aead_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *nonce,
                              size_t nonce_length, const uint8_t *additional_data,
                              size_t additional_data_length, const uint8_t *ciphertext,
                              size_t ciphertext_length, uint8_t *plaintext,
                              size_t plaintext_size, size_t *plaintext_length);
psa_status_t psa_aead_encrypt_setup(psa_aead_operation_t *operation, psa_key_id_t key,
                                    psa_algorithm_t alg);
psa_status_t psa_aead_decrypt_setup(psa_aead_operation_t *operation, psa_key_id_t key,
                                    psa_algorithm_t alg);
psa_status_t psa_aead_abort(psa_aead_operation_t *operation);
#if PSAEMU_TFM_RELEASE >= 16
psa_status_t psa_aead_generate_nonce(psa_aead_operation_t *operation, uint8_t *nonce,
                                     size_t nonce_size, size_t *nonce_length);
psa_status_t psa_aead_set_nonce(psa_aead_operation_t *operation, const uint8_t *nonce,
                                size_t nonce_length);
psa_status_t psa_aead_set_lengths(psa_aead_operation_t *operation, size_t ad_length,
                                  size_t plaintext_length);
psa_status_t psa_aead_update_ad(psa_aead_operation_t *operation, const uint8_t *input,
                                size_t input_length);
psa_status_t psa_aead_update(psa_aead_operation_t *operation, const uint8_t *input,
                             size_t input_length, uint8_t *output, size_t output_size,
                             size_t *output_length);
psa_status_t psa_aead_finish(psa_aead_operation_t *operation, uint8_t *ciphertext,
                             size_t ciphertext_size, size_t *ciphertext_length, uint8_t *tag,
                             size_t tag_size, size_t *tag_length);
psa_status_t psa_aead_verify(psa_aead_operation_t *operation, uint8_t *plaintext,
                             size_t plaintext_size, size_t *plaintext_length, const uint8_t *tag,
                             size_t tag_length);
#endif

/* ---- asymmetric ---- */
psa_status_t psa_sign_hash(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *hash,
                           size_t hash_length, uint8_t *signature, size_t signature_size,
                           size_t *signature_length);
psa_status_t psa_verify_hash(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *hash,
                             size_t hash_length, const uint8_t *signature,
                             size_t signature_length);
#if PSAEMU_TFM_RELEASE >= 14
/* v1.4+: hash the message with the algorithm's hash, then sign / verify that hash */
psa_status_t psa_sign_message(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                              size_t input_length, uint8_t *signature, size_t signature_size,
                              size_t *signature_length);
psa_status_t psa_verify_message(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, const uint8_t *signature,
                                size_t signature_length);
#endif
psa_status_t psa_asymmetric_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                    size_t input_length, const uint8_t *salt,
                                    size_t salt_length, uint8_t *output, size_t output_size,
                                    size_t *output_length);
psa_status_t psa_asymmetric_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                    size_t input_length, const uint8_t *salt,
                                    size_t salt_length, uint8_t *output, size_t output_size,
                                    size_t *output_length);
psa_status_t psa_raw_key_agreement(psa_algorithm_t alg, psa_key_id_t private_key,
                                   const uint8_t *peer_key, size_t peer_key_length,
                                   uint8_t *output, size_t output_size, size_t *output_length);

/* ---- key derivation (v1.3: only setup and abort update operation->handle) ---- */
psa_status_t psa_key_derivation_setup(psa_key_derivation_operation_t *operation,
                                      psa_algorithm_t alg);
psa_status_t psa_key_derivation_get_capacity(const psa_key_derivation_operation_t *operation,
                                             size_t *capacity);
psa_status_t psa_key_derivation_set_capacity(psa_key_derivation_operation_t *operation,
                                             size_t capacity);
psa_status_t psa_key_derivation_input_bytes(psa_key_derivation_operation_t *operation,
                                            psa_key_derivation_step_t step, const uint8_t *data,
                                            size_t data_length);
psa_status_t psa_key_derivation_input_key(psa_key_derivation_operation_t *operation,
                                          psa_key_derivation_step_t step, psa_key_id_t key);
psa_status_t psa_key_derivation_key_agreement(psa_key_derivation_operation_t *operation,
                                              psa_key_derivation_step_t step,
                                              psa_key_id_t private_key, const uint8_t *peer_key,
                                              size_t peer_key_length);
psa_status_t psa_key_derivation_output_bytes(psa_key_derivation_operation_t *operation,
                                             uint8_t *output, size_t output_length);
psa_status_t psa_key_derivation_output_key(const psa_key_attributes_t *attributes,
                                           psa_key_derivation_operation_t *operation,
                                           psa_key_id_t *key);
psa_status_t psa_key_derivation_abort(psa_key_derivation_operation_t *operation);

/* ---- random ---- */
/* output_size 0: PSA_SUCCESS without a call. */
psa_status_t psa_generate_random(uint8_t *output, size_t output_size);

#endif /* HOST_PSA_CRYPTO_H */
