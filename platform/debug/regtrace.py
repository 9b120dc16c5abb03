"""Register traces: pc, r0-r12, sp, lr and xpsr before every executed instruction, at native speed.

A Python ``UC_HOOK_CODE`` reading 17 registers runs at well under 1 M instructions/s; this trace
uses a C code hook instead (``regtrace.c``, compiled once with the host C compiler by
platform/cpu/native.py). Before each instruction Unicorn executes, the hook reads the registers
with one ``uc_reg_read_batch`` and appends a delta record to a buffer in C memory; Python moves
the buffer into the file when a run of the core ends (:attr:`Core.on_break`) and it holds
:data:`FLUSH_WORDS` words or more. WFI/WFE/SEV that Python completes in Unicorn's place
(:attr:`Core.on_skip`) are recorded by calling the same C function. An IT-block instruction whose
condition fails is not executed, so it has no record (as in the block trace).

Records are exact, not sampled: the reader rebuilds every register before every instruction.
File format (little-endian; the container of platform/debug/tracefile.py), version 1::

    header   "PSAERTRC" | u16 version | u16 header bytes (44) | char[16] core | char[16] isa
    sections "REGS" u32 words: records in execution order, each
             u32 head  bits 0-16: which of pc, r0-r12, sp, lr, xpsr are stored (pc is stored
                       when it is not the previous pc + the previous instruction's size);
                       bit 17: this instruction is 32-bit
             u32 value of each stored register, in that order

A record that follows a discarded one (an instruction a debugger stop will run again) stores
every register.
"""
from __future__ import annotations

import ctypes
from array import array
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator, TextIO

from psaemu.platform.cpu import native
from psaemu.platform.debug.tracefile import open_trace, read_trace_file, sections, words, write_section
from psaemu.platform.errors import PsaEmuError

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core

MAGIC = b"PSAERTRC"
VERSION = 1
#: Register names of a record, in record order.
REGS = ("pc", *(f"r{i}" for i in range(13)), "sp", "lr", "xpsr")
NREGS = len(REGS)
WIDE = 1 << 17
#: Words kept in the C buffer before a run end writes them out.
FLUSH_WORDS = 1 << 20
_SOURCE = Path(__file__).with_name("regtrace.c")


class _State(ctypes.Structure):
    _fields_ = [("buf", ctypes.POINTER(ctypes.c_uint32)), ("used", ctypes.c_uint64), ("cap", ctypes.c_uint64),
                ("last", ctypes.c_uint64), ("records", ctypes.c_uint64), ("full", ctypes.c_uint32),
                ("failed", ctypes.c_uint32), ("next_pc", ctypes.c_uint32), ("pad", ctypes.c_uint32),
                ("reg_read_batch", ctypes.c_void_p), ("ids", ctypes.c_int * NREGS),
                ("prev", ctypes.c_uint32 * NREGS)]


def _unicorn_ids() -> list[int]:
    from unicorn import arm_const as A

    return [getattr(A, f"UC_ARM_REG_{name.upper()}") for name in REGS]


def why_unavailable() -> str | None:
    """Why register traces cannot be recorded on this host (no C compiler...), or None."""
    return native.why_unavailable(_SOURCE)


class RegTracer:
    """Records one core's registers before every instruction to a register-trace file."""

    def __init__(self, core: "Core", path: str | Path) -> None:
        from unicorn import UC_HOOK_CODE

        why = why_unavailable()
        if why is not None:
            raise PsaEmuError(f"{path}: cannot record a register trace: {why}")
        lib = native.library(_SOURCE)
        assert lib is not None
        self._record = lib.psaemu_regs
        self._record.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p]
        self._record.restype = None
        self._free = lib.psaemu_rt_free
        self._free.argtypes = [ctypes.c_void_p]
        self.core = core
        self.state = s = _State()
        s.reg_read_batch = native.address(native.uclib().uc_reg_read_batch)
        s.ids[:] = _unicorn_ids()
        s.full = 1
        self.out: IO[bytes] = open_trace(path, MAGIC, VERSION, core.name, core.arch, "register trace")
        try:
            self.hook = native.hook_add(core.uc, UC_HOOK_CODE, lib.psaemu_regs, s, 1, 0)
        except OSError as exc:
            self.out.close()
            raise PsaEmuError(f"{path}: cannot record a register trace: {exc}") from None
        core.on_break = self._on_break
        core.on_skip = self._on_skip
        core.uc.ctl_flush_tb()             # code translated before the hook would not call it

    @property
    def records(self) -> int:
        """Records taken so far (discarded ones included)."""
        return self.state.records

    def _on_break(self, _started: bool) -> None:
        if self.state.used >= FLUSH_WORDS:
            self._write(keep_last=True)

    def _on_skip(self, address: int, size: int) -> None:
        """A hint instruction Python completed: its registers are those it found."""
        self._record(native.handle(self.core.uc), address, size, ctypes.byref(self.state))

    def discard(self, address: int) -> None:
        """A stop left PC on the last recorded instruction, which runs again: drop its record."""
        s = self.state
        if s.used and s.prev[0] == address:
            s.used = s.last
            s.full = 1

    def invalidate(self) -> None:
        """(Code changes do not matter to a register trace.)"""

    def _write(self, keep_last: bool) -> None:
        s = self.state
        if s.failed:
            raise PsaEmuError(f"{self.out.name}: the register trace ran out of memory; records were lost")
        n = s.last if keep_last else s.used
        if n:
            data = ctypes.string_at(s.buf, n * 4)
            write_section(self.out, b"REGS", data if _LITTLE else host_words(data))
            rest = s.used - n
            ctypes.memmove(s.buf, ctypes.addressof(s.buf.contents) + n * 4, rest * 4)
            s.used = rest
            s.last -= n
        self.out.flush()

    def flush(self) -> None:
        """Write what was recorded (but the last record, which a stop may yet discard)."""
        self._write(keep_last=True)

    def close(self) -> None:
        uc = self.core.uc
        self.hook.close()
        self.core.on_break = None
        self.core.on_skip = None
        uc.ctl_flush_tb()
        try:
            self._write(keep_last=False)
        finally:
            self._free(ctypes.byref(self.state))
            self.out.close()


_LITTLE = array("I", [1]).tobytes()[0] == 1


def host_words(data: bytes) -> array:
    """``data`` as an array of host-order 32-bit words (``write_section`` writes them little-endian)."""
    words = array("I")
    words.frombytes(data)
    return words


# =============================================================================================
# Reading
# =============================================================================================

class RegTrace:
    """A register-trace file loaded; iterate it for the registers before each instruction."""

    def __init__(self, path: str | Path) -> None:
        trace = read_trace_file(path, MAGIC, VERSION, "register trace", "Machine.trace_registers")
        self.path, self.version, self.core, self.isa = trace.path, trace.version, trace.core, trace.isa
        self.words = array("I")
        for payload, at in sections(trace, b"REGS"):
            if len(payload) % 4:
                raise PsaEmuError(f"{path}: REGS section at byte {at} holds {len(payload)} bytes, not whole words")
            self.words.extend(words(payload))

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        """(pc, r0, ..., r12, sp, lr, xpsr) before each executed instruction, in order."""
        w = self.words
        regs = [0] * NREGS
        plans: dict[int, tuple[int, ...]] = {}
        next_pc, i, end = 0, 0, len(w)
        while i < end:
            head = w[i]
            mask = head & 0x1FFFF
            plan = plans.get(mask)
            if plan is None:
                plan = plans[mask] = tuple(r for r in range(NREGS) if mask >> r & 1)
            if i + len(plan) >= end:
                raise PsaEmuError(f"{self.path}: the last register record is cut short (word {i})")
            regs[0] = next_pc
            for k, r in enumerate(plan, i + 1):
                regs[r] = w[k]
            i += 1 + len(plan)
            next_pc = regs[0] + (4 if head & WIDE else 2)
            yield tuple(regs)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def dump_regtrace(path: str | Path, out: TextIO) -> int:
    """Write a register trace as text, one instruction a line (pc, then the registers); returns
    the number of instruction lines."""
    trace = RegTrace(path)
    write = out.write
    write(f"# {trace.core} ({trace.isa}) register trace version {trace.version}\n# " + " ".join(REGS) + "\n")
    n = 0
    for regs in trace:
        write(" ".join(f"{v:08x}" for v in regs) + "\n")
        n += 1
    return n


def is_regtrace(path: str | Path) -> bool:
    """Whether ``path`` starts like a register-trace file."""
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False
