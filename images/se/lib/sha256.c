/* sha256.c - SHA-256 as specified in FIPS 180-4 (sections 4.1.2, 4.2.2, 5.1.1, 5.3.3, 6.2).
 * Written for small cores: no unrolling, a 16-word rolling message schedule, big-endian
 * loads and stores done byte by byte (no alignment requirements). */
#include <stddef.h>
#include <stdint.h>

#include "memfuncs.h"
#include "sha256.h"

/* FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

/* FIPS 180-4 5.3.3: initial hash value. */
static const uint32_t H0[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Process one 64-byte block (FIPS 180-4 6.2.2). W[] holds the last 16 schedule words:
 * W[t mod 16] is replaced by W_t for t >= 16. */
static void sha256_block(uint32_t h[8], const uint8_t *blk)
{
    uint32_t w[16];
    uint32_t s[8];
    unsigned t;

    for (t = 0; t < 16; t++) {
        w[t] = load_be32(blk + 4u * t);
    }
    for (t = 0; t < 8; t++) {
        s[t] = h[t];
    }
    for (t = 0; t < 64; t++) {
        uint32_t wt;
        if (t < 16) {
            wt = w[t];
        } else {
            uint32_t w15 = w[(t - 15u) & 15u];
            uint32_t w2 = w[(t - 2u) & 15u];
            uint32_t sig0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
            uint32_t sig1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
            wt = sig1 + w[(t - 7u) & 15u] + sig0 + w[t & 15u];
            w[t & 15u] = wt;
        }
        uint32_t e = s[4];
        uint32_t a = s[0];
        uint32_t ch = (e & s[5]) ^ (~e & s[6]);
        uint32_t maj = (a & s[1]) ^ (a & s[2]) ^ (s[1] & s[2]);
        uint32_t bs1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t bs0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t t1 = s[7] + bs1 + ch + K[t] + wt;
        uint32_t t2 = bs0 + maj;
        s[7] = s[6];
        s[6] = s[5];
        s[5] = s[4];
        s[4] = s[3] + t1;
        s[3] = s[2];
        s[2] = s[1];
        s[1] = s[0];
        s[0] = t1 + t2;
    }
    for (t = 0; t < 8; t++) {
        h[t] += s[t];
    }
}

void sha256_init(sha256_ctx_t *c)
{
    unsigned i;
    for (i = 0; i < 8; i++) {
        c->h[i] = H0[i];
    }
    c->total = 0;
    c->used = 0;
}

void sha256_update(sha256_ctx_t *c, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;

    c->total += (uint64_t)len;
    while (len != 0) {
        if (c->used == 0 && len >= SHA256_BLOCK_SIZE) {
            /* Whole block straight from the input. */
            sha256_block(c->h, p);
            p += SHA256_BLOCK_SIZE;
            len -= SHA256_BLOCK_SIZE;
            continue;
        }
        size_t n = SHA256_BLOCK_SIZE - c->used;
        if (n > len) {
            n = len;
        }
        memcpy(c->block + c->used, p, n);
        c->used += (uint32_t)n;
        p += n;
        len -= n;
        if (c->used == SHA256_BLOCK_SIZE) {
            sha256_block(c->h, c->block);
            c->used = 0;
        }
    }
}

void sha256_final(sha256_ctx_t *c, uint8_t out[32])
{
    /* FIPS 180-4 5.1.1: append 0x80, zeros to 56 mod 64, then the 64-bit bit length. */
    uint64_t bits = c->total << 3;
    unsigned i;

    c->block[c->used++] = 0x80;
    if (c->used > 56u) {
        memset(c->block + c->used, 0, SHA256_BLOCK_SIZE - c->used);
        sha256_block(c->h, c->block);
        c->used = 0;
    }
    memset(c->block + c->used, 0, 56u - c->used);
    store_be32(c->block + 56, (uint32_t)(bits >> 32));
    store_be32(c->block + 60, (uint32_t)bits);
    sha256_block(c->h, c->block);
    c->used = 0;

    for (i = 0; i < 8; i++) {
        store_be32(out + 4u * i, c->h[i]);
    }
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
    sha256_ctx_t c;
    sha256_init(&c);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
    se_wipe(&c, sizeof c);
}
