"""SIE-200 MPC: geometry registers, LUT access through BLK_IDX, auto-increment, lock-down, state."""
from __future__ import annotations

import pytest

from psaemu.peripherals.catalog import PeripheralConfigError, create
from psaemu.peripherals.mpc_sie200 import MpcSie200

CTRL, BLK_MAX, BLK_CFG, BLK_IDX, BLK_LUT = 0x000, 0x010, 0x014, 0x018, 0x01C
INT_STAT, INT_CLEAR, INT_SET = 0x020, 0x024, 0x034
AUTOINC, LOCK = 1 << 8, 1 << 31


def mpc(size: int = 0x200000, block: int = 0x4000) -> MpcSie200:
    return MpcSie200("mpc", size, block)


def test_geometry_as_the_driver_computes_it():
    m = mpc()
    # mpc_sie200_drv.c: block size = 1 << (BLK_CFG + 5); LUT words = BLK_MAX + 1
    assert 1 << (m.read(BLK_CFG, 4) + 5) == 0x4000
    assert (m.read(BLK_MAX, 4) + 1) * 32 * 0x4000 == 0x200000


def test_lut_words_select_non_secure_blocks():
    m = mpc()
    assert m.ns_blocks() == []
    # open 0x90000..0xDFFFF (TF-M's eFlash1 NS partition): blocks 36..55, words 1
    m.write(BLK_IDX, 4, 1)
    m.write(BLK_LUT, 4, ((1 << 24) - 1) << 4)
    assert m.read(BLK_LUT, 4) == 0x0FFFFFF0
    assert m.ns_blocks() == [(0x90000, 0x60000)]
    m.write(BLK_IDX, 4, 1)
    m.write(BLK_LUT, 4, ((1 << 20) - 1) << 4)
    assert m.ns_blocks() == [(0x90000, 0x50000)]


def test_autoincrement_walks_the_lut():
    m = mpc()
    m.write(CTRL, 4, AUTOINC)
    m.write(BLK_IDX, 4, 0)
    for word in range(3):
        m.write(BLK_LUT, 4, 0xFFFFFFFF)
    assert m.read(BLK_IDX, 4) == 3
    assert m.ns_blocks() == [(0, 3 * 32 * 0x4000)]
    m.read(BLK_LUT, 4)                         # the last word (BLK_MAX 3): wraps to 0
    assert m.read(BLK_IDX, 4) == 0
    assert m.peek(BLK_LUT) == 0xFFFFFFFF       # peek has no side effect
    assert m.read(BLK_IDX, 4) == 0


def test_lock_down_freezes_ctrl_and_lut_until_reset():
    m = mpc()
    m.write(CTRL, 4, LOCK)
    m.write(BLK_LUT, 4, 0xFFFFFFFF)
    m.write(CTRL, 4, 0)
    assert m.read(CTRL, 4) == LOCK and m.ns_blocks() == []
    m.reset()
    assert m.read(CTRL, 4) == 0


def test_interrupt_set_and_clear():
    m = mpc()
    m.write(INT_SET, 4, 1)
    assert m.read(INT_STAT, 4) == 1
    m.write(INT_CLEAR, 4, 1)
    assert m.read(INT_STAT, 4) == 0


def test_snapshot_restore_keeps_the_lut():
    m = mpc()
    m.write(BLK_LUT, 4, 0x3)
    state = m.snapshot()
    m.write(BLK_LUT, 4, 0)
    m.restore(state)
    assert m.ns_blocks() == [(0, 0x8000)] and m.read(BLK_LUT, 4) == 0x3


def test_catalog_checks_parameters():
    assert isinstance(create("mpc_sie200", "m", {"size": 0x20000, "block_size": 0x1000}, {}, {}), MpcSie200)
    with pytest.raises(PeripheralConfigError) as err:
        create("mpc_sie200", "m", {"size": 0x20000}, {}, {})
    assert err.value.key == "block_size"
    with pytest.raises(PeripheralConfigError, match="power of two"):
        create("mpc_sie200", "m", {"size": 0x20000, "block_size": 0x3000}, {}, {})
