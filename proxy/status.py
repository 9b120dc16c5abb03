"""PSA status codes, PSA client constants and the platform service's result enums.

Values: tfm-facts §8 (``psa/client.h``, ``psa/error.h``, ``psa/service.h`` of TF-M v1.3; the same
in v1.5/v1.6) and tfm-client-abi §6.5 (the extra crypto error codes -148..-152) and §8
(``enum tfm_platform_err_t``, ``enum tfm_plat_err_t``).
"""
from __future__ import annotations

from enum import IntEnum

__all__ = [
    "PsaStatus", "status_name", "to_int32", "to_uint32",
    "PSA_FRAMEWORK_VERSION", "PSA_VERSION_NONE", "PSA_NULL_HANDLE", "PSA_MAX_IOVEC",
    "PSA_IPC_CALL", "PSA_IPC_CONNECT", "PSA_IPC_DISCONNECT",
    "PSA_POLL", "PSA_BLOCK", "PSA_WAIT_ANY", "PSA_DOORBELL", "psa_handle_is_valid",
    "TfmPlatformErr", "TFM_PLATFORM_ERR_FORCE_INT_SIZE", "TfmPlatErr",
]


class PsaStatus(IntEnum):
    """``psa_status_t`` values (int32) of the PSA client, service and crypto APIs."""

    PSA_SUCCESS = 0
    PSA_SUCCESS_REBOOT = 1
    PSA_SUCCESS_RESTART = 2
    PSA_ERROR_PROGRAMMER_ERROR = -129
    PSA_ERROR_CONNECTION_REFUSED = -130
    PSA_ERROR_CONNECTION_BUSY = -131
    PSA_ERROR_GENERIC_ERROR = -132
    PSA_ERROR_NOT_PERMITTED = -133
    PSA_ERROR_NOT_SUPPORTED = -134
    PSA_ERROR_INVALID_ARGUMENT = -135
    PSA_ERROR_INVALID_HANDLE = -136
    PSA_ERROR_BAD_STATE = -137
    PSA_ERROR_BUFFER_TOO_SMALL = -138
    PSA_ERROR_ALREADY_EXISTS = -139
    PSA_ERROR_DOES_NOT_EXIST = -140
    PSA_ERROR_INSUFFICIENT_MEMORY = -141
    PSA_ERROR_INSUFFICIENT_STORAGE = -142
    PSA_ERROR_INSUFFICIENT_DATA = -143
    PSA_ERROR_SERVICE_FAILURE = -144
    PSA_ERROR_COMMUNICATION_FAILURE = -145
    PSA_ERROR_STORAGE_FAILURE = -146
    PSA_ERROR_HARDWARE_FAILURE = -147
    PSA_ERROR_INSUFFICIENT_ENTROPY = -148
    PSA_ERROR_INVALID_SIGNATURE = -149
    PSA_ERROR_INVALID_PADDING = -150
    PSA_ERROR_CORRUPTION_DETECTED = -151
    PSA_ERROR_DATA_CORRUPT = -152
    PSA_ERROR_DEPENDENCY_NEEDED = -156
    PSA_ERROR_CURRENTLY_INSTALLING = -157


def to_int32(value: int) -> int:
    """Read a 32-bit register value (0..0xFFFFFFFF) or an int32 as a signed int32."""
    if not -(1 << 31) <= value <= 0xFFFFFFFF:
        raise ValueError(f"{value} does not fit in 32 bits")
    return value - (1 << 32) if value >= (1 << 31) else value


def to_uint32(value: int) -> int:
    """The 32-bit register image of an int32 (or of an already unsigned value)."""
    return to_int32(value) & 0xFFFFFFFF


def status_name(value: int) -> str:
    """``"PSA_ERROR_INSUFFICIENT_MEMORY (-141)"``; unknown values as their signed number."""
    signed = to_int32(value)
    try:
        return f"{PsaStatus(signed).name} ({signed})"
    except ValueError:
        return str(signed)


# --- PSA client API constants (psa/client.h, psa/service.h) ------------------------------
PSA_FRAMEWORK_VERSION = 0x0101
PSA_VERSION_NONE = 0
PSA_NULL_HANDLE = 0          # psa_handle_t is int32_t
PSA_MAX_IOVEC = 4
PSA_IPC_CALL = 0
PSA_IPC_CONNECT = -1
PSA_IPC_DISCONNECT = -2
PSA_POLL = 0x00000000
PSA_BLOCK = 0x80000000
PSA_WAIT_ANY = 0xFFFFFFFF
PSA_DOORBELL = 0x00000008


def psa_handle_is_valid(handle: int) -> bool:
    """``PSA_HANDLE_IS_VALID(h)``: a handle is valid when it is positive."""
    return handle > 0


# --- Platform service (tfm_platform_api.h, tfm_plat_defs.h) ------------------------------
class TfmPlatformErr(IntEnum):
    """``enum tfm_platform_err_t``: the platform service replies with these as positive statuses."""

    TFM_PLATFORM_ERR_SUCCESS = 0
    TFM_PLATFORM_ERR_SYSTEM_ERROR = 1
    TFM_PLATFORM_ERR_INVALID_PARAM = 2
    TFM_PLATFORM_ERR_NOT_SUPPORTED = 3


TFM_PLATFORM_ERR_FORCE_INT_SIZE = 0x7FFFFFFF   # INT_MAX: only forces the enum to 4 bytes


class TfmPlatErr(IntEnum):
    """``enum tfm_plat_err_t``: results of the platform HAL (e.g. the NV counter functions)."""

    TFM_PLAT_ERR_SUCCESS = 0
    TFM_PLAT_ERR_SYSTEM_ERR = 0x3A5C
    TFM_PLAT_ERR_MAX_VALUE = 0x55A3
    TFM_PLAT_ERR_INVALID_INPUT = 0xA3C5
    TFM_PLAT_ERR_UNSUPPORTED = 0xC35A
