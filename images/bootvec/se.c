/* bootvec/se.c - an SE that starts the Host as TF-M v1.3's Secure Enclave does, and nothing more.
 *
 * TF-M's SE sends the Host's boot vector as its first word on MHU0 (SE->Host sender frame,
 * channel 0): the NS image start it holds in its own CODE window (0x38000000 + slot + header),
 * moved into the Host's view (+0x1A200000 - 0x38000000), i.e. 0x1A260400. Then it waits for
 * IPC_SYNC_MAGIC and runs the mailbox handshake (NS_MAILBOX_INIT_ENABLE, queue address,
 * S_MAILBOX_READY). This image does the same after a busy delay, polling the Host->SE receiver,
 * then parks in WFI: no service is served. It has no se_platform_config block, so psaemu's BL0
 * holds the Host until the vector arrives (proxy/bl0.py). */
#include <stdint.h>

#include "board_se.h"
#include "cpu.h"
#include "mailbox_abi.h"
#include "mhuv2.h"
#include "print.h"

/* The NS image start in the SE's CODE window (Host slot 0x60000 + 0x400 header) and in the Host's. */
#define SE_CODE_BASE            0x38000000u
#define HOST_EFLASH1_BASE       0x1A200000u
#define NS_IMAGE_START_SE       (SE_CODE_BASE + 0x60000u + 0x400u)
#define HOST_BOOT_VECTOR        (NS_IMAGE_START_SE + HOST_EFLASH1_BASE - SE_CODE_BASE)

/* Busy iterations before the vector is sent: the Host must not run meanwhile. */
#define BOOT_DELAY_LOOPS        20000u

volatile uint32_t bootvec_delay_count;

static void send(uint32_t word)
{
    if (mhu_send(SE_MHU_TO_HOST_SENDER, 0, word) != MHU_OK) {
        print_str("bootvec: se send timeout\n");
    }
}

/* The next Host->SE word (polled; channel 0 of the receiver). */
static uint32_t receive(void)
{
    uint32_t word;
    while ((word = mhu_recv_status(SE_MHU_FROM_HOST_RECV, 0)) == 0u) {
    }
    mhu_recv_clear(SE_MHU_FROM_HOST_RECV, 0);
    return word;
}

int main(void)
{
    console_init(SE_UART_BASE);
    mhu_recv_unmask(SE_MHU_FROM_HOST_RECV, 0);
    for (bootvec_delay_count = 0; bootvec_delay_count < BOOT_DELAY_LOOPS; bootvec_delay_count++) {
    }
    print_str("bootvec: se sends host boot vector 0x");
    print_hex32(HOST_BOOT_VECTOR);
    print_nl();
    send(HOST_BOOT_VECTOR);
    while (receive() != IPC_SYNC_MAGIC) {
    }
    send(NS_MAILBOX_INIT_ENABLE);
    uint32_t queue = receive();
    send(S_MAILBOX_READY);
    print_str("bootvec: se handshake done, queue 0x");
    print_hex32(queue);
    print_nl();
    for (;;) {
        cpu_wfi();
    }
}
