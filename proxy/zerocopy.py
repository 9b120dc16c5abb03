"""Zero-copy IOVECs (the lifted ``zero-copy`` limitation): which Host Non-secure RAM the SE sees
through the board's shared windows, and the SE address of a caller's vector there.

With the lift, the proxy puts the SE's view of a caller's (SPM-verified) buffer into the
message's in_vec/out_vec instead of a copy in the shared buffer, so the SE reads inputs and
writes outputs in Host memory itself. Only Host *Non-secure* RAM counts (a Secure caller's
buffers are never exposed): each part of it that a window maps into the SE is one range of the
view. A vector outside the view is copied as TF-M v1.3 does; a board whose SE sees no Host
Non-secure RAM at all (outside the proxy's shared region) refuses the lift when the machine is
built. The SE firmware learns the ranges (SE view) from its configuration block (version 5).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from psaemu.platform.errors import ConfigError

if TYPE_CHECKING:
    from psaemu.platform.system.machine import Machine
    from psaemu.proxy.config import Placement

#: Ranges the SE firmware's configuration block holds (SE_HOST_VIEW_RANGES).
SE_VIEW_RANGES = 2


@dataclass(frozen=True)
class HostView:
    """Host Non-secure RAM the SE sees: (Host start, Host end, SE start) per range."""

    ranges: tuple[tuple[int, int, int], ...]

    def to_se(self, addr: int, size: int) -> int | None:
        """The SE address of Host ``[addr, addr + size)``, or None when no one range holds it all."""
        end = addr + size
        for lo, hi, se in self.ranges:
            if lo <= addr and end <= hi:
                return se + addr - lo
        return None

    def se_ranges(self) -> list[tuple[int, int]]:
        """The distinct (SE start, size) ranges, for the SE's configuration block."""
        out: list[tuple[int, int]] = []
        for lo, hi, se in self.ranges:
            if (se, hi - lo) not in out:
                out.append((se, hi - lo))
        return out


def host_view(machine: "Machine", placement: "Placement", host: str = "host", se: str = "se") -> HostView:
    """The view of a board: each part of Host Non-secure RAM that an SE mapping of the same store
    shows, less the proxy's shared region; at most :data:`SE_VIEW_RANGES` distinct SE ranges."""
    from psaemu.proxy.client import non_secure_ram  # Host NS RAM less the MPC-secure parts

    memory = machine.memory
    shared = memory.maps[host].find(placement.host_base, placement.region_size)
    cut = None if shared is None else (shared.store, shared.offset + placement.host_base - shared.base)
    ranges: list[tuple[int, int, int]] = []
    kept_se: list[int] = []
    for m, lo, hi in non_secure_ram(machine, host):
        for s in memory.maps[se].mappings:
            if s.store is not m.store:
                continue
            parts = [(max(lo, s.offset), min(hi, s.offset + s.size))]
            if cut is not None and cut[0] is m.store:                  # not the shared region itself
                a, b = parts[0]
                c, d = cut[1], cut[1] + placement.region_size
                parts = [(a, min(b, c)), (max(a, d), b)]
            for a, b in parts:
                if a >= b:
                    continue
                se_lo = s.base + a - s.offset
                if se_lo not in kept_se:
                    if len(kept_se) == SE_VIEW_RANGES:
                        continue
                    kept_se.append(se_lo)
                ranges.append((m.base + a - m.offset, m.base + b - m.offset, se_lo))
    return HostView(tuple(ranges))


def require_view(machine: "Machine", placement: "Placement", source: str, host: str = "host",
                 se: str = "se") -> HostView:
    """The view, or a ConfigError naming the board's windows when the SE sees no Host Non-secure RAM."""
    view = host_view(machine, placement, host, se)
    if view.ranges:
        return view
    windows = ", ".join(f"{w.name} (host {w.bases.get(host, 0):#x}, se {w.bases.get(se, 0):#x}, size {w.size:#x})"
                        for w in machine.board.windows) or "none"
    raise ConfigError(f"{source}: lifting zero-copy needs a shared window through which the SE sees Host "
                      f"Non-secure RAM (outside the proxy's shared region), but {machine.board.path} has none "
                      f"(windows: {windows}); add one to the board, e.g. [[windows]] name = \"host_sram\" "
                      f"host = 0x30000000 se = 0x60000000 size = \"512K\", or drop the lift")
