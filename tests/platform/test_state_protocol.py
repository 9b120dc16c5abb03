"""The state protocol (every component: ``save_state() -> plain data``, ``restore_state(state)``),
the proxy's declared interception points and the Core API the proxy and SPM use."""
from __future__ import annotations

import marshal

from psaemu.platform.testing.snapshot import _encode, components
from psaemu.proxy.client import SID_ITS_SET, boot_se_only
from psaemu.proxy.intercept import POINTS
from psaemu.proxy.status import PsaStatus


def test_every_component_keeps_its_state_as_plain_data():
    m, system = boot_se_only()
    m.faults.seed(3)
    m.debugger
    assert [k for k, _ in components(m)] == ["machine", "console", "events", "proxy", "faults", "debugger"]
    parts = list(m.cores.values()) + list(m.peripherals.values()) + [c for _, c in components(m)]
    for part in parts:
        state = part.save_state()
        marshal.dumps(_encode(state))                     # files need nothing but plain data
        part.restore_state(state)
        again = part.save_state()
        if isinstance(state, dict) and "ctx" in state:    # a CPU context holds host pointers: compared by restores
            state, again = dict(state, ctx=None), dict(again, ctx=None)
        assert _encode(again) == _encode(state), part


def test_armed_injections_are_part_of_the_snapshot():
    """An injection armed before the snapshot is armed again after a restore (its counters too);
    one armed after it is gone."""
    m, _ = boot_se_only(reply_budget_s=0.05)
    m.faults.corrupt_iovec(index=1, byte_offset=0, xor=1)
    m.faults.flip_register("se", "main", "r0", 1)
    snap = m.snapshot()

    def run() -> tuple:
        assert m.psa.its_set(5, b"abc") == PsaStatus.PSA_SUCCESS
        return m.psa.its_get(5), [dict(e[3]) for e in m.events.of_kind("inject")], len(m.faults._hooks)
    first = run()
    assert first[0] == b"`bc"
    m.restore(snap)
    m.faults.drop_doorbell()                              # after the snapshot: undone by the restore
    m.restore(snap)
    assert run() == first


def test_fault_injection_uses_the_interception_points_not_patches():
    m, system = boot_se_only()
    proxy = system.proxy
    before = {p: len(proxy.points.handlers(p)) for p in POINTS}
    m.faults.drop_doorbell(nth=99)
    m.faults.corrupt_iovec(nth=99)
    assert not {"send", "_pack", "begin", "ring"} & set(vars(proxy))      # no method replaced on the instance
    added = {p: len(proxy.points.handlers(p)) - before[p] for p in POINTS}
    assert added == {"packed": 1, "before_doorbell": 1, "after_doorbell": 1, "on_reply": 0, "before_write_back": 0}


def test_interception_points_see_every_forwarded_operation_in_order():
    m, system = boot_se_only()
    seen = []
    for point in POINTS:
        system.proxy.points.add(point, lambda op, p=point: seen.append((p, op.kind, op.slot)))
    assert m.psa.its_set(9, b"x") == PsaStatus.PSA_SUCCESS
    doorbells = [("before_doorbell", k, 0) for k in ("connect", "call", "close")]
    assert [s for s in seen if s[0] == "before_doorbell"] == doorbells
    assert [s[0] for s in seen if s[1] == "call"] == ["packed", "before_doorbell", "after_doorbell", "on_reply",
                                                      "before_write_back"]
    rec = system.records[-2]                              # the IPC monitor stamps through the points too
    assert rec.t_request_ps and rec.t_reply_ps and rec.t_reply_ps > rec.t_request_ps


def test_core_api_for_python_svc_handlers():
    m, system = boot_se_only()
    host = m.cores["host"]
    base = m.psa.scratch.base
    host.mem_write(base, b"\x01\x02\x03\x04")
    assert host.mem_read(base, 4) == b"\x01\x02\x03\x04" and host.mem_read(base, 0) == b""
    for i, v in enumerate((11, 22, 33, 44)):
        host.set_reg(f"r{i}", v)
    assert host.args(4) == (11, 22, 33, 44) and host.args(2) == (11, 22)
    host.set_result(-1)
    assert host.reg("r0") == 0xFFFFFFFF
    assert m.psa.connect(SID_ITS_SET) > 0
