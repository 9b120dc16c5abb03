"""Armv8-M Security Extension once the core has been Non-secure (platform/cpu/trustzone.py,
platform/cpu/exceptions.py): TT against the SAU, Non-secure exceptions taken from Secure state
(additional state context, integrity signature), tail-chaining across the states, the
transitions seen where attribution is not enforced, and the Non-secure bank in snapshots. The
oracle is the Armv8-M Architecture Reference Manual, checked by project firmware
(images/tz/irq.c, images/tz/host.c)."""
from __future__ import annotations

import struct

from psaemu.platform.cpu.trustzone import NON_SECURE, SECURE, TT, scan
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

CHECKS = ["PASS gateway", "PASS tt", "PASS ns irq from secure", "PASS secure irq first", "PASS ns irq tail-chained",
          "tz_irq_host: 5 checks, 0 failed"]


def _run_irq(enforce: bool) -> tuple[Machine, list[str]]:
    lines: list[str] = []
    m = Machine(console=lambda core, line: lines.append(line))
    m.load("host", image_path("tz_irq_host"))
    m.enforce_security("host", enforce)
    result = m.run(max_instructions=2_000_000)
    assert result.reason == "exit", result.message
    assert result.exit_code == 0, "\n".join(lines)
    return m, lines


def test_ns_interrupt_from_secure_and_tail_chained() -> None:
    m, lines = _run_irq(enforce=True)
    assert lines == CHECKS
    events = [(e[2], dict(e[3])) for e in m.events.of_kind("exception_entry", "tail_chain") if e[1] == "host"]
    # IRQ41 (Non-secure) entered from Secure Thread code; then IRQ40 (Secure) entered and IRQ41 chained after it
    assert [k for k, _f in events] == ["exception_entry", "exception_entry", "tail_chain"]
    assert events[0][1]["exc"] == 57 and events[1][1]["exc"] == 56 and events[2][1]["exc"] == 57
    tz = m.cores["host"].security.tz
    # BLXNS, SG, BXNS, FNC_RETURN, then each NS handler: entry to it and its return
    assert [s for s, _pc in tz.transitions] == [NON_SECURE, SECURE] * 4
    assert tz.transitions[4][1] == tz.transitions[6][1] == m.cores["host"].image.symbols["ns_irq_handler"] & ~1


def test_transitions_seen_where_attribution_is_not_enforced() -> None:
    # an image that enters Non-secure state itself runs with enforcement off (its own SAU/MPC);
    # the guard still follows its transitions through fetch protections (SG, FNC_RETURN, entries)
    m, lines = _run_irq(enforce=False)
    assert lines == CHECKS
    guard = m.cores["host"].security
    assert not guard.enabled and guard.tracking
    assert [s for s, _pc in guard.tz.transitions] == [NON_SECURE, SECURE] * 4


def _tz_host() -> Machine:
    m = Machine(console=lambda core, line: None, fault_policy="firmware")
    m.load("host", image_path("tz_host"))
    return m


def test_snapshot_in_non_secure_state_continues_identically() -> None:
    m = _tz_host()
    tz = m.cores["host"].security.tz
    r = m.run_until(lambda mm: tz.active and mm.cores["host"].security.state == NON_SECURE
                    and tz.bank[SECURE].get("msp", 0) != 0, max_instructions=2_000_000, quantum=50)
    assert r.reason == "until"
    snap = m.snapshot()
    bank = {k: dict(v) for k, v in tz.bank.items()}
    first = m.run(max_instructions=2_000_000)
    assert first.reason == "exit" and first.exit_code == 0
    digest, transitions = m.events.digest(), list(tz.transitions)

    m.restore(snap)
    assert tz.bank == bank and m.cores["host"].security.state == NON_SECURE
    again = m.run(max_instructions=2_000_000)
    assert (again.reason, again.exit_code) == ("exit", 0)
    assert m.events.digest() == digest and list(tz.transitions) == transitions

    fresh = _tz_host()                       # the same snapshot into another machine
    fresh.restore(snap)
    other = fresh.run(max_instructions=2_000_000)
    assert (other.reason, other.exit_code) == ("exit", 0)
    assert fresh.events.digest() == digest


def test_scan_finds_tt_not_strex() -> None:
    # TTA r3, r1 (T1: E841 F380); TTT r2, r0 (E840 F240); STREX r3, r2, [r1] shares the first halfword
    code = struct.pack("<HH", 0xE841, 0xF380) + struct.pack("<HH", 0xE840, 0xF240) + struct.pack("<HH", 0xE841, 0x2300)
    assert scan(code, 0x2000) == [(0x2000, TT, 3, 1 | 0x10), (0x2004, TT, 2, 0 | 0x20)]
