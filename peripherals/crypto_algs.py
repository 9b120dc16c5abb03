"""PSA Crypto API 1.0 encodings the crypto engine understands: statuses, key types, algorithms.

Values are those of Mbed TLS 2.25's ``include/psa/crypto_values.h`` (the PSA Crypto 1.0.0
encodings, unchanged in later releases). The classification helpers say which algorithm a
value names and, for an unusable value, which PSA status the engine answers:
``INVALID_ARGUMENT`` when the value is not an algorithm of the expected category (or is a
wildcard, which only a policy may hold), ``NOT_SUPPORTED`` when it is one the engine lacks.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

# -- statuses -------------------------------------------------------------------------------
SUCCESS = 0
GENERIC_ERROR = -132
NOT_PERMITTED = -133
NOT_SUPPORTED = -134
INVALID_ARGUMENT = -135
INVALID_HANDLE = -136
BAD_STATE = -137
BUFFER_TOO_SMALL = -138
ALREADY_EXISTS = -139
DOES_NOT_EXIST = -140
INSUFFICIENT_MEMORY = -141
INSUFFICIENT_DATA = -143
INVALID_SIGNATURE = -149
INVALID_PADDING = -150


class PsaFailure(Exception):
    """An engine command failed with a PSA status (the engine puts it in RESULT)."""

    def __init__(self, status: int, why: str = "") -> None:
        super().__init__(why or str(status))
        self.status = status


def fail(status: int, why: str = "") -> PsaFailure:
    return PsaFailure(status, why)


# -- key types ------------------------------------------------------------------------------
KEY_TYPE_RAW_DATA = 0x1001
KEY_TYPE_HMAC = 0x1100
KEY_TYPE_DERIVE = 0x1200
KEY_TYPE_AES = 0x2400
KEY_TYPE_CHACHA20 = 0x2004
KEY_TYPE_RSA_PUBLIC_KEY = 0x4001
KEY_TYPE_RSA_KEY_PAIR = 0x7001
KEY_TYPE_ECC_PUBLIC_BASE = 0x4100
KEY_TYPE_ECC_PAIR_BASE = 0x7100
ECC_FAMILY_SECP_R1 = 0x12
ECC_FAMILY_MONTGOMERY = 0x41
CATEGORY_MASK = 0x7000
CATEGORY_RAW = 0x1000
CATEGORY_SYMMETRIC = 0x2000
CATEGORY_FLAG_PAIR = 0x3000


def is_symmetric_category(t: int) -> bool:
    return t & CATEGORY_MASK in (CATEGORY_RAW, CATEGORY_SYMMETRIC)


def is_ecc(t: int) -> bool:
    return (t | CATEGORY_FLAG_PAIR) & ~0xFF == KEY_TYPE_ECC_PAIR_BASE


def is_rsa(t: int) -> bool:
    return t | CATEGORY_FLAG_PAIR == KEY_TYPE_RSA_KEY_PAIR


def is_key_pair(t: int) -> bool:
    return t & CATEGORY_MASK == 0x7000


def public_type_of(t: int) -> int:
    return t & ~CATEGORY_FLAG_PAIR


# -- algorithms -----------------------------------------------------------------------------
ALG_CATEGORY_MASK = 0x7F000000
CAT_HASH, CAT_MAC, CAT_CIPHER, CAT_AEAD = 0x02000000, 0x03000000, 0x04000000, 0x05000000
CAT_SIGN, CAT_ASYM_ENC, CAT_KDF, CAT_KA = 0x06000000, 0x07000000, 0x08000000, 0x09000000
HASH_MASK = 0xFF
ANY_HASH = 0x020000FF

#: hash alg -> (hashlib name, digest size, block size)
HASHES = {
    0x02000005: ("sha1", 20, 64),
    0x02000008: ("sha224", 28, 64),
    0x02000009: ("sha256", 32, 64),
    0x0200000A: ("sha384", 48, 128),
    0x0200000B: ("sha512", 64, 128),
}

HMAC_BASE = 0x03800000
MAC_SUBCATEGORY_MASK = 0x00C00000
CIPHER_MAC_BASE = 0x03C00000
CMAC = 0x03C00200
MAC_TRUNCATION_MASK = 0x003F0000
AT_LEAST_THIS_LENGTH_FLAG = 0x00008000

STREAM_CIPHER = 0x04800100
CTR, CFB, OFB = 0x04C01000, 0x04C01100, 0x04C01200
ECB_NO_PADDING, CBC_NO_PADDING, CBC_PKCS7 = 0x04404400, 0x04404000, 0x04404100
CIPHERS = (STREAM_CIPHER, CTR, CFB, OFB, ECB_NO_PADDING, CBC_NO_PADDING, CBC_PKCS7)

CCM, GCM, CHACHA20_POLY1305 = 0x05500100, 0x05500200, 0x05100500
AEAD_TAG_MASK = 0x003F0000

RSA_PKCS1V15_SIGN_BASE = 0x06000200
RSA_PSS_BASE = 0x06000300
ECDSA_BASE = 0x06000600
DETERMINISTIC_ECDSA_BASE = 0x06000700
RSA_PKCS1V15_CRYPT = 0x07000200
RSA_OAEP_BASE = 0x07000300

HKDF_BASE, TLS12_PRF_BASE, TLS12_PSK_TO_MS_BASE = 0x08000100, 0x08000200, 0x08000300
ECDH = 0x09020000
FFDH = 0x09010000
KA_MASK = 0x7FFF0000            # key-agreement part of a (key agreement + KDF) algorithm

# key-derivation steps
STEP_SECRET, STEP_LABEL, STEP_SALT, STEP_INFO, STEP_SEED = 0x0101, 0x0201, 0x0202, 0x0203, 0x0204
TLS12_PSK_MAX = 64


def category(alg: int) -> int:
    return alg & ALG_CATEGORY_MASK


def hash_of(alg: int) -> tuple[str, int, int]:
    """The (hashlib name, size, block) of hash algorithm ``alg``; a PsaFailure otherwise."""
    if category(alg) != CAT_HASH or alg == ANY_HASH:
        raise fail(INVALID_ARGUMENT, f"{alg:#010x} is not a hash algorithm")
    if alg not in HASHES:
        raise fail(NOT_SUPPORTED, f"hash {alg:#010x} is not supported")
    return HASHES[alg]


def hash_in(alg: int) -> int:
    """The hash algorithm encoded in the low byte of a hash-parameterised ``alg`` (0 if none)."""
    return CAT_HASH | (alg & HASH_MASK) if alg & HASH_MASK else 0


def new_hash(alg: int) -> "hashlib._Hash":
    return hashlib.new(hash_of(alg)[0])


@dataclass(frozen=True)
class MacAlg:
    """A MAC algorithm: HMAC over ``hash_alg`` or CMAC, and the MAC length it outputs."""

    hmac: bool
    hash_alg: int
    length: int
    full: int


def mac_alg(alg: int, key_type: int, key_bits: int) -> MacAlg:
    """Decode a MAC algorithm for a key (type/bits); PsaFailure for bad or unsupported ones."""
    if category(alg) != CAT_MAC or alg & AT_LEAST_THIS_LENGTH_FLAG:
        raise fail(INVALID_ARGUMENT, f"{alg:#010x} is not a MAC algorithm")
    base = alg & ~MAC_TRUNCATION_MASK
    trunc = (alg & MAC_TRUNCATION_MASK) >> 16
    if base & (ALG_CATEGORY_MASK | MAC_SUBCATEGORY_MASK) == HMAC_BASE:
        h = hash_in(base)
        if not h or h == ANY_HASH:
            raise fail(INVALID_ARGUMENT, "HMAC needs a hash")
        full = hash_of(h)[1]
        if key_type != KEY_TYPE_HMAC:
            raise fail(INVALID_ARGUMENT, "HMAC needs an HMAC key")
        hmac = True
    elif base == CMAC:
        if key_type != KEY_TYPE_AES:
            raise fail(INVALID_ARGUMENT if not is_symmetric_category(key_type) else NOT_SUPPORTED,
                       "CMAC is supported with AES keys")
        h, full, hmac = 0, 16, False
    else:
        raise fail(NOT_SUPPORTED, f"MAC {alg:#010x} is not supported")
    if trunc > full:
        raise fail(INVALID_ARGUMENT, f"truncation to {trunc} bytes exceeds the {full}-byte MAC")
    if trunc and trunc < 4:
        raise fail(NOT_SUPPORTED, "MACs truncated below 4 bytes are not supported")
    return MacAlg(hmac, h, trunc or full, full)


def aead_parts(alg: int) -> tuple[int, int]:
    """(base AEAD algorithm with the default tag, tag length) of an AEAD ``alg``."""
    if category(alg) != CAT_AEAD or alg & AT_LEAST_THIS_LENGTH_FLAG:
        raise fail(INVALID_ARGUMENT, f"{alg:#010x} is not an AEAD algorithm")
    tag = (alg & AEAD_TAG_MASK) >> 16
    for base in (CCM, GCM, CHACHA20_POLY1305):
        if alg & ~AEAD_TAG_MASK == base & ~AEAD_TAG_MASK:
            return base, tag
    raise fail(NOT_SUPPORTED, f"AEAD {alg:#010x} is not supported")


def is_kdf_alg(alg: int) -> bool:
    return alg & ~HASH_MASK in (HKDF_BASE, TLS12_PRF_BASE, TLS12_PSK_TO_MS_BASE)
