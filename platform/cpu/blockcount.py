"""Exact instruction counts of ``count=0`` (free) Unicorn runs, from a native block hook.

``emu_start(count=N)`` makes Unicorn call a hook at every instruction (unicorn 2.1.4 ``uc.c``, ``hook_count_cb``): about
5x slower than a run without ``count``. A free run has no instruction counter, so this module
adds one at block granularity: ``blockcount.c`` is a ``UC_HOOK_BLOCK`` callback in C that adds
each entered block's unconditional instructions (decoded from its code once, cached by address and
size) to a counter, a ranged code hook per IT block adds its conditional instructions that execute
(as ``count=``, one at a slice boundary and the rest of its IT block count toward no slice), and
stops the run at the start of the first block that would pass a limit. The scheduler's free-run
path (platform/system/scheduler.py) uses it to run one core at translated code speed and still
charge virtual time exactly.

The C file is compiled once per source version with the host C compiler (``$CC``, else ``cc``)
into the psaemu cache directory (platform/cpu/native.py). Without a compiler, with the
cache disabled for writing, or with ``PSAEMU_FREE_RUN=0``, :func:`counter_for` returns None and
the scheduler keeps counted slices (same results, slower).

A block counts whole when it is entered; a run that leaves a block early (an ``emu_stop`` from a
code hook, a fault) is corrected by the caller from the PC (:meth:`BlockCounter.cut`). The cache
assumes code does not change under the same (address, size) between :meth:`BlockCounter.clear`
calls (psaemu clears it at every core reset and image load, and ``Core.code_changed`` clears it
wherever code in memory changes or translated code is dropped: debugger writes, snapshot restores,
fault-injection hooks). A Python code hook that moves PC inside a block reports it
(``Core.pc_moved``) so the rest of the block is not counted twice.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path

from unicorn import UC_HOOK_BLOCK, UC_HOOK_CODE, Uc

from psaemu.platform.cpu import native

_SOURCE = Path(__file__).with_name("blockcount.c")
SLOTS = 16384
IT_SLOTS = 4096


class _State(ctypes.Structure):
    _fields_ = [("count", ctypes.c_uint64), ("limit", ctypes.c_uint64), ("last_addr", ctypes.c_uint64),
                ("last_size", ctypes.c_uint32), ("last_n", ctypes.c_uint32), ("stopped", ctypes.c_uint32),
                ("misses", ctypes.c_uint32), ("stop", ctypes.c_uint32), ("hooked", ctypes.c_uint32),
                ("last_start", ctypes.c_uint64), ("quantum", ctypes.c_uint64), ("phase", ctypes.c_uint64),
                ("need_it", ctypes.c_uint64), ("need_last", ctypes.c_uint64),
                ("mem_read", ctypes.c_void_p), ("emu_stop", ctypes.c_void_p),
                ("keys", ctypes.c_uint64 * SLOTS), ("vals", ctypes.c_uint32 * SLOTS),
                ("its", ctypes.c_uint32 * IT_SLOTS), ("its_end", ctypes.c_uint32 * IT_SLOTS),
                ("skip_it", ctypes.c_uint64), ("skip_end", ctypes.c_uint64), ("last_u", ctypes.c_uint32),
                ("exact", ctypes.c_uint32)]


def enabled() -> bool:
    """False when ``PSAEMU_FREE_RUN`` is 0/no/off/false (free runs are then never used)."""
    return os.environ.get("PSAEMU_FREE_RUN", "1").strip().lower() not in ("0", "no", "off", "false")


def why_unavailable() -> str | None:
    """Why free runs cannot be used (no compiler, a failed build, ``PSAEMU_FREE_RUN=0``), or None."""
    if not enabled():
        return "PSAEMU_FREE_RUN=0 turns them off"
    return native.why_unavailable(_SOURCE)


class BlockCounter:
    """The native block counter of one ``Uc``: :meth:`arm` before a free run, read after it."""

    def __init__(self, uc: Uc, lib: ctypes.CDLL, uclib: ctypes.CDLL) -> None:
        self.uc = uc
        self._lib, self._uclib = lib, uclib
        self.state = _State()
        self.state.mem_read = native.address(uclib.uc_mem_read)
        self.state.emu_stop = native.address(uclib.uc_emu_stop)
        #: The hook while it is installed (:meth:`attach`), else None.
        self.hook: native.Hook | None = None
        #: The code hooks over IT blocks (:meth:`hook_it`); they stay installed until :meth:`clear`.
        self.it_hooks: list[native.Hook] = []
        self.clear()
        self.arm(0)

    def attach(self) -> None:
        """Install the hook. Blocks translated before do not call it: the caller makes sure the
        translated code is dropped (``emu_start(count=0)`` after counted slices does)."""
        if self.hook is not None:
            return
        self.hook = native.hook_add(self.uc, UC_HOOK_BLOCK, self._lib.psaemu_block, self.state)

    def detach(self) -> None:
        """Remove the hook (counted slices then pay nothing for it once the code is retranslated)."""
        if self.hook is not None:
            self.hook.close()
            self.hook = None

    def clear(self) -> None:
        """Forget every cached block and IT block hook (the code may have changed)."""
        for hook in self.it_hooks:
            hook.close()
        self.it_hooks.clear()
        ctypes.memset(ctypes.addressof(self.state) + _State.its.offset, 0, 8 * IT_SLOTS)
        self.state.hooked = 0
        self.state.skip_end = 0
        self._forget_blocks()

    def _forget_blocks(self) -> None:
        ctypes.memset(ctypes.addressof(self.state) + _State.keys.offset, 0xFF, 8 * SLOTS)

    def hook_it(self) -> bool:
        """After a run stopped for an IT block without its code hook (``stopped`` 3): install the
        hook over its conditional instructions and drop the code translated over them (and the
        cached blocks); False when the table of IT blocks is full (run counted instead)."""
        s = self.state
        it, last = s.need_it, s.need_last
        if len(self.it_hooks) >= IT_SLOTS // 2 or not self._lib.psaemu_it_add(ctypes.byref(s), ctypes.c_uint64(it),
                                                                             ctypes.c_uint64(last)):
            return False
        self.it_hooks.append(native.hook_add(self.uc, UC_HOOK_CODE, self._lib.psaemu_cond, s, it + 2, last))
        self.uc.ctl_remove_cache(it, last + 4)
        self._forget_blocks()
        return True

    def cut(self, addr: int, size: int, pc: int) -> int:
        """Instructions of the last entered block (``addr``, ``size`` bytes) counted at its entry
        that did not run when the run left it at ``pc`` (an ``emu_stop`` from a code hook, a fault):
        its unconditional ones from ``pc`` on (conditional ones count as they execute)."""
        if not addr <= pc < addr + size:
            return 0
        return int(self._lib.psaemu_cut(native.handle(self.uc), ctypes.c_uint64(addr), ctypes.c_uint32(size),
                                        ctypes.c_uint64(pc), ctypes.byref(self.state)))

    def arm(self, limit: int, quantum: int = 0, phase: int = 0) -> None:
        """Count from 0; the run stops before the first block that would take it past ``limit``,
        and (``quantum`` > 0) before a block with a conditional load/store that would straddle a
        boundary of virtual slices of ``quantum`` instructions, the run starting ``phase`` into one
        (the conditional instructions of other IT blocks at a boundary are counted as ``count=``
        counts them: blockcount.c ``psaemu_cond``)."""
        s = self.state
        s.count = 0
        s.limit = limit
        s.quantum = quantum
        s.phase = phase
        s.stopped = 0
        s.stop = 0
        s.last_n = 0
        s.last_addr = 0xFFFFFFFFFFFFFFFF


def counter_for(uc: Uc) -> BlockCounter | None:
    """A :class:`BlockCounter` hooked into ``uc``, or None when free runs are unavailable."""
    if not enabled():
        return None
    uclib = native.uclib()
    lib = native.library(_SOURCE)
    if lib is None or uclib is None:
        return None
    try:
        native.handle(uc)
        counter = BlockCounter(uc, lib, uclib)
        counter.attach()                     # the library and the handle work: check it once
        counter.detach()
        return counter
    except (OSError, AttributeError):
        return None
