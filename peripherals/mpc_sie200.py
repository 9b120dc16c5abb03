"""Arm CoreLink SIE-200 Memory Protection Controller: the block look-up table that gates one memory.

The Secure side programs which blocks of a memory its Non-secure alias may reach: bit ``n`` of
LUT word ``w`` is block ``32*w + n``, 1 = Non-secure. Register map and bits as TF-M v1.3's driver
uses them (``platform/ext/target/musca_b1/sse_200/Native_Driver/mpc_sie200_drv.c:22-83``):
CTRL +0x000 (SEC_RESP bit 4, AUTOINCREMENT bit 8, SEC_LOCK_DOWN bit 31), BLK_MAX +0x010,
BLK_CFG +0x014 (block size = 1 << (BLK_CFG + 5) bytes, ``:22``, ``:169``), BLK_IDX +0x018,
BLK_LUT +0x01C, INT_STAT/CLEAR/EN/INFO1/INFO2/SET +0x020..+0x034.

Modelling choices: the memory size and block size are board parameters (``size``,
``block_size``); the LUT resets to all-Secure; AUTOINCREMENT advances BLK_IDX after every BLK_LUT
access; SEC_LOCK_DOWN makes CTRL and BLK_LUT read-only until reset. No access is ever blocked
here (no interrupt is raised): :meth:`MpcSie200.ns_blocks` gives the Non-secure byte ranges so
that the machine's security attribution can follow what the firmware programmed.
"""
from __future__ import annotations

from typing import Any

from .base import Field, Peripheral, Register

BLK_CFG_OFFSET = 5
CTRL_AUTOINCREMENT = 1 << 8
CTRL_SEC_LOCK_DOWN = 1 << 31


class MpcSie200(Peripheral):
    """One SIE-200 MPC gating ``size`` bytes in blocks of ``block_size`` bytes."""

    TYPE = "mpc_sie200"
    REGISTERS = (
        Register("CTRL", 0x000, doc="control", fields=(
            Field("CFG_INIT", 0, 1, "r", doc="(reads 0)"),
            Field("SEC_RESP", 4, 1, "rw", doc="a blocked access gives a bus error response"),
            Field("GATING_REQ", 6, 1, "rw"),
            Field("AUTOINCREMENT", 8, 1, "rw", doc="BLK_IDX advances after each BLK_LUT access"),
            Field("SEC_LOCK_DOWN", 31, 1, "rw", doc="CTRL and BLK_LUT read-only until reset"),
        )),
        Register("BLK_MAX", 0x010, "r", doc="index of the last LUT word"),
        Register("BLK_CFG", 0x014, "r", doc="log2(block size) - 5"),
        Register("BLK_IDX", 0x018, doc="LUT word selected by BLK_LUT"),
        Register("BLK_LUT", 0x01C, doc="the selected LUT word: bit n = block 32*BLK_IDX+n, 1 = Non-secure"),
        Register("INT_STAT", 0x020, "r"),
        Register("INT_CLEAR", 0x024, "w", merge=False),
        Register("INT_EN", 0x028),
        Register("INT_INFO1", 0x02C, "r"),
        Register("INT_INFO2", 0x030, "r"),
        Register("INT_SET", 0x034, "w", merge=False),
    )

    def __init__(self, name: str, size: int, block_size: int) -> None:
        if block_size < 32 or block_size & (block_size - 1) or size % (32 * block_size):
            raise ValueError(f"mpc '{name}': block_size {block_size:#x} must be a power of two >= 32 "
                             f"and size {size:#x} a multiple of 32 blocks")
        self.size = size
        self.block_size = block_size
        self.lut = [0] * (size // block_size // 32)
        super().__init__(name)

    def reset(self) -> None:
        """Registers to reset values; every block Secure."""
        super().reset()
        self.regs["BLK_MAX"] = len(self.lut) - 1
        self.regs["BLK_CFG"] = self.block_size.bit_length() - 1 - BLK_CFG_OFFSET
        self.lut = [0] * len(self.lut)

    def _locked(self) -> bool:
        return bool(self.regs["CTRL"] & CTRL_SEC_LOCK_DOWN)

    def write_CTRL(self, value: int) -> None:
        if not self._locked():
            self.regs["CTRL"] = value & (CTRL_SEC_LOCK_DOWN | CTRL_AUTOINCREMENT | 0x50)

    def write_BLK_IDX(self, value: int) -> None:
        self.regs["BLK_IDX"] = value % len(self.lut)

    def read_BLK_LUT(self) -> int:
        return self.lut[self.regs["BLK_IDX"]]

    def _advance(self) -> None:
        if self.regs["CTRL"] & CTRL_AUTOINCREMENT:
            self.regs["BLK_IDX"] = (self.regs["BLK_IDX"] + 1) % len(self.lut)

    def read(self, offset: int, size: int) -> int:
        value = super().read(offset, size)
        if offset & ~3 == 0x01C:
            self._advance()
        return value

    def write_BLK_LUT(self, value: int) -> None:
        if not self._locked():
            self.lut[self.regs["BLK_IDX"]] = value & 0xFFFFFFFF
        self._advance()

    def write_INT_CLEAR(self, value: int) -> None:
        if value & 1:
            self.regs["INT_STAT"] = 0

    def write_INT_SET(self, value: int) -> None:
        if value & 1:
            self.regs["INT_STAT"] = 1

    def ns_blocks(self) -> list[tuple[int, int]]:
        """(offset, size) of every run of Non-secure blocks, in address order."""
        out: list[tuple[int, int]] = []
        for block in range(32 * len(self.lut)):
            if self.lut[block // 32] >> (block % 32) & 1:
                start = block * self.block_size
                if out and out[-1][0] + out[-1][1] == start:
                    out[-1] = (out[-1][0], out[-1][1] + self.block_size)
                else:
                    out.append((start, self.block_size))
        return out

    def snapshot(self) -> dict[str, Any]:
        """Registers and the LUT."""
        return {"regs": dict(self.regs), "lut": list(self.lut)}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back a :meth:`snapshot`."""
        self.regs = dict(state["regs"])
        self.lut = list(state["lut"])
