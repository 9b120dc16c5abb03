/* print.c - printf-less console output on a PL011 UART, and the number formatting behind it
 * (also usable with any other character sink). */
#include "print.h"
#include "pl011.h"

/* Divisors for 115200 baud from a 32 MHz UART clock; the emulator ignores them. */
#define CONSOLE_IBRD 17u
#define CONSOLE_FBRD 23u

static uintptr_t console_base;

void console_init(uintptr_t uart_base)
{
    console_base = uart_base;
    pl011_init(uart_base, CONSOLE_IBRD, CONSOLE_FBRD);
}

/* ---- formatting into a sink ---- */

void put_hex(put_char_fn put, uint32_t v, unsigned min_digits)
{
    static const char digits[] = "0123456789abcdef";
    int started = 0;

    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned nib = (v >> shift) & 0xFu;
        if (nib != 0u || started || (unsigned)shift < 4u * min_digits) {
            put(digits[nib]);
            started = 1;
        }
    }
}

void put_udec(put_char_fn put, uint32_t v)
{
    char buf[10];           /* 4294967295 has 10 digits */
    unsigned n = 0;

    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n != 0u) {
        put(buf[--n]);
    }
}

void put_sdec(put_char_fn put, int32_t v)
{
    if (v < 0) {
        put('-');
        put_udec(put, 0u - (uint32_t)v);
    } else {
        put_udec(put, (uint32_t)v);
    }
}

void put_hex_bytes(put_char_fn put, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put_hex(put, p[i], 2u);
    }
}

/* ---- the console ---- */

void print_char(char c)
{
    pl011_putc(console_base, c);
}

void print_str(const char *s)
{
    while (*s != '\0') {
        print_char(*s++);
    }
}

void print_hex32(uint32_t v)
{
    put_hex(print_char, v, 8u);
}

void print_udec(uint32_t v)
{
    put_udec(print_char, v);
}

void print_sdec(int32_t v)
{
    put_sdec(print_char, v);
}

void print_hex_bytes(const uint8_t *p, size_t n)
{
    put_hex_bytes(print_char, p, n);
}

void print_nl(void)
{
    print_char('\n');
}

void console_flush(void)
{
    pl011_flush(console_base);
}
