"""Musca-B1 SCC subset: SE release through az_ctrl, storage registers."""
from __future__ import annotations

import pytest

from psaemu.peripherals.scc import MuscaB1Scc

AZ_CTRL, AZ_OTP = 0x200, 0x210
BOOT_REMAP, DBGRESET_N, HRESET_N = 1 << 0, 1 << 7, 1 << 8


def make():
    scc = MuscaB1Scc("scc")
    events: list[bool] = []
    scc.connect("release", events.append)
    return scc, events


def test_release_emitted_once_when_both_bits_set():
    scc, events = make()
    scc.write(AZ_CTRL, 4, BOOT_REMAP)
    scc.write(AZ_CTRL, 4, BOOT_REMAP | HRESET_N)   # DBGRESET_N still low: held
    assert events == []
    scc.write(AZ_CTRL, 4, BOOT_REMAP | HRESET_N | DBGRESET_N)
    assert events == [True]
    scc.write(AZ_CTRL, 4, BOOT_REMAP | HRESET_N | DBGRESET_N)
    scc.write(AZ_CTRL, 4, HRESET_N | DBGRESET_N)   # other bits change: no new edge
    assert events == [True]
    assert scc.levels() == {"release": 1}


def test_hreset_low_holds_se_again():
    scc, events = make()
    scc.write(AZ_CTRL, 4, HRESET_N | DBGRESET_N)
    scc.write(AZ_CTRL, 4, DBGRESET_N)
    assert events == [True, False]
    scc.write(AZ_CTRL, 4, 0)
    assert events == [True, False]
    assert scc.levels() == {"release": 0}


def test_read_modify_write_sequence_like_bl0():
    scc, events = make()
    scc.write(AZ_CTRL, 4, scc.read(AZ_CTRL, 4) | BOOT_REMAP)
    scc.write(AZ_CTRL, 4, scc.read(AZ_CTRL, 4) | DBGRESET_N | HRESET_N)
    assert events == [True]
    assert scc.read(AZ_CTRL, 4) == BOOT_REMAP | DBGRESET_N | HRESET_N


@pytest.mark.parametrize("offset,value", [
    (0x064, 0x00A03800), (0x1E4, 0x0001FFFF), (0x1E8, 0x1A020000), (0x1EC, 0x003FFFFF),
    (0x1F0, 0x1A200000), (0x1F4, 0x00FFFFFF), (0x1F8, 0x52000000)])
def test_storage_registers_read_back(offset, value):
    scc, events = make()
    scc.write(offset, 4, value)
    assert scc.read(offset, 4) == value
    assert events == []


def test_otp_read_only():
    scc, _ = make()
    scc.write(AZ_OTP, 4, 0x1234)
    assert scc.read(AZ_OTP, 4) == 0
    assert scc.bus_errors == [("write", AZ_OTP, 4)]


def test_snapshot_restore_and_reset():
    scc, events = make()
    scc.write(AZ_CTRL, 4, HRESET_N | DBGRESET_N)
    snap = scc.snapshot()
    scc.write(AZ_CTRL, 4, 0)
    scc.restore(snap)
    assert events == [True, False]                 # restore does not emit
    assert scc.levels() == {"release": 1}
    scc.write(AZ_CTRL, 4, 0)                       # change relative to the restored state
    assert events == [True, False, False]
    scc.write(AZ_CTRL, 4, HRESET_N | DBGRESET_N)
    scc.reset()
    assert events[-1] is False
    assert scc.read(AZ_CTRL, 4) == 0
