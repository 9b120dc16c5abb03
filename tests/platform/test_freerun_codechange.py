"""Free runs stay exact when code changes under them (platform/cpu/core.py ``Core.code_changed``) and
when Python code hooks move PC inside a block (TrustZone TT/MSR_NS/MRS_NS sites): the oracle is the
same machine run with counted slices only."""
from __future__ import annotations

import pytest

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine


def _trace(m: Machine) -> tuple:
    r = m.run(timeout=60)
    return (r.reason, r.exit_code, dict(r.instructions), m.now_ps, len(m.events), m.events.digest(),
            m.console.lines("host"))


def _tz(image: str, free: bool) -> tuple:
    m = Machine(fault_policy="firmware")
    m.load("host", image_path(image))
    m.scheduler.free_run = free
    return _trace(m)


@pytest.mark.parametrize("image", ["tz_host", "tz_irq_host"])
def test_trustzone_free_run_gives_the_counted_trace(image: str) -> None:
    counted = _tz(image, False)
    assert counted[:2] == ("exit", 0)
    assert _tz(image, True) == counted


#: In crc_host's CRC loop, ``eors r3, r1; uxtb r3, r3`` (two instructions) becomes
#: ``and.w r3, r1, #255`` (one): the loop's block runs one instruction fewer per iteration.
_PATCH = bytes.fromhex("01f0ff03")


def _restart(m: Machine) -> None:
    """Start crc_host again from its reset vector without a core reset (which would also clear
    the block counter's cache): as a debugger session that sets PC and SP would."""
    c = m.cores["host"]
    msp, pc = c.read_u32(c.image.vector_table), c.read_u32(c.image.vector_table + 4)
    c.set_reg("msp", msp)
    c.set_reg("pc", pc)
    c.state = type(c.state).RUNNING
    m.exit = None


def _patched_rerun(free: bool) -> tuple:
    m = Machine()
    m.load("host", image_path("crc_host"))
    m.scheduler.free_run = free
    assert m.run(timeout=60).reason == "exit"
    c = m.cores["host"]
    main = c.image.address_of("main")
    assert c.read(main + 0x6E, 4) == bytes.fromhex("4b40dbb2")        # eors r3, r1; uxtb r3, r3
    c.write(main + 0x6E, _PATCH)
    _restart(m)
    return _trace(m)


def test_free_run_after_a_debugger_write_patches_a_loop() -> None:
    counted = _patched_rerun(False)
    assert counted[:2] == ("exit", 0)
    assert _patched_rerun(True) == counted


def _patched_crc(free: bool) -> Machine:
    m = Machine()
    m.load("host", image_path("crc_host"))
    m.scheduler.free_run = free
    m.cores["host"].write(m.cores["host"].image.address_of("main") + 0x6E, _PATCH)
    return m


def test_snapshot_restore_into_a_machine_that_ran_other_code() -> None:
    ran = Machine()                                  # its block counter cached the unpatched loop
    ran.load("host", image_path("crc_host"))
    ran.scheduler.free_run = True
    assert ran.run(timeout=60).reason == "exit"
    ran.restore(_patched_crc(True).snapshot())
    counted = _trace(_patched_crc(False))
    assert counted[:2] == ("exit", 0)
    assert _trace(ran) == counted


def _hooked_crc(free: bool) -> tuple:
    """crc_host with a Python code hook that does ``mov r1, r2`` (the CRC table loop's first
    instruction, 256 times) itself and moves PC past it,
    as TrustZone's TT/MSR_NS/MRS_NS sites do (platform/cpu/trustzone.py)."""
    from unicorn import UC_HOOK_CODE

    m = Machine()
    m.load("host", image_path("crc_host"))
    m.scheduler.free_run = free
    c = m.cores["host"]
    at = c.image.address_of("main") + 0x3E
    assert c.read(at, 2) == bytes.fromhex("1146")                     # mov r1, r2

    def hook(uc, address: int, _size: int, _ud) -> None:
        c.set_reg("r1", c.reg("r2"))
        c.set_reg("pc", (address + 2) | 1)
        c.pc_moved(address + 2)
    c.uc.hook_add(UC_HOOK_CODE, hook, None, at, at)
    return _trace(m)


def test_free_run_with_a_hook_that_moves_pc_gives_the_counted_trace() -> None:
    counted = _hooked_crc(False)
    assert counted[:2] == ("exit", 0)
    assert _hooked_crc(True) == counted


def test_a_block_at_address_zero_counts_its_first_instruction() -> None:
    """blockcount.c: no IT block known is not the same as an IT block ending at address 0."""
    from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
    from unicorn.arm_const import UC_ARM_REG_R1, UC_CPU_ARM_CORTEX_M33

    from psaemu.platform.cpu.blockcount import counter_for

    code = bytes.fromhex("0521013101310131fee7")     # movs r1,#5; adds r1,#1 x3; b .
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M33)
    uc.mem_map(0, 0x1000)
    uc.mem_write(0, code)
    bc = counter_for(uc)
    if bc is None:
        pytest.skip("free runs are unavailable on this host (no C compiler)")
    assert bc.cut(0, len(code), 0) == 5
    bc.attach()
    bc.arm(7)                                        # 5, then the b . block twice: a third passes 7
    uc.emu_start(1, 0x100, count=0)
    assert uc.reg_read(UC_ARM_REG_R1) == 8 and bc.state.count == 7


def _exc() -> Machine:
    m = Machine()
    m.load("host", image_path("exc_host"))
    m.load("se", image_path("exc_se"))
    return m


def test_snapshot_keeps_the_free_run_back_off() -> None:
    """Free runs that ended at once make the scheduler run counted slices for a while; a
    restored machine must go on with the same choices (same path, same speed)."""
    m = _exc()
    assert m.run(timeout=60).reason == "exit"
    saved = m.scheduler.save_state()
    assert saved["free_backoff"].get("host"), "exc_host's free runs end at once: back-off expected"
    other = _exc()
    other.restore(m.snapshot())
    restored = other.scheduler.save_state()
    assert (restored["free_skip"], restored["free_backoff"]) == (saved["free_skip"], saved["free_backoff"])
