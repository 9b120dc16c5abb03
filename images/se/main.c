/* main.c - SE firmware entry: console, platform configuration check, mailbox handshake, then
 * sleep; all further work happens in IRQ 24 (doorbell) and PendSV (mailbox, services). */
#include <stdint.h>

#include "board_se.h"
#include "cpu.h"
#include "mailbox.h"
#include "platform_config.h"
#include "print.h"
#include "spm.h"

static void check_config(void)
{
    const volatile struct se_platform_config *cfg = se_platform_cfg();
    uint32_t magic = cfg->magic;
    uint32_t version = cfg->version;

    if (magic != SE_PLATFORM_CONFIG_MAGIC || version != SE_PLATFORM_CONFIG_VERSION) {
        print_str("se: platform config magic=0x");
        print_hex32(magic);
        print_str(" version=");
        print_udec(version);
        print_str(" not recognised; using it anyway\n");
    }
}

int main(void)
{
    console_init(SE_UART_BASE);
    print_str("se: boot\n");
    check_config();
    attest_init();

    mailbox_boot();

    for (;;) {
        cpu_wfi();
    }
}

/* Cortex-M0+ HardFault: report the stacked PC and LR (MSP or PSP frame per EXC_RETURN). */
void hardfault_report(const uint32_t *frame, uint32_t exc_return);
void hardfault_report(const uint32_t *frame, uint32_t exc_return)
{
    print_str("se: hardfault pc=0x");
    print_hex32(frame[6]);
    print_str(" lr=0x");
    print_hex32(frame[5]);
    print_str(" exc_return=0x");
    print_hex32(exc_return);
    print_nl();
    for (;;) {
        cpu_wfi();
    }
}

__attribute__((naked)) void HardFault_Handler(void)
{
    CPU_EXC_FRAME_TAILCALL(hardfault_report);
}
