"""Micron MT25QL serial NOR flash (Musca-B1's 8 MiB QSPI flash), as the QSPI controller drives it.

Not a bus peripheral: the device sits behind :class:`psaemu.peripherals.qspi_ip6514e.QspiIp6514e`,
which hands it one command at a time (opcode, optional address, bytes written, bytes to read).
The command set is the one TF-M v1.3 ``platform/ext/target/musca_b1/common/Libraries/
mt25ql_flash_lib.c`` issues (opcodes at lines 36-50), plus READ ID, READ STATUS, WRITE DISABLE
and CLEAR FLAG STATUS from the MT25QL datasheet's command table.

Modelling choices:

* Program and erase complete at once: status ``WIP`` is never set and flag status ``READY``
  (bit 7) always reads 1.
* PAGE PROGRAM (0x02, 0x32) and the erases (0x20 4 KiB, 0x52 32 KiB, 0xD8 64 KiB, 0xC7/0x60
  bulk) and the volatile/enhanced-volatile configuration writes (0x81, 0x61) need the write
  enable latch (0x06); without it the command is ignored (as the datasheet says) and counted in
  ``ignored``. Each of them clears the latch. Program ANDs the data into the flash (bits only go
  from 1 to 0) and wraps inside its 256-byte page.
* Reads (0x03, 0x0B, 0x3B, 0x6B) return the bytes from the address on and wrap at the end of
  the device. Dummy cycles and the SPI/dual/quad line modes are accepted as given: a
  mismatch with the configuration registers is not modelled.
* Unknown opcodes are ignored and counted in ``ignored``; every executed command is counted in
  ``commands`` by opcode.
"""
from __future__ import annotations

from typing import Any

from .gfc100 import FlashStore

PAGE = 256
SIZE = 0x800000                 # 8 MiB (TF-M v1.3 secure_enclave device_definition.c:70)
JEDEC_ID = bytes((0x20, 0xBA, 0x17, 0x10, 0x00, 0x00))   # Micron, 3 V MT25QL, 64 Mbit; 0x10 = bytes that follow
STATUS_WIP, STATUS_WEL = 1 << 0, 1 << 1
FLAG_READY, FLAG_ERASE_ERR, FLAG_PROGRAM_ERR, FLAG_PROTECT_ERR = 1 << 7, 1 << 5, 1 << 4, 1 << 1
VCR_RESET, EVCR_RESET = 0xFB, 0xFF

WRITE_ENABLE, WRITE_DISABLE = 0x06, 0x04
READ_STATUS, READ_FLAG_STATUS, CLEAR_FLAG_STATUS = 0x05, 0x70, 0x50
READ_ID, MULTIPLE_IO_READ_ID = 0x9F, 0x9E
READ_VCR, WRITE_VCR, READ_EVCR, WRITE_EVCR = 0x85, 0x81, 0x65, 0x61
READS = frozenset({0x03, 0x0B, 0x3B, 0x6B})               # READ, FAST READ, dual/quad output fast read
PROGRAMS = frozenset({0x02, 0x32})                        # PAGE PROGRAM, quad input fast program
ERASES = {0x20: 0x1000, 0x52: 0x8000, 0xD8: 0x10000}      # subsector 4K / 32K, sector 64K
BULK_ERASES = frozenset({0xC7, 0x60})


class Mt25ql:
    """The flash device: :meth:`command` runs one SPI transaction against the store."""

    def __init__(self, store: FlashStore | None = None) -> None:
        self.store = store
        self.reset()

    def reset(self) -> None:
        """Power-on state of the volatile registers (the array is non-volatile)."""
        self.status = 0
        self.flag_status = FLAG_READY
        self.vcr = VCR_RESET
        self.evcr = EVCR_RESET
        self.ignored = 0
        self.commands: dict[int, int] = {}

    def command(self, opcode: int, addr: int | None, data: bytes, read_len: int) -> bytes:
        """Run one command: ``addr`` if the controller sent address bytes, ``data`` the bytes it
        wrote, ``read_len`` the bytes it clocks in; returns those bytes (0xFF where the device
        drives nothing)."""
        handler = self._HANDLERS.get(opcode)
        if handler is None:
            if opcode in READS:
                handler = Mt25ql._read
            elif opcode in PROGRAMS:
                handler = Mt25ql._program
            elif opcode in ERASES or opcode in BULK_ERASES:
                handler = Mt25ql._erase
        if handler is None:
            self.ignored += 1
            return b"\xff" * read_len
        self.commands[opcode] = self.commands.get(opcode, 0) + 1
        out = handler(self, opcode, addr, data, read_len) or b""
        return (out + b"\xff" * read_len)[:read_len]

    # -- commands ------------------------------------------------------------------------------
    def _write_enable(self, opcode: int, addr: int | None, data: bytes, n: int) -> None:
        self.status |= STATUS_WEL

    def _write_disable(self, opcode: int, addr: int | None, data: bytes, n: int) -> None:
        self.status &= ~STATUS_WEL

    def _read_status(self, opcode: int, addr: int | None, data: bytes, n: int) -> bytes:
        return bytes([self.status]) * n

    def _read_flag_status(self, opcode: int, addr: int | None, data: bytes, n: int) -> bytes:
        return bytes([self.flag_status]) * n

    def _clear_flag_status(self, opcode: int, addr: int | None, data: bytes, n: int) -> None:
        self.flag_status &= ~(FLAG_ERASE_ERR | FLAG_PROGRAM_ERR | FLAG_PROTECT_ERR)

    def _read_id(self, opcode: int, addr: int | None, data: bytes, n: int) -> bytes:
        return JEDEC_ID[:n]

    def _read_vcr(self, opcode: int, addr: int | None, data: bytes, n: int) -> bytes:
        return bytes([self.vcr]) * n

    def _read_evcr(self, opcode: int, addr: int | None, data: bytes, n: int) -> bytes:
        return bytes([self.evcr]) * n

    def _write_config(self, opcode: int, addr: int | None, data: bytes, n: int) -> None:
        if not self._take_write_enable() or not data:
            return
        if opcode == WRITE_VCR:
            self.vcr = data[0]
        else:
            self.evcr = data[0]

    def _read(self, opcode: int, addr: int | None, data: bytes, n: int) -> bytes:
        if self.store is None or addr is None:
            return b""
        start = addr % SIZE
        first = self.store.read(start, min(n, SIZE - start))
        return first + (self.store.read(0, n - len(first)) if len(first) < n else b"")

    def _program(self, opcode: int, addr: int | None, data: bytes, n: int) -> None:
        if not self._take_write_enable() or self.store is None or addr is None:
            return
        page = (addr % SIZE) & ~(PAGE - 1)
        buf = bytearray(self.store.read(page, PAGE))
        for i, byte in enumerate(data):
            buf[(addr + i) % PAGE] &= byte
        self.store.write(page, bytes(buf))

    def _erase(self, opcode: int, addr: int | None, data: bytes, n: int) -> None:
        if not self._take_write_enable() or self.store is None:
            return
        if opcode in BULK_ERASES:
            start, size = 0, SIZE
        else:
            if addr is None:
                return
            size = ERASES[opcode]
            start = (addr % SIZE) & ~(size - 1)
        self.store.write(start, b"\xff" * size)

    def _take_write_enable(self) -> bool:
        """True when the write enable latch was set (a program/erase/config write consumes it)."""
        if not self.status & STATUS_WEL:
            self.ignored += 1
            return False
        self.status &= ~STATUS_WEL
        return True

    _HANDLERS: dict[int, Any] = {
        WRITE_ENABLE: _write_enable, WRITE_DISABLE: _write_disable,
        READ_STATUS: _read_status, READ_FLAG_STATUS: _read_flag_status,
        CLEAR_FLAG_STATUS: _clear_flag_status,
        READ_ID: _read_id, MULTIPLE_IO_READ_ID: _read_id,
        READ_VCR: _read_vcr, READ_EVCR: _read_evcr,
        WRITE_VCR: _write_config, WRITE_EVCR: _write_config,
    }

    # -- state ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The volatile registers and counters (the array is the store's)."""
        return {"status": self.status, "flag_status": self.flag_status, "vcr": self.vcr, "evcr": self.evcr,
                "ignored": self.ignored, "commands": dict(self.commands)}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back a :meth:`snapshot`."""
        self.status = state["status"]
        self.flag_status = state["flag_status"]
        self.vcr = state["vcr"]
        self.evcr = state["evcr"]
        self.ignored = state["ignored"]
        self.commands = dict(state["commands"])
