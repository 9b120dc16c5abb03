/* attest_token.h - TF-M style symmetric Initial Attestation token: COSE_Mac0 (RFC 8152
 * section 6.2) with HMAC 256/256 (COSE alg 5) over a PSA IoT profile claim set.
 *
 * Token (CBOR, preferred serialization):
 *   17([                              ; tag 17 = COSE_Mac0
 *     h'A10105',                      ; protected: bstr .cbor {1: 5}
 *     {},                             ; unprotected
 *     bstr .cbor {claims, below},     ; payload
 *     h'<32 bytes>'                   ; HMAC-SHA256(attest_iak, MAC_structure)
 *   ])
 *   MAC_structure = ["MAC0", h'A10105', h'', payload bstr]   (RFC 8152 section 6.3)
 *
 * Claims, in this order (labels in the Arm range, base -75000):
 *   -75008 challenge           bstr, as given (32, 48 or 64 bytes)
 *   -75004 boot seed           bstr 32: 0xA0, 0xA1, ... 0xBF
 *   -75009 UEID                bstr 33: 0x01 || SHA-256(attest_iak)
 *   -75003 implementation id   bstr 32: 8 x 0xAA, 8 x 0xBB, 8 x 0xCC, 8 x 0xDD
 *   -75001 client id           int, the client_id argument
 *   -75002 security lifecycle  int 0x3000 (PSA_LIFECYCLE_SECURED)
 *   -75007 no SW components    int 1
 *   -75010 origination         tstr "www.trustedfirmware.org"
 *   -75000 profile definition  tstr "PSA_IOT_PROFILE_1"
 *   -75005 hardware version    tstr "060456527282910010"
 *
 * Sizes (client_id -1, or any client_id in -24..23): 297 / 314 / 330 bytes for a 32 / 48 / 64
 * byte challenge. A client_id outside -24..23 takes 1, 2 or 4 more bytes (and, for a 32-byte
 * challenge, the payload bstr head grows by one byte once the payload reaches 256 bytes), e.g.
 * client_id 1000: 300 / 316 / 332; INT32_MIN or INT32_MAX: 302 / 318 / 334.
 *
 * attest_iak (TEST KEY, not secret, same in every build): the 32 ASCII bytes
 * "psaemu-SE test IAK (HMAC-256) v1", i.e. hex
 *   70 73 61 65 6d 75 2d 53 45 20 74 65 73 74 20 49 41 4b 20 28 48 4d 41 43 2d 32 35 36 29 20 76 31
 */
#ifndef SE_LIB_ATTEST_TOKEN_H
#define SE_LIB_ATTEST_TOKEN_H

#include <stddef.h>
#include <stdint.h>

enum { ATTEST_OK = 0, ATTEST_ERR_INVALID_INPUT, ATTEST_ERR_BUFFER_OVERFLOW, ATTEST_ERR_GENERAL };

/* PSA_INITIAL_ATTEST_TOKEN_MAX_SIZE of the TF-M service (Musca region_defs.h). */
#define ATTEST_TOKEN_MAX_SIZE 0x250

/* The symmetric Initial Attestation Key (see above). */
extern const uint8_t attest_iak[32];

/* Build the token for challenge (challenge_len must be 32, 48 or 64) on behalf of client_id.
 *   buf == NULL: size query; buf_size is ignored, *token_len = token size, ATTEST_OK.
 *   buf != NULL: if the token is larger than min(buf_size, ATTEST_TOKEN_MAX_SIZE) returns
 *     ATTEST_ERR_BUFFER_OVERFLOW (buf untouched, *token_len = the size needed); otherwise
 *     writes the token to buf, sets *token_len and returns ATTEST_OK.
 *   challenge NULL, token_len NULL or a bad challenge_len: ATTEST_ERR_INVALID_INPUT
 *     (*token_len = 0 when token_len is not NULL).
 *   ATTEST_ERR_GENERAL: internal encoding inconsistency (not expected to happen).
 * Note: the TF-M service also rejects a zero-size output buffer with INVALID_INPUT before
 * building a token; that check belongs to the caller (buf_size 0 gives BUFFER_OVERFLOW here).
 * Worst-case stack on Cortex-M0+ about 700 bytes; no static state (reentrant). */
int attest_token_create(const uint8_t *challenge, size_t challenge_len, int32_t client_id,
                        uint8_t *buf, size_t buf_size, size_t *token_len);

#endif
