"""PSA Crypto API 1.0 encodings the crypto engine understands: statuses, key types, algorithms.

Values come from :mod:`psaemu.platform.psa_values` (the one place psaemu keeps PSA constants);
this module gives them the engine's short names. The classification helpers say which algorithm a
value names and, for an unusable value, which PSA status the engine answers:
``INVALID_ARGUMENT`` when the value is not an algorithm of the expected category (or is a
wildcard, which only a policy may hold), ``NOT_SUPPORTED`` when it is one the engine lacks.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from psaemu.platform import psa_values as V
from psaemu.platform.psa_values import PsaStatus as S

# -- statuses (the engine's short names for psaemu.platform.psa_values.PsaStatus) ------------
SUCCESS = int(S.PSA_SUCCESS)
GENERIC_ERROR = int(S.PSA_ERROR_GENERIC_ERROR)
NOT_PERMITTED = int(S.PSA_ERROR_NOT_PERMITTED)
NOT_SUPPORTED = int(S.PSA_ERROR_NOT_SUPPORTED)
INVALID_ARGUMENT = int(S.PSA_ERROR_INVALID_ARGUMENT)
INVALID_HANDLE = int(S.PSA_ERROR_INVALID_HANDLE)
BAD_STATE = int(S.PSA_ERROR_BAD_STATE)
BUFFER_TOO_SMALL = int(S.PSA_ERROR_BUFFER_TOO_SMALL)
ALREADY_EXISTS = int(S.PSA_ERROR_ALREADY_EXISTS)
DOES_NOT_EXIST = int(S.PSA_ERROR_DOES_NOT_EXIST)
INSUFFICIENT_MEMORY = int(S.PSA_ERROR_INSUFFICIENT_MEMORY)
INSUFFICIENT_DATA = int(S.PSA_ERROR_INSUFFICIENT_DATA)
INVALID_SIGNATURE = int(S.PSA_ERROR_INVALID_SIGNATURE)
INVALID_PADDING = int(S.PSA_ERROR_INVALID_PADDING)

class PsaFailure(Exception):
    """An engine command failed with a PSA status (the engine puts it in RESULT)."""

    def __init__(self, status: int, why: str = "") -> None:
        super().__init__(why or str(status))
        self.status = status


def fail(status: int, why: str = "") -> PsaFailure:
    return PsaFailure(status, why)


# -- key types ------------------------------------------------------------------------------
KEY_TYPE_RAW_DATA = V.PSA_KEY_TYPE_RAW_DATA
KEY_TYPE_HMAC = V.PSA_KEY_TYPE_HMAC
KEY_TYPE_DERIVE = V.PSA_KEY_TYPE_DERIVE
KEY_TYPE_AES = V.PSA_KEY_TYPE_AES
KEY_TYPE_CHACHA20 = V.PSA_KEY_TYPE_CHACHA20
KEY_TYPE_RSA_PUBLIC_KEY = V.PSA_KEY_TYPE_RSA_PUBLIC_KEY
KEY_TYPE_RSA_KEY_PAIR = V.PSA_KEY_TYPE_RSA_KEY_PAIR
KEY_TYPE_ECC_PUBLIC_BASE = V.PSA_KEY_TYPE_ECC_PUBLIC_KEY_BASE
KEY_TYPE_ECC_PAIR_BASE = V.PSA_KEY_TYPE_ECC_KEY_PAIR_BASE
ECC_FAMILY_SECP_R1 = V.PSA_ECC_FAMILY_SECP_R1
ECC_FAMILY_MONTGOMERY = V.PSA_ECC_FAMILY_MONTGOMERY
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
ALG_CATEGORY_MASK = V.PSA_ALG_CATEGORY_MASK
CAT_HASH, CAT_MAC, CAT_CIPHER, CAT_AEAD = (V.PSA_ALG_CATEGORY_HASH, V.PSA_ALG_CATEGORY_MAC,
                                           V.PSA_ALG_CATEGORY_CIPHER, V.PSA_ALG_CATEGORY_AEAD)
CAT_SIGN, CAT_ASYM_ENC, CAT_KDF, CAT_KA = (V.PSA_ALG_CATEGORY_SIGN, V.PSA_ALG_CATEGORY_ASYMMETRIC_ENCRYPTION,
                                           V.PSA_ALG_CATEGORY_KEY_DERIVATION, V.PSA_ALG_CATEGORY_KEY_AGREEMENT)
HASH_MASK = V.PSA_ALG_HASH_MASK
ANY_HASH = V.PSA_ALG_ANY_HASH

#: hash alg -> (hashlib name, digest size, block size)
HASHES = {
    V.PSA_ALG_SHA_1: ("sha1", 20, 64),
    V.PSA_ALG_SHA_224: ("sha224", 28, 64),
    V.PSA_ALG_SHA_256: ("sha256", 32, 64),
    V.PSA_ALG_SHA_384: ("sha384", 48, 128),
    V.PSA_ALG_SHA_512: ("sha512", 64, 128),
}

HMAC_BASE = V.PSA_ALG_HMAC_BASE
MAC_SUBCATEGORY_MASK = 0x00C00000
CIPHER_MAC_BASE = 0x03C00000
CMAC = V.PSA_ALG_CMAC
MAC_TRUNCATION_MASK = V.PSA_ALG_MAC_TRUNCATION_MASK
AT_LEAST_THIS_LENGTH_FLAG = 0x00008000

STREAM_CIPHER = V.PSA_ALG_STREAM_CIPHER
CTR, CFB, OFB = V.PSA_ALG_CTR, V.PSA_ALG_CFB, V.PSA_ALG_OFB
ECB_NO_PADDING, CBC_NO_PADDING, CBC_PKCS7 = V.PSA_ALG_ECB_NO_PADDING, V.PSA_ALG_CBC_NO_PADDING, V.PSA_ALG_CBC_PKCS7
CIPHERS = (STREAM_CIPHER, CTR, CFB, OFB, ECB_NO_PADDING, CBC_NO_PADDING, CBC_PKCS7)

CCM, GCM, CHACHA20_POLY1305 = V.PSA_ALG_CCM, V.PSA_ALG_GCM, V.PSA_ALG_CHACHA20_POLY1305
AEAD_TAG_MASK = V.PSA_ALG_AEAD_TAG_LENGTH_MASK

RSA_PKCS1V15_SIGN_BASE = V.PSA_ALG_RSA_PKCS1V15_SIGN_BASE
RSA_PSS_BASE = V.PSA_ALG_RSA_PSS_BASE
ECDSA_BASE = V.PSA_ALG_ECDSA_BASE
DETERMINISTIC_ECDSA_BASE = V.PSA_ALG_DETERMINISTIC_ECDSA_BASE
RSA_PKCS1V15_CRYPT = V.PSA_ALG_RSA_PKCS1V15_CRYPT
RSA_OAEP_BASE = V.PSA_ALG_RSA_OAEP_BASE

HKDF_BASE, TLS12_PRF_BASE, TLS12_PSK_TO_MS_BASE = V.PSA_ALG_HKDF_BASE, V.PSA_ALG_TLS12_PRF_BASE, V.PSA_ALG_TLS12_PSK_TO_MS_BASE
ECDH = V.PSA_ALG_ECDH
FFDH = V.PSA_ALG_FFDH
KA_MASK = 0x7FFF0000            # key-agreement part of a (key agreement + KDF) algorithm

# key-derivation steps
STEP_SECRET, STEP_LABEL, STEP_SALT, STEP_INFO, STEP_SEED = (
    V.PSA_KEY_DERIVATION_INPUT_SECRET, V.PSA_KEY_DERIVATION_INPUT_LABEL, V.PSA_KEY_DERIVATION_INPUT_SALT,
    V.PSA_KEY_DERIVATION_INPUT_INFO, V.PSA_KEY_DERIVATION_INPUT_SEED)
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
