/* semihost.c - Arm semihosting calls. */
#include "semihost.h"

uint32_t semihost_call(uint32_t op, uintptr_t arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_writec(char c)
{
    semihost_call(SYS_WRITEC, (uintptr_t)&c);
}

void semihost_write0(const char *s)
{
    semihost_call(SYS_WRITE0, (uintptr_t)s);
}

void semihost_exit(uint32_t code)
{
    /* static: the block stays valid whatever the debugger does with the stack */
    static volatile uint32_t block[2];
    block[0] = ADP_STOPPED_APPLICATIONEXIT;
    block[1] = code;
    semihost_call(SYS_EXIT_EXTENDED, (uintptr_t)block);
    for (;;) {
        __asm__ volatile("b ." ::: "memory");
    }
}
