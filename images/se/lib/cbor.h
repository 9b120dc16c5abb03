/* cbor.h - minimal CBOR encoder (RFC 8949) for definite-length items.
 *
 * Every head uses the shortest argument encoding (RFC 8949 4.2.1 "preferred serialization"),
 * so output is deterministic as long as the caller emits map keys in the order it wants.
 * Nothing is validated: the caller is responsible for emitting exactly n items after
 * cbor_array(n) and n key/value pairs after cbor_map(n).
 *
 * Buffer handling:
 *  - e->len always counts every byte emitted so far, whether or not it was stored.
 *  - buf == NULL: nothing is stored and overflow is never set (size query: run the same
 *    encoding with a NULL buffer, read e->len).
 *  - buf != NULL: an item that does not fit in cap sets e->overflow and is not stored (nor is
 *    anything after it); e->len keeps counting, so it tells the size that would be needed.
 *    Check e->overflow once at the end.
 *  - If e->len would exceed SIZE_MAX it saturates there and overflow is set.
 * Pointers given with a zero length may be NULL. */
#ifndef SE_LIB_CBOR_H
#define SE_LIB_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *buf;   /* output, or NULL to only count */
    size_t cap;     /* capacity of buf */
    size_t len;     /* bytes emitted (stored or not) */
    bool overflow;  /* buf given and something did not fit */
} cbor_enc_t;

void cbor_init(cbor_enc_t *e, uint8_t *buf, size_t cap);
void cbor_uint(cbor_enc_t *e, uint64_t v);                   /* major type 0 */
void cbor_int(cbor_enc_t *e, int64_t v);                     /* major type 0 or 1 */
void cbor_bstr(cbor_enc_t *e, const void *p, size_t n);      /* major type 2, head + bytes */
void cbor_tstr(cbor_enc_t *e, const char *s);                /* major type 3, NUL-terminated UTF-8 */
void cbor_array(cbor_enc_t *e, size_t n);                    /* major type 4 head; caller emits n items */
void cbor_map(cbor_enc_t *e, size_t n);                      /* major type 5 head; caller emits n pairs */
void cbor_tag(cbor_enc_t *e, uint64_t tag);                  /* major type 6 head; caller emits 1 item */
void cbor_bstr_header(cbor_enc_t *e, size_t n);              /* major type 2 head; bytes follow */
/* Raw bytes (already-encoded CBOR, or the content after cbor_bstr_header()).
 * p == NULL with n > 0 emits n zero bytes (reserves space to fill in later). */
void cbor_raw(cbor_enc_t *e, const void *p, size_t n);

#endif
