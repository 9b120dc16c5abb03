/* pingpong/host.c - Host (Cortex-M33) side of the MHU + shared-memory ping-pong test.
 *
 * Releases the SE (unless the board runs it from reset), waits for its READY doorbell, then runs
 * PP_ROUNDS rounds: fill the request block in .shared, ring the SE, wait, check the SE's answer.
 * main() returns the number of failures, which becomes the semihosting exit code. */
#include <stdint.h>

#include "board_host.h"
#include "cpu.h"
#include "mhuv2.h"
#include "print.h"
#include "regs.h"
#include "scs.h"
#include "shared.h"

/* The shared block, at the start of the Host's .shared section (HOST_SHARED_BASE, NOLOAD). */
__attribute__((section(".shared"), aligned(32)))
struct pp_shared pp_shared;

/* Last doorbell word received from the SE; written by the MHU handler, 0 = none pending. */
volatile uint32_t pp_rx_word;

/* SE->Host receiver, combined interrupt (level: pending while CH_ST[0] != 0). */
void IRQ_HANDLER(HOST_IRQ_MHU_FROM_SE_COMB)(void)
{
    uint32_t v = mhu_recv_status(HOST_MHU_FROM_SE_RECV, 0);
    mhu_recv_clear(HOST_MHU_FROM_SE_RECV, 0);
    nvic_clear_pending_irq(HOST_IRQ_MHU_FROM_SE_COMB);
    if (v != 0u) {
        pp_rx_word = v;
    }
}

/* Sleep until the interrupt handler has stored a word, then take it. Race-free: the flag is
 * tested with interrupts masked, and WFI still wakes on the pending interrupt. */
static uint32_t wait_for_se(void)
{
    for (;;) {
        cpu_irq_disable();
        uint32_t v = pp_rx_word;
        if (v != 0u) {
            pp_rx_word = 0u;
            cpu_irq_enable();
            return v;
        }
        cpu_wfi();
        cpu_irq_enable();
    }
}

static void print_round(uint32_t round, const char *what)
{
    print_str("pingpong: round ");
    print_udec(round);
    print_str(what);
}

/* One round; returns 1 on failure (after printing why), 0 on success. */
static unsigned run_round(volatile struct pp_shared *sh, uint32_t round)
{
    for (uint32_t i = 0; i < PP_WORDS; i++) {
        sh->in[i] = pp_pattern(round, i);
        sh->out[i] = PP_POISON;
    }
    sh->out_round = 0u;
    sh->out_checksum = 0u;
    sh->nwords = PP_WORDS;
    sh->round = round;
    cpu_dmb();                              /* block visible before the doorbell */

    if (mhu_send(HOST_MHU_TO_SE_SENDER, 0, PP_MSG_REQ | round) != MHU_OK) {
        print_round(round, " send timeout\n");
        return 1u;
    }

    uint32_t reply = wait_for_se();
    cpu_dmb();                              /* doorbell seen before reading the reply */
    if (reply != (PP_MSG_ACK | round)) {
        print_round(round, " bad reply 0x");
        print_hex32(reply);
        print_nl();
        return 1u;
    }

    uint32_t sum = pp_checksum_init(round);
    for (uint32_t i = 0; i < PP_WORDS; i++) {
        uint32_t expect = pp_transform(pp_pattern(round, i), i, round);
        if (sh->out[i] != expect) {
            print_round(round, " MISMATCH at word ");
            print_udec(i);
            print_nl();
            return 1u;
        }
        sum = pp_checksum_step(sum, expect);
    }
    if (sh->out_round != round) {
        print_round(round, " MISMATCH in out_round\n");
        return 1u;
    }
    if (sh->out_checksum != sum) {
        print_round(round, " MISMATCH in checksum\n");
        return 1u;
    }

    print_round(round, " ok\n");
    return 0u;
}

int main(void)
{
    volatile struct pp_shared *sh = &pp_shared;
    unsigned failures = 0u;

    console_init(HOST_UART_BASE);
    print_str("pingpong: host up\n");

    if ((uintptr_t)sh != PP_SHARED_HOST_ADDR) {     /* the linker script guarantees this */
        print_str("pingpong: .shared misplaced\n");
        console_flush();
        return 255;
    }

    /* Listen to the SE before it can talk. */
    pp_rx_word = 0u;
    mhu_recv_unmask(HOST_MHU_FROM_SE_RECV, 0);
    nvic_set_priority(HOST_IRQ_MHU_FROM_SE_COMB, 0x80u);
    nvic_enable_irq(HOST_IRQ_MHU_FROM_SE_COMB);
#if !BOARD_SE_RUNS_FROM_RESET   /* else the SE boots at power-on and there is no SCC */
    /* Release the SE from reset; it boots from its own vector table. */
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CTRL) |= SCC_AZ_CTRL_DBGRESET_N | SCC_AZ_CTRL_HRESET_N;
#endif
    uint32_t ready = wait_for_se();
    if (ready != PP_MSG_READY) {
        print_str("pingpong: bad ready 0x");
        print_hex32(ready);
        print_nl();
        failures++;
    }

    for (uint32_t round = 1u; round <= PP_ROUNDS; round++) {
        failures += run_round(sh, round);
    }

    print_str("pingpong: host done, ");
    print_udec(failures);
    print_str(" failures\n");
    console_flush();
    return (int)failures;
}
