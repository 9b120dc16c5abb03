/* cbor.c - minimal CBOR encoder, RFC 8949 section 3 (see cbor.h for the buffer rules). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbor.h"
#include "memfuncs.h"

#define CBOR_MT_UINT  0u
#define CBOR_MT_NINT  1u
#define CBOR_MT_BSTR  2u
#define CBOR_MT_TSTR  3u
#define CBOR_MT_ARRAY 4u
#define CBOR_MT_MAP   5u
#define CBOR_MT_TAG   6u

void cbor_init(cbor_enc_t *e, uint8_t *buf, size_t cap)
{
    e->buf = buf;
    e->cap = buf != NULL ? cap : 0;
    e->len = 0;
    e->overflow = false;
}

void cbor_raw(cbor_enc_t *e, const void *p, size_t n)
{
    if (n > SIZE_MAX - e->len) {
        e->len = SIZE_MAX;
        e->overflow = true;
        return;
    }
    if (e->buf != NULL && !e->overflow) {
        if (n > e->cap - e->len) {
            e->overflow = true;
        } else if (p != NULL) {
            memcpy(e->buf + e->len, p, n);
        } else {
            memset(e->buf + e->len, 0, n);
        }
    }
    e->len += n;
}

/* Head: initial byte (major type << 5 | additional info) plus a 0/1/2/4/8-byte big-endian
 * argument, the shortest that holds v (RFC 8949 3 and 4.2.1). */
static void cbor_head(cbor_enc_t *e, unsigned mt, uint64_t v)
{
    uint8_t h[9];
    unsigned nbytes;
    unsigned ai;
    unsigned i;

    if (v < 24u) {
        ai = (unsigned)v;
        nbytes = 0;
    } else if (v <= 0xffu) {
        ai = 24;
        nbytes = 1;
    } else if (v <= 0xffffu) {
        ai = 25;
        nbytes = 2;
    } else if (v <= 0xffffffffu) {
        ai = 26;
        nbytes = 4;
    } else {
        ai = 27;
        nbytes = 8;
    }
    h[0] = (uint8_t)((mt << 5) | ai);
    /* Shift by a constant 8 each step: a variable 64-bit shift would need a libgcc call on
     * ARMv6-M. */
    for (i = nbytes; i != 0; i--) {
        h[i] = (uint8_t)v;
        v >>= 8;
    }
    cbor_raw(e, h, 1u + nbytes);
}

void cbor_uint(cbor_enc_t *e, uint64_t v)
{
    cbor_head(e, CBOR_MT_UINT, v);
}

void cbor_int(cbor_enc_t *e, int64_t v)
{
    if (v >= 0) {
        cbor_head(e, CBOR_MT_UINT, (uint64_t)v);
    } else {
        /* Major type 1 carries -1 - v, which is the bitwise complement for two's complement. */
        cbor_head(e, CBOR_MT_NINT, ~(uint64_t)v);
    }
}

void cbor_bstr_header(cbor_enc_t *e, size_t n)
{
    cbor_head(e, CBOR_MT_BSTR, (uint64_t)n);
}

void cbor_bstr(cbor_enc_t *e, const void *p, size_t n)
{
    cbor_bstr_header(e, n);
    cbor_raw(e, p, n);
}

void cbor_tstr(cbor_enc_t *e, const char *s)
{
    size_t n = 0;
    if (s != NULL) {
        while (s[n] != '\0') {
            n++;
        }
    }
    cbor_head(e, CBOR_MT_TSTR, (uint64_t)n);
    cbor_raw(e, s, n);
}

void cbor_array(cbor_enc_t *e, size_t n)
{
    cbor_head(e, CBOR_MT_ARRAY, (uint64_t)n);
}

void cbor_map(cbor_enc_t *e, size_t n)
{
    cbor_head(e, CBOR_MT_MAP, (uint64_t)n);
}

void cbor_tag(cbor_enc_t *e, uint64_t tag)
{
    cbor_head(e, CBOR_MT_TAG, tag);
}
