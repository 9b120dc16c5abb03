"""Stepping over an SVC that Python completes (a forwarded PSA call): when the step returns, the
call is done and r0 holds its result, from the Python API, the debug shell and the GDB server."""
from __future__ import annotations

import pytest

from psaemu.platform.cli import main
from psaemu.platform.cpu.core import CoreState
from psaemu.platform.debug import gdbserver as G
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.system import attach_proxy

BUDGET = 50_000_000
#: regression_host.elf: psa_connect is "svc #12; bx lr"; the suite's first connect asks for SID 0x72.
CONNECT_SID = 0x72


@pytest.fixture
def at_connect() -> Machine:
    """The regression pair with the proxy, stopped on the first psa_connect's SVC."""
    m = Machine()
    m.load("host", image_path("regression_host"))
    m.load("se", image_path("se_firmware"))
    attach_proxy(m)
    r = m.run_until("psa_connect", core="host", max_instructions=BUDGET)
    assert r.reason == "until" and m.host.reg("r0") == CONNECT_SID, r.message
    return m


def _connected_handle(m: Machine) -> int:
    """The oracle: the handle the Host SPM gave the connection to SID 0x72 (from its own table)."""
    (conn,) = [c for c in m.proxy_system.spm.connections.values() if c.sid == CONNECT_SID]
    return conn.handle


@pytest.mark.parametrize("others", ["frozen", "run"])
def test_step_over_a_forwarded_svc_returns_with_the_result_in_r0(at_connect, others):
    m = at_connect
    host, se = m.host, m.se
    svc_pc, se_before = host.pc, se.instructions
    stop = m.step("host", others=others, max_instructions=BUDGET)
    assert stop.reason == "step" and stop.count == 1 and stop.pc == svc_pc + 2, stop
    assert host.state is CoreState.RUNNING
    assert host.reg("r0") == _connected_handle(m) and host.reg("r0") != CONNECT_SID
    assert m.proxy_system.records[-1].status == 0                 # the CONNECT really went to the SE
    assert se.instructions > se_before                            # the SE ran to answer it
    if others == "frozen":
        assert "completed by Python models" in stop.message and "se " in stop.message


def test_multi_instruction_frozen_step_across_a_forwarded_svc(at_connect):
    m = at_connect
    lr = m.host.reg("lr")
    stop = m.step("host", 2)                                      # svc #12, then bx lr
    assert stop.reason == "step" and stop.count == 2 and stop.pc == lr & ~1
    assert m.host.reg("r0") == _connected_handle(m)
    se_time = m.time_ps(m.se)
    m.step("host", 3)                                             # back to a plain frozen step
    assert m.time_ps(m.se) == se_time


def test_debug_shell_stepi_over_a_forwarded_svc_shows_the_result(tmp_path, capsys):
    script = tmp_path / "s.psaemu"
    script.write_text("until host psa_connect\nregs host\nstepi\nregs host\nquit\n")
    status = main(["debug", "--quiet", "--script", str(script)])
    out, err = capsys.readouterr()
    assert status == 0, err
    before, after = out.split("(psaemu) stepi", 1)
    assert f"r0={CONNECT_SID:#010x}" in before
    assert "host stepped 1 instruction(s); pc 0x" in after and " <psa_connect+0x2>" in after
    assert "r0=0x00000001" in after                               # the first handle of the Host SPM


def test_gdb_server_step_over_a_forwarded_svc_reads_the_result_in_r0(at_connect):
    m = at_connect
    r0 = G.V8M_FP.regs[0]
    assert G.read_register(m.host, r0) == CONNECT_SID
    ctl = G.Controller(m, max_instructions=BUDGET)
    event = ctl.step(m.host)                                      # what a gdb 's' / vCont;s does
    assert event.kind == "step" and event.core == "host", event
    assert G.read_register(m.host, r0) == _connected_handle(m)
    assert ctl.executed > 1                                       # the SE's instructions count for the budget
