/* psa_release.h - which TF-M release's client ABI the Host client library speaks, chosen at
 * build time with -DPSAEMU_TFM_RELEASE=13|14|15|16 (13, TF-M v1.3.0, when not given).
 *
 *   13: psa_call passes a pointer to {type, in_len, out_len}; every service is connection-based.
 *   14: psa_call packs type (bits 31..16), in_len (15..8), out_len (7..0) into r1; crypto is one
 *       stateless service (handle 0x40000100); crypto function ids gain SIGN/VERIFY_MESSAGE
 *       before SIGN_HASH; key attributes are the 20-byte {type, bits, lifetime, id, usage, alg}.
 *   15, 16: as 14, and PS, ITS and attestation are stateless too (handles 0x40000101..3), the
 *       function chosen by the psa_call type (1001...); the key-domain-parameter ids are gone.
 *   16: as 15, and the crypto request pack is 52 bytes (psa/crypto_pack.h).
 * The release facts and their TF-M sources: docs/profiles.md. */
#ifndef HOST_PSA_RELEASE_H
#define HOST_PSA_RELEASE_H

#ifndef PSAEMU_TFM_RELEASE
#define PSAEMU_TFM_RELEASE 13
#endif

#if PSAEMU_TFM_RELEASE != 13 && PSAEMU_TFM_RELEASE != 14 && PSAEMU_TFM_RELEASE != 15 && \
    PSAEMU_TFM_RELEASE != 16
#error "PSAEMU_TFM_RELEASE must be 13, 14, 15 or 16"
#endif

/* psa_call's r1 is the packed parameter word (v1.4+) */
#define PSA_PACKED_CALL_PARAMS      (PSAEMU_TFM_RELEASE >= 14)
/* stateless handles: bit 30, service version 1 in bits 15..8, 0-based index in bits 7..0 */
#define STATELESS_HANDLE(index)     ((psa_handle_t)(0x40000100u | (index)))
#define CRYPTO_STATELESS            (PSAEMU_TFM_RELEASE >= 14)
#define STORAGE_ATTEST_STATELESS    (PSAEMU_TFM_RELEASE >= 15)
#define HANDLE_CRYPTO               STATELESS_HANDLE(0u)
#define HANDLE_PS                   STATELESS_HANDLE(1u)
#define HANDLE_ITS                  STATELESS_HANDLE(2u)
#define HANDLE_ATTEST               STATELESS_HANDLE(3u)
/* v1.5+: the function of a stateless PS/ITS/attestation call is its type, 1001 + the offset of
 * the v1.3 per-function SID from the service's first one */
#define STATELESS_FIRST_TYPE        1001

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The v1.4+ packed psa_call parameter word; false (and no call is made: the caller returns
 * PSA_ERROR_PROGRAMMER_ERROR) when the type is outside int16 or a length above 255. */
static inline bool psa_pack_call_params(int32_t type, size_t in_len, size_t out_len, uint32_t *word)
{
    if (type > INT16_MAX || type < INT16_MIN || in_len > UINT8_MAX || out_len > UINT8_MAX) {
        return false;
    }
    *word = ((uint32_t)type & 0xFFFFu) << 16 | (uint32_t)in_len << 8 | (uint32_t)out_len;
    return true;
}

#endif /* HOST_PSA_RELEASE_H */
