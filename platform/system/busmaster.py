"""A bus-master port for peripheral models: DMA-style reads and writes of one core's memory.

Models know nothing of Unicorn; a model that masters the bus (the crypto engine) is given a
:class:`BusMaster` by the machine and reads/writes through the backing stores of
``platform/system/memory.py``, which every core maps with ``mem_map_ptr``, so the core sees the bytes
at once. Only memory is reachable: a peripheral, the SCS or an unmapped address is a bus error,
as is a write into flash or ROM. One transfer is at most :data:`MAX_TRANSFER` bytes.
Transfers are invisible to watchpoints and fault injection (they are not core accesses), and a
write into memory a core executes from is not re-translated: DMA targets data memory.
"""
from __future__ import annotations

from psaemu.platform.errors import PsaEmuError
from psaemu.platform.system.memory import Memory

#: Largest single transfer (bytes); a descriptor asking for more is a bus error.
MAX_TRANSFER = 64 * 1024
#: Mapping kinds a bus master may write (reads may also come from flash and ROM).
WRITABLE_KINDS = frozenset({"ram", "window"})
READABLE_KINDS = WRITABLE_KINDS | {"flash", "rom"}


class BusMasterError(PsaEmuError):
    """A DMA transfer hit an address the port cannot serve; the message names it."""


class BusMaster:
    """DMA port of one core's address space (the addresses that core's firmware uses)."""

    def __init__(self, memory: Memory, core: str) -> None:
        self.memory = memory
        self.core = core

    def _target(self, addr: int, size: int, kinds: frozenset[str], op: str):
        if size < 0 or size > MAX_TRANSFER:
            raise BusMasterError(f"DMA {op} of {size} bytes at {addr:#010x} on core {self.core!r}: "
                                 f"a transfer is 0..{MAX_TRANSFER} bytes")
        m = self.memory.maps[self.core].find(addr, max(size, 1))
        if m is None or m.store is None or m.kind not in kinds:
            what = "unmapped" if m is None else f"{m.kind} '{m.name}'"
            raise BusMasterError(f"DMA {op} of {size} bytes at {addr:#010x} on core {self.core!r}: "
                                 f"{what} (a bus master {op}s only {', '.join(sorted(kinds))})")
        return m.store, m.offset + addr - m.base

    def read(self, addr: int, size: int) -> bytes:
        """``size`` bytes at ``addr``; :class:`BusMasterError` for a target the port cannot read."""
        if size == 0:
            return b""
        store, off = self._target(addr, size, READABLE_KINDS, "read")
        return store.read(off, size)

    def write(self, addr: int, data: bytes) -> None:
        """Write ``data`` at ``addr``; :class:`BusMasterError` for a target the port cannot write."""
        if not data:
            return
        store, off = self._target(addr, len(data), WRITABLE_KINDS, "write")
        store.write(off, bytes(data))
