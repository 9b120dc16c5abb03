"""Instruction-address traces recorded per translated block: fast to record, exact when expanded.

A ``UC_HOOK_BLOCK`` hook appends (block address, block size in bytes) to an ``array`` each time
Unicorn starts a block; Python does nothing else per block. A block cut short (a fault, BKPT,
SVC handled in Python, an exit, ``emu_stop``, the end of a ``count=`` slice) is trimmed when the
core reports leaving it (:attr:`Core.on_break`): the bytes before PC executed, plus the
instruction at PC when it started (a fault or BKPT). ``count=`` never stops inside an IT block,
so a cut is always between whole IT blocks. WFI/WFE/SEV completed by Python (hint exits) are
recorded as one-instruction blocks. Records are resolved to instruction counts (Thumb sizes from
the code bytes) and written in chunks, with the code bytes the trace executed, so the file
expands with capstone without the ELF.

File format (little-endian; the container of platform/debug/tracefile.py), version 1::

    header   "PSAEBTRC" | u16 version | u16 header bytes (44) | char[16] core | char[16] isa
    sections u32-aligned, each: char[4] tag | u32 payload bytes | payload
      "BLKS"  n x (u32 block address, u32 instructions executed), in execution order
      "CODE"  n x (u32 address, u32 length, bytes, zero padding to 4) code the blocks cover

Sections may interleave; a reader loads every CODE section before expanding BLKS.
"""
from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator, NamedTuple, TextIO

from psaemu.platform.debug.debugger import it_length, scan_it_blocks, thumb_size
from psaemu.platform.debug.tracefile import open_trace, read_trace_file, words, write_section
from psaemu.platform.errors import PsaEmuError

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core

MAGIC = b"PSAEBTRC"
VERSION = 1
_SPAN = struct.Struct("<II")
#: Records (two words each) kept in memory before they are resolved and written.
FLUSH_WORDS = 1 << 18


def block_layout(code: bytes, address: int) -> tuple[list[int], list[bool]]:
    """Addresses of the Thumb instructions in ``code`` (whole instructions at ``address``) and
    whether each is a conditional instruction of an IT block."""
    addrs, conds = [], []
    pos, end, in_it = 0, len(code) - 1, 0
    while pos < end:
        hw = code[pos] | code[pos + 1] << 8
        addrs.append(address + pos)
        conds.append(in_it > 0)
        in_it = it_length(hw) if not in_it else in_it - 1
        pos += thumb_size(hw)
    return addrs, conds


def _runs(addrs: list[int], keep: list[bool]) -> list[tuple[int, int]]:
    """(first address, length) of each run of consecutive kept instructions."""
    out: list[list[int]] = []
    last = -2
    for i, (a, k) in enumerate(zip(addrs, keep)):
        if not k:
            continue
        if i == last + 1:
            out[-1][1] += 1
        else:
            out.append([a, 1])
        last = i
    return [(a, n) for a, n in out]


class BlockTracer:
    """Records one core's executed blocks to a block-trace file (see the module docstring)."""

    def __init__(self, core: "Core", path: str | Path, begin: int = 0, end: int = 0xFFFFFFFF) -> None:
        from unicorn import UC_HOOK_BLOCK, UC_HOOK_CODE

        self.out: IO[bytes] = open_trace(path, MAGIC, VERSION, core.name, core.arch, "block trace")
        self.core = core
        self.buf = array("I")
        self._closed = 0                   # words of buf no cut can change (the rest: the open block)
        self._layouts: dict[tuple[int, int], tuple[list[int], list[bool]]] = {}
        self._spans: dict[int, int] = {}   # code bytes already written, by block address
        append = self.buf.append

        def on_block(_uc: Any, address: int, size: int, _ud: Any) -> None:
            append(address)
            append(size)

        def on_cond(_uc: Any, address: int, _size: int, _ud: Any) -> None:
            append(address)                # a conditional instruction whose condition passed
            append(0)

        uc = core.uc
        self.handles = [uc.hook_add(UC_HOOK_BLOCK, on_block, None, begin, end)]
        # Unicorn runs no hook for an IT-block instruction whose condition fails: one code hook
        # over the conditional instructions of each IT block says which ran
        for first, last in self._it_ranges():
            self.handles.append(uc.hook_add(UC_HOOK_CODE, on_cond, None, first, last))
        core.on_break = self._on_break
        core.on_skip = self._on_skip
        uc.ctl_flush_tb()                  # blocks translated before the hooks would not report

    def _it_ranges(self) -> list[tuple[int, int]]:
        image = self.core.image
        out = set()
        for seg in image.segments if image is not None else ():
            for base in {seg.vaddr, seg.paddr}:
                for _it, conds, end in scan_it_blocks(bytes(seg.data), base):
                    out.add((conds[0], end - 1))
        return sorted(out)

    # -- recording ------------------------------------------------------------------------
    def _open_block(self) -> int:
        """Index of the open block record (-1 if none): the last one, past its IT markers."""
        buf = self.buf
        j = len(buf) - 2
        while j >= self._closed and buf[j + 1] == 0:
            j -= 2
        return j if j >= self._closed else -1

    def _cut(self, started: bool) -> None:
        """Trim the open block to what executed, PC being where execution left it."""
        j = self._open_block()
        buf = self.buf
        if j >= 0:
            start = buf[j]
            off = self.core.pc - start
            if 0 <= off < buf[j + 1]:
                if started:
                    head = self.core.mem_read(start + off, 2)
                    off += thumb_size(head[0] | head[1] << 8)
                if off:
                    buf[j + 1] = off
                else:
                    del buf[j:]
        self._closed = len(buf)

    def _on_break(self, started: bool) -> None:
        self._cut(started)
        if len(self.buf) >= FLUSH_WORDS:
            self.flush()

    def _on_skip(self, address: int, size: int) -> None:
        """A hint instruction Python completed (never executed by Unicorn): one instruction."""
        self._cut(False)
        self.buf.extend((address, size))
        self._closed = len(self.buf)

    def discard(self, address: int) -> None:
        """(A stop left PC on an instruction that will run again: the cut already dropped it.)"""

    def invalidate(self) -> None:
        """Code is about to change: resolve what was recorded against the code it ran."""
        self.flush()

    # -- writing --------------------------------------------------------------------------
    def _layout(self, addr: int, nbytes: int, code: bytearray) -> tuple[list[int], list[bool]]:
        key = (addr, nbytes)
        got = self._layouts.get(key)
        if got is None:
            data = bytes(self.core.mem_read(addr, nbytes))
            self._layouts[key] = got = block_layout(data, addr)
            if self._spans.get(addr, 0) < nbytes:
                self._spans[addr] = nbytes
                code += _SPAN.pack(addr, nbytes) + data + b"\0" * (-nbytes % 4)
        return got

    def flush(self) -> None:
        """Resolve and write the closed records: byte spans become instruction counts; a block
        with IT-conditional instructions becomes one record per run of instructions that ran."""
        buf = self.buf
        j = self._open_block()
        keep = len(buf) if j < 0 else j
        if keep:
            code = bytearray()
            recs = array("I")
            i = 0
            while i < keep:
                addr, nbytes = buf[i], buf[i + 1]
                i += 2
                ran = set()
                while i < keep and buf[i + 1] == 0:
                    ran.add(buf[i])
                    i += 2
                if not nbytes:
                    continue                   # (a marker with no block: not expected)
                addrs, conds = self._layout(addr, nbytes, code)
                if not any(conds):
                    recs.extend((addr, len(addrs)))
                    continue
                for a, n in _runs(addrs, [not c or a in ran for a, c in zip(addrs, conds)]):
                    recs.extend((a, n))
            if code:
                write_section(self.out, b"CODE", bytes(code))
            write_section(self.out, b"BLKS", recs)
            del buf[:keep]
            self._closed = max(0, self._closed - keep)
        self.out.flush()

    def close(self) -> None:
        uc = self.core.uc
        for h in self.handles:
            uc.hook_del(h)
        self.core.on_break = None
        self.core.on_skip = None
        uc.ctl_flush_tb()
        self._closed = len(self.buf)
        self.flush()
        self.out.close()


# =============================================================================================
# Reading
# =============================================================================================

class Insn(NamedTuple):
    address: int
    size: int
    mnemonic: str
    op_str: str


class BlockTrace:
    """A block-trace file loaded: header fields, the (address, count) records and the code."""

    def __init__(self, path: str | Path) -> None:
        trace = read_trace_file(path, MAGIC, VERSION, "block trace", "Machine.trace_blocks")
        self.path, self.version, self.core, self.isa = trace.path, trace.version, trace.core, trace.isa
        self.records = array("I")
        self.code: dict[int, bytes] = {}
        for tag, payload, at in trace.sections:
            size = len(payload)
            if tag == b"BLKS":
                if size % 8:
                    raise PsaEmuError(f"{path}: BLKS section at byte {at} holds {size} bytes, "
                                      f"not whole 8-byte records")
                self.records.extend(words(payload))
            elif tag == b"CODE":
                base, at = at, 0
                while at < size:
                    if at + _SPAN.size > size:
                        raise PsaEmuError(f"{path}: CODE section at byte {base} ends inside a span header")
                    addr, n = _SPAN.unpack_from(payload, at)
                    at += _SPAN.size
                    if at + n > size:
                        raise PsaEmuError(f"{path}: CODE span at {addr:#010x} runs past its section")
                    if len(self.code.get(addr, b"")) < n:
                        self.code[addr] = payload[at:at + n]
                    at += n + (-n % 4)
        self._expanded: dict[tuple[int, int], tuple[Insn, ...]] = {}
        self._starts: list[int] | None = None

    def _code_at(self, address: int) -> bytes | None:
        """The recorded code bytes from ``address`` on (a record may start inside a block's span)."""
        code = self.code.get(address)
        if code is not None:
            return code
        if self._starts is None:
            self._starts = sorted(self.code)
        k = bisect_right(self._starts, address)
        best = b""
        for start in self._starts[max(0, k - 64):k]:
            tail = self.code[start][address - start:]
            if len(tail) > len(best):
                best = tail
        return best or None

    def blocks(self) -> Iterator[tuple[int, int]]:
        """(block address, instructions executed) in execution order."""
        r = self.records
        return zip(r[0::2], r[1::2])

    def block_insns(self, address: int, count: int) -> tuple[Insn, ...]:
        """The first ``count`` instructions of the block at ``address``, decoded with capstone."""
        key = (address, count)
        got = self._expanded.get(key)
        if got is None:
            from psaemu.platform.debug.disasm import _engine

            code = self._code_at(address)
            if code is None:
                raise PsaEmuError(f"{self.path}: no code recorded for the block at {address:#010x}")
            got = tuple(Insn(i.address, i.size, i.mnemonic, i.op_str)
                        for i in _engine().disasm(code, address, count=count))
            if len(got) != count:
                raise PsaEmuError(f"{self.path}: the block at {address:#010x} decodes to {len(got)} "
                                  f"instructions, the trace says {count}")
            self._expanded[key] = got
        return got

    def instructions(self) -> Iterator[Insn]:
        """Every executed instruction, in order."""
        for address, count in self.blocks():
            yield from self.block_insns(address, count)

    def addresses(self) -> Iterator[int]:
        """The address of every executed instruction, in order."""
        for insn in self.instructions():
            yield insn.address

    def __len__(self) -> int:
        return sum(self.records[1::2])


def read_trace(path: str | Path) -> Iterator[int]:
    """The address of every instruction a block trace recorded, in execution order."""
    return BlockTrace(path).addresses()


def dump_trace(path: str | Path, out: TextIO, blocks: bool = False) -> int:
    """Write a block trace as text, one instruction (or with ``blocks``, one block) a line;
    returns the number of lines."""
    trace = BlockTrace(path)
    n = 0
    write = out.write
    write(f"# {trace.core} ({trace.isa}) block trace version {trace.version}\n")
    if blocks:
        for address, count in trace.blocks():
            write(f"{address:#010x} {count}\n")
            n += 1
        return n
    for i in trace.instructions():
        write(f"{i.address:#010x} {i.mnemonic} {i.op_str}".rstrip() + "\n")
        n += 1
    return n
