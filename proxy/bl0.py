"""The Host's BL0, as psaemu plays it when it models the Host's secure side.

On a Musca-B1, TF-M's Host BL0 sets the SE's boot remap windows through the SCC and releases
the SE from reset before any Host client runs (tfm-facts §5.5, steps 2-3). A Non-secure client
image has no BL0 of its own, so psaemu performs the same SCC writes at power-on, through the SCC
model's bus interface, for every core whose board entry says ``reset = "bl0"``. The SE's boot
vector that follows is taken by the proxy's handshake (``psaemu.proxy.forwarder``).
"""
from __future__ import annotations

from typing import Any

from psaemu.platform.system.machine import Machine

#: BL0's SCC writes, in order (TF-M v1.3 musca_b1/sse_200 BL0; values in tfm-facts §5.5): SE
#: reset vectors (ROM 0x00, CODE 0x38, SYS 0xA0), the three remap windows, BOOT_REMAP, then
#: DBGRESET_N | HRESET_N, which releases the SE.
BL0_SCC_WRITES = (
    ("az_cpu_vtor", 0x00 | 0x38 << 8 | 0xA0 << 16),
    ("az_rom_remap_offset", 0x1A020000), ("az_rom_remap_mask", 0x0001FFFF),
    ("az_code_remap_offset", 0x1A200000), ("az_code_remap_mask", 0x003FFFFF),
    ("az_sys_remap_offset", 0x52000000), ("az_sys_remap_mask", 0x00FFFFFF),
    ("az_ctrl", 1 << 0),
    ("az_ctrl", 1 << 0 | 1 << 7 | 1 << 8),
)
SCC_TYPE = "musca_b1_scc"


def _bl0_sccs(machine: Machine, host: str) -> list[Any]:
    """Board entries of the Host's SCCs that control a core with ``reset = "bl0"``."""
    return [spec for spec in machine.board.peripherals
            if spec.type == SCC_TYPE and spec.core == host and "controls" in spec.params
            and machine.cores[spec.params["controls"]].spec.reset == "bl0"]


def bl0_targets(machine: Machine, host: str = "host") -> list[str]:
    """The cores BL0 releases: those with ``reset = "bl0"`` that an SCC on the Host controls."""
    return [spec.params["controls"] for spec in _bl0_sccs(machine, host)]


def play_bl0(machine: Machine, host: str = "host") -> list[str]:
    """Do BL0's SCC writes for every core it releases, at the Host's current time; returns those cores."""
    released = []
    for spec in _bl0_sccs(machine, host):
        scc = machine.peripherals[spec.name]
        offsets = {r.name: r.offset for r in scc.REGISTERS}
        machine.events.record(machine.cores[host], "bl0", scc=spec.name, releases=spec.params["controls"])
        for name, value in BL0_SCC_WRITES:
            scc.write(offsets[name], 4, value)
        released.append(spec.params["controls"])
    return released
