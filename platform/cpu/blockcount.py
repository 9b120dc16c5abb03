"""Exact instruction counts of ``count=0`` (free) Unicorn runs, from a native block hook.

``emu_start(count=N)`` makes Unicorn call a hook at every instruction (unicorn-notes §8): about
5x slower than a run without ``count``. A free run has no instruction counter, so this module
adds one at block granularity: ``blockcount.c`` is a ``UC_HOOK_BLOCK`` callback in C that adds
each entered block's instruction count (decoded from its code once, cached by address and size)
to a counter, and stops the run at the start of the first block that would pass a limit. The
scheduler's free-run path (platform/system/scheduler.py) uses it to run one core at translated
code speed and still charge virtual time exactly.

The C file is compiled once per source version with the host C compiler (``$CC``, else ``cc``)
into the psaemu cache directory (platform/firmware/parsecache.py). Without a compiler, with the
cache disabled for writing, or with ``PSAEMU_FREE_RUN=0``, :func:`counter_for` returns None and
the scheduler keeps counted slices (same results, slower).

A block counts whole when it is entered; a run that leaves a block early (an ``emu_stop`` from a
code hook, a fault) is corrected by the caller from the PC (:meth:`BlockCounter.cut`). The cache
assumes code does not change under the same (address, size) between :meth:`BlockCounter.clear`
calls (psaemu clears it at every core reset and image load).
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from unicorn import UC_HOOK_BLOCK, Uc

from psaemu.platform.firmware.parsecache import cache_dir

_SOURCE = Path(__file__).with_name("blockcount.c")
SLOTS = 16384


class _State(ctypes.Structure):
    _fields_ = [("count", ctypes.c_uint64), ("limit", ctypes.c_uint64), ("last_addr", ctypes.c_uint64),
                ("last_size", ctypes.c_uint32), ("last_n", ctypes.c_uint32), ("stopped", ctypes.c_uint32),
                ("misses", ctypes.c_uint32), ("stop", ctypes.c_uint32), ("pad", ctypes.c_uint32), ("mem_read", ctypes.c_void_p), ("emu_stop", ctypes.c_void_p),
                ("keys", ctypes.c_uint64 * SLOTS), ("vals", ctypes.c_uint32 * SLOTS)]


_lib: ctypes.CDLL | None | bool = False       # False: not tried yet


def enabled() -> bool:
    """False when ``PSAEMU_FREE_RUN`` is 0/no/off/false (free runs are then never used)."""
    return os.environ.get("PSAEMU_FREE_RUN", "1").strip().lower() not in ("0", "no", "off", "false")


def _build() -> ctypes.CDLL | None:
    """The compiled hook library (built into the cache directory on first use), or None."""
    source = _SOURCE.read_bytes()
    out = cache_dir() / f"blockcount-{hashlib.sha256(source).hexdigest()[:16]}.so"
    if not out.exists():
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
                tmp_out = Path(tmp) / out.name
                subprocess.run([os.environ.get("CC", "cc"), "-O2", "-shared", "-fPIC", "-o", str(tmp_out),
                                str(_SOURCE)], check=True, capture_output=True, timeout=60)
                os.replace(tmp_out, out)
        except (OSError, subprocess.SubprocessError):
            return None
    try:
        return ctypes.CDLL(str(out))
    except OSError:
        return None


def _library() -> ctypes.CDLL | None:
    global _lib
    if _lib is False:
        _lib = _build()
    return _lib or None


class BlockCounter:
    """The native block counter of one ``Uc``: :meth:`arm` before a free run, read after it."""

    def __init__(self, uc: Uc, lib: ctypes.CDLL, uclib: ctypes.CDLL) -> None:
        self.uc = uc
        self._lib, self._uclib = lib, uclib
        self.state = _State()
        self.state.mem_read = ctypes.cast(uclib.uc_mem_read, ctypes.c_void_p).value
        self.state.emu_stop = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value
        self.clear()
        self.arm(0)
        #: The hook handle while the hook is installed (:meth:`attach`), else None.
        self.hook: int | None = None

    def attach(self) -> None:
        """Install the hook. Blocks translated before do not call it: the caller makes sure the
        translated code is dropped (``emu_start(count=0)`` after counted slices does)."""
        if self.hook is not None:
            return
        hook = ctypes.c_size_t()
        err = self._uclib.uc_hook_add(
            self.uc._uch, ctypes.byref(hook), ctypes.c_int(UC_HOOK_BLOCK),
            ctypes.c_void_p(ctypes.cast(self._lib.psaemu_block, ctypes.c_void_p).value),
            ctypes.c_void_p(ctypes.addressof(self.state)), ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise OSError(f"uc_hook_add of the native block counter failed with Unicorn error {err}")
        self.hook = hook.value

    def detach(self) -> None:
        """Remove the hook (counted slices then pay nothing for it once the code is retranslated)."""
        if self.hook is not None:
            self._uclib.uc_hook_del(self.uc._uch, ctypes.c_size_t(self.hook))
            self.hook = None

    def clear(self) -> None:
        """Forget every cached block (the code may have changed)."""
        ctypes.memset(ctypes.addressof(self.state) + _State.keys.offset, 0xFF, 8 * SLOTS)

    def arm(self, limit: int) -> None:
        """Count from 0; the run stops before the first block that would take it past ``limit``."""
        s = self.state
        s.count = 0
        s.limit = limit
        s.stopped = 0
        s.stop = 0
        s.last_n = 0
        s.last_addr = 0xFFFFFFFFFFFFFFFF


def counter_for(uc: Uc) -> BlockCounter | None:
    """A :class:`BlockCounter` hooked into ``uc``, or None when free runs are unavailable."""
    if not enabled():
        return None
    try:
        from unicorn.unicorn_py3.unicorn import uclib
    except Exception:
        return None
    lib = _library()
    if lib is None or not isinstance(getattr(uc, "_uch", None), ctypes.c_void_p):
        return None
    try:
        counter = BlockCounter(uc, lib, uclib)
        counter.attach()                     # the library and the handle work: check it once
        counter.detach()
        return counter
    except (OSError, AttributeError):
        return None
