"""The SE's Crypto service per PSA Crypto family, through the real proxy path (scripted client ->
Host SPM -> PSA Proxy -> SE firmware), checked against the ``cryptography``/hashlib oracle and
against published vectors (FIPS 180-2/CAVP, SP 800-38A, GCM spec, RFC 3610, 4231, 4493, 5869,
6979, 7748, 8439). Error codes: test_crypto_errors.py; client-side rules: test_crypto_client.py.
"""
from __future__ import annotations

import hashlib
import hmac
import os

import crypto_vectors as V
import pytest
from crypto_support import HASHES, S, attrs, crypto, import_key, status_of  # noqa: F401 (fixture)
from cryptography.hazmat.decrepit.ciphers import modes as old_modes
from cryptography.hazmat.primitives import cmac, hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519
from cryptography.hazmat.primitives.asymmetric import padding as apad
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from psaemu.proxy import crypto_values as cv

HASH_OBJ = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
            "sha512": hashes.SHA512}
CURVES = {"secp256r1": (ec.SECP256R1, 256), "secp384r1": (ec.SECP384R1, 384)}
MODES = {"ecb": cv.PSA_ALG_ECB_NO_PADDING, "cbc": cv.PSA_ALG_CBC_NO_PADDING, "ctr": cv.PSA_ALG_CTR,
         "cfb": cv.PSA_ALG_CFB, "ofb": cv.PSA_ALG_OFB}


# --------------------------------------------------------------------------------------------
# The vectors themselves (no SE): a copying mistake must not look like a firmware bug
def test_crypto_vectors_agree_with_the_oracle():
    for name, digest in V.SHA_ABC.items():
        assert hashlib.new(name, b"abc").digest() == digest, name
    for key, msg, macs in V.HMAC_RFC4231:
        for name, mac in macs.items():
            assert hmac.new(key, msg, name).digest() == mac, name
    for msg, mac in V.CMAC_RFC4493:
        assert _cmac(V.CMAC_KEY, msg) == mac
    for mode, (iv, block) in V.SP800_38A.items():
        assert _aes(V.SP800_38A_KEY, mode, iv, V.SP800_38A_P1) == block, mode
    for key, iv, p, aad, c, tag in V.GCM_VECTORS:
        assert AESGCM(key).encrypt(iv, p, aad or None) == c + tag
    v = V.CCM_RFC3610_1
    assert AESCCM(v["key"], v["tag_len"]).encrypt(v["nonce"], v["plaintext"], v["aad"]) == v["output"]
    v = V.CHACHAPOLY_RFC8439
    out = ChaCha20Poly1305(v["key"]).encrypt(v["nonce"], v["plaintext"], v["aad"])
    assert out[:16] == v["ciphertext_head"] and out[-16:] == v["tag"]
    v = V.ECDSA_P256_RFC6979
    pub = _p256_public(v["x"])
    assert pub.public_numbers().x == int.from_bytes(v["ux"], "big")
    pub.verify(encode_dss_signature(int.from_bytes(v["r"], "big"), int.from_bytes(v["s"], "big")),
               v["message"], ec.ECDSA(hashes.SHA256()))
    v = V.HKDF_RFC5869_1
    assert HKDF(hashes.SHA256(), v["length"], v["salt"], v["info"]).derive(v["ikm"]) == v["okm"]
    v = V.X25519_RFC7748
    alice = x25519.X25519PrivateKey.from_private_bytes(v["alice_private"])
    assert alice.public_key().public_bytes_raw() == v["alice_public"]
    assert alice.exchange(x25519.X25519PublicKey.from_public_bytes(v["bob_public"])) == v["shared"]


# --------------------------------------------------------------------------------------------
# oracle helpers
def _cmac(key: bytes, msg: bytes) -> bytes:
    c = cmac.CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def _aes(key: bytes, mode: str, iv: bytes | None, data: bytes, decrypt: bool = False) -> bytes:
    m = {"ecb": lambda: modes.ECB(), "cbc": lambda: modes.CBC(iv), "ctr": lambda: modes.CTR(iv),
         "cfb": lambda: old_modes.CFB(iv), "ofb": lambda: old_modes.OFB(iv)}[mode]()
    c = Cipher(algorithms.AES(key), m)
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def _p256_public(x: bytes) -> ec.EllipticCurvePublicKey:
    return ec.derive_private_key(int.from_bytes(x, "big"), ec.SECP256R1()).public_key()


def _point(pub: ec.EllipticCurvePublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _scalar(priv: ec.EllipticCurvePrivateKey) -> bytes:
    return priv.private_numbers().private_value.to_bytes((priv.curve.key_size + 7) // 8, "big")


def _raw_sig(der: bytes, size: int) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _der_sig(raw: bytes) -> bytes:
    n = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:n], "big"), int.from_bytes(raw[n:], "big"))


def _rsa_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _rsa_pub_der(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


_RSA_KEYS: dict[int, rsa.RSAPrivateKey] = {}


def _rsa_key(bits: int) -> rsa.RSAPrivateKey:
    if bits not in _RSA_KEYS:
        _RSA_KEYS[bits] = rsa.generate_private_key(65537, bits)
    return _RSA_KEYS[bits]


def _tls12_prf(hash_name: str, secret: bytes, label: bytes, seed: bytes, n: int) -> bytes:
    """RFC 5246 §5 P_hash (the oracle of PSA_ALG_TLS12_PRF)."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hash_name).digest()
        out += hmac.new(secret, a + seed, hash_name).digest()
    return out[:n]


# --------------------------------------------------------------------------------------------
# Hash
@pytest.mark.parametrize("name", list(HASHES))
def test_hash_compute_matches_fips_180_and_hashlib(crypto, name):
    alg = HASHES[name]
    assert crypto.hash_compute(alg, b"abc") == V.SHA_ABC[name]
    for n in (0, 1, 55, 56, 64, 1000, 4000):
        data = os.urandom(n)
        assert crypto.hash_compute(alg, data) == hashlib.new(name, data).digest(), n


@pytest.mark.parametrize("name", list(HASHES))
def test_hash_multipart_clone_compare_verify(crypto, name):
    alg = HASHES[name]
    data = os.urandom(3000)
    expected = hashlib.new(name, data).digest()
    op = crypto.hash_setup(alg)
    assert op.handle != 0
    crypto.hash_update(op, data[:1000])
    twin = crypto.hash_clone(op)
    assert twin.handle not in (0, op.handle)
    crypto.hash_update(op, data[1000:])
    assert crypto.hash_finish(op) == expected and op.handle == 0
    crypto.hash_update(twin, data[1000:])
    crypto.hash_verify(twin, expected)
    assert twin.handle == 0
    crypto.hash_compare(alg, data, expected)
    aborted = crypto.hash_setup(alg)
    crypto.hash_abort(aborted)
    assert aborted.handle == 0


# --------------------------------------------------------------------------------------------
# MAC (multipart; the one-shot functions are client-side NOT_SUPPORTED in v1.3)
def _hmac_key(crypto, key: bytes, name: str, usage: int = cv.PSA_KEY_USAGE_SIGN_HASH | cv.PSA_KEY_USAGE_VERIFY_HASH):
    return import_key(crypto, cv.PSA_KEY_TYPE_HMAC, key, usage, cv.psa_alg_hmac(HASHES[name]))


@pytest.mark.parametrize("name", list(HASHES))
def test_hmac_matches_rfc_4231_and_hmac_module(crypto, name):
    alg = cv.psa_alg_hmac(HASHES[name])
    for key, msg, macs in V.HMAC_RFC4231:
        k = _hmac_key(crypto, key, name)
        mac = crypto.mac(k, alg, msg)
        assert mac == hmac.new(key, msg, name).digest()
        if name in macs:
            assert mac == macs[name]
        op = crypto.mac_verify_setup(k, alg)
        crypto.mac_update(op, msg[:3])
        crypto.mac_update(op, msg[3:])
        crypto.mac_verify_finish(op, mac)
        assert op.handle == 0
        crypto.destroy_key(k)


def test_truncated_hmac(crypto):
    key = os.urandom(32)
    alg = cv.psa_alg_truncated_mac(cv.PSA_ALG_HMAC_SHA_256, 16)
    k = import_key(crypto, cv.PSA_KEY_TYPE_HMAC, key, cv.PSA_KEY_USAGE_SIGN_HASH, alg)
    assert crypto.mac(k, alg, b"data") == hmac.new(key, b"data", "sha256").digest()[:16]


def test_cmac_matches_rfc_4493(crypto):
    k = import_key(crypto, cv.PSA_KEY_TYPE_AES, V.CMAC_KEY,
                   cv.PSA_KEY_USAGE_SIGN_HASH | cv.PSA_KEY_USAGE_VERIFY_HASH, cv.PSA_ALG_CMAC)
    for msg, mac in V.CMAC_RFC4493:
        assert crypto.mac(k, cv.PSA_ALG_CMAC, msg) == mac
    for bits in (192, 256):
        key = os.urandom(bits // 8)
        k2 = import_key(crypto, cv.PSA_KEY_TYPE_AES, key, cv.PSA_KEY_USAGE_SIGN_HASH, cv.PSA_ALG_CMAC)
        assert crypto.mac(k2, cv.PSA_ALG_CMAC, b"x" * 100) == _cmac(key, b"x" * 100)


# --------------------------------------------------------------------------------------------
# Unauthenticated ciphers (multipart; one-shot is client-side NOT_SUPPORTED in v1.3)
def _aes_key(crypto, key: bytes, alg: int) -> int:
    return import_key(crypto, cv.PSA_KEY_TYPE_AES, key, cv.PSA_KEY_USAGE_ENCRYPT | cv.PSA_KEY_USAGE_DECRYPT, alg)


@pytest.mark.parametrize("mode", list(MODES))
def test_aes_modes_match_sp800_38a(crypto, mode):
    iv, block = V.SP800_38A[mode]
    k = _aes_key(crypto, V.SP800_38A_KEY, MODES[mode])
    assert crypto.cipher(k, MODES[mode], V.SP800_38A_P1, iv) == block
    assert crypto.cipher(k, MODES[mode], block, iv, decrypt=True) == V.SP800_38A_P1


@pytest.mark.parametrize("bits", [128, 192, 256])
@pytest.mark.parametrize("mode", list(MODES))
def test_aes_modes_match_the_oracle(crypto, mode, bits):
    key, alg = os.urandom(bits // 8), MODES[mode]
    k = _aes_key(crypto, key, alg)
    data = os.urandom(16 * 5 if mode in ("ecb", "cbc") else 75)
    # split updates: the service buffers partial blocks where the mode needs it
    op = crypto.cipher_encrypt_setup(k, alg)
    iv = crypto.cipher_generate_iv(op) if mode != "ecb" else None
    assert iv is None or len(iv) == 16
    ct = crypto.cipher_update(op, data[:21]) + crypto.cipher_update(op, data[21:]) + crypto.cipher_finish(op)
    assert op.handle == 0
    assert ct == _aes(key, mode, iv, data)
    assert crypto.cipher(k, alg, ct, iv, decrypt=True) == data


def test_aes_cbc_pkcs7_matches_the_oracle(crypto):
    key, iv = os.urandom(16), os.urandom(16)
    k = _aes_key(crypto, key, cv.PSA_ALG_CBC_PKCS7)
    for n in (0, 1, 15, 16, 17, 100):
        data = os.urandom(n)
        p = padding.PKCS7(128).padder()
        expected = _aes(key, "cbc", iv, p.update(data) + p.finalize())
        assert crypto.cipher(k, cv.PSA_ALG_CBC_PKCS7, data, iv) == expected, n
        assert crypto.cipher(k, cv.PSA_ALG_CBC_PKCS7, expected, iv, decrypt=True) == data, n


# --------------------------------------------------------------------------------------------
# AEAD (one-shot)
def _aead_key(crypto, type_: int, key: bytes, alg: int) -> int:
    return import_key(crypto, type_, key, cv.PSA_KEY_USAGE_ENCRYPT | cv.PSA_KEY_USAGE_DECRYPT, alg)


def test_gcm_matches_the_gcm_spec_vectors(crypto):
    for key, iv, p, aad, c, tag in V.GCM_VECTORS:
        k = _aead_key(crypto, cv.PSA_KEY_TYPE_AES, key, cv.PSA_ALG_GCM)
        assert crypto.aead_encrypt(k, cv.PSA_ALG_GCM, iv, p, aad) == c + tag
        assert crypto.aead_decrypt(k, cv.PSA_ALG_GCM, iv, c + tag, aad) == p
        crypto.destroy_key(k)


@pytest.mark.parametrize("bits", [128, 192, 256])
def test_gcm_and_ccm_match_the_oracle(crypto, bits):
    key, data, aad = os.urandom(bits // 8), os.urandom(100), os.urandom(20)
    k = _aead_key(crypto, cv.PSA_KEY_TYPE_AES, key, cv.PSA_ALG_GCM)
    nonce = os.urandom(12)
    assert crypto.aead_encrypt(k, cv.PSA_ALG_GCM, nonce, data, aad) == AESGCM(key).encrypt(nonce, data, aad)
    assert crypto.aead_encrypt(k, cv.PSA_ALG_GCM, nonce, data) == AESGCM(key).encrypt(nonce, data, None)
    k2 = _aead_key(crypto, cv.PSA_KEY_TYPE_AES, key, cv.PSA_ALG_CCM)
    nonce = os.urandom(13)
    ct = crypto.aead_encrypt(k2, cv.PSA_ALG_CCM, nonce, data, aad)
    assert ct == AESCCM(key, 16).encrypt(nonce, data, aad)
    assert crypto.aead_decrypt(k2, cv.PSA_ALG_CCM, nonce, ct, aad) == data


def test_ccm_matches_rfc_3610(crypto):
    v = V.CCM_RFC3610_1
    alg = cv.psa_alg_aead_with_tag_length(cv.PSA_ALG_CCM, v["tag_len"])
    k = _aead_key(crypto, cv.PSA_KEY_TYPE_AES, v["key"], alg)
    assert crypto.aead_encrypt(k, alg, v["nonce"], v["plaintext"], v["aad"]) == v["output"]
    assert crypto.aead_decrypt(k, alg, v["nonce"], v["output"], v["aad"]) == v["plaintext"]


def test_chacha20_poly1305_matches_rfc_8439(crypto):
    v = V.CHACHAPOLY_RFC8439
    alg = cv.PSA_ALG_CHACHA20_POLY1305
    k = _aead_key(crypto, cv.PSA_KEY_TYPE_CHACHA20, v["key"], alg)
    out = crypto.aead_encrypt(k, alg, v["nonce"], v["plaintext"], v["aad"])
    assert out == ChaCha20Poly1305(v["key"]).encrypt(v["nonce"], v["plaintext"], v["aad"])
    assert out[:16] == v["ciphertext_head"] and out[-16:] == v["tag"]
    assert crypto.aead_decrypt(k, alg, v["nonce"], out, v["aad"]) == v["plaintext"]


# --------------------------------------------------------------------------------------------
# ECDSA
def _ecc_pair(crypto, priv: ec.EllipticCurvePrivateKey, alg: int, usage: int = 0) -> int:
    usage = usage or cv.PSA_KEY_USAGE_SIGN_HASH | cv.PSA_KEY_USAGE_VERIFY_HASH
    return import_key(crypto, cv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1, _scalar(priv), usage, alg)


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
@pytest.mark.parametrize("curve", list(CURVES))
@pytest.mark.parametrize("deterministic", [False, True], ids=["randomised", "deterministic"])
def test_ecdsa_sign_verify_against_cryptography(crypto, curve, hash_name, deterministic):
    cls, bits = CURVES[curve]
    size = (bits + 7) // 8
    priv = ec.generate_private_key(cls())
    hash_alg = HASHES[hash_name]
    alg = (cv.psa_alg_deterministic_ecdsa if deterministic else cv.psa_alg_ecdsa)(hash_alg)
    k = _ecc_pair(crypto, priv, alg)
    digest = hashlib.new(hash_name, b"message").digest()
    sig = crypto.sign_hash(k, alg, digest)
    assert len(sig) == 2 * size
    oracle_hash = Prehashed(HASH_OBJ[hash_name]())
    priv.public_key().verify(_der_sig(sig), digest, ec.ECDSA(oracle_hash))       # SE -> cryptography
    if deterministic:
        expected = priv.sign(digest, ec.ECDSA(oracle_hash, deterministic_signing=True))
        assert sig == _raw_sig(expected, size)
        assert crypto.sign_hash(k, alg, digest) == sig
    ours = _raw_sig(priv.sign(digest, ec.ECDSA(oracle_hash)), size)               # cryptography -> SE
    crypto.verify_hash(k, alg, digest, ours)
    pub = import_key(crypto, cv.PSA_KEY_TYPE_ECC_PUBLIC_KEY_SECP_R1, _point(priv.public_key()),
                     cv.PSA_KEY_USAGE_VERIFY_HASH, alg)
    crypto.verify_hash(pub, alg, digest, ours)
    assert crypto.export_public_key(k) == _point(priv.public_key())


def test_deterministic_ecdsa_matches_rfc_6979(crypto):
    v = V.ECDSA_P256_RFC6979
    alg = cv.psa_alg_deterministic_ecdsa(cv.PSA_ALG_SHA_256)
    k = import_key(crypto, cv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1, v["x"], cv.PSA_KEY_USAGE_SIGN_HASH, alg)
    assert crypto.export_public_key(k) == b"\x04" + v["ux"] + v["uy"]
    assert crypto.sign_hash(k, alg, hashlib.sha256(v["message"]).digest()) == v["r"] + v["s"]


def test_generated_ecc_key_signs_for_cryptography(crypto):
    alg = cv.PSA_ALG_ECDSA_SHA_256
    k = crypto.generate_key(attrs(cv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1, 256, cv.PSA_KEY_USAGE_SIGN_HASH, alg))
    a = crypto.get_key_attributes(k)
    assert (a.type, a.bits, a.usage, a.alg) == (cv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1, 256,
                                                  cv.PSA_KEY_USAGE_SIGN_HASH, alg)
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), crypto.export_public_key(k))
    digest = hashlib.sha256(b"generated").digest()
    pub.verify(_der_sig(crypto.sign_hash(k, alg, digest)), digest, ec.ECDSA(Prehashed(hashes.SHA256())))


# --------------------------------------------------------------------------------------------
# RSA
@pytest.mark.parametrize("bits", [1024, 2048, 4096])
@pytest.mark.parametrize("scheme", ["pkcs1v15", "pss"])
def test_rsa_sign_verify_against_cryptography(crypto, bits, scheme):
    key = _rsa_key(bits)
    hash_alg = cv.PSA_ALG_SHA_256
    alg = (cv.psa_alg_rsa_pkcs1v15_sign if scheme == "pkcs1v15" else cv.psa_alg_rsa_pss)(hash_alg)
    pad = apad.PKCS1v15() if scheme == "pkcs1v15" else apad.PSS(apad.MGF1(hashes.SHA256()), 32)
    digest = hashlib.sha256(b"rsa message").digest()
    pair = import_key(crypto, cv.PSA_KEY_TYPE_RSA_KEY_PAIR, _rsa_der(key),
                      cv.PSA_KEY_USAGE_SIGN_HASH | cv.PSA_KEY_USAGE_VERIFY_HASH, alg)
    sig = crypto.sign_hash(pair, alg, digest)
    assert len(sig) == bits // 8
    verify_pad = apad.PKCS1v15() if scheme == "pkcs1v15" else apad.PSS(apad.MGF1(hashes.SHA256()),
                                                                         apad.PSS.AUTO)
    key.public_key().verify(sig, digest, verify_pad, Prehashed(hashes.SHA256()))
    if scheme == "pkcs1v15":       # deterministic: the same bytes as cryptography's
        assert sig == key.sign(digest, pad, Prehashed(hashes.SHA256()))
    pub = import_key(crypto, cv.PSA_KEY_TYPE_RSA_PUBLIC_KEY, _rsa_pub_der(key.public_key()),
                     cv.PSA_KEY_USAGE_VERIFY_HASH, alg)
    crypto.verify_hash(pub, alg, digest, key.sign(digest, pad, Prehashed(hashes.SHA256())))
    assert crypto.export_public_key(pair) == _rsa_pub_der(key.public_key())
    assert crypto.export_key(pub) == _rsa_pub_der(key.public_key())


@pytest.mark.parametrize("bits", [1024, 2048])
@pytest.mark.parametrize("scheme", ["pkcs1v15", "oaep"])
def test_rsa_encrypt_decrypt_against_cryptography(crypto, bits, scheme):
    key = _rsa_key(bits)
    alg = cv.PSA_ALG_RSA_PKCS1V15_CRYPT if scheme == "pkcs1v15" else cv.psa_alg_rsa_oaep(cv.PSA_ALG_SHA_256)
    label = b"label" if scheme == "oaep" else None

    def pad(lbl):
        return apad.PKCS1v15() if scheme == "pkcs1v15" else apad.OAEP(apad.MGF1(hashes.SHA256()), hashes.SHA256(), lbl)

    pair = import_key(crypto, cv.PSA_KEY_TYPE_RSA_KEY_PAIR, _rsa_der(key),
                      cv.PSA_KEY_USAGE_ENCRYPT | cv.PSA_KEY_USAGE_DECRYPT, alg)
    pub = import_key(crypto, cv.PSA_KEY_TYPE_RSA_PUBLIC_KEY, _rsa_pub_der(key.public_key()),
                     cv.PSA_KEY_USAGE_ENCRYPT, alg)
    msg = os.urandom(40)
    ct = crypto.asymmetric_encrypt(pub, alg, msg, label)
    assert len(ct) == bits // 8 and key.decrypt(ct, pad(label)) == msg                   # SE -> cryptography
    assert crypto.asymmetric_decrypt(pair, alg, key.public_key().encrypt(msg, pad(label)), label) == msg


# --------------------------------------------------------------------------------------------
# Key agreement
@pytest.mark.parametrize("curve", list(CURVES))
def test_ecdh_raw_agreement_against_cryptography(crypto, curve):
    cls, _ = CURVES[curve]
    ours, peer = ec.generate_private_key(cls()), ec.generate_private_key(cls())
    k = import_key(crypto, cv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1, _scalar(ours), cv.PSA_KEY_USAGE_DERIVE,
                   cv.PSA_ALG_ECDH)
    shared = crypto.raw_key_agreement(cv.PSA_ALG_ECDH, k, _point(peer.public_key()))
    assert shared == peer.exchange(ec.ECDH(), ours.public_key())


def test_x25519_matches_rfc_7748(crypto):
    v = V.X25519_RFC7748
    k = import_key(crypto, cv.PSA_KEY_TYPE_ECC_KEY_PAIR_MONTGOMERY, v["alice_private"], cv.PSA_KEY_USAGE_DERIVE,
                   cv.PSA_ALG_ECDH)
    assert crypto.export_public_key(k) == v["alice_public"]
    assert crypto.raw_key_agreement(cv.PSA_ALG_ECDH, k, v["bob_public"]) == v["shared"]


def test_ecdh_into_hkdf_key_agreement_step(crypto):
    ours, peer = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    kdf = cv.PSA_ALG_HKDF_SHA_256
    alg = cv.psa_alg_key_agreement(cv.PSA_ALG_ECDH, kdf)
    k = import_key(crypto, cv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1, _scalar(ours), cv.PSA_KEY_USAGE_DERIVE, alg)
    op = crypto.key_derivation_setup(alg)
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_SALT, b"salt")
    crypto.key_derivation_key_agreement(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, k, _point(peer.public_key()))
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_INFO, b"info")
    secret = peer.exchange(ec.ECDH(), ours.public_key())
    assert crypto.key_derivation_output_bytes(op, 32) == HKDF(hashes.SHA256(), 32, b"salt", b"info").derive(secret)
    crypto.key_derivation_abort(op)


# --------------------------------------------------------------------------------------------
# Key derivation
def _hkdf(crypto, alg, salt, secret_key, info, n):
    op = crypto.key_derivation_setup(alg)
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_SALT, salt)
    crypto.key_derivation_input_key(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, secret_key)
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_INFO, info)
    out = crypto.key_derivation_output_bytes(op, n)
    crypto.key_derivation_abort(op)
    return out


def test_hkdf_matches_rfc_5869(crypto):
    v = V.HKDF_RFC5869_1
    alg = cv.PSA_ALG_HKDF_SHA_256
    k = import_key(crypto, cv.PSA_KEY_TYPE_DERIVE, v["ikm"], cv.PSA_KEY_USAGE_DERIVE, alg)
    assert _hkdf(crypto, alg, v["salt"], k, v["info"], v["length"]) == v["okm"]


@pytest.mark.parametrize("name", ["sha1", "sha256", "sha384", "sha512"])
def test_hkdf_capacity_and_output_key_against_cryptography(crypto, name):
    alg = cv.psa_alg_hkdf(HASHES[name])
    ikm = os.urandom(32)
    k = import_key(crypto, cv.PSA_KEY_TYPE_DERIVE, ikm, cv.PSA_KEY_USAGE_DERIVE, alg)
    expected = HKDF(HASH_OBJ[name](), 64, b"s", b"i").derive(ikm)
    op = crypto.key_derivation_setup(alg)
    assert crypto.key_derivation_get_capacity(op) == 255 * hashlib.new(name).digest_size
    crypto.key_derivation_set_capacity(op, 64)
    assert crypto.key_derivation_get_capacity(op) == 64
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_SALT, b"s")
    crypto.key_derivation_input_key(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, k)
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_INFO, b"i")
    assert crypto.key_derivation_output_bytes(op, 16) == expected[:16]
    aes = crypto.key_derivation_output_key(
        attrs(cv.PSA_KEY_TYPE_AES, 128, cv.PSA_KEY_USAGE_EXPORT, cv.PSA_ALG_CTR), op)
    assert crypto.export_key(aes) == expected[16:32]
    assert crypto.key_derivation_get_capacity(op) == 32
    crypto.key_derivation_abort(op)
    assert op.handle == 0


@pytest.mark.parametrize("name", ["sha256", "sha384"])
def test_tls12_prf_and_psk_to_ms_against_rfc_5246_prf(crypto, name):
    seed, label, secret = os.urandom(64), b"key expansion", os.urandom(48)
    alg = cv.psa_alg_tls12_prf(HASHES[name])
    k = import_key(crypto, cv.PSA_KEY_TYPE_DERIVE, secret, cv.PSA_KEY_USAGE_DERIVE, alg)
    op = crypto.key_derivation_setup(alg)
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_SEED, seed)
    crypto.key_derivation_input_key(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, k)
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_LABEL, label)
    assert crypto.key_derivation_output_bytes(op, 100) == _tls12_prf(name, secret, label, seed, 100)
    crypto.key_derivation_abort(op)
    # PSK-to-MS: the premaster secret is len || zeros || len || psk (RFC 4279 §2)
    psk = os.urandom(20)
    alg = cv.psa_alg_tls12_psk_to_ms(HASHES[name])
    pk = import_key(crypto, cv.PSA_KEY_TYPE_DERIVE, psk, cv.PSA_KEY_USAGE_DERIVE, alg)
    pms = len(psk).to_bytes(2, "big") + bytes(len(psk)) + len(psk).to_bytes(2, "big") + psk
    op = crypto.key_derivation_setup(alg)
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_SEED, seed)
    crypto.key_derivation_input_key(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, pk)
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_LABEL, b"master secret")
    assert crypto.key_derivation_output_bytes(op, 48) == _tls12_prf(name, pms, b"master secret", seed, 48)
    crypto.key_derivation_abort(op)


# --------------------------------------------------------------------------------------------
# Key management and random
def test_import_export_attributes_copy_destroy(crypto):
    key = os.urandom(32)
    usage = cv.PSA_KEY_USAGE_EXPORT | cv.PSA_KEY_USAGE_COPY | cv.PSA_KEY_USAGE_ENCRYPT
    k = import_key(crypto, cv.PSA_KEY_TYPE_AES, key, usage, cv.PSA_ALG_CTR)
    a = crypto.get_key_attributes(k)
    assert (a.type, a.bits, a.usage, a.alg, a.lifetime) == (cv.PSA_KEY_TYPE_AES, 256, usage, cv.PSA_ALG_CTR, 0)
    assert a.id == k
    assert crypto.export_key(k) == key
    c = crypto.copy_key(k, attrs(cv.PSA_KEY_TYPE_AES, 256, cv.PSA_KEY_USAGE_EXPORT, cv.PSA_ALG_CTR))
    assert c != k and crypto.export_key(c) == key
    assert crypto.get_key_attributes(c).usage == cv.PSA_KEY_USAGE_EXPORT     # intersection of policies
    crypto.destroy_key(k)
    assert status_of(crypto.export_key, k) == S.PSA_ERROR_INVALID_HANDLE
    crypto.purge_key(c)                       # a volatile key: purge succeeds and keeps it
    assert crypto.export_key(c) == key


def test_generate_symmetric_keys(crypto):
    for type_, bits, alg in ((cv.PSA_KEY_TYPE_AES, 128, cv.PSA_ALG_CTR), (cv.PSA_KEY_TYPE_HMAC, 256,
                                                                          cv.PSA_ALG_HMAC_SHA_256),
                             (cv.PSA_KEY_TYPE_RAW_DATA, 80, 0)):
        k = crypto.generate_key(attrs(type_, bits, cv.PSA_KEY_USAGE_EXPORT, alg))
        data = crypto.export_key(k)
        assert len(data) == bits // 8 and data != bytes(bits // 8)


def test_reset_key_attributes_gives_the_init_value(crypto):
    before = attrs(cv.PSA_KEY_TYPE_AES, 128, cv.PSA_KEY_USAGE_EXPORT, cv.PSA_ALG_CTR)
    assert crypto.reset_key_attributes(before) == attrs(0)


def test_persistent_key_open_close(crypto):
    key_id = 0x1234
    a = attrs(cv.PSA_KEY_TYPE_AES, 128, cv.PSA_KEY_USAGE_EXPORT, cv.PSA_ALG_CTR,
              lifetime=cv.PSA_KEY_LIFETIME_PERSISTENT, id_=key_id)
    key = os.urandom(16)
    k = crypto.import_key(a, key)
    assert k == key_id
    crypto.close_key(k)
    h = crypto.open_key(key_id)
    assert crypto.export_key(h) == key
    crypto.destroy_key(h)
    assert status_of(crypto.open_key, key_id) == S.PSA_ERROR_DOES_NOT_EXIST


def test_generate_random(crypto):
    a, b = crypto.generate_random(64), crypto.generate_random(64)
    assert len(a) == 64 and a != b
    assert len(crypto.generate_random(1000)) == 1000
