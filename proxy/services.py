"""The services the v1.3 PSA Proxy forwards, partition ids and the RoT-service constants.

Facts (TF-M v1.3.0): ``secure_fw/partitions/psa_proxy/tfm_psa_proxy.yaml`` (proxy manifest),
``tools/tfm_manifest_list.yaml`` (partition ids), ``interface/include/psa/storage_common.h``,
``interface/src/tfm_its_ipc_api.c`` / ``tfm_ps_ipc_api.c`` (ITS/PS), ``interface/include/tfm_crypto_defs.h:58``
(crypto), ``interface/include/psa/initial_attestation.h`` (attestation),
``interface/include/tfm_platform_api.h:26-35`` (platform service); stateless handles of later
releases: docs/profiles.md "Stateless handles".
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

# --- Partition ids ([v1.3] tools/tfm_manifest_list.yaml) ----------------------------------


class PartitionId(IntEnum):
    """Secure partition ids of TF-M v1.3 (positive = secure client id)."""

    TFM_SP_PS = 256
    TFM_SP_ITS = 257
    TFM_SP_AUDIT_LOG = 258
    TFM_SP_CRYPTO = 259
    TFM_SP_PLATFORM = 260
    TFM_SP_INITIAL_ATTESTATION = 261
    TFM_SP_PS_TEST = 268
    TFM_SP_PSA_PROXY = 270
    TFM_SP_FWU = 271


TFM_SP_PS = PartitionId.TFM_SP_PS
TFM_SP_ITS = PartitionId.TFM_SP_ITS
TFM_SP_AUDIT_LOG = PartitionId.TFM_SP_AUDIT_LOG
TFM_SP_CRYPTO = PartitionId.TFM_SP_CRYPTO
TFM_SP_PLATFORM = PartitionId.TFM_SP_PLATFORM
TFM_SP_INITIAL_ATTESTATION = PartitionId.TFM_SP_INITIAL_ATTESTATION
TFM_SP_PS_TEST = PartitionId.TFM_SP_PS_TEST
TFM_SP_PSA_PROXY = PartitionId.TFM_SP_PSA_PROXY
TFM_SP_FWU = PartitionId.TFM_SP_FWU

DEFAULT_NS_CLIENT_ID = -1    # the SE's id for every NS (i.e. every forwarded) caller
SE_CONN_MAX_NUM = 16         # size of the proxy's forward-handle pool
TFM_CONN_HANDLE_MAX_NUM = 16  # SE SPM connections


def client_id_is_secure(client_id: int) -> bool:
    """TF-M's sign rule: positive client ids are secure, negative ones non-secure."""
    return client_id > 0


# --- Crypto (tfm_crypto_defs.h, crypto_values.h) ------------------------------------------


class CryptoSfn(IntEnum):
    """``sfn_id`` of ``struct tfm_crypto_pack_iovec`` in TF-M v1.3: all 65 ids (``interface/include/tfm_crypto_defs.h:58-124``)."""

    TFM_CRYPTO_GET_KEY_ATTRIBUTES = 0
    TFM_CRYPTO_RESET_KEY_ATTRIBUTES = 1
    TFM_CRYPTO_OPEN_KEY = 2
    TFM_CRYPTO_CLOSE_KEY = 3
    TFM_CRYPTO_IMPORT_KEY = 4
    TFM_CRYPTO_DESTROY_KEY = 5
    TFM_CRYPTO_EXPORT_KEY = 6
    TFM_CRYPTO_EXPORT_PUBLIC_KEY = 7
    TFM_CRYPTO_PURGE_KEY = 8
    TFM_CRYPTO_COPY_KEY = 9
    TFM_CRYPTO_HASH_COMPUTE = 10
    TFM_CRYPTO_HASH_COMPARE = 11
    TFM_CRYPTO_HASH_SETUP = 12
    TFM_CRYPTO_HASH_UPDATE = 13
    TFM_CRYPTO_HASH_FINISH = 14
    TFM_CRYPTO_HASH_VERIFY = 15
    TFM_CRYPTO_HASH_ABORT = 16
    TFM_CRYPTO_HASH_CLONE = 17
    TFM_CRYPTO_MAC_COMPUTE = 18
    TFM_CRYPTO_MAC_VERIFY = 19
    TFM_CRYPTO_MAC_SIGN_SETUP = 20
    TFM_CRYPTO_MAC_VERIFY_SETUP = 21
    TFM_CRYPTO_MAC_UPDATE = 22
    TFM_CRYPTO_MAC_SIGN_FINISH = 23
    TFM_CRYPTO_MAC_VERIFY_FINISH = 24
    TFM_CRYPTO_MAC_ABORT = 25
    TFM_CRYPTO_CIPHER_ENCRYPT = 26
    TFM_CRYPTO_CIPHER_DECRYPT = 27
    TFM_CRYPTO_CIPHER_ENCRYPT_SETUP = 28
    TFM_CRYPTO_CIPHER_DECRYPT_SETUP = 29
    TFM_CRYPTO_CIPHER_GENERATE_IV = 30
    TFM_CRYPTO_CIPHER_SET_IV = 31
    TFM_CRYPTO_CIPHER_UPDATE = 32
    TFM_CRYPTO_CIPHER_FINISH = 33
    TFM_CRYPTO_CIPHER_ABORT = 34
    TFM_CRYPTO_AEAD_ENCRYPT = 35
    TFM_CRYPTO_AEAD_DECRYPT = 36
    TFM_CRYPTO_AEAD_ENCRYPT_SETUP = 37   # the 10 multipart AEAD ids (37..46)
    TFM_CRYPTO_AEAD_DECRYPT_SETUP = 38
    TFM_CRYPTO_AEAD_GENERATE_NONCE = 39
    TFM_CRYPTO_AEAD_SET_NONCE = 40
    TFM_CRYPTO_AEAD_SET_LENGTHS = 41
    TFM_CRYPTO_AEAD_UPDATE_AD = 42
    TFM_CRYPTO_AEAD_UPDATE = 43
    TFM_CRYPTO_AEAD_FINISH = 44
    TFM_CRYPTO_AEAD_VERIFY = 45
    TFM_CRYPTO_AEAD_ABORT = 46
    TFM_CRYPTO_SIGN_HASH = 47
    TFM_CRYPTO_VERIFY_HASH = 48
    TFM_CRYPTO_ASYMMETRIC_ENCRYPT = 49
    TFM_CRYPTO_ASYMMETRIC_DECRYPT = 50
    TFM_CRYPTO_KEY_DERIVATION_SETUP = 51  # the key-derivation ids (51..59)
    TFM_CRYPTO_KEY_DERIVATION_GET_CAPACITY = 52
    TFM_CRYPTO_KEY_DERIVATION_SET_CAPACITY = 53
    TFM_CRYPTO_KEY_DERIVATION_INPUT_BYTES = 54
    TFM_CRYPTO_KEY_DERIVATION_INPUT_KEY = 55
    TFM_CRYPTO_KEY_DERIVATION_KEY_AGREEMENT = 56
    TFM_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES = 57
    TFM_CRYPTO_KEY_DERIVATION_OUTPUT_KEY = 58
    TFM_CRYPTO_KEY_DERIVATION_ABORT = 59
    TFM_CRYPTO_RAW_KEY_AGREEMENT = 60
    TFM_CRYPTO_GENERATE_RANDOM = 61
    TFM_CRYPTO_GENERATE_KEY = 62
    TFM_CRYPTO_SET_KEY_DOMAIN_PARAMETERS = 63
    TFM_CRYPTO_GET_KEY_DOMAIN_PARAMETERS = 64


TFM_CRYPTO_AEAD_MULTIPART_SFNS = range(37, 47)        # v1.3 and v1.5
TFM_CRYPTO_KEY_DERIVATION_SFNS = range(51, 60)        # v1.3
TFM_CRYPTO_KEY_DERIVATION_SFNS_V15 = range(53, 62)    # v1.5
TFM_CRYPTO_SID_MAX = 65                               # v1.3 and v1.5
TFM_CRYPTO_SID_INVALID = 0xFFFFFFFF
TFM_CRYPTO_INVALID_HANDLE = 0
TFM_CRYPTO_KEY_ID_HUK = 0xFFFF815B
TFM_CRYPTO_ALG_HUK_DERIVATION = 0xB0000F00
TFM_CRYPTO_MAX_NONCE_LENGTH = 16
CRYPTO_CONC_OPER_NUM = 8             # multipart operation slots; handle = slot + 1
TFM_CRYPTO_MAX_KEY_HANDLES = 32
CRYPTO_IOVEC_BUFFER_SIZE = 5120

# The PSA Crypto constants (algorithms, key types, usage, ids) live in psaemu.proxy.crypto_values;
# these names are re-exported here for the modules that always imported them from this one.
from psaemu.proxy.crypto_values import (  # noqa: E402,F401
    PSA_ALG_CBC_NO_PADDING,
    PSA_ALG_CBC_PKCS7,
    PSA_ALG_CCM,
    PSA_ALG_CMAC,
    PSA_ALG_CTR,
    PSA_ALG_ECB_NO_PADDING,
    PSA_ALG_ECDSA_SHA_256,
    PSA_ALG_GCM,
    PSA_ALG_HKDF_SHA_256,
    PSA_ALG_HMAC_BASE,
    PSA_ALG_HMAC_SHA_256,
    PSA_ALG_SHA_1,
    PSA_ALG_SHA_224,
    PSA_ALG_SHA_256,
    PSA_ALG_SHA_384,
    PSA_ALG_SHA_512,
    PSA_HASH_MAX_SIZE,
    PSA_HASH_SIZE_SHA_256,
    PSA_KEY_ID_USER_MAX,
    PSA_KEY_ID_USER_MIN,
    PSA_KEY_ID_VENDOR_MAX,
    PSA_KEY_ID_VENDOR_MIN,
    PSA_KEY_LIFETIME_PERSISTENT,
    PSA_KEY_LIFETIME_VOLATILE,
    PSA_KEY_TYPE_AES,
    PSA_KEY_TYPE_DERIVE,
    PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1,
    PSA_KEY_TYPE_HMAC,
    PSA_KEY_TYPE_RAW_DATA,
    PSA_KEY_USAGE_COPY,
    PSA_KEY_USAGE_DECRYPT,
    PSA_KEY_USAGE_DERIVE,
    PSA_KEY_USAGE_ENCRYPT,
    PSA_KEY_USAGE_EXPORT,
    PSA_KEY_USAGE_SIGN_HASH,
    PSA_KEY_USAGE_SIGN_MESSAGE,
    PSA_KEY_USAGE_VERIFY_HASH,
    PSA_KEY_USAGE_VERIFY_MESSAGE,
    psa_alg_hmac,
)

# --- Storage (psa/storage_common.h, tfm_its_defs.h, tfm_ps_defs.h, config_default.cmake) --
PSA_STORAGE_FLAG_NONE = 0
PSA_STORAGE_FLAG_WRITE_ONCE = 1 << 0
PSA_STORAGE_FLAG_NO_CONFIDENTIALITY = 1 << 1
PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION = 1 << 2
PSA_STORAGE_SUPPORT_SET_EXTENDED = 1 << 0
TFM_ITS_INVALID_UID = 0
TFM_PS_INVALID_UID = 0
PSA_ITS_API_VERSION_MAJOR, PSA_ITS_API_VERSION_MINOR = 1, 0
PSA_PS_API_VERSION_MAJOR, PSA_PS_API_VERSION_MINOR = 1, 0
ITS_MAX_ASSET_SIZE = 512
ITS_NUM_ASSETS = 10
PS_MAX_ASSET_SIZE = 2048
PS_NUM_ASSETS = 10

# --- Initial attestation (psa/initial_attestation.h, region_defs.h) -----------------------
PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32 = 32
PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48 = 48
PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64 = 64
PSA_INITIAL_ATTEST_CHALLENGE_SIZES = (32, 48, 64)
PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE = 0x400    # API header
PSA_INITIAL_ATTEST_TOKEN_MAX_SIZE = 0x250    # service token buffer on the Musca SE (592)

# --- Platform service (tfm_platform_api.h, tfm_plat_nv_counters.h) ------------------------
TFM_PLATFORM_API_ID_NV_READ = 1010
TFM_PLATFORM_API_ID_NV_INCREMENT = 1011
TFM_PLATFORM_API_VERSION_MAJOR = 0
TFM_PLATFORM_API_VERSION_MINOR = 3
TFM_PLATFORM_IOCTL_INPUT_BUFFER_SIZE = 64    # platform_sp.c INPUT_BUFFER_SIZE
TFM_PLATFORM_IOCTL_OUTPUT_BUFFER_SIZE = 64   # platform_sp.c OUTPUT_BUFFER_SIZE
NV_COUNTERS_INITIALIZED = 0xC0DE0042
TFM_NV_COUNTERS_AREA_SIZE = 0x18


class TfmNvCounter(IntEnum):
    """``enum tfm_nv_counter_t`` of TF-M v1.3 with BL2 (0..2 PS, 3..4 bootloader)."""

    PLAT_NV_COUNTER_0 = 0
    PLAT_NV_COUNTER_1 = 1
    PLAT_NV_COUNTER_2 = 2
    PLAT_NV_COUNTER_3 = 3
    PLAT_NV_COUNTER_4 = 4
    PLAT_NV_COUNTER_MAX = 5


# --- The v1.3 proxy manifest ---------------------------------------------------------------

FIRST_SIGNAL_BIT = 4   # signal of manifest service i = 1 << (4 + i)


@dataclass(frozen=True)
class Service:
    """One forwarded service of the v1.3 proxy manifest (connection-based, version policy STRICT)."""

    index: int                       # position in the manifest
    name: str                        # macro prefix, e.g. "TFM_ITS_SET"
    sid: int
    version: int
    ns_allowed: bool                 # manifest non_secure_clients
    signal: int                      # the proxy's signal mask, 1 << (4 + index)
    partition: PartitionId           # the partition that really serves it (on the SE)
    functions: tuple[str, ...]       # client API functions that reach it
    version_policy: str = "STRICT"

    @property
    def signal_bit(self) -> int:
        """Bit number of the signal (4 + index)."""
        return self.signal.bit_length() - 1


_CRYPTO_FUNCTIONS = tuple("psa_" + s.name.removeprefix("TFM_CRYPTO_").lower() for s in CryptoSfn)

# (name, sid, ns_allowed, partition, functions) in manifest order.
_MANIFEST: tuple[tuple[str, int, bool, PartitionId, tuple[str, ...]], ...] = (
    ("TFM_CRYPTO", 0x80, True, TFM_SP_CRYPTO, _CRYPTO_FUNCTIONS),
    ("TFM_ATTEST_GET_TOKEN", 0x20, True, TFM_SP_INITIAL_ATTESTATION, ("psa_initial_attest_get_token",)),
    ("TFM_ATTEST_GET_TOKEN_SIZE", 0x21, True, TFM_SP_INITIAL_ATTESTATION,
     ("psa_initial_attest_get_token_size",)),
    ("TFM_ATTEST_GET_PUBLIC_KEY", 0x22, True, TFM_SP_INITIAL_ATTESTATION,
     ("tfm_initial_attest_get_public_key",)),
    ("TFM_ITS_SET", 0x70, True, TFM_SP_ITS, ("psa_its_set",)),
    ("TFM_ITS_GET", 0x71, True, TFM_SP_ITS, ("psa_its_get",)),
    ("TFM_ITS_GET_INFO", 0x72, True, TFM_SP_ITS, ("psa_its_get_info",)),
    ("TFM_ITS_REMOVE", 0x73, True, TFM_SP_ITS, ("psa_its_remove",)),
    ("TFM_SP_PLATFORM_SYSTEM_RESET", 0x40, True, TFM_SP_PLATFORM, ("tfm_platform_system_reset",)),
    ("TFM_SP_PLATFORM_IOCTL", 0x41, True, TFM_SP_PLATFORM, ("tfm_platform_ioctl",)),
    ("TFM_SP_PLATFORM_NV_COUNTER", 0x42, False, TFM_SP_PLATFORM,
     ("tfm_platform_nv_counter_increment", "tfm_platform_nv_counter_read")),
    ("TFM_PS_SET", 0x60, True, TFM_SP_PS, ("psa_ps_set",)),
    ("TFM_PS_GET", 0x61, True, TFM_SP_PS, ("psa_ps_get",)),
    ("TFM_PS_GET_INFO", 0x62, True, TFM_SP_PS, ("psa_ps_get_info",)),
    ("TFM_PS_REMOVE", 0x63, True, TFM_SP_PS, ("psa_ps_remove",)),
    ("TFM_PS_GET_SUPPORT", 0x64, True, TFM_SP_PS, ("psa_ps_get_support",)),
)

PROXY_SERVICES: tuple[Service, ...] = tuple(
    Service(index=i, name=name, sid=sid, version=1, ns_allowed=ns, signal=1 << (FIRST_SIGNAL_BIT + i),
            partition=part, functions=funcs)
    for i, (name, sid, ns, part, funcs) in enumerate(_MANIFEST))

_BY_SID = {s.sid: s for s in PROXY_SERVICES}
_BY_NAME = {s.name: s for s in PROXY_SERVICES}
_BY_SIGNAL = {s.signal: s for s in PROXY_SERVICES}


def _lookup(table: dict, key: object, what: str) -> Service:
    """Table lookup whose KeyError says what was asked and what exists."""
    try:
        return table[key]
    except KeyError:
        raise KeyError(f"no proxy service with {what}; the v1.3 proxy manifest has "
                       + ", ".join(f"{s.name} (SID {s.sid:#x})" for s in PROXY_SERVICES)) from None


def service_by_sid(sid: int) -> Service:
    """The manifest service with this SID (KeyError if the proxy does not forward it)."""
    return _lookup(_BY_SID, sid, f"SID {sid:#x}")


def service_by_name(name: str) -> Service:
    """The manifest service with this macro prefix; a trailing ``_SID`` is accepted."""
    return _lookup(_BY_NAME, name.removesuffix("_SID"), f"name {name!r}")


def service_by_signal(signal: int) -> Service:
    """The manifest service whose signal mask is exactly ``signal``."""
    return _lookup(_BY_SIGNAL, signal, f"signal {signal:#x}")


PROXY_SIGNAL_MASK = sum(s.signal for s in PROXY_SERVICES)   # bits 4..19

# --- Stateless handles (v1.4+; docs/profiles.md "Stateless handles") ----------------------
STATIC_HANDLE_INDICATOR_OFFSET = 30
STATIC_HANDLE_NUM_LIMIT = 32


def stateless_handle(stateless_index: int, version: int = 1) -> int:
    """Handle for manifest ``stateless_handle: n`` (1-based): 0x40000000 | version<<8 | (n-1)."""
    if not 1 <= stateless_index <= STATIC_HANDLE_NUM_LIMIT:
        raise ValueError(f"stateless_handle must be 1..{STATIC_HANDLE_NUM_LIMIT}, got {stateless_index}")
    if not 0 <= version <= 0xFF:
        raise ValueError(f"service version must fit in 8 bits, got {version}")
    return (1 << STATIC_HANDLE_INDICATOR_OFFSET) | (version << 8) | (stateless_index - 1)


def is_stateless_handle(handle: int) -> bool:
    """True if bit 30 (the stateless indicator) of a positive handle is set."""
    return handle > 0 and bool(handle & (1 << STATIC_HANDLE_INDICATOR_OFFSET))


def decode_stateless_handle(handle: int) -> tuple[int, int]:
    """(0-based table index, version) of a v1.4+ stateless handle."""
    if not is_stateless_handle(handle):
        raise ValueError(f"{handle:#x} is not a stateless handle (bit 30 clear)")
    return handle & 0xFF, (handle >> 8) & 0xFF


TFM_CRYPTO_HANDLE = stateless_handle(1)                              # 0x40000100 (v1.4+)
TFM_PROTECTED_STORAGE_SERVICE_HANDLE = stateless_handle(2)           # 0x40000101 (v1.5+)
TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_HANDLE = stateless_handle(3)    # 0x40000102 (v1.5+)
TFM_ATTESTATION_SERVICE_HANDLE = stateless_handle(4)                 # 0x40000103 (v1.5+)
TFM_PLATFORM_SERVICE_HANDLE = stateless_handle(6)                    # 0x40000105 ([sfn] only)

# v1.5 single-service SIDs and v1.6 dummy service
TFM_CRYPTO_SID = 0x80
TFM_PROTECTED_STORAGE_SERVICE_SID = 0x60
TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_SID = 0x70
TFM_ATTESTATION_SERVICE_SID = 0x20
TFM_PLATFORM_SERVICE_SID = 0x40
TFM_PROXY_DUMMY_SID = 0xFFFFFFFF


class ItsFunc(IntEnum):
    """v1.5 psa_call ``type`` of the stateless ITS service."""

    TFM_ITS_SET = 1001
    TFM_ITS_GET = 1002
    TFM_ITS_GET_INFO = 1003
    TFM_ITS_REMOVE = 1004


class PsFunc(IntEnum):
    """v1.5 psa_call ``type`` of the stateless PS service."""

    TFM_PS_SET = 1001
    TFM_PS_GET = 1002
    TFM_PS_GET_INFO = 1003
    TFM_PS_REMOVE = 1004
    TFM_PS_GET_SUPPORT = 1005


class AttestFunc(IntEnum):
    """v1.5 psa_call ``type`` of the stateless attestation service."""

    TFM_ATTEST_GET_TOKEN = 1001
    TFM_ATTEST_GET_TOKEN_SIZE = 1002
