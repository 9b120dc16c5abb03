"""Fault injection (``m.faults``): the proxy and SE firmware under IPC faults."""
import pytest

from psaemu.platform.errors import EmuTimeoutError
from psaemu.proxy.client import PsaClient
from psaemu.proxy.status import PsaStatus


@pytest.fixture
def faults(booted):
    if "faults" not in dir(type(booted)):
        pytest.skip("fault-injection API missing: Machine.faults (psaemu.platform.faultinject, issue 5 item 4) "
                    "is not available in this psaemu version")
    return booted.faults


def _fired(m, fault):
    return [e for e in m.events.of_kind("inject")
            if dict(e[3]).get("action") == "fire" and dict(e[3]).get("fault") == fault]


def test_duplicated_doorbell_is_harmless(booted, faults):
    faults.duplicate_doorbell()
    assert booted.psa.its_set(0x2001, b"dup") == PsaStatus.PSA_SUCCESS
    assert booted.psa.its_get(0x2001) == b"dup"
    assert len(_fired(booted, "duplicate_doorbell")) == 1


def test_dropped_doorbell_times_out(booted, faults):
    psa = PsaClient(booted.psa.system, reply_budget_s=0.05)   # a short reply budget for this test
    faults.drop_doorbell()
    with pytest.raises(EmuTimeoutError, match="SE's reply to psa_connect"):
        psa.its_set(0x2002, b"lost")
    assert len(_fired(booted, "drop_doorbell")) == 1
