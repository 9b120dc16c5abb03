/* platform_config.c - the configuration block itself (see platform_config.h). */
#include "platform_config.h"

__attribute__((section(".se_platform_config"), used, aligned(4)))
const struct se_platform_config se_platform_config = {
    .magic = SE_PLATFORM_CONFIG_MAGIC,
    .version = SE_PLATFORM_CONFIG_VERSION,
    .ns_data_start = SE_DEFAULT_NS_DATA_START,
    .ns_data_size = SE_DEFAULT_NS_DATA_SIZE,
    .ns_code_start = SE_DEFAULT_NS_CODE_START,
    .ns_code_size = SE_DEFAULT_NS_CODE_SIZE,
    .host_boot_vector = SE_DEFAULT_HOST_BOOT_VECTOR,
    .storage_base = SE_DEFAULT_STORAGE_BASE,
    .storage_size = SE_DEFAULT_STORAGE_SIZE,
    .flags = 0u,
    .mailbox_slots = 1u,
    .tfm_release = 13u,
    .host_view = {{0u, 0u}, {0u, 0u}},
};

_Static_assert(sizeof(struct se_platform_config) == 64, "sixteen 32-bit words");
