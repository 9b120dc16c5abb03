/* Native UC_HOOK_CODE recorder of Thumb register state (psaemu, platform/debug/regtrace.py).
 *
 * Unicorn calls psaemu_regs before every instruction it executes. The hook reads pc, r0-r12,
 * sp, lr and xpsr with one uc_reg_read_batch and appends a delta record to a growing word
 * buffer: a header word (bits 0-16: which of the 17 registers differ from the previous record,
 * pc counting as different when it is not the previous pc plus the previous size; bit 17: this
 * instruction is 32-bit) and then the value of each register that differs, in order.
 * Python moves the buffer to the trace file between runs (psaemu_rt_take) and frees it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NREGS 17
#define WIDE (1u << 17)

typedef int (*reg_read_batch_fn)(void *uc, int *regs, void **vals, int count);

struct psaemu_rt {
    uint32_t *buf;          /* records, NREGS + 1 words at most each */
    uint64_t used;          /* words used */
    uint64_t cap;           /* words allocated */
    uint64_t last;          /* word index of the last record */
    uint64_t records;       /* records appended since the start */
    uint32_t full;          /* 1: the next record carries every register */
    uint32_t failed;        /* 1: the buffer could not grow; records were lost */
    uint32_t next_pc;       /* the previous record's pc plus its size */
    uint32_t pad;
    reg_read_batch_fn reg_read_batch;
    int ids[NREGS];         /* Unicorn ids: pc, r0-r12, sp, lr, xpsr */
    uint32_t prev[NREGS];
};

static int grow(struct psaemu_rt *s)
{
    uint64_t cap = s->cap ? s->cap * 2 : 1u << 16;
    uint32_t *buf = realloc(s->buf, cap * 4);
    if (!buf) {
        s->failed = 1;
        return 0;
    }
    s->buf = buf;
    s->cap = cap;
    return 1;
}

void psaemu_regs(void *uc, uint64_t address, uint32_t size, struct psaemu_rt *s)
{
    uint32_t v[NREGS];
    void *p[NREGS];
    uint32_t mask = 0, *out;
    int i;
    if (s->cap - s->used < NREGS + 1 && !grow(s))
        return;
    for (i = 1; i < NREGS; i++) {
        v[i] = 0;
        p[i] = &v[i];
    }
    s->reg_read_batch(uc, s->ids + 1, p + 1, NREGS - 1);
    v[0] = (uint32_t)address;
    out = s->buf + s->used;
    s->last = s->used;
    if (s->full || v[0] != s->next_pc)
        mask = 1;
    for (i = 1; i < NREGS; i++)
        if (s->full || v[i] != s->prev[i])
            mask |= 1u << i;
    *out++ = mask | (size == 4 ? WIDE : 0);
    for (i = 0; i < NREGS; i++)
        if (mask >> i & 1)
            *out++ = v[i];
    memcpy(s->prev, v, sizeof v);
    s->used = (uint64_t)(out - s->buf);
    s->next_pc = v[0] + size;
    s->full = 0;
    s->records++;
}

void psaemu_rt_free(struct psaemu_rt *s)
{
    free(s->buf);
    s->buf = 0;
    s->cap = s->used = s->last = 0;
}
