"""Power cuts in a memory region: record every store a core makes to it, so a test can rebuild
the region's bytes as a power cut before any one of those stores would leave them.

``record_stores(machine, "se", "storage", op)`` runs ``op()`` with a Unicorn write hook on the
region (in the core's view) and returns the bytes before the first store, the stores in order
and ``op``'s result; :func:`image_after` applies the first ``k`` stores. One traced run gives
every cut point, and each cut is then checked on a machine restored from a snapshot.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from unicorn import UC_HOOK_MEM_WRITE

from psaemu.platform.errors import ConfigError

if TYPE_CHECKING:
    from psaemu.platform.system.machine import Machine


@dataclass(frozen=True)
class Store:
    """One store into the region: offset from the region's base, size in bytes, value (little-endian)."""

    offset: int
    size: int
    value: int


@dataclass
class StoreTrace:
    base: int
    before: bytes
    stores: list[Store]
    result: Any = None

    def image_after(self, k: int) -> bytes:
        """The region's bytes once the first ``k`` stores landed (a power cut before store ``k``)."""
        return image_after(self.before, self.stores[:k])


def image_after(before: bytes, stores: list[Store]) -> bytes:
    out = bytearray(before)
    for s in stores:
        out[s.offset:s.offset + s.size] = (s.value & ((1 << 8 * s.size) - 1)).to_bytes(s.size, "little")
    return bytes(out)


def region_of(machine: "Machine", core: str, region: str) -> tuple[int, int]:
    """(base, size) of ``core``'s region ``region``, or a ConfigError naming the regions there are."""
    spec = machine.board.cores.get(core)
    regions = spec.regions if spec is not None else []
    for r in regions:
        if r.name == region:
            return r.base, r.size
    raise ConfigError(f"{machine.board.path}: core {core!r} has no region {region!r} "
                      f"(regions: {', '.join(r.name for r in regions) or 'none'})")


def record_stores(machine: "Machine", core: str, region: str, op: Callable[[], Any]) -> StoreTrace:
    """Run ``op()`` and record every store ``core`` makes into ``region`` (see the module docstring)."""
    base, size = region_of(machine, core, region)
    c = machine.cores[core]
    trace = StoreTrace(base, bytes(c.uc.mem_read(base, size)), [])

    def hook(_uc: Any, _access: int, address: int, nbytes: int, value: int, _ud: Any) -> None:
        trace.stores.append(Store(address - base, nbytes, value))

    handle = c.uc.hook_add(UC_HOOK_MEM_WRITE, hook, begin=base, end=base + size - 1)
    try:
        trace.result = op()
    finally:
        c.uc.hook_del(handle)
    return trace


def write_region(machine: "Machine", core: str, region: str, data: bytes) -> None:
    """Put ``data`` into the region (all of it) as the power came back with it."""
    base, size = region_of(machine, core, region)
    if len(data) != size:
        raise ConfigError(f"region {core}.{region} is {size:#x} bytes; got {len(data):#x}")
    machine.cores[core].uc.mem_write(base, bytes(data))
