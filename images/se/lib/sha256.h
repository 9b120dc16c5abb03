/* sha256.h - SHA-256 (FIPS 180-4), streaming and one-shot.
 * Portable C11, freestanding. 16-word rolling message schedule; worst-case stack on Cortex-M0+
 * (arm-none-eabi-gcc 12 -O2, -fstack-usage) about 200 bytes, 320 for the one-shot sha256(). Byte counts up to 2^61-1 are supported (total is kept in bytes). */
#ifndef SE_LIB_SHA256_H
#define SE_LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32u
#define SHA256_BLOCK_SIZE  64u

typedef struct {
    uint32_t h[8];      /* chaining value */
    uint64_t total;     /* message bytes processed so far */
    uint8_t block[64];  /* partial block */
    uint32_t used;      /* bytes in block[] (0..63) */
} sha256_ctx_t;

void sha256_init(sha256_ctx_t *c);
/* data may be NULL when len is 0. */
void sha256_update(sha256_ctx_t *c, const void *data, size_t len);
/* Writes the digest; the context must be re-initialised before reuse. */
void sha256_final(sha256_ctx_t *c, uint8_t out[32]);
void sha256(const void *data, size_t len, uint8_t out[32]);

#endif
