/* compute/main.c - run the compute workload compute_iterations times, print
 * "compute: <iterations> <checksum, 8 hex digits>" through semihosting and exit 0.
 * Semihosting only, so the same object runs under psaemu (Musca-B1 Host) and qemu (mps2-an505). */
#include <stdint.h>

#include "print.h"
#include "semihost.h"
#include "work.h"

#define COMPUTE_ITERATIONS_DEFAULT 2000u

/* Iterations; in .data so a harness can patch it in the ELF (its load address in flash). */
volatile uint32_t compute_iterations = COMPUTE_ITERATIONS_DEFAULT;
/* The checksum, for debuggers and tests. */
volatile uint32_t compute_result;

static char line[40];
static unsigned line_len;

static void put_line(char c)
{
    if (line_len + 1u < sizeof line) {
        line[line_len++] = c;
    }
}

int main(void)
{
    uint32_t n = compute_iterations;
    compute_result = compute_run(n);
    for (const char *p = "compute: "; *p; p++) {
        put_line(*p);
    }
    put_udec(put_line, n);
    put_line(' ');
    put_hex(put_line, compute_result, 8u);
    put_line('\n');
    line[line_len] = '\0';
    semihost_write0(line);
    return 0;
}
