"""The SE stand-in serves the stateless handles of TF-M v1.4+ profiles: a Host image built for
v1.5 passes its storage suites against stand-in dicts, and scripted crypto calls reach a handler
on the crypto handle with the release's sfn ids.

Oracles: the regression image's own checks; TF-M's numbers (crypto handle 0x40000100, ITS
0x40000102 with types 1001.., SIGN_MESSAGE 47 in v1.4's tfm_crypto_defs.h) written out here.
"""
from __future__ import annotations

import struct

import pytest

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.client import Handle, PsaError
from psaemu.proxy.mailbox_abi import MAILBOX_PSA_CALL
from psaemu.proxy.se_standin import SeStandin
from psaemu.proxy.status import PsaStatus as S
from psaemu.proxy.system import attach_proxy

BUDGET = 50_000_000


def standin_machine(host: str | None, profile: str) -> tuple[Machine, SeStandin]:
    m = Machine()
    if host:
        m.load("host", image_path(host))
    system = attach_proxy(m, profile=profile)
    return m, SeStandin(m, system, boot="release" if host else "now").install()


def test_v15_regression_storage_suites_pass_against_standin_dicts() -> None:
    m, standin = standin_machine("regression_host_tfm15", "tfm-1.5")
    assert standin.abi.release == "tfm-1.5"
    its, _ps = standin.serve_its(), standin.serve_ps()
    r = m.run(max_instructions=BUDGET)
    assert r.reason == "exit", r.message
    tests = [l for l in m.console.lines("host") if l.startswith("TEST ")]
    ours = [l for l in tests if l.split()[1].split(".")[0] in ("its", "ps")]
    assert len(ours) >= 30 and not [l for l in ours if " FAIL" in l], ours
    calls = [x for x in standin.messages if x.call_type == MAILBOX_PSA_CALL and x.sid in (0x70, 0x71)]
    assert calls and {x.handle for x in calls} == {0x40000102} and {x.type for x in calls} <= {1001, 1002}
    assert its.data(0x5EED) == b"psaemu-its-5EED!"


def test_scripted_sign_message_reaches_a_standin_crypto_handler() -> None:
    m, standin = standin_machine(None, "tfm-1.5")
    seen = []

    def crypto(call_type, handle, ptype, inputs, output_sizes):
        seen.append((handle, ptype, struct.unpack_from("<I", inputs[0])[0], inputs[1:]))
        return S.PSA_SUCCESS, [b"\x5A" * 64]

    standin.service(0x80, crypto)
    assert m.psa.crypto.sign_message(7, 0x06000609, b"message") == b"\x5A" * 64
    assert seen == [(0x40000100, 0, 47, [b"message"])]
    assert m.psa.call(Handle(0x40000100), 5, [b"x"]).status is S.PSA_ERROR_PROGRAMMER_ERROR     # no such type
    assert m.psa.call(Handle(0x40000102), 1001, [b"x"]).status is S.PSA_ERROR_PROGRAMMER_ERROR  # nobody serves ITS


def test_tfm13_standin_still_knows_connections_only() -> None:
    m, standin = standin_machine(None, "tfm-1.3")
    standin.service(0x80, lambda *a: S.PSA_SUCCESS)
    assert m.psa.call(0x80, 0, [b"x"]).status is S.PSA_SUCCESS
    with pytest.raises(PsaError):
        m.psa.crypto.sign_message(7, 0x06000609, b"message")
