"""Hint exits: WFI/WFE/SEV and interrupt-recognition points as Unicorn exits shared with the
debugger's breakpoints (psaemu.platform.cpu.exits, Core.run_slice), instead of UC_HOOK_CODE hooks."""
from __future__ import annotations

import dataclasses
import io

import pytest
import unicorn.arm_const as A
from unicorn import UC_ARCH_ARM, UC_MODE_THUMB, Uc

import psaemu.platform.cpu.core as coremod
from psaemu.platform.cpu.core import UNMASK, WFI16, CoreState, scan_hints
from psaemu.platform.cpu.exits import BREAKPOINT, HINT, ExitRegistry, counter_offset, emu_counter
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import Segment
from psaemu.platform.system.machine import Machine
from psaemu.proxy.system import attach_proxy

NEVER = 0xFFFFFFF0
SCRATCH = 0x30070000                        # Host SRAM that crc_host leaves alone
#: Exit mode needs Unicorn's instruction counter (PSAEMU_EMU_COUNTER=0 runs everything in hook mode).
needs_counter = pytest.mark.skipif(counter_offset() is None, reason="no Unicorn instruction counter: hook mode")


def build(name: str) -> Machine:
    m = Machine(console=lambda core, line: None)
    if name == "pingpong":
        m.load("host", image_path("pingpong_host"))
        m.load("se", image_path("pingpong_se"))
    elif name == "regression":
        m.load("host", image_path("regression_host"))
        m.load("se", image_path("se_firmware"))
        attach_proxy(m)
    elif name == "exc_se":
        m.load("se", image_path("exc_se"))
        m.set_released("se", True)
    else:
        m.load("host", image_path(name))
    return m


def outcome(name: str) -> tuple:
    m = build(name)
    r = m.run(max_instructions=50_000_000, timeout=60)
    assert r.reason == "exit" and r.exit_code == 0, r.message
    return m.events.digest(), len(m.events), {n: c.cycles for n, c in m.cores.items()}


@pytest.fixture
def hook_mode(monkeypatch):
    """Cores built now have no instruction counter: their hints are UC_HOOK_CODE hooks."""
    monkeypatch.setattr(coremod, "emu_counter", lambda uc: None)


@pytest.fixture
def promote_all(monkeypatch):
    """Every hint exit becomes a hook the first time the core goes on past it."""
    monkeypatch.setattr(coremod, "HOT_PASSES", 1)
    monkeypatch.setattr(coremod, "HOT_INTERVAL", 10**15)


# -- the counter and the registry ----------------------------------------------------------

def test_the_counter_is_found_on_unicorn_2_1_unless_disabled():
    import os

    import unicorn
    disabled = os.environ.get("PSAEMU_EMU_COUNTER", "1").strip().lower() in ("0", "no", "off", "false")
    if unicorn.__version__.startswith("2.1.") and not disabled:
        assert counter_offset() is not None, "the uc_struct.emu_counter probe failed: hints run as hooks (slower)"


@needs_counter
def test_unicorn_instruction_counter_is_found_and_counts():
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M33)
    uc.mem_map(0x1000, 0x1000)
    uc.mem_write(0x1000, bytes.fromhex("0130" "00bf" "fce7"))       # adds r0,#1 ; nop ; b .-4
    counter = emu_counter(uc)
    uc.emu_start(0x1001, NEVER, count=100)
    assert counter.value == 101                                     # the 101st stopped the run
    uc.ctl_exits_enabled(True)
    uc.ctl_set_exits([0x1002])
    uc.ctl_flush_tb()
    uc.emu_start(0x1005, NEVER, count=100)                          # b, adds, then the exit at the nop
    assert counter.value == 2 and uc.reg_read(A.UC_ARM_REG_PC) == 0x1002


def test_exit_registry_keeps_owners_and_gives_unicorn_the_union():
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M33)
    uc.mem_map(0x1000, 0x1000)
    reg = ExitRegistry(uc)
    reg.set(HINT, [0x1004, 0x1008])
    reg.add(BREAKPOINT, 0x1009)                                     # the Thumb bit is dropped
    reg.add(BREAKPOINT, 0x1010)
    assert sorted(uc.ctl_get_exits()) == [0x1004, 0x1008, 0x1010]
    assert reg.owners(0x1008) == (BREAKPOINT, HINT) and reg.owners(0x1004) == (HINT,)
    assert reg.others(0x1008, HINT) and not reg.others(0x1004, HINT) and reg.others(0x1010, HINT)
    reg.lift(0x1008)
    assert sorted(uc.ctl_get_exits()) == [0x1004, 0x1010]
    reg.unlift()
    assert sorted(uc.ctl_get_exits()) == [0x1004, 0x1008, 0x1010]
    reg.discard(BREAKPOINT, 0x1008)
    reg.discard(BREAKPOINT, 0x1010)
    assert reg.of(BREAKPOINT) == frozenset() and reg.owners(0x1008) == (HINT,)
    reg.set(HINT, [])
    assert len(reg) == 0 and reg.addresses == frozenset()


@needs_counter
def test_hints_are_exits_not_code_hooks():
    m = build("exc_host")
    host = m.host
    scanned = {a for seg in host.image.segments for base in {seg.vaddr, seg.paddr}
               for a, _kind in scan_hints(seg.data, base)}
    assert host.exits.of(HINT) == scanned and len(scanned) > 50
    assert sorted(host.uc.ctl_get_exits()) == sorted(scanned)
    assert host._hint_hooks == []
    wfi = [a for a, entries in host._hints.items() if (WFI16, 2) in entries]
    assert wfi and all(e[0] != UNMASK or i == 0 for entries in host._hints.values() for i, e in enumerate(entries))


# -- same results as the hooks, run to run ---------------------------------------------------

@pytest.mark.parametrize("name", ["exc_host", "exc_se", "pingpong", "regression"])
def test_exits_hooks_and_promoted_exits_give_the_same_event_trace(name, monkeypatch):
    exits = outcome(name)
    assert outcome(name) == exits                                    # stable run to run
    with monkeypatch.context() as mp:
        mp.setattr(coremod, "HOT_PASSES", 1)
        mp.setattr(coremod, "HOT_INTERVAL", 10**15)
        assert outcome(name) == exits                                # every hint a hook once passed
    with monkeypatch.context() as mp:
        mp.setattr(coremod, "emu_counter", lambda uc: None)
        assert outcome(name) == exits                                # hook mode (no counter)


def add_loop(m: Machine) -> int:
    """A Host loop through a DSB (its next instruction is an UNMASK point); returns that address."""
    code = bytes.fromhex("0134" "bff34f8f" "0135" "fae7")           # 1: adds r4; dsb; adds r5; b 1b
    host = m.host
    host.uc.mem_write(SCRATCH, code)
    host._install_hints(dataclasses.replace(host.image, segments=list(host.image.segments) +
                                            [Segment(SCRATCH, SCRATCH, code, len(code))]))
    host.set_reg("pc", SCRATCH | 1)
    return SCRATCH + 6


def run_loop(n: int) -> tuple[int, int, int, bool]:
    m = Machine(console=lambda core, line: None)
    m.load("host", image_path("crc_host"))
    x = add_loop(m)
    assert x in m.host._hints or m.host._counter is None
    r = m.run(max_instructions=n)
    assert r.reason == "budget"
    return m.host.reg("r4"), m.host.reg("r5"), m.host.cycles, x in m.host._hints


@needs_counter
def test_a_hot_hint_exit_becomes_a_hook_with_the_same_results(monkeypatch):
    r4, r5, cycles, still_exit = run_loop(100_000)
    assert not still_exit and r4 == r5 == 25_000                     # promoted; 4 instructions a turn
    with monkeypatch.context() as mp:
        mp.setattr(coremod, "HOT_PASSES", 10**9)                     # never promoted: an exit stop a turn
        assert run_loop(20_000) == (5_000, 5_000, 20_000, True)
    with monkeypatch.context() as mp:
        mp.setattr(coremod, "emu_counter", lambda uc: None)
        assert run_loop(100_000)[:3] == (r4, r5, cycles)


# -- the debugger's exits and the hints at the same address ---------------------------------

@pytest.mark.parametrize("mode", ["exits", "hooks"])
def test_breakpoint_on_an_unmask_point_reports_then_the_interrupt_is_taken(mode, monkeypatch):
    if mode == "hooks":
        monkeypatch.setattr(coremod, "emu_counter", lambda uc: None)
    m = build("exc_host")
    host = m.host
    isb = host.lookup("check_pendsv") + 0x50      # str.w r7, [r6, #0xd04] (PENDSVSET); dsb; >isb<
    assert [i.mnemonic for i in host.disassemble(isb - 4, 2)] == ["dsb", "isb"]
    m.breakpoints.add("host", isb)
    r = m.run(max_instructions=5_000_000)
    assert r.reason == "breakpoint" and host.pc == isb and 14 in host.nvic.pending     # PendSV, not taken yet
    r = m.run(max_instructions=5_000_000)          # resuming takes PendSV before the ISB; it comes back
    assert r.reason == "breakpoint" and host.pc == isb and 14 not in host.nvic.pending
    kinds = [(e[2], dict(e[3]).get("exc")) for e in m.events if e[1] == "host"]
    last = len(kinds) - 1 - kinds[::-1].index(("breakpoint", None))
    before = len(kinds[:last]) - 1 - kinds[:last][::-1].index(("breakpoint", None))
    assert ("exception_entry", 14) in kinds[before:last] and ("exception_return", 14) in kinds[before:last]
    m.breakpoints.clear()
    r = m.run(max_instructions=5_000_000)
    assert r.reason == "exit" and r.exit_code == 0 and m.console.lines("host")[-1].endswith(" 0 failed")


def test_step_from_a_breakpoint_on_an_unmask_point_enters_the_interrupt():
    m = build("exc_host")
    host = m.host
    isb = host.lookup("check_pendsv") + 0x50
    m.breakpoints.add("host", isb)
    assert m.run(max_instructions=5_000_000).reason == "breakpoint"
    stop = m.step("host")
    assert (stop.reason, stop.count) == ("step", 1)
    assert host.reg("xpsr") & 0x1FF == 14 and host.pc == host.lookup("PendSV_Handler") + 2


def test_breakpoint_on_wfi_then_the_wfi_applies_when_resuming():
    m = build("pingpong")
    se = m.se
    wfi = next(i.address for i in se.disassemble("main", count=40) if i.mnemonic == "wfi")
    m.breakpoints.add("se", wfi)
    r = m.run(max_instructions=5_000_000)
    assert r.reason == "breakpoint" and se.pc == wfi and se.state is CoreState.RUNNING
    stop = m.step("se")
    assert stop.count == 1 and se.pc == wfi + 2 and se.state is CoreState.SLEEPING
    m.breakpoints.clear()
    r = m.run(max_instructions=20_000_000)
    assert r.reason == "exit" and r.exit_code == 0


@pytest.mark.parametrize("mode", ["exits", "hooks"])
def test_instruction_trace_shows_the_wfi_python_skips(mode, monkeypatch):
    if mode == "hooks":
        monkeypatch.setattr(coremod, "emu_counter", lambda uc: None)
    m = build("pingpong")
    out = io.StringIO()
    m.trace_instructions("se", out)
    r = m.run_until(lambda mm: mm.se.state is CoreState.SLEEPING, quantum=500, max_instructions=5_000_000)
    m.stop_tracing("se")
    assert r.reason == "until"
    lines = out.getvalue().splitlines()
    assert lines[-1].split()[2] == f"{m.se.pc - 2:#010x}" and lines[-1].rstrip().endswith("wfi")
