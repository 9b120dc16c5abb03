"""Cadence QSPI controller + MT25QL model, driven through the flash command registers the way
TF-M v1.3's qspi_ip6514e_drv.c / mt25ql_flash_lib.c drive them."""
from __future__ import annotations

import pytest
from flash_support import erased_store

from psaemu.peripherals import mt25ql as mt
from psaemu.peripherals.qspi_ip6514e import QspiIp6514e
from psaemu.platform.system.memory import Store

CFG, CMD_CTRL, CMD_ADDR, RD_LO, RD_HI, WR_LO, WR_HI = 0x00, 0x90, 0x94, 0xA0, 0xA4, 0xA8, 0xAC


@pytest.fixture
def store() -> Store:
    return erased_store("host.qspi_flash", 0x800000)


@pytest.fixture
def qspi(store: Store) -> QspiIp6514e:
    q = QspiIp6514e("qspi", store)
    q.write(CFG, 4, q.read(CFG, 4) | 1)           # qspi_ip6514e_enable()
    return q


def send(q: QspiIp6514e, opcode: int, *, read: int = 0, write: bytes = b"", addr: int | None = None,
         addr_bytes: int = 3, dummy: int = 0) -> bytes:
    """qspi_ip6514e_send_cmd(): build FLASH_CMD_CTRL, then set EXECUTE with a second write."""
    ctrl = opcode << 24 | dummy << 7
    if read:
        ctrl |= 1 << 23 | (read - 1) << 20
    if write:
        ctrl |= 1 << 15 | (len(write) - 1) << 12
        padded = write.ljust(8, b"\x00")
        q.write(WR_LO, 4, int.from_bytes(padded[:4], "little"))
        q.write(WR_HI, 4, int.from_bytes(padded[4:], "little"))
    if addr is not None:
        ctrl |= 1 << 19 | (addr_bytes - 1) << 16
        q.write(CMD_ADDR, 4, addr)
    q.write(CMD_CTRL, 4, ctrl)
    q.write(CMD_CTRL, 4, q.read(CMD_CTRL, 4) | 1)
    assert not q.read(CMD_CTRL, 4) & 0b11, "EXECUTE self-clears, never BUSY"
    data = q.read(RD_LO, 4).to_bytes(4, "little") + q.read(RD_HI, 4).to_bytes(4, "little")
    return data[:read]


def test_reset_values_and_idle(store: Store) -> None:
    q = QspiIp6514e("q", store)
    assert q.read(CFG, 4) == 0x80080080 and q.read(0x04, 4) == 0x080220EB
    assert q.read(0x08, 4) == 0x2 and q.read(0x14, 4) == 0x00101002
    q.write(CFG, 4, 0)
    assert q.read(CFG, 4) >> 31 == 1          # IDLE reads 1 whatever is written


def test_read_id_and_registers(qspi: QspiIp6514e) -> None:
    assert send(qspi, mt.READ_ID, read=3) == bytes((0x20, 0xBA, 0x17))
    assert send(qspi, mt.READ_STATUS, read=1) == b"\x00"
    assert send(qspi, mt.READ_FLAG_STATUS, read=1) == bytes([mt.FLAG_READY])
    assert send(qspi, mt.READ_VCR, read=1) == bytes([mt.VCR_RESET])
    assert send(qspi, mt.READ_EVCR, read=1) == bytes([mt.EVCR_RESET])


def test_write_enable_latch_gates_program_and_config(qspi: QspiIp6514e, store: Store) -> None:
    send(qspi, 0x02, write=b"\x00" * 4, addr=0x10)                        # no WREN: ignored
    assert store.read(0x10, 4) == b"\xff" * 4 and qspi.flash.ignored == 1
    send(qspi, mt.WRITE_ENABLE)
    assert send(qspi, mt.READ_STATUS, read=1)[0] & mt.STATUS_WEL
    send(qspi, mt.WRITE_VCR, write=b"\x8b")
    assert send(qspi, mt.READ_VCR, read=1) == b"\x8b"
    assert not send(qspi, mt.READ_STATUS, read=1)[0] & mt.STATUS_WEL      # consumed
    send(qspi, mt.WRITE_ENABLE)
    send(qspi, mt.WRITE_DISABLE)
    send(qspi, mt.WRITE_EVCR, write=b"\x00")
    assert send(qspi, mt.READ_EVCR, read=1) == bytes([mt.EVCR_RESET])


def test_page_program_ands_and_wraps_in_page(qspi: QspiIp6514e, store: Store) -> None:
    send(qspi, mt.WRITE_ENABLE)
    send(qspi, 0x02, write=bytes(range(1, 9)), addr=0x1FC)               # crosses 0x200: wraps to 0x100
    assert store.read(0x1FC, 4) == bytes((1, 2, 3, 4)) and store.read(0x100, 4) == bytes((5, 6, 7, 8))
    assert store.read(0x200, 4) == b"\xff" * 4
    send(qspi, mt.WRITE_ENABLE)
    send(qspi, 0x02, write=b"\xf0", addr=0x1FC)
    assert store.read(0x1FC, 1) == b"\x00"                                # 0x01 & 0xF0: bits only clear


def test_reads_plain_and_fast(qspi: QspiIp6514e, store: Store) -> None:
    store.write(0x7FFFFC, b"ABCD")
    store.write(0, b"EFGH")
    assert send(qspi, 0x03, read=8, addr=0x7FFFFC) == b"ABCDEFGH"       # wraps at the end
    assert send(qspi, 0x0B, read=5, addr=0x7FFFFD, dummy=8) == b"BCDEF"
    assert send(qspi, 0x0B, read=2, addr=0x017FFFFC, addr_bytes=3) == b"AB"   # 3 address bytes only


@pytest.mark.parametrize("opcode,size", [(0x20, 0x1000), (0x52, 0x8000), (0xD8, 0x10000)])
def test_sector_and_subsector_erase(qspi: QspiIp6514e, store: Store, opcode: int, size: int) -> None:
    store.fill(0, 0x80000, 0)
    send(qspi, mt.WRITE_ENABLE)
    send(qspi, opcode, addr=0x20000 + size + 5)
    base = 0x20000 + size
    assert store.read(base, size) == b"\xff" * size
    assert store.read(base - 1, 1) == b"\x00" and store.read(base + size, 1) == b"\x00"


def test_bulk_erase_and_unknown_opcode(qspi: QspiIp6514e, store: Store) -> None:
    store.fill(0, 16, 0)
    send(qspi, 0xC7)
    assert store.read(0, 16) == b"\x00" * 16                              # no WREN
    send(qspi, mt.WRITE_ENABLE)
    send(qspi, 0xC7)
    assert store.read(0, 16) == b"\xff" * 16
    ignored = qspi.flash.ignored
    assert send(qspi, 0xAB, read=1) == b"\xff"
    assert qspi.flash.ignored == ignored + 1


def test_disabled_controller_sends_nothing(qspi: QspiIp6514e) -> None:
    qspi.write(CFG, 4, qspi.read(CFG, 4) & ~1)
    send(qspi, mt.WRITE_ENABLE)
    assert qspi.ignored == 1 and not qspi.flash.status & mt.STATUS_WEL


def test_unmodelled_offsets_count_as_bus_errors(qspi: QspiIp6514e) -> None:
    qspi.write(0x60, 4, 1)                  # indirect read transfer control: not modelled
    assert qspi.bus_errors == [("write", 0x60, 4)]


def test_snapshot_restore_round_trip(qspi: QspiIp6514e, store: Store) -> None:
    send(qspi, mt.WRITE_ENABLE)
    state = qspi.snapshot()
    send(qspi, mt.WRITE_DISABLE)
    qspi.restore(state)
    assert send(qspi, mt.READ_STATUS, read=1)[0] & mt.STATUS_WEL
    assert qspi.snapshot()["flash"]["commands"][mt.READ_STATUS] == 1
