"""The SE firmware's Crypto service (images/se/crypto_*.c) on the crypto engine, through the
Python proxy with raw ``psa_call``s in TF-M v1.3's wire format (docs/crypto-wire.md), checked
against the ``cryptography`` package / hashlib and the PSA Crypto 1.0.0 error codes."""
from __future__ import annotations

import hashlib
import hmac
import struct

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from psaemu.proxy.attestation import verify_token
from psaemu.proxy.client import boot_se_only

SID = 0x80
SHA256, ANY_HASH = 0x02000009, 0x020000FF
HMAC_SHA256, ECDSA_SHA256, ECDSA_ANY_HASH = 0x03800009, 0x06000609, 0x060006FF
CBC_PKCS7, CTR, GCM, CHACHA = 0x04404100, 0x04C01000, 0x05500200, 0x05100500
HKDF_SHA256 = 0x08000109
AES, HMAC, DERIVE, ECC_P, RSA_PAIR = 0x2400, 0x1100, 0x1200, 0x7112, 0x7001
EXPORT, COPY, ENC, DEC, SIGN, VERIFY, DRV = 0x1, 0x2, 0x100, 0x200, 0x1000, 0x2000, 0x4000
OK, NOT_PERMITTED, NOT_SUPPORTED, INVALID_ARGUMENT = 0, -133, -134, -135
INVALID_HANDLE, BAD_STATE, INSUFFICIENT_MEMORY, INVALID_SIGNATURE = -136, -137, -141, -149


def pack(sfn, key_id=0, alg=0, op=0, step=0, capacity=0, nonce=b""):
    """``struct tfm_crypto_pack_iovec`` (44 bytes)."""
    return struct.pack("<IHHIIII16sI", sfn, step, 0, key_id, alg, op, capacity, nonce.ljust(16, b"\0"), len(nonce))


def attrs(key_type, usage, alg, bits=0, lifetime=0, key_id=0):
    """v1.3 ``psa_client_key_attributes_s`` (24 bytes)."""
    return struct.pack("<IIIIIHH", lifetime, key_id, alg, usage, bits, key_type, 0)


class Crypto:
    """Raw Crypto service calls: ``call`` gives (status, outputs)."""

    def __init__(self, psa):
        self.psa = psa

    def call(self, sfn, ins=(), outs=(), **kw):
        r = self.psa.call(SID, 0, [pack(sfn, **kw)] + list(ins), list(outs))
        return int(r.status), r.outputs

    def ok(self, sfn, ins=(), outs=(), **kw):
        status, outs = self.call(sfn, ins, outs, **kw)
        assert status == OK, status
        return outs

    def new_key(self, key_type, usage, alg, data=None, bits=0, **kw):
        if data is None:
            status, outs = self.call(62, [attrs(key_type, usage, alg, bits, **kw)], [4])
        else:
            status, outs = self.call(4, [attrs(key_type, usage, alg, bits, **kw), data], [4])
        assert status == OK, status
        return struct.unpack("<I", outs[0])[0]

    def handle(self, outs):
        return struct.unpack("<I", outs[0])[0]


@pytest.fixture(scope="module")
def booted():
    return boot_se_only()


@pytest.fixture
def c(booted):
    return Crypto(booted[0].psa)


def test_hash_one_shot_multipart_and_clone(c):
    data = b"abc" * 100
    for alg, name in ((0x02000005, "sha1"), (0x02000008, "sha224"), (SHA256, "sha256"), (0x0200000A, "sha384"),
                      (0x0200000B, "sha512")):
        assert c.ok(10, [data], [64], alg=alg)[0] == hashlib.new(name, data).digest()
        h = c.handle(c.ok(12, [], [4], alg=alg))
        c.ok(13, [data[:10]], [4], op=h)
        h2 = c.handle(c.ok(17, [], [4], op=h))
        c.ok(13, [data[10:]], [4], op=h)
        outs = c.ok(14, [], [4, 64], op=h)
        assert outs == [bytes(4), hashlib.new(name, data).digest()]
        assert c.call(15, [hashlib.new(name, data[:10]).digest()], [4], op=h2)[0] == OK
    assert c.call(11, [b"x", bytes(32)], alg=SHA256)[0] == INVALID_SIGNATURE


def test_hmac_and_cmac_through_the_service(c):
    key = c.new_key(HMAC, SIGN | VERIFY, HMAC_SHA256, b"k" * 32)
    h = c.handle(c.ok(20, [], [4], key_id=key, alg=HMAC_SHA256))
    c.ok(22, [b"hello "], [4], op=h)
    c.ok(22, [b"world"], [4], op=h)
    mac = c.ok(23, [], [4, 64], op=h)[1]
    assert mac == hmac.new(b"k" * 32, b"hello world", "sha256").digest()
    h = c.handle(c.ok(21, [], [4], key_id=key, alg=HMAC_SHA256))
    c.ok(22, [b"hello world"], [4], op=h)
    assert c.call(24, [mac], [4], op=h)[0] == OK
    assert c.ok(18, [b"m"], [32], key_id=key, alg=HMAC_SHA256)[0] == hmac.new(b"k" * 32, b"m", "sha256").digest()
    assert c.call(19, [b"m", bytes(32)], key_id=key, alg=HMAC_SHA256)[0] == INVALID_SIGNATURE
    cmac_key = c.new_key(AES, SIGN, 0x03C00200, bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c"))
    assert c.ok(18, [b""], [16], key_id=cmac_key, alg=0x03C00200)[0].hex() == "bb1d6929e95937287fa37d129b756746"


def test_truncated_hmac_longer_than_the_hash_is_invalid_argument(c):
    too_long = HMAC_SHA256 | (40 << 16)
    key = c.new_key(HMAC, SIGN, too_long, b"k" * 32)
    assert c.call(20, [], [4], key_id=key, alg=too_long)[0] == INVALID_ARGUMENT
    assert c.call(18, [b"m"], [64], key_id=key, alg=too_long)[0] == INVALID_ARGUMENT


def test_aes_cbc_pkcs7_multipart_and_ctr_one_shot(c):
    key = c.new_key(AES, ENC | DEC, CBC_PKCS7, bytes(range(16)))
    h = c.handle(c.ok(28, [], [4], key_id=key, alg=CBC_PKCS7))
    iv = c.ok(30, [], [4, 16], op=h)[1]
    ct = c.ok(32, [b"p" * 20], [4, 64], op=h)[1] + c.ok(33, [], [4, 64], op=h)[1]
    dec = Cipher(algorithms.AES(bytes(range(16))), modes.CBC(iv)).decryptor()
    padded = dec.update(ct) + dec.finalize()
    assert padded == b"p" * 20 + bytes([12]) * 12
    ctr = c.new_key(AES, ENC | DEC, CTR, bytes(16))
    out = c.ok(26, [b"stream"], [64], key_id=ctr, alg=CTR)[0]
    enc = Cipher(algorithms.AES(bytes(16)), modes.CTR(out[:16])).encryptor()
    assert out[16:] == enc.update(b"stream")
    assert c.ok(27, [out], [64], key_id=ctr, alg=CTR)[0] == b"stream"


def test_aead_gcm_and_chacha20_poly1305(c):
    key = c.new_key(AES, ENC | DEC, GCM, bytes(32))
    nonce = bytes(range(12))
    ct = c.ok(35, [b"secret", b"ad"], [64], key_id=key, alg=GCM, nonce=nonce)[0]
    assert ct == AESGCM(bytes(32)).encrypt(nonce, b"secret", b"ad")
    assert c.ok(36, [ct, b"ad"], [64], key_id=key, alg=GCM, nonce=nonce)[0] == b"secret"
    assert c.call(36, [ct, b"AD"], [64], key_id=key, alg=GCM, nonce=nonce)[0] == INVALID_SIGNATURE
    ck = c.new_key(0x2004, ENC, CHACHA, bytes(range(32)))
    assert c.ok(35, [b"secret"], [64], key_id=ck, alg=CHACHA, nonce=nonce)[0] == \
        ChaCha20Poly1305(bytes(range(32))).encrypt(nonce, b"secret", None)


def test_ecdsa_with_an_any_hash_policy_and_public_export(c):
    key = c.new_key(ECC_P, SIGN | VERIFY, ECDSA_ANY_HASH, bits=256)
    digest = hashlib.sha256(b"msg").digest()
    sig = c.ok(47, [digest], [64], key_id=key, alg=ECDSA_SHA256)[0]
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), c.ok(7, [], [65], key_id=key)[0])
    pub.verify(utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
               b"msg", ec.ECDSA(hashes.SHA256()))
    assert c.call(48, [digest, sig], key_id=key, alg=ECDSA_SHA256)[0] == OK
    assert c.call(48, [digest, bytes(64)], key_id=key, alg=ECDSA_SHA256)[0] == INVALID_SIGNATURE
    assert c.call(47, [digest], [64], key_id=key, alg=0x06000209)[0] == NOT_PERMITTED   # RSA alg, policy ECDSA
    assert c.call(6, [], [64], key_id=key)[0] == NOT_PERMITTED                          # no EXPORT usage


def test_rsa_pss_sign_and_oaep_decrypt(c):
    priv = rsa.generate_private_key(65537, 1024)
    der = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    pss = c.new_key(RSA_PAIR, SIGN, 0x06000309, der)
    sig = c.ok(47, [hashlib.sha256(b"m").digest()], [128], key_id=pss, alg=0x06000309)[0]
    priv.public_key().verify(sig, b"m", padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    oaep = c.new_key(RSA_PAIR, DEC, 0x07000309, der)
    ct = priv.public_key().encrypt(b"hi", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    assert c.ok(50, [ct], [128], key_id=oaep, alg=0x07000309)[0] == b"hi"


def test_raw_ecdh_and_hkdf_key_derivation(c):
    key = c.new_key(ECC_P, DRV, 0x09020000, bits=256)
    mine = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), c.ok(7, [], [65], key_id=key)[0])
    peer = ec.generate_private_key(ec.SECP256R1())
    peer_pub = peer.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    assert c.ok(60, [peer_pub], [32], key_id=key, alg=0x09020000)[0] == peer.exchange(ec.ECDH(), mine)
    secret = c.new_key(DERIVE, DRV, HKDF_SHA256, bytes([0x0B] * 22))
    h = c.handle(c.ok(51, [], [4], alg=HKDF_SHA256))
    assert c.call(57, [], [42], op=h)[0] == BAD_STATE                 # output before the inputs
    c.ok(54, [bytes(range(13))], op=h, step=0x0202)
    c.ok(55, op=h, step=0x0101, key_id=secret)
    assert c.call(54, [b"late salt"], op=h, step=0x0202)[0] == BAD_STATE
    c.ok(54, [bytes(range(0xF0, 0xFA))], op=h, step=0x0203)
    assert c.ok(57, [], [42], op=h)[0].hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                                                   "34007208d5b887185865")           # RFC 5869 A.1
    c.ok(59, [], [4], op=h)


def test_key_attributes_reset_copy_export_public_and_random(c):
    key = c.new_key(AES, EXPORT | COPY | ENC, CTR, bytes(16))
    assert c.ok(0, [], [24], key_id=key)[0] == attrs(AES, EXPORT | COPY | ENC, CTR, 128, key_id=key)
    assert c.ok(1, [], [24]) == [bytes(24)]
    assert c.call(7, [], [64], key_id=key)[0] == INVALID_ARGUMENT           # symmetric: no public part
    copy = c.handle(c.ok(9, [attrs(0, EXPORT | DEC, CTR)], [4], key_id=key))
    assert c.ok(0, [], [24], key_id=copy)[0] == attrs(AES, EXPORT, CTR, 128, key_id=copy)
    assert c.ok(6, [], [16], key_id=copy)[0] == bytes(16)
    assert c.call(9, [attrs(0, EXPORT, GCM)], [4], key_id=key)[0] == INVALID_ARGUMENT
    a, b = c.ok(61, [], [32])[0], c.ok(61, [], [32])[0]
    assert len(a) == 32 and a != b


def test_handle_and_key_table_rules(c):
    assert c.call(6, [], [16], key_id=0x7FFFFFFE)[0] == INVALID_HANDLE
    assert c.call(13, [b"x"], [4], op=7)[0] == BAD_STATE
    assert c.call(12, [], [4], alg=SHA256, op=3)[0] == BAD_STATE       # setup needs handle 0 in
    handles = [c.handle(c.ok(12, [], [4], alg=SHA256)) for _ in range(8)]
    assert c.call(12, [], [4], alg=SHA256)[0] == NOT_PERMITTED
    for h in handles:
        c.ok(16, [], [4], op=h)
    keys, status = [], OK
    while status == OK:
        status, outs = c.call(4, [attrs(AES, 0, CTR), bytes(16)], [4])
        if status == OK:
            keys.append(struct.unpack("<I", outs[0])[0])
    assert status == INSUFFICIENT_MEMORY and keys
    for k in keys:
        c.ok(5, key_id=k)
    assert c.new_key(AES, 0, CTR, bytes(16))                         # freed slots are reused
    assert c.call(4, [attrs(AES, 0, CTR, key_id=5), bytes(16)], [4])[0] == INVALID_ARGUMENT   # volatile + id


def test_attestation_token_still_verifies(booted):
    m, _ = booted
    challenge = bytes(range(32))
    claims = verify_token(m.psa.attest_token(challenge), m.psa.attest_public_key())   # signed by the engine
    assert claims.challenge == challenge


def test_persistent_key_survives_a_new_run_with_the_flash_file(tmp_path):
    flash = tmp_path / "se_storage.bin"
    m, _ = boot_se_only(flash_files={"se.storage": flash})
    c = Crypto(m.psa)
    key = c.new_key(AES, EXPORT, CTR, bytes(range(16)), lifetime=1, key_id=0x1234)
    assert key == 0x1234
    assert c.call(4, [attrs(AES, EXPORT, CTR, lifetime=1, key_id=0x1234), bytes(16)], [4])[0] == -139
    m.memory.stores["se.storage"].flush()
    m2, _ = boot_se_only(flash_files={"se.storage": flash})
    c2 = Crypto(m2.psa)
    assert c2.ok(6, [], [16], key_id=0x1234)[0] == bytes(range(16))
    assert c2.ok(0, [], [24], key_id=0x1234)[0] == attrs(AES, EXPORT, CTR, 128, lifetime=1, key_id=0x1234)
    c2.ok(3, key_id=0x1234)                                           # close: unloaded, still stored
    assert c2.ok(2, [struct.pack("<I", 0x1234)], [4]) == [struct.pack("<I", 0x1234)]     # open
    c2.ok(5, key_id=0x1234)
    m3, _ = boot_se_only(flash_files={"se.storage": flash})
    assert Crypto(m3.psa).call(6, [], [16], key_id=0x1234)[0] == INVALID_HANDLE
