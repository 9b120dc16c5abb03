/* race/host.c - Host (Cortex-M33) side of the deliberately racy two-slot mailbox (shared.h).
 *
 * Releases the SE, then runs RACE_ROUNDS rounds: post both slots, wait for each reply, check
 * it and clear the slot's bit of replied_slots with an unprotected read-modify-write. main()
 * returns RACE_OK, or RACE_LOST / RACE_STALE when the race bit (see shared.h). */
#include <stdint.h>

#include "board_host.h"
#include "cpu.h"
#include "print.h"
#include "regs.h"
#include "shared.h"

/* The shared block, at the start of the Host's .shared section (HOST_SHARED_BASE, NOLOAD). */
__attribute__((section(".shared"), aligned(32)))
struct race_shared race_shared;

static void report(const char *what, uint32_t round, uint32_t slot, uint32_t bits)
{
    print_str("race: round ");
    print_udec(round);
    print_str(" slot ");
    print_udec(slot);
    print_str(what);
    print_hex32(bits);
    print_nl();
}

/* Poll until bit `slot` of replied_slots is set; 0 if it never is. */
static int wait_reply(volatile struct race_shared *sh, uint32_t slot)
{
    for (uint32_t n = 0; n < RACE_POLLS; n++) {
        if (sh->replied_slots & (1u << slot)) {
            return 1;
        }
    }
    return 0;
}

/* THE BUG: read, work, write back, while the SE may set another slot's bit in between. */
static void consume(volatile struct race_shared *sh, uint32_t slot)
{
    uint32_t bits = sh->replied_slots;
    race_window();
    sh->replied_slots = bits & ~(1u << slot);
}

int main(void)
{
    volatile struct race_shared *sh = &race_shared;

    console_init(HOST_UART_BASE);
    print_str("race: host up\n");
    for (uint32_t i = 0; i < RACE_SLOTS; i++) {
        sh->request[i] = 0u;
        sh->reply[i] = 0u;
    }
    sh->replied_slots = 0u;
    sh->se_ready = 0u;
    cpu_dmb();
#if !BOARD_SE_RUNS_FROM_RESET
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CTRL) |= SCC_AZ_CTRL_DBGRESET_N | SCC_AZ_CTRL_HRESET_N;
#endif
    uint32_t n = 0;
    while (sh->se_ready != RACE_READY) {
        if (++n == RACE_POLLS) {
            print_str("race: the SE never got ready\n");
            console_flush();
            return RACE_NO_SE;
        }
    }

    for (uint32_t round = 1u; round <= RACE_ROUNDS; round++) {
        for (uint32_t i = 0; i < RACE_SLOTS; i++) {
            sh->reply[i] = 0u;
        }
        cpu_dmb();
        for (uint32_t i = 0; i < RACE_SLOTS; i++) {
            sh->request[i] = round;
        }
        for (uint32_t i = 0; i < RACE_SLOTS; i++) {
            if (!wait_reply(sh, i)) {
                report(": reply lost, replied_slots=0x", round, i, sh->replied_slots);
                console_flush();
                return RACE_LOST;
            }
            cpu_dmb();
            if (sh->reply[i] != race_answer(round, i)) {
                report(": stale reply, replied_slots=0x", round, i, sh->replied_slots);
                console_flush();
                return RACE_STALE;
            }
            consume(sh, i);
        }
    }
    print_str("race: ");
    print_udec(RACE_ROUNDS);
    print_str(" rounds ok\n");
    console_flush();
    return RACE_OK;
}
