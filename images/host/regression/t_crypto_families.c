/* regression/t_crypto_families.c - suite "crypto": one test per PSA Crypto family against
 * published vectors, through the proxy. A test whose algorithm the SE answers with
 * PSA_ERROR_NOT_SUPPORTED, or PSA_ERROR_INSUFFICIENT_MEMORY (TF-M v1.3's Mbed TLS runs from a
 * 16 KiB heap, TFM_CRYPTO_ENGINE_BUF_SIZE), is reported SKIP with that reason (test.h).
 *
 * Vectors: SHA "abc" digests (FIPS 180-2 appendix examples); HMAC-SHA-512 (RFC 4231 test
 * case 1); AES-128 CMAC of the 64-byte message (RFC 4493 section 4); AES-128 first blocks
 * (NIST SP 800-38A F.1.1, F.2.1, F.5.1, F.3.13, F.4.1; the CMAC key and message block are the
 * same bytes); GCM test case 4 (McGrew/Viega GCM specification); CCM packet vector 1
 * (RFC 3610 section 8); ChaCha20-Poly1305 (RFC 8439 2.8.2: first 16 ciphertext bytes and the
 * tag); deterministic ECDSA P-256/SHA-256 "sample" (RFC 6979 A.2.5); X25519 (RFC 7748 6.1);
 * HKDF-SHA-256 (RFC 5869 A.1). RSA: a 1024-bit public key and its PKCS#1 v1.5 SHA-256
 * signature of RSA_MSG, made on the build host with Python's cryptography package. */
#include "psa/crypto.h"
#include "test.h"

#define S "crypto"

#define RSA_MSG "psaemu rsa verify"
#define CHACHA_PT "Ladies and Gentlemen of the class of '99: If I could offer you only one " \
                  "tip for the future, sunscreen would be it."

static const uint8_t abc_sha1[20] = {
    0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c,
    0x9c, 0xd0, 0xd8, 0x9d,
};

static const uint8_t abc_sha224[28] = {
    0x23, 0x09, 0x7d, 0x22, 0x34, 0x05, 0xd8, 0x22, 0x86, 0x42, 0xa4, 0x77, 0xbd, 0xa2, 0x55, 0xb3,
    0x2a, 0xad, 0xbc, 0xe4, 0xbd, 0xa0, 0xb3, 0xf7, 0xe3, 0x6c, 0x9d, 0xa7,
};

static const uint8_t abc_sha384[48] = {
    0xcb, 0x00, 0x75, 0x3f, 0x45, 0xa3, 0x5e, 0x8b, 0xb5, 0xa0, 0x3d, 0x69, 0x9a, 0xc6, 0x50, 0x07,
    0x27, 0x2c, 0x32, 0xab, 0x0e, 0xde, 0xd1, 0x63, 0x1a, 0x8b, 0x60, 0x5a, 0x43, 0xff, 0x5b, 0xed,
    0x80, 0x86, 0x07, 0x2b, 0xa1, 0xe7, 0xcc, 0x23, 0x58, 0xba, 0xec, 0xa1, 0x34, 0xc8, 0x25, 0xa7,
};

static const uint8_t abc_sha512[64] = {
    0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba, 0xcc, 0x41, 0x73, 0x49, 0xae, 0x20, 0x41, 0x31,
    0x12, 0xe6, 0xfa, 0x4e, 0x89, 0xa9, 0x7e, 0xa2, 0x0a, 0x9e, 0xee, 0xe6, 0x4b, 0x55, 0xd3, 0x9a,
    0x21, 0x92, 0x99, 0x2a, 0x27, 0x4f, 0xc1, 0xa8, 0x36, 0xba, 0x3c, 0x23, 0xa3, 0xfe, 0xeb, 0xbd,
    0x45, 0x4d, 0x44, 0x23, 0x64, 0x3c, 0xe8, 0x0e, 0x2a, 0x9a, 0xc9, 0x4f, 0xa5, 0x4c, 0xa4, 0x9f,
};

static const uint8_t hmac512_tc1[64] = {
    0x87, 0xaa, 0x7c, 0xde, 0xa5, 0xef, 0x61, 0x9d, 0x4f, 0xf0, 0xb4, 0x24, 0x1a, 0x1d, 0x6c, 0xb0,
    0x23, 0x79, 0xf4, 0xe2, 0xce, 0x4e, 0xc2, 0x78, 0x7a, 0xd0, 0xb3, 0x05, 0x45, 0xe1, 0x7c, 0xde,
    0xda, 0xa8, 0x33, 0xb7, 0xd6, 0xb8, 0xa7, 0x02, 0x03, 0x8b, 0x27, 0x4e, 0xae, 0xa3, 0xf4, 0xe4,
    0xbe, 0x9d, 0x91, 0x4e, 0xeb, 0x61, 0xf1, 0x70, 0x2e, 0x69, 0x6c, 0x20, 0x3a, 0x12, 0x68, 0x54,
};

static const uint8_t cmac_key[16] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
};

static const uint8_t cmac_msg[64] = {
    0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
    0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
    0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef,
    0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10,
};

static const uint8_t cmac_64[16] = {
    0x51, 0xf0, 0xbe, 0xbf, 0x7e, 0x3b, 0x9d, 0x92, 0xfc, 0x49, 0x74, 0x17, 0x79, 0x36, 0x3c, 0xfe,
};

static const uint8_t ct_ecb[16] = {
    0x3a, 0xd7, 0x7b, 0xb4, 0x0d, 0x7a, 0x36, 0x60, 0xa8, 0x9e, 0xca, 0xf3, 0x24, 0x66, 0xef, 0x97,
};

static const uint8_t iv_cbc[16] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static const uint8_t ct_cbc[16] = {
    0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d,
};

static const uint8_t iv_ctr[16] = {
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};

static const uint8_t ct_ctr[16] = {
    0x87, 0x4d, 0x61, 0x91, 0xb6, 0x20, 0xe3, 0x26, 0x1b, 0xef, 0x68, 0x64, 0x99, 0x0d, 0xb6, 0xce,
};

static const uint8_t iv_cfb[16] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static const uint8_t ct_cfb[16] = {
    0x3b, 0x3f, 0xd9, 0x2e, 0xb7, 0x2d, 0xad, 0x20, 0x33, 0x34, 0x49, 0xf8, 0xe8, 0x3c, 0xfb, 0x4a,
};

static const uint8_t iv_ofb[16] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static const uint8_t ct_ofb[16] = {
    0x3b, 0x3f, 0xd9, 0x2e, 0xb7, 0x2d, 0xad, 0x20, 0x33, 0x34, 0x49, 0xf8, 0xe8, 0x3c, 0xfb, 0x4a,
};

static const uint8_t gcm_key[16] = {
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};

static const uint8_t gcm_iv[12] = {
    0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};

static const uint8_t gcm_pt[60] = {
    0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
    0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
    0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
    0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};

static const uint8_t gcm_aad[20] = {
    0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
    0xab, 0xad, 0xda, 0xd2,
};

static const uint8_t gcm_out[76] = {
    0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4, 0x9c,
    0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e,
    0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
    0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91, 0x5b, 0xc9, 0x4f, 0xbc,
    0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};

static const uint8_t ccm_key[16] = {
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
};

static const uint8_t ccm_nonce[13] = {
    0x00, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
};

static const uint8_t ccm_aad[8] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
};

static const uint8_t ccm_pt[23] = {
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
};

static const uint8_t ccm_out[31] = {
    0x58, 0x8c, 0x97, 0x9a, 0x61, 0xc6, 0x63, 0xd2, 0xf0, 0x66, 0xd0, 0xc2, 0xc0, 0xf9, 0x89, 0x80,
    0x6d, 0x5f, 0x6b, 0x61, 0xda, 0xc3, 0x84, 0x17, 0xe8, 0xd1, 0x2c, 0xfd, 0xf9, 0x26, 0xe0,
};

static const uint8_t chacha_key[32] = {
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
};

static const uint8_t chacha_nonce[12] = {
    0x07, 0x00, 0x00, 0x00, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
};

static const uint8_t chacha_aad[12] = {
    0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
};

static const uint8_t chacha_head[16] = {
    0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb, 0x7b, 0x86, 0xaf, 0xbc, 0x53, 0xef, 0x7e, 0xc2,
};

static const uint8_t chacha_tag[16] = {
    0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a, 0x7e, 0x90, 0x2e, 0xcb, 0xd0, 0x60, 0x06, 0x91,
};

static const uint8_t ecdsa_x[32] = {
    0xc9, 0xaf, 0xa9, 0xd8, 0x45, 0xba, 0x75, 0x16, 0x6b, 0x5c, 0x21, 0x57, 0x67, 0xb1, 0xd6, 0x93,
    0x4e, 0x50, 0xc3, 0xdb, 0x36, 0xe8, 0x9b, 0x12, 0x7b, 0x8a, 0x62, 0x2b, 0x12, 0x0f, 0x67, 0x21,
};

static const uint8_t ecdsa_pub[65] = {
    0x04, 0x60, 0xfe, 0xd4, 0xba, 0x25, 0x5a, 0x9d, 0x31, 0xc9, 0x61, 0xeb, 0x74, 0xc6, 0x35, 0x6d,
    0x68, 0xc0, 0x49, 0xb8, 0x92, 0x3b, 0x61, 0xfa, 0x6c, 0xe6, 0x69, 0x62, 0x2e, 0x60, 0xf2, 0x9f,
    0xb6, 0x79, 0x03, 0xfe, 0x10, 0x08, 0xb8, 0xbc, 0x99, 0xa4, 0x1a, 0xe9, 0xe9, 0x56, 0x28, 0xbc,
    0x64, 0xf2, 0xf1, 0xb2, 0x0c, 0x2d, 0x7e, 0x9f, 0x51, 0x77, 0xa3, 0xc2, 0x94, 0xd4, 0x46, 0x22,
    0x99,
};

static const uint8_t ecdsa_hash[32] = {
    0xaf, 0x2b, 0xdb, 0xe1, 0xaa, 0x9b, 0x6e, 0xc1, 0xe2, 0xad, 0xe1, 0xd6, 0x94, 0xf4, 0x1f, 0xc7,
    0x1a, 0x83, 0x1d, 0x02, 0x68, 0xe9, 0x89, 0x15, 0x62, 0x11, 0x3d, 0x8a, 0x62, 0xad, 0xd1, 0xbf,
};

static const uint8_t ecdsa_rs[64] = {
    0xef, 0xd4, 0x8b, 0x2a, 0xac, 0xb6, 0xa8, 0xfd, 0x11, 0x40, 0xdd, 0x9c, 0xd4, 0x5e, 0x81, 0xd6,
    0x9d, 0x2c, 0x87, 0x7b, 0x56, 0xaa, 0xf9, 0x91, 0xc3, 0x4d, 0x0e, 0xa8, 0x4e, 0xaf, 0x37, 0x16,
    0xf7, 0xcb, 0x1c, 0x94, 0x2d, 0x65, 0x7c, 0x41, 0xd4, 0x36, 0xc7, 0xa1, 0xb6, 0xe2, 0x9f, 0x65,
    0xf3, 0xe9, 0x00, 0xdb, 0xb9, 0xaf, 0xf4, 0x06, 0x4d, 0xc4, 0xab, 0x2f, 0x84, 0x3a, 0xcd, 0xa8,
};

static const uint8_t x25519_alice[32] = {
    0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
    0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};

static const uint8_t x25519_alice_pub[32] = {
    0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
    0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
};

static const uint8_t x25519_bob_pub[32] = {
    0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
    0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f,
};

static const uint8_t x25519_shared[32] = {
    0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b, 0xf4, 0x80, 0x35, 0x0f, 0x25,
    0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33, 0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42,
};

static const uint8_t hkdf_ikm[22] = {
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};

static const uint8_t hkdf_salt[13] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
};

static const uint8_t hkdf_info[10] = {
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
};

static const uint8_t hkdf_okm[42] = {
    0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36, 0x2f, 0x2a,
    0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56, 0xec, 0xc4, 0xc5, 0xbf,
    0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65,
};

static const uint8_t rsa_pub[140] = {
    0x30, 0x81, 0x89, 0x02, 0x81, 0x81, 0x00, 0xe7, 0x54, 0x8f, 0xfd, 0xc9, 0x49, 0xab, 0x19, 0x6b,
    0xfa, 0x07, 0x25, 0x70, 0xb6, 0xd2, 0xea, 0x63, 0x9d, 0x90, 0x69, 0x12, 0x32, 0x3d, 0x81, 0xbf,
    0x50, 0x5a, 0xfc, 0x5f, 0x39, 0x8d, 0xef, 0xbd, 0x96, 0xcc, 0xde, 0xce, 0x64, 0x19, 0x8a, 0xaa,
    0x48, 0x4c, 0x61, 0xda, 0xd4, 0xe2, 0x29, 0x8c, 0xdd, 0xe4, 0xd3, 0xe9, 0x3c, 0xff, 0x45, 0x17,
    0x4d, 0x5f, 0x2b, 0x98, 0x98, 0xe2, 0x66, 0xde, 0x0d, 0x20, 0xc6, 0x42, 0xac, 0x40, 0xd9, 0x2d,
    0x1b, 0x25, 0x5a, 0x94, 0x59, 0x12, 0xaa, 0x96, 0xa9, 0xcb, 0x47, 0x5f, 0xd3, 0xf5, 0xdf, 0x08,
    0x1f, 0x86, 0x3e, 0xff, 0x96, 0x00, 0x41, 0xe5, 0x32, 0x63, 0x2c, 0xf6, 0xf6, 0xb1, 0x44, 0xc2,
    0x14, 0x75, 0x7e, 0x75, 0xed, 0xce, 0xc9, 0x9a, 0x86, 0x17, 0xc3, 0xa7, 0xf4, 0x61, 0x24, 0x6b,
    0xbc, 0x94, 0x21, 0x2d, 0x9e, 0x3b, 0x47, 0x02, 0x03, 0x01, 0x00, 0x01,
};

static const uint8_t rsa_sig[128] = {
    0x73, 0xe9, 0x78, 0x22, 0xa8, 0xcf, 0x0f, 0x70, 0xdb, 0xa0, 0x33, 0xbf, 0xce, 0x8e, 0xbd, 0x26,
    0x01, 0x3e, 0x07, 0xc5, 0x0e, 0x89, 0x62, 0x4e, 0x15, 0x00, 0x48, 0x18, 0x4d, 0x7b, 0x6e, 0x9e,
    0xa2, 0xca, 0x18, 0xc5, 0x6b, 0xe2, 0x0e, 0xe2, 0xf7, 0xc4, 0x30, 0x26, 0xa5, 0xdf, 0x9a, 0x14,
    0x5b, 0xed, 0xf9, 0x5c, 0xa5, 0xed, 0x64, 0xf2, 0x27, 0x22, 0xe3, 0xd1, 0x38, 0x55, 0xd7, 0xb5,
    0x6e, 0xd0, 0xae, 0xe7, 0x1d, 0xfe, 0xdb, 0xa3, 0x20, 0x6e, 0x6d, 0x18, 0xc6, 0x0f, 0x84, 0xbb,
    0xb5, 0x41, 0x4d, 0xa4, 0x8a, 0x30, 0xd8, 0xf9, 0x1c, 0x5b, 0xd3, 0xa4, 0x2c, 0xcb, 0x61, 0x01,
    0x33, 0x24, 0x8b, 0xf0, 0xe4, 0xcd, 0xa4, 0x5a, 0x20, 0x25, 0x5a, 0x59, 0xd0, 0x5a, 0x73, 0x66,
    0x9e, 0xfa, 0xde, 0x4f, 0x19, 0xc7, 0xcf, 0x1b, 0x30, 0x65, 0xdc, 0x30, 0x38, 0x7d, 0x81, 0xf2,
};


/* ---------------------------------------------------------------- harness glue */

/* A test is reported SKIP (not counted) when the SE answers PSA_ERROR_NOT_SUPPORTED (the
 * firmware lacks that algorithm) or PSA_ERROR_INSUFFICIENT_MEMORY (it lacks the memory for it)
 * to a call that should succeed. Anything else is checked. */
static const char *unsupported;
static uint8_t buf[160];
static uint8_t buf2[160];

static void begin(const char *name)
{
    t_begin(S, name);
    unsupported = 0;
}

static void end(void)
{
    if (unsupported) {
        t_end_skip_because(unsupported);
    } else {
        t_end();
    }
}

/* t_expect_status, except that NOT_SUPPORTED or INSUFFICIENT_MEMORY (when something else is
 * expected) marks the test unsupported instead of failed. */
static int ok(const char *what, psa_status_t got, psa_status_t expected)
{
    if (got == PSA_ERROR_NOT_SUPPORTED && expected != PSA_ERROR_NOT_SUPPORTED) {
        unsupported = "(algorithm not supported by the SE)";
        return 0;
    }
    if (got == PSA_ERROR_INSUFFICIENT_MEMORY && expected != PSA_ERROR_INSUFFICIENT_MEMORY) {
        unsupported = "(SE crypto heap exhausted)";
        return 0;
    }
    return t_expect_status(what, got, expected);
}

static void clear(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = 0u;
    }
}

/* Import a key; 1 if it worked. */
static int import(psa_key_type_t type, psa_key_usage_t usage, psa_algorithm_t alg,
                  const uint8_t *data, size_t n, psa_key_id_t *id)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;

    psa_set_key_type(&a, type);
    psa_set_key_usage_flags(&a, usage);
    psa_set_key_algorithm(&a, alg);
    *id = PSA_KEY_ID_NULL;
    return ok("psa_import_key", psa_import_key(&a, data, n, id), PSA_SUCCESS);
}

static void drop(psa_key_id_t id)
{
    if (id != PSA_KEY_ID_NULL) {
        (void)psa_destroy_key(id);
    }
}

/* ---------------------------------------------------------------- hash, MAC */

static void t_sha(const char *name, psa_algorithm_t alg, const uint8_t *expected, size_t n)
{
    size_t len = 0u;

    begin(name);
    clear(buf, sizeof(buf));
    if (ok("psa_hash_compute(\"abc\")", psa_hash_compute(alg, (const uint8_t *)"abc", 3u, buf,
                                                       sizeof(buf), &len), PSA_SUCCESS) &&
        t_expect_size("hash length", (uint32_t)len, (uint32_t)n)) {
        t_expect_digest("digest", buf, expected, n);
    }
    end();
}

static const uint8_t hmac512_key[20] = {
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};

static void t_hmac_sha512(void)
{
    const psa_algorithm_t alg = PSA_ALG_HMAC(PSA_ALG_SHA_512);
    psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
    psa_key_id_t id;
    size_t len = 0u;

    begin("hmac_sha512_rfc4231");
    if (import(PSA_KEY_TYPE_HMAC, PSA_KEY_USAGE_SIGN_HASH, alg, hmac512_key, sizeof(hmac512_key),
               &id) &&
        ok("psa_mac_sign_setup", psa_mac_sign_setup(&op, id, alg), PSA_SUCCESS) &&
        ok("psa_mac_update", psa_mac_update(&op, (const uint8_t *)"Hi There", 8u), PSA_SUCCESS) &&
        ok("psa_mac_sign_finish", psa_mac_sign_finish(&op, buf, sizeof(buf), &len), PSA_SUCCESS) &&
        t_expect_size("mac length", (uint32_t)len, 64u)) {
        t_expect_digest("mac", buf, hmac512_tc1, 64u);
    }
    if (op.handle != 0u) {
        (void)psa_mac_abort(&op);
    }
    drop(id);
    end();
}

static void t_cmac(void)
{
    psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
    psa_key_id_t id;
    size_t len = 0u;

    begin("cmac_rfc4493");
    if (import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_CMAC,
               cmac_key, sizeof(cmac_key), &id) &&
        ok("psa_mac_sign_setup", psa_mac_sign_setup(&op, id, PSA_ALG_CMAC), PSA_SUCCESS) &&
        ok("psa_mac_update", psa_mac_update(&op, cmac_msg, sizeof(cmac_msg)), PSA_SUCCESS) &&
        ok("psa_mac_sign_finish", psa_mac_sign_finish(&op, buf, sizeof(buf), &len), PSA_SUCCESS) &&
        t_expect_size("mac length", (uint32_t)len, 16u) &&
        t_expect_digest("mac", buf, cmac_64, 16u) &&
        ok("psa_mac_verify_setup", psa_mac_verify_setup(&op, id, PSA_ALG_CMAC), PSA_SUCCESS) &&
        ok("psa_mac_update", psa_mac_update(&op, cmac_msg, sizeof(cmac_msg)), PSA_SUCCESS)) {
        t_expect_status("psa_mac_verify_finish", psa_mac_verify_finish(&op, cmac_64, 16u),
                        PSA_SUCCESS);
    }
    if (op.handle != 0u) {
        (void)psa_mac_abort(&op);
    }
    drop(id);
    end();
}

/* ---------------------------------------------------------------- AES modes */

/* Encrypt the first SP 800-38A block (set_iv when iv is not NULL), then decrypt it back. */
static void t_aes(const char *name, psa_algorithm_t alg, const uint8_t *iv, const uint8_t *ct)
{
    psa_cipher_operation_t op = PSA_CIPHER_OPERATION_INIT;
    psa_key_id_t id;
    size_t n1 = 0u;
    size_t n2 = 0u;

    begin(name);
    clear(buf, sizeof(buf));
    if (import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, alg, cmac_key,
               sizeof(cmac_key), &id) &&
        ok("psa_cipher_encrypt_setup", psa_cipher_encrypt_setup(&op, id, alg), PSA_SUCCESS) &&
        (iv == NULL || ok("psa_cipher_set_iv", psa_cipher_set_iv(&op, iv, 16u), PSA_SUCCESS)) &&
        ok("psa_cipher_update", psa_cipher_update(&op, cmac_msg, 16u, buf, sizeof(buf), &n1),
           PSA_SUCCESS) &&
        ok("psa_cipher_finish", psa_cipher_finish(&op, buf + n1, sizeof(buf) - n1, &n2),
           PSA_SUCCESS) &&
        t_expect_size("ciphertext length", (uint32_t)(n1 + n2), 16u) &&
        t_expect_digest("ciphertext", buf, ct, 16u) &&
        ok("psa_cipher_decrypt_setup", psa_cipher_decrypt_setup(&op, id, alg), PSA_SUCCESS) &&
        (iv == NULL || ok("psa_cipher_set_iv", psa_cipher_set_iv(&op, iv, 16u), PSA_SUCCESS)) &&
        ok("psa_cipher_update", psa_cipher_update(&op, ct, 16u, buf2, sizeof(buf2), &n1),
           PSA_SUCCESS) &&
        ok("psa_cipher_finish", psa_cipher_finish(&op, buf2 + n1, sizeof(buf2) - n1, &n2),
           PSA_SUCCESS)) {
        t_expect_bytes("decrypted", buf2, cmac_msg, 16u);
    }
    if (op.handle != 0u) {
        (void)psa_cipher_abort(&op);
    }
    drop(id);
    end();
}

/* ---------------------------------------------------------------- AEAD */

static void t_aead(const char *name, psa_key_type_t type, psa_algorithm_t alg,
                   const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
                   const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t pt_len,
                   const uint8_t *expected, size_t expected_len, const uint8_t *tag, size_t tag_len)
{
    psa_key_id_t id;
    size_t n = 0u;
    size_t m = 0u;

    begin(name);
    clear(buf, sizeof(buf));
    if (import(type, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, alg, key, key_len, &id) &&
        ok("psa_aead_encrypt", psa_aead_encrypt(id, alg, nonce, nonce_len, ad, ad_len, pt, pt_len,
                                                buf, sizeof(buf), &n), PSA_SUCCESS) &&
        t_expect_size("output length", (uint32_t)n, (uint32_t)(pt_len + tag_len)) &&
        t_expect_bytes("ciphertext", buf, expected, expected_len) &&
        (tag == NULL || t_expect_digest("tag", buf + pt_len, tag, tag_len)) &&
        ok("psa_aead_decrypt", psa_aead_decrypt(id, alg, nonce, nonce_len, ad, ad_len, buf, n, buf2,
                                                sizeof(buf2), &m), PSA_SUCCESS) &&
        t_expect_size("plaintext length", (uint32_t)m, (uint32_t)pt_len) &&
        t_expect_bytes("plaintext", buf2, pt, pt_len)) {
        buf[0] ^= 1u;
        t_expect_status("psa_aead_decrypt(tampered)",
                        psa_aead_decrypt(id, alg, nonce, nonce_len, ad, ad_len, buf, n, buf2,
                                         sizeof(buf2), &m), PSA_ERROR_INVALID_SIGNATURE);
    }
    drop(id);
    end();
}

#if PSAEMU_TFM_RELEASE >= 16
/* Multipart AEAD (v1.6): the GCM test case 4 vector in two update chunks after two pieces of
 * additional data, then decrypted in pieces and verified; a changed tag is refused. */
static void t_aead_multipart(void)
{
    psa_aead_operation_t op = PSA_AEAD_OPERATION_INIT;
    psa_key_id_t id;
    size_t n = 0u, m = 0u, rest = 0u, tag_len = 0u;
    uint8_t tag[16];

    begin("gcm_multipart");
    clear(buf, sizeof(buf));
    if (import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_GCM,
               gcm_key, sizeof(gcm_key), &id) &&
        ok("psa_aead_encrypt_setup", psa_aead_encrypt_setup(&op, id, PSA_ALG_GCM), PSA_SUCCESS) &&
        ok("psa_aead_set_lengths", psa_aead_set_lengths(&op, sizeof(gcm_aad), sizeof(gcm_pt)),
           PSA_SUCCESS) &&
        ok("psa_aead_set_nonce", psa_aead_set_nonce(&op, gcm_iv, sizeof(gcm_iv)), PSA_SUCCESS) &&
        ok("psa_aead_update_ad", psa_aead_update_ad(&op, gcm_aad, 7u), PSA_SUCCESS) &&
        ok("psa_aead_update_ad", psa_aead_update_ad(&op, gcm_aad + 7u, sizeof(gcm_aad) - 7u),
           PSA_SUCCESS) &&
        ok("psa_aead_update", psa_aead_update(&op, gcm_pt, 23u, buf, sizeof(buf), &n),
           PSA_SUCCESS) &&
        ok("psa_aead_update", psa_aead_update(&op, gcm_pt + 23u, sizeof(gcm_pt) - 23u, buf + n,
                                              sizeof(buf) - n, &m), PSA_SUCCESS) &&
        ok("psa_aead_finish", psa_aead_finish(&op, buf + n + m, sizeof(buf) - n - m, &rest,
                                              buf + n + m, 16u, &tag_len), PSA_SUCCESS) &&
        t_expect_size("ciphertext + tag length", (uint32_t)(n + m + rest + tag_len),
                      (uint32_t)sizeof(gcm_out)) &&
        t_expect_bytes("ciphertext and tag", buf, gcm_out, sizeof(gcm_out)) &&
        ok("psa_aead_decrypt_setup", psa_aead_decrypt_setup(&op, id, PSA_ALG_GCM), PSA_SUCCESS) &&
        ok("psa_aead_set_nonce", psa_aead_set_nonce(&op, gcm_iv, sizeof(gcm_iv)), PSA_SUCCESS) &&
        ok("psa_aead_update_ad", psa_aead_update_ad(&op, gcm_aad, sizeof(gcm_aad)), PSA_SUCCESS) &&
        ok("psa_aead_update", psa_aead_update(&op, buf, sizeof(gcm_pt), buf2, sizeof(buf2), &n),
           PSA_SUCCESS) &&
        ok("psa_aead_verify", psa_aead_verify(&op, buf2 + n, sizeof(buf2) - n, &m,
                                              buf + sizeof(gcm_pt), 16u), PSA_SUCCESS) &&
        t_expect_bytes("plaintext", buf2, gcm_pt, sizeof(gcm_pt)) &&
        ok("psa_aead_decrypt_setup", psa_aead_decrypt_setup(&op, id, PSA_ALG_GCM), PSA_SUCCESS) &&
        t_expect_status("psa_aead_update(no nonce)",
                        psa_aead_update(&op, buf, 16u, buf2, sizeof(buf2), &n),
                        PSA_ERROR_BAD_STATE) &&
        ok("psa_aead_abort", psa_aead_abort(&op), PSA_SUCCESS) &&
        ok("psa_aead_decrypt_setup", psa_aead_decrypt_setup(&op, id, PSA_ALG_GCM), PSA_SUCCESS) &&
        ok("psa_aead_set_nonce", psa_aead_set_nonce(&op, gcm_iv, sizeof(gcm_iv)), PSA_SUCCESS) &&
        ok("psa_aead_update_ad", psa_aead_update_ad(&op, gcm_aad, sizeof(gcm_aad)), PSA_SUCCESS) &&
        ok("psa_aead_update", psa_aead_update(&op, buf, sizeof(gcm_pt), buf2, sizeof(buf2), &n),
           PSA_SUCCESS)) {
        for (size_t i = 0; i < sizeof(tag); i++) {
            tag[i] = buf[sizeof(gcm_pt) + i];
        }
        tag[15] ^= 1u;
        t_expect_status("psa_aead_verify(tampered)",
                        psa_aead_verify(&op, buf2, sizeof(buf2), &m, tag, sizeof(tag)),
                        PSA_ERROR_INVALID_SIGNATURE);
    }
    (void)psa_aead_abort(&op);
    drop(id);
    end();
}
#endif

/* ---------------------------------------------------------------- asymmetric */

static void t_ecdsa_p256(void)
{
    const psa_algorithm_t det = PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256);
    const psa_algorithm_t rnd = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    psa_key_id_t id;
    psa_key_id_t pub = PSA_KEY_ID_NULL;
    size_t n = 0u;

    begin("ecdsa_p256_rfc6979");
    if (import(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
               PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, det, ecdsa_x, sizeof(ecdsa_x),
               &id) &&
        ok("psa_export_public_key", psa_export_public_key(id, buf, sizeof(buf), &n), PSA_SUCCESS) &&
        t_expect_size("public key length", (uint32_t)n, 65u) &&
        t_expect_bytes("public key", buf, ecdsa_pub, 65u) &&
        ok("psa_sign_hash(deterministic)", psa_sign_hash(id, det, ecdsa_hash, 32u, buf,
                                                         sizeof(buf), &n), PSA_SUCCESS) &&
        t_expect_size("signature length", (uint32_t)n, 64u) &&
        t_expect_digest("r || s", buf, ecdsa_rs, 64u) &&
        ok("psa_verify_hash", psa_verify_hash(id, det, ecdsa_hash, 32u, ecdsa_rs, 64u),
           PSA_SUCCESS) &&
        import(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), PSA_KEY_USAGE_SIGN_HASH, rnd,
               ecdsa_x, sizeof(ecdsa_x), &pub) &&
        ok("psa_sign_hash(randomised)", psa_sign_hash(pub, rnd, ecdsa_hash, 32u, buf, sizeof(buf),
                                                      &n), PSA_SUCCESS) &&
        ok("psa_verify_hash(randomised signature)",
           psa_verify_hash(id, det, ecdsa_hash, 32u, buf, n), PSA_SUCCESS)) {
        buf[5] ^= 1u;
        t_expect_status("psa_verify_hash(bad signature)",
                        psa_verify_hash(id, det, ecdsa_hash, 32u, buf, n),
                        PSA_ERROR_INVALID_SIGNATURE);
    }
    drop(pub);
    drop(id);
    end();
}

static void t_rsa_verify(void)
{
    const psa_algorithm_t alg = PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256);
    psa_key_id_t id;
    size_t len = 0u;

    begin("rsa_pkcs1v15_verify");
    clear(buf2, sizeof(buf2));
    if (import(PSA_KEY_TYPE_RSA_PUBLIC_KEY, PSA_KEY_USAGE_VERIFY_HASH, alg, rsa_pub,
               sizeof(rsa_pub), &id) &&
        ok("psa_hash_compute", psa_hash_compute(PSA_ALG_SHA_256, (const uint8_t *)RSA_MSG,
                                                sizeof(RSA_MSG) - 1u, buf2, sizeof(buf2), &len),
           PSA_SUCCESS) &&
        ok("psa_verify_hash", psa_verify_hash(id, alg, buf2, 32u, rsa_sig, sizeof(rsa_sig)),
           PSA_SUCCESS)) {
        buf2[0] ^= 1u;
        t_expect_status("psa_verify_hash(other hash)",
                        psa_verify_hash(id, alg, buf2, 32u, rsa_sig, sizeof(rsa_sig)),
                        PSA_ERROR_INVALID_SIGNATURE);
    }
    drop(id);
    end();
}

static void t_x25519(void)
{
    psa_key_id_t id;
    size_t n = 0u;

    begin("x25519_rfc7748");
    if (import(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY), PSA_KEY_USAGE_DERIVE,
               PSA_ALG_ECDH, x25519_alice, sizeof(x25519_alice), &id) &&
        ok("psa_export_public_key", psa_export_public_key(id, buf, sizeof(buf), &n), PSA_SUCCESS) &&
        t_expect_size("public key length", (uint32_t)n, 32u) &&
        t_expect_bytes("public key", buf, x25519_alice_pub, 32u) &&
        ok("psa_raw_key_agreement", psa_raw_key_agreement(PSA_ALG_ECDH, id, x25519_bob_pub, 32u,
                                                          buf, sizeof(buf), &n), PSA_SUCCESS) &&
        t_expect_size("shared secret length", (uint32_t)n, 32u)) {
        t_expect_digest("shared secret", buf, x25519_shared, 32u);
    }
    drop(id);
    end();
}

/* ---------------------------------------------------------------- key derivation */

static void t_hkdf(void)
{
    const psa_algorithm_t alg = PSA_ALG_HKDF(PSA_ALG_SHA_256);
    psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
    psa_key_id_t id;
    size_t cap = 0u;

    begin("hkdf_rfc5869");
    clear(buf, sizeof(buf));
    if (import(PSA_KEY_TYPE_DERIVE, PSA_KEY_USAGE_DERIVE, alg, hkdf_ikm, sizeof(hkdf_ikm), &id) &&
        ok("psa_key_derivation_setup", psa_key_derivation_setup(&op, alg), PSA_SUCCESS) &&
        t_expect_true("operation handle set by setup", op.handle != 0u) &&
        ok("psa_key_derivation_get_capacity", psa_key_derivation_get_capacity(&op, &cap),
           PSA_SUCCESS) &&
        t_expect_size("initial capacity", (uint32_t)cap, 255u * 32u) &&
        ok("psa_key_derivation_output_bytes(no secret yet)",
           psa_key_derivation_output_bytes(&op, buf, 1u), PSA_ERROR_BAD_STATE) &&
        /* an operation that returned an error must be aborted (PSA Crypto 1.0; Mbed TLS clears it) */
        ok("psa_key_derivation_abort(after the error)", psa_key_derivation_abort(&op), PSA_SUCCESS) &&
        ok("psa_key_derivation_setup(again)", psa_key_derivation_setup(&op, alg), PSA_SUCCESS) &&
        ok("input SALT", psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_SALT,
                                                        hkdf_salt, sizeof(hkdf_salt)),
           PSA_SUCCESS) &&
        ok("input SECRET", psa_key_derivation_input_key(&op, PSA_KEY_DERIVATION_INPUT_SECRET, id),
           PSA_SUCCESS) &&
        ok("input INFO", psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_INFO,
                                                        hkdf_info, sizeof(hkdf_info)),
           PSA_SUCCESS) &&
        ok("psa_key_derivation_output_bytes",
           psa_key_derivation_output_bytes(&op, buf, sizeof(hkdf_okm)), PSA_SUCCESS)) {
        t_expect_bytes("OKM", buf, hkdf_okm, sizeof(hkdf_okm));
    }
    if (op.handle != 0u) {
        t_expect_status("psa_key_derivation_abort", psa_key_derivation_abort(&op), PSA_SUCCESS);
        t_expect_hex("operation handle after abort", op.handle, 0u);
    }
    drop(id);
    end();
}

/* ---------------------------------------------------------------- key management */

static void t_generate_copy(void)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = PSA_KEY_ID_NULL;
    psa_key_id_t copy = PSA_KEY_ID_NULL;
    size_t n1 = 0u;
    size_t n2 = 0u;

    begin("generate_copy_key");
    psa_set_key_type(&a, PSA_KEY_TYPE_AES);
    psa_set_key_bits(&a, 128u);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_COPY);
    psa_set_key_algorithm(&a, PSA_ALG_CTR);
    if (ok("psa_generate_key", psa_generate_key(&a, &id), PSA_SUCCESS) &&
        ok("psa_copy_key", psa_copy_key(id, &a, &copy), PSA_SUCCESS) &&
        ok("psa_export_key(original)", psa_export_key(id, buf, sizeof(buf), &n1), PSA_SUCCESS) &&
        ok("psa_export_key(copy)", psa_export_key(copy, buf2, sizeof(buf2), &n2), PSA_SUCCESS) &&
        t_expect_size("key length", (uint32_t)n1, 16u) &&
        t_expect_size("copy length", (uint32_t)n2, 16u)) {
        t_expect_bytes("copy equals original", buf2, buf, 16u);
        t_expect_status("psa_export_public_key(AES)",
                        psa_export_public_key(id, buf, sizeof(buf), &n1),
                        PSA_ERROR_INVALID_ARGUMENT);
    }
    drop(copy);
    drop(id);
    end();
}

#if PSAEMU_TFM_RELEASE >= 14
/* ---------------------------------------------------------------- v1.4+ client functions */

/* psa_sign_message = SHA-256 of "sample", then the RFC 6979 deterministic signature */
static void t_sign_message(void)
{
    const psa_algorithm_t det = PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256);
    psa_key_id_t id;
    size_t n = 0u;

    begin("sign_message_rfc6979");
    clear(buf, sizeof(buf));
    if (import(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
               PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE, det, ecdsa_x,
               sizeof(ecdsa_x), &id) &&
        ok("psa_sign_message", psa_sign_message(id, det, (const uint8_t *)"sample", 6u, buf,
                                                sizeof(buf), &n), PSA_SUCCESS) &&
        t_expect_size("signature length", (uint32_t)n, 64u) &&
        t_expect_digest("r || s", buf, ecdsa_rs, 64u) &&
        ok("psa_verify_message", psa_verify_message(id, det, (const uint8_t *)"sample", 6u,
                                                    ecdsa_rs, 64u), PSA_SUCCESS)) {
        t_expect_status("psa_verify_message(other message)",
                        psa_verify_message(id, det, (const uint8_t *)"sampl", 5u, ecdsa_rs, 64u),
                        PSA_ERROR_INVALID_SIGNATURE);
    }
    drop(id);
    end();
}

/* one-shot psa_mac_compute / psa_mac_verify: RFC 4231 test case 1 as above */
static void t_mac_oneshot(void)
{
    const psa_algorithm_t alg = PSA_ALG_HMAC(PSA_ALG_SHA_512);
    psa_key_id_t id;
    size_t len = 0u;

    begin("mac_compute_rfc4231");
    clear(buf, sizeof(buf));
    if (import(PSA_KEY_TYPE_HMAC, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, alg,
               hmac512_key, sizeof(hmac512_key), &id) &&
        ok("psa_mac_compute", psa_mac_compute(id, alg, (const uint8_t *)"Hi There", 8u, buf,
                                              sizeof(buf), &len), PSA_SUCCESS) &&
        t_expect_size("mac length", (uint32_t)len, 64u) &&
        t_expect_digest("mac", buf, hmac512_tc1, 64u)) {
        t_expect_status("psa_mac_verify", psa_mac_verify(id, alg, (const uint8_t *)"Hi There",
                                                         8u, hmac512_tc1, 64u), PSA_SUCCESS);
    }
    drop(id);
    end();
}

/* one-shot psa_cipher_decrypt of IV || ciphertext (SP 800-38A F.5.1), and an encryption round trip */
static void t_cipher_oneshot(void)
{
    psa_key_id_t id;
    size_t n = 0u;
    size_t m = 0u;

    begin("cipher_oneshot_ctr");
    clear(buf, sizeof(buf));
    clear(buf2, sizeof(buf2));
    for (unsigned i = 0; i < 16u; i++) {
        buf2[i] = iv_ctr[i];
        buf2[16u + i] = ct_ctr[i];
    }
    if (import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_CTR,
               cmac_key, sizeof(cmac_key), &id) &&
        ok("psa_cipher_decrypt", psa_cipher_decrypt(id, PSA_ALG_CTR, buf2, 32u, buf, sizeof(buf),
                                                    &n), PSA_SUCCESS) &&
        t_expect_size("plaintext length", (uint32_t)n, 16u) &&
        t_expect_bytes("plaintext", buf, cmac_msg, 16u) &&
        ok("psa_cipher_encrypt", psa_cipher_encrypt(id, PSA_ALG_CTR, cmac_msg, 64u, buf,
                                                    sizeof(buf), &n), PSA_SUCCESS) &&
        t_expect_size("IV || ciphertext length", (uint32_t)n, 80u) &&
        ok("psa_cipher_decrypt", psa_cipher_decrypt(id, PSA_ALG_CTR, buf, n, buf2, sizeof(buf2),
                                                    &m), PSA_SUCCESS) &&
        t_expect_size("round-trip length", (uint32_t)m, 64u)) {
        t_expect_bytes("round trip", buf2, cmac_msg, 64u);
    }
    drop(id);
    end();
}
#endif

void suite_crypto_families(void)
{
    t_sha("sha1_abc", PSA_ALG_SHA_1, abc_sha1, sizeof(abc_sha1));
    t_sha("sha224_abc", PSA_ALG_SHA_224, abc_sha224, sizeof(abc_sha224));
    t_sha("sha384_abc", PSA_ALG_SHA_384, abc_sha384, sizeof(abc_sha384));
    t_sha("sha512_abc", PSA_ALG_SHA_512, abc_sha512, sizeof(abc_sha512));
    t_hmac_sha512();
    t_cmac();
    t_aes("aes_ecb_sp800_38a", PSA_ALG_ECB_NO_PADDING, NULL, ct_ecb);
    t_aes("aes_cbc_sp800_38a", PSA_ALG_CBC_NO_PADDING, iv_cbc, ct_cbc);
    t_aes("aes_ctr_sp800_38a", PSA_ALG_CTR, iv_ctr, ct_ctr);
    t_aes("aes_cfb_sp800_38a", PSA_ALG_CFB, iv_cfb, ct_cfb);
    t_aes("aes_ofb_sp800_38a", PSA_ALG_OFB, iv_ofb, ct_ofb);
    t_aead("gcm_spec_tc4", PSA_KEY_TYPE_AES, PSA_ALG_GCM, gcm_key, sizeof(gcm_key), gcm_iv,
           sizeof(gcm_iv), gcm_aad, sizeof(gcm_aad), gcm_pt, sizeof(gcm_pt), gcm_out,
           sizeof(gcm_out), NULL, 16u);
    t_aead("ccm_rfc3610", PSA_KEY_TYPE_AES, PSA_ALG_AEAD_WITH_TAG_LENGTH(PSA_ALG_CCM, 8u), ccm_key,
           sizeof(ccm_key), ccm_nonce, sizeof(ccm_nonce), ccm_aad, sizeof(ccm_aad), ccm_pt,
           sizeof(ccm_pt), ccm_out, sizeof(ccm_out), NULL, 8u);
    t_aead("chacha20_poly1305_rfc8439", PSA_KEY_TYPE_CHACHA20, PSA_ALG_CHACHA20_POLY1305,
           chacha_key, sizeof(chacha_key), chacha_nonce, sizeof(chacha_nonce), chacha_aad,
           sizeof(chacha_aad), (const uint8_t *)CHACHA_PT, sizeof(CHACHA_PT) - 1u, chacha_head,
           sizeof(chacha_head), chacha_tag, 16u);
    t_ecdsa_p256();
    t_rsa_verify();
    t_x25519();
    t_hkdf();
    t_generate_copy();
#if PSAEMU_TFM_RELEASE >= 14
    t_sign_message();
    t_mac_oneshot();
    t_cipher_oneshot();
#endif
#if PSAEMU_TFM_RELEASE >= 16
    t_aead_multipart();
#endif
}
