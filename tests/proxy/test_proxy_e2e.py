"""The PSA Proxy end to end: Host firmware -> Host SPM model -> proxy -> MHU/shared SRAM -> SE firmware."""
from __future__ import annotations

import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.board import builtin_board_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.attestation import TFM_TEST_IAK_P256, TokenError, verify_token
from psaemu.proxy.spm import Caller
from psaemu.proxy.status import PsaStatus
from psaemu.proxy.system import attach_proxy

BUDGET = 50_000_000


def boot(host="regression_host", board=None, defines=None, flash=None):
    m = Machine(board, flash_files=flash)
    m.load("host", image_path(host))
    m.load("se", image_path("se_firmware"))
    system = attach_proxy(m, defines)
    return m, system


def run_regression(**kw):
    m, system = boot(**kw)
    r = m.run(max_instructions=BUDGET)
    return m, system, r


def results(m) -> list[str]:
    return [l for l in m.console.lines("host") if l.startswith(("TEST ", "DATA ", "regression:"))]


@pytest.fixture(scope="module")
def regression():
    return run_regression()


def test_regression_suite_passes(regression):
    m, system, r = regression
    assert r.reason == "exit" and r.exit_code == 0, r.message
    lines = results(m)
    tests = [l for l in lines if l.startswith("TEST ")]
    assert len(tests) >= 80 and not [l for l in tests if " FAIL" in l]
    for name in ("client.connection_limit", "its.write_once", "ps.separate_from_its", "crypto.mac_verify_wrong",
                 "crypto.hash_compute_too_large", "attest.get_token_64", "platform.nv_counter_read_secure",
                 "client.connect_nv_counter_ns", "secure.its_roundtrip"):
        assert f"TEST {name} PASS" in tests
    assert lines[-1].startswith("regression: ") and lines[-1].endswith(" 0 failures")
    # psaemu's SE serves every algorithm and has memory for each: a test the image reports SKIP
    # (NOT_SUPPORTED or INSUFFICIENT_MEMORY from the SE) would hide a regression here. The one
    # skip is the positive call type, which v1.3's client refuses before any call.
    assert [l for l in tests if " SKIP" in l] == ["TEST client.call_type_positive SKIP"]


def test_sha256_matches_hashlib(regression):
    m, _, _ = regression
    got = dict(re.findall(r"^DATA sha256 (\d+) ([0-9a-f]{64})$", "\n".join(m.console.lines("host")), re.M))
    assert sorted(map(int, got)) == [0, 1, 64, 4096]
    for size, digest in got.items():
        data = bytes((i * 7 + 3) & 0xFF for i in range(int(size)))
        assert digest == hashlib.sha256(data).hexdigest()


def test_attestation_token_verifies_with_the_iak_public_key(regression):
    m, _, _ = regression
    token_hex = next(l.split()[2] for l in m.console.lines("host") if l.startswith("DATA token64 "))
    # the oracle: TF-M's published test IAK, its public key derived by cryptography
    iak = ec.derive_private_key(int.from_bytes(TFM_TEST_IAK_P256, "big"), ec.SECP256R1()).public_key()
    point = iak.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    claims = verify_token(bytes.fromhex(token_hex), iak, expect="asymmetric")
    assert claims.challenge == bytes(range(1, 65))
    assert claims.client_id == -1                       # every forwarded caller is -1 on the SE
    assert claims.security_lifecycle == 0x3000
    assert claims.ueid == b"\x01" + hashlib.sha256(point).digest()
    assert claims.no_sw_components == 1 and claims.profile_definition == "PSA_IOT_PROFILE_1"
    other = ec.derive_private_key(7, ec.SECP256R1()).public_key()
    with pytest.raises(TokenError, match="bad signature"):
        verify_token(bytes.fromhex(token_hex), other)


def test_ipc_monitor_records_both_views(regression):
    m, system, _ = regression
    recs = system.records
    assert {r.call_type for r in recs} == {3, 4, 5}      # CONNECT, CALL, CLOSE only (v1.3 proxy)
    calls = [r for r in recs if r.call_type == 4 and r.in_vecs]
    assert calls and all(v.shared_se == v.shared_host + 0x1DE00000 for r in calls for v in r.in_vecs)
    assert all(r.latency_ps and r.latency_ps > 0 for r in recs if r.status is not None and r.t_reply_ps)
    too_big = [r for r in recs if r.status == PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY and r.call_type == 4]
    assert too_big and "SHARED_BUFFER_SIZE" in too_big[0].note and too_big[0].t_reply_ps is None
    pool = [r for r in recs if r.call_type == 3 and r.status == PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY]
    assert len(pool) == 1 and "pool" in pool[0].note
    assert [d for _, d, _ in system.monitor.handshake] == ["se->host", "host->se", "se->host", "host->se",
                                                           "se->host"]
    assert "CALL" in calls[0].format() and "se 0x382" in calls[0].format()


@pytest.mark.parametrize("mode", ["base", "bss"])
@pytest.mark.parametrize("translation", [1, 0])
def test_every_macro_combination_gives_the_same_results(regression, tmp_path, mode, translation):
    board = None
    if not translation:       # a board where the SE sees Code SRAM at the Host's address
        text = builtin_board_path("musca_b1").read_text().replace("host = 0x1A400000\nse = 0x38200000",
                                                                  "host = 0x1A400000\nse = 0x1A400000")
        board = tmp_path / "flat.toml"
        board.write_text(text)
    defines = {"PSA_PROXY_ADDR_TRANSLATION": translation}
    if mode == "bss":
        defines["PSA_PROXY_SHARED_MEMORY_BASE"] = None
    m, system, r = run_regression(board=board, defines=defines)
    assert system.placement.mode == mode and system.placement.translation == bool(translation)
    assert r.exit_code == 0, r.message
    assert results(m) == results(regression[0])


def test_its_survives_an_se_reset_with_file_backed_flash(tmp_path):
    flash = {"se.storage": tmp_path / "se_storage.bin"}
    m, _, r = run_regression(flash=flash)
    assert r.exit_code == 0 and "DATA its_persist MISSING" in m.console.lines("host")
    m2, _, r2 = run_regression(host="its_probe_host", flash=flash)     # a cold boot of both cores
    assert r2.exit_code == 0
    assert "DATA its_persist " + b"psaemu-its-5EED!".hex() in m2.console.lines("host")
    assert (tmp_path / "se_storage.bin").stat().st_size == 0x10000


def test_se_system_reset_never_replies_and_ends_in_a_report():
    m, system = boot(host="sysreset_host")
    r = m.run(max_instructions=BUDGET)
    assert r.reason == "deadlock" and r.exit_code == 124
    assert "waiting for the SE's reply" in r.message
    assert "sysreset: calling tfm_platform_system_reset" in m.console.lines("host")
    assert not any(l.startswith("sysreset: returned") for l in m.console.lines("host"))
    assert m.console.lines("se").count("se: boot") == 2          # the SE rebooted and waits for a handshake
    assert system.records[-1].status is None                      # no reply ever came


def test_secure_programmer_error_panics_the_host():
    m, system = boot()
    m.host.set_reg("r0", 0x1234)
    caller = Caller(268, True, 0x1A280000, "TFM_SP_PS_TEST")
    assert system.spm.connect(caller) is None
    r = m.run(max_instructions=1000)
    assert r.reason == "panic" and "Host SPM panic" in r.message and "unknown SID 0x1234" in r.message


def test_non_secure_caller_gets_error_codes():
    m, system = boot()
    m.host.set_reg("r0", 0x1234)
    ns = Caller(-1, False, 0x0A260100, "non-secure")
    assert system.spm.connect(ns) == PsaStatus.PSA_ERROR_CONNECTION_REFUSED
    m.host.set_reg("r0", 0x42)
    assert system.spm.version(ns) == 0
    assert system.spm.identify(0x0A260100).client_id == -1
    assert system.spm.identify(0x1A280010).client_id == 268
