/* pingpong/shared.h - the contract between pingpong_host.elf and pingpong_se.elf:
 * doorbell words, shared-memory layout and the data transform both sides must agree on.
 *
 * Protocol (MHU channel 0 both ways, one whole 32-bit word per doorbell):
 *   SE -> Host  PP_MSG_READY                 once, after the SE is set up
 *   Host -> SE  PP_MSG_REQ | round           request block `in` is ready   (round 1..PP_ROUNDS)
 *   SE -> Host  PP_MSG_ACK | round           block `out` + checksum written
 *   SE -> Host  PP_MSG_NAK | round           request rejected (bad magic or header)
 */
#ifndef PINGPONG_SHARED_H
#define PINGPONG_SHARED_H

#include <stddef.h>
#include <stdint.h>

#define PP_ROUNDS           8u
#define PP_WORDS            64u

#define PP_MSG_READY        0x000000C3u
#define PP_MSG_REQ          0xA5CF5000u
#define PP_MSG_ACK          0xC605FC00u
#define PP_MSG_NAK          0x0BAD0000u
#define PP_MSG_ROUND_MASK   0x000000FFu     /* round number lives in the low byte */

/* Value the Host writes into the output block before each round. */
#define PP_POISON           0xDEADBEEFu

/* Host address of the layout below (start of the Host's .shared section): HOST_SHARED_BASE of
 * the board header. The SE reaches the same bytes at PP_SHARED_HOST_ADDR + HOST_TO_SE_ADDR_OFFSET
 * (its own view of the window; both from common/board_se.h or the board's replacement). */
#define PP_SHARED_HOST_ADDR HOST_SHARED_BASE

struct pp_shared {
    /* request: written by the Host */
    uint32_t round;                 /* 0x000: round number of the request */
    uint32_t nwords;                /* 0x004: PP_WORDS */
    uint32_t reserved0[14];         /* 0x008 */
    uint32_t in[PP_WORDS];          /* 0x040 */
    /* response: written by the SE */
    uint32_t out_round;             /* 0x140: round number the SE processed */
    uint32_t out_checksum;          /* 0x144: pp_checksum over out[] */
    uint32_t reserved1[14];         /* 0x148 */
    uint32_t out[PP_WORDS];         /* 0x180 */
};                                  /* 0x280 bytes */

_Static_assert(offsetof(struct pp_shared, round) == 0x000, "layout");
_Static_assert(offsetof(struct pp_shared, nwords) == 0x004, "layout");
_Static_assert(offsetof(struct pp_shared, in) == 0x040, "layout");
_Static_assert(offsetof(struct pp_shared, out_round) == 0x140, "layout");
_Static_assert(offsetof(struct pp_shared, out_checksum) == 0x144, "layout");
_Static_assert(offsetof(struct pp_shared, out) == 0x180, "layout");
_Static_assert(sizeof(struct pp_shared) == 0x280, "layout");

/* Input word i of a round, as the Host writes it. */
static inline uint32_t pp_pattern(uint32_t round, uint32_t i)
{
    uint32_t x = ((round + 1u) * 0x01000193u) ^ (i * 0x9E3779B9u) ^ 0x5A5A5A5Au;
    return x ^ (x >> 15);
}

/* Output word i: eight bit-steps of the reflected CRC-32 polynomial over (in, i, round),
 * then mixed with i and round again, so every output bit depends on all three. */
static inline uint32_t pp_transform(uint32_t in, uint32_t i, uint32_t round)
{
    uint32_t x = in ^ (i << 8) ^ round;
    for (unsigned b = 0; b < 8u; b++) {
        x = (x >> 1) ^ (0xEDB88320u & (0u - (x & 1u)));
    }
    return x ^ (i * 0x9E3779B9u) ^ (round << 24);
}

/* Checksum of the output block: rotate-xor-multiply over out[0..PP_WORDS-1] in order. */
static inline uint32_t pp_checksum_init(uint32_t round)
{
    return 0x811C9DC5u ^ round;
}

static inline uint32_t pp_checksum_step(uint32_t c, uint32_t w)
{
    c = ((c << 5) | (c >> 27)) ^ w;
    return c * 0x01000193u;
}

#endif /* PINGPONG_SHARED_H */
