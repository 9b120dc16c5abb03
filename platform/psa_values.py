"""The PSA constants of psaemu in one neutral place: statuses, client-API values, platform-service
result enums and the PSA Crypto 1.0 encodings (algorithms, key types, usage flags, ids).

It sits in ``platform`` because both layers above need it: ``peripherals`` (the crypto engine) and
``proxy`` (Host SPM, forwarder, scripted clients) may import ``platform``, never each other. It is
plain data and arithmetic with no machine state. ``psaemu.proxy.status``, ``psaemu.proxy.crypto_values``
and ``psaemu.peripherals.crypto_algs`` re-export or alias these names.

Values: TF-M v1.3.0 ``interface/include/psa/client.h:27-60``, ``psa/error.h:30-55``,
``psa/service.h:26-47`` (the same in v1.4-v1.6), ``psa/crypto_values.h:210-255`` (the extra crypto
error codes -148..-151; -152 ``PSA_ERROR_DATA_CORRUPT`` is named in ``psa/protected_storage.h:110``
but defined by no v1.3 header, so it takes the PSA Storage API value), ``interface/include/tfm_platform_api.h:35`` (``enum tfm_platform_err_t``)
and ``platform/include/tfm_plat_defs.h:18`` (``enum tfm_plat_err_t``); TF-M v1.3
``interface/include/psa/crypto_values.h`` (the Mbed TLS 2.25.0 encodings, unchanged in the later
releases' Mbed TLS 3.0 headers); the builders mirror that header's macros
(``PSA_ALG_HMAC(hash)`` -> :func:`psa_alg_hmac` ...). Sizes from ``crypto_sizes.h``.
"""
from __future__ import annotations

from enum import IntEnum


class PsaStatus(IntEnum):
    """``psa_status_t`` values (int32) of the PSA client, service and crypto APIs."""

    PSA_SUCCESS = 0
    PSA_SUCCESS_REBOOT = 1
    PSA_SUCCESS_RESTART = 2
    PSA_ERROR_PROGRAMMER_ERROR = -129
    PSA_ERROR_CONNECTION_REFUSED = -130
    PSA_ERROR_CONNECTION_BUSY = -131
    PSA_ERROR_GENERIC_ERROR = -132
    PSA_ERROR_NOT_PERMITTED = -133
    PSA_ERROR_NOT_SUPPORTED = -134
    PSA_ERROR_INVALID_ARGUMENT = -135
    PSA_ERROR_INVALID_HANDLE = -136
    PSA_ERROR_BAD_STATE = -137
    PSA_ERROR_BUFFER_TOO_SMALL = -138
    PSA_ERROR_ALREADY_EXISTS = -139
    PSA_ERROR_DOES_NOT_EXIST = -140
    PSA_ERROR_INSUFFICIENT_MEMORY = -141
    PSA_ERROR_INSUFFICIENT_STORAGE = -142
    PSA_ERROR_INSUFFICIENT_DATA = -143
    PSA_ERROR_SERVICE_FAILURE = -144
    PSA_ERROR_COMMUNICATION_FAILURE = -145
    PSA_ERROR_STORAGE_FAILURE = -146
    PSA_ERROR_HARDWARE_FAILURE = -147
    PSA_ERROR_INSUFFICIENT_ENTROPY = -148
    PSA_ERROR_INVALID_SIGNATURE = -149
    PSA_ERROR_INVALID_PADDING = -150
    PSA_ERROR_CORRUPTION_DETECTED = -151
    PSA_ERROR_DATA_CORRUPT = -152
    PSA_ERROR_DEPENDENCY_NEEDED = -156
    PSA_ERROR_CURRENTLY_INSTALLING = -157


def to_int32(value: int) -> int:
    """Read a 32-bit register value (0..0xFFFFFFFF) or an int32 as a signed int32."""
    if not -(1 << 31) <= value <= 0xFFFFFFFF:
        raise ValueError(f"{value} does not fit in 32 bits")
    return value - (1 << 32) if value >= (1 << 31) else value


def to_uint32(value: int) -> int:
    """The 32-bit register image of an int32 (or of an already unsigned value)."""
    return to_int32(value) & 0xFFFFFFFF


def status_name(value: int) -> str:
    """``"PSA_ERROR_INSUFFICIENT_MEMORY (-141)"``; unknown values as their signed number."""
    signed = to_int32(value)
    try:
        return f"{PsaStatus(signed).name} ({signed})"
    except ValueError:
        return str(signed)


# --- PSA client API constants (psa/client.h, psa/service.h) ------------------------------
PSA_FRAMEWORK_VERSION = 0x0101
PSA_VERSION_NONE = 0
PSA_NULL_HANDLE = 0          # psa_handle_t is int32_t
PSA_MAX_IOVEC = 4
PSA_IPC_CALL = 0
PSA_IPC_CONNECT = -1
PSA_IPC_DISCONNECT = -2
PSA_POLL = 0x00000000
PSA_BLOCK = 0x80000000
PSA_WAIT_ANY = 0xFFFFFFFF
PSA_DOORBELL = 0x00000008


def psa_handle_is_valid(handle: int) -> bool:
    """``PSA_HANDLE_IS_VALID(h)``: a handle is valid when it is positive."""
    return handle > 0


# --- Platform service (tfm_platform_api.h, tfm_plat_defs.h) ------------------------------
class TfmPlatformErr(IntEnum):
    """``enum tfm_platform_err_t``: the platform service replies with these as positive statuses."""

    TFM_PLATFORM_ERR_SUCCESS = 0
    TFM_PLATFORM_ERR_SYSTEM_ERROR = 1
    TFM_PLATFORM_ERR_INVALID_PARAM = 2
    TFM_PLATFORM_ERR_NOT_SUPPORTED = 3


TFM_PLATFORM_ERR_FORCE_INT_SIZE = 0x7FFFFFFF   # INT_MAX: only forces the enum to 4 bytes


class TfmPlatErr(IntEnum):
    """``enum tfm_plat_err_t``: results of the platform HAL (e.g. the NV counter functions)."""

    TFM_PLAT_ERR_SUCCESS = 0
    TFM_PLAT_ERR_SYSTEM_ERR = 0x3A5C
    TFM_PLAT_ERR_MAX_VALUE = 0x55A3
    TFM_PLAT_ERR_INVALID_INPUT = 0xA3C5
    TFM_PLAT_ERR_UNSUPPORTED = 0xC35A

# --- algorithm categories and hashes (crypto_values.h:601-776) ----------------------------
PSA_ALG_NONE = 0
PSA_ALG_CATEGORY_MASK = 0x7F000000
PSA_ALG_CATEGORY_HASH = 0x02000000
PSA_ALG_CATEGORY_MAC = 0x03000000
PSA_ALG_CATEGORY_CIPHER = 0x04000000
PSA_ALG_CATEGORY_AEAD = 0x05000000
PSA_ALG_CATEGORY_SIGN = 0x06000000
PSA_ALG_CATEGORY_ASYMMETRIC_ENCRYPTION = 0x07000000
PSA_ALG_CATEGORY_KEY_DERIVATION = 0x08000000
PSA_ALG_CATEGORY_KEY_AGREEMENT = 0x09000000
PSA_ALG_HASH_MASK = 0x000000FF

PSA_ALG_MD5 = 0x02000003
PSA_ALG_RIPEMD160 = 0x02000004
PSA_ALG_SHA_1 = 0x02000005
PSA_ALG_SHA_224 = 0x02000008
PSA_ALG_SHA_256 = 0x02000009
PSA_ALG_SHA_384 = 0x0200000A
PSA_ALG_SHA_512 = 0x0200000B
PSA_ALG_SHA_512_224 = 0x0200000C
PSA_ALG_SHA_512_256 = 0x0200000D
PSA_ALG_SHA3_256 = 0x02000011
PSA_ALG_ANY_HASH = 0x020000FF

#: Digest sizes of the hashes the SE supports (``PSA_HASH_SIZE``).
PSA_HASH_SIZES = {PSA_ALG_SHA_1: 20, PSA_ALG_SHA_224: 28, PSA_ALG_SHA_256: 32, PSA_ALG_SHA_384: 48,
                  PSA_ALG_SHA_512: 64}
PSA_HASH_SIZE_SHA_256 = 32
PSA_HASH_MAX_SIZE = 64          # v1.3 (crypto_sizes.h)
PSA_MAC_MAX_SIZE = PSA_HASH_MAX_SIZE

# --- MAC (crypto_values.h:779-895) --------------------------------------------------------
PSA_ALG_HMAC_BASE = 0x03800000
PSA_ALG_MAC_TRUNCATION_MASK = 0x003F0000
PSA_MAC_TRUNCATION_OFFSET = 16
PSA_ALG_CBC_MAC = 0x03C00100
PSA_ALG_CMAC = 0x03C00200

# --- unauthenticated ciphers (crypto_values.h:934-1000) -----------------------------------
PSA_ALG_STREAM_CIPHER = 0x04800100
PSA_ALG_CTR = 0x04C01000
PSA_ALG_CFB = 0x04C01100
PSA_ALG_OFB = 0x04C01200
PSA_ALG_XTS = 0x0440FF00
PSA_ALG_ECB_NO_PADDING = 0x04404400
PSA_ALG_CBC_NO_PADDING = 0x04404000
PSA_ALG_CBC_PKCS7 = 0x04404100

# --- AEAD (crypto_values.h:1021-1065) -----------------------------------------------------
PSA_ALG_CCM = 0x05500100
PSA_ALG_GCM = 0x05500200
PSA_ALG_CHACHA20_POLY1305 = 0x05100500
PSA_ALG_AEAD_TAG_LENGTH_MASK = 0x003F0000
PSA_AEAD_TAG_LENGTH_OFFSET = 16
PSA_AEAD_TAG_MAX_SIZE = 16

# --- signatures and asymmetric encryption (crypto_values.h:1089-1274) ---------------------
PSA_ALG_RSA_PKCS1V15_SIGN_BASE = 0x06000200
PSA_ALG_RSA_PKCS1V15_SIGN_RAW = PSA_ALG_RSA_PKCS1V15_SIGN_BASE
PSA_ALG_RSA_PSS_BASE = 0x06000300
PSA_ALG_ECDSA_BASE = 0x06000600
PSA_ALG_ECDSA_ANY = PSA_ALG_ECDSA_BASE
PSA_ALG_DETERMINISTIC_ECDSA_BASE = 0x06000700
PSA_ALG_RSA_PKCS1V15_CRYPT = 0x07000200
PSA_ALG_RSA_OAEP_BASE = 0x07000300

# --- key derivation and agreement (crypto_values.h:1279-1503) -----------------------------
PSA_ALG_HKDF_BASE = 0x08000100
PSA_ALG_TLS12_PRF_BASE = 0x08000200
PSA_ALG_TLS12_PSK_TO_MS_BASE = 0x08000300
PSA_ALG_KEY_DERIVATION_MASK = 0xFE00FFFF
PSA_ALG_KEY_AGREEMENT_MASK = 0xFFFF0000
PSA_ALG_FFDH = 0x09010000
PSA_ALG_ECDH = 0x09020000

PSA_KEY_DERIVATION_INPUT_SECRET = 0x0101
PSA_KEY_DERIVATION_INPUT_LABEL = 0x0201
PSA_KEY_DERIVATION_INPUT_SALT = 0x0202
PSA_KEY_DERIVATION_INPUT_INFO = 0x0203
PSA_KEY_DERIVATION_INPUT_SEED = 0x0204
PSA_KEY_DERIVATION_UNLIMITED_CAPACITY = 0xFFFFFFFF   # (size_t)(-1) on the 32-bit client


def _with_hash(base: int, hash_alg: int) -> int:
    return base | (hash_alg & PSA_ALG_HASH_MASK)


def psa_alg_hmac(hash_alg: int) -> int:
    """``PSA_ALG_HMAC(hash_alg)`` = HMAC base | (hash & 0xFF)."""
    return _with_hash(PSA_ALG_HMAC_BASE, hash_alg)


def psa_alg_truncated_mac(mac_alg: int, mac_length: int) -> int:
    """``PSA_ALG_TRUNCATED_MAC(mac_alg, mac_length)``."""
    return (mac_alg & ~PSA_ALG_MAC_TRUNCATION_MASK) | \
        ((mac_length << PSA_MAC_TRUNCATION_OFFSET) & PSA_ALG_MAC_TRUNCATION_MASK)


def psa_alg_aead_with_tag_length(aead_alg: int, tag_length: int) -> int:
    """``PSA_ALG_AEAD_WITH_TAG_LENGTH(aead_alg, tag_length)`` (a shortened-tag AEAD)."""
    return (aead_alg & ~PSA_ALG_AEAD_TAG_LENGTH_MASK) | \
        ((tag_length << PSA_AEAD_TAG_LENGTH_OFFSET) & PSA_ALG_AEAD_TAG_LENGTH_MASK)


def psa_alg_rsa_pkcs1v15_sign(hash_alg: int) -> int:
    """``PSA_ALG_RSA_PKCS1V15_SIGN(hash_alg)``."""
    return _with_hash(PSA_ALG_RSA_PKCS1V15_SIGN_BASE, hash_alg)


def psa_alg_rsa_pss(hash_alg: int) -> int:
    """``PSA_ALG_RSA_PSS(hash_alg)``."""
    return _with_hash(PSA_ALG_RSA_PSS_BASE, hash_alg)


def psa_alg_ecdsa(hash_alg: int) -> int:
    """``PSA_ALG_ECDSA(hash_alg)`` (randomised ECDSA)."""
    return _with_hash(PSA_ALG_ECDSA_BASE, hash_alg)


def psa_alg_deterministic_ecdsa(hash_alg: int) -> int:
    """``PSA_ALG_DETERMINISTIC_ECDSA(hash_alg)`` (RFC 6979)."""
    return _with_hash(PSA_ALG_DETERMINISTIC_ECDSA_BASE, hash_alg)


def psa_alg_rsa_oaep(hash_alg: int) -> int:
    """``PSA_ALG_RSA_OAEP(hash_alg)``."""
    return _with_hash(PSA_ALG_RSA_OAEP_BASE, hash_alg)


def psa_alg_hkdf(hash_alg: int) -> int:
    """``PSA_ALG_HKDF(hash_alg)``."""
    return _with_hash(PSA_ALG_HKDF_BASE, hash_alg)


def psa_alg_tls12_prf(hash_alg: int) -> int:
    """``PSA_ALG_TLS12_PRF(hash_alg)``."""
    return _with_hash(PSA_ALG_TLS12_PRF_BASE, hash_alg)


def psa_alg_tls12_psk_to_ms(hash_alg: int) -> int:
    """``PSA_ALG_TLS12_PSK_TO_MS(hash_alg)``."""
    return _with_hash(PSA_ALG_TLS12_PSK_TO_MS_BASE, hash_alg)


def psa_alg_key_agreement(ka_alg: int, kdf_alg: int) -> int:
    """``PSA_ALG_KEY_AGREEMENT(ka_alg, kdf_alg)`` = ka | kdf."""
    return ka_alg | kdf_alg


def psa_alg_category(alg: int) -> int:
    """The ``PSA_ALG_CATEGORY_*`` of an algorithm."""
    return alg & PSA_ALG_CATEGORY_MASK


PSA_ALG_HMAC_SHA_256 = psa_alg_hmac(PSA_ALG_SHA_256)                 # 0x03800009
PSA_ALG_ECDSA_SHA_256 = psa_alg_ecdsa(PSA_ALG_SHA_256)               # 0x06000609
PSA_ALG_HKDF_SHA_256 = psa_alg_hkdf(PSA_ALG_SHA_256)                 # 0x08000109

# --- key types (crypto_values.h:275-567) --------------------------------------------------
PSA_KEY_TYPE_NONE = 0x0000
PSA_KEY_TYPE_RAW_DATA = 0x1001
PSA_KEY_TYPE_HMAC = 0x1100
PSA_KEY_TYPE_DERIVE = 0x1200
PSA_KEY_TYPE_AES = 0x2400
PSA_KEY_TYPE_DES = 0x2301
PSA_KEY_TYPE_CAMELLIA = 0x2403
PSA_KEY_TYPE_CHACHA20 = 0x2004
PSA_KEY_TYPE_RSA_PUBLIC_KEY = 0x4001
PSA_KEY_TYPE_RSA_KEY_PAIR = 0x7001
PSA_KEY_TYPE_ECC_PUBLIC_KEY_BASE = 0x4100
PSA_KEY_TYPE_ECC_KEY_PAIR_BASE = 0x7100
PSA_KEY_TYPE_DH_PUBLIC_KEY_BASE = 0x4200
PSA_KEY_TYPE_DH_KEY_PAIR_BASE = 0x7200

PSA_ECC_FAMILY_SECP_K1 = 0x17
PSA_ECC_FAMILY_SECP_R1 = 0x12
PSA_ECC_FAMILY_BRAINPOOL_P_R1 = 0x30
PSA_ECC_FAMILY_MONTGOMERY = 0x41
PSA_DH_FAMILY_RFC7919 = 0x03


def psa_key_type_ecc_key_pair(family: int) -> int:
    """``PSA_KEY_TYPE_ECC_KEY_PAIR(curve)``."""
    return PSA_KEY_TYPE_ECC_KEY_PAIR_BASE | family


def psa_key_type_ecc_public_key(family: int) -> int:
    """``PSA_KEY_TYPE_ECC_PUBLIC_KEY(curve)``."""
    return PSA_KEY_TYPE_ECC_PUBLIC_KEY_BASE | family


PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1 = psa_key_type_ecc_key_pair(PSA_ECC_FAMILY_SECP_R1)      # 0x7112
PSA_KEY_TYPE_ECC_PUBLIC_KEY_SECP_R1 = psa_key_type_ecc_public_key(PSA_ECC_FAMILY_SECP_R1)  # 0x4112
PSA_KEY_TYPE_ECC_KEY_PAIR_MONTGOMERY = psa_key_type_ecc_key_pair(PSA_ECC_FAMILY_MONTGOMERY)      # 0x7141
PSA_KEY_TYPE_ECC_PUBLIC_KEY_MONTGOMERY = psa_key_type_ecc_public_key(PSA_ECC_FAMILY_MONTGOMERY)  # 0x4141

# --- key usage, lifetimes, ids (crypto_values.h:1557-1733) --------------------------------
PSA_KEY_USAGE_EXPORT = 0x1
PSA_KEY_USAGE_COPY = 0x2
PSA_KEY_USAGE_ENCRYPT = 0x100
PSA_KEY_USAGE_DECRYPT = 0x200
PSA_KEY_USAGE_SIGN_MESSAGE = 0x400    # v1.5 (Mbed TLS 3.0) only
PSA_KEY_USAGE_VERIFY_MESSAGE = 0x800  # v1.5 (Mbed TLS 3.0) only
PSA_KEY_USAGE_SIGN_HASH = 0x1000
PSA_KEY_USAGE_VERIFY_HASH = 0x2000
PSA_KEY_USAGE_DERIVE = 0x4000

PSA_KEY_LIFETIME_VOLATILE = 0
PSA_KEY_LIFETIME_PERSISTENT = 1
PSA_KEY_ID_NULL = 0
PSA_KEY_ID_USER_MIN = 0x00000001
PSA_KEY_ID_USER_MAX = 0x3FFFFFFF
PSA_KEY_ID_VENDOR_MIN = 0x40000000
PSA_KEY_ID_VENDOR_MAX = 0x7FFFFFFF
