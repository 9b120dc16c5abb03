/* regression/test.c - the test harness (see test.h). */
#include "test.h"

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
    put_udec(d_char, v);
}

/* v is a signed value (a status) passed as uint32_t, like the others */
static void d_sdec(uint32_t v)
{
    put_sdec(d_char, (int32_t)v);
}

static void d_hex32(uint32_t v)
{
    d_str("0x");
    put_hex(d_char, v, 1u);
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

void t_end_skip(void)
{
    t_end_skip_because(0);
}

void t_end_skip_because(const char *reason)
{
    if (cur_failed) {
        t_end();
        return;
    }
    print_test_head(cur_suite, cur_name);
    print_str(" SKIP");
    if (reason) {
        print_str(" ");
        print_str(reason);
    }
    print_nl();
}

int t_ok(void)
{
    return !cur_failed;
}

/* got == expected, else the detail "<what>: expected <x> got <y>" in the format given. */
static int expect_value(const char *what, uint32_t got, uint32_t expected,
                        void (*format)(uint32_t v))
{
    if (got == expected) {
        return 1;
    }
    if (fail_start(what)) {
        d_str(": expected ");
        format(expected);
        d_str(" got ");
        format(got);
    }
    return 0;
}

int t_expect_status(const char *what, int32_t got, int32_t expected)
{
    return expect_value(what, (uint32_t)got, (uint32_t)expected, d_sdec);
}

int t_expect_size(const char *what, uint32_t got, uint32_t expected)
{
    return expect_value(what, got, expected, d_udec);
}

int t_expect_hex(const char *what, uint32_t got, uint32_t expected)
{
    return expect_value(what, got, expected, d_hex32);
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
                put_hex(d_char, expected[i], 2u);
                d_str(" got ");
                put_hex(d_char, got[i], 2u);
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
        put_hex_bytes(d_char, expected, n);
        d_str(" got ");
        put_hex_bytes(d_char, got, n);
    }
    return 0;
}

void t_one_status(const char *suite, const char *name, const char *what, int32_t got,
                  int32_t expected)
{
    t_begin(suite, name);
    t_expect_status(what, got, expected);
    t_end();
}

void t_one_hex(const char *suite, const char *name, const char *what, uint32_t got,
               uint32_t expected)
{
    t_begin(suite, name);
    t_expect_hex(what, got, expected);
    t_end();
}

unsigned t_total(void)
{
    return n_total;
}

unsigned t_failures(void)
{
    return n_fail;
}

int t_summary(const char *program)
{
    print_str(program);
    print_str(": ");
    print_udec(n_total);
    print_str(" tests, ");
    print_udec(n_fail);
    print_str(" failures\n");
    console_flush();
    return (int)n_fail;
}

static char label[64];
static unsigned label_len;

static void l_char(char c)
{
    if (label_len < sizeof(label) - 1u) {
        label[label_len++] = c;
    }
}

const char *t_label(const char *prefix, uint32_t value, const char *suffix)
{
    label_len = 0u;
    while (*prefix != '\0' && label_len < 40u) {
        l_char(*prefix++);
    }
    l_char('0');
    l_char('x');
    put_hex(l_char, value, 1u);
    while (*suffix != '\0') {
        l_char(*suffix++);
    }
    label[label_len] = '\0';
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
