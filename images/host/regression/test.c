/* regression/test.c - the test harness (see test.h). */
#include "test.h"

#include "host_ns.h"
#include "print.h"

#define DETAIL_MAX 200u

static const char *cur_suite;
static const char *cur_name;
static int cur_failed;
static char detail[DETAIL_MAX + 1u];
static unsigned detail_len;
static unsigned n_total;
static unsigned n_fail;

/* ---- building the detail text (first failure only) ---- */

static void d_char(char c)
{
    if (detail_len < DETAIL_MAX) {
        detail[detail_len++] = c;
    }
    detail[detail_len] = '\0';
}

static void d_str(const char *s)
{
    while (*s != '\0') {
        d_char(*s++);
    }
}

static void d_udec(uint32_t v)
{
    char buf[10];
    unsigned n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n != 0u) {
        d_char(buf[--n]);
    }
}

static void d_sdec(int32_t v)
{
    if (v < 0) {
        d_char('-');
        d_udec(0u - (uint32_t)v);
    } else {
        d_udec((uint32_t)v);
    }
}

static void d_hexdigit(unsigned v)
{
    d_char("0123456789abcdef"[v & 0xFu]);
}

static void d_hex32(uint32_t v)
{
    d_str("0x");
    int started = 0;
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned nib = (v >> shift) & 0xFu;
        if (nib != 0u || started || shift == 0) {
            d_hexdigit(nib);
            started = 1;
        }
    }
}

static void d_hexbytes(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        d_hexdigit(p[i] >> 4);
        d_hexdigit(p[i]);
    }
}

/* Start recording a failure; returns 0 if one is already recorded (keep the first). */
static int fail_start(const char *what)
{
    if (cur_failed) {
        return 0;
    }
    cur_failed = 1;
    detail_len = 0u;
    detail[0] = '\0';
    d_str(what);
    return 1;
}

/* ---- public ---- */

void t_begin(const char *suite, const char *name)
{
    cur_suite = suite;
    cur_name = name;
    cur_failed = 0;
    detail_len = 0u;
    detail[0] = '\0';
}

static void print_test_head(const char *suite, const char *name)
{
    print_str("TEST ");
    print_str(suite);
    print_char('.');
    print_str(name);
}

void t_end(void)
{
    n_total++;
    print_test_head(cur_suite, cur_name);
    if (cur_failed) {
        n_fail++;
        print_str(" FAIL ");
        print_str(detail);
    } else {
        print_str(" PASS");
    }
    print_nl();
}

void t_skip(const char *suite, const char *name)
{
    print_test_head(suite, name);
    print_str(" SKIP");
    print_nl();
}

int t_ok(void)
{
    return !cur_failed;
}

int t_expect_status(const char *what, int32_t got, int32_t expected)
{
    if (got == expected) {
        return 1;
    }
    if (fail_start(what)) {
        d_str(": expected ");
        d_sdec(expected);
        d_str(" got ");
        d_sdec(got);
    }
    return 0;
}

int t_expect_size(const char *what, uint32_t got, uint32_t expected)
{
    if (got == expected) {
        return 1;
    }
    if (fail_start(what)) {
        d_str(": expected ");
        d_udec(expected);
        d_str(" got ");
        d_udec(got);
    }
    return 0;
}

int t_expect_hex(const char *what, uint32_t got, uint32_t expected)
{
    if (got == expected) {
        return 1;
    }
    if (fail_start(what)) {
        d_str(": expected ");
        d_hex32(expected);
        d_str(" got ");
        d_hex32(got);
    }
    return 0;
}

int t_expect_true(const char *what, int cond)
{
    if (cond) {
        return 1;
    }
    (void)fail_start(what);
    return 0;
}

int t_expect_bytes(const char *what, const uint8_t *got, const uint8_t *expected, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (got[i] != expected[i]) {
            if (fail_start(what)) {
                d_str(": byte ");
                d_udec((uint32_t)i);
                d_str(" expected ");
                d_hexdigit(expected[i] >> 4);
                d_hexdigit(expected[i]);
                d_str(" got ");
                d_hexdigit(got[i] >> 4);
                d_hexdigit(got[i]);
            }
            return 0;
        }
    }
    return 1;
}

int t_expect_digest(const char *what, const uint8_t *got, const uint8_t *expected, size_t n)
{
    if (bytes_equal(got, expected, n)) {
        return 1;
    }
    if (fail_start(what)) {
        d_str(": expected ");
        d_hexbytes(expected, n);
        d_str(" got ");
        d_hexbytes(got, n);
    }
    return 0;
}

unsigned t_total(void)
{
    return n_total;
}

unsigned t_failures(void)
{
    return n_fail;
}

const char *t_label(const char *prefix, uint32_t value, const char *suffix)
{
    static char label[64];
    unsigned n = 0;

    while (*prefix != '\0' && n < 40u) {
        label[n++] = *prefix++;
    }
    label[n++] = '0';
    label[n++] = 'x';
    int started = 0;
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned nib = (value >> shift) & 0xFu;
        if (nib != 0u || started || shift == 0) {
            label[n++] = "0123456789abcdef"[nib];
            started = 1;
        }
    }
    while (*suffix != '\0' && n < sizeof(label) - 1u) {
        label[n++] = *suffix++;
    }
    label[n] = '\0';
    return label;
}

void fill_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)(seed + 31u * (uint32_t)i + ((uint32_t)i >> 8));
    }
}

int bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}
