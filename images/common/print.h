/* print.h - printf-less console output on a PL011 UART. Lines end with a bare "\n". */
#ifndef IMAGES_PRINT_H
#define IMAGES_PRINT_H

#include <stdint.h>

/* Initialise the PL011 at uart_base and use it for every print_* call. */
void console_init(uintptr_t uart_base);

void print_char(char c);
void print_str(const char *s);
/* Exactly 8 lowercase hex digits, no prefix (like "%08x"). */
void print_hex32(uint32_t v);
/* Unsigned decimal, no padding (like "%u"). */
void print_udec(uint32_t v);
/* "\n" */
void print_nl(void);
/* Wait until the UART has sent everything. */
void console_flush(void);

#endif /* IMAGES_PRINT_H */
