/* Native counter of executed Thumb instructions for free runs (psaemu, platform/cpu/blockcount.py).
 *
 * Unicorn calls psaemu_block (a UC_HOOK_BLOCK) at the start of every translated block it executes.
 * The block's instructions are decoded from its code once and kept in a small direct-mapped cache
 * keyed by (address, size): the unconditional ones (IT itself included) are added at block entry;
 * the conditional instructions of an IT block are counted one by one by psaemu_cond, a
 * UC_HOOK_CODE installed over each IT block's range only (Unicorn decides at translation time
 * whether an instruction lies in a code hook's range, so no other instruction pays). Unicorn calls
 * code hooks for the instructions of an IT block whose condition passes and not for those whose
 * condition fails, as ``emu_start(count=)`` counts them, so the count is exact. An IT block not
 * hooked yet stops the run at the start of its block (``stopped`` 3, ``need_*``): the caller adds
 * the hook, drops the translated code of the range and runs on.
 *
 * A block that could take the count past ``limit`` is not entered: the run stops at its start.
 * Inside an IT block ``count=`` never stops: a slice whose count runs out there runs on to the IT
 * block's end, the rest of its executed instructions counted in no slice; in a block that could
 * hold a boundary of the virtual slices (``quantum`` instructions, the run starting ``phase`` into
 * one) psaemu_cond places each conditional instruction and does the same. Unicorn also defers an
 * ``emu_stop`` from an MMIO callback inside an IT block to the block's end, so a block with a
 * conditional load/store that could straddle a boundary is not entered (``stopped`` 2): it runs
 * counted.
 */
#include <stddef.h>
#include <stdint.h>

#define SLOTS 16384u
#define IT_SLOTS 4096u
#define CHUNK 2048u   /* a translated block holds at most 512 instructions */
#define COND_SHIFT 14
#define NMASK 0x3FFFu
#define HAS_IT 0x80000000u   /* flag in a cached count: the block holds an IT instruction */
#define NEED 0x40000000u     /* (not cached) an IT instruction without its code hook */
#define IT_MEM 0x20000000u   /* the block holds a load/store at or after its first conditional instruction */

/* Whether Thumb halfword ``hw`` starts a load/store (16-bit 0x4800-0x9FFF, push/pop, LDM/STM;
 * 32-bit 0xE8xx/0xE9xx, VLDR/VSTR/VLDM/VSTM 0xECxx/0xEDxx, 0xF8xx/0xF9xx). */
static int is_mem(uint32_t hw)
{
    if (hw >= 0xE800u)
        return (hw & 0xFE00u) == 0xE800u || (hw & 0xFE00u) == 0xEC00u || (hw & 0xFE00u) == 0xF800u;
    return (hw >= 0x4800u && hw < 0xA000u) || (hw & 0xF600u) == 0xB400u || hw >> 12 == 0xCu;
}

typedef int (*mem_read_fn)(void *uc, uint64_t address, void *bytes, size_t size);
typedef int (*emu_stop_fn)(void *uc);

struct psaemu_bc {
    uint64_t count;        /* instructions run: unconditional ones of the blocks entered, conditional ones executed */
    uint64_t limit;        /* a block that could pass it stops the run at its start */
    uint64_t last_addr;    /* the last block entered: address, bytes */
    uint32_t last_size;
    uint32_t last_n;       /* ... its instructions, conditional ones included (an upper bound of those run) */
    uint32_t stopped;      /* 1: the limit (or ``stop``), 2: an IT block at a slice boundary, 3: an IT block to hook */
    uint32_t misses;       /* blocks decoded (cache misses) */
    uint32_t stop;         /* set from Python: stop at the next block start */
    uint32_t hooked;       /* IT blocks hooked (entries of ``its``) */
    uint64_t last_start;   /* ``count`` when the last block was entered */
    uint64_t quantum;      /* virtual slice length (0: no IT check) */
    uint64_t phase;        /* instructions into a virtual slice when the run started */
    uint64_t need_it;      /* stopped 3: the IT instruction's address, */
    uint64_t need_last;    /* ... and its last conditional instruction's */
    mem_read_fn mem_read;
    emu_stop_fn emu_stop;
    uint64_t keys[SLOTS];
    uint32_t vals[SLOTS];
    uint32_t its[IT_SLOTS]; /* addresses | 1 of the hooked IT instructions (open addressing) */
    uint32_t its_end[IT_SLOTS]; /* ... their last conditional instructions' addresses */
    uint64_t skip_it;      /* the IT block whose conditional instructions count no more: IT address, */
    uint64_t skip_end;     /* ... its last conditional instruction's (0: none) */
    uint32_t last_u;       /* unconditional instructions of the last block entered */
    uint32_t exact;        /* the last block entered may hold a slice boundary: psaemu_cond places each */
};

static int is_it(uint32_t hw)
{
    return (hw & 0xFF00u) == 0xBF00u && (hw & 0xFu) != 0;   /* 0xBFxy, mask y != 0 (y == 0: hints) */
}

/* Conditional instructions an IT instruction ``hw`` covers (1-4: the mask's trailing-one position). */
static uint32_t it_len(uint32_t hw)
{
    uint32_t mask = hw & 0xFu, k = 4;
    while (!(mask & 1u)) { mask >>= 1; k--; }
    return k;
}

static uint32_t *it_slot(struct psaemu_bc *s, uint32_t addr)
{
    uint32_t h = (addr >> 1) * 0x9E3779B1u >> 20, i;
    for (i = 0; i < IT_SLOTS; i++) {
        uint32_t *slot = &s->its[(h + i) & (IT_SLOTS - 1)];
        if (*slot == 0 || *slot == (addr | 1u))
            return slot;
    }
    return NULL;
}

/* Record that the IT instruction at ``addr`` (last conditional instruction at ``last``) has its
 * code hook; 0 when the table is full. */
int psaemu_it_add(struct psaemu_bc *s, uint64_t addr, uint64_t last)
{
    uint32_t *slot = it_slot(s, (uint32_t)addr);
    if (slot == NULL)
        return 0;
    if (*slot == 0)
        s->hooked++;
    *slot = (uint32_t)addr | 1u;
    s->its_end[slot - s->its] = (uint32_t)last;
    return 1;
}

static int it_hooked(struct psaemu_bc *s, uint32_t addr)
{
    uint32_t *slot = it_slot(s, addr);
    return slot != NULL && *slot == (addr | 1u);
}

/* Bytes of the Thumb instruction starting with halfword ``hw``. */
#define INSN_LEN(hw) ((hw) >= 0xE800u ? 4u : 2u)

/* A block's counts from address ``from`` on: unconditional | conditional << COND_SHIFT | flags
 * (NEED: ``need_*`` set; ``need_last`` 0 when the IT block could not be read: run it counted).
 * An instruction is conditional when it lies in an IT block: one found in the block, or a hooked
 * one the block starts inside (a block split within an IT block). */
static uint32_t decode(struct psaemu_bc *s, void *uc, uint64_t addr, uint32_t size, uint64_t from)
{
    uint8_t buf[CHUNK + 12];
    uint32_t n = 0, c = 0, pos = 0, flags = 0, avail = size, d;
    uint64_t cond_end = 0;                    /* conditional while the address is <= it (in_it set) */
    int in_it = 0;                            /* an IT block is known (cond_end is valid) */
    s->need_last = 0;
    if (size > CHUNK || s->mem_read(uc, addr, buf, size) != 0)
        return NEED | HAS_IT;                 /* not expected: stop, run it counted */
    if (s->mem_read(uc, addr + size, buf + size, 8) == 0)
        avail = size + 8;                     /* an IT block may end in the next block */
    for (d = 2; d <= 14 && d <= addr; d += 2) {
        uint32_t *slot = it_slot(s, (uint32_t)(addr - d));
        if (slot != NULL && *slot == ((uint32_t)(addr - d) | 1u) && s->its_end[slot - s->its] >= addr) {
            cond_end = s->its_end[slot - s->its];
            in_it = 1;
            flags |= HAS_IT;
            break;
        }
    }
    while (pos + 1 < size) {
        uint32_t hw = buf[pos] | (uint32_t)buf[pos + 1] << 8;
        int counted = addr + pos >= from;
        if (in_it && addr + pos <= cond_end) {
            c += counted;
            if (is_mem(hw))
                flags |= IT_MEM;
        } else {
            n += counted;
            if (is_it(hw)) {
                uint32_t k = it_len(hw), p = pos + 2, last = pos + 2;
                for (; k && p + 1 < avail; k--) {
                    last = p;
                    p += INSN_LEN(buf[p] | (uint32_t)buf[p + 1] << 8);
                }
                flags |= HAS_IT;
                cond_end = addr + last;
                in_it = 1;
                if (!(flags & NEED) && (k || !it_hooked(s, (uint32_t)(addr + pos)))) {
                    flags |= NEED;
                    s->need_it = addr + pos;
                    s->need_last = k ? 0 : addr + last;
                }
            }
        }
        pos += INSN_LEN(hw);
    }
    if (n > NMASK || c > NMASK)
        return NEED | HAS_IT;
    return n | c << COND_SHIFT | flags;
}

/* decode() as a query: the ``need_*`` of the last stop stay as they were. */
static uint32_t decode_query(struct psaemu_bc *s, void *uc, uint64_t addr, uint32_t size, uint64_t from)
{
    uint64_t need_it = s->need_it, need_last = s->need_last;
    uint32_t v = decode(s, uc, addr, size, from);
    s->need_it = need_it;
    s->need_last = need_last;
    return v;
}

/* Unconditional instructions of a block from ``pc`` on (those counted at its entry that did not
 * run when the run left the block at ``pc``). */
uint32_t psaemu_cut(void *uc, uint64_t addr, uint32_t size, uint64_t pc, struct psaemu_bc *s)
{
    return decode_query(s, uc, addr, size, pc) & NMASK;
}

void psaemu_block(void *uc, uint64_t addr, uint32_t size, struct psaemu_bc *s)
{
    uint64_t key = (addr & 0xFFFFFFFFu) | (uint64_t)size << 32;
    uint32_t h = ((uint32_t)addr >> 1 ^ size * 0x9E3779B1u) & (SLOTS - 1);
    uint32_t v, n, total;
    if (s->stop) {
        s->stopped = 1;
        s->emu_stop(uc);
        return;
    }
    if (s->keys[h] == key) {
        v = s->vals[h];
    } else {
        v = decode(s, uc, addr, size, addr);
        s->misses++;
        if (v & NEED) {                       /* not cached: decoded again once the hook is in */
            s->stopped = s->need_last ? 3 : 2;
            s->emu_stop(uc);
            return;
        }
        s->keys[h] = key;
        s->vals[h] = v;
    }
    n = v & NMASK;
    total = n + (v >> COND_SHIFT & NMASK);
    if (s->count + total > s->limit || s->stop) {
        s->stopped = 1;
        s->emu_stop(uc);
        return;
    }
    if (!(addr > s->skip_it && addr <= s->skip_end))
        s->skip_end = 0;                      /* (a block split inside a skipped IT block goes on skipping) */
    s->exact = 0;
    if ((v & HAS_IT) && s->quantum && total) {
        uint64_t at = s->phase + s->count;
        if (at / s->quantum != (at + total - 1) / s->quantum) {
            if (v & IT_MEM) {                 /* an MMIO stop inside an IT block is deferred: counted */
                s->stopped = 2;
                s->emu_stop(uc);
                return;
            }
            s->exact = 1;
        } else if (at % s->quantum == 0) {
            s->exact = 1;
        }
    }
    s->last_u = n;
    s->last_start = s->count;
    s->count += n;
    s->last_addr = addr;
    s->last_size = size;
    s->last_n = total;
}

/* UC_HOOK_CODE over an IT block's conditional instructions: called for those that execute.
 * In a block that may hold a slice boundary (``exact``) each one is placed: one that would be the
 * first of a slice is not counted, nor are the rest of its IT block's, as ``count=`` (whose stop
 * request inside an IT block takes effect after the block; the next slice starts there). */
void psaemu_cond(void *uc, uint64_t addr, uint32_t size, struct psaemu_bc *s)
{
    uint64_t at;
    uint32_t d;
    (void)size;
    if (addr > s->skip_it && addr <= s->skip_end)
        return;
    if (!s->exact) {
        s->count++;
        return;
    }
    /* its position: the block's unconditional instructions after it are counted already */
    at = s->phase + s->count - (decode_query(s, uc, s->last_addr, s->last_size, addr + 1) & NMASK);
    if (at % s->quantum != 0) {
        s->count++;
        return;
    }
    for (d = 2; d <= 14 && d <= addr; d += 2) {
        uint32_t *slot = it_slot(s, (uint32_t)(addr - d));
        if (slot != NULL && *slot == ((uint32_t)(addr - d) | 1u) && s->its_end[slot - s->its] >= addr) {
            s->skip_it = addr - d;
            s->skip_end = s->its_end[slot - s->its];
            return;
        }
    }
    s->count++;                               /* not expected: every hooked range is in ``its`` */
}
