/* exc/fault.c - Host (Cortex-M33) image that faults on purpose: it prints one line, then reads
 * an address no memory or peripheral answers (0x60000000). BusFault is not enabled in SHCSR,
 * so the precise bus error escalates to HardFault (HFSR.FORCED).
 *
 * Built twice: prebuilt/fault_host.elf has only the startup code's spinning default handlers,
 * so the emulator stops with a fault report; prebuilt/fault_handled_host.elf adds
 * exc/fault_handler.c, whose HardFault_Handler prints the fault status and exits with 3. */
#include <stdint.h>

#include "board_host.h"
#include "print.h"
#include "regs.h"

#define FAULT_ADDRESS 0x60000000u

uint32_t fault_read(uintptr_t addr);

/* A function of its own so the faulting PC has a recognisable symbol. */
__attribute__((noinline)) uint32_t fault_read(uintptr_t addr)
{
    return REG32(addr);
}

int main(void)
{
    console_init(HOST_UART_BASE);
    print_str("fault: reading unmapped address 0x");
    print_hex32(FAULT_ADDRESS);
    print_nl();
    console_flush();
    uint32_t v = fault_read(FAULT_ADDRESS);
    print_str("fault: the read returned 0x");
    print_hex32(v);
    print_str(" instead of faulting\n");
    return 1;
}
