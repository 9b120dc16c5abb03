/* drbg.c - HMAC_DRBG with SHA-256, NIST SP 800-90A Rev.1 section 10.1.2 (see drbg.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drbg.h"
#include "hmac_sha256.h"
#include "memfuncs.h"

static uint8_t drbg_k[32];
static uint8_t drbg_v[32];
static bool drbg_ready;

/* HMAC_DRBG_Update (10.1.2.2):
 *   K = HMAC(K, V || 0x00 || provided_data); V = HMAC(K, V);
 *   if provided_data is empty, stop;
 *   K = HMAC(K, V || 0x01 || provided_data); V = HMAC(K, V). */
static void drbg_update(const uint8_t *data, size_t len)
{
    hmac_sha256_ctx_t c;
    uint8_t round;

    for (round = 0; round < 2; round++) {
        hmac_sha256_init(&c, drbg_k, sizeof drbg_k);
        hmac_sha256_update(&c, drbg_v, sizeof drbg_v);
        hmac_sha256_update(&c, &round, 1);
        hmac_sha256_update(&c, data, len);
        hmac_sha256_final(&c, drbg_k);

        hmac_sha256_init(&c, drbg_k, sizeof drbg_k);
        hmac_sha256_update(&c, drbg_v, sizeof drbg_v);
        hmac_sha256_final(&c, drbg_v);

        if (len == 0) {
            break;
        }
    }
}

void drbg_instantiate(const uint8_t *seed, size_t seed_len)
{
    memset(drbg_k, 0x00, sizeof drbg_k);
    memset(drbg_v, 0x01, sizeof drbg_v);
    drbg_update(seed, seed_len);
    drbg_ready = true;
}

void drbg_generate(uint8_t *out, size_t len)
{
    if (!drbg_ready) {
        drbg_instantiate(NULL, 0);
    }
    while (len != 0) {
        size_t n = len < sizeof drbg_v ? len : sizeof drbg_v;
        hmac_sha256(drbg_k, sizeof drbg_k, drbg_v, sizeof drbg_v, drbg_v);
        memcpy(out, drbg_v, n);
        out += n;
        len -= n;
    }
    drbg_update(NULL, 0);
}
