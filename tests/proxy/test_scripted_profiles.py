"""The scripted Python client follows the machine's release profile: under every profile its ITS,
hash, AEAD and key helpers give the same results, end to end through the SE firmware, while the
SE sees the release's wire (stateless handles and psa_call types, crypto sfn ids, key-attribute
size) in the IPC records.

Oracles: hashlib and cryptography's AESGCM for the results; TF-M's headers as docs/profiles.md
cites them for the wire numbers (stateless handles 0x40000100.., ITS types 1001.., GENERATE_RANDOM
61 in v1.3 and 63 from v1.4, key attributes 24 / 20 bytes) — copied here, not computed by
psaemu.proxy.abi.
"""
from __future__ import annotations

import hashlib
import struct
from typing import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from psaemu.proxy.attestation import verify_token
from psaemu.proxy.client import Handle, PsaClient, boot_se_only
from psaemu.proxy.crypto_client import KeyAttributes
from psaemu.proxy.monitor import IpcRecord
from psaemu.proxy.services import CryptoSfn
from psaemu.proxy.status import PsaStatus

PROFILES = ["tfm-1.3", "tfm-1.4", "tfm-1.5", "tfm-1.6"]
PSA_ALG_GCM, AES, USAGE_EXPORT_ENCRYPT_DECRYPT = 0x05500200, 0x2400, 0x0301
KEY = bytes(range(16))
#: (crypto handle, ITS handle or None, GENERATE_RANDOM sfn id, key-attribute bytes) per release.
WIRE = {
    "tfm-1.3": (None, None, 61, 24),
    "tfm-1.4": (0x40000100, None, 63, 20),
    "tfm-1.5": (0x40000100, 0x40000102, 63, 20),
    "tfm-1.6": (0x40000100, 0x40000102, 63, 20),
}


@pytest.fixture(scope="module", params=PROFILES)
def psa(request: pytest.FixtureRequest) -> Iterator[PsaClient]:
    m, _system = boot_se_only(machine_options={"profile": request.param})
    assert m.psa.abi.release == request.param
    yield m.psa


def _records(psa: PsaClient, action) -> tuple[object, list[IpcRecord]]:
    monitor = psa.system.monitor
    n = monitor.opened
    value = action()
    return value, monitor.since(n)


def test_its_set_get_same_in_every_profile(psa: PsaClient) -> None:
    _crypto, its_handle, _sfn, _attrs = WIRE[psa.abi.release]
    status, set_records = _records(psa, lambda: psa.its_set(0x51, b"profile data"))
    assert status == PsaStatus.PSA_SUCCESS
    data, get_records = _records(psa, lambda: psa.its_get(0x51))
    assert data == b"profile data"
    calls = [r for r in set_records + get_records if r.psa_type is not None]
    if its_handle is None:      # connect -> call -> close on the v1.3 per-function SIDs 0x70 / 0x71
        assert {r.sid for r in set_records + get_records if r.sid is not None} == {0x70, 0x71}
        assert {r.psa_type for r in calls} == {0}
    else:                       # one call each on the ITS handle, the function is the type
        assert [(r.se_handle, r.psa_type) for r in calls] == [(its_handle, 1001), (its_handle, 1002)]
        assert all(r.sid is None for r in set_records + get_records)


def test_sha256_matches_hashlib(psa: PsaClient) -> None:
    data = bytes(range(256)) * 3
    assert psa.hash_sha256(data) == hashlib.sha256(data).digest()


def test_aes_gcm_round_trip_matches_cryptography(psa: PsaClient) -> None:
    key = psa.crypto.import_key(KeyAttributes(alg=PSA_ALG_GCM, usage=USAGE_EXPORT_ENCRYPT_DECRYPT, bits=128,
                                              type=AES), KEY)
    nonce, plaintext, ad = b"N" * 12, b"the same under every profile", b"header"
    ciphertext = psa.crypto.aead_encrypt(key, PSA_ALG_GCM, nonce, plaintext, ad)
    assert ciphertext == AESGCM(KEY).encrypt(nonce, plaintext, ad)
    assert psa.crypto.aead_decrypt(key, PSA_ALG_GCM, nonce, ciphertext, ad) == plaintext
    psa.crypto.destroy_key(key)


def test_key_import_export_with_attributes(psa: PsaClient) -> None:
    given = KeyAttributes(lifetime=1, id=0x2222, alg=PSA_ALG_GCM, usage=USAGE_EXPORT_ENCRYPT_DECRYPT, bits=0,
                          type=AES)
    key, records = _records(psa, lambda: psa.crypto.import_key(given, KEY))
    assert key == 0x2222
    call = next(r for r in records if r.psa_type is not None)
    assert call.in_vecs[1].size == WIRE[psa.abi.release][3]          # the release's attribute struct
    try:
        assert psa.crypto.export_key(key) == KEY
        assert psa.crypto.get_key_attributes(key) == KeyAttributes(lifetime=1, id=0x2222, alg=PSA_ALG_GCM,
                                                                   usage=USAGE_EXPORT_ENCRYPT_DECRYPT, bits=128,
                                                                   type=AES)
    finally:
        psa.crypto.destroy_key(key)


def test_crypto_reaches_the_se_with_the_release_handle_and_sfn_id(psa: PsaClient) -> None:
    crypto_handle, _its, sfn, _attrs = WIRE[psa.abi.release]
    r = psa.crypto.call(CryptoSfn.TFM_CRYPTO_GENERATE_RANDOM, [], [16])
    assert r.ok and len(r.outputs[0]) == 16
    call = next(rec for rec in r.records if rec.psa_type is not None)
    pack = psa.machine.cores["host"].mem_read(call.in_vecs[0].shared_host, 4)
    assert struct.unpack("<I", pack)[0] == sfn
    if crypto_handle is None:
        assert [rec.sid for rec in r.records if rec.sid is not None] == [0x80]
    else:
        assert call.se_handle == crypto_handle and call.psa_type == 0
        assert all(rec.sid is None for rec in r.records)


def test_connect_to_a_stateless_sid_is_refused_like_the_release_spm(psa: PsaClient) -> None:
    crypto_handle = WIRE[psa.abi.release][0]
    result = psa.connect(0x80)
    if crypto_handle is None:
        assert isinstance(result, Handle)
        psa.close(result)
    else:
        assert result == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR


def test_packed_parameters_out_of_range_make_no_call(psa: PsaClient) -> None:
    if not psa.abi.packed_params:
        pytest.skip("tfm-1.3 passes a control block: any int32 type is sent")
    r = psa.call(Handle(0x40000100), 0x8000)
    assert r.status == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR and r.records == []


def test_attestation_token_verifies_in_every_profile(psa: PsaClient) -> None:
    challenge = bytes(range(32))
    token, records = _records(psa, lambda: psa.attest_token(challenge))
    assert psa.attest_token_size(len(challenge)) == len(token)
    # the public-key SID 0x22 has no stateless function: connection-based in every profile
    assert verify_token(token, psa.attest_public_key()).challenge == challenge
    call = next(r for r in records if r.psa_type is not None)
    if psa.abi.release in ("tfm-1.5", "tfm-1.6"):
        assert (call.se_handle, call.psa_type) == (0x40000103, 1001)
    else:
        assert [r.sid for r in records if r.sid is not None] == [0x20]
