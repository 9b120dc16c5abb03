"""Non-blocking proxy wait (lifted ``non-blocking``, proxy/waits.py): the Host keeps taking
SysTick while its forwarded calls wait for the SE, and takes each reply on the MHU interrupt."""
from __future__ import annotations

import re

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.builder import MachineSpec, build_machine

LINE = re.compile(r"nonblock: calls=(\d+) ticks_in_calls=(\d+) ticks_total=(\d+) status=(-?\d+)")


def _run(lift=(), slots=None):
    m = build_machine(MachineSpec(images={"host": str(image_path("nonblock_host"))}, lift=list(lift),
                                  mailbox_slots=slots, console=None))
    result = m.run(max_instructions=50_000_000)
    assert result.reason == "exit" and result.exit_code == 0, result.message
    found = LINE.search(m.console.text("host"))
    assert found, m.console.text("host")
    calls, in_calls, total, status = map(int, found.groups())
    assert status == 0
    return m, in_calls


def test_systick_advances_during_calls_only_when_non_blocking():
    m_block, blocking = _run()
    m_nb, non_blocking = _run(["non-blocking"])
    # blocking (TF-M v1.3): the Host core takes no interrupt while a call waits, only the one
    # tick pending when each of the 4 x 3 SVCs (connect, call, close) returns
    assert blocking <= 12
    assert non_blocking > 5 * blocking
    assert not m_block.events.of_kind("svc_restart") and not m_block.events.of_kind("proxy_reply_irq")
    restarts = m_nb.events.of_kind("svc_restart")
    assert len(restarts) == m_nb.proxy_system.spm.waits.preemptions > 0
    assert m_nb.events.of_kind("proxy_reply_irq")                  # replies taken on the MHU interrupt
    assert not m_nb.proxy_system.spm.waits.parked and not m_nb.proxy_system.spm.ops


def test_non_blocking_with_four_slots_gives_the_same_results():
    _m, ticks = _run(["non-blocking"], slots=4)
    assert ticks > 12


def test_unknown_lift_names_the_choices():
    with pytest.raises(ConfigError, match="non-blocking"):
        build_machine(MachineSpec(images={"host": str(image_path("nonblock_host"))}, lift=["non-blockin"]))
