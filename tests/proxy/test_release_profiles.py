"""Release profiles tfm-1.4/1.5/1.6: the Host client ABI (packed psa_call parameters, stateless
handles, crypto function ids, key attributes) and the bundled regression image built for each
release, run end to end; an image run under the wrong release fails with a clear report.

Oracle for the numbers: TF-M's own headers as docs/profiles.md cites them (tfm_psa_call_pack.h
PARAM_PACK, tfm_crypto_defs.h enum order, crypto_client_struct.h field order, manifest stateless
handles) — the values below are copied from those sources, not computed from psaemu.proxy.abi.
"""
from __future__ import annotations

import re
import struct

import pytest

from psaemu.platform.cli import main
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.abi import RELEASE_ABIS, CallParamError, pack_call_params, unpack_call_params
from psaemu.proxy.monitor import IpcRecord
from psaemu.proxy.profiles import PROFILES
from psaemu.proxy.system import attach_proxy

BUDGET = 200_000_000


def test_every_profile_has_a_client_abi() -> None:
    assert set(PROFILES) == set(RELEASE_ABIS) == {"tfm-1.3", "tfm-1.4", "tfm-1.5", "tfm-1.6"}


def test_packed_parameters_sign_extend_the_type() -> None:
    assert pack_call_params(1001, 3, 0) == 0x03E90300
    assert pack_call_params(-1, 0, 0) == 0xFFFF0000
    assert unpack_call_params(0xFFFF0102) == (-1, 1, 2)
    assert unpack_call_params(0x7FFF0000) == (0x7FFF, 0, 0)
    with pytest.raises(CallParamError, match="type 32768"):
        pack_call_params(0x8000, 0, 0)
    with pytest.raises(CallParamError, match="in_len 256"):
        pack_call_params(0, 256, 0)


@pytest.mark.parametrize("release, word, error", [
    ("tfm-1.4", 0xFFFF0100, "type -1 < 0 (packed word 0xffff0100"),
    ("tfm-1.5", 0x00000302, "in_len 3 + out_len 2 exceeds 4"),
])
def test_packed_decode_rejects_what_the_spm_rejects(release: str, word: int, error: str) -> None:
    with pytest.raises(CallParamError, match=re.escape(error)):
        RELEASE_ABIS[release].call_params(word, lambda addr: None)


def test_packed_decode_reads_caller_memory_only_for_an_error_hint() -> None:
    abi, reads = RELEASE_ABIS["tfm-1.4"], []

    def read_ctrl(addr: int) -> bytes:
        reads.append(addr)
        return bytes(12)
    assert abi.call_params(0x03E90201, read_ctrl) == (1001, 2, 1) and reads == []
    with pytest.raises(CallParamError, match=re.escape("is an address in the caller's memory")):
        abi.call_params(0x20000505, read_ctrl)
    assert reads == [0x20000505]


def test_v13_decode_reads_the_control_block_and_hints_at_a_packed_word() -> None:
    abi = RELEASE_ABIS["tfm-1.3"]
    assert abi.call_params(0x1000, lambda addr: struct.pack("<iII", 0, 2, 1)) == (0, 2, 1)
    with pytest.raises(CallParamError, match="type 1003, in_len 1, out_len 1"):
        abi.call_params(0x03EB0101, lambda addr: None)


def test_stateless_handles_per_release() -> None:
    # manifest stateless_handle n -> 0x40000000 | version 1 << 8 | (n - 1)
    assert dict(RELEASE_ABIS["tfm-1.3"].stateless) == {}
    assert dict(RELEASE_ABIS["tfm-1.4"].stateless) == {0x40000100: 0x80}
    for release in ("tfm-1.5", "tfm-1.6"):
        assert dict(RELEASE_ABIS[release].stateless) == {0x40000100: 0x80, 0x40000101: 0x60,
                                                         0x40000102: 0x70, 0x40000103: 0x20}


@pytest.mark.parametrize("release, ids", [
    # (client sfn_id -> v1.3 sfn_id): SIGN_HASH, GENERATE_RANDOM, GENERATE_KEY, SIGN_MESSAGE, HASH_SETUP
    ("tfm-1.4", {49: 47, 63: 61, 64: 62, 47: None, 12: 12, 65: 63, 66: 64}),
    ("tfm-1.5", {49: 47, 63: 61, 64: 62, 47: None, 12: 12, 65: None}),
    ("tfm-1.6", {49: 47, 63: 61, 64: 62, 48: None, 36: 36}),
])
def test_crypto_function_ids_map_to_v13(release: str, ids: dict[int, int | None]) -> None:
    abi = RELEASE_ABIS[release]
    assert {sfn: abi.crypto_sfn_to_v13(sfn) for sfn in ids} == ids


def test_key_attributes_v14_layout_converts_to_v13() -> None:
    # v1.4+: type u16, bits u16, lifetime, id, usage, alg (20 bytes); v1.3: lifetime, id, alg, usage,
    # bits, type (+2 pad) (24 bytes)
    v14 = struct.pack("<HHIIII", 0x2400, 128, 1, 7, 0x300, 0x04404000)
    v13 = RELEASE_ABIS["tfm-1.4"].key_attrs_to_v13(v14)
    assert v13 == struct.pack("<IIIIIH2x", 1, 7, 0x04404000, 0x300, 128, 0x2400)
    assert RELEASE_ABIS["tfm-1.3"].key_attrs_to_v13(v13) == v13
    assert RELEASE_ABIS["tfm-1.6"].key_attrs.size == 20 and RELEASE_ABIS["tfm-1.3"].key_attrs.size == 24


@pytest.mark.parametrize("image, profile, tests", [
    ("regression_host", "tfm-1.3", 104),
    ("regression_host_tfm14", "tfm-1.4", 107),           # + sign_message, one-shot MAC and cipher
    ("regression_host_tfm15", "tfm-1.5", 107),
    ("regression_host_tfm16", "tfm-1.6", 108),           # + the 52-byte crypto pack, multipart AEAD
])
def test_regression_image_of_the_release_passes_under_its_profile(capsys, image: str, profile: str,
                                                                  tests: int) -> None:
    status = main(["run", "--host", image, "--profile", profile])
    out, _ = capsys.readouterr()
    assert status == 0, out[-3000:]
    assert f"regression: {tests} tests, 0 failures" in out
    for suite in ("its.", "ps.", "crypto.", "attest."):                 # storage, crypto, attestation
        assert f"[host] TEST {suite}" in out
    assert "FAIL" not in out


ALL_STATELESS = {0x40000100, 0x40000101, 0x40000102, 0x40000103}


@pytest.mark.parametrize("profile, handles, types, pack", [
    ("tfm-1.4", {0x40000100}, {0}, 44),                                # crypto only, type forced to 0
    ("tfm-1.5", ALL_STATELESS, {0, 1001, 1002, 1003, 1004, 1005}, 44),
    ("tfm-1.6", ALL_STATELESS, {0, 1001, 1002, 1003, 1004, 1005}, 52),  # tfm_crypto_defs.h:36-54 of v1.6
])
def test_stateless_calls_reach_the_se_with_the_static_handle(profile: str, handles: set[int],
                                                            types: set[int], pack: int) -> None:
    records: list[IpcRecord] = []
    m = Machine()
    m.load("host", image_path("regression_host_tfm" + profile.removeprefix("tfm-").replace(".", "")))
    m.load("se", image_path("se_firmware"))
    attach_proxy(m, on_record=records.append, profile=profile)
    assert m.run(max_instructions=BUDGET).reason == "exit"
    stateless = [r for r in records if r.se_handle is not None and r.se_handle & 0x40000000]
    assert {r.se_handle for r in stateless} == handles
    assert {r.psa_type for r in stateless} <= types
    assert not any(r.sid in (0x80,) for r in records if r.sid is not None)      # crypto is never connected
    crypto = [r for r in stateless if r.se_handle == 0x40000100 and r.in_vecs]  # (one is refused unforwarded)
    assert crypto and {r.in_vecs[0].size for r in crypto} == {pack}             # in_vec[0]: the request pack


def test_v13_image_under_tfm16_fails_with_a_clear_report(capsys) -> None:
    status = main(["run", "--host", "regression_host", "--profile", "tfm-1.6"])
    out, err = capsys.readouterr()
    assert status != 0
    assert "SID 0x70 is a stateless service in tfm-1.6" in out + err
    assert " 0 failures" not in out


def test_v16_image_under_tfm15_fails_its_aead_tests(capsys) -> None:
    """A v1.5 Crypto partition reads the first 44 bytes of the 52-byte pack: hashes and keys work,
    the AEAD nonce comes from the wrong offset (PSA_ERROR_INVALID_ARGUMENT, -135)."""
    status = main(["run", "--host", "regression_host_tfm16", "--profile", "tfm-1.5"])
    out, _ = capsys.readouterr()
    assert status == 3 and "regression: 107 tests, 3 failures" in out
    assert "TEST crypto.gcm_spec_tc4 FAIL psa_aead_encrypt: expected 0 got -135" in out


def test_v15_image_under_tfm16_fails_its_crypto_tests(capsys) -> None:
    """A v1.6 Crypto partition wants 52 bytes of pack and gets 44: PSA_ERROR_GENERIC_ERROR (-132)."""
    status = main(["run", "--host", "regression_host_tfm15", "--profile", "tfm-1.6"])
    out, _ = capsys.readouterr()
    assert status != 0 and " 0 failures" not in out
    assert "FAIL psa_import_key: expected 0 got -132" in out


def test_v15_image_under_tfm13_fails_with_a_clear_report(capsys) -> None:
    status = main(["run", "--host", "regression_host_tfm15"])
    out, err = capsys.readouterr()
    assert status != 0
    assert "r1 reads as a v1.4+ packed parameter word: type 1001" in out + err
