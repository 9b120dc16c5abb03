/* psa/storage_common.h - types shared by the ITS and PS client APIs. */
#ifndef HOST_PSA_STORAGE_COMMON_H
#define HOST_PSA_STORAGE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"

typedef uint64_t psa_storage_uid_t;
typedef uint32_t psa_storage_create_flags_t;

#define PSA_STORAGE_FLAG_NONE                   0u
#define PSA_STORAGE_FLAG_WRITE_ONCE             (1u << 0)
#define PSA_STORAGE_FLAG_NO_CONFIDENTIALITY     (1u << 1)
#define PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION   (1u << 2)

#define PSA_STORAGE_SUPPORT_SET_EXTENDED        (1u << 0)

/* 12 bytes on the wire: capacity @0, size @4, flags @8. */
struct psa_storage_info_t {
    size_t capacity;
    size_t size;
    psa_storage_create_flags_t flags;
};

#endif /* HOST_PSA_STORAGE_COMMON_H */
