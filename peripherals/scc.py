"""Musca-B1 Serial Configuration Control, Secure Enclave subset: SE boot remaps and SE reset.

The remap and vector registers are plain storage (the board's shared windows are fixed in the
board file, not driven from here). ``az_ctrl`` drives output ``release``: ``True`` once both
DBGRESET_N (bit 7) and HRESET_N (bit 8) are set, ``False`` when HRESET_N then falls back to 0.
It is emitted only on change; :meth:`MuscaB1Scc.levels` gives the current state.
"""
from __future__ import annotations

from typing import Any

from .base import Field, Peripheral, Register

AZ_BOOT_REMAP = 1 << 0
AZ_DBGRESET_N = 1 << 7
AZ_HRESET_N = 1 << 8
AZ_RUN = AZ_DBGRESET_N | AZ_HRESET_N


class MuscaB1Scc(Peripheral):
    """Musca-B1 SCC: stores the SE (``az_*``) configuration and releases the SE from reset."""

    TYPE = "musca_b1_scc"
    OUTPUTS = ("release",)
    REGISTERS = (
        Register("az_cpu_vtor", 0x064, "rw", 0, "SE reset vector selection (rom | code<<8 | sys<<16)"),
        Register("az_rom_remap_mask", 0x1E4, "rw", 0, "SE ROM remap mask"),
        Register("az_rom_remap_offset", 0x1E8, "rw", 0, "SE ROM remap offset (Host address)"),
        Register("az_code_remap_mask", 0x1EC, "rw", 0, "SE CODE remap mask"),
        Register("az_code_remap_offset", 0x1F0, "rw", 0, "SE CODE remap offset (Host address)"),
        Register("az_sys_remap_mask", 0x1F4, "rw", 0, "SE SYS remap mask"),
        Register("az_sys_remap_offset", 0x1F8, "rw", 0, "SE SYS remap offset (Host address)"),
        Register("az_ctrl", 0x200, "rw", doc="SE control; the other bits are kept as written", fields=(
            Field("BOOT_REMAP", 0, 1, "rw", doc="SE boots from the remapped ROM"),
            Field("DBGRESET_N", 7, 1, "rw", doc="SE debug reset released (1)"),
            Field("HRESET_N", 8, 1, "rw", doc="SE reset released (1); 0 puts a running SE back in reset"),
        )),
        Register("az_otp_rd_data", 0x210, "r", 0, "SE OTP read data (read-only, 0)"),
    )

    def __init__(self, name: str) -> None:
        self.released = False
        super().__init__(name)

    def write_az_ctrl(self, value: int) -> None:
        self.regs["az_ctrl"] = value
        self.update()

    def update(self) -> None:
        """Drive ``release`` from az_ctrl: rises with DBGRESET_N and HRESET_N both set, falls with
        HRESET_N clear (DBGRESET_N alone does not reset a running SE)."""
        value = self.regs["az_ctrl"]
        if not self.released and value & AZ_RUN == AZ_RUN:
            self.released = True
            self.emit("release", True)
        elif self.released and not value & AZ_HRESET_N:
            self.released = False
            self.emit("release", False)

    def levels(self) -> dict[str, int]:
        """Current state of ``release`` (1 = SE running)."""
        return {"release": int(self.released)}

    def reset(self) -> None:
        """Registers to reset values; emits ``release`` False if the SE was running."""
        super().reset()
        self.update()

    def snapshot(self) -> dict[str, Any]:
        """Registers and the release state."""
        return {"regs": dict(self.regs), "released": self.released}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back a :meth:`snapshot` without emitting."""
        self.regs = dict(state["regs"])
        self.released = state["released"]
