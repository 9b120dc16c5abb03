"""Whole-machine snapshots: save the state of a machine and put it back, in memory or through a file.

``snap = m.snapshot()`` captures everything a run depends on; ``m.restore(snap)`` puts it back, and
the restored machine then runs bit-identically to the original from that point (same event trace,
consoles, IPC records, exit status and cycle counts). ``snap.save(path)`` / ``Snapshot.load(path)``
keep a snapshot in a file; ``Machine.from_snapshot(path)`` builds a fresh machine from the board and
images a snapshot names (checked by SHA-256), attaches the PSA Proxy if the snapshot had it, and
restores it. ``m.restore(Snapshot.load(path))`` works as well on a machine you built yourself from
the same board and images (with ``attach_proxy`` done if the snapshot had the proxy).

What a snapshot holds: the state protocol
-----------------------------------------
This module walks the machine's components and knows none of their insides: each provides
``save_state() -> plain data`` and ``restore_state(state)`` (plain data: ints, strings, bytes,
tuples, lists, dicts and psaemu dataclasses of them; a core's CPU context is an opaque object
that becomes bytes in a file). In restore order:

* **Memory** (this module's own business: the stores, see below; file-backed flash included).
* **Each core** (``Core.save_state``): CPU context, run state, counters, fault, exception engine,
  System Control Space (NVIC, SCB, SysTick) and security state; a Python wait as its
  ``Block.resume`` description. Python SVC handlers are configuration: they stay as they are.
* **Each peripheral** (``Peripheral.save_state``: the model's ``snapshot()`` and its bus errors).
* :func:`components`: the **machine** (scheduler, how a run ended), the **console**, the **event
  log**, and once attached or used, the **PSA Proxy** (``ProxySystem.save_state``: the proxy's
  handshake and pool, the Host SPM's connections and forwarded operations in flight, the IPC
  monitor's records), the **fault injector** (armed injections, seed, generator state, pending delayed actions) and the
  **debugger** ("resume" state of cores stopped at a breakpoint; breakpoints and watchpoints are
  configuration and stay installed).
* Components added with :func:`register_state`.

When a snapshot can be taken
----------------------------
Whenever every Python wait is data. A forwarded PSA operation (connect, call, close) is a
:class:`~psaemu.proxy.operation.ForwardOp` in the Host SPM, and the Host core blocked on it waits
through a ``Block`` whose ``resume`` names it (:func:`register_wait` rebuilds the Block after a
restore), so a machine can be snapshotted in the middle of a forwarded call, restored (into the
same machine or a fresh one) and go on bit-identically; so can a machine waiting for the proxy's
boot handshake. ``snapshot()`` refuses (:class:`SnapshotError`) while a Python wait without such a
description is pending, or a machine agent no component covers (one added by a test without
:func:`register_state`)::

    m.run_until(lambda m: quiescent(m))
    snap = m.snapshot()

Memory: how restores stay cheap and exact
-----------------------------------------
Unicorn 2.1's own copy-on-write memory contexts (``UC_CTL_CONTEXT_MEMORY``) cannot be used: a
write after the snapshot goes to a private Unicorn copy of the page, so the other core (which
maps the same store) and the Python models (which use the store's mmap) stop seeing the
emulated core's writes, and it sees none of theirs.

On Linux the machine's anonymous stores use the kernel's copy-on-write instead. The first
snapshot copies each store into a sealed ``memfd`` (the store's *base*) and maps that file
``MAP_PRIVATE | MAP_FIXED`` over the store, at the same address, so Unicorn's ``mem_map_ptr``
pointers, both cores' views and the Python mmap objects are unchanged. From then on the kernel
knows which pages anyone has written (they are private anonymous pages; ``/proc/self/pagemap``
says which): a snapshot copies only those pages (its *overlay*), and a restore drops the pages
written since (``madvise(MADV_DONTNEED)``: they read the base again) and writes the overlay
back. No byte is compared or copied that nobody wrote, whatever wrote it (either core, the
proxy, the loader, a debugger). Stores backed by a flash file (``flash_files``), and every store
where this is unavailable (not Linux, or ``PSAEMU_SNAPSHOT_MEMORY=copy``), are kept as full
copies and restored by comparing 64 KiB chunks (``memcmp``) and writing back the ones that differ.

After memory is put back, translated code of exactly the pages that changed is dropped
(``ctl_remove_cache`` in every core's view of them, aliases included); when a store is switched
to another base (a snapshot from a file or another machine) the cores' translation caches are
flushed (``ctl_flush_tb``). Set :data:`FLUSH_ALL_ON_RESTORE` to flush every core's cache on
every restore instead. (Dropping by address needs the address to be executable in Unicorn's
current state; it always is here, as psaemu never enables Unicorn's MPU: the System Control Space
is modelled in Python.)

Unicorn contexts: a snapshot restored into the machine it came from uses ``context_restore``
as it is. Into another machine (or from a file, another process) the context's bytes are copied
except for the words that belong to the Unicorn instance: host pointers (the M33's MPU/SAU
region arrays), found once per CPU model by comparing the contexts of three live fresh
instances and by checking every word against this process's mappings; those keep the target's
values. A file is refused by another Unicorn version.

Event log and completed IPC records are immutable, so a snapshot shares them with the live
machine instead of copying; IPC records of transactions in flight are copied.
"""
from __future__ import annotations

import ctypes
import dataclasses
import fcntl
import hashlib
import json
import marshal
import mmap
import os
import struct
import weakref
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from psaemu.platform.cpu.core import Core
from psaemu.platform.cpu.cpucontext import CpuContext
from psaemu.platform.errors import PsaEmuError

if TYPE_CHECKING:
    from psaemu.platform.system.builder import MachineSpec
    from psaemu.platform.system.machine import Machine
    from psaemu.platform.system.memory import Store

MAGIC = b"PSAEMU-SNAPSHOT\n"
FORMAT = "psaemu-snapshot"
#: 2: every component's state from its own ``save_state`` (version 1 files are refused with a
#: message saying to take the snapshot again).
FORMAT_VERSION = 2
#: Drop every core's whole translation cache on each restore (instead of the pages that changed).
FLUSH_ALL_ON_RESTORE = False
#: Chunk size of the compare-and-copy path (file-backed stores, no copy-on-write).
CHUNK = 64 * 1024
PAGE = mmap.PAGESIZE

#: Core attributes that are run state (``Core.save_state``) and configuration (kept where they are
#: declared, in psaemu.platform.cpu.core.Core; tests/platform/test_snapshot.py checks every attribute is in one).
CORE_DYNAMIC, CORE_STATIC, CORE_STATIC_PREFIXES = Core.STATE_ATTRS, Core.CONFIG_ATTRS, Core.CONFIG_PREFIXES
#: The same for Machine: saved by ``Machine.save_state`` or as components of their own.
MACHINE_DYNAMIC = ("scheduler", "exit", "faulted", "panic", "stopping", "events",
                   "console", "memory", "cores", "peripherals", "_debugger", "proxy_system", "_snapshot_slot",
                   "_faults")
MACHINE_STATIC = ("board", "_links", "_written", "_split_from", "agents", "psa")


class SnapshotError(PsaEmuError):
    """A snapshot cannot be taken, saved, loaded or restored; the message says why and what to do."""


# =============================================================================================
# Helpers: identities, extension registry
# =============================================================================================

def _sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_file_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(path: str | Path) -> str:
    """SHA-256 of a file, cached by (path, mtime, size)."""
    p = str(Path(path).resolve())
    st = os.stat(p)
    key = (p, st.st_mtime_ns, st.st_size)
    digest = _file_digests.get(key)
    if digest is None:
        digest = _file_digests[key] = _sha256_file(p)
    return digest


def _image_digest(image: Any) -> str:
    """SHA-256 of an image's ELF file, computed once per loaded Image."""
    digest = getattr(image, "_psaemu_sha256", None)
    if digest is None:
        digest = _file_digest(image.path)
        image._psaemu_sha256 = digest
    return digest


def _machine_slot(m: "Machine") -> dict[str, Any]:
    """Per-machine bookkeeping of this module (memory trackers, registered components)."""
    slot = m.__dict__.get("_snapshot_slot")
    if slot is None:
        slot = m.__dict__["_snapshot_slot"] = {"memory": None, "parts": {}}
    return slot


def register_state(machine: "Machine", key: str, save: Callable[[], Any], restore: Callable[[Any], None],
                   check: Callable[[], str | None] | None = None, agents: tuple[Callable[..., Any], ...] = ()) -> None:
    """Make a component's state part of the machine's snapshots.

    ``save()`` returns the state (it must not share mutable objects with the live component;
    for ``Snapshot.save`` it must be made of ints, floats, strings, bytes, None, bools, tuples,
    lists, dicts and sets); ``restore(state)`` puts it back (it may be called several times with
    the same state); ``check()`` returns a reason why no snapshot may be taken now, or None.
    A snapshot only restores into a machine that has the same keys registered. ``agents``: the
    machine agents (``Machine.agents``) whose state this covers; a machine with an agent that no
    registration covers cannot be snapshotted.
    """
    _machine_slot(machine)["parts"][key] = (save, restore, check, tuple(agents))


def unregister_state(machine: "Machine", key: str) -> None:
    _machine_slot(machine)["parts"].pop(key, None)


#: Rebuilders of snapshotable waits: ``key -> rebuild(machine, core, *args) -> Block``.
_WAITS: dict[str, Callable[..., Any]] = {}


def register_wait(key: str, rebuild: Callable[..., Any]) -> None:
    """Let snapshots hold waits whose ``Block.resume`` is ``(key, *args)``: after a restore,
    ``rebuild(machine, core, *args)`` returns the equivalent Block (its ``started`` is restored)."""
    _WAITS[key] = rebuild


def _held_wait(core: "Core") -> tuple[Any, ...] | None:
    """The ``resume`` description of the core's wait when a snapshot can hold it."""
    block = core.block
    if block is not None and block.resume and block.resume[0] in _WAITS:
        return tuple(block.resume)
    return None


def blockers(m: "Machine") -> list[str]:
    """Why a snapshot cannot be taken now (empty when it can)."""
    from psaemu.platform.cpu.core import CoreState

    reasons = []
    for core in m.cores.values():
        if (core.state is CoreState.BLOCKED or core.block is not None) and _held_wait(core) is None:
            what = core.block.what if core.block is not None else "a Python condition"
            reasons.append(f"core {core.name!r} is blocked in a Python SVC handler waiting for {what}")
    dbg = m.__dict__.get("_debugger")
    if dbg is not None and getattr(dbg, "_step", None) is not None:
        reasons.append("the debugger is in the middle of a step")
    for agent in _uncovered_agents(m):
        reasons.append(f"the machine agent {agent!r} keeps state no snapshot covers; register it with "
                       f"psaemu.platform.testing.snapshot.register_state(m, key, save, restore, agents=(agent,))")
    for key, (_save, _restore, check, _agents) in _machine_slot(m)["parts"].items():
        why = check() if check is not None else None
        if why:
            reasons.append(f"{key}: {why}")
    return reasons


def quiescent(m: "Machine") -> bool:
    """True when a snapshot can be taken now: no Python wait pending. Use it with ``run_until``:
    ``m.run_until(lambda m: proxy.ready and quiescent(m))``."""
    return not blockers(m)


def _uncovered_agents(m: "Machine") -> list[Any]:
    """Machine agents whose state no snapshot covers (not the proxy's, not declared in register_state)."""
    covered: list[Any] = []
    for _key, comp in components(m):
        covered.extend(getattr(comp, "state_agents", ()))
    for entry in _machine_slot(m)["parts"].values():
        covered.extend(entry[3])
    return [a for a in m.agents if not any(a == c for c in covered)]


# =============================================================================================
# Memory: kernel copy-on-write bases (Linux) or compare-and-copy
# =============================================================================================

class _Os:
    """The Linux facilities of the copy-on-write path, probed once per process."""

    def __init__(self) -> None:
        self.ok = False
        self.reason = ""
        self.memcmp: Any = None
        self.mmap: Any = None
        self.pagemap: int | None = None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self.memcmp = libc.memcmp
            self.memcmp.restype = ctypes.c_int
            self.memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        except (OSError, AttributeError):
            self.memcmp = None
        try:
            self._probe(libc)
            self.ok = True
        except Exception as exc:           # anything missing: use the compare-and-copy path
            self.reason = str(exc) or type(exc).__name__

    def _probe(self, libc: Any) -> None:
        if not hasattr(os, "memfd_create") or not hasattr(mmap, "MADV_DONTNEED"):
            raise OSError("no memfd_create/MADV_DONTNEED")
        self.mmap = libc.mmap
        self.mmap.restype = ctypes.c_void_p
        self.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                              ctypes.c_long]
        self.pagemap = os.open("/proc/self/pagemap", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        # A private mapping of a sealed memfd: a written page must read as dirty, a read one as clean,
        # MADV_DONTNEED must bring the file's contents back.
        probe = mmap.mmap(-1, 2 * PAGE)
        try:
            base = _Base.from_bytes(b"\x5a" * (2 * PAGE), 2 * PAGE)
            addr = ctypes.addressof(ctypes.c_char.from_buffer(probe))
            _map_private(self, addr, base)
            probe[PAGE] = 1
            if probe[0] != 0x5A or _dirty_mask(self, addr, 2) != b"\x00\x01":
                raise OSError("pagemap does not report private pages")
            probe.madvise(mmap.MADV_DONTNEED, 0, 2 * PAGE)
            if probe[PAGE] != 0x5A or _dirty_mask(self, addr, 2) != b"\x00\x00":
                raise OSError("MADV_DONTNEED does not restore a private file mapping")
        finally:
            probe.close()


_os_state: _Os | None = None


def _os() -> _Os:
    global _os_state
    if _os_state is None:
        _os_state = _Os()
    return _os_state


def memory_mode() -> str:
    """``cow`` (kernel copy-on-write bases) or ``copy`` for new machines, from the platform and
    ``PSAEMU_SNAPSHOT_MEMORY`` (auto, cow, copy)."""
    want = os.environ.get("PSAEMU_SNAPSHOT_MEMORY", "auto").strip().lower()
    if want == "copy":
        return "copy"
    if _os().ok:
        return "cow"
    if want == "cow":
        raise SnapshotError(f"PSAEMU_SNAPSHOT_MEMORY=cow: copy-on-write memory is not available here "
                            f"({_os().reason}); unset it to use the copying path")
    return "copy"


# pagemap entry, byte 7 (bits 56..63): 0x80 present, 0x40 swapped, 0x20 file page / shared anon.
# A page of a private file mapping that anyone wrote is an anonymous page (present, not file) or
# swapped out; a page never written is a file page or not present.
_DIRTY = bytes(1 if (b & 0x80 and not b & 0x20) or b & 0x40 else 0 for b in range(256))
_PROT_RW = 0x1 | 0x2
_MAP_PRIVATE_FIXED = 0x02 | 0x10


def _dirty_mask(o: _Os, addr: int, npages: int) -> bytes:
    """One byte per page, 1 where the page is private (written since the base was mapped)."""
    raw = os.pread(o.pagemap, 8 * npages, (addr // PAGE) * 8)
    if len(raw) != 8 * npages:
        raise SnapshotError(f"short read of /proc/self/pagemap ({len(raw)} of {8 * npages} bytes)")
    return raw[7::8].translate(_DIRTY)


def _runs(mask: bytes) -> list[tuple[int, int]]:
    """[start, end) page runs where ``mask`` is 1."""
    out = []
    i = mask.find(1)
    while i >= 0:
        j = mask.find(0, i)
        if j < 0:
            j = len(mask)
        out.append((i, j))
        i = mask.find(1, j)
    return out


def _or(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _and_not(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") & ~int.from_bytes(b, "little")).to_bytes(len(a), "little")


class _Base:
    """An immutable image of one store: a sealed memfd, mapped privately under the live store."""

    def __init__(self, fd: int, length: int) -> None:
        self.fd = fd
        self.length = length
        self._fin = weakref.finalize(self, os.close, fd)

    @classmethod
    def _new(cls, length: int) -> "_Base":
        flags = os.MFD_CLOEXEC | getattr(os, "MFD_ALLOW_SEALING", 0)
        fd = os.memfd_create("psaemu-snapshot", flags)
        try:
            os.ftruncate(fd, length)
        except OSError:
            os.close(fd)
            raise
        return cls(fd, length)

    def _seal(self) -> None:
        seals = sum(getattr(fcntl, n, 0) for n in ("F_SEAL_WRITE", "F_SEAL_GROW", "F_SEAL_SHRINK", "F_SEAL_SEAL"))
        if hasattr(fcntl, "F_ADD_SEALS") and seals:
            try:
                fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, seals)
            except OSError:
                pass                        # unsealed still works: nothing writes the file

    @classmethod
    def from_buffer(cls, buf: mmap.mmap, ptr: int, size: int, o: _Os) -> "_Base":
        """Copy a live store (its non-zero 64 KiB chunks; the rest stays a hole)."""
        base = cls._new(_page_round(size))
        zero = bytes(CHUNK)
        zp = ctypes.cast(ctypes.c_char_p(zero), ctypes.c_void_p).value
        with memoryview(buf) as mv:
            for off in range(0, size, CHUNK):
                n = min(CHUNK, size - off)
                if o.memcmp is not None and o.memcmp(ptr + off, zp, n) == 0:
                    continue
                os.pwrite(base.fd, mv[off:off + n], off)
        base._seal()
        return base

    @classmethod
    def from_bytes(cls, data: bytes, size: int) -> "_Base":
        """A sealed base holding the first ``size`` bytes of ``data`` (zero chunks left as holes)."""
        return cls.from_chunks(size, _nonzero_chunks(data[:size] if len(data) > size else data))

    @classmethod
    def from_chunks(cls, size: int, chunks: Iterable[tuple[int, Any]]) -> "_Base":
        """A sealed base of ``size`` bytes, zero but for the ``(offset, bytes)`` chunks."""
        base = cls._new(_page_round(size))
        for off, piece in chunks:
            os.pwrite(base.fd, piece, off)
        base._seal()
        return base

    def read(self, size: int) -> bytes:
        data = os.pread(self.fd, size, 0)
        return data + bytes(size - len(data))


def _nonzero_chunks(data: bytes) -> Iterator[tuple[int, memoryview]]:
    """``(offset, piece)`` of each :data:`CHUNK`-sized piece of ``data`` that is not all zero
    (a view: use it before taking the next one)."""
    zero = bytes(CHUNK)
    with memoryview(data) as mv:
        for off in range(0, len(data), CHUNK):
            piece = mv[off:off + CHUNK]
            if piece != zero[:len(piece)]:
                yield off, piece


def _page_round(n: int) -> int:
    return -(-n // PAGE) * PAGE


def _map_private(o: _Os, addr: int, base: _Base) -> None:
    got = o.mmap(addr, base.length, _PROT_RW, _MAP_PRIVATE_FIXED, base.fd, 0)
    if got != addr:
        err = ctypes.get_errno()
        raise SnapshotError(f"mmap(MAP_FIXED) of a snapshot base at {addr:#x} failed: {os.strerror(err)}")


class _StoreImage:
    """One store in a snapshot: ``base`` + ``overlay`` (copy-on-write) or ``data`` (a full copy)."""

    __slots__ = ("name", "size", "base", "overlay", "mask", "data")

    def __init__(self, name: str, size: int, base: _Base | None = None,
                 overlay: list[tuple[int, bytes]] | None = None, mask: bytes | None = None,
                 data: bytes | None = None) -> None:
        self.name, self.size, self.base, self.overlay, self.mask, self.data = name, size, base, overlay or [], mask, data

    def contents(self, keep: bool = True) -> bytes:
        """The store's bytes (from base and overlay; with ``keep`` they are kept for next time)."""
        if self.data is not None:
            return self.data
        buf = bytearray(self.base.read(self.size))
        for off, chunk in self.overlay:
            buf[off:off + len(chunk)] = chunk
        data = bytes(buf)
        if keep:
            self.data = data
        return data

    def ensure_base(self) -> None:
        """Give a full-copy image a base (to restore it into a copy-on-write store)."""
        if self.base is None:
            self.base = _Base.from_bytes(self.data, self.size)
            self.overlay, self.mask = [], None


class _Track:
    """How one live store is kept: ``cow`` (privately mapped over ``base``) or ``copy``."""

    __slots__ = ("store", "mode", "base", "npages")

    def __init__(self, store: "Store", mode: str) -> None:
        self.store = store
        self.mode = mode
        self.base: _Base | None = None
        self.npages = -(-store.size // PAGE)


def _tracks(m: "Machine") -> dict[str, _Track]:
    slot = _machine_slot(m)
    tracks = slot["memory"]
    if tracks is None:
        mode = memory_mode()
        tracks = slot["memory"] = {}
        for name, store in m.memory.stores.items():
            tracks[name] = _Track(store, "copy" if store.path is not None or mode == "copy" else "cow")
    return tracks


def _take_memory(m: "Machine") -> dict[str, _StoreImage]:
    o = _os()
    images = {}
    for name, t in _tracks(m).items():
        store = t.store
        if t.mode == "copy":
            images[name] = _StoreImage(name, store.size, data=store.buf[:store.size])
            continue
        if t.base is None:
            t.base = _Base.from_buffer(store.buf, store.ptr, store.size, o)
            _map_private(o, store.ptr, t.base)
            images[name] = _StoreImage(name, store.size, t.base)
            continue
        mask = _dirty_mask(o, store.ptr, t.npages)
        overlay = []
        for a, b in _runs(mask):
            lo, hi = a * PAGE, min(b * PAGE, store.size)
            overlay.append((lo, store.buf[lo:hi]))
        images[name] = _StoreImage(name, store.size, t.base, overlay, mask if overlay else None)
    return images


def _restore_memory(m: "Machine", images: dict[str, _StoreImage]) -> dict["Store", list[tuple[int, int]] | None]:
    """Put every store back; returns the byte ranges that changed per store (None: all of it)."""
    changed: dict[Store, list[tuple[int, int]] | None] = {}
    for name, t in _tracks(m).items():
        img = images[name]
        store = t.store
        if t.mode == "copy":
            ranges = _copy_back(store, img.contents())
            if ranges:
                changed[store] = ranges
                store.flush()
            continue
        img.ensure_base()
        o = _os()
        if t.base is not img.base:
            _map_private(o, store.ptr, img.base)
            t.base = img.base
            for off, chunk in img.overlay:
                store.buf[off:off + len(chunk)] = chunk
            changed[store] = None
            continue
        cur = _dirty_mask(o, store.ptr, t.npages)
        ov = img.mask
        drop = _and_not(cur, ov) if ov is not None else cur
        for a, b in _runs(drop):
            store.buf.madvise(mmap.MADV_DONTNEED, a * PAGE, (b - a) * PAGE)
        for off, chunk in img.overlay:
            store.buf[off:off + len(chunk)] = chunk
        touched = _or(cur, ov) if ov is not None else cur
        ranges = [(a * PAGE, min(b * PAGE, store.size)) for a, b in _runs(touched)]
        if ranges:
            changed[store] = ranges
    return changed


def _copy_back(store: "Store", data: bytes) -> list[tuple[int, int]]:
    """Write back the 64 KiB chunks of ``store`` that differ from ``data``; their ranges."""
    size = store.size
    memcmp = _os().memcmp
    ranges: list[tuple[int, int]] = []
    dp = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value
    with memoryview(data) as dv:
        for off in range(0, size, CHUNK):
            n = min(CHUNK, size - off)
            if memcmp is not None:
                same = memcmp(store.ptr + off, dp + off, n) == 0
            else:
                same = store.buf[off:off + n] == dv[off:off + n]
            if same:
                continue
            store.buf[off:off + n] = dv[off:off + n]
            if ranges and ranges[-1][1] == off:
                ranges[-1] = (ranges[-1][0], off + n)
            else:
                ranges.append((off, off + n))
    return ranges


def _invalidate(m: "Machine", changed: dict["Store", list[tuple[int, int]] | None]) -> None:
    """Drop translated code of what changed, in every core's view of it (aliases included)."""
    if not changed:
        return
    if FLUSH_ALL_ON_RESTORE:
        for core in m.cores.values():
            core.code_changed()
        return
    for cname, amap in m.memory.maps.items():
        core = m.cores[cname]
        flushed = False
        for mp in amap.mappings:
            if mp.store is None or mp.store not in changed:
                continue
            ranges = changed[mp.store]
            if ranges is None:
                if not flushed:
                    core.code_changed()
                    flushed = True
                continue
            lo_view, hi_view = mp.offset, mp.offset + mp.size
            for lo, hi in ranges:
                a, b = max(lo, lo_view), min(hi, hi_view)
                if a < b:
                    core.code_changed(mp.base + a - lo_view, mp.base + b - lo_view)


# =============================================================================================
# The snapshot
# =============================================================================================

class Snapshot:
    """The state of a machine at one point; restore it with ``Machine.restore``.

    ``identity`` names the board, the images (path and SHA-256 of each ELF), the memory layout
    and the Unicorn version; a snapshot restores only into a machine that matches it.
    """

    def __init__(self) -> None:
        self.identity: dict[str, Any] = {}
        self._owner: Any = None                 # weakref to the machine it was taken from
        self._images: dict[str, Any] = {}       # core -> Image object (same-process fast checks)
        self._memory: dict[str, _StoreImage] = {}
        self._state: dict[str, Any] = {}

    # -- information ----------------------------------------------------------------------
    @property
    def cycles(self) -> dict[str, int]:
        return {n: c["plain"]["cycles"] for n, c in self._state["cores"].items()}

    @property
    def instructions(self) -> dict[str, int]:
        return {n: c["plain"]["instructions"] for n, c in self._state["cores"].items()}

    @property
    def events(self) -> int:
        """Events recorded up to the snapshot (the retained ones and those that left the window)."""
        ev = self._state["events"]
        return ev.get("first", 0) + len(ev["records"])

    @property
    def has_proxy(self) -> bool:
        return self._state.get("proxy") is not None

    def __repr__(self) -> str:
        cores = ", ".join(f"{n}={c}" for n, c in self.instructions.items())
        return f"<Snapshot {self.identity.get('board', {}).get('name')} instructions {cores} events {self.events}>"

    # -- files ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the snapshot to ``path``: a JSON header (format version, board, images with
        SHA-256, layout, Unicorn version) and the state, compressed."""
        state = self._state
        memory = {}
        for name, img in self._memory.items():
            chunks = [(off, bytes(piece)) for off, piece in _nonzero_chunks(img.contents(keep=False))]
            memory[name] = (img.size, chunks)
        payload = zlib.compress(marshal.dumps({"state": _encode(state), "memory": memory}, 4), 1)
        header = dict(self.identity, format=FORMAT, version=FORMAT_VERSION,
                      payload={"length": len(payload), "sha256": hashlib.sha256(payload).hexdigest(),
                               "encoding": "zlib+marshal4"})
        head = json.dumps(header, indent=1, sort_keys=True).encode()
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(MAGIC)
            f.write(struct.pack("<I", len(head)))
            f.write(head)
            f.write(payload)
        os.replace(tmp, path)

    @staticmethod
    def read_header(path: str | Path) -> dict[str, Any]:
        """The JSON header of a snapshot file (format, version, board, images...)."""
        return _read(path, header_only=True)[0]

    @classmethod
    def load(cls, path: str | Path) -> "Snapshot":
        """Read a snapshot file written by :meth:`save`."""
        header, payload = _read(path)
        try:
            blob = marshal.loads(zlib.decompress(payload))
            state, memory = blob["state"], blob["memory"]
        except Exception as exc:
            raise SnapshotError(f"{path}: the snapshot's state cannot be decoded ({exc}); the file is damaged") from None
        snap = cls()
        snap.identity = {k: v for k, v in header.items() if k not in ("format", "version", "payload")}
        try:
            snap._state = _decode(state)
        except SnapshotError:
            raise
        except Exception as exc:
            raise SnapshotError(f"{path}: the snapshot's state does not match this psaemu ({type(exc).__name__}: "
                                f"{exc}); take the snapshot again") from None
        cow = memory_mode() == "cow"
        for name, (size, chunks) in memory.items():
            if cow:
                snap._memory[name] = _StoreImage(name, size, _Base.from_chunks(size, chunks))
            else:
                buf = bytearray(size)
                for off, piece in chunks:
                    buf[off:off + len(piece)] = piece
                snap._memory[name] = _StoreImage(name, size, data=bytes(buf))
        return snap


def _read(path: str | Path, header_only: bool = False) -> tuple[dict[str, Any], bytes]:
    try:
        with open(path, "rb") as f:
            magic = f.read(len(MAGIC))
            if magic != MAGIC:
                raise SnapshotError(f"{path}: not a psaemu snapshot file (no {MAGIC!r} signature)")
            (n,) = struct.unpack("<I", f.read(4))
            try:
                header = json.loads(f.read(n))
            except ValueError:
                raise SnapshotError(f"{path}: the snapshot header is damaged") from None
            if header.get("format") != FORMAT:
                raise SnapshotError(f"{path}: not a psaemu snapshot (format {header.get('format')!r})")
            if header.get("version") != FORMAT_VERSION:
                raise SnapshotError(f"{path}: snapshot format version {header.get('version')}, this psaemu reads "
                                    f"version {FORMAT_VERSION}; take the snapshot again with this psaemu")
            if header_only:
                return header, b""
            payload = f.read()
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read the snapshot: {exc.strerror or exc}") from None
    except struct.error:
        raise SnapshotError(f"{path}: the snapshot file is truncated") from None
    info = header.get("payload", {})
    if len(payload) != info.get("length") or hashlib.sha256(payload).hexdigest() != info.get("sha256"):
        raise SnapshotError(f"{path}: the snapshot file is truncated or damaged (payload checksum mismatch)")
    return header, payload


# -- conversions between the live state and plain data (files) ---------------------------------

_TAG = "\0psaemu:"
_DC = "\0psaemu-record:"
_NATIVE = (int, float, str, bytes, bool, type(None))


def _encode(obj: Any) -> Any:
    """Make a component state marshal-able: int/str/float subclasses (IntEnum statuses, handles)
    become tagged tuples naming their class, psaemu dataclasses (records, configurations) tagged
    dicts of their fields, a saved CPU context its bytes (psaemu classes only); containers are walked."""
    t = type(obj)
    if t in _NATIVE:
        return obj
    if t is tuple:
        return tuple(_encode(x) for x in obj)
    if t is list:
        return [_encode(x) for x in obj]
    if t is dict:
        return {_encode(k): _encode(v) for k, v in obj.items()}
    if t in (set, frozenset):
        return t(_encode(x) for x in obj)
    if t is CpuContext:
        return bytes(obj)
    name = t.__module__ + ":" + t.__qualname__
    if dataclasses.is_dataclass(obj) and t.__module__.startswith("psaemu."):
        return (_DC + name, {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)})
    for base in (bool, int, float, str, bytes):
        if isinstance(obj, base):
            return (_TAG + name, base(obj.value if hasattr(obj, "value") and isinstance(obj.value, base) else obj))
    raise SnapshotError(f"cannot save the snapshot: a {t.__module__}.{t.__qualname__} is in its state; a "
                        f"component's save_state() (and state added with register_state()) must be plain data "
                        f"(ints, strings, bytes, tuples, lists, dicts, psaemu dataclasses of them)")


def _class(tagged: str, tag: str) -> Any:
    module, _, qualname = tagged[len(tag):].partition(":")
    if not module.startswith("psaemu."):
        raise SnapshotError(f"the snapshot names a class outside psaemu ({module}.{qualname})")
    import importlib

    cls: Any = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    return cls


def _decode(obj: Any) -> Any:
    t = type(obj)
    if t is tuple:
        if len(obj) == 2 and type(obj[0]) is str and obj[0].startswith(_TAG):
            return _class(obj[0], _TAG)(obj[1])
        if len(obj) == 2 and type(obj[0]) is str and obj[0].startswith(_DC):
            return _class(obj[0], _DC)(**{k: _decode(v) for k, v in obj[1].items()})
        return tuple(_decode(x) for x in obj)
    if t is list:
        return [_decode(x) for x in obj]
    if t is dict:
        return {_decode(k): _decode(v) for k, v in obj.items()}
    if t in (set, frozenset):
        return t(_decode(x) for x in obj)
    return obj


# -- identity ----------------------------------------------------------------------------------

def _identity(m: "Machine") -> dict[str, Any]:
    import unicorn

    board = m.board
    ident: dict[str, Any] = {
        "board": {"name": board.name, "path": str(Path(board.path).resolve()),
                  "sha256": _file_digest(board.path) if Path(board.path).is_file() else None},
        "images": {},
        "cores": {n: {"cpu": c.spec.cpu} for n, c in m.cores.items()},
        "stores": [[s.name, s.size, str(s.path) if s.path is not None else None] for s in m.memory.stores.values()],
        "peripherals": [[name, type(p).__name__] for name, p in m.peripherals.items()],
        "unicorn": unicorn.__version__,
    }
    for name, core in m.cores.items():
        if core.image is not None:
            ident["images"][name] = {"path": str(Path(core.image.path).resolve()), "sha256": _image_digest(core.image),
                                     "spec": core.image.source, "symbols": core.image.symbols_source}
    return ident


def _cached_identity(m: "Machine") -> dict[str, Any]:
    """``_identity`` once per machine and set of loaded images (paths resolve and files hash once)."""
    slot = _machine_slot(m)
    objects = [m.board] + [c.image for c in m.cores.values()]
    cached = slot.get("identity")
    if cached is None or len(cached[0]) != len(objects) or any(a is not b for a, b in zip(cached[0], objects)):
        cached = slot["identity"] = (objects, _identity(m))
    return cached[1]                     # shared by the machine's snapshots; never modified


def _check_compatible(m: "Machine", snap: Snapshot) -> None:
    """Raise SnapshotError naming every way ``m`` is built differently from ``snap``'s machine."""
    ident = snap.identity
    problems = []
    if ident["board"]["name"] != m.board.name:
        problems.append(f"board {m.board.name!r} ({m.board.path}), the snapshot's is {ident['board']['name']!r} "
                        f"({ident['board']['path']})")
    stores = [[s.name, s.size] for s in m.memory.stores.values()]
    if stores != [s[:2] for s in ident["stores"]]:
        problems.append(f"memory layout {stores} differs from the snapshot's {[s[:2] for s in ident['stores']]}")
    if [[n, type(p).__name__] for n, p in m.peripherals.items()] != ident["peripherals"]:
        problems.append("the board's peripherals differ from the snapshot's")
    if list(m.cores) != list(ident["cores"]) or any(m.cores[n].spec.cpu != c["cpu"]
                                                    for n, c in ident["cores"].items() if n in m.cores):
        problems.append(f"cores {[(n, c.spec.cpu) for n, c in m.cores.items()]} differ from the snapshot's")
    for name in sorted(set(ident["images"]) | {n for n, c in m.cores.items() if c.image is not None}):
        want = ident["images"].get(name)
        core = m.cores.get(name)
        image = core.image if core is not None else None
        if want is None:
            problems.append(f"core {name!r} has {image.path} loaded; the snapshot's machine had no image there")
        elif image is None:
            problems.append(f"core {name!r} has no image; the snapshot needs {want['path']} (sha256 "
                            f"{want['sha256'][:16]}...) loaded there")
        elif snap._images.get(name) is not image and _image_digest(image) != want["sha256"]:
            problems.append(f"core {name!r} runs {image.path} (sha256 {_image_digest(image)[:16]}...), the "
                            f"snapshot was taken with {want['path']} (sha256 {want['sha256'][:16]}...)")
    import unicorn

    if ident["unicorn"] != unicorn.__version__ and not _same_machine(m, snap):
        problems.append(f"Unicorn {unicorn.__version__} here, the snapshot was taken with {ident['unicorn']}")
    proxy = m.proxy_system
    if snap.has_proxy and proxy is None:
        problems.append("the snapshot has the PSA Proxy attached and this machine has not: call "
                        "attach_proxy(m) after loading the images, or use Machine.from_snapshot()")
    elif proxy is not None and not snap.has_proxy:
        problems.append("this machine has the PSA Proxy attached; the snapshot's machine had not")
    elif proxy is not None:
        why = proxy.check_state(snap._state["proxy"])
        if why:
            problems.append(why)
    parts = set(_machine_slot(m)["parts"])
    have = set(snap._state["parts"])
    if parts != have:
        problems.append(f"registered components {sorted(parts)} differ from the snapshot's {sorted(have)}")
    if problems:
        raise SnapshotError("cannot restore the snapshot into this machine, which is built differently:\n  " +
                            "\n  ".join(problems))


def _same_machine(m: "Machine", snap: Snapshot) -> bool:
    return snap._owner is not None and snap._owner() is m


# -- take / restore ----------------------------------------------------------------------------

def components(m: "Machine") -> list[tuple[str, Any]]:
    """The machine's components beyond its cores and peripherals, in restore order: each has
    ``save_state() -> plain data`` and ``restore_state(state)``. The PSA Proxy (a ProxySystem:
    proxy, Host SPM, IPC monitor), the fault injector and the debugger are there once attached
    or first used. Components added with :func:`register_state` follow them."""
    comps: list[tuple[str, Any]] = [("machine", m), ("console", m.console), ("events", m.events)]
    for key, comp in (("proxy", m.proxy_system), ("faults", m.__dict__.get("_faults")),
                      ("debugger", m.__dict__.get("_debugger"))):
        if comp is not None:
            comps.append((key, comp))
    return comps


def take(m: "Machine") -> Snapshot:
    """``Machine.snapshot()``: capture the machine (SnapshotError while a wait that is not data is pending)."""
    why = blockers(m)
    if why:
        raise SnapshotError("cannot snapshot the machine now: " + "; ".join(why) + ". Take snapshots where "
                            "nothing but data waits, e.g. m.run_until(lambda m: quiescent(m)) with quiescent "
                            "from psaemu.platform.testing.snapshot")
    snap = Snapshot()
    snap._owner = weakref.ref(m)
    snap._images = {n: c.image for n, c in m.cores.items()}
    snap.identity = _cached_identity(m)
    state: dict[str, Any] = {"cores": {n: c.save_state() for n, c in m.cores.items()},
                             "peripherals": {n: p.save_state() for n, p in m.peripherals.items()},
                             "proxy": None, "faults": None, "debugger": None}
    for key, comp in components(m):
        state[key] = comp.save_state()
    state["parts"] = {key: entry[0]() for key, entry in _machine_slot(m)["parts"].items()}
    snap._memory = _take_memory(m)
    snap._state = state
    return snap


def restore(m: "Machine", snap: Snapshot) -> None:
    """``Machine.restore(snap)``: put the machine back to the snapshot."""
    if not isinstance(snap, Snapshot):
        raise SnapshotError(f"restore() takes a Snapshot (Machine.snapshot() or Snapshot.load(path)), "
                            f"not {type(snap).__name__}")
    _check_compatible(m, snap)
    from psaemu.platform.cpu.core import CoreState

    state = snap._state
    _invalidate(m, _restore_memory(m, snap._memory))
    for name, cs in state["cores"].items():
        m.cores[name].restore_state(cs)
    for name, ps in state["peripherals"].items():
        m.peripherals[name].restore_state(ps)
    if state.get("faults") is not None:
        m.faults                                  # created on first use: the snapshot's machine had one
    if state.get("debugger") is not None:
        m.debugger
    for key, comp in components(m):
        comp.restore_state(state.get(key))
    for key, value in state["parts"].items():
        _machine_slot(m)["parts"][key][1](value)
    for name, cs in state["cores"].items():     # waits the snapshot holds, rebuilt by their owners
        wait = cs.get("wait")
        if wait is not None and wait[0] is not None:
            core, key = m.cores[name], wait[0][0]
            if key not in _WAITS:
                raise SnapshotError(f"core {name!r} waits in the snapshot for {key!r}, which nothing in this "
                                    f"machine rebuilds (attach the PSA Proxy before restoring)")
            core.block = _WAITS[key](m, core, *wait[0][1:])
            core.block.started = wait[1]
    for core in m.cores.values():          # no other restored core waits on a Python condition
        if core.state is CoreState.BLOCKED and core.block is None:
            raise SnapshotError(f"core {core.name!r} restored as BLOCKED; the snapshot is damaged")


def snapshot_spec(snap: Snapshot) -> "MachineSpec":
    """The MachineSpec of the machine ``snap`` was taken on, derived from what it records: board,
    each core's image (``FILE@ADDRESS`` and symbols ELF), file-backed flash, quantum, fault
    policy, event trace, and the PSA Proxy with its macros when it was attached (else no proxy)."""
    from psaemu.platform.system.builder import MachineSpec

    ident, state = snap.identity, snap._state
    images = {core: img.get("spec") or img["path"] for core, img in ident["images"].items()}  # older: the file only
    policies = {c["plain"]["fault_policy"] for c in state["cores"].values()}
    spec = MachineSpec(board=ident["board"]["path"], images=images, default_images=False,
                       symbols={core: img["symbols"] for core, img in ident["images"].items() if img.get("symbols")},
                       flash_files={name: path for name, _size, path in ident["stores"] if path is not None},
                       quantum=state["machine"]["quantum"],
                       fault_policy=policies.pop() if len(policies) == 1 else "report",
                       trace_events=state["events"]["enabled"], event_limit=state["events"]["limit"], proxy="off")
    ps = state.get("proxy")
    if ps is None:
        return spec
    cfg = ps["config"]
    defines = {"SHARED_BUFFER_SIZE": cfg.shared_buffer_size, "PSA_PROXY_SHARED_MEMORY_BASE": cfg.base,
               "PSA_PROXY_SHARED_MEMORY_SIZE": cfg.size, "PSA_PROXY_ADDR_TRANSLATION": int(cfg.translation),
               "PSAEMU_CHECK_WRITEBACK": int(cfg.check_writeback)}
    profile = ps.get("profile")               # older snapshots: TF-M v1.3 as shipped
    return spec.replace(proxy="on", defines=defines, host=ps["host"], se=ps["se"],
                        **({"ipc_limit": ps["limit"]} if ps.get("limit") else {}),
                        **({"profile": profile.release, "lift": sorted(profile.lifted)} if profile else {}))


def machine_from_snapshot(source: Snapshot | str | Path, *, console: Callable[[str, str], None] | None = None,
                          flash_files: dict[str, str | Path] | None = None,
                          proxy_options: dict[str, Any] | None = None) -> "Machine":
    """``Machine.from_snapshot``: build the machine a snapshot names (:func:`snapshot_spec`, with
    ``psaemu.platform.system.builder.build_machine``) and restore the snapshot into it.

    The board file and the ELF images are read from the paths recorded in the snapshot and must
    have the recorded SHA-256. File-backed flash uses the recorded files unless ``flash_files``
    says otherwise (``{}``: no files); either way the store gets the snapshot's contents. With the
    PSA Proxy in the snapshot, it is attached with the recorded macros (``proxy_options`` are
    MachineSpec proxy fields, e.g. ``on_record``); the ProxySystem is ``m.proxy_system``.
    """
    from psaemu.platform.system.builder import build_machine

    snap = source if isinstance(source, Snapshot) else Snapshot.load(source)
    ident = snap.identity
    board = ident["board"]
    if not Path(board["path"]).is_file():
        raise SnapshotError(f"the snapshot's board file {board['path']} does not exist; build the machine yourself "
                            f"and use m.restore(Snapshot.load(path))")
    if board["sha256"] is not None and _file_digest(board["path"]) != board["sha256"]:
        raise SnapshotError(f"the board file {board['path']} has changed since the snapshot was taken (sha256 "
                            f"{_file_digest(board['path'])[:16]}..., snapshot {board['sha256'][:16]}...)")
    for core, img in ident["images"].items():
        if not Path(img["path"]).is_file():
            raise SnapshotError(f"core {core!r}: the snapshot's image {img['path']} does not exist")
        if _file_digest(img["path"]) != img["sha256"]:
            raise SnapshotError(f"core {core!r}: {img['path']} has changed since the snapshot was taken (sha256 "
                                f"{_file_digest(img['path'])[:16]}..., snapshot {img['sha256'][:16]}...)")
    spec = snapshot_spec(snap).replace(console=console, **(proxy_options or {}))
    if flash_files is not None:
        spec.flash_files = flash_files
    m = build_machine(spec)
    restore(m, snap)
    return m


__all__ = ["Snapshot", "SnapshotError", "take", "restore", "machine_from_snapshot", "snapshot_spec", "quiescent",
           "blockers", "register_state", "unregister_state", "memory_mode", "FLUSH_ALL_ON_RESTORE"]
