/* hmac_sha256.h - HMAC (RFC 2104 / FIPS 198-1) with SHA-256, streaming and one-shot.
 * Keys longer than 64 bytes are hashed first; shorter keys are zero-padded to 64 bytes.
 * Key-derived stack temporaries are wiped; final() wipes the context.
 * Worst-case stack on Cortex-M0+: about 300 bytes (520 for the one-shot, which holds a context). */
#ifndef SE_LIB_HMAC_SHA256_H
#define SE_LIB_HMAC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define HMAC_SHA256_SIZE 32u

typedef struct {
    sha256_ctx_t inner;     /* H((K0 ^ ipad) || text ...) */
    sha256_ctx_t outer;     /* H((K0 ^ opad) ...), finished in final() */
} hmac_sha256_ctx_t;

/* key may be NULL when key_len is 0. */
void hmac_sha256_init(hmac_sha256_ctx_t *c, const uint8_t *key, size_t key_len);
void hmac_sha256_update(hmac_sha256_ctx_t *c, const void *data, size_t len);
void hmac_sha256_final(hmac_sha256_ctx_t *c, uint8_t out[32]);
/* One-shot. out may overlap key or data (both are fully read before out is written). */
void hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t out[32]);

#endif
