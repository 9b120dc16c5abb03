/* race/shared.h - the contract between race_host.elf and race_se.elf: a DELIBERATELY RACY
 * two-slot mailbox in shared memory, the example of schedule exploration (psaemu explore).
 *
 * The Host posts a request in each of two slots (request[i] = round); the SE answers each slot
 * (reply[i]) and sets bit i of replied_slots; the Host consumes each reply and clears its bit.
 * Both sides update replied_slots with a plain read-modify-write and some work between the read
 * and the write, with no exclusion (no LDREX/STREX, no interrupt masking, no lock): when one
 * core's update falls inside the other's, a bit is lost (the Host waits for a reply that never
 * comes) or comes back (the Host takes a stale reply). psaemu's default schedule runs each
 * side's update within one slice, so the image passes; other interleavings break it. */
#ifndef RACE_SHARED_H
#define RACE_SHARED_H

#include <stddef.h>
#include <stdint.h>

#define RACE_ROUNDS     16u
#define RACE_SLOTS      2u
#define RACE_WINDOW     12u         /* busy-loop iterations between the read and the write */
#define RACE_POLLS      200000u     /* polls of replied_slots before the Host gives up */

/* Exit statuses of the Host. */
#define RACE_OK         0
#define RACE_LOST       1           /* a reply's bit was lost: the Host waited in vain */
#define RACE_STALE      2           /* a bit came back: the Host saw a reply the SE had not written */
#define RACE_NO_SE      3           /* the SE never said it was ready */

struct race_shared {
    uint32_t request[RACE_SLOTS];   /* 0x00: written by the Host: the round of the slot's request */
    uint32_t reply[RACE_SLOTS];     /* 0x08: written by the SE: race_answer(round, slot) */
    uint32_t replied_slots;         /* 0x10: bit i = slot i has a reply (both sides read-modify-write) */
    uint32_t se_ready;              /* 0x14: RACE_READY once the SE polls */
};

_Static_assert(offsetof(struct race_shared, replied_slots) == 0x10, "layout");
_Static_assert(sizeof(struct race_shared) == 0x18, "layout");

#define RACE_READY      0x5EADu

/* The answer to the request of round `round` in slot `slot`. */
static inline uint32_t race_answer(uint32_t round, uint32_t slot)
{
    return (round * 0x9E3779B9u) ^ (slot + 1u) * 0x01000193u;
}

/* The work a side does between reading replied_slots and writing it back. */
static inline void race_window(void)
{
    for (volatile uint32_t k = 0; k < RACE_WINDOW; k++) {
    }
}

#endif /* RACE_SHARED_H */
