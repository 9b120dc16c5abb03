/* Native UC_HOOK_BLOCK counter of executed Thumb instructions (psaemu, platform/cpu/blockcount.py).
 *
 * Unicorn calls psaemu_block at the start of every translated block it executes. The block's
 * instruction count is decoded from its code once (Thumb: a halfword >= 0xE800 starts a 32-bit
 * instruction; IT itself is not counted: ``emu_start(count=)`` skips an IT block's condition-failed
 * instructions, which a block counter cannot see, and for IT/ITE pairs that is one) and kept in a
 * small direct-mapped cache keyed by (address, size). A block that
 * would take the count past ``limit`` is not entered: the run stops at its start. So is a block
 * with an IT instruction that would straddle a boundary of the virtual slices (``quantum``
 * instructions, the run starting ``phase`` into one): inside an IT block Unicorn defers an
 * ``emu_stop`` from an MMIO callback to the end of the block (and ``count=`` runs on to the end of an
 * IT block), so such a block runs counted.
 */
#include <stddef.h>
#include <stdint.h>

#define SLOTS 16384u
#define CHUNK 1024u
#define HAS_IT 0x80000000u   /* flag in a cached count: the block holds an IT instruction */
#define IT_MEM 0x40000000u   /* ... and a load/store at or after its first IT instruction */
#define FLAGS (HAS_IT | IT_MEM)

/* Whether Thumb halfword ``hw`` starts a load/store (16-bit 0x4800-0x9FFF, push/pop, LDM/STM;
 * 32-bit 0xE8xx/0xE9xx, VLDR/VSTR/VLDM/VSTM 0xECxx/0xEDxx, 0xF8xx/0xF9xx). */
static int is_mem(uint32_t hw)
{
    uint32_t top = hw >> 12;
    if (hw >= 0xE800)
        return (hw & 0xFE00u) == 0xE800u || (hw & 0xFE00u) == 0xEC00u || (hw & 0xFE00u) == 0xF800u;
    return (hw >= 0x4800u && hw < 0xA000u) || (hw & 0xF600u) == 0xB400u || top == 0xC;
}

typedef int (*mem_read_fn)(void *uc, uint64_t address, void *bytes, size_t size);
typedef int (*emu_stop_fn)(void *uc);

struct psaemu_bc {
    uint64_t count;        /* instructions of the blocks entered */
    uint64_t limit;        /* a block that would pass it stops the run at its start */
    uint64_t last_addr;    /* the last block entered: address, bytes, instructions */
    uint32_t last_size;
    uint32_t last_n;
    uint32_t stopped;      /* 1 once the limit (or ``stop``) stopped the run, 2: an IT block at a boundary */
    uint32_t misses;       /* blocks decoded (cache misses) */
    uint32_t stop;         /* set from Python: stop at the next block start */
    uint32_t last_skip;    /* instructions of the last block count= would run uncounted (it_skip) */
    uint64_t quantum;      /* virtual slice length (0: no IT check) */
    uint64_t phase;        /* instructions into a virtual slice when the run started */
    mem_read_fn mem_read;
    emu_stop_fn emu_stop;
    uint64_t keys[SLOTS];
    uint32_t vals[SLOTS];
};

static uint32_t decode(struct psaemu_bc *s, void *uc, uint64_t addr, uint32_t size)
{
    uint8_t buf[CHUNK + 4];
    uint32_t n = 0, pos = 0, it = 0;
    while (pos + 1 < size) {
        uint32_t take = size - pos > CHUNK ? CHUNK : size - pos;
        uint32_t i = 0;
        if (s->mem_read(uc, addr + pos, buf, take) != 0)
            return (n + (size - pos) / 2) | HAS_IT;   /* unreadable: not expected; run it counted */
        while (i + 1 < take) {
            uint32_t hw = buf[i] | (uint32_t)buf[i + 1] << 8;
            if ((hw & 0xFF00u) == 0xBF00u && (hw & 0xFu) != 0)
                it |= HAS_IT;                 /* IT (0xBFxy, mask y != 0; y == 0 are hints): */
            else                              /* (stands for the failed one of an ITE) */
                n++;
            if (it && is_mem(hw))
                it |= IT_MEM;
            i += hw >= 0xE800 ? 4 : 2;
        }
        pos += i;
    }
    return n | it;
}

/* Instructions of a block (at virtual position ``at``) that count= runs past a slice end without
 * counting them: a slice that ends inside an IT block runs on to its end (the next one starts
 * there). ``~0u``: not computed (a block too long to read at once). */
static uint32_t it_skip(struct psaemu_bc *s, void *uc, uint64_t addr, uint32_t size, uint64_t at)
{
    uint8_t buf[CHUNK + 4];
    uint64_t p = at, q = s->quantum;
    uint32_t i = 0, skip = 0, cond = 0;
    if (size > CHUNK || s->mem_read(uc, addr, buf, size) != 0)
        return ~0u;
    while (i + 1 < size) {
        uint32_t hw = buf[i] | (uint32_t)buf[i + 1] << 8;
        i += hw >= 0xE800 ? 4 : 2;
        if (cond) {
            cond--;                               /* counted with its IT block */
        } else if ((hw & 0xFF00u) == 0xBF00u && (hw & 0xFu) != 0) {
            uint32_t mask = hw & 0xFu, k = 4;
            uint64_t b = (p / q + 1) * q;        /* the next slice end after p */
            while (!(mask & 1u)) { mask >>= 1; k--; }
            cond = k;
            if (b < p + k) {
                skip += (uint32_t)(p + k - b);
                p = b;
            } else {
                p += k;
            }
        } else {
            p++;
        }
    }
    return skip;
}

void psaemu_block(void *uc, uint64_t addr, uint32_t size, struct psaemu_bc *s)
{
    uint64_t key = (addr & 0xFFFFFFFFu) | (uint64_t)size << 32;
    uint32_t h = ((uint32_t)addr >> 1 ^ size * 0x9E3779B1u) & (SLOTS - 1);
    uint32_t v, n;
    if (s->keys[h] == key) {
        v = s->vals[h];
    } else {
        v = decode(s, uc, addr, size);
        s->keys[h] = key;
        s->vals[h] = v;
        s->misses++;
    }
    n = v & ~FLAGS;
    if (s->count + n > s->limit || s->stop) {
        s->stopped = 1;
        s->emu_stop(uc);
        return;
    }
    s->last_skip = 0;
    if ((v & HAS_IT) && s->quantum && n) {
        uint64_t at = s->phase + s->count;
        if (at / s->quantum != (at + n - 1) / s->quantum) {
            uint32_t skip = (v & IT_MEM) ? ~0u : it_skip(s, uc, addr, size, at);
            if (skip == ~0u) {                    /* a load/store in or after an IT block: counted */
                s->stopped = 2;
                s->emu_stop(uc);
                return;
            }
            n -= skip;
            s->last_skip = skip;
        }
    }
    s->count += n;
    s->last_addr = addr;
    s->last_size = size;
    s->last_n = n;
}
