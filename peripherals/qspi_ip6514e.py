"""Cadence QSPI flash controller IP6514E (Musca-B1), with the MT25QL flash behind it.

The Secure Enclave reaches the QSPI flash (TF-M v1.3's PS area) only through the controller's
flash command interface ("STIG"): TF-M v1.3 ``secure_enclave/Device/Source/device_definition.c``
gives its MT25QL a dummy direct-access address because the SE cannot see the AHB window.
Register offsets, bit positions and reset values are those of TF-M v1.3
``platform/ext/target/musca_b1/common/Native_Driver/qspi_ip6514e_drv.c`` (lines 59-147).

Modelling choices:

* ``QSPI_CFG.IDLE`` (bit 31) always reads 1 and ``FLASH_CMD_CTRL.BUSY`` (bit 1) always 0: a
  command completes during the write that starts it.
* Writing ``FLASH_CMD_CTRL`` with ``EXECUTE`` (bit 0) runs one command on the flash: opcode
  (bits 31:24); with ``ADDR_ENABLE`` (bit 19), ``FLASH_CMD_ADDR`` masked to ADDR_BYTES+1 bytes;
  with ``WRITE_ENABLE`` (bit 15), WRITE_BYTES+1 bytes of ``WRITE_DATA_LOWER/UPPER``; with
  ``READ_ENABLE`` (bit 23), READ_BYTES+1 bytes into ``READ_DATA_LOWER/UPPER`` (byte 0 in bits
  7:0 of LOWER, bytes the command does not read are 0). ``EXECUTE`` reads back 0.
  A command started while ``QSPI_CFG.ENABLE`` is clear is not sent; it is counted in
  ``ignored``.
* Direct (memory-mapped) access is the Host's ``qspi_flash`` region, backed by the same store,
  so the Host reads what the SE programs. ``REMAP_ADDR``, the read/write instruction and
  device size registers are stored; the direct window does not follow them. The indirect
  transfer registers (0x60-0x7C) are not used by the TF-M v1.3 drivers and not modelled:
  accesses there count as ``bus_errors``.
"""
from __future__ import annotations

from typing import Any

from .base import Peripheral, Register
from .gfc100 import FlashStore
from .mt25ql import Mt25ql

CFG_ENABLE, CFG_IDLE = 1 << 0, 1 << 31
CMD_EXECUTE, CMD_BUSY = 1 << 0, 1 << 1
CMD_WRITE_ENABLE, CMD_ADDR_ENABLE, CMD_READ_ENABLE = 1 << 15, 1 << 19, 1 << 23


def _field(value: int, lsb: int, width: int) -> int:
    return (value >> lsb) & ((1 << width) - 1)


class QspiIp6514e(Peripheral):
    """The controller's register interface; ``flash`` is the :class:`Mt25ql` it drives."""

    TYPE = "qspi_ip6514e"
    REGISTERS = (
        Register("QSPI_CFG", 0x00, "rw", 0x80080080, "enable (0), remap enable (16), baud divisor (22:19), idle (31)"),
        Register("DEVICE_READ_INST", 0x04, "rw", 0x080220EB, "direct read opcode, line modes, dummy cycles"),
        Register("DEVICE_WRITE_INST", 0x08, "rw", 0x00000002, "direct write opcode, line modes, dummy cycles"),
        Register("DEVICE_SIZE", 0x14, "rw", 0x00101002, "address bytes - 1 (3:0), page size (15:4)"),
        Register("REMAP_ADDR", 0x24, "rw", 0, "direct access remap offset"),
        Register("FLASH_CMD_CTRL", 0x90, "rw", 0, "flash command: opcode, read/addr/write enables and counts; "
                                                   "bit 0 executes"),
        Register("FLASH_CMD_ADDR", 0x94, "rw", 0, "flash command address"),
        Register("FLASH_CMD_READ_DATA_LOWER", 0xA0, "r", 0, "bytes 0-3 read by the last command"),
        Register("FLASH_CMD_READ_DATA_UPPER", 0xA4, "r", 0, "bytes 4-7 read by the last command"),
        Register("FLASH_CMD_WRITE_DATA_LOWER", 0xA8, "rw", 0, "bytes 0-3 the next command writes"),
        Register("FLASH_CMD_WRITE_DATA_UPPER", 0xAC, "rw", 0, "bytes 4-7 the next command writes"),
    )

    def __init__(self, name: str, store: FlashStore | None = None) -> None:
        self.flash = Mt25ql(store)
        self.ignored = 0
        super().__init__(name)

    def attach_store(self, store: FlashStore) -> None:
        """Back the flash array with ``store`` (8 MiB; a file-backed store persists)."""
        if store.size < 0x800000:
            raise ValueError(f"{self.TYPE} '{self.name}': flash store is {store.size:#x} bytes, "
                             f"the MT25QL behind it has 0x800000")
        self.flash.store = store

    # -- registers -----------------------------------------------------------------------------
    def read_QSPI_CFG(self) -> int:
        return self.regs["QSPI_CFG"] | CFG_IDLE

    def read_FLASH_CMD_CTRL(self) -> int:
        return self.regs["FLASH_CMD_CTRL"] & ~(CMD_EXECUTE | CMD_BUSY)

    def write_FLASH_CMD_CTRL(self, value: int) -> None:
        self.regs["FLASH_CMD_CTRL"] = value & ~(CMD_EXECUTE | CMD_BUSY)
        if value & CMD_EXECUTE:
            self._execute(value)

    def _execute(self, ctrl: int) -> None:
        if not self.regs["QSPI_CFG"] & CFG_ENABLE:
            self.ignored += 1
            return
        addr = None
        if ctrl & CMD_ADDR_ENABLE:
            nbytes = _field(ctrl, 16, 2) + 1
            addr = self.regs["FLASH_CMD_ADDR"] & ((1 << (8 * nbytes)) - 1)
        data = b""
        if ctrl & CMD_WRITE_ENABLE:
            words = (self.regs["FLASH_CMD_WRITE_DATA_LOWER"].to_bytes(4, "little")
                     + self.regs["FLASH_CMD_WRITE_DATA_UPPER"].to_bytes(4, "little"))
            data = words[:_field(ctrl, 12, 3) + 1]
        read_len = _field(ctrl, 20, 3) + 1 if ctrl & CMD_READ_ENABLE else 0
        got = self.flash.command(_field(ctrl, 24, 8), addr, data, read_len)
        if read_len:
            got = got.ljust(8, b"\x00")
            self.regs["FLASH_CMD_READ_DATA_LOWER"] = int.from_bytes(got[:4], "little")
            self.regs["FLASH_CMD_READ_DATA_UPPER"] = int.from_bytes(got[4:8], "little")

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Controller registers to reset values; the flash device's volatile registers too."""
        super().reset()
        self.flash.reset()

    def snapshot(self) -> dict[str, Any]:
        """Controller registers, the flash device's volatile state and the ignored count."""
        return {"regs": dict(self.regs), "flash": self.flash.snapshot(), "ignored": self.ignored}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back a :meth:`snapshot`."""
        self.regs = dict(state["regs"])
        self.flash.restore(state["flash"])
        self.ignored = state["ignored"]
