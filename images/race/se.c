/* race/se.c - Secure Enclave (Cortex-M0+) side of the deliberately racy two-slot mailbox
 * (shared.h): poll both slots; answer each new request and set the slot's bit of
 * replied_slots with an unprotected read-modify-write. */
#include <stdint.h>

#include "board_se.h"
#include "cpu.h"
#include "print.h"
#include "shared.h"

/* The SE's view of the shared block (the Host's address moved into the SE's window). */
#define RACE_SHARED_SE_ADDR     SE_SHARED_BASE

/* THE BUG: read, work, write back, while the Host may clear another slot's bit in between. */
static void mark_replied(volatile struct race_shared *sh, uint32_t slot)
{
    uint32_t bits = sh->replied_slots;
    race_window();
    sh->replied_slots = bits | (1u << slot);
}

int main(void)
{
    volatile struct race_shared *sh = (volatile struct race_shared *)RACE_SHARED_SE_ADDR;
    uint32_t last[RACE_SLOTS] = {0u, 0u};

    console_init(SE_UART_BASE);
    print_str("race: se up\n");
    sh->se_ready = RACE_READY;
    for (;;) {
        for (uint32_t i = 0; i < RACE_SLOTS; i++) {
            uint32_t round = sh->request[i];
            if (round != last[i]) {
                last[i] = round;
                sh->reply[i] = race_answer(round, i);
                cpu_dmb();
                mark_replied(sh, i);
            }
        }
    }
}
