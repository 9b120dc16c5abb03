"""Multipart AEAD (psa_aead_*) under tfm-1.6 through the SE firmware's Crypto service, against
`cryptography`'s one-shot AESGCM / AESCCM; under tfm-1.5 the client refuses them without a call
and the v1.5 service answers NOT_SUPPORTED (TF-M v1.5.0 crypto_aead.c).

PSA values are PSA Crypto 1.0's: PSA_ALG_GCM 0x05500200, PSA_ALG_CCM 0x05500100, PSA_KEY_TYPE_AES
0x2400, usage ENCRYPT|DECRYPT 0x300. Multipart AEAD ids are the v1.3 enum's 37..46 (unchanged in
v1.6, TF-Mv1.6.0 interface/include/tfm_crypto_defs.h).
"""
from __future__ import annotations

from typing import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

from psaemu.proxy.client import PsaClient, PsaError, boot_se_only
from psaemu.proxy.crypto_client import AeadOperation, KeyAttributes
from psaemu.proxy.status import PsaStatus

GCM, CCM, AES, ENCRYPT_DECRYPT = 0x05500200, 0x05500100, 0x2400, 0x300
KEY = bytes(range(0x20, 0x30))
NONCE12, NONCE13 = bytes.fromhex("000102030405060708090a0b"), bytes(range(13))
AD = b"additional data, sent in two parts"
PT = bytes(range(256)) * 2 + b"tail"


def status(fn, *args) -> int:
    with pytest.raises(PsaError) as exc:
        fn(*args)
    return exc.value.status


@pytest.fixture(scope="module")
def psa() -> Iterator[PsaClient]:
    m, _system = boot_se_only(machine_options={"profile": "tfm-1.6"})
    yield m.psa


def key_for(psa: PsaClient, alg: int) -> int:
    return psa.crypto.import_key(KeyAttributes(type=AES, bits=128, usage=ENCRYPT_DECRYPT, alg=alg), KEY)


def seal(psa: PsaClient, key: int, alg: int, nonce: bytes, lengths: bool) -> bytes:
    c = psa.crypto
    op = c.aead_encrypt_setup(key, alg)
    assert op.active
    if lengths:
        c.aead_set_lengths(op, len(AD), len(PT))
    c.aead_set_nonce(op, nonce)
    c.aead_update_ad(op, AD[:7])
    c.aead_update_ad(op, AD[7:])
    out = b"".join(c.aead_update(op, PT[i:i + 100]) for i in range(0, len(PT), 100))
    rest, tag = c.aead_finish(op)
    assert not op.active
    return out + rest + tag


def test_gcm_chunks_equal_the_one_shot_and_open_again(psa: PsaClient) -> None:
    key = key_for(psa, GCM)
    sealed = seal(psa, key, GCM, NONCE12, lengths=False)
    assert sealed == AESGCM(KEY).encrypt(NONCE12, PT, AD)
    c = psa.crypto
    op = c.aead_decrypt_setup(key, GCM)
    c.aead_set_nonce(op, NONCE12)
    c.aead_update_ad(op, AD)
    opened = c.aead_update(op, sealed[:333]) + c.aead_update(op, sealed[333:-16])
    assert opened + c.aead_verify(op, sealed[-16:]) == PT and not op.active
    op = c.aead_decrypt_setup(key, GCM)
    c.aead_set_nonce(op, NONCE12)
    c.aead_update_ad(op, AD)
    c.aead_update(op, sealed[:-16])
    bad = sealed[-16:-1] + bytes([sealed[-1] ^ 0x80])
    assert status(c.aead_verify, op, bad) == PsaStatus.PSA_ERROR_INVALID_SIGNATURE
    assert op.active                                       # v1.6: kept until the client aborts it
    assert status(c.aead_verify, op, sealed[-16:]) == PsaStatus.PSA_ERROR_BAD_STATE
    c.aead_abort(op)
    assert not op.active
    c.destroy_key(key)


def test_ccm_with_set_lengths_equals_aesccm(psa: PsaClient) -> None:
    key = key_for(psa, CCM)
    assert seal(psa, key, CCM, NONCE13, lengths=True) == AESCCM(KEY).encrypt(NONCE13, PT, AD)
    c = psa.crypto
    op = c.aead_encrypt_setup(key, CCM)
    c.aead_set_nonce(op, NONCE13)
    assert status(c.aead_update_ad, op, AD) == PsaStatus.PSA_ERROR_BAD_STATE     # CCM: lengths first
    c.aead_abort(op)
    op = c.aead_encrypt_setup(key, CCM)
    c.aead_set_lengths(op, 0, 3)
    c.aead_set_nonce(op, NONCE13)
    assert status(c.aead_update, op, b"four") == PsaStatus.PSA_ERROR_INVALID_ARGUMENT  # > declared
    c.aead_abort(op)
    c.destroy_key(key)


def test_generated_nonce_and_state_errors(psa: PsaClient) -> None:
    c = psa.crypto
    key = key_for(psa, GCM)
    op = c.aead_encrypt_setup(key, GCM)
    assert status(c.aead_update, op, b"early") == PsaStatus.PSA_ERROR_BAD_STATE    # no nonce yet
    assert status(c.aead_encrypt_setup, key, GCM, op) == PsaStatus.PSA_ERROR_BAD_STATE   # still held
    c.aead_abort(op)
    nonce = c.aead_generate_nonce(c.aead_encrypt_setup(key, GCM, op))
    assert len(nonce) == 12
    assert status(c.aead_set_nonce, op, NONCE12) == PsaStatus.PSA_ERROR_BAD_STATE  # nonce twice
    c.aead_abort(op)
    nonce = c.aead_generate_nonce(c.aead_encrypt_setup(key, GCM, op))
    ct = c.aead_update(op, PT[:50])
    assert status(c.aead_update_ad, op, AD) == PsaStatus.PSA_ERROR_BAD_STATE      # AD after data
    c.aead_abort(op)
    c.aead_generate_nonce(c.aead_encrypt_setup(key, GCM, op))
    _, tag = c.aead_finish(op, ciphertext_size=0)
    assert len(tag) == 16 and not op.active
    dec = c.aead_decrypt_setup(key, GCM)
    assert status(c.aead_generate_nonce, dec) == PsaStatus.PSA_ERROR_BAD_STATE
    c.aead_abort(dec)
    assert status(c.aead_update, AeadOperation(handle=0), b"x") == PsaStatus.PSA_ERROR_BAD_STATE
    assert ct == AESGCM(KEY).encrypt(nonce, PT[:50], b"")[:50]
    signer = c.import_key(KeyAttributes(type=AES, bits=128, usage=0x100, alg=GCM), KEY)   # ENCRYPT only
    assert status(c.aead_decrypt_setup, signer, GCM) == PsaStatus.PSA_ERROR_NOT_PERMITTED
    c.destroy_key(signer)
    c.destroy_key(key)


def test_tfm_15_keeps_multipart_aead_not_supported() -> None:
    m, _system = boot_se_only(machine_options={"profile": "tfm-1.5"})
    c = m.psa.crypto
    key = c.import_key(KeyAttributes(type=AES, bits=128, usage=ENCRYPT_DECRYPT, alg=GCM), KEY)
    n = m.psa.system.monitor.opened
    assert status(c.aead_encrypt_setup, key, GCM) == PsaStatus.PSA_ERROR_NOT_SUPPORTED
    assert not [r for r in m.psa.system.monitor.since(n) if r.psa_type is not None]    # no call made
    r = c.call(37, [], [4], key_id=key, alg=GCM)                                        # sent anyway
    assert r.status == PsaStatus.PSA_ERROR_NOT_SUPPORTED
