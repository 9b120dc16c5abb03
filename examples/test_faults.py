"""IPC fault injection: the proxy and SE firmware under dropped, delayed, duplicated and corrupted
messages. Faults come from the plugin (``fault_cases`` parameters and ``psaemu_fault`` markers)
or from the test itself (``booted.faults``); every one is seeded and recorded in the event trace."""
import pytest

from psaemu.platform.errors import EmuTimeoutError
from psaemu.platform.testing.pytest_plugin import fault_cases
from psaemu.proxy.mailbox_abi import MAILBOX_PSA_CONNECT
from psaemu.proxy.status import PsaStatus

UID = 0x2001
DELAY = 100_000          # Host cycles


def fired(m):
    """The faults that fired in this test, from the event trace."""
    return [dict(e[3])["fault"] for e in m.events.of_kind("inject") if dict(e[3]).get("action") == "fire"]


def first_connect_latency_us(m):
    r = [x for x in m.psa.system.records if x.call_type == MAILBOX_PSA_CONNECT][0]
    return (r.t_reply_ps - r.t_request_ps) / 1e6


@pytest.mark.parametrize("psaemu_fault", fault_cases(
    "duplicate_doorbell",                            # a glitching doorbell line rings twice
    f"delay_doorbell:cycles={DELAY}",                # the request doorbell arrives late
    "drop_doorbell",                                 # ...or never
    "corrupt_iovec:index=1,byte_offset=0,xor=0x20",  # one byte of the value flips in the shared buffer
    "reset_se_during_call",                          # the SE resets while it handles the call
    baseline=True))
def test_its_set_under_ipc_faults(booted, psaemu_fault):
    kind = psaemu_fault.kind if psaemu_fault else None
    if kind in ("drop_doorbell", "reset_se_during_call"):
        # TF-M v1.3's proxy has no timeout or recovery: the Host waits for a reply forever.
        # psaemu notices that nothing can wake any core and names the wait.
        with pytest.raises(EmuTimeoutError, match=r"SE's reply to psa_connect"):
            booted.psa.its_set(UID, b"hello")
    else:
        assert booted.psa.its_set(UID, b"hello") == PsaStatus.PSA_SUCCESS
        assert booted.psa.its_get(UID) == (b"Hello" if kind == "corrupt_iovec" else b"hello")
    if kind == "delay_doorbell":
        assert first_connect_latency_us(booted) >= DELAY / booted.host.clock_hz * 1e6
    assert fired(booted) == ([kind] if kind else [])


@pytest.mark.psaemu_fault("corrupt_message", nth=2, word=0, xor=0x100)   # the 2nd message: its_set's psa_call
def test_corrupted_call_type_is_refused(booted):
    assert booted.psa.its_set(UID, b"x") == PsaStatus.PSA_ERROR_NOT_SUPPORTED
    with pytest.raises(Exception, match="DOES_NOT_EXIST"):
        booted.psa.its_get(UID)


def test_stalled_se_answers_late(booted):
    se = booted.se
    t0 = booted.time_ps(se)
    booted.faults.stall_se(200_000)                  # armed by the test itself
    assert booted.psa.its_set(UID, b"late") == PsaStatus.PSA_SUCCESS
    assert booted.time_ps(se) - t0 >= 200_000 * 10**12 // se.clock_hz
