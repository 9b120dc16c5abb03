"""Capstone disassembly of a core's memory, in that core's instruction set."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import capstone

    from psaemu.platform.cpu.core import Core


@lru_cache(maxsize=None)
def _engine() -> capstone.Cs:
    # imported on first use: start-up does not pay for it
    import capstone

    return capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)


def engine(core: "Core") -> capstone.Cs:
    """The capstone decoder for a core: Thumb, M-profile (one mode serves v6-M and v8-M; the
    image only holds instructions of its own architecture)."""
    return _engine()


def decode(core: "Core", pc: int, before: int = 0, after: int = 4) -> list[capstone.CsInsn]:
    """Capstone instructions around ``pc``: ``before`` instructions before it, ``pc`` itself and
    ``after`` after it. Decoding starts a little earlier and keeps the run that hits ``pc`` (Thumb
    has 2- and 4-byte instructions, so going backwards is a guess that must land on ``pc``).
    Empty when nothing at ``pc`` decodes (unreadable memory or not an instruction).
    """
    pc &= ~1
    cs = engine(core)
    for back in range(before * 4, -1, -2):
        start = max(0, pc - back)
        try:
            code = bytes(core.uc.mem_read(start, pc - start + 4 * (after + 1)))
        except Exception:
            continue
        insns = list(cs.disasm(code, start))
        addrs = [i.address for i in insns]
        if pc in addrs:
            i = addrs.index(pc)
            return insns[max(0, i - before):i + after + 1]
    try:
        code = bytes(core.uc.mem_read(pc, 4))
    except Exception:
        return []
    return list(cs.disasm(code, pc, count=1))


def insn_hex(raw: bytes) -> str:
    """Instruction bytes as objdump shows Thumb code: halfwords, most significant byte first."""
    return " ".join(f"{raw[i + 1]:02x}{raw[i]:02x}" for i in range(0, len(raw) - 1, 2))


def insn_text(insn: Any) -> str:
    """``mnemonic op_str`` of a decoded instruction (capstone's or :class:`coredebug.Insn`)."""
    return f"{insn.mnemonic} {insn.op_str}".strip()


def disassemble(core: "Core", pc: int, before: int = 0, after: int = 4) -> list[tuple[int, str]]:
    """(address, text) of the instructions around ``pc`` (see :func:`decode`)."""
    insns = decode(core, pc, before, after)
    if insns:
        return [(i.address, insn_text(i)) for i in insns]
    pc &= ~1
    try:
        code = bytes(core.uc.mem_read(pc, 4))
    except Exception:
        return [(pc, "<unreadable>")]
    return [(pc, f".inst {code[:2].hex()} (not a valid instruction)")]
