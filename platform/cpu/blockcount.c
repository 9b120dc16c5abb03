/* Native UC_HOOK_BLOCK counter of executed Thumb instructions (psaemu, platform/cpu/blockcount.py).
 *
 * Unicorn calls psaemu_block at the start of every translated block it executes. The block's
 * instruction count is decoded from its code once (Thumb: a halfword >= 0xE800 starts a 32-bit
 * instruction) and kept in a small direct-mapped cache keyed by (address, size). A block that
 * would take the count past ``limit`` is not entered: the run stops at its start.
 */
#include <stddef.h>
#include <stdint.h>

#define SLOTS 16384u
#define CHUNK 1024u

typedef int (*mem_read_fn)(void *uc, uint64_t address, void *bytes, size_t size);
typedef int (*emu_stop_fn)(void *uc);

struct psaemu_bc {
    uint64_t count;        /* instructions of the blocks entered */
    uint64_t limit;        /* a block that would pass it stops the run at its start */
    uint64_t last_addr;    /* the last block entered: address, bytes, instructions */
    uint32_t last_size;
    uint32_t last_n;
    uint32_t stopped;      /* 1 once the limit stopped the run */
    uint32_t misses;       /* blocks decoded (cache misses) */
    uint32_t stop;         /* set from Python: stop at the next block start */
    uint32_t pad;
    mem_read_fn mem_read;
    emu_stop_fn emu_stop;
    uint64_t keys[SLOTS];
    uint32_t vals[SLOTS];
};

static uint32_t decode(struct psaemu_bc *s, void *uc, uint64_t addr, uint32_t size)
{
    uint8_t buf[CHUNK + 4];
    uint32_t n = 0, pos = 0;
    while (pos + 1 < size) {
        uint32_t take = size - pos > CHUNK ? CHUNK : size - pos;
        uint32_t i = 0;
        if (s->mem_read(uc, addr + pos, buf, take) != 0)
            return n + (size - pos) / 2;      /* unreadable: not expected for code that runs */
        while (i + 1 < take) {
            uint32_t hw = buf[i] | (uint32_t)buf[i + 1] << 8;
            i += hw >= 0xE800 ? 4 : 2;
            n++;
        }
        pos += i;
    }
    return n;
}

void psaemu_block(void *uc, uint64_t addr, uint32_t size, struct psaemu_bc *s)
{
    uint64_t key = (addr & 0xFFFFFFFFu) | (uint64_t)size << 32;
    uint32_t h = ((uint32_t)addr >> 1 ^ size * 0x9E3779B1u) & (SLOTS - 1);
    uint32_t n;
    if (s->keys[h] == key) {
        n = s->vals[h];
    } else {
        n = decode(s, uc, addr, size);
        s->keys[h] = key;
        s->vals[h] = n;
        s->misses++;
    }
    if (s->count + n > s->limit || s->stop) {
        s->stopped = 1;
        s->emu_stop(uc);
        return;
    }
    s->count += n;
    s->last_addr = addr;
    s->last_size = size;
    s->last_n = n;
}
