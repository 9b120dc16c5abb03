"""Arm GFC-100 embedded-flash controller (Musca-B1 eFlash0/eFlash1), backed by a flash store.

The Secure Enclave reads, programs and erases the Host's eFlash through these controllers
(TF-M v1.3 ``Driver_EFLASH0/1``: ITS, NV counters, MCUboot's flash areas). The register map and
command codes are those of TF-M v1.3 ``platform/ext/target/musca_b1/common/Native_Driver/
gfc100_eflash_drv.c`` (lines 49-123); the process-specific block at +0x1000 follows
``musca_b1_eflash_drv.c`` (timing registers +0x0/+0x4/+0x8 written at init, error cause at +0x18;
128-bit words, 2 MiB main area, 16 KiB pages, 3 info pages).

Modelling choices:

* Commands complete the moment ``CTRL`` is written: ``STATUS.PENDING`` is never set, and the
  raw interrupt status gets ``CMD_ACCEPT`` plus ``CMD_SUCCESS`` or ``CMD_FAIL`` at once.
  ``STATUS.ACCEPT/SUCCESS/FAIL`` mirror those raw bits. If the previous command's SUCCESS/FAIL
  is still in the raw status, the new result waits: ``STATUS.FINISH`` is set and the result
  lands when software clears ``IRQ_STATUS_CLR`` (the protocol ``check_cmd_result`` follows).
* ``READ`` loads the 16-byte aligned word holding ``ADDR`` into ``DATA0..3``. ``WRITE`` and
  ``ROW_WRITE`` program the 32-bit ``DATA0`` at the 4-byte aligned ``ADDR``; the target word must
  be erased (all ones), else the command fails with error cause :data:`ERR_NOT_ERASED`.
  ``ERASE`` erases the 16 KiB page holding ``ADDR``; ``MASS_ERASE`` erases the main area, and
  the info pages too when ``ADDR`` bit 21 (the extended area) is set.
* ``ADDR`` bit 21 selects the info pages (3 x 16 KiB, kept in the model, erased at power-on);
  any other address past the main area fails with :data:`ERR_RANGE`. Command codes other
  than READ/WRITE/ROW_WRITE/ERASE/MASS_ERASE are rejected: ``CMD_REJECT`` and ``CMD_FAIL``
  are raised with cause :data:`ERR_BAD_COMMAND`, so a polling driver sees the failure.
  The error cause register (+0x1018) holds the last failure's code (psaemu's numbering: the
  public driver reads the register but does not define its values) and clears on success.
* Output ``irq`` = (raw status & enable) != 0. ``CTRL.ABORT`` is accepted and does nothing
  (commands never pend).
"""
from __future__ import annotations

from typing import Any, Protocol

from .base import Peripheral, Register

# raw interrupt status / enable bits (gfc100_eflash_drv.c:77-89)
IRQ_ACCEPT, IRQ_SUCCESS, IRQ_FAIL, IRQ_REJECT, IRQ_OVERFLOW = (1 << i for i in range(5))
IRQ_ALL = 0x1F
# STATUS bits (gfc100_eflash_drv.c:107-118)
ST_PENDING, ST_ACCEPT, ST_SUCCESS, ST_FAIL, ST_FINISH, ST_ARB_LOCKED = (1 << i for i in range(6))
# CTRL command codes (gfc100_eflash_drv.c:92-104)
CMD_READ, CMD_WRITE, CMD_ROW_WRITE, CMD_ERASE, CMD_MASS_ERASE = 0x1, 0x2, 0x3, 0x4, 0x7
CMD_MASK, CTRL_ABORT = 0x7, 1 << 4
# error cause codes (psaemu's; +0x1018)
ERR_NONE, ERR_BAD_COMMAND, ERR_RANGE, ERR_NOT_ERASED, ERR_UNALIGNED = 0, 1, 2, 3, 4

EXTENDED_AREA = 1 << 21          # gfc100_eflash_drv.c:29
MAIN_SIZE = 0x200000             # musca_b1_eflash_drv.c gfc100_proc_spec_get_eflash_size
PAGE_SIZE = 0x4000               # musca_b1_eflash_drv.c gfc100_proc_spec_get_eflash_page_size
INFO_PAGES = 3                   # musca_b1_eflash_drv.c gfc100_proc_spec_get_num_of_info_pages
READ_WORD = 16                   # 128-bit read word
ERASED_WORD = 0xFFFFFFFF
ERASED_INFO = b"\xff" * (INFO_PAGES * PAGE_SIZE)
PROC_SPEC = 0x1000               # GFC100_PROCESS_SPEC_REG_MAP_OFF (gfc100_eflash_drv.c:32)

PIDR = (0x00, 0x00, 0x00, 0x00)  # ID registers read as zero: the public sources never read them
CIDR = (0x0D, 0xF0, 0x05, 0xB1)  # the standard CoreSight/PrimeCell component id


class FlashStore(Protocol):
    """What the controller needs of its backing store (``psaemu.platform.system.memory.Store``)."""

    size: int

    def read(self, offset: int, size: int) -> bytes: ...

    def write(self, offset: int, data: bytes) -> None: ...


class Gfc100EFlash(Peripheral):
    """One GFC-100 controller in front of a 2 MiB flash store; ``irq`` level out."""

    TYPE = "gfc100_eflash"
    SIZE = 0x2000
    OUTPUTS = ("irq",)
    REGISTERS = (
        Register("IRQ_ENABLE_SET", 0x000, "rw", 0, "write 1s: enable interrupts; read: the enable mask"),
        Register("IRQ_ENABLE_CLR", 0x004, "rw", 0, "write 1s: disable interrupts; read: the enable mask"),
        Register("IRQ_STATUS_SET", 0x008, "rw", 0, "write 1s: raise status bits; read: raw status"),
        Register("IRQ_STATUS_CLR", 0x00C, "rw", 0, "write 1s: clear status bits; read: raw status"),
        Register("IRQ_MASKED_STATUS", 0x010, "r", 0, "raw status & enable"),
        Register("CTRL", 0x014, "rw", 0, "command (bits 2:0) and ABORT (bit 4); a write runs the command"),
        Register("STATUS", 0x018, "r", 0, "PENDING, ACCEPT, SUCCESS, FAIL, FINISH, ARB_LOCKED"),
        Register("ADDR", 0x01C, "rw", 0, "flash address of the next command (bit 21: info pages)"),
        Register("DATA0", 0x020, "rw", 0, "write data / read data bytes 0-3"),
        Register("DATA1", 0x024, "r", 0, "read data bytes 4-7"),
        Register("DATA2", 0x028, "r", 0, "read data bytes 8-11"),
        Register("DATA3", 0x02C, "r", 0, "read data bytes 12-15"),
        Register("PIDR4", 0xFD0, "r", 0, "peripheral id 4"),
        *(Register(f"PIDR{i}", 0xFE0 + 4 * i, "r", v, "peripheral id") for i, v in enumerate(PIDR)),
        *(Register(f"CIDR{i}", 0xFF0 + 4 * i, "r", v, "component id") for i, v in enumerate(CIDR)),
        Register("PS_TIMING0", PROC_SPEC + 0x0, "rw", 0, "process-specific timing (storage)"),
        Register("PS_TIMING1", PROC_SPEC + 0x4, "rw", 0, "process-specific timing (storage)"),
        Register("PS_TIMING2", PROC_SPEC + 0x8, "rw", 0, "process-specific timing (storage)"),
        Register("PS_ERROR", PROC_SPEC + 0x18, "r", 0, "cause of the last failed command (ERR_*)"),
    )

    def __init__(self, name: str, store: FlashStore | None = None) -> None:
        self.store: FlashStore | None = None
        self.info = bytearray(ERASED_INFO)
        self._held: int | None = None      # result bits waiting for IRQ_STATUS_CLR (STATUS.FINISH)
        self._irq = 0
        self.commands = 0                  # commands run (for tests and statistics)
        super().__init__(name)
        if store is not None:
            self.attach_store(store)

    def attach_store(self, store: FlashStore) -> None:
        """Back the main area with ``store`` (at least 2 MiB; a file-backed store persists)."""
        if store.size < MAIN_SIZE:
            raise ValueError(f"{self.TYPE} '{self.name}': flash store is {store.size:#x} bytes, "
                             f"the controller needs {MAIN_SIZE:#x}")
        self.store = store

    # -- registers -----------------------------------------------------------------------------
    def read_IRQ_ENABLE_CLR(self) -> int:
        return self.regs["IRQ_ENABLE_SET"]

    def write_IRQ_ENABLE_SET(self, value: int) -> None:
        self.regs["IRQ_ENABLE_SET"] |= value & IRQ_ALL
        self._update_irq()

    def write_IRQ_ENABLE_CLR(self, value: int) -> None:
        self.regs["IRQ_ENABLE_SET"] &= ~value & IRQ_ALL
        self._update_irq()

    def read_IRQ_STATUS_CLR(self) -> int:
        return self.regs["IRQ_STATUS_SET"]

    def write_IRQ_STATUS_SET(self, value: int) -> None:
        self.regs["IRQ_STATUS_SET"] |= value & IRQ_ALL
        self._update_irq()

    def write_IRQ_STATUS_CLR(self, value: int) -> None:
        self.regs["IRQ_STATUS_SET"] &= ~value & IRQ_ALL
        if self._held is not None and not self.regs["IRQ_STATUS_SET"] & (IRQ_SUCCESS | IRQ_FAIL):
            self.regs["IRQ_STATUS_SET"] |= self._held
            self._held = None
        self._update_irq()

    def read_IRQ_MASKED_STATUS(self) -> int:
        return self.regs["IRQ_STATUS_SET"] & self.regs["IRQ_ENABLE_SET"]

    def read_STATUS(self) -> int:
        raw = self.regs["IRQ_STATUS_SET"]
        status = ST_FINISH if self._held is not None else 0
        if raw & IRQ_ACCEPT:
            status |= ST_ACCEPT
        if raw & IRQ_SUCCESS:
            status |= ST_SUCCESS
        if raw & IRQ_FAIL:
            status |= ST_FAIL
        return status

    def write_CTRL(self, value: int) -> None:
        self.regs["CTRL"] = value & (CMD_MASK | CTRL_ABORT)
        command = value & CMD_MASK
        if command == 0:                 # only ABORT (or nothing): no command to run
            return
        self.commands += 1
        cause = self._execute(command, self.regs["ADDR"])
        self.regs["PS_ERROR"] = cause
        result = IRQ_SUCCESS if cause == ERR_NONE else IRQ_FAIL
        if cause == ERR_BAD_COMMAND:
            result |= IRQ_REJECT
        raw = self.regs["IRQ_STATUS_SET"]
        if raw & (IRQ_SUCCESS | IRQ_FAIL):           # the last result is still unread
            self.regs["IRQ_STATUS_SET"] = raw | IRQ_ACCEPT
            self._held = result
        else:
            self.regs["IRQ_STATUS_SET"] = raw | IRQ_ACCEPT | result
        self._update_irq()

    # -- commands ------------------------------------------------------------------------------
    def _area(self, addr: int, size: int) -> tuple[Any, int] | None:
        """(buffer-like, offset) of ``[addr, addr+size)`` in the main area or the info pages."""
        if addr & EXTENDED_AREA:
            off = addr & ~EXTENDED_AREA
            return (_InfoArea(self.info), off) if off + size <= len(self.info) else None
        if self.store is None or addr + size > MAIN_SIZE:
            return None
        return self.store, addr

    def _execute(self, command: int, addr: int) -> int:
        """Run one command; the error cause (ERR_NONE on success)."""
        if command == CMD_READ:
            return self._read(addr & ~(READ_WORD - 1))
        if command in (CMD_WRITE, CMD_ROW_WRITE):
            return self._program(addr)
        if command == CMD_ERASE:
            return self._erase(addr & ~(PAGE_SIZE - 1), PAGE_SIZE)
        if command == CMD_MASS_ERASE:
            cause = self._erase(0, MAIN_SIZE)
            if cause == ERR_NONE and addr & EXTENDED_AREA:
                self.info[:] = ERASED_INFO
            return cause
        return ERR_BAD_COMMAND

    def _read(self, addr: int) -> int:
        target = self._area(addr, READ_WORD)
        if target is None:
            return ERR_RANGE
        area, off = target
        data = area.read(off, READ_WORD)
        for i in range(4):
            self.regs[f"DATA{i}"] = int.from_bytes(data[4 * i:4 * i + 4], "little")
        return ERR_NONE

    def _program(self, addr: int) -> int:
        if addr & 3:
            return ERR_UNALIGNED
        target = self._area(addr, 4)
        if target is None:
            return ERR_RANGE
        area, off = target
        if int.from_bytes(area.read(off, 4), "little") != ERASED_WORD:
            return ERR_NOT_ERASED
        area.write(off, self.regs["DATA0"].to_bytes(4, "little"))
        return ERR_NONE

    def _erase(self, addr: int, size: int) -> int:
        target = self._area(addr, size)
        if target is None:
            return ERR_RANGE
        area, off = target
        area.write(off, b"\xff" * size)
        return ERR_NONE

    # -- outputs and state ---------------------------------------------------------------------
    def levels(self) -> dict[str, int]:
        """Current level of the ``irq`` output."""
        return {"irq": int(self.read_IRQ_MASKED_STATUS() != 0)}

    def _update_irq(self) -> None:
        level = self.levels()["irq"]
        if level != self._irq:
            self._irq = level
            self.emit("irq", level)

    def reset(self) -> None:
        """Registers to reset values (flash contents and info pages are non-volatile)."""
        super().reset()
        self._held = None
        self._update_irq()

    def snapshot(self) -> dict[str, Any]:
        """Registers, the held result, the info pages and the irq level (the main area is the
        store's, which the machine snapshots with memory)."""
        info = None if self.info == ERASED_INFO else bytes(self.info)
        return {"regs": dict(self.regs), "held": self._held, "info": info,
                "irq": self._irq, "commands": self.commands}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back a :meth:`snapshot` without emitting."""
        self.regs = dict(state["regs"])
        self._held = state["held"]
        self.info[:] = ERASED_INFO if state["info"] is None else state["info"]
        self._irq = state["irq"]
        self.commands = state["commands"]


class _InfoArea:
    """The info pages' bytearray seen through the store interface."""

    def __init__(self, buf: bytearray) -> None:
        self.buf = buf

    def read(self, offset: int, size: int) -> bytes:
        return bytes(self.buf[offset:offset + size])

    def write(self, offset: int, data: bytes) -> None:
        self.buf[offset:offset + len(data)] = data
