"""Capstone disassembly of a core's memory, in that core's instruction set."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import capstone

if TYPE_CHECKING:
    from psaemu.platform.core import Core


@lru_cache(maxsize=None)
def _engine(v8m: bool) -> capstone.Cs:
    mode = capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS
    return capstone.Cs(capstone.CS_ARCH_ARM, mode)


def disassemble(core: "Core", pc: int, before: int = 0, after: int = 4) -> list[tuple[int, str]]:
    """Instructions around ``pc``: decoding starts a little earlier and keeps the run that hits ``pc``."""
    pc &= ~1
    cs = _engine(core.v8m)
    for back in range(before * 4, -1, -2):
        start = max(0, pc - back)
        try:
            code = bytes(core.uc.mem_read(start, pc - start + 4 * (after + 1)))
        except Exception:
            continue
        insns = [(i.address, f"{i.mnemonic} {i.op_str}".strip()) for i in cs.disasm(code, start)]
        addrs = [a for a, _ in insns]
        if pc in addrs:
            i = addrs.index(pc)
            return insns[max(0, i - before):i + after + 1]
    try:
        code = bytes(core.uc.mem_read(pc, 4))
    except Exception:
        return [(pc, "<unreadable>")]
    decoded = [(i.address, f"{i.mnemonic} {i.op_str}".strip()) for i in cs.disasm(code, pc, count=1)]
    return decoded or [(pc, f".inst {code[:2].hex()} (not a valid instruction)")]
