"""Forwarded-service table and RoT constants (TF-M v1.3.0; sources listed in psaemu.proxy.services)."""
from __future__ import annotations

import dataclasses

import pytest

from psaemu.proxy import services as sv
from psaemu.proxy.abi import RELEASE_ABIS
from psaemu.proxy.services import PROXY_SERVICES, CryptoSfn, PartitionId

# (name, SID, NS allowed) in manifest order — TF-M v1.3.0 secure_fw/partitions/psa_proxy/tfm_psa_proxy.yaml.
MANIFEST = [
    ("TFM_CRYPTO", 0x80, True),
    ("TFM_ATTEST_GET_TOKEN", 0x20, True),
    ("TFM_ATTEST_GET_TOKEN_SIZE", 0x21, True),
    ("TFM_ATTEST_GET_PUBLIC_KEY", 0x22, True),
    ("TFM_ITS_SET", 0x70, True),
    ("TFM_ITS_GET", 0x71, True),
    ("TFM_ITS_GET_INFO", 0x72, True),
    ("TFM_ITS_REMOVE", 0x73, True),
    ("TFM_SP_PLATFORM_SYSTEM_RESET", 0x40, True),
    ("TFM_SP_PLATFORM_IOCTL", 0x41, True),
    ("TFM_SP_PLATFORM_NV_COUNTER", 0x42, False),
    ("TFM_PS_SET", 0x60, True),
    ("TFM_PS_GET", 0x61, True),
    ("TFM_PS_GET_INFO", 0x62, True),
    ("TFM_PS_REMOVE", 0x63, True),
    ("TFM_PS_GET_SUPPORT", 0x64, True),
]


def test_sixteen_services_in_manifest_order():
    assert len(PROXY_SERVICES) == 16
    assert [(s.name, s.sid, s.ns_allowed) for s in PROXY_SERVICES] == MANIFEST


def test_signal_bits_and_versions():
    for i, s in enumerate(PROXY_SERVICES):
        assert s.index == i
        assert s.signal == 1 << (4 + i)
        assert s.signal_bit == 4 + i
        assert s.version == 1 and s.version_policy == "STRICT"
    assert PROXY_SERVICES[0].signal == 0x10
    assert PROXY_SERVICES[15].signal == 0x80000
    assert sv.PROXY_SIGNAL_MASK == 0x000FFFF0


def test_nv_counter_is_not_for_ns_clients():
    nv = sv.service_by_sid(0x42)
    assert nv.name == "TFM_SP_PLATFORM_NV_COUNTER"
    assert nv.ns_allowed is False
    assert [s.name for s in PROXY_SERVICES if not s.ns_allowed] == ["TFM_SP_PLATFORM_NV_COUNTER"]


def test_lookups():
    its_get = sv.service_by_name("TFM_ITS_GET")
    assert its_get.sid == 0x71 and its_get.signal == 1 << 9
    assert sv.service_by_name("TFM_ITS_GET_SID") is its_get
    assert sv.service_by_sid(0x71) is its_get
    assert sv.service_by_signal(1 << 9) is its_get
    assert sv.service_by_sid(0x80).partition == PartitionId.TFM_SP_CRYPTO
    assert sv.service_by_sid(0x20).functions == ("psa_initial_attest_get_token",)
    assert "psa_generate_random" in sv.service_by_sid(0x80).functions
    with pytest.raises(KeyError, match="SID 0x99"):
        sv.service_by_sid(0x99)
    with pytest.raises(KeyError):
        sv.service_by_name("TFM_FWU_WRITE")
    with pytest.raises(KeyError):
        sv.service_by_signal(1 << 3)


def test_service_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROXY_SERVICES[0].sid = 1  # type: ignore[misc]


def test_partition_ids():
    assert {p.name: int(p) for p in PartitionId} == {
        "TFM_SP_PS": 256, "TFM_SP_ITS": 257, "TFM_SP_AUDIT_LOG": 258, "TFM_SP_CRYPTO": 259,
        "TFM_SP_PLATFORM": 260, "TFM_SP_INITIAL_ATTESTATION": 261, "TFM_SP_PS_TEST": 268,
        "TFM_SP_PSA_PROXY": 270, "TFM_SP_FWU": 271}
    assert sv.TFM_SP_PSA_PROXY == 270 and sv.TFM_SP_PS == 256
    assert sv.DEFAULT_NS_CLIENT_ID == -1 and sv.SE_CONN_MAX_NUM == 16
    assert sv.client_id_is_secure(256) and not sv.client_id_is_secure(-1)


def test_platform_api_ids():
    assert sv.TFM_PLATFORM_API_ID_NV_READ == 1010
    assert sv.TFM_PLATFORM_API_ID_NV_INCREMENT == 1011
    assert sv.TfmNvCounter.PLAT_NV_COUNTER_MAX == 5
    assert sv.NV_COUNTERS_INITIALIZED == 0xC0DE0042


def test_crypto_sfn_ids_v13():
    expected = {
        "GET_KEY_ATTRIBUTES": 0, "RESET_KEY_ATTRIBUTES": 1, "OPEN_KEY": 2, "CLOSE_KEY": 3, "IMPORT_KEY": 4,
        "DESTROY_KEY": 5, "EXPORT_KEY": 6, "EXPORT_PUBLIC_KEY": 7, "PURGE_KEY": 8, "COPY_KEY": 9,
        "HASH_COMPUTE": 10, "HASH_COMPARE": 11, "HASH_SETUP": 12, "HASH_UPDATE": 13, "HASH_FINISH": 14,
        "HASH_VERIFY": 15, "HASH_ABORT": 16, "HASH_CLONE": 17, "MAC_COMPUTE": 18, "MAC_VERIFY": 19,
        "MAC_SIGN_SETUP": 20, "MAC_VERIFY_SETUP": 21, "MAC_UPDATE": 22, "MAC_SIGN_FINISH": 23,
        "MAC_VERIFY_FINISH": 24, "MAC_ABORT": 25, "CIPHER_ENCRYPT": 26, "CIPHER_DECRYPT": 27,
        "CIPHER_ENCRYPT_SETUP": 28, "CIPHER_DECRYPT_SETUP": 29, "CIPHER_GENERATE_IV": 30,
        "CIPHER_SET_IV": 31, "CIPHER_UPDATE": 32, "CIPHER_FINISH": 33, "CIPHER_ABORT": 34,
        "AEAD_ENCRYPT": 35, "AEAD_DECRYPT": 36, "AEAD_ENCRYPT_SETUP": 37, "AEAD_DECRYPT_SETUP": 38,
        "AEAD_GENERATE_NONCE": 39, "AEAD_SET_NONCE": 40, "AEAD_SET_LENGTHS": 41, "AEAD_UPDATE_AD": 42,
        "AEAD_UPDATE": 43, "AEAD_FINISH": 44, "AEAD_VERIFY": 45, "AEAD_ABORT": 46,
        "SIGN_HASH": 47, "VERIFY_HASH": 48, "ASYMMETRIC_ENCRYPT": 49, "ASYMMETRIC_DECRYPT": 50,
        "KEY_DERIVATION_SETUP": 51, "KEY_DERIVATION_GET_CAPACITY": 52, "KEY_DERIVATION_SET_CAPACITY": 53,
        "KEY_DERIVATION_INPUT_BYTES": 54, "KEY_DERIVATION_INPUT_KEY": 55, "KEY_DERIVATION_KEY_AGREEMENT": 56,
        "KEY_DERIVATION_OUTPUT_BYTES": 57, "KEY_DERIVATION_OUTPUT_KEY": 58, "KEY_DERIVATION_ABORT": 59,
        "RAW_KEY_AGREEMENT": 60,
        "GENERATE_RANDOM": 61, "GENERATE_KEY": 62, "SET_KEY_DOMAIN_PARAMETERS": 63,
        "GET_KEY_DOMAIN_PARAMETERS": 64,
    }
    assert {s.name.removeprefix("TFM_CRYPTO_"): int(s) for s in CryptoSfn} == expected
    assert sv.TFM_CRYPTO_SID_MAX == 65
    assert list(sv.TFM_CRYPTO_AEAD_MULTIPART_SFNS) == list(range(37, 47))
    assert len(sv.TFM_CRYPTO_KEY_DERIVATION_SFNS) == 9


def test_crypto_sfn_ids_v15():
    # TF-Mv1.5.0 interface/include/tfm_crypto_defs.h: SIGN/VERIFY_MESSAGE before SIGN_HASH, no domain parameters
    names = {n: i for i, n in RELEASE_ABIS["tfm-1.5"].sfn_names.items()}
    assert (names["SIGN_MESSAGE"], names["SIGN_HASH"], names["GENERATE_RANDOM"], names["GENERATE_KEY"]) == (47, 49, 63, 64)
    assert max(names.values()) == 64 and "SET_KEY_DOMAIN_PARAMETERS" not in names
    assert list(sv.TFM_CRYPTO_KEY_DERIVATION_SFNS_V15) == list(range(53, 62))


def test_crypto_constants():
    assert sv.PSA_ALG_SHA_256 == 0x02000009
    assert sv.PSA_ALG_HMAC_SHA_256 == 0x03800009 == sv.psa_alg_hmac(sv.PSA_ALG_SHA_256)
    assert sv.psa_alg_hmac(sv.PSA_ALG_SHA_512) == 0x0380000B
    assert (sv.PSA_ALG_CMAC, sv.PSA_ALG_CTR, sv.PSA_ALG_GCM, sv.PSA_ALG_CCM) == \
        (0x03C00200, 0x04C01000, 0x05500200, 0x05500100)
    assert (sv.PSA_ALG_CBC_NO_PADDING, sv.PSA_ALG_CBC_PKCS7, sv.PSA_ALG_ECB_NO_PADDING) == \
        (0x04404000, 0x04404100, 0x04404400)
    assert (sv.PSA_ALG_ECDSA_SHA_256, sv.PSA_ALG_HKDF_SHA_256) == (0x06000609, 0x08000109)
    assert (sv.PSA_KEY_TYPE_RAW_DATA, sv.PSA_KEY_TYPE_HMAC, sv.PSA_KEY_TYPE_DERIVE, sv.PSA_KEY_TYPE_AES) == \
        (0x1001, 0x1100, 0x1200, 0x2400)
    assert sv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1 == 0x7112
    assert (sv.PSA_KEY_USAGE_EXPORT, sv.PSA_KEY_USAGE_COPY, sv.PSA_KEY_USAGE_ENCRYPT, sv.PSA_KEY_USAGE_DECRYPT,
            sv.PSA_KEY_USAGE_SIGN_HASH, sv.PSA_KEY_USAGE_VERIFY_HASH, sv.PSA_KEY_USAGE_DERIVE) == \
        (0x1, 0x2, 0x100, 0x200, 0x1000, 0x2000, 0x4000)
    assert (sv.PSA_KEY_USAGE_SIGN_MESSAGE, sv.PSA_KEY_USAGE_VERIFY_MESSAGE) == (0x400, 0x800)
    assert sv.TFM_CRYPTO_KEY_ID_HUK == 0xFFFF815B
    assert sv.TFM_CRYPTO_ALG_HUK_DERIVATION == 0xB0000F00
    assert sv.CRYPTO_IOVEC_BUFFER_SIZE == 5120 and sv.CRYPTO_CONC_OPER_NUM == 8


def test_storage_and_attestation_constants():
    assert (sv.PSA_STORAGE_FLAG_NONE, sv.PSA_STORAGE_FLAG_WRITE_ONCE, sv.PSA_STORAGE_FLAG_NO_CONFIDENTIALITY,
            sv.PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION) == (0, 1, 2, 4)
    assert sv.PSA_STORAGE_SUPPORT_SET_EXTENDED == 1
    assert sv.ITS_MAX_ASSET_SIZE == 512 and sv.PS_MAX_ASSET_SIZE == 2048
    assert sv.PSA_INITIAL_ATTEST_CHALLENGE_SIZES == (32, 48, 64)
    assert sv.PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE == 0x400
    assert sv.PSA_INITIAL_ATTEST_TOKEN_MAX_SIZE == 0x250 == 592


def test_stateless_handles():
    assert sv.TFM_CRYPTO_HANDLE == 0x40000100
    assert sv.TFM_PROTECTED_STORAGE_SERVICE_HANDLE == 0x40000101
    assert sv.TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_HANDLE == 0x40000102
    assert sv.TFM_ATTESTATION_SERVICE_HANDLE == 0x40000103
    assert sv.TFM_PLATFORM_SERVICE_HANDLE == 0x40000105
    assert sv.stateless_handle(1, version=2) == 0x40000200
    assert sv.decode_stateless_handle(0x40000102) == (2, 1)
    assert sv.is_stateless_handle(0x40000100) and not sv.is_stateless_handle(0x11)
    with pytest.raises(ValueError):
        sv.stateless_handle(33)
    with pytest.raises(ValueError):
        sv.decode_stateless_handle(9)
    assert sv.TFM_PROXY_DUMMY_SID == 0xFFFFFFFF


def test_v15_function_types():
    assert [int(f) for f in sv.ItsFunc] == [1001, 1002, 1003, 1004]
    assert [int(f) for f in sv.PsFunc] == [1001, 1002, 1003, 1004, 1005]
    assert [int(f) for f in sv.AttestFunc] == [1001, 1002]
