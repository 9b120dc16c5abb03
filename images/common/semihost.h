/* semihost.h - Arm semihosting calls (bkpt 0xAB; r0 = operation, r1 = argument, r0 = result). */
#ifndef IMAGES_SEMIHOST_H
#define IMAGES_SEMIHOST_H

#include <stdint.h>

#define SYS_WRITEC                  0x03u
#define SYS_WRITE0                  0x04u
#define SYS_EXIT_EXTENDED           0x20u

#define ADP_STOPPED_APPLICATIONEXIT 0x20026u

uint32_t semihost_call(uint32_t op, uintptr_t arg);
void semihost_writec(char c);
void semihost_write0(const char *s);
/* SYS_EXIT_EXTENDED with {ADP_Stopped_ApplicationExit, code}; loops if the host returns. */
__attribute__((noreturn)) void semihost_exit(uint32_t code);

#endif /* IMAGES_SEMIHOST_H */
