/* storage.h - SE storage flash: NV counters (used by the platform service) and the asset
 * stores behind ITS and PS.
 *
 * The storage flash is memory-mapped at se_platform_config.storage_base (default 0x20000000,
 * 64 KiB) and is read at run time, so the emulator may move it. Layout (offsets from the base):
 *
 *   0x0000  ITS store   header 32 B, then 11 slots of (32 B header + 512 B data) = 0x1780 B
 *   0x4000  PS store    header 32 B, then 11 slots of (32 B header + 2048 B data) = 0x5980 B
 *   0xC000  NV counters 5 x u32 (counter 0..4), then the watermark 0xC0DE0042 at +20
 *   0xC018  .. end: unused
 *
 * Store header: magic, version, slot count, max data size (u32 each), rest 0. A store whose
 * header does not match is formatted (all slots freed, header written last).
 * Slot header: state (0x5A17C0DE = valid; any other value = free), seq, uid lo, uid hi,
 * client_id, flags, size, reserved. A store keeps at most 10 distinct assets; the 11th slot is
 * the spare a replacement is written into (data and header first, state last, then the old
 * slot is freed), so an interrupted write never damages another asset. If two valid slots
 * hold the same asset after an interruption, the one with the higher seq wins at mount. */
#ifndef SE_STORAGE_H
#define SE_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "spm.h"

/* ---- NV counters ---- */
#define NV_COUNTER_NUM          5u
#define NV_COUNTER_OK           0
#define NV_COUNTER_ERR_ID       1       /* id >= NV_COUNTER_NUM */
#define NV_COUNTER_ERR_MAX      2       /* the counter is at UINT32_MAX */
#define NV_COUNTER_ERR_STORAGE  3       /* storage region missing or too small */

/* NV counters 0..4 (0..2 PS, 3..4 bootloader). Both return 0 on success, nonzero on error
 * (unknown id, counter at its maximum, storage failure). */
extern int nv_counter_read(uint32_t id, uint32_t *value);
extern int nv_counter_increment(uint32_t id);

/* ---- asset stores (ITS and PS) ---- */
typedef enum { STORAGE_ITS = 0, STORAGE_PS = 1 } storage_area_t;

#define STORAGE_ITS_MAX_DATA    512u
#define STORAGE_PS_MAX_DATA     2048u
#define STORAGE_MAX_ASSETS      10u     /* per store */

typedef struct {
    uint32_t slot;          /* slot index */
    uint32_t size;
    uint32_t flags;
} storage_asset_t;

/* Find the asset (client_id, uid): PSA_SUCCESS, PSA_ERROR_DOES_NOT_EXIST or
 * PSA_ERROR_STORAGE_FAILURE (no usable storage region). */
psa_status_t storage_lookup(storage_area_t area, int32_t client_id, uint64_t uid,
                            storage_asset_t *asset);
/* Address of the asset's data in the memory-mapped flash (valid until the next write). */
const uint8_t *storage_data(storage_area_t area, const storage_asset_t *asset);

/* Writing an asset: begin (chooses a free slot; PSA_ERROR_INSUFFICIENT_STORAGE if the asset is
 * new and the store already holds STORAGE_MAX_ASSETS), append exactly `size` bytes in chunks,
 * commit. A write that is not committed leaves the store as it was. size must be <= the
 * store's max data size (the caller checks it). */
typedef struct {
    storage_area_t area;
    uint32_t slot;          /* slot being written */
    int32_t old_slot;       /* slot of the asset being replaced, or -1 */
    uint32_t size;
    uint32_t written;
} storage_write_t;

psa_status_t storage_write_begin(storage_write_t *w, storage_area_t area, int32_t client_id,
                                 uint64_t uid, uint32_t flags, uint32_t size);
void storage_write_data(storage_write_t *w, const void *buf, uint32_t n);
psa_status_t storage_write_commit(storage_write_t *w);

/* Remove the asset found by storage_lookup(). */
psa_status_t storage_remove(storage_area_t area, const storage_asset_t *asset);

#endif /* SE_STORAGE_H */
