"""PSA status codes, PSA client constants and the platform service's result enums, as the proxy
layer names them; the values live in :mod:`psaemu.platform.psa_values`."""
from __future__ import annotations

from psaemu.platform.psa_values import (  # noqa: F401  (re-exported)
    PSA_BLOCK,
    PSA_DOORBELL,
    PSA_FRAMEWORK_VERSION,
    PSA_IPC_CALL,
    PSA_IPC_CONNECT,
    PSA_IPC_DISCONNECT,
    PSA_MAX_IOVEC,
    PSA_NULL_HANDLE,
    PSA_POLL,
    PSA_VERSION_NONE,
    PSA_WAIT_ANY,
    TFM_PLATFORM_ERR_FORCE_INT_SIZE,
    PsaStatus,
    TfmPlatErr,
    TfmPlatformErr,
    psa_handle_is_valid,
    status_name,
    to_int32,
    to_uint32,
)

__all__ = [
    "PsaStatus", "status_name", "to_int32", "to_uint32",
    "PSA_FRAMEWORK_VERSION", "PSA_VERSION_NONE", "PSA_NULL_HANDLE", "PSA_MAX_IOVEC",
    "PSA_IPC_CALL", "PSA_IPC_CONNECT", "PSA_IPC_DISCONNECT",
    "PSA_POLL", "PSA_BLOCK", "PSA_WAIT_ANY", "PSA_DOORBELL", "psa_handle_is_valid",
    "TfmPlatformErr", "TFM_PLATFORM_ERR_FORCE_INT_SIZE", "TfmPlatErr",
]
