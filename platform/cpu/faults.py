"""Fault records and the human report: core, PC with symbol, disassembly, registers, frame,
CFSR/HFSR and (Security Extension) SFSR/SFAR."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from psaemu.platform.cpu.nvic import exception_label
from psaemu.platform.debug.disasm import disassemble

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core


@dataclass(frozen=True)
class Fault:
    """What stopped a core: the architectural fault, where, and why it was not handled."""

    core: str
    exception: str        # the fault as raised (BusFault...)
    taken_as: str         # after escalation (HardFault...)
    what: str
    pc: int
    address: int | None
    note: str = ""

    def summary(self) -> str:
        esc = f" (escalated to {self.taken_as})" if self.taken_as != self.exception else ""
        return f"{self.core}: {self.exception}{esc} at {self.pc:#010x}: {self.what}"


def decode_bits(value: int, table: dict[int, str]) -> list[str]:
    """Names of the set bits of a status register, from ``table``."""
    return [name for bit, name in sorted(table.items()) if value & (1 << bit)]


def code_lines(core: "Core", pc: int, before: int = 3, after: int = 2, indent: str = "    ") -> list[str]:
    """Disassembly around ``pc`` with ``=>`` on it."""
    lines = []
    for addr, text in disassemble(core, pc, before=before, after=after):
        marker = "=>" if addr == pc & ~1 else "  "
        sym = core.symbolize(addr) or ""
        lines.append(f"{indent}{marker} {addr:#010x} {sym:<28} {text}")
    return lines


def register_lines(regs: dict[str, int], indent: str = "    ") -> list[str]:
    """Registers four to a line."""
    names = list(regs)
    return [indent + "  ".join(f"{n:>8}={regs[n]:#010x}" for n in names[i:i + 4]) for i in range(0, len(names), 4)]


def status_lines(core: "Core", indent: str = "  ") -> list[str]:
    """CFSR and HFSR with their set bits named, and BFAR/MMFAR when they are valid; on a core with
    the Security Extension, SFSR (when set, or the fault is a SecureFault) and SFAR when valid."""
    from psaemu.platform.cpu.scs import CFSR_BITS, HFSR_BITS, SFSR_BITS, SFSR_SFARVALID

    cfsr, hfsr = core.scs.regs["CFSR"], core.scs.regs["HFSR"]
    lines = [f"{indent}CFSR={cfsr:#010x} " + (", ".join(decode_bits(cfsr, CFSR_BITS)) or "(none)"),
             f"{indent}HFSR={hfsr:#010x} " + (", ".join(decode_bits(hfsr, HFSR_BITS)) or "(none)")]
    if cfsr & (1 << 15):
        lines.append(f"{indent}BFAR={core.scs.regs['BFAR']:#010x}")
    if cfsr & (1 << 7):
        lines.append(f"{indent}MMFAR={core.scs.regs['MMFAR']:#010x}")
    sfsr = core.scs.regs["SFSR"]
    if sfsr or (core.fault is not None and core.fault.exception == "SecureFault"):
        lines.append(f"{indent}SFSR={sfsr:#010x} " + (", ".join(decode_bits(sfsr, SFSR_BITS)) or "(none)"))
    if sfsr & SFSR_SFARVALID:
        lines.append(f"{indent}SFAR={core.scs.regs['SFAR']:#010x}")
    return lines


def address_line(core: "Core", address: int, indent: str = "  ") -> str:
    """Where a faulting address is: the mapping that holds it and the other cores' views."""
    views = core.machine.memory.windows_of(core.name, address)
    mapping = core.machine.memory.maps[core.name].find(address)
    where = f"in {mapping.kind} '{mapping.name}'" if mapping else "outside every mapping of this core"
    return (f"{indent}address {address:#010x} is {where}"
            + ("; also seen as " + ", ".join(f"{c}:{a:#010x}" for c, a in views if c != core.name)
               if len(views) > 1 else ""))


def fault_report(core: "Core") -> str:
    """The multi-line report printed when a fault stops the machine."""
    f = core.fault
    assert f is not None
    regs = core.registers()
    lines = [f"FAULT on core '{f.core}': {f.exception}"
             + (f" escalated to {f.taken_as}" if f.taken_as != f.exception else ""),
             f"  cause: {f.what}"]
    if f.note:
        lines.append(f"  note:  {f.note}")
    lines.append(f"  pc:    {core.where(f.pc)}")
    lines.append("  code:")
    lines += code_lines(core, f.pc)
    lines.append("  registers:")
    lines += register_lines(regs)
    frame = core.stacked_frame()
    if frame:
        lines.append(f"  stacked frame at {frame['sp']:#010x} ({exception_label(regs['xpsr'] & 0x1FF)} active):")
        lines.append("    " + "  ".join(f"{k}={v:#010x}" for k, v in frame.items() if k != "sp"))
        lines.append(f"    interrupted code: {core.where(frame['pc'])}")
    lines += status_lines(core)
    if f.address is not None:
        lines.append(address_line(core, f.address))
    lines.append(f"  exceptions: {core.nvic.describe()}")
    return "\n".join(lines)


#: Exception numbers of the faults (HardFault, MemManage, BusFault, UsageFault, SecureFault).
FAULT_EXCEPTIONS = (3, 4, 5, 6, 7)


def explain_fault(core: "Core") -> str:
    """Explain the fault a core is in: the machine's fault report when a fault stopped it, or, for a
    core running a fault handler (a breakpoint on ``HardFault_Handler``, ``fault_policy="firmware"``),
    the fault being handled: decoded CFSR/HFSR, the faulting instruction from the stacked PC, the
    stacked registers and a symbolized backtrace through the exception frame."""
    if core.fault is not None:
        return fault_report(core) + "\n  backtrace:\n" + _indent(core.format_backtrace())
    if core.image is None or core.state.value == "off":
        return f"core '{core.name}' is off ({core.stopped_reason or 'no image loaded'}): no fault to explain"
    frames = core.backtrace()
    ipsr = core.reg("xpsr") & 0x1FF
    handling = [f for f in frames if f.kind == "exception" and f.exception in FAULT_EXCEPTIONS]
    if not handling:
        cfsr, hfsr = core.scs.regs["CFSR"], core.scs.regs["HFSR"]
        state = f"in {exception_label(ipsr)}" if ipsr else "in Thread mode"
        lines = [f"core '{core.name}' is not handling a fault: it is {state} at {core.where(core.pc)}"]
        if cfsr or hfsr:
            lines.append("  fault status registers are set from an earlier fault:")
            lines += status_lines(core, "    ")
        return "\n".join(lines)
    exc = handling[0]
    stacked = exc.registers
    lines = [f"core '{core.name}' is handling a {exception_label(exc.exception)}; "
             f"now at {core.where(core.pc)}"]
    lines += status_lines(core)
    cfsr = core.scs.regs["CFSR"]
    if cfsr & (1 << 15) and not cfsr & (1 << 8):
        lines.append(address_line(core, core.scs.regs["BFAR"]))
    lines.append(f"  faulting instruction (stacked PC): {core.where(stacked['pc'])}")
    lines += code_lines(core, stacked["pc"])
    lines.append(f"  stacked registers (frame at {exc.frame_address:#010x} on the {exc.stack}, "
                 f"EXC_RETURN {exc.exc_return:#010x}):")
    lines += register_lines(stacked)
    lines.append("  backtrace:")
    lines.append(_indent("\n".join(f.format() for f in frames)))
    return "\n".join(lines)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
