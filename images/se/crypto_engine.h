/* crypto_engine.h - driver of the SE crypto engine (psaemu peripheral at 0x5000B000) and the
 * firmware-internal crypto API built on it.
 *
 * The engine runs one command per descriptor (peripherals/crypto_engine.py documents the
 * register map and the command set): the driver fills a descriptor in SE RAM, writes its
 * address to DESC, sets CTRL.START and reads RESULT (a PSA status). Buffers are SE addresses
 * the engine reads and writes by DMA (SE RAM; flash and the code window are readable).
 *
 * Engine key slots 0..CRYPTO_NUM_KEYS-1 belong to the Crypto service's key table; the slots
 * after them are built-in keys of other services (SE_BUILTIN_*), imported at run time.
 * Engine contexts 0..CRYPTO_NUM_OPS-1 are the service's multipart operations. */
#ifndef SE_CRYPTO_ENGINE_H
#define SE_CRYPTO_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "psa_common.h"

#define CE_BASE                 0x5000B000u

/* Table sizes of the Crypto service (TF-M v1.3: TFM_CRYPTO_MAX_KEY_HANDLES 32,
 * CRYPTO_CONC_OPER_NUM 8); the board's engine must have at least CRYPTO_NUM_KEYS +
 * SE_BUILTIN_COUNT slots and CRYPTO_NUM_OPS contexts. */
#ifndef CRYPTO_NUM_KEYS
#define CRYPTO_NUM_KEYS         32u
#endif
#ifndef CRYPTO_NUM_OPS
#define CRYPTO_NUM_OPS          8u
#endif

/* Built-in keys (engine slot = CRYPTO_NUM_KEYS + id). */
#define SE_BUILTIN_ATTEST_HMAC  0u      /* symmetric attestation key (HMAC-SHA256) */
#define SE_BUILTIN_ATTEST_IAK   1u      /* asymmetric attestation key (ECC P-256 key pair) */
#define SE_BUILTIN_COUNT        2u
#define CE_SLOT_BUILTIN(id)     (CRYPTO_NUM_KEYS + (id))
#define CE_NO_SLOT              0xFFFFFFFFu

/* Commands */
enum {
    CE_RANDOM = 0x01,
    CE_KEY_IMPORT = 0x10, CE_KEY_GENERATE = 0x11, CE_KEY_EXPORT = 0x12, CE_KEY_EXPORT_PUBLIC = 0x13,
    CE_KEY_DESTROY = 0x14, CE_KEY_COPY = 0x15, CE_KEY_INFO = 0x16, CE_KEY_BLOB_EXPORT = 0x17,
    CE_KEY_BLOB_IMPORT = 0x18,
    CE_HASH_COMPUTE = 0x20, CE_HASH_COMPARE = 0x21, CE_HASH_SETUP = 0x22, CE_HASH_UPDATE = 0x23,
    CE_HASH_FINISH = 0x24, CE_HASH_VERIFY = 0x25, CE_HASH_CLONE = 0x26, CE_CTX_ABORT = 0x2F,
    CE_MAC_COMPUTE = 0x30, CE_MAC_VERIFY = 0x31, CE_MAC_SETUP = 0x32, CE_MAC_UPDATE = 0x33,
    CE_MAC_SIGN_FINISH = 0x34, CE_MAC_VERIFY_FINISH = 0x35,
    CE_CIPHER_ENCRYPT = 0x40, CE_CIPHER_DECRYPT = 0x41, CE_CIPHER_SETUP = 0x42,
    CE_CIPHER_GENERATE_IV = 0x43, CE_CIPHER_SET_IV = 0x44, CE_CIPHER_UPDATE = 0x45,
    CE_CIPHER_FINISH = 0x46,
    CE_AEAD_ENCRYPT = 0x50, CE_AEAD_DECRYPT = 0x51, CE_AEAD_SETUP = 0x52,
    CE_AEAD_GENERATE_NONCE = 0x53, CE_AEAD_SET_NONCE = 0x54, CE_AEAD_SET_LENGTHS = 0x55,
    CE_AEAD_UPDATE_AD = 0x56, CE_AEAD_UPDATE = 0x57, CE_AEAD_FINISH = 0x58, CE_AEAD_VERIFY = 0x59,
    CE_SIGN_HASH = 0x60, CE_VERIFY_HASH = 0x61, CE_ASYM_ENCRYPT = 0x62, CE_ASYM_DECRYPT = 0x63,
    CE_RAW_AGREEMENT = 0x70,
    CE_KDF_SETUP = 0x80, CE_KDF_INPUT_BYTES = 0x81, CE_KDF_INPUT_KEY = 0x82,
    CE_KDF_KEY_AGREEMENT = 0x83, CE_KDF_SET_CAPACITY = 0x84, CE_KDF_GET_CAPACITY = 0x85,
    CE_KDF_OUTPUT_BYTES = 0x86, CE_KDF_OUTPUT_KEY = 0x87
};

typedef struct {
    uint32_t addr;
    uint32_t len;
} ce_buf_t;

/* The descriptor (88 bytes), as the engine reads it. */
typedef struct {
    uint32_t cmd;
    uint32_t slot;
    uint32_t alg;
    uint32_t ctx;
    uint32_t aux[4];
    ce_buf_t in[4];
    ce_buf_t out[2];        /* len = buffer size */
    uint32_t out_len[2];    /* written by the engine */
} ce_desc_t;
_Static_assert(sizeof(ce_desc_t) == 88, "engine descriptor is 88 bytes");

/* Reset the engine once per SE boot (wipes its slots and contexts); every entry point below
 * calls it, so services need not. */
void ce_init(void);
/* A zeroed descriptor for cmd (slot CE_NO_SLOT). */
void ce_begin(ce_desc_t *d, uint32_t cmd, uint32_t slot, uint32_t alg, uint32_t ctx);
void ce_in(ce_desc_t *d, uint32_t i, const void *p, size_t n);
void ce_out(ce_desc_t *d, uint32_t i, void *p, size_t size);
/* Run the descriptor; returns RESULT. */
psa_status_t ce_run(ce_desc_t *d);

/* ---- firmware-internal crypto API (no key table, no client checks) ---- */
/* One-shot hash of the concatenation a || b (b may be empty; alg e.g. 0x02000009 SHA-256). */
psa_status_t se_crypto_hash(uint32_t alg, const void *a, size_t na, const void *b, size_t nb,
                            uint8_t *out, size_t size, size_t *out_len);
/* Put key material into built-in key `id` (type: a PSA key type) unless it already holds a key.
 * PSA_SUCCESS if it holds one afterwards. */
psa_status_t se_crypto_builtin_import(uint32_t id, uint16_t type, const void *data, size_t n);
/* MAC with built-in key `id` over the concatenation a || b (b may be empty). */
psa_status_t se_crypto_builtin_mac(uint32_t id, uint32_t alg, const void *a, size_t na,
                                   const void *b, size_t nb, uint8_t *mac, size_t size,
                                   size_t *mac_len);
/* Sign a hash with built-in key `id` (e.g. PSA_ALG_ECDSA(SHA-256) = 0x06000609 with the IAK):
 * the signature in PSA format (r || s for ECDSA). */
psa_status_t se_crypto_builtin_sign_hash(uint32_t id, uint32_t alg, const uint8_t *hash,
                                         size_t hash_len, uint8_t *sig, size_t size,
                                         size_t *sig_len);
/* The public key of built-in key pair `id` in PSA format (0x04 || X || Y for ECC). */
psa_status_t se_crypto_builtin_export_public(uint32_t id, uint8_t *out, size_t size,
                                             size_t *out_len);

/* The Initial Attestation token the device is provisioned for (the engine's ATTEST register,
 * the board's `attestation` key): SE_ATTEST_ASYMMETRIC (COSE_Sign1 with the ECC P-256 IAK) or
 * SE_ATTEST_SYMMETRIC (COSE_Mac0 with the HMAC key). */
#define SE_ATTEST_ASYMMETRIC    0u
#define SE_ATTEST_SYMMETRIC     1u
uint32_t se_crypto_attestation_kind(void);

#endif /* SE_CRYPTO_ENGINE_H */
