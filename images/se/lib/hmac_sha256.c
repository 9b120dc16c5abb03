/* hmac_sha256.c - HMAC-SHA-256 per RFC 2104:
 *   HMAC(K, text) = H((K0 ^ opad) || H((K0 ^ ipad) || text)),  ipad = 0x36.., opad = 0x5c..
 * where K0 is K (or H(K) if K is longer than the block) zero-padded to 64 bytes. */
#include <stddef.h>
#include <stdint.h>

#include "hmac_sha256.h"
#include "memfuncs.h"
#include "sha256.h"

void hmac_sha256_init(hmac_sha256_ctx_t *c, const uint8_t *key, size_t key_len)
{
    uint8_t pad[SHA256_BLOCK_SIZE];
    unsigned i;

    memset(pad, 0, sizeof pad);
    if (key_len > SHA256_BLOCK_SIZE) {
        /* K0 = H(K); c->inner serves as scratch (it is re-initialised below). */
        sha256_init(&c->inner);
        sha256_update(&c->inner, key, key_len);
        sha256_final(&c->inner, pad);
    } else if (key_len != 0) {
        memcpy(pad, key, key_len);
    }

    for (i = 0; i < SHA256_BLOCK_SIZE; i++) {
        pad[i] ^= 0x36u;
    }
    sha256_init(&c->inner);
    sha256_update(&c->inner, pad, sizeof pad);

    for (i = 0; i < SHA256_BLOCK_SIZE; i++) {
        pad[i] ^= (uint8_t)(0x36u ^ 0x5cu);
    }
    sha256_init(&c->outer);
    sha256_update(&c->outer, pad, sizeof pad);

    se_wipe(pad, sizeof pad);
}

void hmac_sha256_update(hmac_sha256_ctx_t *c, const void *data, size_t len)
{
    sha256_update(&c->inner, data, len);
}

void hmac_sha256_final(hmac_sha256_ctx_t *c, uint8_t out[32])
{
    uint8_t ih[SHA256_DIGEST_SIZE];

    sha256_final(&c->inner, ih);
    sha256_update(&c->outer, ih, sizeof ih);
    sha256_final(&c->outer, out);

    se_wipe(ih, sizeof ih);
    se_wipe(c, sizeof *c);
}

void hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t out[32])
{
    hmac_sha256_ctx_t c;
    hmac_sha256_init(&c, key, key_len);
    hmac_sha256_update(&c, data, len);
    hmac_sha256_final(&c, out);
}
