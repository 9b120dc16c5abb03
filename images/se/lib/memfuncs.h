/* memfuncs.h - prototypes of the memory functions used by the SE library.
 * The firmware provides them in images/common/mem.c (byte loops); a host build gets them from
 * libc. Declared here because freestanding code may not include <string.h>. */
#ifndef SE_LIB_MEMFUNCS_H
#define SE_LIB_MEMFUNCS_H

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Zero n bytes at p through a volatile pointer so the compiler cannot drop the stores
 * (used to scrub keys and intermediate secrets from the stack). */
static inline void se_wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--) {
        *v++ = 0;
    }
}

#endif
