/* psa/initial_attestation.h - Initial Attestation client API (TF-M v1.3). */
#ifndef HOST_PSA_INITIAL_ATTESTATION_H
#define HOST_PSA_INITIAL_ATTESTATION_H

#include <stddef.h>
#include <stdint.h>

#include "psa/crypto.h"
#include "psa/error.h"

#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32    32u
#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48    48u
#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64    64u
#define PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE       0x400u

/* *token_size is written only on success. */
psa_status_t psa_initial_attest_get_token(const uint8_t *auth_challenge, size_t challenge_size,
                                          uint8_t *token_buf, size_t token_buf_size,
                                          size_t *token_size);
psa_status_t psa_initial_attest_get_token_size(size_t challenge_size, size_t *token_size);
/* The IAK public key (0x04 || X || Y) of the asymmetric token, its length and curve (TF-M v1.3
 * only; PSA_ERROR_NOT_SUPPORTED when the SE makes symmetric tokens). The SE writes the three
 * outputs directly. */
psa_status_t tfm_initial_attest_get_public_key(uint8_t *public_key, size_t public_key_buf_size,
                                               size_t *public_key_len,
                                               psa_ecc_family_t *elliptic_curve_type);

#endif /* HOST_PSA_INITIAL_ATTESTATION_H */
