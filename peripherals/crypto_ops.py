"""The crypto engine's operations on key material, with PSA 1.0 error semantics.

Every function takes plain data (keys as :class:`Key`, algorithms as PSA values) and returns
bytes or raises :class:`PsaFailure`. The math is the ``cryptography`` package and hashlib/hmac;
nothing here computes a primitive by hand.
"""
from __future__ import annotations

import hmac as hmac_mod
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import cmac, hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, ChaCha20Poly1305

try:                                   # cryptography >= 47 keeps CFB/OFB among the decrepit modes
    from cryptography.hazmat.decrepit.ciphers.modes import CFB, OFB
except ImportError:                    # pragma: no cover - older cryptography
    CFB, OFB = modes.CFB, modes.OFB

from . import crypto_algs as A
from .crypto_algs import fail
from .crypto_keys import Key, ecc_bytes, live

CRYPTO_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
                 "sha384": hashes.SHA384, "sha512": hashes.SHA512}
BY_SIZE = {20: 0x02000005, 28: 0x02000008, 32: 0x02000009, 48: 0x0200000A, 64: 0x0200000B}


def chash(alg: int) -> hashes.HashAlgorithm:
    return CRYPTO_HASHES[A.hash_of(alg)[0]]()


def need(out_size: int, n: int) -> None:
    if out_size < n:
        raise fail(A.BUFFER_TOO_SMALL, f"output needs {n} bytes, has {out_size}")


# -- hash and MAC ---------------------------------------------------------------------------
def digest(alg: int, data: bytes) -> bytes:
    h = A.new_hash(alg)
    h.update(data)
    return h.digest()


def mac(key: Key, alg: int, data: bytes) -> bytes:
    m = A.mac_alg(alg, key.type, key.bits)
    if m.hmac:
        out = hmac_mod.new(key.data, data, A.hash_of(m.hash_alg)[0]).digest()
    else:
        c = cmac.CMAC(algorithms.AES(key.data))
        c.update(data)
        out = c.finalize()
    return out[:m.length]


def equal(a: bytes, b: bytes) -> bool:
    return hmac_mod.compare_digest(a, b)


# -- symmetric ciphers ----------------------------------------------------------------------
def cipher_iv_size(key: Key, alg: int) -> int:
    """IV length of cipher ``alg`` with ``key`` (0: no IV); checks the pair is usable."""
    if A.category(alg) != A.CAT_CIPHER:
        raise fail(A.INVALID_ARGUMENT, f"{alg:#010x} is not a cipher algorithm")
    if alg not in A.CIPHERS:
        raise fail(A.NOT_SUPPORTED, f"cipher {alg:#010x} is not supported")
    if not A.is_symmetric_category(key.type) or key.type & A.CATEGORY_MASK == A.CATEGORY_RAW:
        raise fail(A.INVALID_ARGUMENT, "not a cipher key")
    if alg == A.STREAM_CIPHER:
        if key.type != A.KEY_TYPE_CHACHA20:
            raise fail(A.NOT_SUPPORTED, "the stream cipher is ChaCha20")
        return 12
    if key.type != A.KEY_TYPE_AES:
        raise fail(A.NOT_SUPPORTED, "block cipher modes are supported with AES")
    return 0 if alg == A.ECB_NO_PADDING else 16


def block_mode(alg: int) -> bool:
    return alg in (A.ECB_NO_PADDING, A.CBC_NO_PADDING, A.CBC_PKCS7)


def cipher_object(key: Key, alg: int, iv: bytes, decrypt: bool) -> Any:
    """A ``cryptography`` encryptor/decryptor (no padding: the caller handles PKCS#7)."""
    if alg == A.STREAM_CIPHER:
        c = Cipher(algorithms.ChaCha20(key.data, b"\0\0\0\0" + iv), None)
    else:
        mode = {A.ECB_NO_PADDING: lambda: modes.ECB(), A.CBC_NO_PADDING: lambda: modes.CBC(iv),
                A.CBC_PKCS7: lambda: modes.CBC(iv), A.CTR: lambda: modes.CTR(iv),
                A.CFB: lambda: CFB(iv), A.OFB: lambda: OFB(iv)}[alg]()
        c = Cipher(algorithms.AES(key.data), mode)
    return c.decryptor() if decrypt else c.encryptor()


def pkcs7_pad(data: bytes) -> bytes:
    p = sym_padding.PKCS7(128).padder()
    return p.update(data) + p.finalize()


def pkcs7_unpad(data: bytes) -> bytes:
    u = sym_padding.PKCS7(128).unpadder()
    try:
        return u.update(data) + u.finalize()
    except ValueError:
        raise fail(A.INVALID_PADDING, "bad PKCS#7 padding") from None


def cipher_oneshot(key: Key, alg: int, iv: bytes, data: bytes, decrypt: bool) -> bytes:
    """Whole-message cipher with a given IV (IV not included in the output)."""
    iv_size = cipher_iv_size(key, alg)
    if len(iv) != iv_size:
        raise fail(A.INVALID_ARGUMENT, f"IV of {len(iv)} bytes, the cipher needs {iv_size}")
    if block_mode(alg):
        if alg == A.CBC_PKCS7 and not decrypt:
            data = pkcs7_pad(data)
        elif len(data) % 16:
            raise fail(A.INVALID_ARGUMENT, "input is not a whole number of blocks")
    obj = cipher_object(key, alg, iv, decrypt)
    out = obj.update(data) + obj.finalize()
    if alg == A.CBC_PKCS7 and decrypt:
        out = pkcs7_unpad(out)
    return out


# -- AEAD -----------------------------------------------------------------------------------
def aead_params(key: Key, alg: int) -> tuple[int, int]:
    """(base algorithm, tag length) of AEAD ``alg`` with ``key``, or the PSA error."""
    base, tag = A.aead_parts(alg)
    if base == A.CHACHA20_POLY1305:
        if key.type != A.KEY_TYPE_CHACHA20:
            raise fail(A.INVALID_ARGUMENT if not A.is_symmetric_category(key.type) else A.NOT_SUPPORTED,
                       "ChaCha20-Poly1305 needs a ChaCha20 key")
        if tag not in (0, 16):
            raise fail(A.NOT_SUPPORTED, "ChaCha20-Poly1305 tags are 16 bytes")
        return base, 16
    if key.type != A.KEY_TYPE_AES:
        raise fail(A.INVALID_ARGUMENT if not A.is_symmetric_category(key.type) else A.NOT_SUPPORTED,
                   "CCM and GCM are supported with AES keys")
    tag = tag or 16
    if base == A.CCM and tag not in (4, 6, 8, 10, 12, 14, 16):
        raise fail(A.INVALID_ARGUMENT, "CCM tag 4..16 (even)")
    if base == A.GCM and tag not in (4, 8, 12, 13, 14, 15, 16):
        raise fail(A.INVALID_ARGUMENT, "GCM tag 4, 8, 12..16")
    return base, tag


def aead_check_nonce(base: int, nonce: bytes) -> None:
    """PSA error unless ``nonce`` has a length the AEAD ``base`` takes."""
    if base == A.CHACHA20_POLY1305 and len(nonce) != 12:
        raise fail(A.NOT_SUPPORTED if len(nonce) == 8 else A.INVALID_ARGUMENT, "nonce is 12 bytes")
    if base == A.CCM and not 7 <= len(nonce) <= 13:
        raise fail(A.INVALID_ARGUMENT, "CCM nonce 7..13 bytes")
    if base == A.GCM and not nonce:
        raise fail(A.INVALID_ARGUMENT, "GCM nonce not empty")


def aead(key: Key, alg: int, nonce: bytes, data: bytes, ad: bytes, decrypt: bool) -> bytes:
    base, tag = aead_params(key, alg)
    aead_check_nonce(base, nonce)
    if decrypt and len(data) < tag:
        raise fail(A.INVALID_ARGUMENT, "ciphertext shorter than the tag")
    try:
        if base == A.CHACHA20_POLY1305:
            c = ChaCha20Poly1305(key.data)
            return c.decrypt(nonce, data, ad) if decrypt else c.encrypt(nonce, data, ad)
        if base == A.CCM:
            c = AESCCM(key.data, tag)
            return c.decrypt(nonce, data, ad) if decrypt else c.encrypt(nonce, data, ad)
        return _gcm(key.data, nonce, data, ad, tag, decrypt)
    except InvalidTag:
        raise fail(A.INVALID_SIGNATURE, "AEAD authentication failed") from None


def aead_stream(key: bytes, base: int, nonce: bytes, decrypt: bool) -> Any:
    """The object whose ``update`` turns AEAD input into output as it comes: GCM's own
    encryptor/decryptor (it also takes the additional data and gives the tag), or for CCM and
    ChaCha20-Poly1305 the keystream their ciphertext is made of (AES-CTR from counter block A1,
    RFC 3610; ChaCha20 from block 1, RFC 8439) — their tag is computed at the end."""
    if base == A.GCM:
        mode = modes.GCM(nonce, min_tag_length=4)
        c = Cipher(algorithms.AES(key), mode)
        return c.decryptor() if decrypt else c.encryptor()
    if base == A.CCM:
        size = 15 - len(nonce)
        return Cipher(algorithms.AES(key), modes.CTR(bytes([size - 1]) + nonce + (1).to_bytes(size, "big"))).encryptor()
    return Cipher(algorithms.ChaCha20(key, (1).to_bytes(4, "little") + nonce), None).encryptor()


def _gcm(k: bytes, nonce: bytes, data: bytes, ad: bytes, tag: int, decrypt: bool) -> bytes:
    if decrypt:
        body, t = data[:-tag], data[-tag:]
        d = Cipher(algorithms.AES(k), modes.GCM(nonce, t, min_tag_length=4)).decryptor()
        d.authenticate_additional_data(ad)
        return d.update(body) + d.finalize()
    e = Cipher(algorithms.AES(k), modes.GCM(nonce)).encryptor()
    e.authenticate_additional_data(ad)
    out = e.update(data) + e.finalize()
    return out + e.tag[:tag]


# -- signatures -----------------------------------------------------------------------------
def _sign_hash_alg(alg: int, hash_len: int) -> hashes.HashAlgorithm:
    """The prehashed algorithm for a hash-and-sign ``alg`` and a hash of ``hash_len`` bytes."""
    h = A.hash_in(alg)
    if h == A.ANY_HASH:
        raise fail(A.INVALID_ARGUMENT, "PSA_ALG_ANY_HASH is a policy wildcard only")
    if h == 0:                                     # ECDSA_ANY: the hash size names the hash
        if hash_len not in BY_SIZE:
            raise fail(A.NOT_SUPPORTED, f"raw signature over {hash_len} bytes")
        return chash(BY_SIZE[hash_len])
    ha = chash(h)
    if ha.digest_size != hash_len:
        raise fail(A.INVALID_ARGUMENT, f"hash is {hash_len} bytes, {ha.name} gives {ha.digest_size}")
    return ha


def _sign_kind(key: Key, alg: int) -> str:
    if A.category(alg) != A.CAT_SIGN:
        raise fail(A.INVALID_ARGUMENT, f"{alg:#010x} is not a signature algorithm")
    base = alg & ~A.HASH_MASK
    if base in (A.ECDSA_BASE, A.DETERMINISTIC_ECDSA_BASE):
        if not A.is_ecc(key.type) or key.type & 0xFF != A.ECC_FAMILY_SECP_R1:
            raise fail(A.INVALID_ARGUMENT, "ECDSA needs a SECP-R1 key")
        return "ecdsa"
    if base in (A.RSA_PKCS1V15_SIGN_BASE, A.RSA_PSS_BASE):
        if not A.is_rsa(key.type):
            raise fail(A.INVALID_ARGUMENT, "RSA signatures need an RSA key")
        if base == A.RSA_PKCS1V15_SIGN_BASE and not alg & A.HASH_MASK:
            raise fail(A.NOT_SUPPORTED, "raw PKCS#1 v1.5 signatures are not supported")
        return "pss" if base == A.RSA_PSS_BASE else "pkcs1"
    raise fail(A.NOT_SUPPORTED, f"signature {alg:#010x} is not supported")


def sign_hash(key: Key, alg: int, h: bytes, out_size: int) -> bytes:
    kind = _sign_kind(key, alg)
    if not A.is_key_pair(key.type):
        raise fail(A.INVALID_ARGUMENT, "signing needs a key pair")
    ha = _sign_hash_alg(alg, len(h))
    obj = live(key)
    if kind == "ecdsa":
        n = ecc_bytes(key.bits)
        need(out_size, 2 * n)
        det = alg & ~A.HASH_MASK == A.DETERMINISTIC_ECDSA_BASE
        der = obj.sign(h, ec.ECDSA(utils.Prehashed(ha), deterministic_signing=det))
        r, s = utils.decode_dss_signature(der)
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    need(out_size, key.bits // 8 + (1 if key.bits % 8 else 0))
    pad = (padding.PSS(padding.MGF1(ha), ha.digest_size) if kind == "pss" else padding.PKCS1v15())
    return obj.sign(h, pad, utils.Prehashed(ha))


def verify_hash(key: Key, alg: int, h: bytes, sig: bytes) -> None:
    kind = _sign_kind(key, alg)
    ha = _sign_hash_alg(alg, len(h))
    obj = live(key)
    pub = obj.public_key() if A.is_key_pair(key.type) else obj
    try:
        if kind == "ecdsa":
            n = ecc_bytes(key.bits)
            if len(sig) != 2 * n:
                raise fail(A.INVALID_SIGNATURE, "signature size")
            r, s = int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big")
            pub.verify(utils.encode_dss_signature(r, s), h, ec.ECDSA(utils.Prehashed(ha)))
        else:
            pad = (padding.PSS(padding.MGF1(ha), padding.PSS.AUTO) if kind == "pss" else padding.PKCS1v15())
            pub.verify(sig, h, pad, utils.Prehashed(ha))
    except InvalidSignature:
        raise fail(A.INVALID_SIGNATURE, "signature does not verify") from None


# -- asymmetric encryption ------------------------------------------------------------------
def _asym_padding(alg: int, salt: bytes) -> Any:
    if A.category(alg) != A.CAT_ASYM_ENC:
        raise fail(A.INVALID_ARGUMENT, f"{alg:#010x} is not an asymmetric encryption algorithm")
    if alg == A.RSA_PKCS1V15_CRYPT:
        if salt:
            raise fail(A.INVALID_ARGUMENT, "PKCS#1 v1.5 encryption takes no salt")
        return padding.PKCS1v15()
    if alg & ~A.HASH_MASK == A.RSA_OAEP_BASE:
        ha = chash(A.hash_in(alg))
        return padding.OAEP(padding.MGF1(ha), ha, salt or None)
    raise fail(A.NOT_SUPPORTED, f"asymmetric encryption {alg:#010x} is not supported")


def asym_crypt(key: Key, alg: int, data: bytes, salt: bytes, decrypt: bool, out_size: int) -> bytes:
    pad = _asym_padding(alg, salt)
    if not A.is_rsa(key.type):
        raise fail(A.INVALID_ARGUMENT if not A.is_ecc(key.type) else A.NOT_SUPPORTED, "RSA keys only")
    obj = live(key)
    if decrypt:
        if not A.is_key_pair(key.type):
            raise fail(A.INVALID_ARGUMENT, "decryption needs a key pair")
        if len(data) != (key.bits + 7) // 8:
            raise fail(A.INVALID_ARGUMENT, "ciphertext is not the modulus size")
        try:
            out = obj.decrypt(data, pad)
        except ValueError:
            raise fail(A.INVALID_PADDING, "decryption failed") from None
        need(out_size, len(out))
        return out
    need(out_size, (key.bits + 7) // 8)
    pub = obj.public_key() if A.is_key_pair(key.type) else obj
    try:
        return pub.encrypt(data, pad)
    except ValueError:
        raise fail(A.INVALID_ARGUMENT, "message too long for the key") from None


# -- key agreement --------------------------------------------------------------------------
def raw_agreement(key: Key, alg: int, peer: bytes) -> bytes:
    """ECDH shared secret (x coordinate / X25519 output) of ``key`` with a peer public key."""
    if A.category(alg) != A.CAT_KA:
        raise fail(A.INVALID_ARGUMENT, f"{alg:#010x} is not a key agreement algorithm")
    if alg & A.KA_MASK != A.ECDH:
        raise fail(A.NOT_SUPPORTED, f"key agreement {alg:#010x} is not supported")
    if not (A.is_ecc(key.type) and A.is_key_pair(key.type)):
        raise fail(A.INVALID_ARGUMENT, "ECDH needs an ECC key pair")
    obj = live(key)
    try:
        if isinstance(obj, x25519.X25519PrivateKey):
            if len(peer) != 32:
                raise ValueError
            return obj.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
        pub = ec.EllipticCurvePublicKey.from_encoded_point(obj.curve, peer)
        return obj.exchange(ec.ECDH(), pub)
    except ValueError:
        raise fail(A.INVALID_ARGUMENT, "peer key is not a valid public key of the curve") from None


def rsa_or_none(obj: Any) -> bool:
    return isinstance(obj, (rsa.RSAPrivateKey, rsa.RSAPublicKey))
