/* pingpong/se.c - Secure Enclave (Cortex-M0+) side of the MHU + shared-memory ping-pong test.
 *
 * Sends READY, then sleeps; every Host doorbell is handled by the MHU IRQ: transform the
 * request block into the response block through the SE's own view of the shared memory
 * and ring the Host back. */
#include <stdint.h>

#include "board_se.h"
#include "cpu.h"
#include "mhuv2.h"
#include "print.h"
#include "scs.h"
#include "shared.h"

/* The SE's address for the shared block: the Host address moved into the SE's view (board).
 * A constant on purpose: the SE never uses the Host's linker symbols. */
#define PP_SHARED_SE_ADDR   (PP_SHARED_HOST_ADDR + HOST_TO_SE_ADDR_OFFSET)
_Static_assert(PP_SHARED_SE_ADDR == SE_SHARED_BASE, "SE view of the shared memory");

/* Number of requests handled (successfully or not); for debuggers and tests. */
volatile uint32_t pp_se_requests;

static void reply(uint32_t word)
{
    cpu_dmb();                              /* response visible before the doorbell */
    if (mhu_send(SE_MHU_TO_HOST_SENDER, 0, word) != MHU_OK) {
        print_str("pingpong: se send timeout\n");
    }
}

/* Host->SE receiver, channel 0 (level: pending while CH_ST[0] != 0). */
void IRQ_HANDLER(SE_IRQ_MHU_FROM_HOST_MSG0)(void)
{
    uint32_t msg = mhu_recv_status(SE_MHU_FROM_HOST_RECV, 0);
    mhu_recv_clear(SE_MHU_FROM_HOST_RECV, 0);
    nvic_clear_pending_irq(SE_IRQ_MHU_FROM_HOST_MSG0);
    if (msg == 0u) {
        return;                             /* spurious */
    }
    pp_se_requests++;

    volatile struct pp_shared *sh = (volatile struct pp_shared *)PP_SHARED_SE_ADDR;
    uint32_t round = msg & PP_MSG_ROUND_MASK;
    cpu_dmb();                              /* doorbell seen before reading the block */

    if ((msg & ~PP_MSG_ROUND_MASK) != PP_MSG_REQ || sh->round != round || sh->nwords != PP_WORDS) {
        print_str("pingpong: se bad request 0x");
        print_hex32(msg);
        print_nl();
        reply(PP_MSG_NAK | round);
        return;
    }

    uint32_t sum = pp_checksum_init(round);
    for (uint32_t i = 0; i < PP_WORDS; i++) {
        uint32_t v = pp_transform(sh->in[i], i, round);
        sh->out[i] = v;
        sum = pp_checksum_step(sum, v);
    }
    sh->out_checksum = sum;
    sh->out_round = round;

    print_str("pingpong: se round ");
    print_udec(round);
    print_nl();

    reply(PP_MSG_ACK | round);
}

int main(void)
{
    console_init(SE_UART_BASE);
    print_str("pingpong: se up\n");

    mhu_recv_unmask(SE_MHU_FROM_HOST_RECV, 0);
    nvic_set_priority(SE_IRQ_MHU_FROM_HOST_MSG0, 0x80u);
    nvic_enable_irq(SE_IRQ_MHU_FROM_HOST_MSG0);

    reply(PP_MSG_READY);

    for (;;) {
        cpu_wfi();
    }
}
