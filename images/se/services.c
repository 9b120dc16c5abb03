/* services.c - the SE service registry: the 16 RoT services the Host proxy forwards
 * (TF-M v1.3 manifests: all connection-based, version 1, policy STRICT; NV counter is not
 * open to non-secure callers, and every mailbox caller is non-secure). */
#include <stdbool.h>
#include <stddef.h>

#include "spm.h"

const se_service_t se_services[] = {
    { 0x00000080u, 1u, true,  crypto_call,           "TFM_CRYPTO" },
    { 0x00000020u, 1u, true,  attest_get_token,      "TFM_ATTEST_GET_TOKEN" },
    { 0x00000021u, 1u, true,  attest_get_token_size, "TFM_ATTEST_GET_TOKEN_SIZE" },
    { 0x00000022u, 1u, true,  attest_get_public_key, "TFM_ATTEST_GET_PUBLIC_KEY" },
    { 0x00000070u, 1u, true,  its_set,               "TFM_ITS_SET" },
    { 0x00000071u, 1u, true,  its_get,               "TFM_ITS_GET" },
    { 0x00000072u, 1u, true,  its_get_info,          "TFM_ITS_GET_INFO" },
    { 0x00000073u, 1u, true,  its_remove,            "TFM_ITS_REMOVE" },
    { 0x00000040u, 1u, true,  platform_system_reset, "TFM_SP_PLATFORM_SYSTEM_RESET" },
    { 0x00000041u, 1u, true,  platform_ioctl,        "TFM_SP_PLATFORM_IOCTL" },
    { 0x00000042u, 1u, false, platform_nv_counter,   "TFM_SP_PLATFORM_NV_COUNTER" },
    { 0x00000060u, 1u, true,  ps_set,                "TFM_PS_SET" },
    { 0x00000061u, 1u, true,  ps_get,                "TFM_PS_GET" },
    { 0x00000062u, 1u, true,  ps_get_info,           "TFM_PS_GET_INFO" },
    { 0x00000063u, 1u, true,  ps_remove,             "TFM_PS_REMOVE" },
    { 0x00000064u, 1u, true,  ps_get_support,        "TFM_PS_GET_SUPPORT" },
};

const size_t se_service_count = sizeof(se_services) / sizeof(se_services[0]);
