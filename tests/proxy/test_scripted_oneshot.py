"""The functions TF-M v1.4+ clients added (psa_sign_message / psa_verify_message) and the one-shot
MAC and cipher functions they send (v1.3's client refused them), end to end from the scripted client
through the SE firmware under each later profile; under tfm-1.3 the same calls make no call.

Oracles: `cryptography` (ECDSA P-256 and RSA-PSS signatures both ways, AES-CTR / AES-CBC) and
hmac/hashlib (HMAC-SHA-256). The wire numbers are TF-M's (docs/profiles.md cites them): SIGN_MESSAGE
47 and VERIFY_MESSAGE 48 in v1.4's tfm_crypto_defs.h enum, MAC_COMPUTE 18, CIPHER_ENCRYPT 26 —
written out here, not taken from psaemu.proxy.abi. Algorithm and key-type values are PSA Crypto's.
"""
from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Iterator

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from psaemu.proxy.client import PsaClient, PsaError, boot_se_only
from psaemu.proxy.crypto_client import KeyAttributes
from psaemu.proxy.status import PsaStatus
from psaemu.proxy.structs import CryptoPackIovec

ECDSA_SHA256, RSA_PSS_SHA256, HMAC_SHA256 = 0x06000609, 0x06000309, 0x03800009
ECDSA_ANY, CTR, CBC_NO_PADDING = 0x06000600, 0x04C01000, 0x04404000
ECC_P256_PAIR, ECC_P256_PUBLIC, RSA_PAIR, HMAC_KEY, AES = 0x7112, 0x4112, 0x7001, 0x1100, 0x2400
SIGN_MESSAGE, VERIFY_MESSAGE, SIGN_HASH, VERIFY_HASH = 0x400, 0x800, 0x1000, 0x2000
ENCRYPT_DECRYPT = 0x300
WIRE_SFN = {"SIGN_MESSAGE": 47, "VERIFY_MESSAGE": 48, "MAC_COMPUTE": 18, "CIPHER_ENCRYPT": 26}
MESSAGE = b"signed by the SE under a later release profile" * 3
P256 = ec.derive_private_key(0x1F2E3D4C5B6A79880123456789ABCDEF0FEDCBA987654321FFEEDDCCBBAA9988, ec.SECP256R1())


@pytest.fixture(scope="module", params=["tfm-1.4", "tfm-1.5", "tfm-1.6"])
def psa(request: pytest.FixtureRequest) -> Iterator[PsaClient]:
    m, _system = boot_se_only(machine_options={"profile": request.param})
    yield m.psa


@pytest.fixture(scope="module")
def v13() -> PsaClient:
    m, _system = boot_se_only(machine_options={"profile": "tfm-1.3"})
    return m.psa


def _import(psa: PsaClient, type_: int, bits: int, usage: int, alg: int, data: bytes) -> int:
    return psa.crypto.import_key(KeyAttributes(type=type_, bits=bits, usage=usage, alg=alg), data)


def _p256_key(psa: PsaClient, usage: int = SIGN_MESSAGE | VERIFY_MESSAGE) -> int:
    return _import(psa, ECC_P256_PAIR, 256, usage, ECDSA_SHA256, P256.private_numbers().private_value.to_bytes(32, "big"))


def _der(raw: bytes) -> bytes:
    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def test_sign_message_ecdsa_p256_verifies_with_cryptography(psa: PsaClient) -> None:
    key = _p256_key(psa)
    signature = psa.crypto.sign_message(key, ECDSA_SHA256, MESSAGE)
    assert len(signature) == 64                                       # r || s
    P256.public_key().verify(_der(signature), MESSAGE, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        P256.public_key().verify(_der(signature), MESSAGE + b"!", ec.ECDSA(hashes.SHA256()))
    psa.crypto.destroy_key(key)


def test_verify_message_of_a_cryptography_signature(psa: PsaClient) -> None:
    public = P256.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    key = _import(psa, ECC_P256_PUBLIC, 256, VERIFY_MESSAGE, ECDSA_SHA256, public)
    r, s = decode_dss_signature(P256.sign(MESSAGE, ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    psa.crypto.verify_message(key, ECDSA_SHA256, MESSAGE, raw)
    with pytest.raises(PsaError) as err:
        psa.crypto.verify_message(key, ECDSA_SHA256, MESSAGE[:-1], raw)
    assert err.value.status == PsaStatus.PSA_ERROR_INVALID_SIGNATURE
    psa.crypto.destroy_key(key)


def test_sign_message_rsa_pss_both_ways(psa: PsaClient) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    key = _import(psa, RSA_PAIR, 1024, SIGN_HASH | VERIFY_HASH, RSA_PSS_SHA256, der)   # _HASH implies _MESSAGE
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    signature = psa.crypto.sign_message(key, RSA_PSS_SHA256, MESSAGE)
    private.public_key().verify(signature, MESSAGE, pss, hashes.SHA256())
    ours = private.sign(MESSAGE, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    psa.crypto.verify_message(key, RSA_PSS_SHA256, MESSAGE, ours)
    psa.crypto.destroy_key(key)


def test_sign_message_policy_and_algorithm_checks(psa: PsaClient) -> None:
    key = _p256_key(psa, usage=VERIFY_MESSAGE)              # may verify, not sign
    with pytest.raises(PsaError) as err:
        psa.crypto.sign_message(key, ECDSA_SHA256, MESSAGE)
    assert err.value.status == PsaStatus.PSA_ERROR_NOT_PERMITTED
    psa.crypto.destroy_key(key)
    key = _import(psa, ECC_P256_PAIR, 256, SIGN_MESSAGE, ECDSA_ANY, P256.private_numbers().private_value.to_bytes(32, "big"))
    with pytest.raises(PsaError) as err:                    # no hash to hash the message with
        psa.crypto.sign_message(key, ECDSA_ANY, MESSAGE)
    assert err.value.status == PsaStatus.PSA_ERROR_INVALID_ARGUMENT
    psa.crypto.destroy_key(key)


def test_mac_compute_and_verify_match_hmac(psa: PsaClient) -> None:
    secret = bytes(range(32))
    key = _import(psa, HMAC_KEY, 256, SIGN_HASH | VERIFY_HASH, HMAC_SHA256, secret)
    expected = hmac.new(secret, MESSAGE, hashlib.sha256).digest()
    assert psa.crypto.mac_compute(key, HMAC_SHA256, MESSAGE) == expected
    psa.crypto.mac_verify(key, HMAC_SHA256, MESSAGE, expected)
    with pytest.raises(PsaError) as err:
        psa.crypto.mac_verify(key, HMAC_SHA256, MESSAGE, bytes(32))
    assert err.value.status == PsaStatus.PSA_ERROR_INVALID_SIGNATURE
    psa.crypto.destroy_key(key)


@pytest.mark.parametrize("alg, mode", [(CTR, modes.CTR), (CBC_NO_PADDING, modes.CBC)], ids=["ctr", "cbc"])
def test_cipher_encrypt_decrypt_match_cryptography(psa: PsaClient, alg: int, mode) -> None:
    secret = bytes(range(100, 116))
    key = _import(psa, AES, 128, ENCRYPT_DECRYPT, alg, secret)
    plaintext = bytes(range(64))
    out = psa.crypto.cipher_encrypt(key, alg, plaintext)
    iv, ciphertext = out[:16], out[16:]
    encryptor = Cipher(algorithms.AES(secret), mode(iv)).encryptor()
    assert ciphertext == encryptor.update(plaintext) + encryptor.finalize()
    assert psa.crypto.cipher_decrypt(key, alg, out) == plaintext
    psa.crypto.destroy_key(key)


def test_the_se_receives_the_release_sfn_ids(psa: PsaClient) -> None:
    key = _p256_key(psa)
    monitor = psa.system.monitor
    seen = {}
    for name, action in [("SIGN_MESSAGE", lambda: psa.crypto.sign_message(key, ECDSA_SHA256, b"m")),
                         ("MAC_COMPUTE", lambda: pytest.raises(PsaError, psa.crypto.mac_compute, key, HMAC_SHA256, b"m")),
                         ("CIPHER_ENCRYPT", lambda: pytest.raises(PsaError, psa.crypto.cipher_encrypt, key, CTR, b"m"))]:
        n = monitor.opened
        action()
        call = [r for r in monitor.since(n) if r.psa_type is not None][-1]
        assert call.se_handle == 0x40000100
        raw = psa.machine.host.read(call.in_vecs[0].shared_host, CryptoPackIovec.SIZE)
        seen[name] = struct.unpack_from("<I", raw)[0]
    assert seen == {k: WIRE_SFN[k] for k in seen}
    psa.crypto.destroy_key(key)


@pytest.mark.parametrize("call", [
    lambda c: c.sign_message(1, ECDSA_SHA256, b"x"),
    lambda c: c.verify_message(1, ECDSA_SHA256, b"x", bytes(64)),
    lambda c: c.mac_compute(1, HMAC_SHA256, b"x"),
    lambda c: c.cipher_encrypt(1, CTR, b"x"),
], ids=["sign_message", "verify_message", "mac_compute", "cipher_encrypt"])
def test_tfm13_client_refuses_without_a_call(v13: PsaClient, call) -> None:
    system = v13.system
    n = len(system.monitor.records)
    with pytest.raises(PsaError, match="no call made") as err:
        call(v13.crypto)
    assert err.value.status == PsaStatus.PSA_ERROR_NOT_SUPPORTED
    assert len(system.monitor.records) == n
