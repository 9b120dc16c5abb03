/* print.c - printf-less console output on a PL011 UART. */
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
    static const char digits[] = "0123456789abcdef";
    for (int shift = 28; shift >= 0; shift -= 4) {
        print_char(digits[(v >> shift) & 0xFu]);
    }
}

void print_udec(uint32_t v)
{
    char buf[10];           /* 4294967295 has 10 digits */
    unsigned n = 0;

    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n != 0u) {
        print_char(buf[--n]);
    }
}

void print_nl(void)
{
    print_char('\n');
}

void console_flush(void)
{
    pl011_flush(console_base);
}
