"""Reports say why a core is stopped (held in reset since power-on, held by whom and when, no
image, released without an image, halted) and list interrupts and exceptions unambiguously."""
from __future__ import annotations

import re

from psaemu.platform.cpu.core import CoreState
from psaemu.platform.cpu.nvic import IRQ0, SVCALL, SYSTICK, Nvic, exception_label, exception_list
from psaemu.platform.errors import FaultError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.platform.testing.snapshot import Snapshot

POWER_ON = "held in reset since power-on; nothing released it (a write to 'scc' on core 'host' releases it)"


def _line(text: str, core: str) -> str:
    (line,) = [l for l in text.splitlines() if l.split()[:1] == [core]]
    return line


def test_core_held_since_power_on_and_core_without_image_are_told_apart():
    m = Machine()
    m.load("se", image_path("pingpong_se"))
    r = m.run(max_instructions=100_000)
    assert r.reason == "deadlock"
    assert _line(r.message, "se").endswith(f"off       pc=- t=0.0us: {POWER_ON}")
    assert _line(r.message, "host").endswith(": no image loaded")
    assert m.se.stopped_reason == POWER_ON and m.host.stopped_reason == "no image loaded"


def test_release_without_an_image_is_reported_with_its_source_and_time():
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    r = m.run(max_instructions=5_000_000)
    assert r.reason == "deadlock"
    assert [e[2] for e in m.events if e[1] == "se"] == ["release_ignored"]
    got = re.search(r": released by scc at t=(\d+\.\d)us, but no image loaded$", _line(r.message, "se"))
    assert got is not None, r.message
    assert float(got.group(1)) <= m.time_ps(m.host) / 1e6      # the Host released it while it ran


def test_hold_after_release_names_the_source_and_the_time(pingpong_machine):
    m = pingpong_machine
    m.run(max_instructions=200_000)
    assert m.se.state is not CoreState.OFF
    scc = m.peripherals["scc"]
    scc.write(0x200, 4, 0)                                # Host firmware clears az_ctrl.HRESET_N
    held_at = m.now_ps
    assert m.se.state is CoreState.OFF
    expected = f"held in reset by scc at t={held_at / 1e6:.1f}us"
    assert m.se.stopped_reason == expected
    assert _line(m.describe_cores(), "se").endswith(": " + expected)
    m.set_released("se", True, "scc")                     # a release clears the reason
    assert m.se.state is CoreState.RUNNING and m.se.stopped_reason == ""


def test_halted_cores_say_why():
    m = Machine()
    m.load("host", image_path("fault_host"))
    r = m.run(max_instructions=1_000_000)
    assert r.reason == "fault"
    assert m.host.stopped_reason.startswith("halted by a HardFault at 0x")
    assert "unmapped address 0x60000000" in _line(m.describe_cores(), "host")
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    m.request_exit(m.host, 3, "test")
    assert m.host.stopped_reason == "halted: exited with status 3 (test)"


def test_reason_survives_a_snapshot_file_and_old_snapshots_still_restore(tmp_path):
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    snap = m.snapshot()
    path = tmp_path / "held.psnap"
    snap.save(path)
    again = Machine.from_snapshot(path)
    assert again.se.state is CoreState.OFF and again.se.stopped_reason == POWER_ON
    old = Snapshot.load(path)                             # as written before reasons were kept
    del old._state["cores"]["se"]["plain"]["state_reason"]
    again.set_released("se", True, "api")
    again.restore(old)
    assert again.se.state is CoreState.OFF and again.se.stopped_reason == "held in reset"


def test_exception_labels_keep_irq_and_exception_numbers_apart():
    assert exception_label(IRQ0 + 87) == "IRQ 87"
    assert exception_label(SYSTICK) == "SysTick (exception 15)"
    assert exception_list([IRQ0 + 89, SYSTICK, IRQ0 + 87, IRQ0 + 87]) == "SysTick (exception 15), IRQ 87, IRQ 89"
    assert exception_list([]) == "none"
    nvic = Nvic(32, 3, True)
    nvic.enabled.add(3)                                   # NVIC_ISER: IRQ number 3
    nvic.set_line(3, True)                                # pends exception 19 = IRQ 3
    nvic.set_pending(SVCALL)
    assert nvic.describe() == "enabled: IRQ 3; pending: SVCall (exception 11), IRQ 3; active: none"


def test_deadlock_and_fault_reports_use_the_same_labels():
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    r = m.run(max_instructions=5_000_000)
    host = m.host
    assert host.state is CoreState.SLEEPING
    assert _line(r.message, "host").endswith(", " + host.nvic.describe())
    assert f"enabled: IRQ {sorted(host.nvic.enabled)[0]}" in r.message
    m = Machine()
    m.load("host", image_path("fault_host"))
    r = m.run(max_instructions=1_000_000)
    assert isinstance(r.error, FaultError)
    report = r.error.report
    assert f"  exceptions: {m.host.nvic.describe()}" in report.splitlines()
