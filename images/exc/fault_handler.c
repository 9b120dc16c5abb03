/* exc/fault_handler.c - HardFault handler linked into prebuilt/fault_handled_host.elf:
 * prints the fault status registers and the stacked PC, then exits with status 3. */
#include <stdint.h>

#include "cpu.h"
#include "print.h"
#include "regs.h"
#include "semihost.h"

#define SCB_CFSR 0xE000ED28u
#define SCB_HFSR 0xE000ED2Cu
#define SCB_BFAR 0xE000ED38u

void hardfault_report(const uint32_t *frame, uint32_t exc_return);

__attribute__((naked)) void HardFault_Handler(void)
{
    CPU_EXC_FRAME_TAILCALL(hardfault_report);
}

void hardfault_report(const uint32_t *frame, uint32_t exc_return)
{
    print_str("hardfault handled CFSR=0x");
    print_hex32(REG32(SCB_CFSR));
    print_nl();
    print_str("HFSR=0x");
    print_hex32(REG32(SCB_HFSR));
    print_str(" BFAR=0x");
    print_hex32(REG32(SCB_BFAR));
    print_str(" PC=0x");
    print_hex32(frame[6]);
    print_str(" EXC_RETURN=0x");
    print_hex32(exc_return);
    print_nl();
    console_flush();
    semihost_exit(3u);
}
