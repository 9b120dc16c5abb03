"""PSA status codes, client constants and platform enums against TF-M v1.3.0 (sources listed in psaemu.platform.psa_values)."""
from __future__ import annotations

import pytest

from psaemu.proxy import status
from psaemu.proxy.status import PsaStatus, TfmPlatErr, TfmPlatformErr, status_name

EXPECTED_STATUS = {
    "PSA_SUCCESS": 0, "PSA_SUCCESS_REBOOT": 1, "PSA_SUCCESS_RESTART": 2,
    "PSA_ERROR_PROGRAMMER_ERROR": -129, "PSA_ERROR_CONNECTION_REFUSED": -130,
    "PSA_ERROR_CONNECTION_BUSY": -131, "PSA_ERROR_GENERIC_ERROR": -132,
    "PSA_ERROR_NOT_PERMITTED": -133, "PSA_ERROR_NOT_SUPPORTED": -134,
    "PSA_ERROR_INVALID_ARGUMENT": -135, "PSA_ERROR_INVALID_HANDLE": -136,
    "PSA_ERROR_BAD_STATE": -137, "PSA_ERROR_BUFFER_TOO_SMALL": -138,
    "PSA_ERROR_ALREADY_EXISTS": -139, "PSA_ERROR_DOES_NOT_EXIST": -140,
    "PSA_ERROR_INSUFFICIENT_MEMORY": -141, "PSA_ERROR_INSUFFICIENT_STORAGE": -142,
    "PSA_ERROR_INSUFFICIENT_DATA": -143, "PSA_ERROR_SERVICE_FAILURE": -144,
    "PSA_ERROR_COMMUNICATION_FAILURE": -145, "PSA_ERROR_STORAGE_FAILURE": -146,
    "PSA_ERROR_HARDWARE_FAILURE": -147, "PSA_ERROR_INSUFFICIENT_ENTROPY": -148,
    "PSA_ERROR_INVALID_SIGNATURE": -149, "PSA_ERROR_INVALID_PADDING": -150,
    "PSA_ERROR_CORRUPTION_DETECTED": -151, "PSA_ERROR_DATA_CORRUPT": -152,
    "PSA_ERROR_DEPENDENCY_NEEDED": -156, "PSA_ERROR_CURRENTLY_INSTALLING": -157,
}


def test_every_status_value():
    assert {s.name: int(s) for s in PsaStatus} == EXPECTED_STATUS


@pytest.mark.parametrize("value, text", [
    (-141, "PSA_ERROR_INSUFFICIENT_MEMORY (-141)"),
    (0, "PSA_SUCCESS (0)"),
    (PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE, "PSA_ERROR_COMMUNICATION_FAILURE (-145)"),
    (0xFFFFFF73, "PSA_ERROR_INSUFFICIENT_MEMORY (-141)"),   # as read from r0
    (-200, "-200"),
    (3, "3"),
    (0x80000001, "-2147483647"),
])
def test_status_name(value, text):
    assert status_name(value) == text


def test_status_name_rejects_values_wider_than_32_bits():
    with pytest.raises(ValueError):
        status_name(1 << 32)


def test_int32_helpers():
    assert status.to_int32(0xFFFFFFFF) == -1
    assert status.to_int32(0x7FFFFFFF) == 0x7FFFFFFF
    assert status.to_uint32(-129) == 0xFFFFFF7F


def test_client_constants():
    assert status.PSA_FRAMEWORK_VERSION == 0x0101
    assert status.PSA_VERSION_NONE == 0
    assert status.PSA_NULL_HANDLE == 0
    assert status.PSA_MAX_IOVEC == 4
    assert (status.PSA_IPC_CALL, status.PSA_IPC_CONNECT, status.PSA_IPC_DISCONNECT) == (0, -1, -2)
    assert (status.PSA_POLL, status.PSA_BLOCK, status.PSA_WAIT_ANY, status.PSA_DOORBELL) == \
        (0x0, 0x80000000, 0xFFFFFFFF, 0x8)
    assert status.psa_handle_is_valid(1) and not status.psa_handle_is_valid(0)
    assert not status.psa_handle_is_valid(-130)


def test_platform_enums():
    assert {e.name: int(e) for e in TfmPlatformErr} == {
        "TFM_PLATFORM_ERR_SUCCESS": 0, "TFM_PLATFORM_ERR_SYSTEM_ERROR": 1,
        "TFM_PLATFORM_ERR_INVALID_PARAM": 2, "TFM_PLATFORM_ERR_NOT_SUPPORTED": 3}
    assert status.TFM_PLATFORM_ERR_FORCE_INT_SIZE == 2147483647
    assert {e.name: int(e) for e in TfmPlatErr} == {
        "TFM_PLAT_ERR_SUCCESS": 0, "TFM_PLAT_ERR_SYSTEM_ERR": 0x3A5C, "TFM_PLAT_ERR_MAX_VALUE": 0x55A3,
        "TFM_PLAT_ERR_INVALID_INPUT": 0xA3C5, "TFM_PLAT_ERR_UNSUPPORTED": 0xC35A}
