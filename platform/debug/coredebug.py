"""Inspection helpers of a core for debuggers: memory and symbols, disassembly, backtraces, and
the address tools (every view of a shared byte).

:class:`CoreDebugMixin` is a base class of :class:`~psaemu.platform.cpu.core.Core`; nothing here
runs while the machine runs, so it costs nothing to a run.

Backtraces are best effort, without debug information: each function's prologue is decoded
from its symbol up to the PC (``push``/``stmdb sp!``/``vpush``/``sub sp``/``str rX, [sp, #-n]!``,
and ``add r7, sp, #n``/``mov r7, sp`` when the code keeps r7 as a frame pointer) to find the
canonical frame address and where LR and r7 were saved; a return address that is an
EXC_RETURN value means an exception frame, which is read from the stack the EXC_RETURN names
(basic or FP-extended, with the 4-byte realignment of xPSR bit 9) and unwinding goes on with the
stacked PC and LR. It stops at a return address outside the image, an LR that is not known (a
caller frame whose prologue does not save LR), the reset LR (0xFFFFFFFF) or ``max_frames``.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psaemu.platform.cpu.scs import SCS_BASE
from psaemu.platform.debug.disasm import decode, engine, insn_hex, insn_text
from psaemu.platform.errors import PsaEmuError
from psaemu.platform.units import parse_number

if TYPE_CHECKING:
    from psaemu.platform.system.memory import Mapping

_SYM_OFFSET = re.compile(r"^\s*([A-Za-z_.$][\w.$]*)\s*(?:([+-])\s*(\S+))?\s*$")
_REGNUM = {f"r{i}": i for i in range(13)} | {"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14,
                                             "pc": 15}
#: First mnemonics that end a prologue scan: control flow and returns.
_FLOW = ("b", "bl", "blx", "bx", "cbz", "cbnz", "pop", "ldm", "tbb", "tbh", "it", "svc", "bkpt", "udf", "wfi",
         "wfe")
_IMM = re.compile(r"#(-?(?:0x[0-9a-fA-F]+|\d+))")


def is_exc_return(value: int) -> bool:
    """Whether ``value`` is an EXC_RETURN pattern (0xFFFFFFxx; not the reset LR 0xFFFFFFFF)."""
    return value & 0xFFFFFF00 == 0xFFFFFF00 and value != 0xFFFFFFFF


@dataclass(frozen=True)
class Insn:
    """One decoded instruction."""

    address: int
    size: int
    bytes: bytes
    mnemonic: str
    op_str: str
    symbol: str | None = None

    @property
    def text(self) -> str:
        return insn_text(self)

    def format(self, marker: bool = False) -> str:
        sym = f"<{self.symbol}>" if self.symbol else ""
        return f"{'=>' if marker else '  '} {self.address:#010x} {sym:<30} {insn_hex(self.bytes):<9}  {self.text}"

    def __str__(self) -> str:
        return self.format()


@dataclass
class Frame:
    """One frame of a backtrace: a function frame, or the exception frame between a handler and
    the code it interrupted (``kind == "exception"``)."""

    level: int
    pc: int
    sp: int
    symbol: str | None
    kind: str = "function"             # function | exception
    interrupted: bool = False          # a function frame whose PC was stacked by an exception
    exception: int | None = None       # exception frames: the exception that stacked it
    exception_name: str | None = None
    exc_return: int | None = None
    frame_address: int | None = None   # exception frames: where the stacked registers are
    stack: str | None = None           # exception frames: "MSP" or "PSP"
    registers: dict[str, int] = field(default_factory=dict)   # exception frames: r0..xpsr as stacked
    note: str = ""

    def format(self) -> str:
        if self.kind == "exception":
            fp = " FP-extended" if self.exc_return is not None and not self.exc_return & 0x10 else ""
            return (f"#{self.level:<2} <exception frame: {self.exception_name} entered from "
                    f"{'Thread' if self.exc_return and self.exc_return & 8 else 'Handler'} mode,{fp} frame at "
                    f"{self.frame_address:#010x} ({self.stack}), EXC_RETURN {self.exc_return:#010x}>")
        sym = f" <{self.symbol}>" if self.symbol else ""
        extra = " (interrupted here)" if self.interrupted else ""
        note = f"  [{self.note}]" if self.note else ""
        return f"#{self.level:<2} {self.pc:#010x}{sym}{extra}  sp={self.sp:#010x}{note}"

    def __str__(self) -> str:
        return self.format()


@dataclass
class _Prologue:
    adjust: int = 0                               # bytes SP went down from the frame's CFA
    saved: dict[int, int] = field(default_factory=dict)   # reg number -> offset from the CFA
    fp: tuple[int, int] | None = None              # (k, adjust when r7 = sp + k was set)


class CoreDebugMixin:
    """Debugger helpers of :class:`Core` (``self`` is a Core)."""

    # -- symbols and addresses ------------------------------------------------------------
    def lookup(self: Any, symbol: str) -> int:
        """Address of a symbol of this core's image (Thumb bit clear); ``name+0x10`` is accepted."""
        if self.image is None:
            raise PsaEmuError(f"core {self.name!r} has no image loaded, so no symbol {symbol!r}")
        m = _SYM_OFFSET.match(symbol)
        if not m:
            raise PsaEmuError(f"{symbol!r} is neither an address nor a symbol")
        base = self.image.address_of(m.group(1))
        if m.group(2):
            try:
                off = parse_number(m.group(3))
            except ValueError:
                raise PsaEmuError(f"{symbol!r}: bad offset {m.group(3)!r}") from None
            base = base + off if m.group(2) == "+" else base - off
        return base

    def resolve(self: Any, where: int | str) -> int:
        """An address from an int, a number (``0x1a408000``) or a symbol (``main``, ``pp_shared+0x40``)."""
        if isinstance(where, bool):
            raise PsaEmuError(f"{where!r} is not an address")
        if isinstance(where, int):
            if not 0 <= where <= 0xFFFFFFFF:
                raise PsaEmuError(f"address {where:#x} is outside the 32-bit address space")
            return where
        text = str(where).strip()
        try:
            return self.resolve(parse_number(text))
        except ValueError:
            return self.lookup(text)

    def describe(self: Any, where: int | str) -> str:
        """``0x1a408000 <pp_shared> (se: 0x38208000)``: the address with its symbol and, for memory
        other cores see too, each of their views (with their symbols); peripherals are named."""
        addr = self.resolve(where)
        memory = self.machine.memory
        text = self.where(addr)
        m = memory.maps[self.name].find(addr)
        if m is None:
            return text + " [not mapped on this core]"
        if m.store is None:
            return text + f" [{m.name}]"
        if m.secure is False and self.symbolize(addr) is None:
            for c, a in memory.windows_of(self.name, addr):
                if c == self.name and memory.maps[c].find(a).secure and self.symbolize(a):
                    text += f" <{self.symbolize(a)}> [Non-secure alias of {a:#010x}]"
                    break
        others = []
        for c, a in memory.windows_of(self.name, addr):
            if c == self.name:
                continue
            other = self.machine.cores[c]
            if memory.maps[c].find(a).secure is False:
                continue                       # the other core's Non-secure alias: its Secure view is listed
            sym = other.symbolize(a)
            others.append(f"{c}: {a:#010x}" + (f" <{sym}>" if sym else ""))
        return text + (f" ({', '.join(others)})" if others else "")

    # -- memory ---------------------------------------------------------------------------
    def _memory_runs(self: Any, addr: int, size: int, peripherals: bool = False) -> list[tuple["Mapping", int, int]]:
        """(mapping, address, length) pieces covering ``size`` bytes at ``addr``; errors name the gap.
        Peripheral mappings are allowed only with ``peripherals`` (reads, which peek)."""
        amap = self.machine.memory.maps[self.name]
        runs = []
        pos, end = addr, addr + size
        while pos < end:
            m = amap.find(pos)
            if m is None:
                raise PsaEmuError(f"core {self.name!r}: {pos:#010x} is not mapped (reading {size} byte(s) at "
                                  f"{addr:#010x}); see 'psaemu check' for the memory map")
            if m.store is None and not peripherals:
                raise PsaEmuError(f"core {self.name!r}: {pos:#010x} is the peripheral '{m.name}'; the debugger "
                                  f"writes only memory (a register write acts on the device)")
            n = min(end, m.end) - pos
            runs.append((m, pos, n))
            pos += n
        return runs

    def read(self: Any, where: int | str, size: int) -> bytes:
        """``size`` bytes as this core sees them at an address or symbol. Peripheral registers
        and the System Control Space are read with ``peek``: inspecting never pops a FIFO or
        clears a read-to-clear flag."""
        addr = self.resolve(where)
        if size < 0:
            raise PsaEmuError(f"cannot read {size} bytes")
        if SCS_BASE <= addr and addr + size <= SCS_BASE + self.scs.SIZE:
            return self.scs.peek_bytes(addr - SCS_BASE, size)
        peripherals = self.machine.peripherals
        return b"".join(m.store.read(m.offset + a - m.base, n) if m.store is not None
                        else peripherals[m.name].peek_bytes(a - m.base, n)
                        for m, a, n in self._memory_runs(addr, size, peripherals=True))

    def read_u32(self: Any, where: int | str) -> int:
        return struct.unpack("<I", self.read(where, 4))[0]

    def write(self: Any, where: int | str, data: bytes) -> None:
        """Write memory (RAM, flash or a shared window) as this core sees it. Translated code of
        every core that sees those bytes is dropped, so a patched instruction takes effect."""
        addr = self.resolve(where)
        data = bytes(data)
        runs = self._memory_runs(addr, len(data))
        pos = 0
        for m, a, n in runs:
            m.store.write(m.offset + a - m.base, data[pos:pos + n])
            pos += n
        machine = self.machine
        for m, a, n in runs:
            for c, view in machine.memory.windows_of(self.name, a):
                machine.cores[c].code_changed(view, view + n)
        dbg = machine.__dict__.get("_debugger")
        if dbg is not None:
            dbg.code_changed(self.name, addr, len(data))

    # -- disassembly ----------------------------------------------------------------------
    def disassemble(self: Any, addr: int | str | None = None, count: int = 8, before: int = 0) -> list[Insn]:
        """``before`` instructions before ``addr`` (default: the PC), then ``count`` from it on."""
        pc = self.pc if addr is None else self.resolve(addr)
        if count < 1 and before < 1:
            return []
        insns = decode(self, pc, before, max(count - 1, 0))
        return [Insn(i.address, i.size, bytes(i.bytes), i.mnemonic, i.op_str, self.symbolize(i.address))
                for i in insns]

    # -- backtrace ------------------------------------------------------------------------
    def _function_start(self: Any, pc: int) -> int | None:
        image = self.image
        if image is None:
            return None
        sym = image.symbolize(pc)
        if sym is None:
            return None
        name, _, off = sym.partition("+")
        return pc - (int(off, 16) if off else 0)

    def _prologue(self: Any, start: int, pc: int) -> _Prologue:
        """What the prologue from ``start`` did before ``pc``: SP adjustment and saved registers."""
        info = _Prologue()
        if pc <= start:
            return info
        length = min(pc - start, 0x100)
        try:
            code = bytes(self.uc.mem_read(start, length))
        except Exception:
            return info
        clobbered: set[int] = set()       # registers no longer holding the caller's value
        for insn in engine(self).disasm(code, start):
            if insn.address >= pc:
                break
            mn = insn.mnemonic.split(".")[0]
            ops = insn.op_str
            dest = _REGNUM.get(ops.split(",")[0].strip())
            if mn in ("push", "stmdb", "stmfd") and (mn == "push" or ops.startswith("sp!")):
                regs = sorted(_REGNUM[r.strip()] for r in ops[ops.index("{") + 1:ops.index("}")].split(","))
                n = len(regs)
                for i, r in enumerate(regs):
                    if r not in info.saved and r not in clobbered:     # v6-M: "mov lr, fp; push {lr}"
                        info.saved[r] = -(info.adjust + 4 * n) + 4 * i
                info.adjust += 4 * n
                continue
            elif mn == "vpush":
                regs = [r.strip() for r in ops[ops.index("{") + 1:ops.index("}")].split(",")]
                info.adjust += sum(8 if r.startswith("d") else 4 for r in regs)
            elif mn in ("sub", "subw") and (ops.startswith("sp, #") or ops.startswith("sp, sp, #")):
                info.adjust += int(_IMM.search(ops).group(1), 0)
            elif mn in ("add", "addw") and (ops.startswith("sp, #-") or ops.startswith("sp, sp, #-")):
                info.adjust -= int(_IMM.search(ops).group(1), 0)
            elif mn == "str" and ops.startswith(("lr, [sp, #-", "r7, [sp, #-")) and ops.endswith("]!"):
                size = -int(_IMM.search(ops).group(1), 0)
                info.adjust += size
                info.saved[_REGNUM[ops.split(",")[0]]] = -info.adjust
            elif mn in ("add", "adds", "addw") and (ops.startswith("r7, sp, #") or ops == "r7, sp"):
                m = _IMM.search(ops)
                info.fp = (int(m.group(1), 0) if m else 0, info.adjust)
            elif mn == "mov" and ops == "r7, sp":
                info.fp = (0, info.adjust)
            elif mn in _FLOW or mn.startswith(("b", "it")) and mn not in ("bic", "bics", "bfc", "bfi") or \
                    mn == "ldr" and ops.startswith("pc"):
                break
            if dest is not None and dest not in (13, 15) and not mn.startswith(("str", "cmp", "cmn", "tst", "teq",
                                                                                 "vst", "vpush")):
                clobbered.add(dest)
        return info

    def backtrace(self: Any, max_frames: int = 32) -> list[Frame]:
        """Frames from the current PC outwards, through exception frames (see the module doc)."""
        from psaemu.platform.cpu.nvic import exception_name

        regs = self.registers()
        pc, sp, lr, r7 = regs["pc"] & ~1, regs["sp"], regs["lr"], regs["r7"]
        psp = regs["psp"]
        exc = regs["xpsr"] & 0x1FF
        frames: list[Frame] = []
        returned = False                  # pc is a return address (symbolize pc-1)
        interrupted = False
        seen: set[tuple[int, int]] = set()
        image_code = self._in_image
        while len(frames) < max_frames:
            sym = self._caller_symbol(pc) if returned else self.symbolize(pc)
            frame = Frame(len(frames), pc, sp, sym, interrupted=interrupted)
            frames.append(frame)
            if (pc, sp) in seen:
                frame.note = "unwinding loops here; stopped"
                break
            seen.add((pc, sp))
            start = self._function_start(pc - 1 if returned else pc)
            info = self._prologue(start, pc) if start is not None else _Prologue()
            if start is None:
                frame.note = "no symbol: assuming nothing was pushed"
            cfa = sp + info.adjust
            if info.fp is not None and r7 is not None:
                k, adjust_then = info.fp
                cfa = r7 - k + adjust_then
            try:
                if 14 in info.saved:
                    ret = self.read_u32(cfa + info.saved[14])
                elif lr is not None:
                    ret = lr
                else:
                    frame.note = frame.note or "return address not saved by this frame's prologue; stopped"
                    break
                new_r7 = self.read_u32(cfa + info.saved[7]) if 7 in info.saved else r7
            except PsaEmuError as err:
                frame.note = f"stack unreadable ({err}); stopped"
                break
            if is_exc_return(ret):
                use_psp = bool(ret & 4) and bool(ret & 8)
                at = psp if use_psp else cfa
                try:
                    stacked = struct.unpack("<8I", self.read(at, 32))
                except PsaEmuError as err:
                    frame.note = f"exception frame unreadable ({err}); stopped"
                    break
                names = ("r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr")
                stacked_regs = dict(zip(names, stacked))
                size = 0x20 if (ret & 0x10 or not self.v8m) else 0x68
                if stacked_regs["xpsr"] & 0x200:
                    size += 4
                frames.append(Frame(len(frames), stacked_regs["pc"] & ~1, at, None, "exception", exception=exc,
                                    exception_name=exception_name(exc) if exc else "(no active exception)",
                                    exc_return=ret, frame_address=at, stack="PSP" if use_psp else "MSP",
                                    registers=stacked_regs))
                pc, lr, r7 = stacked_regs["pc"] & ~1, stacked_regs["lr"], new_r7
                sp = at + size
                exc = stacked_regs["xpsr"] & 0x1FF
                returned, interrupted = False, True
                continue
            if ret in (0, 0xFFFFFFFF) or not image_code(ret & ~1):
                if ret not in (0, 0xFFFFFFFF):
                    frame.note = frame.note or f"return address {ret:#010x} is outside the image; stopped"
                break
            pc, sp, lr, r7 = ret & ~1, cfa, None, new_r7
            returned, interrupted = True, False
        return frames

    def _caller_symbol(self: Any, ret: int) -> str | None:
        """Symbol of a return address, named after the function holding the call (``ret - 2``), so a
        call that ends a function is not shown in the next one."""
        start = self._function_start(ret - 2)
        if start is None:
            return self.symbolize(ret)
        name = self.symbolize(start)
        return f"{name}+{ret - start:#x}" if name else None

    def _in_image(self: Any, addr: int) -> bool:
        image = self.image
        return image is not None and any(s.addr <= addr < s.addr + s.size and s.flags & 0x4
                                         for s in image.sections.values())

    def format_backtrace(self: Any, max_frames: int = 32) -> str:
        return "\n".join(f.format() for f in self.backtrace(max_frames))

