"""Deterministic fault injection (``machine.faults``, psaemu.platform.testing.faultinject)."""
from __future__ import annotations

import pytest

from psaemu.platform.cpu.core import CoreState
from psaemu.platform.debug.disasm import disassemble
from psaemu.platform.errors import EmuTimeoutError, PsaEmuError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.client import SID_ITS_SET, boot_se_only
from psaemu.proxy.mailbox_abi import MAILBOX_PSA_CONNECT
from psaemu.proxy.status import PsaStatus

BUDGET = dict(reply_budget_s=0.05)


def _se():
    return boot_se_only(**BUDGET)


def _fires(m, fault):
    return [dict(e[3]) for e in m.events.of_kind("inject") if dict(e[3]).get("action") == "fire"
            and dict(e[3]).get("fault") == fault]


def test_injector_is_lazy_and_per_machine():
    m, _ = _se()
    assert "_faults" not in m.__dict__
    assert m.faults is m.faults
    m2, _ = _se()
    assert m2.faults is not m.faults


def test_dropped_doorbell_times_out_naming_the_reply_wait():
    m, _ = _se()
    assert m.psa.its_set(1, b"ok") == PsaStatus.PSA_SUCCESS
    m.faults.drop_doorbell()
    with pytest.raises(EmuTimeoutError, match="SE's reply to psa_connect"):
        m.psa.its_set(2, b"x")
    assert len(_fires(m, "drop_doorbell")) == 1


def test_dropped_nth_doorbell_only():
    m, _ = _se()
    m.faults.drop_doorbell(nth=2)             # its_set = connect, call, close: the call's doorbell
    with pytest.raises(EmuTimeoutError, match=r"SE's reply to psa_call"):
        m.psa.its_set(2, b"x")


def test_duplicated_doorbell_is_handled_and_the_call_succeeds():
    m, _ = _se()
    m.faults.duplicate_doorbell()
    assert m.psa.its_set(2, b"dup") == PsaStatus.PSA_SUCCESS
    assert m.psa.its_get(2) == b"dup"
    assert [e for e in m.events.of_kind("inject") if dict(e[3]).get("action") == "deliver"]


def test_duplicated_doorbell_reported_by_the_se():
    out = []
    m, _ = boot_se_only(machine_options=dict(console=lambda core, text: out.append((core, text))), **BUDGET)
    m.faults.duplicate_doorbell()
    assert m.psa.its_set(2, b"dup") == PsaStatus.PSA_SUCCESS
    m.run(max_instructions=200_000)
    assert "doorbell without a pending slot" in "".join(t for c, t in out if c == "se")


def test_corrupted_call_type_is_not_supported():
    m, _ = _se()
    h = m.psa.connect(SID_ITS_SET)
    m.faults.corrupt_message(word=0, xor=0x100)
    r = m.psa.call(h, 0, [b"\1" + bytes(7), b"data", bytes(4)])
    assert r.status == PsaStatus.PSA_ERROR_NOT_SUPPORTED
    f, = _fires(m, "corrupt_message")
    assert f["before"] == 4 and f["after"] == 0x104
    m.psa.close(h)


def test_corrupted_iovec_byte_is_stored():
    m, _ = _se()
    m.faults.corrupt_iovec(index=1, byte_offset=1, xor=0x20)
    assert m.psa.its_set(3, b"hello") == PsaStatus.PSA_SUCCESS
    assert m.psa.its_get(3) == b"hEllo"
    assert m.psa.its_set(4, b"hello") == PsaStatus.PSA_SUCCESS      # one-shot
    assert m.psa.its_get(4) == b"hello"


def test_repeat_corrupts_every_call_from_the_nth():
    m, _ = _se()
    m.faults.corrupt_iovec(nth=2, index=1, byte_offset=0, xor=1, repeat=True)
    for uid in (1, 2, 3):
        m.psa.its_set(uid, b"abc")
    m.faults.clear()                          # its_get's input 1 (the offset) would be hit too
    assert m.psa.its_get(1) == b"abc"
    assert m.psa.its_get(2) == b"`bc" and m.psa.its_get(3) == b"`bc"


def test_reset_se_during_call_times_out():
    m, _ = _se()
    m.faults.reset_se_during_call()
    with pytest.raises(EmuTimeoutError, match="SE's reply to"):
        m.psa.its_set(7, b"z")
    assert any(e[2] == "system_reset" and e[1] == "se" for e in m.events)


def _connect_time(system):
    r = [x for x in system.records if x.call_type == MAILBOX_PSA_CONNECT][-1]
    return r.t_reply_ps - r.t_request_ps


def test_delayed_doorbell_delays_the_reply():
    m, s = _se()
    m.psa.its_set(4, b"a")
    plain = _connect_time(s)
    m.faults.delay_doorbell(cycles=100_000)
    assert m.psa.its_set(4, b"b") == PsaStatus.PSA_SUCCESS
    delayed = _connect_time(s)
    assert delayed - plain >= 100_000 * 10**12 // m.host.clock_hz
    assert m.psa.its_get(4) == b"b"
    assert m.faults._agent not in m.agents          # the agent left once it delivered


def test_stall_se_delays_then_resumes():
    m, s = _se()
    t0 = m.time_ps(m.se)
    m.faults.stall_se(200_000)
    assert m.psa.its_set(6, b"q") == PsaStatus.PSA_SUCCESS
    assert m.time_ps(m.se) - t0 >= 200_000 * 10**12 // m.se.clock_hz
    assert [e for e in m.events.of_kind("inject") if dict(e[3]).get("action") == "resume"]


def _pingpong():
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    return m


def test_flip_register_at_a_host_symbol_changes_the_exit_code():
    m = _pingpong()
    m.faults.flip_register("host", "semihost_exit", "r0", 0x5)
    r = m.run(max_instructions=5_000_000)
    assert r.reason == "exit" and r.exit_code == 5
    f, = _fires(m, "flip_register")
    assert f["before"] == 0 and f["after"] == 5


def test_skip_instruction_at_an_address():
    m = _pingpong()
    a = m.host.image.address_of("semihost_exit")
    store = next(addr for addr, text in disassemble(m.host, a, 0, 8) if text.startswith("str r3"))
    m.faults.flip_register("host", "semihost_exit", "r0", 0x5)
    m.faults.skip_instruction("host", store)            # block[1] (the code) is never written
    r = m.run(max_instructions=5_000_000)
    assert r.reason == "exit" and r.exit_code == 0
    f, = _fires(m, "skip_instruction")
    assert f["size"] == 2 and f["insn"].startswith("str r3")


def test_random_choices_are_seeded():
    def run(seed):
        m, _ = _se()
        m.faults.seed(seed)
        m.faults.corrupt_iovec(index=1, byte_offset=None, xor=None)
        m.psa.its_set(9, b"abcdefgh")
        return m.psa.its_get(9), _fires(m, "corrupt_iovec")[0]
    assert run(3) == run(3)
    assert run(3)[0] != b"abcdefgh"


def test_bad_arguments_are_refused():
    m, _ = _se()
    with pytest.raises(PsaEmuError):
        m.faults.corrupt_message(word=8)
    with pytest.raises(PsaEmuError):
        m.faults.drop_doorbell(nth=0)
    with pytest.raises(KeyError):
        m.faults.flip_register("se", "main", "r99")


def _scenario():
    m, _ = _se()
    m.faults.seed(7)
    m.faults.duplicate_doorbell()
    m.faults.corrupt_iovec(nth=2, random_word=True, xor=None)
    m.faults.delay_doorbell(nth=4, cycles=5_000)
    for uid in (1, 2):
        m.psa.its_set(uid, b"payload")
    m.faults.drop_doorbell()
    with pytest.raises(EmuTimeoutError):
        m.psa.its_get(1)
    return m.events.digest()


def test_injections_are_deterministic():
    assert _scenario() == _scenario()


def test_restore_disarms_injections():
    m, _ = _se()
    snap = m.snapshot()
    m.faults.drop_doorbell()
    m.faults.flip_register("se", "main", "r0", 1)
    m.restore(snap)
    assert not m.faults._hooks
    assert m.psa.its_set(1, b"after") == PsaStatus.PSA_SUCCESS
    assert m.psa.its_get(1) == b"after"
    m.faults.corrupt_iovec(index=1, byte_offset=0, xor=1)     # still works on the restored machine
    m.psa.its_set(2, b"abc")
    assert m.psa.its_get(2) == b"`bc"


def _probe_run(fault, snapshot_when_pending=False):
    """its_probe_host + SE firmware + proxy with one fault armed; run to the exit. With
    ``snapshot_when_pending``: stop while the fault's delayed action is pending, snapshot, finish,
    restore and finish again. Returns the runs' (reason, exit code, event digest)."""
    from psaemu.proxy.system import attach_proxy
    m = Machine()
    m.load("host", image_path("its_probe_host"))
    m.load("se", image_path("se_firmware"))
    attach_proxy(m)
    fault(m.faults)

    def finish():
        r = m.run(max_instructions=50_000_000)
        return r.reason, r.exit_code, m.events.digest()
    if not snapshot_when_pending:
        return [finish()]
    m.run_until(lambda mm: bool(mm.faults.pending()), max_instructions=50_000_000)
    assert m.faults.pending()
    snap = m.snapshot()
    runs = [finish()]
    m.restore(snap)
    assert m.faults.pending()
    runs.append(finish())
    return runs


@pytest.mark.parametrize("fault", [
    pytest.param(lambda f: f.delay_doorbell(nth=3, cycles=200_000), id="delay_doorbell"),
    pytest.param(lambda f: f.stall_se(300_000), id="stall_se"),
])
def test_snapshot_between_trigger_and_delayed_action_continues_identically(fault):
    plain, = _probe_run(lambda f: None)
    uninterrupted, = _probe_run(fault)
    assert uninterrupted[:2] == ("exit", 0) and uninterrupted != plain      # the fault changed the trace
    assert _probe_run(fault, snapshot_when_pending=True) == [uninterrupted, uninterrupted]


def test_snapshot_with_a_duplicate_doorbell_pending_restores_exactly():
    # the duplicate is pending only inside a slice, so stopping there (run_until) moves the later
    # slice boundaries; the restored run must equal the run that went on from the same stop
    first, restored = _probe_run(lambda f: f.duplicate_doorbell(nth=2), snapshot_when_pending=True)
    assert first[:2] == ("exit", 0) and restored == first


def test_pending_actions_survive_a_snapshot_file(tmp_path):
    from psaemu.platform.testing.snapshot import Snapshot
    m, _ = _se()
    m.faults.delay_doorbell(cycles=1000)
    m.faults._add_pending(7, "delayed doorbell", ("deliver", m.now_ps + 10**9))
    snap = m.snapshot()
    snap.save(tmp_path / "s.snap")
    m.faults.reset()
    assert not m.faults.pending()
    m.restore(Snapshot.load(tmp_path / "s.snap"))
    assert m.faults.pending() == [(7, "delayed doorbell")] and m.faults._agent in m.agents


def test_stall_armed_before_the_se_runs_starts_when_it_is_released():
    from psaemu.proxy.bl0 import play_bl0
    from psaemu.proxy.system import attach_proxy
    m = Machine()
    m.load("host", image_path("its_probe_host"))
    m.load("se", image_path("se_firmware"))
    attach_proxy(m, bl0=False)            # BL0 comes after the stall is armed
    assert m.se.state is CoreState.OFF
    m.faults.stall_se(1_000_000)
    assert not _fires(m, "stall_se")
    play_bl0(m)
    m.run_until(lambda mm: mm.psa.system.proxy.ready, max_instructions=5_000_000)
    fire, = _fires(m, "stall_se")
    assert fire["cycles"] == 1_000_000
    assert m.psa.system.proxy.handshake.boot_vector is not None
    ready = [e for e in m.events if e[2] == "proxy_ready"][0][0]
    assert ready >= 1_000_000 * 10**12 // m.se.clock_hz       # the SE answered after its stall
    with pytest.raises(PsaEmuError, match="cycles must be a whole number"):
        m.faults.stall_se(-1)
