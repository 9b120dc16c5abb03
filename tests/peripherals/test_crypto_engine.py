"""Crypto engine model (peripherals/crypto_engine.py) driven through its registers and DMA
descriptors in SE RAM, checked against the ``cryptography`` package, hashlib and published vectors."""
from __future__ import annotations

import hashlib
import hmac
import marshal
import struct

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from psaemu.peripherals import crypto_algs as A
from psaemu.peripherals import crypto_engine as E
from psaemu.peripherals.crypto_ops import CFB, OFB
from psaemu.platform.system.machine import Machine

SHA256, SHA1, SHA384 = 0x02000009, 0x02000005, 0x0200000A
RAM = 0x30000000


class Driver:
    """Writes descriptors and buffers into SE RAM and starts the engine through its registers."""

    DESC, BUF = RAM + 0x8000, RAM + 0x8100

    def __init__(self, machine: Machine | None = None) -> None:
        self.m = machine or Machine()
        self.e = self.m.peripherals["se_crypto"]
        self.bus = self.e.bus

    def run(self, cmd, slot=E.NO_SLOT, alg=0, ctx=0, aux=(), ins=(), outs=(), desc=None):
        addr, iv, ov = self.BUF, [], []
        for data in ins:
            self.bus.write(addr, data)
            iv.append((addr, len(data)))
            addr += (len(data) + 3) & ~3
        for n in outs:
            ov.append((addr, n))
            addr += (n + 3) & ~3
        iv += [(0, 0)] * (4 - len(iv))
        ov += [(0, 0)] * (2 - len(ov))
        words = [cmd, slot, alg, ctx] + (list(aux) + [0] * 4)[:4] + [x for p in iv for x in p] + \
            [x for p in ov for x in p] + [0, 0]
        self.bus.write(self.DESC, struct.pack("<22I", *words))
        self.e.write(0x0C, 4, self.DESC if desc is None else desc)
        self.e.write(0x04, 4, E.CTRL_START)
        status = struct.unpack("<i", struct.pack("<I", self.e.read(0x10, 4)))[0]
        lens = struct.unpack("<II", self.bus.read(self.DESC + 80, 8))
        return status, [self.bus.read(ov[i][0], lens[i]) for i in range(len(outs))]

    def ok(self, *args, **kw):
        status, outs = self.run(*args, **kw)
        assert status == 0, status
        return outs

    def key(self, slot, key_type, data, bits=0):
        return self.ok(E.CMD_KEY_IMPORT, slot=slot, aux=(key_type, bits), ins=[data], outs=[8])


@pytest.fixture
def d():
    return Driver()


def test_registers_and_board_configuration(d):
    assert d.e.read(0x00, 4) == E.ID_VALUE
    assert (d.e.read(0x14, 4), d.e.read(0x18, 4)) == (40, 10)
    d.ok(E.CMD_RANDOM, outs=[4])
    assert d.e.read(0x08, 4) == E.ST_DONE and d.e.read(0x1C, 4) == 1


def test_dma_to_unmapped_or_peripheral_memory_is_a_bus_error(d):
    status, _ = d.run(E.CMD_RANDOM, desc=0x5000A000)          # the descriptor address is the UART
    assert status == E.COMMUNICATION_FAILURE and d.e.read(0x08, 4) & E.ST_BUS_ERROR
    status, _ = d.run(E.CMD_HASH_COMPUTE, alg=SHA256, desc=0x10000000)
    assert status == E.COMMUNICATION_FAILURE
    status, _ = d.run(0x7E)
    assert status == A.NOT_SUPPORTED and d.e.read(0x08, 4) & E.ST_BAD_COMMAND


@pytest.mark.parametrize("alg,name", [(0x02000005, "sha1"), (0x02000008, "sha224"), (SHA256, "sha256"),
                                      (SHA384, "sha384"), (0x0200000B, "sha512")])
def test_hashes_one_shot_and_multipart(d, alg, name):
    data = bytes(range(256)) * 5
    assert d.ok(E.CMD_HASH_COMPUTE, alg=alg, ins=[data], outs=[64])[0] == hashlib.new(name, data).digest()
    d.ok(E.CMD_HASH_SETUP, alg=alg, ctx=2)
    d.ok(E.CMD_HASH_UPDATE, ctx=2, ins=[data[:100]])
    d.ok(E.CMD_HASH_CLONE, ctx=2, aux=(3,))
    d.ok(E.CMD_HASH_UPDATE, ctx=2, ins=[data[100:]])
    assert d.ok(E.CMD_HASH_FINISH, ctx=2, outs=[64])[0] == hashlib.new(name, data).digest()
    assert d.run(E.CMD_HASH_VERIFY, ctx=3, ins=[hashlib.new(name, data[:100]).digest()])[0] == 0
    assert d.run(E.CMD_HASH_UPDATE, ctx=3, ins=[b"x"])[0] == A.BAD_STATE      # verify ended it


def test_hash_errors(d):
    assert d.run(E.CMD_HASH_COMPUTE, alg=0x02000003, ins=[b"x"], outs=[64])[0] == A.NOT_SUPPORTED   # MD5
    assert d.run(E.CMD_HASH_COMPUTE, alg=0x03800009, ins=[b"x"], outs=[64])[0] == A.INVALID_ARGUMENT
    assert d.run(E.CMD_HASH_COMPUTE, alg=SHA256, ins=[b"x"], outs=[31])[0] == A.BUFFER_TOO_SMALL
    assert d.run(E.CMD_HASH_COMPARE, alg=SHA256, ins=[b"x", bytes(32)])[0] == A.INVALID_SIGNATURE


def test_hmac_rfc4231_case_2_and_cmac_sp800_38b(d):
    d.key(0, A.KEY_TYPE_HMAC, b"Jefe")
    mac = d.ok(E.CMD_MAC_COMPUTE, slot=0, alg=0x03800009, ins=[b"what do ya want for nothing?"], outs=[64])[0]
    assert mac.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    d.key(1, A.KEY_TYPE_AES, bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c"))
    msg = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    assert d.ok(E.CMD_MAC_COMPUTE, slot=1, alg=A.CMAC, ins=[msg], outs=[16])[0].hex() == \
        "070a16b46b4d4144f79bdd9dd04a287c"
    # truncated HMAC: 16 bytes; longer than the hash: INVALID_ARGUMENT; HMAC with an AES key likewise
    assert d.ok(E.CMD_MAC_COMPUTE, slot=0, alg=0x03900009, ins=[b"m"], outs=[64])[0] == \
        hmac.new(b"Jefe", b"m", "sha256").digest()[:16]
    assert d.run(E.CMD_MAC_COMPUTE, slot=0, alg=0x03800009 | (33 << 16), ins=[b"m"], outs=[64])[0] == \
        A.INVALID_ARGUMENT
    assert d.run(E.CMD_MAC_COMPUTE, slot=1, alg=0x03800009, ins=[b"m"], outs=[64])[0] == A.INVALID_ARGUMENT


@pytest.mark.parametrize("alg,mode", [(A.CBC_NO_PADDING, modes.CBC), (A.CTR, modes.CTR), (A.CFB, CFB),
                                      (A.OFB, OFB), (A.ECB_NO_PADDING, None)])
def test_aes_modes_multipart_match_the_oracle(d, alg, mode):
    key, data = bytes(range(32)), bytes(range(64))
    d.key(0, A.KEY_TYPE_AES, key)
    d.ok(E.CMD_CIPHER_SETUP, slot=0, alg=alg, ctx=1)
    iv = d.ok(E.CMD_CIPHER_GENERATE_IV, ctx=1, outs=[16])[0] if mode else b""
    out = d.ok(E.CMD_CIPHER_UPDATE, ctx=1, ins=[data[:23]], outs=[64])[0]
    out += d.ok(E.CMD_CIPHER_UPDATE, ctx=1, ins=[data[23:]], outs=[64])[0]
    out += d.ok(E.CMD_CIPHER_FINISH, ctx=1, outs=[64])[0]
    enc = Cipher(algorithms.AES(key), mode(iv) if mode else modes.ECB()).encryptor()
    assert out == enc.update(data) + enc.finalize()


def test_cbc_pkcs7_one_shot_round_trip_and_bad_padding(d):
    d.key(0, A.KEY_TYPE_AES, bytes(16))
    ct = d.ok(E.CMD_CIPHER_ENCRYPT, slot=0, alg=A.CBC_PKCS7, ins=[b"hello"], outs=[64])[0]
    assert len(ct) == 32 and d.ok(E.CMD_CIPHER_DECRYPT, slot=0, alg=A.CBC_PKCS7, ins=[ct], outs=[64])[0] == b"hello"
    bad = ct[:16] + bytes(16)
    assert d.run(E.CMD_CIPHER_DECRYPT, slot=0, alg=A.CBC_PKCS7, ins=[bad], outs=[64])[0] == A.INVALID_PADDING
    assert d.run(E.CMD_CIPHER_ENCRYPT, slot=0, alg=A.CBC_NO_PADDING, ins=[b"x" * 5], outs=[64])[0] == \
        A.INVALID_ARGUMENT


def test_aead_gcm_ccm_chacha20_poly1305(d):
    d.key(0, A.KEY_TYPE_AES, bytes(16))
    d.key(1, A.KEY_TYPE_CHACHA20, bytes(range(32)))
    n12, pt, ad = bytes(range(12)), b"plaintext", b"header"
    assert d.ok(E.CMD_AEAD_ENCRYPT, slot=0, alg=A.GCM, ins=[n12, pt, ad], outs=[64])[0] == \
        AESGCM(bytes(16)).encrypt(n12, pt, ad)
    ccm8 = (A.CCM & ~A.AEAD_TAG_MASK) | (8 << 16)
    assert d.ok(E.CMD_AEAD_ENCRYPT, slot=0, alg=ccm8, ins=[n12[:13 - 2], pt, ad], outs=[64])[0] == \
        AESCCM(bytes(16), 8).encrypt(n12[:11], pt, ad)
    ct = d.ok(E.CMD_AEAD_ENCRYPT, slot=1, alg=A.CHACHA20_POLY1305, ins=[n12, pt, ad], outs=[64])[0]
    assert ct == ChaCha20Poly1305(bytes(range(32))).encrypt(n12, pt, ad)
    assert d.ok(E.CMD_AEAD_DECRYPT, slot=1, alg=A.CHACHA20_POLY1305, ins=[n12, ct, ad], outs=[64])[0] == pt
    tampered = ct[:-1] + bytes([ct[-1] ^ 1])
    assert d.run(E.CMD_AEAD_DECRYPT, slot=1, alg=A.CHACHA20_POLY1305, ins=[n12, tampered, ad],
                 outs=[64])[0] == A.INVALID_SIGNATURE


@pytest.mark.parametrize("bits,curve,h", [(256, ec.SECP256R1, hashes.SHA256), (384, ec.SECP384R1, hashes.SHA384)])
def test_ecdsa_sign_verify_against_the_oracle(d, bits, curve, h):
    d.ok(E.CMD_KEY_GENERATE, slot=0, aux=(0x7112, bits), outs=[8])
    pub = ec.EllipticCurvePublicKey.from_encoded_point(curve(), d.ok(E.CMD_KEY_EXPORT_PUBLIC, slot=0, outs=[200])[0])
    digest = hashlib.new(h.name, b"message").digest()
    n = bits // 8
    for alg in (0x06000600, 0x06000700):                   # randomised, deterministic
        full = alg | (0x09 if bits == 256 else 0x0A)
        sig = d.ok(E.CMD_SIGN_HASH, slot=0, alg=full, ins=[digest], outs=[2 * n])[0]
        pub.verify(utils.encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big")),
                   b"message", ec.ECDSA(h()))
        assert d.run(E.CMD_VERIFY_HASH, slot=0, alg=full, ins=[digest, sig])[0] == 0
        assert d.run(E.CMD_VERIFY_HASH, slot=0, alg=full, ins=[digest, bytes(2 * n)])[0] == A.INVALID_SIGNATURE
    det = 0x06000700 | (0x09 if bits == 256 else 0x0A)
    assert d.ok(E.CMD_SIGN_HASH, slot=0, alg=det, ins=[digest], outs=[2 * n]) == \
        d.ok(E.CMD_SIGN_HASH, slot=0, alg=det, ins=[digest], outs=[2 * n])
    assert d.run(E.CMD_SIGN_HASH, slot=0, alg=0x060006FF, ins=[digest], outs=[2 * n])[0] == A.INVALID_ARGUMENT


def test_rsa_sign_and_encrypt_against_the_oracle(d):
    priv = rsa.generate_private_key(65537, 1024)
    der = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    assert d.key(0, A.KEY_TYPE_RSA_KEY_PAIR, der) == [struct.pack("<II", A.KEY_TYPE_RSA_KEY_PAIR, 1024)]
    digest = hashlib.sha256(b"m").digest()
    sig = d.ok(E.CMD_SIGN_HASH, slot=0, alg=0x06000209, ins=[digest], outs=[128])[0]
    priv.public_key().verify(sig, b"m", padding.PKCS1v15(), hashes.SHA256())
    sig = d.ok(E.CMD_SIGN_HASH, slot=0, alg=0x06000309, ins=[digest], outs=[128])[0]
    priv.public_key().verify(sig, b"m", padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
    ct = d.ok(E.CMD_ASYM_ENCRYPT, slot=0, alg=0x07000309, ins=[b"secret"], outs=[128])[0]
    assert priv.decrypt(ct, oaep) == b"secret"
    ct = priv.public_key().encrypt(b"pkcs", padding.PKCS1v15())
    assert d.ok(E.CMD_ASYM_DECRYPT, slot=0, alg=A.RSA_PKCS1V15_CRYPT, ins=[ct], outs=[128])[0] == b"pkcs"
    assert d.run(E.CMD_ASYM_DECRYPT, slot=0, alg=0x07000309, ins=[bytes(128)], outs=[128])[0] == \
        A.INVALID_PADDING               # (PKCS#1 v1.5: OpenSSL's implicit rejection, README deviations)


def test_ecdh_p256_and_x25519(d):
    peer = ec.generate_private_key(ec.SECP256R1())
    d.ok(E.CMD_KEY_GENERATE, slot=0, aux=(0x7112, 256), outs=[8])
    mine = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), d.ok(E.CMD_KEY_EXPORT_PUBLIC, slot=0,
                                                                             outs=[65])[0])
    peer_pub = peer.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    assert d.ok(E.CMD_RAW_AGREEMENT, slot=0, alg=A.ECDH, ins=[peer_pub], outs=[32])[0] == \
        peer.exchange(ec.ECDH(), mine)
    # RFC 7748 section 6.1
    alice = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    bob_pub = bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    d.key(1, 0x7141, alice)
    assert d.ok(E.CMD_RAW_AGREEMENT, slot=1, alg=A.ECDH, ins=[bob_pub], outs=[32])[0].hex() == \
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    assert d.run(E.CMD_RAW_AGREEMENT, slot=0, alg=A.ECDH, ins=[b"\x04" + bytes(64)], outs=[32])[0] == \
        A.INVALID_ARGUMENT


def test_hkdf_rfc5869_case_1_and_kdf_states(d):
    ikm = bytes([0x0B] * 22)
    d.ok(E.CMD_KDF_SETUP, alg=0x08000109, ctx=0)
    assert d.run(E.CMD_KDF_OUTPUT_BYTES, ctx=0, outs=[42])[0] == A.BAD_STATE       # no secret yet
    d.ok(E.CMD_KDF_INPUT_BYTES, ctx=0, aux=(A.STEP_SALT,), ins=[bytes(range(13))])
    d.ok(E.CMD_KDF_INPUT_BYTES, ctx=0, aux=(A.STEP_SECRET,), ins=[ikm])
    assert d.run(E.CMD_KDF_INPUT_BYTES, ctx=0, aux=(A.STEP_SALT,), ins=[b"late"])[0] == A.BAD_STATE
    d.ok(E.CMD_KDF_INPUT_BYTES, ctx=0, aux=(A.STEP_INFO,), ins=[bytes(range(0xF0, 0xFA))])
    okm = d.ok(E.CMD_KDF_OUTPUT_BYTES, ctx=0, outs=[20])[0] + d.ok(E.CMD_KDF_OUTPUT_BYTES, ctx=0, outs=[22])[0]
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865")
    assert d.run(E.CMD_KDF_INPUT_BYTES, ctx=0, aux=(A.STEP_INFO,), ins=[b"x"])[0] == A.BAD_STATE
    d.ok(E.CMD_KDF_SET_CAPACITY, ctx=0, aux=(2,))
    assert d.run(E.CMD_KDF_OUTPUT_BYTES, ctx=0, outs=[3])[0] == A.INSUFFICIENT_DATA


def test_tls12_prf_and_psk_to_ms_against_an_hmac_oracle(d):
    def p_sha256(secret, seed, n):
        out, a = b"", seed
        while len(out) < n:
            a = hmac.new(secret, a, "sha256").digest()
            out += hmac.new(secret, a + seed, "sha256").digest()
        return out[:n]
    for base, secret in ((A.TLS12_PRF_BASE, b"s" * 48), (A.TLS12_PSK_TO_MS_BASE, b"psk")):
        d.ok(E.CMD_KDF_SETUP, alg=base | 0x09, ctx=4)
        assert d.run(E.CMD_KDF_INPUT_BYTES, ctx=4, aux=(A.STEP_SECRET,), ins=[secret])[0] == A.BAD_STATE
        d.ok(E.CMD_KDF_INPUT_BYTES, ctx=4, aux=(A.STEP_SEED,), ins=[b"seed"])
        d.ok(E.CMD_KDF_INPUT_BYTES, ctx=4, aux=(A.STEP_SECRET,), ins=[secret])
        d.ok(E.CMD_KDF_INPUT_BYTES, ctx=4, aux=(A.STEP_LABEL,), ins=[b"master secret"])
        pms = secret if base == A.TLS12_PRF_BASE else \
            len(secret).to_bytes(2, "big") + bytes(len(secret)) + len(secret).to_bytes(2, "big") + secret
        assert d.ok(E.CMD_KDF_OUTPUT_BYTES, ctx=4, outs=[48])[0] == p_sha256(pms, b"master secret" + b"seed", 48)
        d.ok(E.CMD_CTX_ABORT, ctx=4)


def test_key_management_errors_and_blobs(d):
    assert d.run(E.CMD_KEY_IMPORT, slot=0, aux=(A.KEY_TYPE_AES, 0), ins=[bytes(15)], outs=[8])[0] == \
        A.INVALID_ARGUMENT
    assert d.run(E.CMD_KEY_IMPORT, slot=0, aux=(A.KEY_TYPE_AES, 256), ins=[bytes(16)], outs=[8])[0] == \
        A.INVALID_ARGUMENT
    d.key(0, A.KEY_TYPE_AES, bytes(16))
    assert d.run(E.CMD_KEY_IMPORT, slot=0, aux=(A.KEY_TYPE_AES, 0), ins=[bytes(16)], outs=[8])[0] == A.ALREADY_EXISTS
    assert d.run(E.CMD_KEY_EXPORT_PUBLIC, slot=0, outs=[64])[0] == A.INVALID_ARGUMENT
    blob = d.ok(E.CMD_KEY_BLOB_EXPORT, slot=0, outs=[128])[0]
    d.ok(E.CMD_KEY_DESTROY, slot=0)
    assert d.run(E.CMD_KEY_EXPORT, slot=0, outs=[64])[0] == A.INVALID_HANDLE
    d.ok(E.CMD_KEY_BLOB_IMPORT, slot=5, ins=[blob], outs=[8])
    assert d.ok(E.CMD_KEY_EXPORT, slot=5, outs=[64]) == [bytes(16)]
    d.ok(E.CMD_KEY_COPY, slot=5, aux=(6,), outs=[8])
    assert d.ok(E.CMD_KEY_EXPORT, slot=6, outs=[64]) == [bytes(16)]


def test_drbg_is_reproducible_and_reset_wipes_everything(d):
    first = d.ok(E.CMD_RANDOM, outs=[32])[0]
    d.key(0, A.KEY_TYPE_AES, bytes(16))
    d.e.write(0x04, 4, E.CTRL_RESET)
    assert d.run(E.CMD_KEY_EXPORT, slot=0, outs=[64])[0] == A.INVALID_HANDLE
    assert d.ok(E.CMD_RANDOM, outs=[32])[0] == first
    assert Driver().ok(E.CMD_RANDOM, outs=[32])[0] == first             # another machine, same seed


def test_snapshot_restores_keys_contexts_and_drbg(d):
    d.key(0, A.KEY_TYPE_AES, bytes(16))
    d.ok(E.CMD_CIPHER_SETUP, slot=0, alg=A.CTR, ctx=0)
    d.ok(E.CMD_CIPHER_SET_IV, ctx=0, ins=[bytes(16)])
    first = d.ok(E.CMD_CIPHER_UPDATE, ctx=0, ins=[b"a" * 20], outs=[32])[0]
    d.ok(E.CMD_HASH_SETUP, alg=SHA256, ctx=1)
    d.ok(E.CMD_HASH_UPDATE, ctx=1, ins=[b"abc"])
    state = marshal.loads(marshal.dumps(d.e.snapshot()))           # plain data
    after = [d.ok(E.CMD_CIPHER_UPDATE, ctx=0, ins=[b"b" * 20], outs=[32]), d.ok(E.CMD_RANDOM, outs=[8]),
             d.ok(E.CMD_HASH_FINISH, ctx=1, outs=[32])]
    d.e.write(0x04, 4, E.CTRL_RESET)
    d.e.restore(state)
    assert [d.ok(E.CMD_CIPHER_UPDATE, ctx=0, ins=[b"b" * 20], outs=[32]), d.ok(E.CMD_RANDOM, outs=[8]),
            d.ok(E.CMD_HASH_FINISH, ctx=1, outs=[32])] == after
    enc = Cipher(algorithms.AES(bytes(16)), modes.CTR(bytes(16))).encryptor()
    assert first + after[0][0] == enc.update(b"a" * 20 + b"b" * 20)
    assert after[2][0] == hashlib.sha256(b"abc").digest()


def test_board_parameters_are_checked(tmp_path):
    from psaemu.peripherals.catalog import PeripheralConfigError, create
    with pytest.raises(PeripheralConfigError, match="integer 1..255, got 0") as err:
        create("crypto_engine", "c", {"slots": 0}, {}, {})
    assert err.value.key == "slots"
    with pytest.raises(PeripheralConfigError, match="DRBG seed") as err:
        create("crypto_engine", "c", {"seed": 5}, {}, {})
    assert err.value.key == "seed"
    assert create("crypto_engine", "c", {"slots": 4, "contexts": 2}, {}, {}).read(0x14, 4) == 4


def test_attest_register_follows_the_board_key_and_is_read_only():
    from psaemu.peripherals.catalog import PeripheralConfigError, create
    from psaemu.platform.errors import ConfigError
    assert create("crypto_engine", "c", {}, {}, {}).read(0x20, 4) == 0                  # asymmetric
    e = create("crypto_engine", "c", {"attestation": "symmetric"}, {}, {})
    assert e.read(0x20, 4) == 1
    e.write(0x20, 4, 0)
    e.write(0x04, 4, E.CTRL_RESET)
    assert e.read(0x20, 4) == 1 and e.attestation == "symmetric"                       # neither changes it
    with pytest.raises(PeripheralConfigError, match="'ecdsa'") as err:
        create("crypto_engine", "c", {"attestation": "ecdsa"}, {}, {})
    assert err.value.key == "attestation"
    with pytest.raises(ConfigError):
        e.attestation = "ecdsa"
