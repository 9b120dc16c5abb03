"""Key material of the crypto engine: import, generation, export and live objects.

A key is held as plain data, its type, its size in bits and its PSA export format (raw bytes for
symmetric keys, the private scalar / uncompressed point for Weierstrass ECC, 32 little-endian
bytes for X25519, PKCS#1 DER for RSA), so the engine's snapshot is plain data. Objects of the
``cryptography`` package are built from it on demand. Errors are :class:`PsaFailure` statuses.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Callable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519

from . import crypto_algs as A
from .crypto_algs import fail

SECP_CURVES: dict[int, Any] = {256: ec.SECP256R1, 384: ec.SECP384R1, 521: ec.SECP521R1}
RSA_BITS = (1024, 4096)
MAX_SYMMETRIC_BITS = 8 * 512


def ecc_bytes(bits: int) -> int:
    return (bits + 7) // 8


@dataclass(frozen=True)
class Key:
    """One key: PSA type, size in bits, export-format material."""

    type: int
    bits: int
    data: bytes

    def as_state(self) -> list:
        return [self.type, self.bits, self.data]

    @classmethod
    def from_state(cls, s: list) -> "Key":
        return cls(int(s[0]), int(s[1]), bytes(s[2]))


def _family(t: int) -> int:
    return t & 0xFF


def _check_bits(requested: int, actual: int) -> None:
    if requested and requested != actual:
        raise fail(A.INVALID_ARGUMENT, f"key is {actual} bits, attributes say {requested}")


def import_key(key_type: int, bits: int, data: bytes) -> Key:
    """Validate ``data`` as a key of ``key_type`` (and ``bits`` when nonzero)."""
    if not data:
        raise fail(A.INVALID_ARGUMENT, "empty key data")
    t = key_type
    if t in (A.KEY_TYPE_RAW_DATA, A.KEY_TYPE_HMAC, A.KEY_TYPE_DERIVE):
        actual = 8 * len(data)
        if actual > MAX_SYMMETRIC_BITS:
            raise fail(A.NOT_SUPPORTED, "key too large")
    elif t == A.KEY_TYPE_AES:
        if len(data) not in (16, 24, 32):
            raise fail(A.INVALID_ARGUMENT, "AES keys are 16, 24 or 32 bytes")
        actual = 8 * len(data)
    elif t == A.KEY_TYPE_CHACHA20:
        if len(data) != 32:
            raise fail(A.INVALID_ARGUMENT, "ChaCha20 keys are 32 bytes")
        actual = 256
    elif A.is_ecc(t):
        actual = _import_ecc(t, data)
    elif A.is_rsa(t):
        actual = _load_rsa(t, data).key_size
        if not RSA_BITS[0] <= actual <= RSA_BITS[1]:
            raise fail(A.NOT_SUPPORTED, f"RSA keys of {actual} bits are not supported")
    elif A.is_symmetric_category(t):
        raise fail(A.NOT_SUPPORTED, f"key type {t:#06x} is not supported")
    else:
        raise fail(A.NOT_SUPPORTED if t else A.INVALID_ARGUMENT, f"key type {t:#06x} is not supported")
    _check_bits(bits, actual)
    return Key(t, actual, bytes(data))


def _import_ecc(t: int, data: bytes) -> int:
    fam, pair = _family(t), A.is_key_pair(t)
    if fam == A.ECC_FAMILY_MONTGOMERY:
        if len(data) != 32:
            raise fail(A.NOT_SUPPORTED if len(data) == 56 else A.INVALID_ARGUMENT, "X25519 keys are 32 bytes")
        return 255
    if fam != A.ECC_FAMILY_SECP_R1:
        raise fail(A.NOT_SUPPORTED, f"ECC family {fam:#04x} is not supported")
    n = len(data)
    for bits in SECP_CURVES:
        if (pair and n == ecc_bytes(bits)) or (not pair and n == 1 + 2 * ecc_bytes(bits)):
            try:
                _ecc_obj(Key(t, bits, data))
            except ValueError:
                raise fail(A.INVALID_ARGUMENT, "not a valid key of that curve") from None
            return bits
    raise fail(A.INVALID_ARGUMENT, f"{n} bytes is no SECP-R1 key size")


def _load_rsa(t: int, data: bytes) -> Any:
    try:
        if A.is_key_pair(t):
            obj = serialization.load_der_private_key(data, None)
        else:
            obj = serialization.load_der_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise fail(A.INVALID_ARGUMENT, "not a PKCS#1 DER RSA key") from None
    if not isinstance(obj, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        raise fail(A.INVALID_ARGUMENT, "not an RSA key")
    return obj


def _ecc_obj(key: Key) -> Any:
    fam, pair = _family(key.type), A.is_key_pair(key.type)
    if fam == A.ECC_FAMILY_MONTGOMERY:
        return (x25519.X25519PrivateKey.from_private_bytes(key.data) if pair
                else x25519.X25519PublicKey.from_public_bytes(key.data))
    curve = SECP_CURVES[key.bits]()
    if pair:
        return ec.derive_private_key(int.from_bytes(key.data, "big"), curve)
    return ec.EllipticCurvePublicKey.from_encoded_point(curve, key.data)


def live(key: Key) -> Any:
    """The ``cryptography`` object of an asymmetric key."""
    if A.is_ecc(key.type):
        return _ecc_obj(key)
    if A.is_rsa(key.type):
        return _load_rsa(key.type, key.data)
    raise fail(A.INVALID_ARGUMENT, "not an asymmetric key")


def generate(key_type: int, bits: int, rng: Callable[[int], bytes]) -> Key:
    """A new key drawn from ``rng`` (the engine's DRBG; RSA primes come from OpenSSL)."""
    t = key_type
    if not bits:
        raise fail(A.INVALID_ARGUMENT if t != A.KEY_TYPE_CHACHA20 else A.NOT_SUPPORTED, "key size 0")
    if A.is_symmetric_category(t):
        if bits % 8:
            raise fail(A.INVALID_ARGUMENT, "symmetric key sizes are whole bytes")
        return import_key(t, bits, rng(bits // 8))
    if not A.is_key_pair(t):
        raise fail(A.INVALID_ARGUMENT, "only key pairs and symmetric keys can be generated")
    if A.is_ecc(t):
        fam = _family(t)
        if fam == A.ECC_FAMILY_MONTGOMERY and bits == 255:
            return import_key(t, bits, rng(32))
        if fam != A.ECC_FAMILY_SECP_R1 or bits not in SECP_CURVES:
            raise fail(A.NOT_SUPPORTED, f"ECC family {fam:#04x} with {bits} bits is not supported")
        order = _ORDERS[bits]
        while True:                          # rejection sampling of a scalar in [1, n-1]
            d = int.from_bytes(rng(ecc_bytes(bits)), "big") >> (8 * ecc_bytes(bits) - bits)
            if 1 <= d < order:
                return Key(t, bits, d.to_bytes(ecc_bytes(bits), "big"))
    if A.is_rsa(t):
        if not RSA_BITS[0] <= bits <= RSA_BITS[1] or bits % 8:
            raise fail(A.NOT_SUPPORTED, f"RSA keys of {bits} bits are not supported")
        obj = rsa.generate_private_key(65537, bits)
        return Key(t, bits, obj.private_bytes(serialization.Encoding.DER,
                                              serialization.PrivateFormat.TraditionalOpenSSL,
                                              serialization.NoEncryption()))
    raise fail(A.NOT_SUPPORTED, f"key type {t:#06x} is not supported")


_ORDERS = {
    256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    384: int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16),
    521: int("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16),
}


def export_public(key: Key) -> bytes:
    """The public part in PSA format; INVALID_ARGUMENT for a symmetric key."""
    if not (A.is_ecc(key.type) or A.is_rsa(key.type)):
        raise fail(A.INVALID_ARGUMENT, "symmetric keys have no public part")
    if not A.is_key_pair(key.type):
        return key.data
    obj = live(key).public_key()
    if isinstance(obj, x25519.X25519PublicKey):
        return obj.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if isinstance(obj, ec.EllipticCurvePublicKey):
        return obj.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return obj.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


BLOB_MAGIC = 0x4B595331          # "1SYK": engine key blob, version 1


def to_blob(key: Key) -> bytes:
    """The engine's persistent form of a key: magic, type, bits, length, material."""
    return struct.pack("<IIII", BLOB_MAGIC, key.type, key.bits, len(key.data)) + key.data


def from_blob(blob: bytes) -> Key:
    if len(blob) < 16:
        raise fail(A.INVALID_ARGUMENT, "key blob too short")
    magic, t, bits, n = struct.unpack_from("<IIII", blob)
    if magic != BLOB_MAGIC or n != len(blob) - 16:
        raise fail(A.INVALID_ARGUMENT, "not an engine key blob")
    return import_key(t, bits, blob[16:])
