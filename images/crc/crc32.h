/* crc/crc32.h - the CRC-32 benchmark kernel shared by crc_host.elf and crc_se.elf.
 * Standard reflected CRC-32 (polynomial 0xEDB88320, init and final xor 0xFFFFFFFF),
 * table-driven, carried across passes: the result is the CRC-32 of the buffer repeated
 * `passes` times. */
#ifndef CRC_CRC32_H
#define CRC_CRC32_H

#include <stdint.h>

#include "print.h"

#define CRC_PASSES_DEFAULT 8u

/* Deterministic contents: top byte of a 32-bit LCG (x = x * 1664525 + 1013904223). */
static inline void crc_fill(uint8_t *buf, uint32_t len)
{
    uint32_t x = 0x12345678u;
    for (uint32_t i = 0; i < len; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(x >> 24);
    }
}

static inline void crc32_make_table(uint32_t table[256])
{
    for (uint32_t n = 0; n < 256u; n++) {
        uint32_t c = n;
        for (unsigned b = 0; b < 8u; b++) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
        table[n] = c;
    }
}

static inline uint32_t crc32_update(const uint32_t table[256], uint32_t crc,
                                    const uint8_t *p, uint32_t len)
{
    while (len-- != 0u) {
        crc = table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    }
    return crc;
}

static inline uint32_t crc32_passes(const uint32_t table[256], const uint8_t *buf,
                                    uint32_t len, uint32_t passes)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < passes; i++) {
        crc = crc32_update(table, crc, buf, len);
    }
    return ~crc;
}

/* The benchmark of either core: fill buf, CRC it `passes` times, store the CRC in *result,
 * then print "crc: <core> 0x<crc>" and wait for the UART. */
static inline void crc_benchmark(const char *core, uint8_t *buf, uint32_t len,
                                 uint32_t table[256], uint32_t passes, volatile uint32_t *result)
{
    crc_fill(buf, len);
    crc32_make_table(table);
    uint32_t crc = crc32_passes(table, buf, len, passes);
    *result = crc;

    print_str("crc: ");
    print_str(core);
    print_str(" 0x");
    print_hex32(crc);
    print_nl();
    console_flush();
}

#endif /* CRC_CRC32_H */
