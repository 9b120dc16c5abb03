"""Faults leave no debris: after each injected fault, at each step of a forwarded ITS set (the
CONNECT, CALL and CLOSE doorbells), the faulted operation ends in a PSA status or a named error,
the next operation works or fails with the documented error, the asset holds its old or its new
value, the mailbox slot is released, and the reply budget holds in virtual time (also when it
jumps) with every operation bounded in wall time.

| fault | faulted operation | next operation |
|---|---|---|
| drop_doorbell | EmuTimeoutError (nothing answered) | works |
| delay_doorbell within the budget | PSA_SUCCESS | works |
| delay_doorbell past the budget | EmuTimeoutError (virtual time) | works |
| duplicate_doorbell | PSA_SUCCESS | works |
| corrupt_message call_type | CONNECT: PsaPanic (TF-M's SPM panics); CALL: NOT_SUPPORTED; CLOSE: SUCCESS | works, or PsaPanic after the panic |
| corrupt_message params | a PSA error status (or SUCCESS for CLOSE) | works |
| stall_se past the budget | EmuTimeoutError (virtual time) | works |
| reset_se_during_call | EmuTimeoutError | EmuTimeoutError: TF-M v1.3's Host does not handshake again |

A restore of the snapshot taken before the fault always brings back a working machine.
"""
from __future__ import annotations

import time

import pytest

from psaemu.platform.errors import EmuTimeoutError, PsaEmuError
from psaemu.proxy.client import PsaPanic, boot_se_only
from psaemu.proxy.status import PsaStatus

S = PsaStatus
OLD, NEW = b"old value", b"new value"
BUDGET_S = 0.05
#: Wall-clock bound of any one faulted operation here (the reply budget is virtual time).
WALL_S = 10.0

FAULTS = {
    "drop_doorbell": lambda f: f.drop_doorbell,
    "delay_doorbell_short": lambda f: lambda nth: f.delay_doorbell(nth=nth, cycles=5_000),
    "delay_doorbell_long": lambda f: lambda nth: f.delay_doorbell(nth=nth, cycles=50_000_000),
    "duplicate_doorbell": lambda f: f.duplicate_doorbell,
    "corrupt_call_type": lambda f: lambda nth: f.corrupt_message(nth=nth, word=0, xor=0x100),
    "corrupt_params": lambda f: lambda nth: f.corrupt_message(nth=nth, word=2, xor=0xFFFFFFFF),
    "stall_se_long": lambda f: lambda nth: f.stall_se(cycles=50_000_000),
    "reset_se_during_call": lambda f: f.reset_se_during_call,
}
STEPS = {1: "connect", 2: "call", 3: "close"}


@pytest.fixture(scope="module")
def booted():
    m, system = boot_se_only(reply_budget_s=BUDGET_S)
    assert m.psa.its_set(1, OLD) == S.PSA_SUCCESS
    return m, system, m.snapshot()


def _outcome(fn):
    t0 = time.monotonic()
    try:
        value = fn()
    except PsaEmuError as exc:
        value = exc
    assert time.monotonic() - t0 < WALL_S
    return value


def _slots_free(m, system) -> bool:
    lay, base = system.proxy.layout, 0
    words = [m.host.read_word(system.placement.host_base + off - base)
             for off in (lay.empty_slots, lay.pend_slots, lay.replied_slots)]
    return words == [(1 << lay.n_slots) - 1, 0, 0]


@pytest.mark.parametrize("step", STEPS, ids=STEPS.values())
@pytest.mark.parametrize("fault", FAULTS)
def test_fault_leaves_no_debris(booted, fault, step):
    m, system, snap = booted
    m.restore(snap)
    FAULTS[fault](m.faults)(step)
    first = _outcome(lambda: m.psa.its_set(1, NEW))
    after = _outcome(lambda: m.psa.its_set(2, b"after"))

    if fault in ("drop_doorbell", "delay_doorbell_long", "stall_se_long", "reset_se_during_call"):
        assert isinstance(first, EmuTimeoutError), first
    elif fault in ("delay_doorbell_short", "duplicate_doorbell") or step == 3:
        assert first == S.PSA_SUCCESS
    elif fault == "corrupt_call_type" and step == 1:
        assert isinstance(first, PsaPanic) and "tfm_core_panic" in str(first)
    else:
        assert isinstance(first, int) and first < 0, first           # a PSA error status

    if fault == "reset_se_during_call":
        assert isinstance(after, EmuTimeoutError), after
    elif isinstance(first, PsaPanic):
        assert isinstance(after, PsaPanic) and "panicked" in str(after)
    else:
        assert after == S.PSA_SUCCESS, after
        assert m.psa.its_get(2) == b"after"
        assert m.psa.its_get(1) in (OLD, NEW)                         # never torn, never lost
        assert _slots_free(m, system)
    m.restore(snap)                                                   # always recoverable
    assert m.psa.its_get(1) == OLD and m.psa.its_set(3, b"x") == S.PSA_SUCCESS and _slots_free(m, system)


def test_reply_budget_holds_when_virtual_time_jumps(booted):
    m, _, snap = booted
    m.restore(snap)
    m.faults.delay_doorbell(nth=2, cycles=200_000_000)    # ~5 s of Host time in one jump, budget 0.05 s
    with pytest.raises(EmuTimeoutError, match="virtual time"):
        m.psa.its_set(1, NEW)
    assert m.psa.its_set(2, b"after") == S.PSA_SUCCESS
