"""The psa_call type a connection-based call carries to the SE from ``tfm-1.5`` on.

Oracle: TF-M v1.5's ``forward_message_to_secure_enclave`` (``secure_fw/partitions/psa_proxy/
psa_proxy.c:56-77``, docs/profiles.md): the client's type goes to the SE for the stateless
signals only; every other signal is forwarded with the connection's SE handle and
``PSA_IPC_CALL`` (0), whatever type the client gave.
"""
from __future__ import annotations

import pytest

from psaemu.proxy.client import Handle, boot_se_only

ATTEST_PUBLIC_KEY_SID = 0x22        # connection-based in every profile (no stateless function)


@pytest.mark.parametrize("profile", ["tfm-1.5", "tfm-1.6"])
def test_connection_call_type_reaches_the_se_as_psa_ipc_call(profile: str) -> None:
    m, _system = boot_se_only(machine_options={"profile": profile})
    psa = m.psa
    handle = psa.connect(ATTEST_PUBLIC_KEY_SID)
    assert isinstance(handle, Handle)
    result = psa.call(handle, 7, [], [256])
    calls = [r for r in result.records if r.psa_type is not None]
    assert len(calls) == 1
    assert calls[0].se_handle is not None and not calls[0].se_handle & 0x40000000
    assert calls[0].psa_type == 0
    psa.close(handle)


def test_stateless_call_type_reaches_the_se_as_given() -> None:
    m, _system = boot_se_only(machine_options={"profile": "tfm-1.5"})
    result = m.psa.call(Handle(0x40000102), 1003, [(0x51).to_bytes(8, "little")], [12])    # ITS GET_INFO
    calls = [r for r in result.records if r.psa_type is not None]
    assert [(r.se_handle, r.psa_type) for r in calls] == [(0x40000102, 1003)]
