/* print.h - printf-less console output on a PL011 UART. Lines end with a bare "\n". */
#ifndef IMAGES_PRINT_H
#define IMAGES_PRINT_H

#include <stddef.h>
#include <stdint.h>

/* Initialise the PL011 at uart_base and use it for every print_* call. */
void console_init(uintptr_t uart_base);

void print_char(char c);
void print_str(const char *s);
/* Exactly 8 lowercase hex digits, no prefix (like "%08x"). */
void print_hex32(uint32_t v);
/* Unsigned decimal, no padding (like "%u"). */
void print_udec(uint32_t v);
/* Signed decimal (like "%d"). */
void print_sdec(int32_t v);
/* Lowercase hex, two digits per byte, no separators. */
void print_hex_bytes(const uint8_t *p, size_t n);
/* "\n" */
void print_nl(void);
/* Wait until the UART has sent everything. */
void console_flush(void);

/* The same formatting into any character sink (print_char is the console's). */
typedef void (*put_char_fn)(char c);
/* Lowercase hex, no prefix, at least min_digits digits (leading zeros), 1..8. */
void put_hex(put_char_fn put, uint32_t v, unsigned min_digits);
void put_udec(put_char_fn put, uint32_t v);
void put_sdec(put_char_fn put, int32_t v);
void put_hex_bytes(put_char_fn put, const uint8_t *p, size_t n);

#endif /* IMAGES_PRINT_H */
