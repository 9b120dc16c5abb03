"""The two-core machine end to end: pingpong, shared windows, determinism, budgets."""
from __future__ import annotations

import struct

from psaemu.platform.cpu.core import CoreState
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

ROUNDS = 8


def test_pingpong_pair_runs_to_exit_zero(pingpong_machine):
    m = pingpong_machine
    r = m.run(max_instructions=5_000_000)
    assert r.reason == "exit" and r.exit_code == 0 and r.core == "host", r.message
    host, se = m.console.lines("host"), m.console.lines("se")
    assert host[0] == "pingpong: host up" and host[-1] == "pingpong: host done, 0 failures"
    assert [f"pingpong: round {i} ok" for i in range(1, ROUNDS + 1)] == host[1:-1]
    assert se == ["pingpong: se up"] + [f"pingpong: se round {i}" for i in range(1, ROUNDS + 1)]
    # The SE was released by the Host through the SCC and sleeps in WFI between rounds.
    kinds = [e[2] for e in m.events if e[1] == "se"]
    assert "release" in kinds and kinds.count("wfi") >= ROUNDS
    assert m.se.state is CoreState.SLEEPING


def test_se_held_in_reset_until_released():
    m = Machine()
    m.load("se", image_path("pingpong_se"))
    assert m.se.state is CoreState.OFF
    r = m.run(max_instructions=100_000)
    assert r.reason == "deadlock" and "held in reset" in r.message
    m.set_released("se", True)
    assert m.se.state is CoreState.RUNNING
    m.run(max_instructions=200_000)
    assert m.console.lines("se")[0] == "pingpong: se up"


def test_shared_window_is_one_store_seen_at_each_base():
    m = Machine()
    m.host.uc.mem_write(0x1A408010, struct.pack("<I", 0xCAFEF00D))
    assert m.se.uc.mem_read(0x38208010, 4) == struct.pack("<I", 0xCAFEF00D)
    m.se.uc.mem_write(0x38208020, b"SE!")
    assert m.host.uc.mem_read(0x1A408020, 3) == b"SE!"
    assert m.host.uc.mem_read(0x0A408020, 3) == b"SE!"             # Non-secure alias, same store
    assert m.memory.translate(0x1A408000, "host", "se") == 0x38208000
    assert m.memory.translate(0x0A408000, "host", "se") == 0x38208000
    assert m.memory.translate(0x38208000, "se", "host") == 0x1A408000
    assert m.memory.translate(0x30000000, "host", "se") is None      # private SRAM


def test_guest_store_on_one_core_is_read_by_the_other(pingpong_machine):
    m = pingpong_machine
    m.run(max_instructions=5_000_000)
    img = m.host.image
    shared = img.address_of("pp_shared")
    host_view = bytes(m.host.uc.mem_read(shared, 0x280))
    se_view = bytes(m.se.uc.mem_read(m.memory.translate(shared, "host", "se"), 0x280))
    assert host_view == se_view and any(host_view)


def test_same_inputs_same_event_trace():
    digests = []
    for _ in range(2):
        m = Machine()
        m.load("host", image_path("pingpong_host"))
        m.load("se", image_path("pingpong_se"))
        m.run(max_instructions=5_000_000)
        digests.append((m.events.digest(), len(m.events), m.host.cycles, m.se.cycles))
    assert digests[0] == digests[1]
    assert digests[0][1] > 100


def test_quantum_changes_interleaving_not_results():
    m = Machine(quantum=1000)
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    assert m.run(max_instructions=5_000_000).exit_code == 0
    assert m.console.lines("host")[-1] == "pingpong: host done, 0 failures"


def test_instruction_budget_ends_with_a_report(pingpong_machine):
    r = pingpong_machine.run(max_instructions=20_000)
    assert r.reason == "budget" and r.exit_code == 124
    assert "instruction budget of 20000" in r.message and "host" in r.message


def test_mhu_doorbell_raises_receiver_irq_on_other_core():
    m = Machine()
    sender = m.peripherals["host_to_se_sender"]
    sender.write(0x00C, 4, 0x1)                                     # CH_SET ch0
    assert {24, 23} <= m.se.nvic.lines and m.se.nvic.pending >= {16 + 24, 16 + 23}
    m.peripherals["host_to_se_receiver"].write(0x008, 4, 0xFFFFFFFF)  # CH_CLR
    assert not ({24, 23} & m.se.nvic.lines)


def test_systick_wraps_are_timed_in_virtual_cycles():
    m = Machine()
    st = m.host.systick
    m.host.scs.write(0x014, 4, 999)           # RVR
    m.host.scs.write(0x018, 4, 0)             # CVR
    m.host.scs.write(0x010, 4, 0b111)         # enable, tickint, core clock
    assert st.cycles_to_event(m.host.cycles) == 1000
    m.host.cycles += 2500
    assert st.advance(m.host.cycles) == 2
    assert m.host.scs.read(0x010, 4) & (1 << 16)   # COUNTFLAG, cleared by the read
    assert not m.host.scs.read(0x010, 4) & (1 << 16)
