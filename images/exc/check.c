/* check.c - self-checking test output shared by the exc images (see check.h). */
#include "check.h"
#include "print.h"

static const char *current;
static unsigned current_failed;
static unsigned checks;
static unsigned failures;

static volatile char evbuf[EVLOG_SIZE + 1];
static volatile unsigned evlen;

void check_begin(const char *name)
{
    current = name;
    current_failed = 0u;
}

static void fail_prefix(const char *what)
{
    print_str("FAIL ");
    print_str(current);
    print_char(' ');
    print_str(what);
    current_failed++;
}

int expect_eq(const char *what, uint32_t got, uint32_t want)
{
    if (got == want) {
        return 1;
    }
    fail_prefix(what);
    print_str(" got=0x");
    print_hex32(got);
    print_str(" want=0x");
    print_hex32(want);
    print_nl();
    return 0;
}

int expect_true(const char *what, int cond)
{
    if (cond) {
        return 1;
    }
    fail_prefix(what);
    print_nl();
    return 0;
}

static int str_equal(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

int expect_str(const char *what, const char *got, const char *want)
{
    if (str_equal(got, want)) {
        return 1;
    }
    fail_prefix(what);
    print_str(" got=\"");
    print_str(got);
    print_str("\" want=\"");
    print_str(want);
    print_str("\"");
    print_nl();
    return 0;
}

int check_end(void)
{
    checks++;
    if (current_failed != 0u) {
        failures++;
        return 0;
    }
    print_str("PASS ");
    print_str(current);
    print_nl();
    return 1;
}

unsigned check_count(void)
{
    return checks;
}

unsigned check_failures(void)
{
    return failures;
}

int check_summary(const char *image)
{
    print_str(image);
    print_str(": ");
    print_udec(checks);
    print_str(" checks, ");
    print_udec(failures);
    print_str(" failed\n");
    console_flush();
    return (int)failures;
}

void evlog_reset(void)
{
    evlen = 0u;
    evbuf[0] = '\0';
}

/* Called from thread code and from handlers of any priority: interrupts are masked around the
 * append so a preempting handler's entry can never be overwritten. PRIMASK is restored with
 * MSR, so an interrupt that became pending meanwhile is taken right after the entry. */
void evlog(char c)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) :: "memory");
    unsigned n = evlen;
    if (n < EVLOG_SIZE) {
        evbuf[n] = c;
        evbuf[n + 1u] = '\0';
        evlen = n + 1u;
    }
    __asm__ volatile("msr primask, %0" :: "r"(primask) : "memory");
}

const char *evlog_str(void)
{
    return (const char *)evbuf;
}
