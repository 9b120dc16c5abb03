"""Exception engine end to end: the self-checking exc_host (Cortex-M33) and exc_se (Cortex-M0+)
images, plus what the event trace and the engine counters say about the same runs.

Each image prints ``PASS <check>`` / ``FAIL <check> <detail>`` lines and exits with the number
of failed checks. The check names are listed here so a check that silently stops running fails.
"""
from __future__ import annotations

from typing import Callable

import pytest

from psaemu.platform.cpu.core import UNMASK, CoreState, scan_hints
from psaemu.platform.cpu.nvic import IRQ0, PENDSV, SVCALL, SYSTICK
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

MAX_INSTRUCTIONS = 5_000_000
TIMEOUT = 20.0

HOST_CHECKS = [
    "priority_bits",        # (l) IPR/SHPR keep the top 3 bits: 0xFF -> 0xE0
    "systick_count",        # (a) N reloads -> N SysTick interrupts, none after stopping
    "systick_masked",       #     reloads under PRIMASK seen by COUNTFLAG, one pending tick
    "nested_preemption",    # (b) IRQ0 (0xC0) pends IRQ1 (0x40) via STIR: IRQ1 runs inside IRQ0
    "tail_chain",           # (c) same/lower priority pended in a handler run after it
    "primask",              # (d) CPSID / MSR PRIMASK hold interrupts; taken right after unmasking
    "basepri",              # (e) BASEPRI 0x80 masks 0x80 and 0xA0, not 0x40
    "pendsv",               # (f) PendSV (0xE0) after a higher IRQ, at once from Thread mode
    "svc_firmware",         # (g) svc #5: r0..r3 from the stacked frame, result in stacked r0
    "svc_from_handler",     #     SVC from an IRQ handler preempts it (EXC_RETURN to Handler)
    "psp_thread",           # (h) Thread on PSP, privileged and unprivileged: IRQ, SVC, SysTick
    "fp_context",           # (i) s0-s15/FPSCR survive FP-using handlers (extended frames, nested)
    "wfi_wake",             # (j) WFI wakes on SysTick; with PRIMASK it wakes without taking it
    "wfe_sev",              # (k) SEV;WFE does not sleep; a later WFE is woken by SysTick
]
SE_CHECKS = [
    "priority_bits",        # (h) 2 bits: 0xFF -> 0xC0
    "systick_count",        # (a)
    "systick_masked",
    "nested_preemption",    # (b) 0xC0 -> 0x80 -> 0x40 -> 0x00, four levels deep
    "tail_chain",           # (c)
    "primask",              # (d)
    "svc_firmware",         # (e)
    "svc_from_handler",
    "psp_thread",           # (f) CONTROL.SPSEL=1 on v6-M, IRQ and SVC frames on the PSP
    "wfi_wake",             # (g)
    "pendsv",               # (i)
]


def run_image(core: str, image: str, setup: Callable[[Machine], None] | None = None,
              **kwargs) -> tuple[Machine, object]:
    """Load one image on one core of the default board (the other core gets nothing) and run it."""
    m = Machine(**kwargs)
    m.load(core, image_path(image))
    if core == "se":
        # The SE is held in reset at power-on on the Musca-B1 board; with no Host image to
        # release it through the SCC, the test releases it.
        assert m.se.state is CoreState.OFF
        m.set_released("se", True)
        assert m.se.state is CoreState.RUNNING
    if setup is not None:
        setup(m)
    r = m.run(max_instructions=MAX_INSTRUCTIONS, timeout=TIMEOUT)
    return m, r


def check_lines(m: Machine, core: str) -> tuple[set[str], list[str]]:
    lines = m.console.lines(core)
    passed = {line.split()[1] for line in lines if line.startswith("PASS ")}
    failed = [line for line in lines if line.startswith("FAIL")]
    return passed, failed


def assert_all_passed(m: Machine, r, core: str, expected: list[str]) -> None:
    passed, failed = check_lines(m, core)
    assert not failed, "\n".join(failed)
    assert r.reason == "exit" and r.exit_code == 0 and r.core == core, (r.message, m.console.text(core))
    missing = [name for name in expected if name not in passed]
    assert not missing, f"checks that did not report PASS: {missing}\n{m.console.text(core)}"


def fields(record) -> dict:
    return dict(record[3])


def core_events(m: Machine, core: str, *kinds: str) -> list[tuple[str, dict]]:
    return [(e[2], fields(e)) for e in m.events if e[1] == core and (not kinds or e[2] in kinds)]


def max_nesting(m: Machine, core: str) -> int:
    """Deepest number of simultaneously active exceptions, from entry/SVC/return records."""
    depth = deepest = 0
    for kind, f in core_events(m, core, "exception_entry", "svc", "exception_return"):
        if kind == "exception_entry" or (kind == "svc" and f["handler"] == "firmware"):
            depth += 1
        elif kind == "exception_return":
            depth -= 1
        assert depth >= 0
        deepest = max(deepest, depth)
    assert depth == 0, "every exception entered has returned by the end of the run"
    return deepest


def entered_while_active(m: Machine, core: str, outer: int, inner: int) -> bool:
    """An exception_entry of ``inner`` happened after ``outer`` was entered and before it returned."""
    active = False
    for kind, f in core_events(m, core, "exception_entry", "exception_return", "tail_chain"):
        if kind in ("exception_entry", "tail_chain") and f["exc"] == outer:
            active = True
        elif kind == "exception_return" and f["exc"] == outer:
            active = False
        elif kind == "exception_entry" and f["exc"] == inner and active:
            return True
    return False


def tail_chains(m: Machine, core: str) -> list[tuple[int, int]]:
    return [(f["after"], f["exc"]) for _, f in core_events(m, core, "tail_chain")]


@pytest.fixture(scope="module")
def host_run():
    return run_image("host", "exc_host")


@pytest.fixture(scope="module")
def se_run():
    return run_image("se", "exc_se")


# -- Host --------------------------------------------------------------------------------------

def test_host_checks_all_pass(host_run):
    m, r = host_run
    assert_all_passed(m, r, "host", HOST_CHECKS + ["svc7_firmware"])
    assert m.console.lines("host")[-1] == f"exc_host: {len(HOST_CHECKS) + 1} checks, 0 failed"


def test_host_image_leaves_the_se_in_reset(host_run):
    m, _ = host_run
    assert m.se.state is CoreState.OFF
    assert not core_events(m, "se") and not core_events(m, "host", "release")
    assert m.se.instructions == 0


def test_host_trace_shows_tail_chaining(host_run):
    m, _ = host_run
    chains = tail_chains(m, "host")
    assert chains and m.host.engine.tail_chains == len(chains)
    assert (IRQ0 + 2, IRQ0 + 3) in chains           # IRQ2 -> IRQ3 (same priority)
    assert (IRQ0 + 3, IRQ0 + 4) in chains           # IRQ3 -> IRQ4 (lower priority)
    assert (IRQ0 + 9, PENDSV) in chains             # IRQ9 (0x20) -> PendSV (0xE0)


def test_host_trace_shows_nested_entries(host_run):
    m, _ = host_run
    assert max_nesting(m, "host") >= 2
    assert entered_while_active(m, "host", IRQ0 + 0, IRQ0 + 1)     # nested_preemption
    assert entered_while_active(m, "host", IRQ0 + 11, IRQ0 + 12)   # fp_context
    engine = m.host.engine
    assert engine.entries == engine.returns + engine.tail_chains
    # SVC taken from IRQ14's handler: an SVCall entry while IRQ14 is active.
    seq = [(k, f.get("exc"), f.get("number")) for k, f in core_events(m, "host", "exception_entry", "svc",
                                                                        "exception_return")]
    i = seq.index(("exception_entry", IRQ0 + 14, None))
    assert seq[i + 1] == ("svc", None, 5) and seq[i + 2] == ("exception_return", SVCALL, None)


def test_host_uses_fp_extended_frames(host_run):
    m, _ = host_run
    # At least IRQ11 (from FP thread code) and IRQ12 (preempting IRQ11 after it used FP).
    assert m.host.engine.fp_frames >= 2


def test_host_trace_has_sleep_and_timer_events(host_run):
    m, _ = host_run
    kinds = [k for k, _ in core_events(m, "host")]
    for kind in ("systick", "wfi", "wfe", "sev", "wake"):
        assert kind in kinds, kind
    entries = [f["exc"] for _, f in core_events(m, "host", "exception_entry")]
    assert entries.count(SYSTICK) >= 10


def test_host_run_is_deterministic(host_run):
    m, _ = host_run
    m2, r2 = run_image("host", "exc_host")
    assert r2.ok
    assert (m2.events.digest(), m2.host.cycles) == (m.events.digest(), m.host.cycles)


def test_python_svc_handler_claims_svc7():
    seen = []

    def add(core, number):
        r0, r1 = core.reg("r0"), core.reg("r1")
        seen.append((number, r0, r1))
        core.set_reg("r0", r0 + r1)
        return True

    m, r = run_image("host", "exc_host", setup=lambda m: m.host.svc_handlers.__setitem__(7, add))
    assert_all_passed(m, r, "host", HOST_CHECKS + ["svc7_python"])
    assert not any("svc7_firmware" in line for line in m.console.lines("host"))
    assert seen == [(7, 0x1200, 0x34)]
    svcs = [(f["number"], f["handler"]) for _, f in core_events(m, "host", "svc")]
    assert (7, "python") in svcs and (7, "firmware") not in svcs
    assert (5, "firmware") in svcs                  # other numbers still reach SVC_Handler


def test_declining_python_svc_handler_falls_back_to_firmware():
    calls = []

    def decline(core, number):
        calls.append(number)
        return False

    m, r = run_image("host", "exc_host", setup=lambda m: m.host.svc_handlers.__setitem__(7, decline))
    assert_all_passed(m, r, "host", HOST_CHECKS + ["svc7_firmware"])
    assert calls == [7]
    svcs = [(f["number"], f["handler"]) for _, f in core_events(m, "host", "svc")]
    assert (7, "firmware") in svcs and (7, "python") not in svcs


def test_fp_check_detects_missing_extended_frames():
    """Negative control: with FP stacking switched off in the engine, fp_context must fail."""
    def no_fp(m: Machine) -> None:
        m.host.engine.has_fp = False

    m, r = run_image("host", "exc_host", setup=no_fp)
    passed, failed = check_lines(m, "host")
    assert r.reason == "exit" and r.exit_code == 1, r.message
    assert failed and all(line.startswith("FAIL fp_context ") for line in failed), failed
    assert "fp_context" not in passed and set(HOST_CHECKS) - {"fp_context"} <= passed
    assert m.host.engine.fp_frames == 0


# -- SE ----------------------------------------------------------------------------------------

def test_se_checks_all_pass(se_run):
    m, r = se_run
    assert_all_passed(m, r, "se", SE_CHECKS)
    assert m.console.lines("se")[-1] == f"exc_se: {len(SE_CHECKS)} checks, 0 failed"
    assert m.host.state is CoreState.OFF and m.host.instructions == 0


def test_se_never_stacks_fp_frames(se_run):
    m, _ = se_run
    assert m.se.engine.fp_frames == 0 and not m.se.engine.has_fp


def test_se_trace_shows_nesting_and_tail_chaining(se_run):
    m, _ = se_run
    assert max_nesting(m, "se") >= 4
    for outer, inner in ((0, 1), (1, 2), (2, 3)):
        assert entered_while_active(m, "se", IRQ0 + outer, IRQ0 + inner)
    chains = tail_chains(m, "se")
    assert (IRQ0 + 4, IRQ0 + 5) in chains and (IRQ0 + 5, IRQ0 + 6) in chains
    assert (IRQ0 + 8, PENDSV) in chains
    kinds = [k for k, _ in core_events(m, "se")]
    assert "wfi" in kinds and "wake" in kinds and "systick" in kinds


def test_se_image_stays_held_without_release():
    m = Machine()
    m.load("se", image_path("exc_se"))
    r = m.run(max_instructions=100_000, timeout=TIMEOUT)
    assert r.reason == "deadlock" and m.se.instructions == 0


def test_se_image_uses_only_armv6m_instructions():
    """The M0+ image's code ($t ranges of .text) decodes as Thumb-1 plus the only 32-bit forms
    Armv6-M has (BL, MRS, MSR, DMB/DSB/ISB): the inline asm stubs stay within Armv6-M."""
    import capstone
    import lief

    elf = lief.parse(str(image_path("exc_se")))
    text = elf.get_section(".text")
    start, end = text.virtual_address, text.virtual_address + text.size
    marks = sorted((sym.value, sym.name[:2]) for sym in elf.symbols
                   if sym.name[:2] in ("$t", "$d") and start <= sym.value < end)
    data = bytes(text.content)
    cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    wide, decoded = set(), 0
    for (addr, kind), nxt in zip(marks, [m[0] for m in marks[1:]] + [end]):
        if kind != "$t":
            continue
        for insn in cs.disasm(data[addr - start:nxt - start], addr):
            decoded += insn.size
            if insn.size == 4:
                wide.add(insn.mnemonic)
    assert decoded > 1000
    assert wide <= {"bl", "mrs", "msr", "dmb", "dsb", "isb"}, wide


# -- engine details the images rely on ------------------------------------------------------------

def test_barriers_are_interrupt_recognition_points():
    code = bytes.fromhex("bff34f8f" "bff36f8f" "bff35f8f" "00bf")   # dsb sy; isb sy; dmb sy; nop
    assert scan_hints(code, 0x1000) == [(0x1004, UNMASK), (0x1008, UNMASK)]


def test_idle_jump_reaches_a_timer_event_between_picoseconds():
    """The Host clock (40.96 MHz) has a period of 24414.0625 ps: jumping a sleeping core to the
    next SysTick wrap must land on the wrap, not one cycle short of it (that used to spin)."""
    m = Machine()
    m.load("host", image_path("exc_host"))
    host = m.host
    host.cycles = 230_999
    host.systick.write_load(host.cycles, 19_999)
    host.systick.write_ctrl(host.cycles, 0b111)
    host.systick.next_wrap = 231_000
    host.state = CoreState.SLEEPING
    wake = m.scheduler.next_timer_ps([host], ceil=True)
    m.scheduler.sync_idle(wake)
    assert host.cycles == 231_000 and SYSTICK in host.nvic.pending
