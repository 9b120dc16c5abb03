"""The scripted client's crypto helpers behave as TF-M v1.3's client library: the client-side
answers that never reach the SE, and the iovec layout and request pack of each family on the
wire (seen by the IPC monitor and in the proxy's shared buffer). Independent of the SE's engine.
"""
from __future__ import annotations

import pytest

from psaemu.proxy import crypto_values as cv
from psaemu.proxy.client import PsaError, boot_se_only
from psaemu.proxy.crypto_client import (
    CipherOperation,
    CryptoClient,
    HashOperation,
    KeyAttributes,
    KeyDerivationOperation,
    MacOperation,
)
from psaemu.proxy.mailbox_abi import MAILBOX_PSA_CALL
from psaemu.proxy.services import CryptoSfn
from psaemu.proxy.status import PsaStatus
from psaemu.proxy.structs import CryptoPackIovec

S = PsaStatus


@pytest.fixture
def se():
    m, system = boot_se_only()
    return m, system, m.psa.crypto


def _calls(system, since: int) -> list:
    return [r for r in system.monitor.records[since:] if r.call_type == MAILBOX_PSA_CALL]


def _last_call(m, system, since: int):
    """(record, decoded pack) of the one psa_call made since record ``since``."""
    calls = _calls(system, since)
    assert len(calls) == 1, calls
    rec = calls[0]
    pack = CryptoPackIovec.unpack(m.host.read(rec.in_vecs[0].shared_host, CryptoPackIovec.SIZE))
    return rec, pack


def _attempt(fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except PsaError:
        pass


def test_crypto_helpers_hang_off_the_scripted_client(se):
    m, _, crypto = se
    assert isinstance(m.psa.crypto, CryptoClient) and m.psa.crypto.psa is m.psa
    assert KeyAttributes.SIZE == 24


@pytest.mark.parametrize("call", [
    lambda c: c.mac_compute(1, cv.PSA_ALG_HMAC_SHA_256, b"x"),
    lambda c: c.mac_verify(1, cv.PSA_ALG_HMAC_SHA_256, b"x", bytes(32)),
    lambda c: c.cipher_encrypt(1, cv.PSA_ALG_CTR, b"x"),
    lambda c: c.cipher_decrypt(1, cv.PSA_ALG_CTR, b"x"),
    lambda c: c.aead_encrypt_setup(1, cv.PSA_ALG_GCM),
    lambda c: c.aead_decrypt_setup(1, cv.PSA_ALG_GCM),
], ids=["mac_compute", "mac_verify", "cipher_encrypt", "cipher_decrypt", "aead_encrypt_setup", "aead_decrypt_setup"])
def test_v13_client_side_not_supported_makes_no_call(se, call):
    _, system, crypto = se
    n = len(system.monitor.records)
    with pytest.raises(PsaError, match="no call made") as err:
        call(crypto)
    assert err.value.status is S.PSA_ERROR_NOT_SUPPORTED
    assert len(system.monitor.records) == n


def test_other_client_side_rules_make_no_call(se):
    _, system, crypto = se
    n = len(system.monitor.records)
    assert crypto.generate_random(0) == b""
    with pytest.raises(PsaError) as err:
        crypto.aead_encrypt(1, cv.PSA_ALG_GCM, bytes(17), b"x")
    assert err.value.status is S.PSA_ERROR_INVALID_ARGUMENT
    with pytest.raises(PsaError) as err:
        crypto.hash_clone(HashOperation(1), HashOperation(2))
    assert err.value.status is S.PSA_ERROR_BAD_STATE
    assert len(system.monitor.records) == n


def _layout(rec) -> tuple[list[int], list[int]]:
    return [v.size for v in rec.in_vecs], [v.size for v in rec.out_vecs]


def _check_wire_layouts(m, system, cases) -> None:
    """Each case (call, sfn, in lengths, out lengths, pack fields) sends exactly that request."""
    for call, sfn, ins, outs, fields in cases:
        n = len(system.monitor.records)
        _attempt(call)
        rec, pack = _last_call(m, system, n)
        assert pack.sfn_id == sfn and _layout(rec) == (ins, outs), sfn.name
        for name, value in fields.items():
            assert getattr(pack, name) == value, (sfn.name, name)


def test_wire_layouts_of_one_shot_calls(se):
    m, system, crypto = se
    cases = [
        # (call, sfn, in sizes, out sizes, pack fields)
        (lambda: crypto.import_key(KeyAttributes(type=cv.PSA_KEY_TYPE_AES, bits=128), bytes(16)),
         CryptoSfn.TFM_CRYPTO_IMPORT_KEY, [44, 24, 16], [4], {}),
        (lambda: crypto.generate_key(KeyAttributes(type=cv.PSA_KEY_TYPE_AES, bits=128)),
         CryptoSfn.TFM_CRYPTO_GENERATE_KEY, [44, 24], [4], {}),
        (lambda: crypto.copy_key(0x55, KeyAttributes()), CryptoSfn.TFM_CRYPTO_COPY_KEY, [44, 24], [4],
         {"key_id": 0x55}),
        (lambda: crypto.open_key(0x1234), CryptoSfn.TFM_CRYPTO_OPEN_KEY, [44, 4], [4], {}),
        (lambda: crypto.close_key(0x77), CryptoSfn.TFM_CRYPTO_CLOSE_KEY, [44], [], {"key_id": 0x77}),
        (lambda: crypto.purge_key(0x78), CryptoSfn.TFM_CRYPTO_PURGE_KEY, [44], [], {"key_id": 0x78}),
        (lambda: crypto.export_public_key(0x79, 100), CryptoSfn.TFM_CRYPTO_EXPORT_PUBLIC_KEY, [44], [100],
         {"key_id": 0x79}),
        (lambda: crypto.reset_key_attributes(KeyAttributes()), CryptoSfn.TFM_CRYPTO_RESET_KEY_ATTRIBUTES, [44], [24],
         {}),
        (lambda: crypto.sign_hash(0x7A, cv.PSA_ALG_ECDSA_SHA_256, bytes(32), 64), CryptoSfn.TFM_CRYPTO_SIGN_HASH,
         [44, 32], [64], {"key_id": 0x7A, "alg": cv.PSA_ALG_ECDSA_SHA_256}),
        (lambda: crypto.verify_hash(0x7A, cv.PSA_ALG_ECDSA_SHA_256, bytes(32), bytes(64)),
         CryptoSfn.TFM_CRYPTO_VERIFY_HASH, [44, 32, 64], [], {"key_id": 0x7A}),
        (lambda: crypto.asymmetric_encrypt(0x7B, cv.PSA_ALG_RSA_PKCS1V15_CRYPT, bytes(10), None, 128),
         CryptoSfn.TFM_CRYPTO_ASYMMETRIC_ENCRYPT, [44, 10], [128], {"key_id": 0x7B}),
        (lambda: crypto.asymmetric_decrypt(0x7B, cv.PSA_ALG_RSA_PKCS1V15_CRYPT, bytes(128), b"lbl", 128),
         CryptoSfn.TFM_CRYPTO_ASYMMETRIC_DECRYPT, [44, 128, 3], [128], {}),
        (lambda: crypto.raw_key_agreement(cv.PSA_ALG_ECDH, 0x7C, bytes(65), 32),
         CryptoSfn.TFM_CRYPTO_RAW_KEY_AGREEMENT, [44, 65], [32], {"key_id": 0x7C, "alg": cv.PSA_ALG_ECDH}),
        (lambda: crypto.aead_encrypt(0x7D, cv.PSA_ALG_GCM, bytes(range(12)), bytes(5)),
         CryptoSfn.TFM_CRYPTO_AEAD_ENCRYPT, [44, 5], [21], {"nonce_length": 12}),
        (lambda: crypto.aead_decrypt(0x7D, cv.PSA_ALG_GCM, bytes(range(12)), bytes(21), b"ad"),
         CryptoSfn.TFM_CRYPTO_AEAD_DECRYPT, [44, 21, 2], [21], {"nonce_length": 12}),
    ]
    for call, sfn, ins, outs, fields in cases:
        n = len(system.monitor.records)
        _attempt(call)
        rec, pack = _last_call(m, system, n)
        assert pack.sfn_id == sfn
        assert _layout(rec) == (ins, outs), sfn.name
        for name, value in fields.items():
            assert getattr(pack, name) == value, (sfn.name, name)
        if sfn in (CryptoSfn.TFM_CRYPTO_AEAD_ENCRYPT, CryptoSfn.TFM_CRYPTO_AEAD_DECRYPT):
            assert pack.nonce == bytes(range(12)) + bytes(4)


def test_wire_layouts_of_key_derivation(se):
    m, system, crypto = se
    op = KeyDerivationOperation(3)
    K = CryptoSfn
    cases = [
        (lambda: crypto.key_derivation_setup(cv.PSA_ALG_HKDF_SHA_256, KeyDerivationOperation()),
         K.TFM_CRYPTO_KEY_DERIVATION_SETUP, [44], [4], {"alg": cv.PSA_ALG_HKDF_SHA_256, "op_handle": 0}),
        (lambda: crypto.key_derivation_get_capacity(op), K.TFM_CRYPTO_KEY_DERIVATION_GET_CAPACITY, [44], [4],
         {"op_handle": 3}),
        (lambda: crypto.key_derivation_set_capacity(op, 99), K.TFM_CRYPTO_KEY_DERIVATION_SET_CAPACITY, [44], [],
         {"op_handle": 3, "capacity": 99}),
        (lambda: crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_INFO, b"info"),
         K.TFM_CRYPTO_KEY_DERIVATION_INPUT_BYTES, [44, 4], [], {"op_handle": 3, "step": 0x0203}),
        (lambda: crypto.key_derivation_input_key(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, 0x42),
         K.TFM_CRYPTO_KEY_DERIVATION_INPUT_KEY, [44], [], {"op_handle": 3, "step": 0x0101, "key_id": 0x42}),
        (lambda: crypto.key_derivation_key_agreement(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, 0x43, bytes(65)),
         K.TFM_CRYPTO_KEY_DERIVATION_KEY_AGREEMENT, [44, 65], [], {"op_handle": 3, "key_id": 0x43}),
        (lambda: crypto.key_derivation_output_bytes(op, 20), K.TFM_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES, [44], [20],
         {"op_handle": 3}),
        (lambda: crypto.key_derivation_output_key(KeyAttributes(), op), K.TFM_CRYPTO_KEY_DERIVATION_OUTPUT_KEY,
         [44, 24], [4], {"op_handle": 3}),
        (lambda: crypto.key_derivation_abort(op), K.TFM_CRYPTO_KEY_DERIVATION_ABORT, [44], [4], {"op_handle": 3}),
    ]
    _check_wire_layouts(m, system, cases)


def test_wire_layouts_of_cipher_and_mac_multipart(se):
    m, system, crypto = se
    c, mac = CipherOperation(4), MacOperation(6)
    K = CryptoSfn
    cases = [
        (lambda: crypto.cipher_encrypt_setup(9, cv.PSA_ALG_CTR, CipherOperation()), K.TFM_CRYPTO_CIPHER_ENCRYPT_SETUP,
         [44], [4], {"key_id": 9, "alg": cv.PSA_ALG_CTR}),
        (lambda: crypto.cipher_generate_iv(c), K.TFM_CRYPTO_CIPHER_GENERATE_IV, [44], [4, 16], {"op_handle": 4}),
        (lambda: crypto.cipher_set_iv(c, bytes(16)), K.TFM_CRYPTO_CIPHER_SET_IV, [44, 16], [4], {"op_handle": 4}),
        (lambda: crypto.cipher_update(c, bytes(20)), K.TFM_CRYPTO_CIPHER_UPDATE, [44, 20], [4, 36], {"op_handle": 4}),
        (lambda: crypto.cipher_finish(c), K.TFM_CRYPTO_CIPHER_FINISH, [44], [4, 16], {"op_handle": 4}),
        (lambda: crypto.cipher_abort(c), K.TFM_CRYPTO_CIPHER_ABORT, [44], [4], {"op_handle": 4}),
        (lambda: crypto.mac_sign_finish(mac, 32), K.TFM_CRYPTO_MAC_SIGN_FINISH, [44], [4, 32], {"op_handle": 6}),
        (lambda: crypto.hash_clone(HashOperation(7)), K.TFM_CRYPTO_HASH_CLONE, [44], [4], {"op_handle": 7}),
    ]
    _check_wire_layouts(m, system, cases)


def test_a_failed_step_leaves_the_operation_handle_as_it_was(se):
    _, _, crypto = se
    op = HashOperation(5)                     # no such operation on the SE
    with pytest.raises(PsaError):
        crypto.hash_update(op, b"x")
    assert op.handle == 5                     # the proxy copies outputs back only on success
