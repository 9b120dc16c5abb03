/* check.h - self-checking test output shared by the exc images.
 *
 * A check is a named group of expectations:
 *
 *     check_begin("nested");
 *     expect_eq("order", got, want);
 *     check_end();             -> prints "PASS nested", or nothing more if an expectation failed
 *
 * Every failed expectation prints "FAIL <check> <what> got=0x........ want=0x........" at once;
 * a check counts as one failure however many of its expectations fail. main() returns
 * check_failures() so the semihosting exit status is the number of failed checks. */
#ifndef IMAGES_EXC_CHECK_H
#define IMAGES_EXC_CHECK_H

#include <stdint.h>

void check_begin(const char *name);
/* Returns 1 if got == want, else prints a FAIL line and returns 0. */
int expect_eq(const char *what, uint32_t got, uint32_t want);
/* Returns 1 if cond != 0, else prints "FAIL <check> <what>" and returns 0. */
int expect_true(const char *what, int cond);
/* Compares two NUL-terminated strings (event orders); prints both on a mismatch. */
int expect_str(const char *what, const char *got, const char *want);
/* Prints "PASS <check>" if no expectation of the check failed; returns 1 then, else 0. */
int check_end(void);

unsigned check_count(void);
unsigned check_failures(void);
/* Prints "<image>: <N> checks, <F> failed" and waits for the UART; returns F (main's result). */
int check_summary(const char *image);

/* A short event log for ordering checks: handlers and thread code append one character. */
#define EVLOG_SIZE 32
void evlog_reset(void);
void evlog(char c);
const char *evlog_str(void);

#endif /* IMAGES_EXC_CHECK_H */
