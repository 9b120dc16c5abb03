"""Internal Trusted Storage through the PSA Proxy, from a scripted Host client."""
import pytest

from psaemu.proxy.client import PsaError
from psaemu.proxy.services import PSA_STORAGE_FLAG_WRITE_ONCE
from psaemu.proxy.status import PsaStatus

UID = 0x1001


def test_set_get(booted):
    assert booted.psa.its_set(UID, b"hello asset") == PsaStatus.PSA_SUCCESS
    assert booted.psa.its_get(UID) == b"hello asset"
    assert booted.psa.its_get_info(UID).size == len(b"hello asset")


def test_fresh_state_each_test(booted):
    # test_set_get wrote UID: the booted fixture restored the snapshot, so it is gone again.
    with pytest.raises(PsaError) as exc:
        booted.psa.its_get(UID)
    assert exc.value.status == PsaStatus.PSA_ERROR_DOES_NOT_EXIST


def test_remove(booted):
    booted.psa.its_set(UID, b"x")
    assert booted.psa.its_remove(UID) == PsaStatus.PSA_SUCCESS
    assert booted.psa.its_remove(UID) == PsaStatus.PSA_ERROR_DOES_NOT_EXIST


def test_write_once(booted):
    assert booted.psa.its_set(UID, b"fixed", PSA_STORAGE_FLAG_WRITE_ONCE) == PsaStatus.PSA_SUCCESS
    assert booted.psa.its_set(UID, b"other") == PsaStatus.PSA_ERROR_NOT_PERMITTED
    assert booted.psa.its_remove(UID) == PsaStatus.PSA_ERROR_NOT_PERMITTED
    assert booted.psa.its_get(UID) == b"fixed"
