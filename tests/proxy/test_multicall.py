"""Forwarded calls from the Host thread and from its SysTick handler at once (images/host/multicall):
with the non-blocking wait and four mailbox slots two calls are in flight in different slots, each
matched to its reply; as shipped (one slot, blocking) the same image serialises them."""
from __future__ import annotations

import re
from typing import Any

import pytest

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.builder import MachineSpec, build_machine
from psaemu.proxy.monitor import IpcRecord
from psaemu.proxy.operation import CONNECT, QUEUED, ForwardOp
from psaemu.proxy.spm import Caller
from psaemu.proxy.status import PsaStatus
from psaemu.proxy.timeline import SLOT_TID, timeline

LINE = re.compile(r"multicall: thread_calls=(\d+) thread_ok=(\d+) handler_calls=(\d+) handler_ok=(\d+)")
CONFIGS = {"shipped": ((), None), "nb1": (("non-blocking",), None), "nb4": (("non-blocking",), 4)}


@pytest.fixture(scope="module")
def runs() -> dict[str, Any]:
    """Each configuration run once: the machine after a clean exit whose summary says every call matched."""
    out = {}
    for name, (lift, slots) in CONFIGS.items():
        m = build_machine(MachineSpec(images={"host": str(image_path("multicall_host"))}, lift=list(lift),
                                      mailbox_slots=slots, console=None))
        result = m.run(max_instructions=50_000_000)
        assert result.reason == "exit" and result.exit_code == 0, (name, result.message)
        found = LINE.search(m.console.text("host"))
        assert found and found.groups() == ("4", "4", "8", "8"), (name, m.console.text("host"))
        out[name] = m
    return out


def overlaps(records: list[IpcRecord]) -> list[tuple[IpcRecord, IpcRecord]]:
    """Pairs of transactions whose [request, reply] intervals overlap."""
    return [(a, b) for a in records for b in records
            if a.seq < b.seq and b.t_request_ps < a.t_reply_ps and a.t_request_ps < b.t_reply_ps]


def test_four_slots_non_blocking_calls_in_flight_in_different_slots(runs: dict[str, Any]) -> None:
    m = runs["nb4"]
    records = m.proxy_system.monitor.records
    assert all(r.t_reply_ps is not None for r in records)
    pairs = overlaps(records)
    assert len(pairs) >= 3                                   # one per long hash call at least
    assert all(a.slot != b.slot for a, b in pairs)
    assert {r.slot for r in records} == {0, 1}
    # the handler's gets alternate: the stored asset, then a uid never stored (its four replies)
    assert [r.status for r in records].count(PsaStatus.PSA_ERROR_DOES_NOT_EXIST) == 4
    spm = m.proxy_system.spm
    assert not spm.ops and not spm.waits.parked and not spm.waits.results


def test_shipped_settings_serialise_the_same_calls(runs: dict[str, Any]) -> None:
    shipped, nb4 = runs["shipped"].proxy_system.monitor.records, runs["nb4"].proxy_system.monitor.records
    assert not overlaps(shipped) and {r.slot for r in shipped} == {0}
    key = sorted((r.call_type, r.sid, r.status) for r in shipped)
    assert key == sorted((r.call_type, r.sid, r.status) for r in nb4)       # same calls, same results
    assert not runs["shipped"].events.of_kind("svc_restart")


def test_handler_call_while_the_thread_call_is_parked_on_one_slot(runs: dict[str, Any]) -> None:
    """One slot, non-blocking: the handler's call needs the slot the parked thread call holds; the
    handler's wait takes the parked call's reply (freeing the slot) and the restarted SVC returns it."""
    m = runs["nb1"]
    records = m.proxy_system.monitor.records
    assert not overlaps(records) and {r.slot for r in records} == {0}
    assert m.events.of_kind("svc_parked_done") and m.events.of_kind("svc_restart")
    spm = m.proxy_system.spm
    assert not spm.ops and not spm.waits.parked and not spm.waits.results


def test_multislot_timeline_has_overlapping_slot_slices(runs: dict[str, Any]) -> None:
    data = timeline(runs["nb4"])
    spans: dict[int, list[tuple[float, float]]] = {}
    open_: dict[int, float] = {}
    for e in data["traceEvents"]:
        if e.get("tid", 0) >= SLOT_TID and e["ph"] == "B":
            open_[e["tid"]] = e["ts"]
        elif e.get("tid", 0) >= SLOT_TID and e["ph"] == "E":
            spans.setdefault(e["tid"], []).append((open_.pop(e["tid"]), e["ts"]))
    assert len(spans) >= 2
    a, b = sorted(spans)[:2]
    assert any(s0 < e1 and s1 < e0 for s0, e0 in spans[a] for s1, e1 in spans[b])


def test_parked_results_are_part_of_the_saved_state(runs: dict[str, Any]) -> None:
    waits = runs["nb1"].proxy_system.spm.waits
    waits.parked, waits.results = {(0x0A260100, 0x2007FF00): (7, 13), (0x0A260200, 0x2007FE00): (9, 12)}, {9: 3}
    preemptions = waits.preemptions
    state = waits.save_state()
    assert sorted(state["parked"]) == [[0x0A260100, 0x2007FF00, 7, 13], [0x0A260200, 0x2007FE00, 9, 12, 3]]
    waits.parked, waits.results, waits.preemptions = {}, {}, 0
    waits.restore_state(state)
    assert waits.parked == {(0x0A260100, 0x2007FF00): (7, 13), (0x0A260200, 0x2007FE00): (9, 12)}
    assert waits.results == {9: 3}
    assert waits.preemptions == preemptions > 0
    waits.restore_state(state["parked"])            # the older bare list: no count kept
    assert waits.results == {9: 3} and waits.preemptions == 0
    waits.parked, waits.results, waits.preemptions = {}, {}, preemptions


@pytest.fixture()
def nb1_after_exit() -> Any:
    """A one-slot non-blocking machine after its clean exit: nothing in flight, nothing parked."""
    m = build_machine(MachineSpec(images={"host": str(image_path("multicall_host"))}, lift=["non-blocking"],
                                  console=None))
    assert m.run(max_instructions=50_000_000).reason == "exit"
    return m


def test_parked_queued_call_starts_when_its_turn_comes(nb1_after_exit: Any) -> None:
    """A call parked while still queued (its SVC not running) starts from the wait of the handler
    that preempted it once the slot is free, so calls queued behind it are not held up."""
    spm = nb1_after_exit.proxy_system.spm
    op = ForwardOp(spm._next_op, CONNECT, Caller(-1, False, 0, "parked thread call"), sid=0x70, version=1)
    spm.ops[op.id], op.phase = op, QUEUED
    spm.forward_queue.append(op)
    spm.waits.parked[(0x0A260100, 0x2007FF00)] = (op.id, 12)
    assert spm.waits.parked_due()                  # its turn has come: the handler's wait wakes for it
    spm.waits.finish_parked()
    assert op.phase != QUEUED and spm.forward_queue == [] and op in spm.active
    spm.abandon(op)
    spm.waits.parked.clear()


def test_parked_svc_of_a_vanished_call_returns_communication_failure(nb1_after_exit: Any) -> None:
    """A parked SVC whose operation is gone when it executes again returns an error status, not the
    first argument left in r0."""
    spm = nb1_after_exit.proxy_system.spm
    core = spm.core
    core.set_result(0x70)                           # the SVC's first argument (a SID)
    spm.waits.parked[(core.pc - 2, core.reg("sp"))] = (spm._next_op + 100, 12)
    assert spm.waits.resume(core, 12) is True
    assert core.reg("r0") == PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE & 0xFFFFFFFF
