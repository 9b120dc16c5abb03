"""GFC-100 eFlash controller model, driven at register level the way TF-M v1.3's
gfc100_eflash_drv.c drives it (poll STATUS, clear IRQ_STATUS between commands)."""
from __future__ import annotations

import pytest
from flash_support import erased_store

from psaemu.peripherals import gfc100 as g
from psaemu.platform.system.memory import Store

ADDR, CTRL, STATUS, DATA0 = 0x01C, 0x014, 0x018, 0x020
IRQ_ENABLE_SET, IRQ_ENABLE_CLR, IRQ_STATUS_SET, IRQ_STATUS_CLR, IRQ_MASKED = 0x0, 0x4, 0x8, 0xC, 0x10
PS_ERROR = 0x1018


@pytest.fixture
def store() -> Store:
    return erased_store("host.eflash0", 0x200000)


@pytest.fixture
def ctl(store: Store) -> g.Gfc100EFlash:
    return g.Gfc100EFlash("ef0", store)


def command(ctl: g.Gfc100EFlash, cmd: int, addr: int, data: int | None = None) -> int:
    """One command as check_cmd_result() runs it: returns STATUS's SUCCESS/FAIL bits."""
    ctl.write(ADDR, 4, addr)
    if data is not None:
        ctl.write(DATA0, 4, data)
    ctl.write(CTRL, 4, cmd)
    status = ctl.read(STATUS, 4)
    assert status & (g.ST_SUCCESS | g.ST_FAIL | g.ST_FINISH), "a command completes at once"
    if status & g.ST_FINISH:
        ctl.write(IRQ_STATUS_CLR, 4, g.IRQ_ALL)
        status = ctl.read(STATUS, 4)
    ctl.write(IRQ_STATUS_CLR, 4, g.IRQ_ALL)
    return status & (g.ST_SUCCESS | g.ST_FAIL)


def read_word(ctl: g.Gfc100EFlash, addr: int) -> bytes:
    assert command(ctl, g.CMD_READ, addr) == g.ST_SUCCESS
    return b"".join(ctl.read(DATA0 + 4 * i, 4).to_bytes(4, "little") for i in range(4))


def test_read_returns_the_aligned_128_bit_word(ctl: g.Gfc100EFlash, store: Store) -> None:
    store.write(0x40010, bytes(range(16)))
    assert read_word(ctl, 0x40013) == bytes(range(16))        # hardware aligns the address down
    assert ctl.read(DATA0 + 1, 1) == 1                         # byte reads of the data registers


def test_word_program_lands_in_the_store(ctl: g.Gfc100EFlash, store: Store) -> None:
    assert command(ctl, g.CMD_WRITE, 0x40004, 0xA1B2C3D4) == g.ST_SUCCESS
    assert store.read(0x40000, 8) == b"\xff\xff\xff\xff\xd4\xc3\xb2\xa1"
    assert command(ctl, g.CMD_ROW_WRITE, 0x40008, 0x01020304) == g.ST_SUCCESS
    assert store.read(0x40008, 4) == b"\x04\x03\x02\x01"
    assert ctl.read(PS_ERROR, 4) == g.ERR_NONE


def test_programming_a_non_erased_word_fails_and_keeps_it(ctl: g.Gfc100EFlash, store: Store) -> None:
    assert command(ctl, g.CMD_WRITE, 0x100, 0x0000FFFF) == g.ST_SUCCESS
    assert command(ctl, g.CMD_WRITE, 0x100, 0x00000000) == g.ST_FAIL
    assert ctl.read(PS_ERROR, 4) == g.ERR_NOT_ERASED
    assert store.read(0x100, 4) == b"\xff\xff\x00\x00"


def test_unaligned_and_out_of_range_commands_fail(ctl: g.Gfc100EFlash) -> None:
    assert command(ctl, g.CMD_WRITE, 0x102, 0) == g.ST_FAIL
    assert ctl.read(PS_ERROR, 4) == g.ERR_UNALIGNED
    assert command(ctl, g.CMD_READ, 0x200000 - 8) == g.ST_SUCCESS   # aligned down: inside
    assert command(ctl, g.CMD_ERASE, 0x1FFFFF) == g.ST_SUCCESS
    assert command(ctl, g.CMD_WRITE, 0x3FFFFC | g.EXTENDED_AREA, 0) == g.ST_FAIL
    assert ctl.read(PS_ERROR, 4) == g.ERR_RANGE


def test_bad_command_is_rejected_with_fail(ctl: g.Gfc100EFlash) -> None:
    ctl.write(IRQ_ENABLE_SET, 4, g.IRQ_REJECT)
    assert command(ctl, 0x5, 0) == g.ST_FAIL
    assert ctl.read(PS_ERROR, 4) == g.ERR_BAD_COMMAND
    ctl.write(CTRL, 4, 0x6)
    assert ctl.read(IRQ_MASKED, 4) == g.IRQ_REJECT


def test_page_erase_erases_one_16k_page(ctl: g.Gfc100EFlash, store: Store) -> None:
    store.fill(0x44000 - 4, 0x4008, 0)
    assert command(ctl, g.CMD_ERASE, 0x44123) == g.ST_SUCCESS
    assert store.read(0x44000, 0x4000) == b"\xff" * 0x4000
    assert store.read(0x44000 - 4, 4) == b"\x00" * 4 and store.read(0x48000, 4) == b"\x00" * 4


def test_mass_erase_main_and_info_area(ctl: g.Gfc100EFlash, store: Store) -> None:
    store.fill(0, 0x200000, 0x5A)
    assert command(ctl, g.CMD_WRITE, g.EXTENDED_AREA | 0x10, 0x12345678) == g.ST_SUCCESS
    assert read_word(ctl, g.EXTENDED_AREA | 0x10)[:4] == b"\x78\x56\x34\x12"
    assert command(ctl, g.CMD_MASS_ERASE, 0) == g.ST_SUCCESS           # main area only
    assert store.read(0, 0x200000) == b"\xff" * 0x200000
    assert read_word(ctl, g.EXTENDED_AREA | 0x10)[:4] == b"\x78\x56\x34\x12"
    assert command(ctl, g.CMD_MASS_ERASE, g.EXTENDED_AREA) == g.ST_SUCCESS
    assert read_word(ctl, g.EXTENDED_AREA | 0x10) == b"\xff" * 16


def test_unread_result_holds_the_next_one_behind_finish(ctl: g.Gfc100EFlash) -> None:
    ctl.write(ADDR, 4, 0)
    ctl.write(CTRL, 4, g.CMD_READ)
    assert ctl.read(STATUS, 4) == g.ST_ACCEPT | g.ST_SUCCESS
    ctl.write(ADDR, 4, 0x3FFFF0 | g.EXTENDED_AREA)                     # fails, but SUCCESS is unread
    ctl.write(CTRL, 4, g.CMD_READ)
    assert ctl.read(STATUS, 4) & (g.ST_FINISH | g.ST_FAIL) == g.ST_FINISH
    ctl.write(IRQ_STATUS_CLR, 4, g.IRQ_ALL)
    assert ctl.read(STATUS, 4) & (g.ST_FINISH | g.ST_FAIL | g.ST_SUCCESS) == g.ST_FAIL


def test_irq_output_follows_masked_status(ctl: g.Gfc100EFlash) -> None:
    levels: list[int] = []
    ctl.connect("irq", levels.append)
    ctl.write(IRQ_ENABLE_SET, 4, g.IRQ_SUCCESS)
    command(ctl, g.CMD_READ, 0)
    assert levels == [1, 0]
    ctl.write(IRQ_STATUS_SET, 4, g.IRQ_OVERFLOW)
    assert levels == [1, 0]                                           # not enabled
    ctl.write(IRQ_ENABLE_SET, 4, g.IRQ_ALL)
    ctl.write(IRQ_ENABLE_CLR, 4, g.IRQ_ALL)
    assert levels == [1, 0, 1, 0] and ctl.read(IRQ_ENABLE_SET, 4) == 0


def test_timing_registers_and_ids(ctl: g.Gfc100EFlash) -> None:
    ctl.write(0x1000, 4, 0x11082801)          # musca_b1_eflash_drv.c writes these at init
    assert ctl.read(0x1000, 4) == 0x11082801
    assert [ctl.read(0xFF0 + 4 * i, 4) for i in range(4)] == list(g.CIDR)
    ctl.read(0x30, 4)
    assert ctl.bus_errors == [("read", 0x30, 4)]


def test_snapshot_restore_round_trip(ctl: g.Gfc100EFlash) -> None:
    command(ctl, g.CMD_WRITE, g.EXTENDED_AREA, 0)
    ctl.write(ADDR, 4, 0x40)
    ctl.write(CTRL, 4, g.CMD_READ)
    ctl.write(CTRL, 4, g.CMD_READ)            # a result held behind FINISH
    state = ctl.snapshot()
    other = g.Gfc100EFlash("ef0b")
    other.restore(state)
    assert other.snapshot() == state
    assert other.read(STATUS, 4) == ctl.read(STATUS, 4)
    assert g.Gfc100EFlash("x").snapshot()["info"] is None            # erased info pages cost nothing


def test_store_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="0x10000 bytes"):
        g.Gfc100EFlash("ef", Store("small", 0x10000))
