"""Backing stores and per-core address maps built from a board description.

Every region and shared window is backed by one page-aligned ``mmap``; a window maps the same
bytes into several cores at their own bases with ``mem_map_ptr``, so a store by one core is
read by the other at once. The map also answers "what is at this address" for the loader,
fault reports and address translation.
"""
from __future__ import annotations

import ctypes
import mmap
from dataclasses import dataclass
from pathlib import Path

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.board import Board


class Store:
    """One block of emulated memory, shared by every mapping that shows it.

    With ``path`` the store is the file itself (mapped shared), so what firmware writes there
    survives a reset and the next run; a missing file is created filled with 0xFF (erased flash).
    """

    def __init__(self, name: str, size: int, path: str | Path | None = None) -> None:
        self.name = name
        self.size = size
        self.path = Path(path) if path is not None else None
        if self.path is None:
            self.buf = mmap.mmap(-1, size)
        else:
            self.buf = self._map_file(self.path, size)
        self.ptr = ctypes.addressof(ctypes.c_char.from_buffer(self.buf))

    def _map_file(self, path: Path, size: int) -> mmap.mmap:
        if path.is_dir():
            raise ConfigError(f"{path}: is a directory; give the flash file for '{self.name}' a file name (a missing "
                              f"file is created as erased flash, {size:#x} bytes)")
        try:
            if not path.exists():
                path.write_bytes(b"\xff" * size)
            have = path.stat().st_size
            if have != size:
                raise ConfigError(f"{path}: flash file for '{self.name}' is {have:#x} bytes but the region is "
                                  f"{size:#x}; delete it to start from erased flash or give the right file")
            fh = open(path, "r+b")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot use as flash file for '{self.name}': {exc}") from None
        with fh:
            return mmap.mmap(fh.fileno(), size)

    def flush(self) -> None:
        """Push file-backed contents to disk now (mmap writes reach the file anyway)."""
        if self.path is not None:
            self.buf.flush()

    def read(self, offset: int, size: int) -> bytes:
        return self.buf[offset:offset + size]

    def write(self, offset: int, data: bytes) -> None:
        self.buf[offset:offset + len(data)] = data

    def fill(self, offset: int, size: int, value: int = 0) -> None:
        self.buf[offset:offset + size] = bytes([value]) * size


@dataclass(frozen=True)
class Mapping:
    """A range of one core's address space and what backs it."""

    core: str
    base: int
    size: int
    name: str            # region, window or peripheral name
    kind: str            # flash | ram | rom | window | peripheral | scs
    store: Store | None  # None for MMIO
    offset: int = 0      # offset of ``base`` inside ``store``
    secure: bool | None = None   # None: no Secure/Non-secure distinction on this core
    window: str | None = None    # name of the shared window this range belongs to, if any

    @property
    def end(self) -> int:
        return self.base + self.size

    def contains(self, addr: int, size: int = 1) -> bool:
        return self.base <= addr and addr + size <= self.end


@dataclass(frozen=True)
class SecuritySpan:
    """A range of one core's addresses with one security attribute (IDAU alias + MPC gating)."""

    base: int
    end: int
    secure: bool
    what: str            # e.g. "Secure alias of 'sram'", "Non-secure alias of 'code_sram', kept Secure by its MPC"
    mpc: bool = False    # Secure because an MPC gates this Non-secure alias (not by the IDAU)


SECURE, NON_SECURE = "secure", "non-secure"


def security_spans(board: Board, core: str) -> list[SecuritySpan]:
    """The board's security attribution of ``core``, sorted; empty when it declares none.

    A region's base (Secure) alias is Secure; its Non-secure alias is Non-secure except the
    parts listed in ``mpc_secure``; a peripheral's base is Secure and its ``ns_alias``
    Non-secure; a shared window outside every region is Secure.
    """
    spec = board.cores[core]
    if not spec.attributed:
        return []
    spans: list[SecuritySpan] = []
    for r in spec.regions:
        spans.append(SecuritySpan(r.base, r.end, True, f"Secure alias of {r.name!r}"))
        if r.ns_alias is None:
            continue
        cursor = 0
        for off, size in list(r.mpc_secure) + [(r.size, 0)]:
            if off > cursor:
                spans.append(SecuritySpan(r.ns_alias + cursor, r.ns_alias + off, False,
                                          f"Non-secure alias of {r.name!r}"))
            if size:
                spans.append(SecuritySpan(r.ns_alias + off, r.ns_alias + off + size, True,
                                          f"Non-secure alias of {r.name!r}, kept Secure by its MPC", True))
            cursor = off + size
    for w in board.windows:
        base = w.bases.get(core)
        if base is not None and not any(r.view_base(base) is not None for r in spec.regions):
            spans.append(SecuritySpan(base, base + w.size, True, f"shared window {w.name!r}"))
    for p in board.peripherals:
        if p.core == core:
            spans.append(SecuritySpan(p.base, p.base + 0x1000, True, f"Secure alias of peripheral {p.name!r}"))
            if p.ns_alias is not None:
                spans.append(SecuritySpan(p.ns_alias, p.ns_alias + 0x1000, False,
                                          f"Non-secure alias of peripheral {p.name!r}"))
    return sorted(spans, key=lambda s: s.base)


class AddressMap:
    """The sorted list of mappings of one core, with lookups."""

    def __init__(self, core: str) -> None:
        self.core = core
        self.mappings: list[Mapping] = []
        self._spans: list[tuple[int, int, Mapping]] = []     # (base, end, mapping) in map order
        self.version = 0                 # bumped on every change: lets callers cache lookups

    def add(self, m: Mapping) -> None:
        self.version += 1
        self.mappings.append(m)
        self.mappings.sort(key=lambda x: x.base)
        self._spans = [(x.base, x.base + x.size, x) for x in self.mappings]

    def find(self, addr: int, size: int = 1) -> Mapping | None:
        """The first mapping (in address order) holding ``[addr, addr + size)`` (the SPM's checks
        call this several times per PSA call, hence the precomputed bounds)."""
        end = addr + size
        for base, limit, m in self._spans:
            if base <= addr and end <= limit:
                return m
        return None

    def describe(self) -> str:
        """A table of this core's map for error messages."""
        lines = [f"  {m.base:#010x}..{m.end - 1:#010x}  {m.kind:<10} {m.name}" for m in self.mappings]
        return f"memory map of core {self.core!r}:\n" + "\n".join(lines)


class Memory:
    """All stores of a board and the address map of each core."""

    def __init__(self, board: Board, files: dict[str, str | Path] | None = None) -> None:
        self.board = board
        self.files = dict(files or {})
        known = {f"{c.name}.{r.name}" for c in board.cores.values() for r in c.regions}
        for key in self.files:
            if key not in known:
                raise ConfigError(f"flash file for {key!r}: no such region (regions: {', '.join(sorted(known))})")
        self.stores: dict[str, Store] = {}
        self.maps: dict[str, AddressMap] = {c: AddressMap(c) for c in board.cores}
        #: Security attribution per core (empty: the board declares none for that core).
        self.security: dict[str, list[SecuritySpan]] = {c: security_spans(board, c) for c in board.cores}
        self._build()

    def _build(self) -> None:
        b = self.board
        for core in b.cores.values():
            for r in core.regions:
                name = f"{core.name}.{r.name}"
                store = Store(name, r.size, self.files.get(name))
                self.stores[store.name] = store
                dual = r.ns_alias is not None
                self.maps[core.name].add(Mapping(core.name, r.base, r.size, r.name, r.kind, store, 0,
                                                 True if dual else None))
                if dual:
                    self.maps[core.name].add(Mapping(core.name, r.ns_alias, r.size, r.name + " (NS)",
                                                     r.kind, store, 0, False))
        for w in b.windows:
            owner = None
            for cname, base in w.bases.items():
                m = self.maps[cname].find(base)
                if m is not None and m.store is not None:
                    owner = (cname, m, base)
            if owner:
                cname, m, base = owner
                store, offset = m.store, m.offset + base - m.base
            else:
                store, offset = Store(f"window.{w.name}", w.size), 0
                self.stores[store.name] = store
            for cname, base in w.bases.items():
                if owner and cname == owner[0]:
                    continue
                self.maps[cname].add(Mapping(cname, base, w.size, w.name, "window", store, offset,
                                             None, w.name))

    def security_span(self, core: str, addr: int) -> SecuritySpan | None:
        """The attribution span holding ``core:addr``, or None."""
        for span in self.security[core]:
            if span.base <= addr < span.end:
                return span
        return None

    def attribution(self, core: str, addr: int, size: int = 1) -> str | None:
        """``"secure"`` or ``"non-secure"`` for ``core:[addr, addr+size)``, as the board's IDAU
        aliases and MPC gating say: Secure if any byte is; None when the core has no
        attribution or part of the range has none (unmapped)."""
        spans = self.security[core]
        if not spans or size <= 0 or addr + size > 1 << 32:
            return None
        cursor, end, secure = addr, addr + size, False
        for span in spans:
            if span.end <= cursor:
                continue
            if span.base > cursor:
                return None
            secure = secure or span.secure
            cursor = span.end
            if cursor >= end:
                return SECURE if secure else NON_SECURE
        return None

    def describe_security(self, core: str) -> str:
        """A table of ``core``'s security attribution ("" when it has none), for ``psaemu check``."""
        spans = self.security[core]
        if not spans:
            return ""
        spec = self.board.cores[core]
        state = "enforced" if spec.enforce_security is not False else "not enforced (enforce_security = false)"
        lines = [f"  {s.base:#010x}..{s.end - 1:#010x}  {'Secure' if s.secure else 'Non-secure':<10} {s.what}"
                 for s in spans]
        return f"security attribution of core {core!r} ({state}):\n" + "\n".join(lines)

    def ram_mappings(self, core: str) -> list[Mapping]:
        return [m for m in self.maps[core].mappings if m.store is not None]

    def windows_of(self, core: str, addr: int) -> list[tuple[str, int]]:
        """Every (core, address) at which the byte at ``core:addr`` is visible, itself included."""
        m = self.maps[core].find(addr)
        if m is None or m.store is None:
            return [(core, addr)]
        off = m.offset + addr - m.base
        views = []
        for cname, amap in self.maps.items():
            for other in amap.mappings:
                if other.store is m.store and other.offset <= off < other.offset + other.size:
                    views.append((cname, other.base + off - other.offset))
        return views

    def translate(self, addr: int, from_core: str, to_core: str) -> int | None:
        """The address at which ``to_core`` sees the byte ``from_core`` sees at ``addr``.

        Secure addresses are preferred over Non-secure aliases; None when ``to_core`` cannot see it.
        """
        candidates = [a for c, a in self.windows_of(from_core, addr) if c == to_core]
        if not candidates:
            return None
        if from_core == to_core:
            return addr
        secure = [a for a in candidates if self.maps[to_core].find(a).secure is not False]
        return (secure or candidates)[0]
