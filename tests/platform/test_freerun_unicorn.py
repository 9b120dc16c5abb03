"""What exact free runs rely on in Unicorn 2.1.4 (platform/cpu/core.py ``_free_access``, blockcount.c):
an MMIO callback sees the block start as PC; ``emu_stop`` from it leaves PC at the accessing
instruction with the registers as before it, except inside an IT block (stop deferred to the block
end); ``emu_start(count=)`` counts IT, does not count an IT block's condition-failed instructions
and never stops inside an IT block: a slice whose count runs out there runs the rest of the IT
block's instructions, counted in no slice (the next starts after the block); a ranged code hook is
called for the conditional instructions that execute only (how free runs count them)."""
from __future__ import annotations

from conftest import ITETE, bare_m33
from unicorn import UC_HOOK_CODE, Uc
from unicorn.arm_const import UC_ARM_REG_PC, UC_ARM_REG_R0, UC_ARM_REG_R1

MMIO = 0x4000_0000
# 0: movs r1,#5  2: adds r1,#1  4: str r1,[r0]  6: adds r1,#1  8: ldr r2,[r0]  a: adds r1,#1
# c: cmp r1,#8  e: it eq  10: streq r1,[r0,#4]  12: adds r1,#1  14: b .   (one translated block)
ACCESSES = bytes.fromhex("052101310160013102680131082908bf41600131fee7")
# 0: movs r1,#5  2: cmp r1,#5  4: ite ne  6: movne r1,#1 (fails)  8: moveq r1,#0  a..e: adds r1,#1 x3  10: b .
IT_BLOCK = bytes.fromhex("0521052914bf01210021013101310131fee7")
# 0: movs r1,#5  2: cmp r1,#5  4: it eq  6: moveq r1,#0 (passes)  8..c: adds r1,#1 x3  e: b .
IT_PASS = bytes.fromhex("0521052908bf0021013101310131fee7")


def _stop_at(access: tuple[str, int] | None) -> tuple[list, int, int]:
    uc = bare_m33(ACCESSES)
    seen: list = []

    def rd(uc: Uc, off: int, size: int, _ud: object) -> int:
        seen.append(("r", off, uc.reg_read(UC_ARM_REG_PC)))
        if ("r", off) == access:
            uc.emu_stop()
        return 0x77

    def wr(uc: Uc, off: int, size: int, value: int, _ud: object) -> None:
        seen.append(("w", off, uc.reg_read(UC_ARM_REG_PC)))
        if ("w", off) == access:
            uc.emu_stop()
    uc.mmio_map(MMIO, 0x1000, rd, None, wr, None)
    uc.reg_write(UC_ARM_REG_R0, MMIO)
    uc.emu_start(1, 0x14, count=0)
    return seen, uc.reg_read(UC_ARM_REG_PC), uc.reg_read(UC_ARM_REG_R1)


def test_mmio_callbacks_see_the_block_start_as_pc() -> None:
    seen, pc, r1 = _stop_at(None)
    assert seen == [("w", 0, 0), ("r", 0, 0), ("w", 4, 0)] and pc == 0x14 and r1 == 9


def test_stop_from_mmio_leaves_pc_at_the_access_outside_it_blocks() -> None:
    seen, pc, r1 = _stop_at(("w", 0))
    assert (pc, r1, len(seen)) == (0x4, 6, 1)            # at the store, r1 as before it: it runs again
    seen, pc, r1 = _stop_at(("r", 0))
    assert (pc, r1, len(seen)) == (0x8, 7, 2)            # at the load
    seen, pc, r1 = _stop_at(("w", 4))
    assert (pc, r1) == (0x14, 9)                         # inside IT: deferred to the block end


def _ends(code: bytes) -> list[int]:
    ends = []
    for k in range(1, 8):
        uc = bare_m33(code)
        uc.emu_start(1, 0x100, count=k)
        ends.append(uc.reg_read(UC_ARM_REG_PC))
    return ends


def test_count_skips_failed_conditionals_and_runs_to_the_end_of_an_it_block() -> None:
    assert _ends(IT_BLOCK) == [0x2, 0x4, 0xA, 0xA, 0xC, 0xE, 0x10]     # movne not counted
    assert _ends(IT_PASS) == [0x2, 0x4, 0x8, 0x8, 0xA, 0xC, 0xE]       # it counted, moveq counted


def _slice_ends(code: bytes, k: int, slices: int = 4) -> list[int]:
    uc, pc, ends = bare_m33(code), 0, []
    for _ in range(slices):
        uc.emu_start(pc | 1, 0x100, count=k)
        pc = uc.reg_read(UC_ARM_REG_PC)
        ends.append(pc)
    return ends


def test_slices_ending_inside_an_it_block_run_on_to_its_end_uncounted() -> None:
    # run: movs, cmp, itete, moveq@6, moveq@a (passing), adds@e, adds@10, adds@12
    assert _slice_ends(ITETE, 1) == [0x2, 0x4, 0xE, 0x10]      # slice 3 = IT; both moveq in no slice
    assert _slice_ends(ITETE, 2) == [0x4, 0xE, 0x12, 0x14]     # slice 2 = IT + moveq@6, moveq@a in no slice
    assert _slice_ends(ITETE, 4) == [0xE, 0x14, 0x14, 0x14]    # moveq@6 the 4th, moveq@a in no slice
    assert _slice_ends(ITETE, 5) == [0xE, 0x14, 0x14, 0x14]    # moveq@a the 5th: the slice ends at e


def test_ranged_code_hooks_see_only_the_executed_conditional_instructions() -> None:
    uc, seen = bare_m33(ITETE), []
    uc.hook_add(UC_HOOK_CODE, lambda _uc, addr, _size, _ud: seen.append(addr), None, 0x6, 0xC)
    uc.emu_start(1, 0x14)
    assert seen == [0x6, 0xA]
