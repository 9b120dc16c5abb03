"""Snapshots in the middle of a forwarded PSA call: the operation is data (a ForwardOp in the Host
SPM), so the machine restores (into itself, or a fresh machine built from the file) and goes on
bit-identically to an uninterrupted run: same event digest, consoles, IPC records, exit."""
from __future__ import annotations

import pytest

from psaemu.platform.cpu.core import CoreState
from psaemu.platform.errors import EmuTimeoutError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.platform.testing.snapshot import Snapshot
from psaemu.proxy.client import SID_ITS_SET, Handle, boot_se_only
from psaemu.proxy.operation import QUEUED, REPLY
from psaemu.proxy.spm import FORWARD_WAIT
from psaemu.proxy.status import PsaStatus
from psaemu.proxy.system import attach_proxy

BUDGET = 50_000_000


def regression() -> tuple[Machine, object]:
    m = Machine()
    m.load("host", image_path("regression_host"))
    m.load("se", image_path("se_firmware"))
    return m, attach_proxy(m)


def outcome(m: Machine, r, system) -> dict:
    return {"reason": r.reason, "exit": r.exit_code, "digest": m.events.digest(), "events": len(m.events),
            "consoles": {c: m.console.text(c) for c in m.cores},
            "cycles": {n: c.cycles for n, c in m.cores.items()},
            "records": [rec.format() for rec in system.records]}


def in_call(nth: int):
    """``run_until`` condition: the Host core waits for the SE's reply to its nth forwarded operation."""
    def cond(m: Machine) -> bool:
        block = m.host.block
        return (block is not None and block.resume is not None and block.resume[0] == FORWARD_WAIT
                and block.resume[2] >= nth and m.psa.system.spm.ops[block.resume[2]].phase == REPLY)
    return cond


def stop_at_delivery(m: Machine, cond) -> object:
    """``run_until`` a condition seen by a machine agent, i.e. at a delivery between two slices: the
    run then goes on exactly as if it had never stopped (a condition checked right after a slice
    stops before that slice's timer tick, which a later run does not replay)."""
    seen: list[int] = []

    def agent() -> bool:
        if not seen and cond(m):
            seen.append(1)
        return False
    m.agents.append(agent)
    try:
        return m.run_until(lambda _m: bool(seen), max_instructions=BUDGET)
    finally:
        m.agents.remove(agent)


@pytest.fixture(scope="module")
def uninterrupted():
    m, system = regression()
    return outcome(m, m.run(max_instructions=BUDGET), system)


@pytest.mark.parametrize("nth", [2, 7, 60])
def test_host_image_snapshot_mid_call_continues_bit_identically(nth, uninterrupted, tmp_path):
    m, system = regression()
    r = stop_at_delivery(m, in_call(nth))
    assert r.reason == "until" and m.host.state is CoreState.BLOCKED and in_call(nth)(m)
    op = system.spm.forwarding
    assert op is not None and op.phase == REPLY and op.slot == 0 and system.monitor.in_flight
    described = op.describe()
    snap = m.snapshot()
    snap.save(tmp_path / "mid.psnap")
    first = outcome(m, m.run(max_instructions=BUDGET), system)
    assert first == uninterrupted and first["exit"] == 0          # stopping there perturbs nothing
    for _ in range(2):                                             # the same machine, twice
        m.restore(snap)
        assert m.host.block.resume[0] == FORWARD_WAIT and system.spm.forwarding.phase == REPLY
        assert outcome(m, m.run(max_instructions=BUDGET), system) == uninterrupted
    fresh = Machine.from_snapshot(tmp_path / "mid.psnap")          # a fresh machine, from the file
    assert fresh.psa.system.spm.forwarding.describe() == described
    assert outcome(fresh, fresh.run(max_instructions=BUDGET), fresh.psa.system) == uninterrupted


def scripted_session(m: Machine, op_id: int, handle: Handle) -> dict:
    """Finish the started psa_call, close, read the asset back; everything observable."""
    psa = m.psa
    r = psa.finish(op_id)
    psa.close(handle)
    value = psa.its_get(7)
    system = psa.system
    return {"status": r.status, "outputs": r.outputs, "value": value, "digest": m.events.digest(),
            "consoles": {c: m.console.text(c) for c in m.cores}, "cycles": {n: c.cycles for n, c in m.cores.items()},
            "records": [rec.format() for rec in system.records], "pending": psa.pending()}


def start_call(m: Machine) -> tuple[int, Handle]:
    psa = m.psa
    handle = psa.connect(SID_ITS_SET)
    assert isinstance(handle, Handle)
    op_id = psa.begin_call(handle, 0, [(7).to_bytes(8, "little"), b"mid-call", bytes(4)])
    m.run(max_instructions=1_500)                                  # the SE is working on it
    op = m.psa.system.spm.ops[op_id]
    assert op.phase == REPLY and m.psa.pending() == [op_id]
    return op_id, handle


def test_scripted_call_snapshot_mid_call_continues_bit_identically(tmp_path):
    ref, _ = boot_se_only()
    uninterrupted = scripted_session(ref, *start_call(ref))
    assert uninterrupted["status"] == PsaStatus.PSA_SUCCESS and uninterrupted["value"] == b"mid-call"

    m, _ = boot_se_only()
    op_id, handle = start_call(m)
    snap = m.snapshot()
    snap.save(tmp_path / "scripted.psnap")
    assert scripted_session(m, op_id, handle) == uninterrupted
    m.restore(snap)                                                # the same machine
    assert m.psa.pending() == [op_id]
    assert scripted_session(m, op_id, handle) == uninterrupted
    fresh = Machine.from_snapshot(Snapshot.load(tmp_path / "scripted.psnap"))
    assert fresh.psa.pending() == [op_id]
    assert scripted_session(fresh, op_id, handle) == uninterrupted


def test_queued_scripted_call_behind_a_host_call_restores(tmp_path):
    """A scripted call queued behind the Host firmware's call in flight: both are data."""
    m = Machine()
    m.load("host", image_path("its_probe_host"))
    m.load("se", image_path("se_firmware"))
    system = attach_proxy(m)
    r = stop_at_delivery(m, in_call(2))
    assert r.reason == "until"
    op_id = m.psa.begin_connect(SID_ITS_SET)
    assert system.spm.ops[op_id].phase == QUEUED and system.spm.forwarding.caller.scripted is False
    snap = m.snapshot()

    def rest(mm: Machine) -> tuple:
        h = mm.psa.finish(op_id)
        res = mm.run(max_instructions=BUDGET)
        return int(h), res.reason, res.exit_code, mm.events.digest(), [x.format() for x in mm.psa.system.records]
    first = rest(m)
    assert first[0] > 0
    m.restore(snap)
    assert rest(m) == first
    snap.save(tmp_path / "q.psnap")
    assert rest(Machine.from_snapshot(tmp_path / "q.psnap")) == first


def test_an_abandoned_call_releases_the_slot_and_the_record():
    m, system = boot_se_only(reply_budget_s=0.05)
    m.faults.drop_doorbell()
    with pytest.raises(EmuTimeoutError, match="SE's reply to psa_connect"):
        m.psa.connect(SID_ITS_SET)
    assert not system.spm.ops and system.spm.forwarding is None
    assert not system.monitor.in_flight and "abandoned" in system.records[-1].note
    assert m.psa.its_set(3, b"ok") == PsaStatus.PSA_SUCCESS
