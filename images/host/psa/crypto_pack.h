/* psa/crypto_pack.h - what the Host crypto client puts in in_vec[0] of every call
 * (TF-M v1.3..v1.5 wire format, 44 bytes; v1.6, 52 bytes: two multipart-AEAD length fields
 * before aead_in, docs/crypto-wire.md), and the function selectors. Used by psa/crypto.c and by
 * own_proxy/s_image.c, which builds the same requests for its own proxy. */
#ifndef HOST_PSA_CRYPTO_PACK_H
#define HOST_PSA_CRYPTO_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "psa/crypto.h"
#include "psa_release.h"

#define CRYPTO_MAX_NONCE_LENGTH 16u
/* v1.6 adds ad_length and plaintext_length (multipart AEAD lengths) after capacity */
#define CRYPTO_PACK_AEAD_LENGTHS    (PSAEMU_TFM_RELEASE >= 16)
#define CRYPTO_PACK_SIZE            (CRYPTO_PACK_AEAD_LENGTHS ? 52u : 44u)
#define CRYPTO_PACK_AEAD_IN         (CRYPTO_PACK_AEAD_LENGTHS ? 32u : 24u)

struct tfm_crypto_pack_iovec {
    uint32_t sfn_id;                /* @0  function selector (v1.6 calls it srv_id) */
    uint16_t step;                  /* @4  key derivation step (+2 bytes padding) */
    psa_key_id_t key_id;            /* @8 */
    psa_algorithm_t alg;            /* @12 */
    uint32_t op_handle;             /* @16 multipart operation, 0 = none */
    size_t capacity;                /* @20 */
#if CRYPTO_PACK_AEAD_LENGTHS
    size_t ad_length;               /* @24 v1.6: multipart AEAD additional-data length */
    size_t plaintext_length;        /* @28 v1.6: multipart AEAD plaintext length */
#endif
    struct {
        uint8_t nonce[CRYPTO_MAX_NONCE_LENGTH];   /* @24 (v1.6: @32) */
        uint32_t nonce_length;                    /* @40 (v1.6: @48) */
    } aead_in;
};

_Static_assert(sizeof(struct tfm_crypto_pack_iovec) == CRYPTO_PACK_SIZE, "crypto pack size");
_Static_assert(offsetof(struct tfm_crypto_pack_iovec, key_id) == 8, "key_id @8");
_Static_assert(offsetof(struct tfm_crypto_pack_iovec, alg) == 12, "alg @12");
_Static_assert(offsetof(struct tfm_crypto_pack_iovec, op_handle) == 16, "op_handle @16");
_Static_assert(offsetof(struct tfm_crypto_pack_iovec, capacity) == 20, "capacity @20");
_Static_assert(offsetof(struct tfm_crypto_pack_iovec, aead_in) == CRYPTO_PACK_AEAD_IN, "aead_in");
#if PSAEMU_TFM_RELEASE >= 14
_Static_assert(sizeof(psa_key_attributes_t) == 20, "v1.4+ client key attributes are 20 bytes");
_Static_assert(offsetof(psa_key_attributes_t, bits) == 2, "bits @2");
_Static_assert(offsetof(psa_key_attributes_t, alg) == 16, "alg @16");
/* v1.4 inserts SIGN_MESSAGE / VERIFY_MESSAGE (47, 48) before SIGN_HASH: the later ids move by 2 */
#define CRYPTO_SFN_LATE(v13)    ((v13) + 2)
#else
_Static_assert(sizeof(psa_key_attributes_t) == 24, "v1.3 client key attributes are 24 bytes");
_Static_assert(offsetof(psa_key_attributes_t, bits) == 16, "bits @16");
_Static_assert(offsetof(psa_key_attributes_t, type) == 20, "type @20");
#define CRYPTO_SFN_LATE(v13)    (v13)
#endif

/* sfn_id values (TF-M v1.3 numbering; CRYPTO_SFN_LATE gives the release's value of the later ones) */
enum {
    CRYPTO_SFN_GET_KEY_ATTRIBUTES = 0,
    CRYPTO_SFN_RESET_KEY_ATTRIBUTES = 1,
    CRYPTO_SFN_OPEN_KEY = 2,
    CRYPTO_SFN_CLOSE_KEY = 3,
    CRYPTO_SFN_IMPORT_KEY = 4,
    CRYPTO_SFN_DESTROY_KEY = 5,
    CRYPTO_SFN_EXPORT_KEY = 6,
    CRYPTO_SFN_EXPORT_PUBLIC_KEY = 7,
    CRYPTO_SFN_PURGE_KEY = 8,
    CRYPTO_SFN_COPY_KEY = 9,
    CRYPTO_SFN_HASH_COMPUTE = 10,
    CRYPTO_SFN_HASH_COMPARE = 11,
    CRYPTO_SFN_HASH_SETUP = 12,
    CRYPTO_SFN_HASH_UPDATE = 13,
    CRYPTO_SFN_HASH_FINISH = 14,
    CRYPTO_SFN_HASH_VERIFY = 15,
    CRYPTO_SFN_HASH_ABORT = 16,
    CRYPTO_SFN_HASH_CLONE = 17,
    CRYPTO_SFN_MAC_COMPUTE = 18,            /* one-shot MAC and cipher: sent from v1.4 */
    CRYPTO_SFN_MAC_VERIFY = 19,
    CRYPTO_SFN_MAC_SIGN_SETUP = 20,
    CRYPTO_SFN_MAC_VERIFY_SETUP = 21,
    CRYPTO_SFN_MAC_UPDATE = 22,
    CRYPTO_SFN_MAC_SIGN_FINISH = 23,
    CRYPTO_SFN_MAC_VERIFY_FINISH = 24,
    CRYPTO_SFN_MAC_ABORT = 25,
    CRYPTO_SFN_CIPHER_ENCRYPT = 26,
    CRYPTO_SFN_CIPHER_DECRYPT = 27,
    CRYPTO_SFN_CIPHER_ENCRYPT_SETUP = 28,
    CRYPTO_SFN_CIPHER_DECRYPT_SETUP = 29,
    CRYPTO_SFN_CIPHER_GENERATE_IV = 30,
    CRYPTO_SFN_CIPHER_SET_IV = 31,
    CRYPTO_SFN_CIPHER_UPDATE = 32,
    CRYPTO_SFN_CIPHER_FINISH = 33,
    CRYPTO_SFN_CIPHER_ABORT = 34,
    CRYPTO_SFN_AEAD_ENCRYPT = 35,
    CRYPTO_SFN_AEAD_DECRYPT = 36,
    CRYPTO_SFN_AEAD_ENCRYPT_SETUP = 37,     /* multipart AEAD: sent from v1.6 */
    CRYPTO_SFN_AEAD_DECRYPT_SETUP = 38,
    CRYPTO_SFN_AEAD_GENERATE_NONCE = 39,
    CRYPTO_SFN_AEAD_SET_NONCE = 40,
    CRYPTO_SFN_AEAD_SET_LENGTHS = 41,
    CRYPTO_SFN_AEAD_UPDATE_AD = 42,
    CRYPTO_SFN_AEAD_UPDATE = 43,
    CRYPTO_SFN_AEAD_FINISH = 44,
    CRYPTO_SFN_AEAD_VERIFY = 45,
    CRYPTO_SFN_AEAD_ABORT = 46,
#if PSAEMU_TFM_RELEASE >= 14
    CRYPTO_SFN_SIGN_MESSAGE = 47,           /* v1.4+ only */
    CRYPTO_SFN_VERIFY_MESSAGE = 48,
#endif
    CRYPTO_SFN_SIGN_HASH = CRYPTO_SFN_LATE(47),
    CRYPTO_SFN_VERIFY_HASH = CRYPTO_SFN_LATE(48),
    CRYPTO_SFN_ASYMMETRIC_ENCRYPT = CRYPTO_SFN_LATE(49),
    CRYPTO_SFN_ASYMMETRIC_DECRYPT = CRYPTO_SFN_LATE(50),
    CRYPTO_SFN_KEY_DERIVATION_SETUP = CRYPTO_SFN_LATE(51),
    CRYPTO_SFN_KEY_DERIVATION_GET_CAPACITY = CRYPTO_SFN_LATE(52),
    CRYPTO_SFN_KEY_DERIVATION_SET_CAPACITY = CRYPTO_SFN_LATE(53),
    CRYPTO_SFN_KEY_DERIVATION_INPUT_BYTES = CRYPTO_SFN_LATE(54),
    CRYPTO_SFN_KEY_DERIVATION_INPUT_KEY = CRYPTO_SFN_LATE(55),
    CRYPTO_SFN_KEY_DERIVATION_KEY_AGREEMENT = CRYPTO_SFN_LATE(56),
    CRYPTO_SFN_KEY_DERIVATION_OUTPUT_BYTES = CRYPTO_SFN_LATE(57),
    CRYPTO_SFN_KEY_DERIVATION_OUTPUT_KEY = CRYPTO_SFN_LATE(58),
    CRYPTO_SFN_KEY_DERIVATION_ABORT = CRYPTO_SFN_LATE(59),
    CRYPTO_SFN_RAW_KEY_AGREEMENT = CRYPTO_SFN_LATE(60),
    CRYPTO_SFN_GENERATE_RANDOM = CRYPTO_SFN_LATE(61),
    CRYPTO_SFN_GENERATE_KEY = CRYPTO_SFN_LATE(62),
};

#endif /* HOST_PSA_CRYPTO_PACK_H */
