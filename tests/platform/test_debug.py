"""The debugging API: breakpoints, alias-aware watchpoints, stepping, run-until, backtraces,
disassembly, address tools, the instruction trace and the fault explainer, on the prebuilt images."""
from __future__ import annotations

import io
import re

import pytest

from psaemu.platform.errors import PsaEmuError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import read_image
from psaemu.platform.system.machine import Machine
from psaemu.proxy.system import attach_proxy

SHARED_HOST, SHARED_SE = 0x1A408000, 0x38208000
OUT_ROUND = 0x140                   # struct pp_shared: written by the Host (0) then by the SE (round)
IN0 = 0x040                         # in[0]: written by the Host, read by the SE
#: regression_host.elf, psa_export_key+0x4e: "itt gt; ldrgt r3, [sp, #28]; strgt r3, [r5]" (from the
#: symbol, so a rebuilt image that moves the function keeps the test valid)
IT_INSN = read_image(image_path("regression_host"), "v8m", "host").address_of("psa_export_key") + 0x4E
IT_LDR, IT_STR, IT_END = IT_INSN + 2, IT_INSN + 4, IT_INSN + 6


def pingpong(**kw) -> Machine:
    m = Machine(console=lambda core, line: None, **kw)
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    return m


def regression() -> Machine:
    m = Machine(console=lambda core, line: None)
    m.load("host", image_path("regression_host"))
    m.load("se", image_path("se_firmware"))
    attach_proxy(m)
    return m


def finish(m: Machine, **kw):
    r = m.run(max_instructions=20_000_000, timeout=60, **kw)
    assert r.reason == "exit" and r.exit_code == 0, r.message
    return r


def pingpong_ok(m: Machine) -> None:
    lines = m.console.lines("host")
    assert [line for line in lines if line.endswith(" ok")] == [f"pingpong: round {i} ok" for i in range(1, 9)]
    assert lines[-1] == "pingpong: host done, 0 failures"


# -- breakpoints ----------------------------------------------------------------------------

def test_runs_that_never_debug_have_no_debugger(pingpong_machine):
    finish(pingpong_machine)
    assert pingpong_machine._debugger is None


def test_breakpoint_on_an_se_symbol_while_the_host_runs_resume_and_hit_again():
    m = pingpong()
    handler = m.se.lookup("IRQ24_Handler")
    bp = m.breakpoints.add("se", "IRQ24_Handler")
    seen = []
    while True:
        r = m.run(max_instructions=20_000_000, timeout=60)
        if r.reason != "breakpoint":
            break
        stop = r.stop
        assert (r.core, stop.core, stop.pc, stop.breakpoint, stop.ids) == ("se", "se", handler, bp, (bp,))
        assert stop.symbol == "IRQ24_Handler" and m.se.pc == handler
        assert m.se.reg("xpsr") & 0x1FF == 16 + 24                  # in the handler, first instruction not run
        seen.append(m.se.read_u32("pp_se_requests"))
    assert r.reason == "exit" and r.exit_code == 0, r.message
    assert seen == list(range(8))                                     # once per round, before it counts it
    assert m.breakpoints.get(bp).hits == 8
    pingpong_ok(m)


def test_breakpoint_table_add_list_remove_clear_and_errors():
    m = pingpong()
    a = m.breakpoints.add("host", "main")
    b = m.breakpoints.add(m.se, 0x38000294)                          # a Core object and a number work too
    c = m.breakpoints.add("se", "IRQ24_Handler+0x2")
    assert [bp.id for bp in m.breakpoints.list()] == [a, b, c]
    assert m.breakpoints.get(c).address == m.se.lookup("IRQ24_Handler") + 2
    w = m.watchpoints.add("host", "pp_shared")
    assert w == c + 1                                                 # one numbering for both tables
    hints = m.se.exits.of("hint")                                     # the core's WFI/unmask exits
    assert m.se.exits.of("breakpoint") == {0x38000294, 0x38000296}
    assert sorted(m.se.uc.ctl_get_exits()) == sorted(hints | {0x38000294, 0x38000296})   # exits, not code hooks
    m.breakpoints.remove(b)
    assert b not in m.breakpoints and len(m.breakpoints) == 2
    assert sorted(m.se.uc.ctl_get_exits()) == sorted(hints | {0x38000296})
    with pytest.raises(PsaEmuError, match="no breakpoint 99"):
        m.breakpoints.remove(99)
    with pytest.raises(PsaEmuError, match="no symbol 'mian'"):
        m.breakpoints.add("host", "mian")
    with pytest.raises(PsaEmuError, match="no core 'cpu2'"):
        m.breakpoints.add("cpu2", "main")
    m.breakpoints.clear()
    m.watchpoints.clear()
    assert m.breakpoints.list() == [] and not m.debugger._bps
    assert not any(c.exits.of("breakpoint") for c in m.cores.values())     # no core keeps a breakpoint exit
    assert m.se.exits.addresses == hints and not m.se.exits.of("breakpoint")
    finish(m)


def test_breakpoint_on_wfi_fires_before_the_core_sleeps():
    m = pingpong()
    wfi = next(i.address for i in m.se.disassemble("main", count=40) if i.mnemonic == "wfi")
    m.breakpoints.add("se", wfi)
    r = m.run(max_instructions=5_000_000)
    assert r.reason == "breakpoint" and r.stop.pc == wfi and m.se.state.value == "running"
    m.breakpoints.clear()
    finish(m)
    pingpong_ok(m)


# -- stepping -------------------------------------------------------------------------------

def test_step_executes_exactly_n_instructions_and_matches_the_trace():
    traced = pingpong()
    out = io.StringIO()
    traced.trace_instructions("host", out)
    traced.run(max_instructions=200)
    traced.stop_tracing("host")
    pcs = [int(line.split()[2], 16) for line in out.getvalue().splitlines()]
    assert len(pcs) >= 150

    one = pingpong()
    for i in range(100):
        assert one.host.pc == pcs[i]
        stop = one.step("host")
        assert (stop.reason, stop.count, stop.requested) == ("step", 1, 1)
    assert one.host.instructions == 100
    many = pingpong()
    stop = many.step("host", 100)
    assert (stop.reason, stop.count, stop.core, stop.pc) == ("step", 100, "host", pcs[100])
    assert many.host.registers() == one.host.registers()
    assert many.host.instructions == 100 and many.host.cycles == 100


def test_step_with_others_frozen_leaves_the_other_core_and_its_time_alone():
    m = pingpong()
    r = m.run_until("IRQ24_Handler", core="se")
    assert r.reason == "until"
    host_state = (m.host.state, m.host.pc, m.host.cycles, m.host.instructions, m.host.registers())
    se_cycles = m.se.cycles
    stop = m.step("se", 200)
    assert stop.reason == "step" and stop.count == 200
    assert (m.host.state, m.host.pc, m.host.cycles, m.host.instructions, m.host.registers()) == host_state
    assert m.se.cycles == se_cycles + 200
    finish(m)
    pingpong_ok(m)


def test_step_with_others_running_keeps_them_in_step_by_virtual_time():
    m = pingpong()
    m.run_until("main", core="se")
    for _ in range(5):
        stop = m.step("host", 300, others="run")
        assert stop.reason == "step" and stop.count == 300
        if m.se.state.value == "running":
            # the SE never runs past the Host's time (plus the one instruction that crosses it)
            assert m.time_ps(m.se) <= m.time_ps(m.host) + 10**12 // m.se.clock_hz
    finish(m)
    pingpong_ok(m)


def test_step_onto_a_breakpoint_stops_there_and_the_next_step_executes_it():
    m = pingpong()
    out = io.StringIO()
    probe = pingpong()
    probe.trace_instructions("host", out)
    probe.run(max_instructions=20)
    target = int(out.getvalue().splitlines()[5].split()[2], 16)     # the 6th instruction after reset
    m.breakpoints.add("host", target)
    stop = m.step("host", 10)
    assert (stop.reason, stop.count, stop.pc) == ("breakpoint", 5, target)
    stop = m.step("host")                                             # executes the instruction under it
    assert (stop.reason, stop.count) == ("step", 1) and m.host.pc != target


def test_step_over_an_it_block_reports_the_instructions_executed():
    m = regression()
    r = m.run_until(IT_INSN, core="host", max_instructions=50_000_000, timeout=60)
    assert r.reason == "until" and m.host.pc == IT_INSN
    stop = m.step("host")
    assert (stop.reason, stop.count, stop.requested, stop.pc) == ("step", 3, 1, IT_END)
    assert "IT block" in stop.message


def test_step_on_a_sleeping_core_with_others_frozen_is_idle():
    m = pingpong()
    m.run_until(lambda mm: mm.se.state.value == "sleeping", quantum=200)
    stop = m.step("se", 3)
    assert stop.reason == "idle" and stop.count == 0 and "sleeping in WFI" in stop.message
    stop = m.step("se", 3, others="run")                             # the Host runs and wakes it
    assert stop.reason == "step" and stop.count == 3


# -- watchpoints ----------------------------------------------------------------------------

def test_watchpoint_set_through_the_host_view_fires_when_the_se_writes_its_own_view():
    m = pingpong()
    w = m.watchpoints.add("host", "pp_shared+0x140", 4, "w")
    assert sorted(m.watchpoints.get(w).views) == [("host", 0x0A408000 + OUT_ROUND),
                                                  ("host", SHARED_HOST + OUT_ROUND), ("se", SHARED_SE + OUT_ROUND)]
    hits = []
    while True:
        r = m.run(max_instructions=20_000_000, timeout=60)
        if r.reason != "watchpoint":
            break
        s = r.stop
        assert s.watchpoint == w and s.kind == "w" and s.size == 4 and s.watch_core == "host"
        assert s.watch_address == SHARED_HOST + OUT_ROUND and s.core == s.accessor
        assert m.cores[s.core].pc == s.pc == s.access_pc and not s.completed
        hits.append((s.accessor, s.address, s.value))
    assert r.reason == "exit" and r.exit_code == 0
    se_hits = [h for h in hits if h[0] == "se"]
    assert se_hits == [("se", SHARED_SE + OUT_ROUND, rnd) for rnd in range(1, 9)]
    assert [h for h in hits if h[0] == "host"] == [("host", SHARED_HOST + OUT_ROUND, 0)] * 8
    pingpong_ok(m)


def test_write_watchpoint_stops_on_the_store_with_the_word_written_and_resumes_without_writing_twice():
    m = pingpong()
    m.watchpoints.add("host", SHARED_HOST + OUT_ROUND, 4, "w")
    while True:
        r = m.run(max_instructions=20_000_000, timeout=60)
        if r.stop.accessor == "se":
            break
    insn = m.se.disassemble(count=1)[0]
    assert insn.address == r.stop.pc and insn.mnemonic.startswith("str")
    assert m.host.read_u32(SHARED_HOST + OUT_ROUND) == r.stop.value == 1       # the store is done
    assert r.stop.old_value == 0
    stop = m.step("se")                                                         # re-executed, no second stop
    assert stop.reason == "step" and m.se.pc == insn.address + insn.size


def test_read_watchpoint_reports_the_load_before_it_completes_and_the_run_stays_exact():
    m = pingpong()
    m.watchpoints.add("host", SHARED_HOST + IN0, 4, "r")
    n = 0
    while True:
        r = m.run(max_instructions=20_000_000, timeout=60)
        if r.reason != "watchpoint":
            break
        n += 1
        s = r.stop
        assert (s.kind, s.accessor, s.address, s.watch_address) == ("r", "se", SHARED_SE + IN0, SHARED_HOST + IN0)
        assert s.value == m.se.read_u32(SHARED_SE + IN0)
        assert m.se.disassemble(count=1)[0].mnemonic.startswith("ldr") and s.pc == m.se.pc
    assert n == 8 and r.reason == "exit" and r.exit_code == 0
    pingpong_ok(m)


def test_access_watchpoint_on_the_stack_resumes_push_and_pop_exactly():
    m = pingpong()
    msp = m.se.read_u32(m.se.image.vector_table)
    m.watchpoints.add("se", msp - 64, 64, "rw")
    hits = 0
    while True:
        r = m.run(max_instructions=20_000_000, timeout=60)
        if r.reason != "watchpoint":
            break
        hits += 1
    assert hits > 20 and r.reason == "exit" and r.exit_code == 0
    pingpong_ok(m)
    assert m.console.lines("se")[-1] == "pingpong: se round 8"


def test_watchpoint_inside_an_it_block_stops_after_the_block():
    m = regression()
    m.run_until(IT_INSN, core="host", max_instructions=50_000_000, timeout=60)
    sp, target = m.host.reg("sp"), m.host.reg("r5")
    w = m.watchpoints.add("host", target, 4, "w")
    r = m.run()
    s = r.stop
    assert (r.reason, s.watchpoint, s.access_pc, s.pc, s.completed) == ("watchpoint", w, IT_STR, IT_END, True)
    assert m.host.read_u32(target) == s.value and "IT block" in s.message
    m2 = regression()
    m2.run_until(IT_INSN, core="host", max_instructions=50_000_000, timeout=60)
    m2.watchpoints.add("host", sp + 28, 4, "r")
    r2 = m2.run()
    s2 = r2.stop
    assert (s2.kind, s2.access_pc, s2.pc, s2.completed) == ("r", IT_LDR, IT_END, True)
    assert m2.host.reg("r3") == s2.value == m2.host.read_u32(sp + 28)      # the load was not lost
    m2.watchpoints.clear()
    r2 = m2.run(max_instructions=100_000_000, timeout=60)
    assert r2.reason == "exit" and r2.exit_code == 0
    assert re.fullmatch(r"regression: \d+ tests, 0 failures", m2.console.lines("host")[-1])   # count: SKIPs vary with the SE


def test_breakpoint_inside_an_it_block_stops_there_and_steps_the_rest_of_the_block():
    m = regression()
    b = m.breakpoints.add("host", IT_STR)
    r = m.run(max_instructions=50_000_000, timeout=60)
    assert (r.reason, r.stop.breakpoint, r.stop.pc, m.host.pc) == ("breakpoint", b, IT_STR, IT_STR)
    assert m.host.reg("xpsr") & 0x0600FC00                          # ITSTATE kept: still inside the block
    target, value = m.host.reg("r5"), m.host.reg("r3")
    stop = m.step("host")
    assert (stop.reason, stop.count, stop.pc) == ("step", 1, IT_END)
    assert m.host.read_u32(target) == value                           # strgt executed with its condition
    m.breakpoints.clear()
    r = m.run(max_instructions=100_000_000, timeout=60)
    assert r.reason == "exit" and r.exit_code == 0


def test_watchpoints_exist_only_while_set():
    m = pingpong()
    w = m.watchpoints.add("se", SHARED_SE, 0x280, "rw")
    dbg = m.debugger
    assert set(dbg._views) == {"host", "se"} and set(dbg._guards) == {"host", "se"}
    m.watchpoints.remove(w)
    assert not dbg._views and not dbg._guards
    finish(m)


def test_watchpoint_errors():
    m = pingpong()
    with pytest.raises(PsaEmuError, match="peripheral"):
        m.watchpoints.add("host", 0x52600000)
    with pytest.raises(PsaEmuError, match="kind 'x'"):
        m.watchpoints.add("host", "pp_shared", 4, "x")
    with pytest.raises(PsaEmuError, match="size"):
        m.watchpoints.add("host", "pp_shared", 0)
    with pytest.raises(PsaEmuError, match="not mapped"):
        m.watchpoints.add("host", 0x60000000)


# -- run until ------------------------------------------------------------------------------

def test_run_until_a_symbol_and_a_condition():
    m = pingpong()
    r = m.run_until("__aeabi_uidiv")                                   # only the SE image has it
    assert (r.reason, r.stop.core, r.stop.pc) == ("until", "se", m.se.lookup("__aeabi_uidiv"))
    assert m.breakpoints.list() == []                                   # the temporary breakpoint is gone
    r = m.run_until(lambda mm: mm.se.read_u32("pp_se_requests") >= 3, quantum=50)
    assert r.reason == "until" and m.se.read_u32("pp_se_requests") == 3
    with pytest.raises(PsaEmuError, match="say which core"):
        m.run_until("IRQ24_Handler")                                  # a weak alias in the Host image too
    finish(m)
    pingpong_ok(m)


# -- inspection -----------------------------------------------------------------------------

def test_backtrace_from_inside_an_irq_handler_shows_the_exception_frame_and_the_interrupted_code():
    m = pingpong()
    m.breakpoints.add("se", "IRQ24_Handler")
    m.run()
    for steps in (0, 6):                  # at the vector, then past the prologue (v6-M high-register saves)
        if steps:
            m.step("se", steps)
        frames = m.se.backtrace()
        kinds = [f.kind for f in frames]
        assert kinds == ["function", "exception", "function", "function"], [f.format() for f in frames]
        assert frames[0].symbol.startswith("IRQ24_Handler")
        exc = frames[1]
        assert exc.exception == 16 + 24 and exc.exc_return == 0xFFFFFFF9 and exc.stack == "MSP"
        assert frames[2].interrupted and frames[2].symbol.startswith("main")
        assert frames[2].pc == exc.registers["pc"]
        assert frames[3].symbol.startswith("Reset_Handler")


def test_backtrace_through_a_call_made_by_a_host_handler():
    m = pingpong()
    m.breakpoints.add("host", "IRQ89_Handler")
    m.run()
    m.breakpoints.clear()
    m.run_until("mhu_recv_status", core="host")
    names = [(f.kind, (f.symbol or "").split("+")[0]) for f in m.host.backtrace()]
    assert names == [("function", "mhu_recv_status"), ("function", "IRQ89_Handler"), ("exception", ""),
                     ("function", "main"), ("function", "Reset_Handler")]


def test_disassembly_around_the_pc():
    m = pingpong()
    m.run_until("IRQ24_Handler", core="se")
    insns = m.se.disassemble(before=2, count=4)
    assert len(insns) == 6 and insns[2].address == m.se.pc
    assert insns[2].symbol == "IRQ24_Handler" and insns[2].mnemonic == "push" and "lr" in insns[2].op_str
    assert all(b.address + b.size == c.address for b, c in zip(insns, insns[1:]))
    assert insns[2].bytes == bytes(m.se.read(m.se.pc, insns[2].size))
    assert "=> 0x38000294 <IRQ24_Handler>" in insns[2].format(marker=True)


def test_describe_and_translate_show_every_view():
    m = pingpong()
    assert m.host.describe(SHARED_HOST) == "0x1a408000 <pp_shared> (se: 0x38208000)"
    assert m.se.describe(SHARED_SE + 4) == "0x38208004 (host: 0x1a408004 <pp_shared+0x4>)"
    assert "Non-secure alias of 0x1a408000" in m.host.describe(0x0A408000)
    assert "[host_to_se_sender]" in m.host.describe(0x52600000)
    assert m.translate(SHARED_HOST, "host", "se") == SHARED_SE
    assert m.translate("pp_shared", "host", "se") == SHARED_SE
    assert m.translate(SHARED_SE, "se", "host") == SHARED_HOST
    with pytest.raises(PsaEmuError, match=r"se cannot see host:0x30000000 .*code_sram: host 0x1a400000 = se "):
        m.translate(0x30000000, "host", "se")


def test_core_memory_helpers_with_symbols():
    m = pingpong()
    m.host.write("pp_shared+0x10", b"\x11\x22\x33\x44")
    assert m.se.read(SHARED_SE + 0x10, 4) == b"\x11\x22\x33\x44"
    assert m.se.read_u32(SHARED_SE + 0x10) == 0x44332211
    assert m.host.lookup("pp_shared") == SHARED_HOST
    with pytest.raises(PsaEmuError, match="peripheral"):
        m.host.write(0x52600000, b"\0\0\0\0")            # a register write would act on the device
    with pytest.raises(PsaEmuError, match="not mapped"):
        m.host.read(0x60000000, 4)


# -- traces ---------------------------------------------------------------------------------

def test_instruction_trace_file_has_the_expected_first_lines(tmp_path):
    m = pingpong()
    path = tmp_path / "host.trace"
    m.trace_instructions("host", str(path))
    m.run(max_instructions=50)
    m.stop_tracing("host")
    lines = path.read_text().splitlines()
    assert len(lines) == 50
    reset = m.host.lookup("Reset_Handler")
    first = m.host.disassemble(reset, count=3)
    for line, insn in zip(lines, first):
        fields = line.split()
        assert fields[1] == "host" and int(fields[2], 16) == insn.address
        assert f"{insn.mnemonic} {insn.op_str}" in line
    assert lines[0].split()[3] == "<Reset_Handler>" and lines[0].startswith("         0.000us host")
    assert "; r2=0xe000e000" in lines[0]                                 # mov.w r2, #0xe000e000
    assert "sp=" in lines[1] and "push" in lines[1]
    assert not m.debugger.tracing()
    finish(m)                                                           # no hook left behind


def test_event_trace_records_breakpoints_and_watchpoints_and_can_be_off():
    m = pingpong()
    b = m.breakpoints.add("se", "IRQ24_Handler")
    w = m.watchpoints.add("host", SHARED_HOST + OUT_ROUND)
    m.run()
    m.run()
    records = [(e[1], e[2], dict(e[3])["id"]) for e in m.events.of_kind("breakpoint", "watchpoint")]
    assert records == [("host", "watchpoint", w), ("se", "breakpoint", b)]
    quiet = pingpong(trace_events=False)
    quiet.breakpoints.add("se", "IRQ24_Handler")
    assert quiet.run().reason == "breakpoint" and len(quiet.events) == 0


# -- fault explainer ------------------------------------------------------------------------

def test_explain_fault_at_the_hardfault_handler():
    m = Machine(fault_policy="firmware", console=lambda core, line: None)
    m.load("host", image_path("fault_handled_host"))
    m.breakpoints.add("host", "HardFault_Handler")
    r = m.run(max_instructions=1_000_000)
    assert r.reason == "breakpoint"
    text = m.explain_fault("host")
    fault_read = m.host.lookup("fault_read")
    for expected in ("handling a HardFault", "PRECISERR", "BFARVALID", "FORCED", "BFAR=0x60000000",
                     f"faulting instruction (stacked PC): {fault_read:#010x} <fault_read>",
                     "<exception frame: HardFault entered from Thread mode", "(interrupted here)", "<main+"):
        assert expected in text, (expected, text)
    marked = [line for line in text.splitlines() if line.strip().startswith("=>")]
    assert len(marked) == 1 and "fault_read" in marked[0] and "ldr" in marked[0]
    m.breakpoints.clear()
    r = m.run(max_instructions=1_000_000)
    assert r.reason == "exit" and r.exit_code == 3


def test_explain_fault_after_a_reported_fault_and_on_a_healthy_core():
    m = Machine(console=lambda core, line: None)
    m.load("host", image_path("fault_host"))
    assert m.run(max_instructions=1_000_000).reason == "fault"
    text = m.explain_fault("host")
    assert text.startswith("FAULT on core 'host'") and "backtrace:" in text and "<main+" in text
    healthy = pingpong()
    assert "is not handling a fault" in healthy.explain_fault("host")
