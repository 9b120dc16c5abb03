/* platform_config.h - the SE firmware's platform configuration block.
 *
 * One instance, `se_platform_config`, lives in flash in its own input section
 * `.se_platform_config` (output section of the same name in common/se.ld). The emulator may
 * overwrite its words after loading the image (find it by the ELF symbol or the section), so
 * the firmware reads it only through se_platform_cfg(), a volatile view: nothing is folded
 * into the code at compile time. All addresses are SE addresses. */
#ifndef SE_PLATFORM_CONFIG_H
#define SE_PLATFORM_CONFIG_H

#include <stdint.h>

#define SE_PLATFORM_CONFIG_MAGIC    0x53455043u     /* "SEPC" */
#define SE_PLATFORM_CONFIG_VERSION  5u       /* 2: the flags word; 3: mailbox_slots; 4: tfm_release;
                                                5: host_view */

/* Ranges of Host Non-secure RAM the Host proxy may pass IOVECs in by pointer (psaemu's lifted
 * "zero-copy"; SE view, read-write like ns_data; size 0 = unused). */
#define SE_HOST_VIEW_RANGES         2u

/* flags: the caller of a mailbox request is the message's client_id (which must be negative)
 * instead of -1; the Host proxy then forwards the real caller (psaemu's lifted "client-ids"). */
#define SE_CFG_FORWARD_CLIENT_IDS   (1u << 0)

struct se_platform_config {
    uint32_t magic;             /* SE_PLATFORM_CONFIG_MAGIC */
    uint32_t version;           /* SE_PLATFORM_CONFIG_VERSION */
    uint32_t ns_data_start;     /* Host shared memory (read-write NS memory), SE view */
    uint32_t ns_data_size;
    uint32_t ns_code_start;     /* Host image (read-only NS memory), SE view */
    uint32_t ns_code_size;
    uint32_t host_boot_vector;  /* Host address sent to the Host at boot */
    uint32_t storage_base;      /* SE storage flash (ITS, PS, NV counters) */
    uint32_t storage_size;
    uint32_t flags;             /* SE_CFG_* (version 2) */
    uint32_t mailbox_slots;     /* slots of the Host's mailbox queue, 1..MB_MAX_SLOTS (version 3) */
    uint32_t tfm_release;       /* TF-M release whose SE services the firmware models: 13..16 (version 4) */
    struct {
        uint32_t start;
        uint32_t size;
    } host_view[SE_HOST_VIEW_RANGES];   /* zero-copy IOVEC memory (version 5) */
};

/* Defaults (TF-M v1.3 Musca-B1 SE values; NS data size 0x5C000 as the real SE computes it). */
#define SE_DEFAULT_NS_DATA_START    0x38208000u
#define SE_DEFAULT_NS_DATA_SIZE     0x0005C000u
#define SE_DEFAULT_NS_CODE_START    0x38060000u
#define SE_DEFAULT_NS_CODE_SIZE     0x00080000u
#define SE_DEFAULT_HOST_BOOT_VECTOR 0x1A260400u
#define SE_DEFAULT_STORAGE_BASE     0x20000000u
#define SE_DEFAULT_STORAGE_SIZE     0x00010000u

extern const struct se_platform_config se_platform_config;

/* The configuration as the firmware must read it: every field access is a real load. */
static inline const volatile struct se_platform_config *se_platform_cfg(void)
{
    return (const volatile struct se_platform_config *)&se_platform_config;
}

/* The release the SE models (13 = TF-M v1.3.0 ... 16 = v1.6.0): stateless handles from 14,
 * v1.4+ crypto function ids and key attributes from 14, stateless PS/ITS/attestation from 15. */
static inline uint32_t se_tfm_release(void)
{
    uint32_t r = se_platform_cfg()->tfm_release;
    return r >= 13u && r <= 16u ? r : 13u;
}

#endif /* SE_PLATFORM_CONFIG_H */
