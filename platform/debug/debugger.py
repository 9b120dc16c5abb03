"""Debugging a machine: breakpoints, alias-aware watchpoints, stepping, run-until, instruction
trace, address translation and the fault explainer.

A :class:`Debugger` is created the first time ``Machine.breakpoints``, ``Machine.watchpoints``,
``Machine.step`` (...) is used, so runs that never debug carry nothing; what it installs in
Unicorn exists only while it is needed.

* **Breakpoints** are Unicorn *exits* (``ctl_set_exits``): translation ends a block at the
  address and ``emu_start`` returns with the PC on it, the instruction not executed;
  ``Machine.run`` returns ``RunResult(reason="breakpoint", stop=Stop(...))``. Exits are checked
  when code is translated, so they cost nothing at run time, and they stop inside IT blocks with
  ITSTATE intact. (A ``UC_HOOK_CODE`` bounded to the address, the obvious way, is checked by
  Unicorn at *every* instruction once ``count=`` slicing is on: measured 1.5 ns per instruction
  per breakpoint, ten breakpoints halving the speed; see bench/bench_debug.py.) The exit list is
  the core's :class:`~psaemu.platform.cpu.exits.ExitRegistry`, shared with the core's hint exits
  (WFI/WFE/SEV, interrupt-recognition points): at an address that is both, the breakpoint stops
  first and the hint applies when the core resumes.
* **Resuming** (``run``, ``step``, ``run_until``) from a stop first executes the instruction the
  stopped core is on, as one ``count=1`` slice (a slice always executes the instruction it
  starts on, exit or not; after a watchpoint stop, with that core's watchpoints off), then
  carries on normally. A hint there applies first: if it makes the core take an interrupt
  (an unmasking point with one pending), the core takes it before that instruction, and the
  breakpoint is not reported again until the core comes back to it.
* **Watchpoints** are ``UC_HOOK_MEM_READ``/``WRITE`` hooks on every view of the watched bytes:
  each core that sees them (shared windows) at its own address, and the Non-secure aliases. A hit
  stops the machine from the memory hook, which Unicorn leaves with the PC *on* the accessing
  instruction, partly done: a store has written the accessed word (and the earlier words of an
  STM/PUSH) but the rest of the instruction (later words, base write-back) was abandoned; a load
  has loaded nothing into its destination. The stop reports that PC and resuming executes the
  instruction again with the watchpoints off for it: RAM stores and loads are idempotent, so
  this is exact (moving the PC past it instead would lose the abandoned part of STM/PUSH/STRD,
  and the value of a load). Unicorn cannot stop from a memory hook inside an IT block (with
  ``count=`` slices the rest of the block then runs wrongly), so an access there is recorded and
  the stop comes from a code hook at the first instruction after the block (installed, while
  watchpoints exist, after every IT block that holds a load or store), or at the end of the
  slice if the block branched away: the block has then run (``Stop.completed``).
* **Stepping** runs ``count=1`` slices. Unicorn never stops inside an IT block, so stepping onto
  an IT instruction executes the whole block: ``Stop.count`` reports the instructions actually
  executed when it differs from the request.

Virtual time: a slice cut short by a stop is charged as a whole quantum, like a slice cut short
by WFI (Unicorn does not say how many instructions ran), so a run with stops drifts from the same
run without them by up to a quantum per stop; ``count=1`` steps are charged exactly.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field, fields
from itertools import compress
from operator import ne
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TextIO

import unicorn.arm_const as A
from unicorn import UC_HOOK_CODE, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MEM_WRITE

from psaemu.platform.cpu.core import GPRS, Core, CoreState
from psaemu.platform.cpu.exits import BREAKPOINT
from psaemu.platform.debug.disasm import engine, insn_hex, insn_text
from psaemu.platform.errors import PsaEmuError
from psaemu.platform.system.machine import PS_PER_S

if TYPE_CHECKING:
    from psaemu.platform.system.machine import Machine, RunResult

#: xPSR bits that hold ITSTATE (IT[7:2] at 15:10, IT[1:0] at 26:25).
XPSR_IT_MASK = 0x0600FC00
WATCH_KINDS = ("r", "w", "rw")
#: How far below a watched range a hook starts, so a wider access that begins before the
#: range and overlaps it is caught (Unicorn matches a hook on the access's first byte).
MAX_ACCESS = 8


# =============================================================================================
# Stops, breakpoints, watchpoints
# =============================================================================================

def _stop_state(stop: "Stop | None") -> dict[str, Any] | None:
    """A Stop as plain data (without the RunResult of a step that ended the machine)."""
    if stop is None:
        return None
    d = {f.name: getattr(stop, f.name) for f in fields(stop)}
    d["result"] = None
    return d


@dataclass
class Stop:
    """Why and where the machine stopped for the debugger.

    ``reason``: breakpoint, watchpoint, step, until; from :meth:`Machine.step` also exit, fault,
    panic, idle (the core sleeps or waits and the other cores are frozen), budget, timeout,
    deadlock (with ``result``, the :class:`RunResult`, when the machine itself ended).
    """

    reason: str
    core: str | None = None             # the core that stopped (for watchpoints: the accessing core)
    pc: int | None = None               # that core's PC now
    symbol: str | None = None
    breakpoint: int | None = None       # the breakpoint id (the lowest, if several share the address)
    watchpoint: int | None = None
    kind: str | None = None             # watchpoints: the access, "r" or "w"
    accessor: str | None = None         # watchpoints: the accessing core (= core)
    address: int | None = None          # watchpoints: accessed address, in the accessing core's view
    watch_core: str | None = None       # watchpoints: the core the watchpoint was set on
    watch_address: int | None = None    # the same byte in the watchpoint's own view
    size: int | None = None             # access size in bytes
    value: int | None = None            # value written, or value in memory being read
    old_value: int | None = None        # writes: the value before the store
    access_pc: int | None = None        # the instruction that accessed (or hit the breakpoint)
    completed: bool = False             # that instruction has fully executed (IT block: stop after it)
    count: int = 0                      # step: instructions executed
    requested: int = 0                  # step: instructions asked for
    message: str = ""
    breakpoints: tuple[int, ...] = ()   # every breakpoint id at the address
    result: "RunResult | None" = None   # step: the machine's result when it ended (exit, fault...)

    @property
    def ids(self) -> tuple[int, ...]:
        """Breakpoint or watchpoint ids behind the stop."""
        if self.breakpoints:
            return self.breakpoints
        if self.breakpoint is not None:
            return (self.breakpoint,)
        return (self.watchpoint,) if self.watchpoint is not None else ()

    @property
    def id(self) -> int | None:
        ids = self.ids
        return ids[0] if ids else None

    @property
    def accessing_core(self) -> str | None:
        return self.accessor

    def where(self) -> str:
        if self.pc is None:
            return ""
        return f"{self.pc:#010x}" + (f" <{self.symbol}>" if self.symbol else "")

    def format(self) -> str:
        """One line for people."""
        if self.reason == "breakpoint":
            ids = ", ".join(str(i) for i in self.ids)
            text = f"breakpoint {ids} hit on {self.core} at {self.where()}"
        elif self.reason == "watchpoint":
            verb = "wrote" if self.kind == "w" else "read"
            same = self.accessor == self.watch_core and self.address == self.watch_address
            view = "" if same else f" = {self.watch_core}:{self.watch_address:#010x}"
            value = f" {self.value:#0{2 + 2 * (self.size or 4)}x}" if self.value is not None else ""
            old = f" (was {self.old_value:#0{2 + 2 * (self.size or 4)}x})" if self.old_value is not None else ""
            text = (f"watchpoint {self.watchpoint} ({self.kind}): {self.accessor} {verb}{value}{old} "
                    f"[{self.size} byte(s)] at {self.accessor}:{self.address:#010x}{view}; "
                    f"{self.core} pc {self.where()}")
        elif self.reason == "step":
            text = f"{self.core} stepped {self.count} instruction(s); pc {self.where()}"
        elif self.reason == "until" and self.core is None:
            return f"stopped: {self.message}"
        elif self.reason == "until":
            text = f"{self.core} reached {self.where()}"
        elif self.reason == "idle":
            text = f"{self.core} cannot step: {self.message}"
            return text
        else:
            text = f"{self.reason}" + (f" on {self.core}" if self.core else "")
            if self.message:
                return f"{text}: {self.message}"
        return text + (f" ({self.message})" if self.message else "")

    def __str__(self) -> str:
        return self.format()


@dataclass
class Breakpoint:
    id: int
    core: str
    address: int
    where: str                     # what the user gave (symbol or number)
    temporary: bool = False
    hits: int = 0

    def format(self, core: Core | None = None) -> str:
        where = core.where(self.address) if core else f"{self.address:#010x}"
        return f"{self.id:<3} break  {self.core}:{where}  hits {self.hits}"


@dataclass
class Watchpoint:
    id: int
    core: str
    address: int
    size: int
    kind: str                      # r | w | rw
    where: str
    views: list[tuple[str, int]] = field(default_factory=list)   # every (core, address) hooked
    hits: int = 0
    handles: list[tuple[str, int]] = field(default_factory=list, repr=False)

    def format(self, core: Core | None = None) -> str:
        where = core.where(self.address) if core else f"{self.address:#010x}"
        others = ", ".join(f"{c}:{a:#010x}" for c, a in self.views if (c, a) != (self.core, self.address))
        return (f"{self.id:<3} watch  {self.core}:{where} [{self.size}] {self.kind:<2}  hits {self.hits}"
                + (f"  also as {others}" if others else ""))


def _label(where: int | str) -> str:
    return f"{where:#010x}" if isinstance(where, int) else str(where)


class _View:
    """One watched range in one core's view."""

    def __init__(self, wp: Watchpoint, core: Core, base: int) -> None:
        self.wp = wp
        self.core = core
        self.base = base
        self.end = base + wp.size


class _Table:
    """The id-keyed table behind ``Machine.breakpoints`` and ``Machine.watchpoints``."""

    KIND = "item"

    def __init__(self, debugger: "Debugger") -> None:
        self._dbg = debugger
        self._items: dict[int, Any] = {}

    def _uninstall(self, item: Any) -> None:
        raise NotImplementedError

    def remove(self, ident: int) -> None:
        item = self._items.pop(ident, None)
        if item is None:
            raise PsaEmuError(f"no {self.KIND} {ident} ({self.KIND}s: {', '.join(map(str, self._items)) or 'none'})")
        self._uninstall(item)

    def clear(self) -> None:
        for ident in list(self._items):
            self.remove(ident)

    def list(self) -> list:
        return list(self._items.values())

    def get(self, ident: int) -> Any:
        return self._items.get(ident)

    def __contains__(self, ident: object) -> bool:
        return ident in self._items

    def __iter__(self):
        return iter(self.list())

    def __len__(self) -> int:
        return len(self._items)


class BreakpointTable(_Table):
    """``Machine.breakpoints``: add(core, where) -> id, remove(id), clear(), list()."""

    KIND = "breakpoint"

    def add(self, core: str | Core, where: int | str, *, temporary: bool = False) -> int:
        """Break before the instruction at ``where`` (address or symbol of ``core``'s image) executes."""
        c = self._dbg.core(core)
        addr = c.resolve(where) & ~1
        if c.image is None:
            raise PsaEmuError(f"core {c.name!r} has no image loaded")
        bp = Breakpoint(self._dbg.new_id(), c.name, addr, _label(where), temporary)
        self._dbg.install_breakpoint(bp)
        self._items[bp.id] = bp
        return bp.id

    def _uninstall(self, item: Breakpoint) -> None:
        self._dbg.uninstall_breakpoint(item)


class WatchpointTable(_Table):
    """``Machine.watchpoints``: add(core, where, size, kind) -> id, remove(id), clear(), list()."""

    KIND = "watchpoint"

    def add(self, core: str | Core, where: int | str, size: int = 4, kind: str = "w") -> int:
        """Stop when any core reads (``r``), writes (``w``) or accesses (``rw``) any of the ``size``
        bytes at ``where`` in ``core``'s view, through whatever address that core sees them at."""
        c = self._dbg.core(core)
        if kind not in WATCH_KINDS:
            raise PsaEmuError(f"watchpoint kind {kind!r}: use 'r', 'w' or 'rw'")
        if not isinstance(size, int) or not 1 <= size <= 0x10000:
            raise PsaEmuError(f"watchpoint size {size!r}: give 1..65536 bytes")
        addr = c.resolve(where)
        wp = Watchpoint(self._dbg.new_id(), c.name, addr, size, kind, _label(where))
        self._dbg.install_watchpoint(wp)
        self._items[wp.id] = wp
        return wp.id

    def _uninstall(self, item: Watchpoint) -> None:
        self._dbg.uninstall_watchpoint(item)


# =============================================================================================
# IT blocks
# =============================================================================================

def thumb_size(halfword: int) -> int:
    """Size of the Thumb instruction whose first halfword is ``halfword``."""
    return 4 if halfword >> 11 in (0x1D, 0x1E, 0x1F) else 2


def it_length(halfword: int) -> int:
    """Instructions in the IT block an IT instruction opens (0 if ``halfword`` is not IT)."""
    if halfword & 0xFF00 != 0xBF00 or not halfword & 0xF:
        return 0
    return _it_count(halfword & 0xF)


def _it_count(mask: int) -> int:
    """Instructions an IT mask (firstcond<0> and mask<3:0>, nonzero) still covers: 4 minus its trailing zeros."""
    return 4 - ((mask & -mask).bit_length() - 1)


def scan_it_blocks(data: bytes, base: int) -> list[tuple[int, list[int], int]]:
    """(IT address, addresses of its conditional instructions, first address after the block) for
    every halfword of ``data`` that encodes IT. Candidates that are really data or the second half
    of a 32-bit instruction give addresses no instruction starts at, or harmless extra ones."""
    out = []
    n = len(data)
    for off in range(0, n - 1, 2):
        if data[off + 1] != 0xBF:
            continue
        count = it_length(data[off] | 0xBF00)
        if not count:
            continue
        pos, conds = off + 2, []
        for _ in range(count):
            if pos + 1 >= n:
                break
            conds.append(base + pos)
            pos += thumb_size(data[pos] | data[pos + 1] << 8)
        else:
            out.append((base + off, conds, base + pos))
    return out


# =============================================================================================
# Instruction trace
# =============================================================================================

TRACE_REGS = [f"r{i}" for i in range(13)] + ["sp", "lr", "xpsr"]
_TRACE_LABELS = [f"{name}=0x" for name in TRACE_REGS]
_TRACE_INDEX = range(len(TRACE_REGS))
_TRACE_IDS = GPRS + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR, A.UC_ARM_REG_XPSR]


class InstructionTracer:
    """One line per executed instruction of a core: virtual time, core, PC, symbol, bytes,
    disassembly and the registers the instruction changed (r0-r12, sp, lr, xpsr).

    A line is written when the next instruction starts (the registers are compared then), so it
    shows what that instruction did; register changes made between two instructions (exception
    entry or return, a Python SVC handler) are shown on the instruction before them.
    Disassembly is cached per address (IT blocks are decoded as a whole, so conditional
    instructions show their condition).
    """

    def __init__(self, core: Core, out: TextIO, owned: bool) -> None:
        self.core = core
        self.out = out
        self.owned = owned
        self._write = out.write
        fast = getattr(core, "fast", None)
        if fast is not None and hasattr(fast, "reader"):
            self._read_regs = fast.reader(_TRACE_IDS)
        else:
            rd, ids = core.uc.reg_read, _TRACE_IDS
            self._read_regs = lambda: [rd(r) for r in ids]
        self._cache: dict[int, str] = {}
        self._pending: tuple[int, float, str, list[int]] | None = None
        self._base = -1
        self._k = 0
        self._us_per_cycle = 1e6 / core.clock_hz
        self._label = f"{core.name:<5}"
        self.handle = core.uc.hook_add(UC_HOOK_CODE, self._on_code)
        # WFI/WFE/SEV are completed by Python (hint exits), never executed by Unicorn: the core
        # reports them here so they have their line
        core.on_skip = lambda address, size: self._on_code(core.uc, address, size, None)
        core.uc.ctl_flush_tb()

    def _on_code(self, uc: Any, address: int, size: int, _ud: Any) -> None:
        regs = self._read_regs()
        pending = self._pending
        if pending is not None:                    # the previous instruction's line, now its effect is known
            _addr, t_us, text, before = pending
            if before != regs:
                changed = " ".join([f"{_TRACE_LABELS[i]}{regs[i]:08x}"
                                    for i in compress(_TRACE_INDEX, map(ne, before, regs))])
                self._write(f"{t_us:14.3f}us {self._label} {text} ; {changed}\n")
            else:
                self._write(f"{t_us:14.3f}us {self._label} {text}\n")
        cycles = self.core.cycles
        if cycles != self._base:
            self._base, self._k = cycles, 0
        text = self._cache.get(address)
        if text is None:
            text = self._decode(address)
        self._pending = (address, (cycles + self._k) * self._us_per_cycle, text, regs)
        self._k += 1

    def _emit(self, pending: tuple[int, float, str, list[int]], after: list[int]) -> None:
        _addr, t_us, text, before = pending
        changed = " ".join([f"{_TRACE_LABELS[i]}{after[i]:08x}"
                            for i in compress(_TRACE_INDEX, map(ne, before, after))])
        self._write(f"{t_us:14.3f}us {self._label} {text}" + (f" ; {changed}\n" if changed else "\n"))

    def _decode(self, address: int) -> str:
        core = self.core
        try:
            head = bytes(core.uc.mem_read(address, 2))
            hw = head[0] | head[1] << 8
            in_block = it_length(hw)
            span = 2 + 4 * in_block if in_block else thumb_size(hw)
            code = bytes(core.uc.mem_read(address, span))
        except Exception:
            return f"{address:#010x} <unreadable>"
        insns = list(engine(core).disasm(code, address))
        if not insns or insns[0].address != address:
            self._cache[address] = text = f"{address:#010x} .inst {head.hex()}"
            return text
        for i in insns[:1 + in_block]:
            sym = core.symbolize(i.address)
            label = f"<{sym}>" if sym else ""
            self._cache[i.address] = (f"{i.address:#010x} {label:<28} {insn_hex(bytes(i.bytes)):<9} "
                                      f"{insn_text(i)}").rstrip()
        return self._cache[address]

    def discard(self, address: int) -> None:
        """Forget the pending line of an instruction that a stop prevented from executing."""
        if self._pending is not None and self._pending[0] == address:
            self._pending = None
            self._k = max(0, self._k - 1)

    def flush(self) -> None:
        """Write the pending line (registers as they are now) and flush the file."""
        if self._pending is not None:
            self._emit(self._pending, self._read_regs())
            self._pending = None
        self.out.flush()

    def invalidate(self) -> None:
        self._cache.clear()

    def close(self) -> None:
        self.core.uc.hook_del(self.handle)
        self.core.on_skip = None
        self.core.uc.ctl_flush_tb()
        self.flush()
        if self.owned:
            self.out.close()


# =============================================================================================
# The debugger
# =============================================================================================

@dataclass
class _StepState:
    core: Core
    n: int
    done: int = 0
    first: bool = True
    pc: int = 0
    expect: int = 1
    suppress_watch: bool = False
    ended: str | None = None        # why stepping could not go on (idle)
    frozen: bool = True             # others="frozen"
    #: The stepped instruction was an SVC a Python handler completes later (a forwarded PSA call):
    #: the machine runs until the caller resumes; the other cores' instruction counts before that.
    wait_svc: dict[str, int] | None = None


_MEMORY_MNEMONICS = ("ld", "st", "push", "pop", "vld", "vst", "vpush", "vpop", "tbb", "tbh", "lda", "stl")


def it_state(xpsr: int) -> int:
    """ITSTATE<7:0> from an xPSR value."""
    return (xpsr >> 25) & 3 | ((xpsr >> 10) & 0x3F) << 2


def it_remaining(xpsr: int) -> int:
    """Instructions left in the IT block the core is inside (0 outside one), the current one included."""
    mask = it_state(xpsr) & 0xF
    return _it_count(mask) if mask else 0


class Debugger:
    """Breakpoints, watchpoints, stepping and tracing of one machine (``Machine.debugger``)."""

    def __init__(self, machine: "Machine") -> None:
        self.machine = machine
        self._next_id = 1
        self.breakpoints = BreakpointTable(self)
        self.watchpoints = WatchpointTable(self)
        #: The stop recorded during the current run (None while running freely).
        self.stop: Stop | None = None
        #: The last stop reported (None after resuming).
        self.last_stop: Stop | None = None
        #: Cores stopped on an instruction they have not executed: core -> that stop.
        self._resume: dict[str, Stop] = {}
        self._bps: dict[str, dict[int, list[Breakpoint]]] = {}     # core -> address -> breakpoints
        self._quiet_watch: str | None = None                         # core whose watchpoints are off for a step
        self._deferred: dict[str, Stop] = {}                         # IT-block hits waiting for the block end
        self._step: _StepState | None = None
        self._views: dict[str, list[_View]] = {}                     # core -> watched views on it
        self._guards: dict[str, list[int]] = {}                      # core -> IT guard hook handles
        self._it_cache: dict[str, tuple[Any, list[int]]] = {}
        self._tracers: dict[str, Any] = {}          # InstructionTracer, BlockTracer or RegTracer
        machine.scheduler.observer = self          # told about every slice and delivery of a run

    # -- helpers --------------------------------------------------------------------------
    def core(self, core: str | Core) -> Core:
        """A core of the machine by name (or the Core itself)."""
        cores = self.machine.cores
        if isinstance(core, Core):
            if cores.get(core.name) is not core:
                raise PsaEmuError(f"core {core.name!r} is not a core of this machine")
            return core
        if core not in cores:
            raise PsaEmuError(f"no core {core!r} (cores: {', '.join(cores)})")
        return cores[core]

    def new_id(self) -> int:
        ident = self._next_id
        self._next_id += 1
        return ident

    # -- breakpoints: Unicorn exits -------------------------------------------------------
    # A breakpoint is an address in the core's Unicorn "exits" list: translation ends a block
    # there and emu_start returns with the PC on it, the instruction not executed. It is checked
    # when code is translated, so it costs nothing while running (a UC_HOOK_CODE per address
    # would be checked at every instruction, because count= slices make Unicorn call its code
    # hooks for every instruction). Exits also stop inside IT blocks with ITSTATE intact. The
    # list is the core's ExitRegistry (owner "breakpoint"), which also holds the core's hints.
    def install_breakpoint(self, bp: Breakpoint) -> None:
        sites = self._bps.setdefault(bp.core, {})
        sites.setdefault(bp.address, []).append(bp)
        if len(sites[bp.address]) == 1:
            self._sync_exits(bp.core)

    def uninstall_breakpoint(self, bp: Breakpoint) -> None:
        sites = self._bps.get(bp.core, {})
        left = [b for b in sites.get(bp.address, []) if b.id != bp.id]
        if left:
            sites[bp.address] = left
            return
        sites.pop(bp.address, None)
        if not sites:
            self._bps.pop(bp.core, None)
        self._sync_exits(bp.core)

    def _sync_exits(self, name: str) -> None:
        """Give the core's exit registry its breakpoint addresses (it drops the translated code
        where the list changed)."""
        self.machine.cores[name].exits.set(BREAKPOINT, set(self._bps.get(name, ())))

    def _check_breakpoint(self, core: Core) -> bool:
        """After a slice: is ``core`` on a breakpoint (an exit ended its slice, or it got there by an
        exception return or a scheduler boundary)? Then that is the stop."""
        sites = self._bps.get(core.name)
        if not sites or self.stop is not None or core.state is not CoreState.RUNNING:
            return self.stop is not None
        pc = core.pc
        bps = sites.get(pc)
        if bps is None:
            return False
        for bp in bps:
            bp.hits += 1
        ids = tuple(sorted(bp.id for bp in bps))
        self.stop = Stop("breakpoint", core.name, pc, core.symbolize(pc), breakpoint=ids[0], breakpoints=ids,
                         access_pc=pc)
        return True

    # -- watchpoints ----------------------------------------------------------------------
    def install_watchpoint(self, wp: Watchpoint) -> None:
        machine = self.machine
        core = self.core(wp.core)
        mem = machine.memory
        m = mem.maps[core.name].find(wp.address, wp.size)
        if m is None or m.store is None:
            got = mem.maps[core.name].find(wp.address)
            what = (f"the peripheral '{got.name}'" if got is not None and got.store is None else
                    "not inside one memory region" if got is not None else "not mapped")
            raise PsaEmuError(f"cannot watch {core.name}:{wp.address:#010x} [{wp.size}]: {what}; watchpoints "
                              f"cover RAM, flash and shared windows")
        views = []
        for cname, base in mem.windows_of(core.name, wp.address):
            vm = mem.maps[cname].find(base, wp.size)
            if vm is not None and vm.store is m.store:
                views.append((cname, base))
        wp.views = views
        htype = (UC_HOOK_MEM_READ if "r" in wp.kind else 0) | (UC_HOOK_MEM_WRITE if "w" in wp.kind else 0)
        touched = set()
        for cname, base in views:
            c = machine.cores[cname]
            view = _View(wp, c, base)
            handle = c.uc.hook_add(htype, self._on_access, view, max(0, base - (MAX_ACCESS - 1)),
                                   base + wp.size - 1)
            wp.handles.append((cname, handle))
            self._views.setdefault(cname, []).append(view)
            touched.add(cname)
        for cname in touched:           # read hooks only reach code translated after they exist
            machine.cores[cname].uc.ctl_flush_tb()
        self._update_guards()

    def uninstall_watchpoint(self, wp: Watchpoint) -> None:
        machine = self.machine
        for cname, handle in wp.handles:
            c = machine.cores[cname]
            c.uc.hook_del(handle)
            c.uc.ctl_flush_tb()          # retranslate without the memory-hook path
            views = [v for v in self._views.get(cname, []) if v.wp is not wp]
            if views:
                self._views[cname] = views
            else:
                self._views.pop(cname, None)
        wp.handles = []
        self._update_guards()

    def _on_access(self, uc: Any, access: int, address: int, size: int, value: int, view: _View) -> None:
        if address >= view.end or address + size <= view.base:
            return
        core = view.core
        if self._quiet_watch == core.name or self.stop is not None or core.name in self._deferred:
            return
        wp = view.wp
        wp.hits += 1
        write = access == UC_MEM_WRITE
        if write:
            value &= (1 << (8 * size)) - 1
            old = int.from_bytes(bytes(uc.mem_read(address, size)), "little")
        else:
            value = int.from_bytes(bytes(uc.mem_read(address, size)), "little")
            old = None
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        first = max(address, view.base)
        stop = Stop("watchpoint", core.name, pc, core.symbolize(pc), watchpoint=wp.id, kind="w" if write else "r",
                    accessor=core.name, address=address, watch_core=wp.core,
                    watch_address=wp.address + (first - view.base), size=size, value=value, old_value=old,
                    access_pc=pc)
        if uc.reg_read(A.UC_ARM_REG_XPSR) & XPSR_IT_MASK:
            # emu_stop() here would make Unicorn run the rest of the IT block wrongly (count= slices)
            stop.completed = True
            stop.message = (f"the access at {pc:#010x} is inside an IT block, where Unicorn cannot stop "
                            f"from a memory hook: stopped after the block")
            self._deferred[core.name] = stop
            return
        self.stop = stop
        core.stop_requested = True
        uc.emu_stop()

    # -- IT guards ------------------------------------------------------------------------
    def _it_guard_addresses(self, core: Core) -> list[int]:
        """First address after every IT block of the core's image that holds a load or store."""
        image = core.image
        cached = self._it_cache.get(core.name)
        if cached is not None and cached[0] is image:
            return cached[1]
        ends: set[int] = set()
        if image is not None:
            cs = engine(core)
            for seg in image.segments:
                for base in {seg.vaddr, seg.paddr}:
                    for it_addr, conds, end in scan_it_blocks(seg.data, base):
                        off = it_addr - base
                        insns = list(cs.disasm(seg.data[off:off + end - it_addr], it_addr))
                        if any(i.mnemonic.startswith(_MEMORY_MNEMONICS) for i in insns[1:]):
                            ends.add(end)
        result = sorted(ends)
        self._it_cache[core.name] = (image, result)
        return result

    def _update_guards(self) -> None:
        """Code hooks after every IT block with a memory access, on the cores with watched views
        (and nowhere else: in count= slices each code hook is checked at every instruction)."""
        need = set(self._views)
        for cname in list(self._guards):
            if cname not in need:
                core = self.machine.cores[cname]
                for h in self._guards.pop(cname):
                    core.uc.hook_del(h)
                core.uc.ctl_flush_tb()
        for cname in need:
            if cname in self._guards:
                continue
            core = self.machine.cores[cname]
            self._guards[cname] = [core.uc.hook_add(UC_HOOK_CODE, self._on_guard, core, a, a)
                                   for a in self._it_guard_addresses(core)]
            core.uc.ctl_flush_tb()

    def _on_guard(self, uc: Any, address: int, size: int, core: Core) -> None:
        if self.stop is not None:
            return
        stop = self._deferred.pop(core.name, None)
        if stop is None:
            return
        self.stop = stop
        core.stop_requested = True
        uc.emu_stop()

    def _pending_to_stop(self, core: Core) -> bool:
        """Turn an IT-deferred hit of ``core`` into the stop (the slice ended before a guard did)."""
        if self.stop is None and core.name in self._deferred:
            stop = self._deferred.pop(core.name)
            self.stop = stop
        return self.stop is not None

    # -- state protocol (snapshots) -------------------------------------------------------
    def save_state(self) -> dict[str, Any] | None:
        """The "resume" state of cores stopped at a breakpoint or ``run_until`` point (the next run
        steps over the instruction exactly as the original would) and the last stop; None when
        there is none. Breakpoints and watchpoints are configuration: restores leave them installed."""
        if not self._resume and self.last_stop is None:
            return None
        return {"resume": {k: _stop_state(v) for k, v in self._resume.items()},
                "last_stop": _stop_state(self.last_stop)}

    def restore_state(self, state: dict[str, Any] | None) -> None:
        self.stop = None
        self._deferred.clear()
        self._resume = {k: Stop(**v) for k, v in state["resume"].items()} if state is not None else {}
        self.last_stop = Stop(**state["last_stop"]) if state is not None and state["last_stop"] else None

    # -- the scheduler's observer hooks (psaemu.platform.system.scheduler.Observer) ---------------
    def before_run(self) -> bool:
        """Resume: each core stopped on an instruction it has not executed executes it first,
        without its breakpoint (or, after a watchpoint stop, its watchpoints). A running core found
        on a breakpoint is a stop at once. True when the run must not go on (a stop is pending)."""
        self.stop = None
        self._deferred.clear()
        self.last_stop = None
        m = self.machine
        resume, self._resume = self._resume, {}
        held: set[str] = set()
        for name, stop in resume.items():
            core = m.cores[name]
            if core.state is CoreState.RUNNING and core.pc == stop.pc:
                self._step_over(core, stop.reason == "watchpoint" and not stop.completed)
                if m.exit is not None or m.faulted is not None or m.panic is not None:
                    return False
                if core.pc == stop.pc and core.stop_requested and core.fault is None:
                    held.add(name)          # a hint there has an interrupt to take first: the run takes it
                    continue
                if self._pending_to_stop(core) or self._check_breakpoint(core):
                    return True
        for core in m.cores.values():
            if core.name not in held and self._check_breakpoint(core):
                return True
        return False

    def _step_over(self, core: Core, quiet_watch: bool) -> None:
        """Execute the instruction ``core`` is stopped on (a slice executes the instruction it
        starts on even if an exit is there; a hint there applies first)."""
        self._quiet_watch = core.name if quiet_watch else None
        try:
            self.machine.scheduler.step(core, 1)
        finally:
            self._quiet_watch = None

    def before_slice(self, core: Core, quantum: int) -> int:
        """Before a slice of a run: 0 if ``core`` is on a breakpoint (the stop: no empty
        slice is run and charged), else the quantum to run. While stepping with the other cores
        running: one instruction for the stepped core, and no further than the stepped core's
        virtual time for the others."""
        if core.name in self._bps and self._check_breakpoint(core):
            return 0
        st = self._step
        if st is None:
            return quantum
        if core is st.core:
            if self._svc_completed():
                return 0
            self._prepare_step(core, st)
            return 1
        target = st.core
        if target.state is CoreState.RUNNING:
            m = self.machine
            lag = m.time_ps(target) - m.time_ps(core)
            cycles = lag * core.clock_hz // PS_PER_S + 1
            return max(1, min(quantum, cycles))
        return quantum

    def after_slice(self, core: Core) -> bool:
        """After every slice of a run: True when the run must stop for the debugger."""
        st = self._step
        if st is not None and core is st.core:
            self._account_step(core, st)
        if self.stop is None:
            if self._deferred:
                self._pending_to_stop(core)
            self._check_breakpoint(core)
        return self._stopping()

    def _svc_completed(self) -> bool:
        """While a step waits for the SVC it executed: once the caller has resumed (r0 holds the
        result), the step's stop if the step is over (or, others frozen, to go on frozen). True
        when there is a stop."""
        st = self._step
        if st is None or st.wait_svc is None or st.core.state is CoreState.BLOCKED:
            return False
        ran, st.wait_svc = st.wait_svc, None
        core = st.core
        if self.stop is None and (st.done >= st.n or st.frozen):
            others = ", ".join(f"{c.name} {c.instructions - ran[c.name]:,}" for c in self.machine.cores.values()
                               if c.name in ran and c.instructions != ran[c.name])
            self.stop = Stop("step", core.name, core.pc, core.symbolize(core.pc),
                             message="the SVC was completed by Python models" +
                                     (f"; the other cores ran meanwhile ({others} instructions)" if others else ""))
        return self.stop is not None

    def after_delivery(self, core: Core | None = None) -> bool:
        """After a delivery round (agents, resumed waits, interrupts: after ``core``'s slice, or
        while no core could run): a stepped SVC may have completed there."""
        self._svc_completed()
        return self._stopping()

    def until_reached(self, core: Core | None = None) -> bool:
        """The scheduler's ``run_until`` condition became true after ``core``'s slice (None: while
        no core could run): the stop, unless another stop came first."""
        if self.stop is None:
            where = (core.name, core.pc, core.symbolize(core.pc)) if core is not None else ()
            self.stop = Stop("until", *where, message="condition true" if where else
                             "condition true (no core running)")
        return self._stopping()

    def _stopping(self) -> bool:
        """A stop is pending and the machine has not ended by itself (its own ending wins)."""
        if self.stop is None:
            return False
        m = self.machine
        if m.exit is not None or m.faulted is not None or m.panic is not None:
            self.stop = None                # the machine's own ending wins
            return False
        return True

    def take_stop(self) -> Stop:
        """The stop that ended the run, finished (event, trace) and remembered for resuming."""
        stop, self.stop = self.stop, None
        assert stop is not None
        st = self._step
        if st is not None:
            stop.count, stop.requested = st.done, st.n
        if stop.core is not None:
            core = self.machine.cores[stop.core]
            stop.pc = core.pc
            stop.symbol = core.symbolize(stop.pc)
            if stop.reason in ("breakpoint", "watchpoint"):
                fields = {"id": stop.id, "pc": stop.access_pc if stop.access_pc is not None else stop.pc}
                if stop.reason == "watchpoint":
                    fields.update(access=stop.kind, address=stop.address, value=stop.value)
                self.machine.events.record(core, stop.reason, **fields)
            tracer = self._tracers.get(stop.core)
            if tracer is not None and stop.reason == "watchpoint" and not stop.completed:
                tracer.discard(stop.pc)          # the access will run again when resumed
            self._resume[stop.core] = stop
        self.last_stop = stop
        return stop

    def after_run(self) -> None:
        for tracer in self._tracers.values():
            tracer.flush()

    # -- stepping -------------------------------------------------------------------------
    def _prepare_step(self, core: Core, st: _StepState) -> None:
        """Where the step starts and how many instructions one count=1 slice will execute there: a
        whole IT block from its IT instruction, the rest of it from inside (Unicorn's count never
        stops inside one)."""
        pc = core.pc
        st.pc = pc
        inside = it_remaining(core.uc.reg_read(A.UC_ARM_REG_XPSR))
        if inside:
            st.expect = inside
            return
        try:
            raw = bytes(core.uc.mem_read(pc, 2))
            st.expect = 1 + it_length(raw[0] | raw[1] << 8)
        except Exception:
            st.expect = 1

    def _account_step(self, core: Core, st: _StepState) -> None:
        """After one count=1 slice of the stepped core: count it and decide whether stepping ends."""
        st.first = False
        stop = self.stop
        if stop is not None and stop.core == core.name and not stop.completed and stop.pc == st.pc:
            return                                  # stopped on the instruction: nothing executed
        if core.fault is not None or core.pc == st.pc and core.stop_requested:
            return                                  # faulted, or an exit/hook ended the slice before it
        st.done += st.expect
        if self._pending_to_stop(core):
            return
        if core.state is CoreState.BLOCKED:
            st.wait_svc = {c.name: c.instructions for c in self.machine.cores.values() if c is not core}
            return
        if st.done >= st.n:
            message = ""
            if st.done != st.n:
                message = (f"{st.done} instructions for {st.n} asked: an IT block is stepped as a whole "
                           f"(Unicorn never stops inside one)")
            self.stop = Stop("step", core.name, core.pc, core.symbolize(core.pc), message=message)

    def step(self, core: str | Core, n: int = 1, others: str = "frozen", *, max_instructions: int | None = None,
             timeout: float | None = None) -> Stop:
        """Execute ``n`` instructions on ``core``; see :meth:`Machine.step`."""
        c = self.core(core)
        if others not in ("frozen", "run"):
            raise PsaEmuError(f"others={others!r}: use 'frozen' or 'run'")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise PsaEmuError(f"step count {n!r}: give a positive number of instructions")
        m = self.machine
        start = time.monotonic()
        ended = m.scheduler.end_result(start)
        if ended is not None:
            return Stop(ended.reason, ended.core or c.name, c.pc, c.symbolize(c.pc), message=ended.message,
                        result=ended)
        previous = self._resume.pop(c.name, None)
        self.last_stop = None
        self.stop = None
        self._deferred.clear()
        st = _StepState(c, n, frozen=others == "frozen")
        st.suppress_watch = (previous is not None and previous.reason == "watchpoint" and not previous.completed
                             and previous.pc == c.pc)
        self._step = st
        m.stopping = False
        try:
            self._step_frozen(c, st, first_only=others == "run")
            # others="run": the scheduler runs every core (the stepped one an instruction at a time).
            # A stepped SVC that a Python handler completes (a forwarded PSA call) also needs the
            # machine to run, whatever ``others`` says, until the caller resumes with r0 set.
            while (self.stop is None and m.scheduler.end_result(start) is None
                   and (st.wait_svc is not None or (others == "run" and st.done < n))):
                st.ended = None                   # a sleeping core is woken by the others running
                result = m.scheduler.run(max_instructions, timeout)
                if st.frozen and result.reason == "step" and st.done < n:
                    self._resume.pop(c.name, None)          # the SVC completed: step on, others frozen
                    self.last_stop = None
                    self._step_frozen(c, st)
                    continue
                if result.stop is not None:
                    return result.stop
                stop = Stop(result.reason, result.core or c.name, c.pc, c.symbolize(c.pc), count=st.done,
                            requested=n, message=result.message, result=result)
                self.last_stop = stop
                return stop
            if self.stop is not None:
                return self.take_stop()
        finally:
            self._step = None
            self.after_run()
        ended = m.scheduler.end_result(start)
        if ended is not None:
            stop = Stop(ended.reason, ended.core or c.name, c.pc, c.symbolize(c.pc), count=st.done, requested=n,
                        message=ended.message, result=ended)
        else:
            stop = Stop("idle", c.name, c.pc, c.symbolize(c.pc), count=st.done, requested=n,
                        message=st.ended or "")
        self.last_stop = stop
        return stop

    def _step_frozen(self, core: Core, st: _StepState, first_only: bool = False) -> None:
        """count=1 slices of ``core`` alone, interrupts taken between them; the first executes the
        instruction at the PC even if a breakpoint is there (stepping means executing it)."""
        m = self.machine
        while st.done < st.n:
            if not st.first or core.state is not CoreState.RUNNING:
                m.scheduler.deliver(core)
            if m.exit is not None or m.faulted is not None or m.panic is not None:
                return
            if core.state is not CoreState.RUNNING:
                st.ended = self._why_idle(core)
                return
            self._prepare_step(core, st)
            if st.first:
                self._quiet_watch = core.name if st.suppress_watch else None
            try:
                m.scheduler.step(core, 1)
            finally:
                self._quiet_watch = None
            held = core.stop_requested and core.pc == st.pc      # a hint ended it first: an interrupt to take
            self._account_step(core, st)
            if self.stop is not None or m.exit is not None or m.faulted is not None or m.panic is not None:
                return
            if st.wait_svc is not None:
                return                                    # step() runs the machine to complete the SVC
            if st.done < st.n and not held and self._check_breakpoint(core):
                return
            if first_only:
                return

    def _why_idle(self, core: Core) -> str:
        state = core.state
        if state in (CoreState.OFF, CoreState.HALTED):
            return f"core {core.name!r} is {state.value}: {core.stopped_reason}"
        if state is CoreState.BLOCKED and core.block is not None:
            what = f"blocked waiting for {core.block.what}"
        else:
            what = {CoreState.SLEEPING: "sleeping in WFI", CoreState.WAITING: "waiting in WFE"}.get(state, state.value)
        return (f"core {core.name!r} is {what} and nothing pending wakes it while the other cores are frozen; "
                f"step with others='run' or run the machine")

    # -- run until ------------------------------------------------------------------------
    def run_until(self, where: int | str | Callable[["Machine"], bool], core: str | Core | None = None,
                  max_instructions: int | None = None, timeout: float | None = None,
                  quantum: int | None = None) -> "RunResult":
        """See :meth:`Machine.run_until`."""
        m = self.machine
        if quantum is not None and quantum < 1:
            raise PsaEmuError(f"quantum {quantum}: give a positive number of instructions")
        temp = None
        if not callable(where):
            c = self._core_for(where, core)
            temp = self.breakpoints.add(c, where, temporary=True)
        try:
            result = m.scheduler.run_until(where if callable(where) else None, max_instructions, timeout, quantum)
        finally:
            if temp is not None and temp in self.breakpoints:
                self.breakpoints.remove(temp)
        stop = result.stop
        if stop is not None and temp is not None and temp in stop.ids:
            stop.reason = result.reason = "until"
            stop.breakpoints = tuple(i for i in stop.breakpoints if i != temp)
            stop.breakpoint = stop.breakpoints[0] if stop.breakpoints else None
            result.message = stop.format()
        elif stop is not None and stop.reason == "until":
            result.reason = "until"
        return result

    def _core_for(self, where: int | str, core: str | Core | None) -> Core:
        if core is not None:
            return self.core(core)
        if isinstance(where, str):
            try:
                int(where, 0)
            except ValueError:
                name = where.split("+")[0].strip()
                have = [c for c in self.machine.cores.values() if c.image is not None and name in c.image.symbols]
                if len(have) == 1:
                    return have[0]
                if len(have) > 1:
                    raise PsaEmuError(f"symbol {name!r} is in the images of {', '.join(c.name for c in have)}; "
                                      f"say which core") from None
                raise PsaEmuError(f"no core's image has a symbol {name!r}") from None
        raise PsaEmuError(f"run_until({where!r}) needs core=... for an address")

    # -- tracing --------------------------------------------------------------------------
    def trace_instructions(self, core: str | Core, path: str | Path | TextIO) -> None:
        c = self.core(core)
        self.stop_tracing(c.name)
        if isinstance(path, (str, Path)):
            try:
                out: TextIO = open(path, "w", buffering=1 << 16)
            except OSError as exc:
                raise PsaEmuError(f"{path}: cannot write the instruction trace: {exc.strerror}") from None
            owned = True
        elif isinstance(path, io.IOBase) or hasattr(path, "write"):
            out, owned = path, False
        else:
            raise PsaEmuError(f"trace_instructions: give a path or a text file, not {type(path).__name__}")
        self._tracers[c.name] = InstructionTracer(c, out, owned)

    def trace_blocks(self, core: str | Core, path: str | Path) -> None:
        """Record ``core``'s executed blocks to the block-trace file ``path`` (platform/debug/blocktrace.py)."""
        from psaemu.platform.debug.blocktrace import BlockTracer

        c = self.core(core)
        self.stop_tracing(c.name)
        if not isinstance(path, (str, Path)):
            raise PsaEmuError(f"trace_blocks: give a file name, not {type(path).__name__}")
        self._tracers[c.name] = BlockTracer(c, path)

    def trace_registers(self, core: str | Core, path: str | Path) -> None:
        """Record ``core``'s registers before every instruction to ``path`` (platform/debug/regtrace.py)."""
        from psaemu.platform.debug.regtrace import RegTracer

        c = self.core(core)
        self.stop_tracing(c.name)
        if not isinstance(path, (str, Path)):
            raise PsaEmuError(f"trace_registers: give a file name, not {type(path).__name__}")
        self._tracers[c.name] = RegTracer(c, path)

    def stop_tracing(self, core: str | Core | None = None) -> None:
        names = list(self._tracers) if core is None else [self.core(core).name]
        for name in names:
            tracer = self._tracers.pop(name, None)
            if tracer is not None:
                tracer.close()

    def tracing(self) -> list[str]:
        return list(self._tracers)

    def code_changed(self, core: str, addr: int, size: int) -> None:
        """Memory written by the debugger: forget decoded instructions and IT blocks."""
        for tracer in self._tracers.values():
            tracer.invalidate()
        self._it_cache.clear()


# =============================================================================================
# Address translation
# =============================================================================================

def translate(machine: "Machine", addr: int | str, from_core: str, to_core: str) -> int:
    """The address at which ``to_core`` sees the byte ``from_core`` sees at ``addr`` (a number or
    a symbol of ``from_core``'s image); PsaEmuError naming the shared windows if it cannot."""
    for name in (from_core, to_core):
        if name not in machine.cores:
            raise PsaEmuError(f"no core {name!r} (cores: {', '.join(machine.cores)})")
    a = machine.cores[from_core].resolve(addr)
    got = machine.memory.translate(a, from_core, to_core)
    if got is not None:
        return got
    m = machine.memory.maps[from_core].find(a)
    if m is None:
        raise PsaEmuError(f"{from_core}:{a:#010x} is not mapped, so no other core sees it")
    shared = [w for w in machine.board.windows if from_core in w.bases and to_core in w.bases]
    listed = "; ".join(f"{w.name}: {from_core} {w.bases[from_core]:#010x} = {to_core} {w.bases[to_core]:#010x} "
                       f"({w.size // 1024} KiB)" for w in shared)
    raise PsaEmuError(f"{to_core} cannot see {from_core}:{a:#010x} ({m.kind} '{m.name}'); memory both see: "
                      f"{listed or 'none'}")
