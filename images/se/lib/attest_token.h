/* attest_token.h - TF-M v1.3 style Initial Attestation token, asymmetric or symmetric.
 *
 * Asymmetric (TF-M v1.3's default, SYMMETRIC_INITIAL_ATTESTATION OFF): COSE_Sign1 (RFC 8152
 * section 4.2), ES256 with the ECC P-256 IAK. Symmetric: COSE_Mac0 (section 6.2), HMAC
 * 256/256. Token (CBOR, preferred serialization, definite lengths):
 *   18([                              ; tag 18 = COSE_Sign1     | 17 = COSE_Mac0
 *     h'A10126',                      ; protected {1: -7} (ES256) | h'A10105' {1: 5} (HMAC256)
 *     {},                             ; unprotected (no kid: TF-M's ATTEST_INCLUDE_COSE_KEY_ID OFF)
 *     bstr .cbor {claims, below},     ; payload
 *     h'<64 bytes>'                   ; r || s of ECDSA P-256 over SHA-256(Sig_structure)
 *   ])                                ;   | h'<32 bytes>' HMAC-SHA256(attest_iak, MAC_structure)
 *   Sig_structure = ["Signature1", protected, h'', payload]   (RFC 8152 section 4.4)
 *   MAC_structure = ["MAC0", protected, h'', payload]          (RFC 8152 section 6.3)
 * The signature is deterministic ECDSA (RFC 6979), so runs repeat exactly; TF-M's t_cose asks
 * for randomised ECDSA. A verifier cannot tell them apart.
 *
 * Claims, in this order (labels in the Arm range, base -75000):
 *   -75008 challenge           bstr, as given (32, 48 or 64 bytes)
 *   -75004 boot seed           bstr 32: 0xA0, 0xA1, ... 0xBF
 *   -75009 UEID                bstr 33: 0x01 || SHA-256(IAK public key 0x04 || X || Y)
 *                                       (symmetric: 0x01 || SHA-256(SHA-256(attest_iak)))
 *   -75003 implementation id   bstr 32: 8 x 0xAA, 8 x 0xBB, 8 x 0xCC, 8 x 0xDD
 *   -75001 client id           int, the client_id argument
 *   -75002 security lifecycle  int 0x3000 (PSA_LIFECYCLE_SECURED)
 *   -75007 no SW components    int 1
 *   -75010 origination         tstr "www.trustedfirmware.org"
 *   -75000 profile definition  tstr "PSA_IOT_PROFILE_1"
 *   -75005 hardware version    tstr "060456527282910010"
 *
 * Sizes (client_id -1, or any client_id in -24..23), 32 / 48 / 64 byte challenge: asymmetric
 * 329 / 346 / 362, symmetric 297 / 314 / 330 bytes. A client_id outside -24..23 takes 1, 2 or 4
 * more bytes (and, for a 32-byte challenge, the payload bstr head grows by one byte once the
 * payload reaches 256 bytes), e.g. symmetric, client_id 1000: 300 / 316 / 332.
 *
 * Keys (TEST KEYS, not secret, the same in every build):
 *   attest_iak_p256  TF-M's published test IAK (platform/ext/common/template/
 *                    tfm_initial_attestation_key_material.c), the P-256 private scalar
 *                    A9B454B2 ... 7134585F
 *   attest_iak       the symmetric key: the 32 ASCII bytes "psaemu-SE test IAK (HMAC-256) v1"
 * Both are put into the crypto engine as built-in keys (SE_BUILTIN_ATTEST_IAK,
 * SE_BUILTIN_ATTEST_HMAC) and used only there. */
#ifndef SE_LIB_ATTEST_TOKEN_H
#define SE_LIB_ATTEST_TOKEN_H

#include <stddef.h>
#include <stdint.h>

enum { ATTEST_OK = 0, ATTEST_ERR_INVALID_INPUT, ATTEST_ERR_BUFFER_OVERFLOW, ATTEST_ERR_GENERAL };

/* Token kinds (the values of SE_ATTEST_ASYMMETRIC / SE_ATTEST_SYMMETRIC). */
typedef enum { ATTEST_ASYMMETRIC = 0, ATTEST_SYMMETRIC = 1 } attest_kind_t;

/* PSA_INITIAL_ATTEST_TOKEN_MAX_SIZE of the TF-M service (Musca region_defs.h). */
#define ATTEST_TOKEN_MAX_SIZE 0x250

/* Length of the IAK public key 0x04 || X || Y (PSA export format). */
#define ATTEST_PUBLIC_KEY_SIZE 65u

extern const uint8_t attest_iak[32];
extern const uint8_t attest_iak_p256[32];

/* Put the key of `kind` into its engine built-in slot (a no-op when it is there). ATTEST_OK or
 * ATTEST_ERR_GENERAL. */
int attest_key_provision(attest_kind_t kind);

/* The IAK public key (provisions the IAK first). ATTEST_ERR_BUFFER_OVERFLOW when size < 65. */
int attest_public_key(uint8_t *out, size_t size, size_t *len);

/* Build the token of `kind` for challenge (challenge_len must be 32, 48 or 64) on behalf of
 * client_id.
 *   buf == NULL: size query; buf_size is ignored, *token_len = token size, ATTEST_OK.
 *   buf != NULL: if the token is larger than min(buf_size, ATTEST_TOKEN_MAX_SIZE) returns
 *     ATTEST_ERR_BUFFER_OVERFLOW (buf untouched, *token_len = the size needed); otherwise
 *     writes the token to buf, sets *token_len and returns ATTEST_OK.
 *   challenge NULL, token_len NULL or a bad challenge_len: ATTEST_ERR_INVALID_INPUT
 *     (*token_len = 0 when token_len is not NULL).
 *   ATTEST_ERR_GENERAL: an engine failure or an encoding inconsistency (not expected).
 * Note: the TF-M service also rejects a zero-size output buffer with INVALID_INPUT before
 * building a token; that check belongs to the caller (buf_size 0 gives BUFFER_OVERFLOW here). */
int attest_token_create(attest_kind_t kind, const uint8_t *challenge, size_t challenge_len,
                        int32_t client_id, uint8_t *buf, size_t buf_size, size_t *token_len);

#endif
