/* storage.c - SE storage flash: NV counters and the ITS/PS asset stores (layout in storage.h).
 *
 * The flash is memory-mapped and written with plain stores (the emulator models it as memory
 * that may be backed by a file). Every access goes through volatile pointers so each store
 * really happens, in program order. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage.h"
#include "platform_config.h"
#include "lib/memfuncs.h"

/* ---- layout ---- */
#define ST_ITS_OFFSET           0x0000u
#define ST_ITS_AREA_SIZE        0x4000u
#define ST_PS_OFFSET            0x4000u
#define ST_PS_AREA_SIZE         0x8000u
#define ST_NV_OFFSET            0xC000u
#define ST_NV_SIZE              0x18u
#define ST_LAYOUT_END           (ST_NV_OFFSET + ST_NV_SIZE)

#define ST_STORE_HDR_SIZE       32u
#define ST_SLOT_HDR_SIZE        32u
#define ST_NUM_SLOTS            (STORAGE_MAX_ASSETS + 1u)   /* + the spare */

#define ST_ITS_SLOT_SIZE        (ST_SLOT_HDR_SIZE + STORAGE_ITS_MAX_DATA)
#define ST_PS_SLOT_SIZE         (ST_SLOT_HDR_SIZE + STORAGE_PS_MAX_DATA)

#define ST_ITS_MAGIC            0x31535449u     /* "ITS1" */
#define ST_PS_MAGIC             0x31305350u     /* "PS01" */
#define ST_FORMAT_VERSION       1u

#define ST_SLOT_VALID           0x5A17C0DEu
#define ST_SLOT_FREE            0x00000000u

#define NV_WATERMARK            0xC0DE0042u

_Static_assert(ST_ITS_SLOT_SIZE == 544u, "ITS slot size");
_Static_assert(ST_PS_SLOT_SIZE == 2080u, "PS slot size");
_Static_assert(ST_STORE_HDR_SIZE + ST_NUM_SLOTS * ST_ITS_SLOT_SIZE <= ST_ITS_AREA_SIZE,
               "ITS store fits its area");
_Static_assert(ST_STORE_HDR_SIZE + ST_NUM_SLOTS * ST_PS_SLOT_SIZE <= ST_PS_AREA_SIZE,
               "PS store fits its area");
_Static_assert(ST_ITS_OFFSET + ST_ITS_AREA_SIZE <= ST_PS_OFFSET, "ITS below PS");
_Static_assert(ST_PS_OFFSET + ST_PS_AREA_SIZE <= ST_NV_OFFSET, "PS below NV counters");
_Static_assert(ST_NV_SIZE == NV_COUNTER_NUM * 4u + 4u, "5 counters + watermark");
_Static_assert(ST_LAYOUT_END <= SE_DEFAULT_STORAGE_SIZE, "layout fits the default region");
_Static_assert((ST_ITS_SLOT_SIZE % 4u) == 0 && (ST_PS_SLOT_SIZE % 4u) == 0, "word-aligned slots");

/* Store header words */
enum { SH_MAGIC = 0, SH_VERSION = 1, SH_SLOTS = 2, SH_MAX_DATA = 3, SH_WORDS = 8 };
/* Slot header words */
enum { SL_STATE = 0, SL_SEQ = 1, SL_UID_LO = 2, SL_UID_HI = 3, SL_CLIENT = 4, SL_FLAGS = 5,
       SL_SIZE = 6, SL_RESERVED = 7 };

typedef struct {
    uint32_t offset;
    uint32_t magic;
    uint32_t max_data;
    uint32_t slot_size;
} st_geom_t;

static const st_geom_t st_geom[2] = {
    [STORAGE_ITS] = { ST_ITS_OFFSET, ST_ITS_MAGIC, STORAGE_ITS_MAX_DATA, ST_ITS_SLOT_SIZE },
    [STORAGE_PS]  = { ST_PS_OFFSET,  ST_PS_MAGIC,  STORAGE_PS_MAX_DATA,  ST_PS_SLOT_SIZE },
};

/* Per store: the region base it was mounted at (0 = not mounted). */
static uint32_t st_mounted_base[2];

/* Base address of the storage region, or 0 if it is missing or too small for the layout. */
static uint32_t st_base(void)
{
    const volatile struct se_platform_config *cfg = se_platform_cfg();
    uint32_t base = cfg->storage_base;
    uint32_t size = cfg->storage_size;

    if (base == 0u || (base & 3u) != 0u || size < ST_LAYOUT_END ||
        base + ST_LAYOUT_END < base) {
        return 0;
    }
    return base;
}

static volatile uint32_t *st_store_hdr(uint32_t base, storage_area_t area)
{
    return (volatile uint32_t *)(uintptr_t)(base + st_geom[area].offset);
}

static volatile uint32_t *st_slot_hdr(uint32_t base, storage_area_t area, uint32_t slot)
{
    const st_geom_t *g = &st_geom[area];
    return (volatile uint32_t *)(uintptr_t)(base + g->offset + ST_STORE_HDR_SIZE +
                                            slot * g->slot_size);
}

static volatile uint8_t *st_slot_data(uint32_t base, storage_area_t area, uint32_t slot)
{
    return (volatile uint8_t *)st_slot_hdr(base, area, slot) + ST_SLOT_HDR_SIZE;
}

static void st_format(uint32_t base, storage_area_t area)
{
    volatile uint32_t *h = st_store_hdr(base, area);
    uint32_t i;

    h[SH_MAGIC] = 0;                    /* invalid until the format is complete */
    for (i = 0; i < ST_NUM_SLOTS; i++) {
        volatile uint32_t *s = st_slot_hdr(base, area, i);
        uint32_t w;
        for (w = 0; w < ST_SLOT_HDR_SIZE / 4u; w++) {
            s[w] = 0;
        }
    }
    h[SH_VERSION] = ST_FORMAT_VERSION;
    h[SH_SLOTS] = ST_NUM_SLOTS;
    h[SH_MAX_DATA] = st_geom[area].max_data;
    for (i = SH_MAX_DATA + 1u; i < SH_WORDS; i++) {
        h[i] = 0;
    }
    h[SH_MAGIC] = st_geom[area].magic;  /* last */
}

static bool st_slot_valid(volatile const uint32_t *s, const st_geom_t *g)
{
    return s[SL_STATE] == ST_SLOT_VALID && s[SL_SIZE] <= g->max_data &&
           s[SL_FLAGS] <= 0xFFFFu;
}

static bool st_slot_is(volatile const uint32_t *s, int32_t client_id, uint64_t uid)
{
    return s[SL_UID_LO] == (uint32_t)uid && s[SL_UID_HI] == (uint32_t)(uid >> 32) &&
           (int32_t)s[SL_CLIENT] == client_id;
}

/* Mount a store: format it if its header is missing, drop damaged slots and the older copy of
 * any asset that is present twice (a replacement interrupted between commit and freeing the
 * old slot). Returns the base, or 0. */
static uint32_t st_mount(storage_area_t area)
{
    uint32_t base = st_base();
    const st_geom_t *g = &st_geom[area];
    volatile uint32_t *h;
    uint32_t i, j;

    if (base == 0u) {
        return 0;
    }
    h = st_store_hdr(base, area);
    if (st_mounted_base[area] == base && h[SH_MAGIC] == g->magic) {
        return base;
    }
    if (h[SH_MAGIC] != g->magic || h[SH_VERSION] != ST_FORMAT_VERSION ||
        h[SH_SLOTS] != ST_NUM_SLOTS || h[SH_MAX_DATA] != g->max_data) {
        st_format(base, area);
    }
    for (i = 0; i < ST_NUM_SLOTS; i++) {
        volatile uint32_t *s = st_slot_hdr(base, area, i);
        if (s[SL_STATE] == ST_SLOT_FREE) {
            continue;
        }
        if (!st_slot_valid(s, g)) {
            s[SL_STATE] = ST_SLOT_FREE;     /* never committed or damaged */
            continue;
        }
        for (j = i + 1u; j < ST_NUM_SLOTS; j++) {
            volatile uint32_t *t = st_slot_hdr(base, area, j);
            if (st_slot_valid(t, g) &&
                st_slot_is(t, (int32_t)s[SL_CLIENT],
                           ((uint64_t)s[SL_UID_HI] << 32) | s[SL_UID_LO])) {
                /* keep the newer one (sequence numbers compared with wrap-around) */
                if ((int32_t)(t[SL_SEQ] - s[SL_SEQ]) > 0) {
                    s[SL_STATE] = ST_SLOT_FREE;
                    break;
                }
                t[SL_STATE] = ST_SLOT_FREE;
            }
        }
    }
    st_mounted_base[area] = base;
    return base;
}

static int32_t st_find(uint32_t base, storage_area_t area, int32_t client_id, uint64_t uid)
{
    const st_geom_t *g = &st_geom[area];
    uint32_t i;

    for (i = 0; i < ST_NUM_SLOTS; i++) {
        volatile uint32_t *s = st_slot_hdr(base, area, i);
        if (st_slot_valid(s, g) && st_slot_is(s, client_id, uid)) {
            return (int32_t)i;
        }
    }
    return -1;
}

psa_status_t storage_lookup(storage_area_t area, int32_t client_id, uint64_t uid,
                            storage_asset_t *asset)
{
    uint32_t base = st_mount(area);
    int32_t slot;
    volatile uint32_t *s;

    if (base == 0u) {
        return PSA_ERROR_STORAGE_FAILURE;
    }
    slot = st_find(base, area, client_id, uid);
    if (slot < 0) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    s = st_slot_hdr(base, area, (uint32_t)slot);
    asset->slot = (uint32_t)slot;
    asset->size = s[SL_SIZE];
    asset->flags = s[SL_FLAGS];
    return PSA_SUCCESS;
}

const uint8_t *storage_data(storage_area_t area, const storage_asset_t *asset)
{
    /* only called after a successful storage_lookup(), so the store is mounted */
    return (const uint8_t *)st_slot_data(st_mounted_base[area], area, asset->slot);
}

psa_status_t storage_write_begin(storage_write_t *w, storage_area_t area, int32_t client_id,
                                 uint64_t uid, uint32_t flags, uint32_t size)
{
    uint32_t base = st_mount(area);
    const st_geom_t *g = &st_geom[area];
    uint32_t i, used = 0, seq = 0;
    int32_t free_slot = -1;
    bool have_seq = false;
    volatile uint32_t *s;

    if (base == 0u) {
        return PSA_ERROR_STORAGE_FAILURE;
    }
    if (size > g->max_data || flags > 0xFFFFu) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    w->area = area;
    w->old_slot = st_find(base, area, client_id, uid);
    for (i = 0; i < ST_NUM_SLOTS; i++) {
        s = st_slot_hdr(base, area, i);
        if (st_slot_valid(s, g)) {
            used++;
            if (!have_seq || (int32_t)(s[SL_SEQ] - seq) > 0) {
                seq = s[SL_SEQ];
                have_seq = true;
            }
        } else if (free_slot < 0) {
            free_slot = (int32_t)i;
        }
    }
    /* a new asset may not take the spare slot */
    if (free_slot < 0 || (w->old_slot < 0 && used >= STORAGE_MAX_ASSETS)) {
        return PSA_ERROR_INSUFFICIENT_STORAGE;
    }
    w->slot = (uint32_t)free_slot;
    w->size = size;
    w->written = 0;

    /* header of the new copy; the state stays FREE until the commit */
    s = st_slot_hdr(base, area, w->slot);
    s[SL_STATE] = ST_SLOT_FREE;
    s[SL_SEQ] = seq + 1u;     /* newer than every live copy */
    s[SL_UID_LO] = (uint32_t)uid;
    s[SL_UID_HI] = (uint32_t)(uid >> 32);
    s[SL_CLIENT] = (uint32_t)client_id;
    s[SL_FLAGS] = flags;
    s[SL_SIZE] = size;
    s[SL_RESERVED] = 0;
    return PSA_SUCCESS;
}

void storage_write_data(storage_write_t *w, const void *buf, uint32_t n)
{
    volatile uint8_t *d = st_slot_data(st_mounted_base[w->area], w->area, w->slot);
    const uint8_t *src = buf;

    if (n > w->size - w->written) {
        n = w->size - w->written;
    }
    d += w->written;
    w->written += n;
    while (n--) {
        *d++ = *src++;
    }
}

psa_status_t storage_write_commit(storage_write_t *w)
{
    uint32_t base = st_mounted_base[w->area];
    volatile uint32_t *s;

    if (base == 0u || w->written != w->size) {
        return PSA_ERROR_GENERIC_ERROR;     /* nothing committed: the store is unchanged */
    }
    s = st_slot_hdr(base, w->area, w->slot);
    s[SL_STATE] = ST_SLOT_VALID;            /* the new copy is live from here */
    if (w->old_slot >= 0) {
        st_slot_hdr(base, w->area, (uint32_t)w->old_slot)[SL_STATE] = ST_SLOT_FREE;
    }
    return PSA_SUCCESS;
}

psa_status_t storage_remove(storage_area_t area, const storage_asset_t *asset)
{
    uint32_t base = st_mount(area);

    if (base == 0u) {
        return PSA_ERROR_STORAGE_FAILURE;
    }
    st_slot_hdr(base, area, asset->slot)[SL_STATE] = ST_SLOT_FREE;
    return PSA_SUCCESS;
}

/* ---- NV counters ---- */

static volatile uint32_t *nv_area(void)
{
    uint32_t base = st_base();
    volatile uint32_t *nv;
    uint32_t i;

    if (base == 0u) {
        return NULL;
    }
    nv = (volatile uint32_t *)(uintptr_t)(base + ST_NV_OFFSET);
    if (nv[NV_COUNTER_NUM] != NV_WATERMARK) {
        /* first use of this flash: all counters start at 0 (watermark written last) */
        for (i = 0; i < NV_COUNTER_NUM; i++) {
            nv[i] = 0;
        }
        nv[NV_COUNTER_NUM] = NV_WATERMARK;
    }
    return nv;
}

int nv_counter_read(uint32_t id, uint32_t *value)
{
    volatile uint32_t *nv;

    if (id >= NV_COUNTER_NUM || value == NULL) {
        return NV_COUNTER_ERR_ID;
    }
    nv = nv_area();
    if (nv == NULL) {
        return NV_COUNTER_ERR_STORAGE;
    }
    *value = nv[id];
    return NV_COUNTER_OK;
}

int nv_counter_increment(uint32_t id)
{
    volatile uint32_t *nv;
    uint32_t v;

    if (id >= NV_COUNTER_NUM) {
        return NV_COUNTER_ERR_ID;
    }
    nv = nv_area();
    if (nv == NULL) {
        return NV_COUNTER_ERR_STORAGE;
    }
    v = nv[id];
    if (v == UINT32_MAX) {
        return NV_COUNTER_ERR_MAX;
    }
    nv[id] = v + 1u;
    return NV_COUNTER_OK;
}
