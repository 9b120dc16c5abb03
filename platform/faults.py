"""Fault records and the human report: core, PC with symbol, disassembly, registers, frame, CFSR/HFSR."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from psaemu.platform.disasm import disassemble

if TYPE_CHECKING:
    from psaemu.platform.core import Core


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


def fault_report(core: "Core") -> str:
    """The multi-line report printed when a fault stops the machine."""
    from psaemu.platform.scs import CFSR_BITS, HFSR_BITS

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
    for addr, text in disassemble(core, f.pc, before=3, after=2):
        marker = "=>" if addr == f.pc else "  "
        sym = core.symbolize(addr) or ""
        lines.append(f"    {marker} {addr:#010x} {sym:<28} {text}")
    lines.append("  registers:")
    names = list(regs)
    for i in range(0, len(names), 4):
        lines.append("    " + "  ".join(f"{n:>8}={regs[n]:#010x}" for n in names[i:i + 4]))
    frame = core.stacked_frame()
    if frame:
        lines.append(f"  stacked frame at {frame['sp']:#010x} (exception {regs['xpsr'] & 0x1FF} active):")
        lines.append("    " + "  ".join(f"{k}={v:#010x}" for k, v in frame.items() if k != "sp"))
        lines.append(f"    interrupted code: {core.where(frame['pc'])}")
    cfsr, hfsr = core.scs.regs["CFSR"], core.scs.regs["HFSR"]
    lines.append(f"  CFSR={cfsr:#010x} " + (", ".join(decode_bits(cfsr, CFSR_BITS)) or "(none)"))
    lines.append(f"  HFSR={hfsr:#010x} " + (", ".join(decode_bits(hfsr, HFSR_BITS)) or "(none)"))
    if cfsr & (1 << 15):
        lines.append(f"  BFAR={core.scs.regs['BFAR']:#010x}")
    if cfsr & (1 << 7):
        lines.append(f"  MMFAR={core.scs.regs['MMFAR']:#010x}")
    if f.address is not None:
        views = core.machine.memory.windows_of(core.name, f.address)
        mapping = core.machine.memory.maps[core.name].find(f.address)
        where = f"in {mapping.kind} '{mapping.name}'" if mapping else "outside every mapping of this core"
        lines.append(f"  address {f.address:#010x} is {where}"
                     + ("; also seen as " + ", ".join(f"{c}:{a:#010x}" for c, a in views if c != core.name)
                        if len(views) > 1 else ""))
    return "\n".join(lines)
