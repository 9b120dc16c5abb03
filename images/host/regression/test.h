/* regression/test.h - a tiny test harness: one UART line per test.
 *
 *   TEST <suite>.<name> PASS
 *   TEST <suite>.<name> FAIL <detail>      detail = the first failed check: "<what>: expected X got Y"
 *   TEST <suite>.<name> SKIP               not run, not counted
 *
 * Usage: t_begin(); any number of t_expect_*() (each returns 1 if the check held); t_end(). */
#ifndef HOST_REGRESSION_TEST_H
#define HOST_REGRESSION_TEST_H

#include <stddef.h>
#include <stdint.h>

void t_begin(const char *suite, const char *name);
void t_end(void);
void t_skip(const char *suite, const char *name);
/* End the current test as SKIP (not counted) unless a check has already failed, in which case
 * it ends as t_end() does: for tests that find out midway that the service lacks a feature. */
void t_end_skip(void);
/* t_end_skip(), printing "SKIP <reason>" (why this SE cannot run the test). */
void t_end_skip_because(const char *reason);

/* 1 if the current test has not failed yet */
int t_ok(void);

/* statuses and other signed values, printed in decimal */
int t_expect_status(const char *what, int32_t got, int32_t expected);
/* unsigned values printed in decimal (sizes, lengths) */
int t_expect_size(const char *what, uint32_t got, uint32_t expected);
/* unsigned values printed in hex (versions, ids, flags) */
int t_expect_hex(const char *what, uint32_t got, uint32_t expected);
/* a condition; the detail is just "<what>" */
int t_expect_true(const char *what, int cond);
/* n bytes; the detail names the first differing byte */
int t_expect_bytes(const char *what, const uint8_t *got, const uint8_t *expected, size_t n);
/* n bytes; the detail shows both buffers in hex (for digests and MACs up to 64 bytes) */
int t_expect_digest(const char *what, const uint8_t *got, const uint8_t *expected, size_t n);

/* A whole test made of one check: t_begin(suite, name), the check, t_end(). The value is
 * computed before the test begins (harmless: nothing is printed in between). */
void t_one_status(const char *suite, const char *name, const char *what, int32_t got,
                  int32_t expected);
void t_one_hex(const char *suite, const char *name, const char *what, uint32_t got,
               uint32_t expected);

unsigned t_total(void);
unsigned t_failures(void);
/* Print "<program>: <N> tests, <F> failures", flush the console and return F (the exit status). */
int t_summary(const char *program);

/* Suites, in the order main() runs them. */
void suite_client(void);
void suite_its(void);
void suite_ps(void);
void suite_crypto(void);
void suite_crypto_families(void);
void suite_attest(void);
void suite_platform(void);
void suite_secure(void);

/* "<prefix>0x<hex><suffix>" in a static buffer (valid until the next call): a check label */
const char *t_label(const char *prefix, uint32_t value, const char *suffix);

/* helpers shared by the suites */
void fill_pattern(uint8_t *buf, size_t n, uint32_t seed);
int bytes_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif /* HOST_REGRESSION_TEST_H */
