"""TF-M v1.6's 52-byte crypto request pack: the tfm-1.6 scripted client sends it, the SE firmware
reads it by the release word of its configuration block, and AES-GCM / SHA-256 results match
independent implementations; a pack of the wrong release's size is refused.

Oracles: the field offsets are TF-M v1.6.0's ``struct tfm_crypto_pack_iovec``
(interface/include/tfm_crypto_defs.h:36-54: srv_id, step, key_id, alg, op_handle, capacity,
ad_length, plaintext_length, aead_in {nonce[16], nonce_length}; 32-bit size_t) written out here,
not taken from psaemu.proxy.abi; `cryptography`'s AESGCM and hashlib for the results. PSA values
(PSA_ALG_GCM 0x05500200, PSA_ALG_SHA_256 0x02000009, PSA_KEY_TYPE_AES 0x2400) are PSA Crypto's.
"""
from __future__ import annotations

import hashlib
import struct
from typing import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from psaemu.proxy.abi import RELEASE_ABIS, CryptoPackError
from psaemu.proxy.client import Handle, PsaClient, PsaError, boot_se_only
from psaemu.proxy.crypto_client import KeyAttributes
from psaemu.proxy.status import PsaStatus

GCM, SHA_256, AES, ENCRYPT_DECRYPT = 0x05500200, 0x02000009, 0x2400, 0x300
AEAD_ENCRYPT, HASH_COMPUTE = 35, 10                    # ids in every release's enum
KEY = bytes(range(0x40, 0x50))
NONCE = bytes.fromhex("cafebabefacedbaddecaf888")
AD = b"header bytes the tag covers"
PLAINTEXT = b"sent under tfm-1.6 in a 52-byte pack" * 3


@pytest.fixture(scope="module", params=["tfm-1.5", "tfm-1.6"])
def psa(request: pytest.FixtureRequest) -> Iterator[PsaClient]:
    m, _system = boot_se_only(machine_options={"profile": request.param})
    yield m.psa


def test_v16_pack_fields_sit_where_tfm_v160_puts_them() -> None:
    raw = RELEASE_ABIS["tfm-1.6"].crypto_pack.request(AEAD_ENCRYPT, NONCE, step=0x0203, key_id=0x11, alg=GCM,
                                                     op_handle=7, capacity=99, ad_length=5, plaintext_length=6)
    assert len(raw) == 52
    assert struct.unpack_from("<IHxxIIIIII", raw) == (AEAD_ENCRYPT, 0x0203, 0x11, GCM, 7, 99, 5, 6)
    assert raw[32:48] == NONCE.ljust(16, b"\0") and struct.unpack_from("<I", raw, 48) == (12,)
    for release in ("tfm-1.3", "tfm-1.4", "tfm-1.5"):                  # 44 bytes, aead_in at 24
        raw = RELEASE_ABIS[release].crypto_pack.request(AEAD_ENCRYPT, NONCE, capacity=99)
        assert len(raw) == 44 and raw[20:24] == struct.pack("<I", 99) and raw[24:36] == NONCE
        assert struct.unpack_from("<I", raw, 40) == (12,)
        with pytest.raises(CryptoPackError, match="ad_length cannot be set"):
            RELEASE_ABIS[release].crypto_pack.request(AEAD_ENCRYPT, ad_length=1)


def test_aes_gcm_and_sha256_match_independent_implementations(psa: PsaClient) -> None:
    size = psa.abi.crypto_pack.size
    key = psa.crypto.import_key(KeyAttributes(type=AES, bits=128, usage=ENCRYPT_DECRYPT, alg=GCM), KEY)
    monitor = psa.system.monitor
    n = monitor.opened
    sealed = psa.crypto.aead_encrypt(key, GCM, NONCE, PLAINTEXT, AD)
    call = [r for r in monitor.since(n) if r.psa_type is not None][-1]
    assert call.in_vecs[0].size == size == (52 if psa.abi.release == "tfm-1.6" else 44)
    assert sealed == AESGCM(KEY).encrypt(NONCE, PLAINTEXT, AD)
    assert psa.crypto.aead_decrypt(key, GCM, NONCE, sealed, AD) == PLAINTEXT
    with pytest.raises(PsaError) as err:
        psa.crypto.aead_decrypt(key, GCM, NONCE, sealed[:-1] + bytes([sealed[-1] ^ 1]), AD)
    assert err.value.status == PsaStatus.PSA_ERROR_INVALID_SIGNATURE
    psa.crypto.destroy_key(key)
    data = b"abc" * 700
    assert psa.crypto.hash_compute(SHA_256, data) == hashlib.sha256(data).digest()
    op = psa.crypto.hash_setup(SHA_256)
    psa.crypto.hash_update(op, data[:1000])
    psa.crypto.hash_update(op, data[1000:])
    assert psa.crypto.hash_finish(op) == hashlib.sha256(data).digest()


def test_the_se_reads_the_pack_size_of_its_release(psa: PsaClient) -> None:
    """A v1.5 pack (44 bytes) is short for a v1.6 SE: GENERIC_ERROR, as TF-M v1.6's partition
    answers a psa_read shorter than its pack. A v1.6 pack to a v1.5 SE is read up to 44 bytes, so
    a hash (no AEAD fields) still works there while the AEAD nonce is misread."""
    other = RELEASE_ABIS["tfm-1.5" if psa.abi.release == "tfm-1.6" else "tfm-1.6"].crypto_pack
    pack = other.request(HASH_COMPUTE, alg=SHA_256)
    result = psa.call(Handle(0x40000100), 0, [pack, b"abc"], [32])
    if psa.abi.release == "tfm-1.6":
        assert result.status == PsaStatus.PSA_ERROR_GENERIC_ERROR
    else:
        assert result.ok and result.outputs[0] == hashlib.sha256(b"abc").digest()


def test_multipart_aead_is_sent_from_v16_only(psa: PsaClient) -> None:
    """The v1.5 client refuses multipart AEAD without a call; the v1.6 one sends it (key 1 does
    not exist: INVALID_HANDLE from the service). tests/proxy/test_crypto_aead_multipart.py
    covers the function itself."""
    monitor = psa.system.monitor
    n = monitor.opened
    with pytest.raises(PsaError) as err:
        psa.crypto.aead_encrypt_setup(1, GCM)
    v16 = psa.abi.release == "tfm-1.6"
    assert err.value.status == (PsaStatus.PSA_ERROR_INVALID_HANDLE if v16 else PsaStatus.PSA_ERROR_NOT_SUPPORTED)
    assert (monitor.opened > n) == v16
