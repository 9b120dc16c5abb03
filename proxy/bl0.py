"""The Host's BL0, as psaemu plays it when it models the Host's secure side.

On a Musca-B1, TF-M's Host BL0 sets the SE's boot remap windows through the SCC and releases
the SE from reset before any Host client runs (TF-M v1.3.0 ``sse_200/bl0/bl0_main.c:56-81``). A Non-secure client
image has no BL0 of its own, so psaemu performs the same SCC writes at power-on, through the SCC
model's bus interface, for every core whose board entry says ``reset = "bl0"``. The SE's boot
vector that follows is taken by the proxy's handshake (``psaemu.proxy.forwarder``).
"""
from __future__ import annotations

from typing import Any

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.machine import Machine

#: BL0's SCC writes, in order (TF-M v1.3.0 musca_b1 ``sse_200/bl0/bl0_main.c:56-68``): SE
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


# -- when the Host's Non-secure image starts ---------------------------------------------------
#: ``power-on``: the Host runs its image from power-on and the SE's boot vector is only recorded
#: (psaemu's own SE firmware, which sends the vector of the image already running).
#: ``boot-vector``: BL0 holds the Host until the SE's first mailbox word, the boot vector TF-M's SE
#: sends (``tfm_spm_hal_boot_ns_cpu``), and starts it there, as the Host's S image does on the board.
#: ``auto``: ``boot-vector`` when the SE image's symbols show it is not psaemu's own firmware (it
#: has symbols but no ``se_platform_config`` block, e.g. TF-M's ``bl2.elf``), else ``power-on`` (also
#: for an SE image without symbols, e.g. a binary or HEX alone: nothing tells what it is).
HOST_START_MODES = ("auto", "power-on", "boot-vector")
OWN_SE_SYMBOL = "se_platform_config"


def host_start_mode(machine: Machine, mode: str = "auto", se: str = "se") -> str:
    """The resolved Host start (``power-on`` or ``boot-vector``) for ``mode`` and the loaded SE image."""
    if mode not in HOST_START_MODES:
        raise ConfigError(f"host start {mode!r} is not one of {', '.join(HOST_START_MODES)}")
    if mode != "auto":
        return mode
    image = machine.cores[se].image if se in machine.cores else None
    own = image is None or not image.symbols or OWN_SE_SYMBOL in image.symbols
    return "power-on" if own else "boot-vector"


def _same_bytes_view(machine: Machine, core: str, vector: int, candidate: int | None) -> int:
    """``candidate`` (the image's own vector table) when it names the same memory as ``vector`` through
    another alias (TF-M sends the Secure alias 0x1A260400 of an NS image at 0x0A260400), else ``vector``."""
    if candidate is None:
        return vector
    amap = machine.memory.maps[core]
    a, b = amap.find(vector, 8), amap.find(candidate, 8)
    if a is None or b is None or a.store is None or a.store is not b.store:
        return vector
    return candidate if a.offset + vector - a.base == b.offset + candidate - b.base else vector


def hold_host_until_boot_vector(machine: Machine, proxy: Any, host: str = "host") -> None:
    """Hold the Host in reset now; start it at the SE's boot vector when the handshake receives it."""
    core = machine.cores[host]
    machine.set_released(host, False, source="bl0")
    core.state_reason = "held by BL0 until the SE sends the Host boot vector (mailbox handshake)"

    def start(vector: int) -> None:
        vt = _same_bytes_view(machine, host, vector, core.image.vector_table if core.image else None)
        if machine.memory.maps[host].find(vt, 8) is None or not core.read_word(vt + 4) & 1:
            machine.events.record(core, "host_start_refused", vector=vector,
                                  why="no Host vector table there (unmapped, or reset vector not Thumb)")
            core.state_reason = f"held by BL0: the SE's boot vector {vector:#010x} names no Host vector table"
            return
        machine.set_released(host, True, source="boot vector", vtor=vt)
        machine.events.record(core, "host_start", address=vector, vtor=vt)
        proxy.on_boot_vector = None

    proxy.on_boot_vector = start
