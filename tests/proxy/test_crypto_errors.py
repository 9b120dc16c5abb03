"""PSA Crypto API 1.0.0 error codes of the SE's Crypto service, through the proxy: invalid
arguments, bad state (out-of-order multipart and key-derivation steps), policy (usage flags,
permitted algorithm), wrong key types, short buffers, invalid signatures and padding.

Each case names the specification's rule; where TF-M v1.3 (+ Mbed TLS 2.25) answers otherwise
on purpose, the test says so and expects TF-M's answer.
"""
from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from crypto_support import S, attrs, crypto, import_key, status_of  # noqa: F401 (fixture)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from psaemu.proxy import crypto_values as cv
from psaemu.proxy.crypto_client import HashOperation, KeyDerivationOperation, MacOperation

ENC_DEC = cv.PSA_KEY_USAGE_ENCRYPT | cv.PSA_KEY_USAGE_DECRYPT
SIGN_VERIFY = cv.PSA_KEY_USAGE_SIGN_HASH | cv.PSA_KEY_USAGE_VERIFY_HASH


def _aes(crypto, alg, usage=ENC_DEC, key=None):
    return import_key(crypto, cv.PSA_KEY_TYPE_AES, key or os.urandom(16), usage, alg)


def _p256(crypto, alg, usage=SIGN_VERIFY):
    priv = ec.generate_private_key(ec.SECP256R1())
    return import_key(crypto, cv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1,
                      priv.private_numbers().private_value.to_bytes(32, "big"), usage, alg)


# --------------------------------------------------------------------------------------------
# Key management
def test_import_rejects_bad_key_data_and_sizes(crypto):
    aes = lambda data, bits=0: status_of(crypto.import_key, attrs(cv.PSA_KEY_TYPE_AES, bits, 0, cv.PSA_ALG_CTR), data)
    assert aes(os.urandom(17)) == S.PSA_ERROR_INVALID_ARGUMENT          # not an AES key size
    assert aes(os.urandom(16), 256) == S.PSA_ERROR_INVALID_ARGUMENT     # bits disagree with the data
    assert aes(b"") == S.PSA_ERROR_INVALID_ARGUMENT
    bad_point = status_of(crypto.import_key, attrs(cv.PSA_KEY_TYPE_ECC_PUBLIC_KEY_SECP_R1, 0,
                                                   cv.PSA_KEY_USAGE_VERIFY_HASH, cv.PSA_ALG_ECDSA_SHA_256),
                          b"\x04" + bytes(64))                          # (0, 0) is not on the curve
    assert bad_point == S.PSA_ERROR_INVALID_ARGUMENT


def test_export_needs_the_export_usage(crypto):
    k = _aes(crypto, cv.PSA_ALG_CTR)
    assert status_of(crypto.export_key, k) == S.PSA_ERROR_NOT_PERMITTED
    assert status_of(crypto.copy_key, k, attrs(cv.PSA_KEY_TYPE_AES, 128, 0, cv.PSA_ALG_CTR)) \
        == S.PSA_ERROR_NOT_PERMITTED                                    # no COPY usage


def test_export_buffer_too_small(crypto):
    k = _aes(crypto, cv.PSA_ALG_CTR, cv.PSA_KEY_USAGE_EXPORT)
    assert status_of(crypto.export_key, k, 15) == S.PSA_ERROR_BUFFER_TOO_SMALL


def test_export_public_key_of_a_symmetric_key_is_invalid_argument(crypto):
    k = _aes(crypto, cv.PSA_ALG_CTR, cv.PSA_KEY_USAGE_EXPORT)
    assert status_of(crypto.export_public_key, k) == S.PSA_ERROR_INVALID_ARGUMENT


def test_unknown_key_ids(crypto):
    assert status_of(crypto.destroy_key, 0x7FFFFF00) == S.PSA_ERROR_INVALID_HANDLE
    assert status_of(crypto.get_key_attributes, 0x7FFFFF00) == S.PSA_ERROR_INVALID_HANDLE
    assert status_of(crypto.export_key, 0x7FFFFF00) == S.PSA_ERROR_INVALID_HANDLE


def test_generate_key_rejects_bad_sizes(crypto):
    assert status_of(crypto.generate_key, attrs(cv.PSA_KEY_TYPE_AES, 100, 0, cv.PSA_ALG_CTR)) \
        == S.PSA_ERROR_INVALID_ARGUMENT
    assert status_of(crypto.generate_key, attrs(cv.PSA_KEY_TYPE_RSA_PUBLIC_KEY, 1024, 0, 0)) \
        == S.PSA_ERROR_INVALID_ARGUMENT                                 # a public key cannot be generated


# --------------------------------------------------------------------------------------------
# Hash
def test_hash_argument_errors(crypto):
    assert status_of(crypto.hash_compute, cv.PSA_ALG_CTR, b"x") == S.PSA_ERROR_INVALID_ARGUMENT   # not a hash
    assert status_of(crypto.hash_compute, cv.PSA_ALG_SHA3_256, b"x") == S.PSA_ERROR_NOT_SUPPORTED
    assert status_of(crypto.hash_compute, cv.PSA_ALG_SHA_256, b"x", 31) == S.PSA_ERROR_BUFFER_TOO_SMALL
    assert status_of(crypto.hash_setup, cv.PSA_ALG_HMAC_SHA_256) == S.PSA_ERROR_INVALID_ARGUMENT
    wrong = hashlib.sha256(b"y").digest()
    assert status_of(crypto.hash_compare, cv.PSA_ALG_SHA_256, b"x", wrong) == S.PSA_ERROR_INVALID_SIGNATURE


def test_hash_multipart_bad_state(crypto):
    idle = HashOperation()
    assert status_of(crypto.hash_update, idle, b"x") == S.PSA_ERROR_BAD_STATE
    assert status_of(crypto.hash_finish, idle) == S.PSA_ERROR_BAD_STATE
    assert status_of(crypto.hash_verify, idle, bytes(32)) == S.PSA_ERROR_BAD_STATE
    op = crypto.hash_setup(cv.PSA_ALG_SHA_256)
    assert status_of(crypto.hash_setup, cv.PSA_ALG_SHA_256, op) == S.PSA_ERROR_BAD_STATE   # already active
    assert status_of(crypto.hash_finish, op, 31) == S.PSA_ERROR_BUFFER_TOO_SMALL
    crypto.hash_abort(op)
    crypto.hash_abort(HashOperation())          # abort of an inactive operation succeeds


def test_hash_verify_mismatch(crypto):
    op = crypto.hash_setup(cv.PSA_ALG_SHA_256)
    crypto.hash_update(op, b"abc")
    assert status_of(crypto.hash_verify, op, bytes(32)) == S.PSA_ERROR_INVALID_SIGNATURE


# --------------------------------------------------------------------------------------------
# MAC
def test_mac_policy_and_key_type(crypto):
    key = os.urandom(32)
    alg = cv.PSA_ALG_HMAC_SHA_256
    verify_only = import_key(crypto, cv.PSA_KEY_TYPE_HMAC, key, cv.PSA_KEY_USAGE_VERIFY_HASH, alg)
    assert status_of(crypto.mac_sign_setup, verify_only, alg) == S.PSA_ERROR_NOT_PERMITTED
    sign = import_key(crypto, cv.PSA_KEY_TYPE_HMAC, key, cv.PSA_KEY_USAGE_SIGN_HASH, alg)
    assert status_of(crypto.mac_sign_setup, sign, cv.psa_alg_hmac(cv.PSA_ALG_SHA_512)) == S.PSA_ERROR_NOT_PERMITTED
    aes = _aes(crypto, alg, cv.PSA_KEY_USAGE_SIGN_HASH)
    assert status_of(crypto.mac_sign_setup, aes, alg) == S.PSA_ERROR_INVALID_ARGUMENT  # HMAC with an AES key
    assert status_of(crypto.mac_sign_setup, sign, cv.PSA_ALG_SHA_256) == S.PSA_ERROR_INVALID_ARGUMENT  # not a MAC


def test_truncated_hmac_longer_than_the_hash_is_invalid_argument(crypto):
    alg = cv.psa_alg_truncated_mac(cv.PSA_ALG_HMAC_SHA_256, 33)
    k = import_key(crypto, cv.PSA_KEY_TYPE_HMAC, os.urandom(32), cv.PSA_KEY_USAGE_SIGN_HASH, alg)
    assert status_of(crypto.mac_sign_setup, k, alg) == S.PSA_ERROR_INVALID_ARGUMENT


def test_mac_verify_wrong_mac_and_bad_state(crypto):
    key, alg = os.urandom(32), cv.PSA_ALG_HMAC_SHA_256
    k = import_key(crypto, cv.PSA_KEY_TYPE_HMAC, key, cv.PSA_KEY_USAGE_SIGN_HASH | cv.PSA_KEY_USAGE_VERIFY_HASH,
                   alg)
    op = crypto.mac_verify_setup(k, alg)
    crypto.mac_update(op, b"data")
    assert status_of(crypto.mac_sign_finish, op) == S.PSA_ERROR_BAD_STATE           # a verify operation
    wrong = bytearray(hmac.new(key, b"data", "sha256").digest())
    wrong[0] ^= 1
    op = crypto.mac_verify_setup(k, alg)
    crypto.mac_update(op, b"data")
    assert status_of(crypto.mac_verify_finish, op, bytes(wrong)) == S.PSA_ERROR_INVALID_SIGNATURE
    sign = crypto.mac_sign_setup(k, alg)
    assert status_of(crypto.mac_verify_finish, sign, bytes(32)) == S.PSA_ERROR_BAD_STATE  # a sign operation
    sign = crypto.mac_sign_setup(k, alg)      # (TF-M releases an operation on any error)
    assert status_of(crypto.mac_sign_finish, sign, 31) == S.PSA_ERROR_BUFFER_TOO_SMALL
    assert status_of(crypto.mac_update, MacOperation(), b"x") == S.PSA_ERROR_BAD_STATE


# --------------------------------------------------------------------------------------------
# Ciphers
def test_cipher_policy_key_type_and_state(crypto):
    dec_only = _aes(crypto, cv.PSA_ALG_CBC_NO_PADDING, cv.PSA_KEY_USAGE_DECRYPT)
    assert status_of(crypto.cipher_encrypt_setup, dec_only, cv.PSA_ALG_CBC_NO_PADDING) == S.PSA_ERROR_NOT_PERMITTED
    k = _aes(crypto, cv.PSA_ALG_CBC_NO_PADDING)
    assert status_of(crypto.cipher_encrypt_setup, k, cv.PSA_ALG_CTR) == S.PSA_ERROR_NOT_PERMITTED   # other alg
    hm = import_key(crypto, cv.PSA_KEY_TYPE_HMAC, os.urandom(16), ENC_DEC, cv.PSA_ALG_CTR)
    assert status_of(crypto.cipher_encrypt_setup, hm, cv.PSA_ALG_CTR) == S.PSA_ERROR_INVALID_ARGUMENT
    op = crypto.cipher_encrypt_setup(k, cv.PSA_ALG_CBC_NO_PADDING)
    assert status_of(crypto.cipher_update, op, bytes(16)) == S.PSA_ERROR_BAD_STATE         # IV not set
    op = crypto.cipher_encrypt_setup(k, cv.PSA_ALG_CBC_NO_PADDING)
    assert status_of(crypto.cipher_set_iv, op, bytes(8)) == S.PSA_ERROR_INVALID_ARGUMENT   # wrong IV length
    op = crypto.cipher_encrypt_setup(k, cv.PSA_ALG_CBC_NO_PADDING)
    crypto.cipher_set_iv(op, bytes(16))
    assert status_of(crypto.cipher_set_iv, op, bytes(16)) == S.PSA_ERROR_BAD_STATE         # IV twice
    op = crypto.cipher_encrypt_setup(k, cv.PSA_ALG_CBC_NO_PADDING)
    crypto.cipher_set_iv(op, bytes(16))
    assert status_of(crypto.cipher_update, op, bytes(32), 16) == S.PSA_ERROR_BUFFER_TOO_SMALL


def test_cipher_partial_block_and_bad_padding(crypto):
    k = _aes(crypto, cv.PSA_ALG_CBC_NO_PADDING)
    op = crypto.cipher_encrypt_setup(k, cv.PSA_ALG_CBC_NO_PADDING)
    crypto.cipher_set_iv(op, bytes(16))
    crypto.cipher_update(op, bytes(20))
    assert status_of(crypto.cipher_finish, op) == S.PSA_ERROR_INVALID_ARGUMENT     # 4 bytes left over
    p7 = _aes(crypto, cv.PSA_ALG_CBC_PKCS7)
    op = crypto.cipher_decrypt_setup(p7, cv.PSA_ALG_CBC_PKCS7)
    crypto.cipher_set_iv(op, bytes(16))
    crypto.cipher_update(op, os.urandom(32))          # random bytes: the padding is almost surely wrong
    st = status_of(crypto.cipher_finish, op)
    assert st == S.PSA_ERROR_INVALID_PADDING


# --------------------------------------------------------------------------------------------
# AEAD
def test_aead_errors(crypto):
    k = _aes(crypto, cv.PSA_ALG_GCM)
    nonce = os.urandom(12)
    ct = crypto.aead_encrypt(k, cv.PSA_ALG_GCM, nonce, b"plaintext", b"ad")
    tampered = bytes([ct[0] ^ 1]) + ct[1:]
    assert status_of(crypto.aead_decrypt, k, cv.PSA_ALG_GCM, nonce, tampered, b"ad") == S.PSA_ERROR_INVALID_SIGNATURE
    assert status_of(crypto.aead_decrypt, k, cv.PSA_ALG_GCM, nonce, ct, b"other") == S.PSA_ERROR_INVALID_SIGNATURE
    assert status_of(crypto.aead_encrypt, k, cv.PSA_ALG_GCM, nonce, b"plaintext", None, 9 + 15) \
        == S.PSA_ERROR_BUFFER_TOO_SMALL
    enc_only = _aes(crypto, cv.PSA_ALG_GCM, cv.PSA_KEY_USAGE_ENCRYPT)
    assert status_of(crypto.aead_decrypt, enc_only, cv.PSA_ALG_GCM, nonce, ct, b"ad") == S.PSA_ERROR_NOT_PERMITTED
    ccm = _aes(crypto, cv.PSA_ALG_CCM)
    assert status_of(crypto.aead_encrypt, ccm, cv.PSA_ALG_CCM, os.urandom(6), b"x") == S.PSA_ERROR_INVALID_ARGUMENT
    assert status_of(crypto.aead_encrypt, k, cv.PSA_ALG_CCM, os.urandom(13), b"x") \
        == S.PSA_ERROR_NOT_PERMITTED                                    # an AEAD the key does not permit


# --------------------------------------------------------------------------------------------
# Signatures and asymmetric encryption
def test_sign_verify_errors(crypto):
    alg = cv.PSA_ALG_ECDSA_SHA_256
    digest = hashlib.sha256(b"m").digest()
    verify_only = _p256(crypto, alg, cv.PSA_KEY_USAGE_VERIFY_HASH)
    assert status_of(crypto.sign_hash, verify_only, alg, digest) == S.PSA_ERROR_NOT_PERMITTED
    k = _p256(crypto, alg)
    assert status_of(crypto.sign_hash, k, cv.psa_alg_ecdsa(cv.PSA_ALG_SHA_384),
                     hashlib.sha384(b"m").digest()) == S.PSA_ERROR_NOT_PERMITTED
    assert status_of(crypto.sign_hash, k, alg, digest, 63) == S.PSA_ERROR_BUFFER_TOO_SMALL
    assert status_of(crypto.sign_hash, k, alg, digest[:20]) == S.PSA_ERROR_INVALID_ARGUMENT  # not a SHA-256 hash
    sig = crypto.sign_hash(k, alg, digest)
    bad = bytes([sig[0] ^ 1]) + sig[1:]
    assert status_of(crypto.verify_hash, k, alg, digest, bad) == S.PSA_ERROR_INVALID_SIGNATURE
    aes = _aes(crypto, alg, SIGN_VERIFY)
    assert status_of(crypto.sign_hash, aes, alg, digest) == S.PSA_ERROR_INVALID_ARGUMENT     # not an ECC key


def _rsa_1024(crypto, alg):
    key = rsa.generate_private_key(65537, 1024)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    junk = (int.from_bytes(os.urandom(128), "big") % key.public_key().public_numbers().n).to_bytes(128, "big")
    return import_key(crypto, cv.PSA_KEY_TYPE_RSA_KEY_PAIR, der, ENC_DEC, alg), junk


@pytest.mark.xfail(strict=True, reason="engine bug: peripherals/crypto_ops.py asym_crypt relies on cryptography's "
                                       "PKCS#1 v1.5 decrypt raising ValueError, but with OpenSSL's implicit "
                                       "rejection it returns a synthetic plaintext, so a bad padding gives "
                                       "PSA_SUCCESS instead of PSA_ERROR_INVALID_PADDING")
def test_rsa_pkcs1v15_decrypt_bad_padding(crypto):
    k, junk = _rsa_1024(crypto, cv.PSA_ALG_RSA_PKCS1V15_CRYPT)
    assert status_of(crypto.asymmetric_decrypt, k, cv.PSA_ALG_RSA_PKCS1V15_CRYPT, junk) == S.PSA_ERROR_INVALID_PADDING


def test_rsa_oaep_decrypt_bad_padding_and_short_buffer(crypto):
    alg = cv.psa_alg_rsa_oaep(cv.PSA_ALG_SHA_256)
    k, junk = _rsa_1024(crypto, alg)
    assert status_of(crypto.asymmetric_decrypt, k, alg, junk) == S.PSA_ERROR_INVALID_PADDING
    assert status_of(crypto.asymmetric_encrypt, k, alg, b"x", None, 127) == S.PSA_ERROR_BUFFER_TOO_SMALL


# --------------------------------------------------------------------------------------------
# Key derivation
def _derive_key(crypto, alg, usage=cv.PSA_KEY_USAGE_DERIVE):
    return import_key(crypto, cv.PSA_KEY_TYPE_DERIVE, os.urandom(32), usage, alg)


def test_key_derivation_bad_state(crypto):
    alg = cv.PSA_ALG_HKDF_SHA_256
    k = _derive_key(crypto, alg)
    op = crypto.key_derivation_setup(alg)
    assert status_of(crypto.key_derivation_output_bytes, op, 16) == S.PSA_ERROR_BAD_STATE   # no secret yet
    crypto.key_derivation_abort(op)
    op = crypto.key_derivation_setup(alg)
    crypto.key_derivation_input_key(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, k)
    assert status_of(crypto.key_derivation_input_bytes, op, cv.PSA_KEY_DERIVATION_INPUT_SALT, b"s") \
        == S.PSA_ERROR_BAD_STATE                                                            # salt after secret
    crypto.key_derivation_abort(op)
    op = crypto.key_derivation_setup(alg)
    crypto.key_derivation_input_key(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, k)
    assert status_of(crypto.key_derivation_input_key, op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, k) \
        == S.PSA_ERROR_BAD_STATE                                                            # secret twice
    crypto.key_derivation_abort(op)
    active = crypto.key_derivation_setup(alg)
    assert status_of(crypto.key_derivation_setup, alg, active) == S.PSA_ERROR_BAD_STATE     # setup of an active op
    assert status_of(crypto.key_derivation_output_bytes, KeyDerivationOperation(7), 1) \
        == S.PSA_ERROR_BAD_STATE                                                            # no such operation


def test_key_derivation_arguments_capacity_and_policy(crypto):
    assert status_of(crypto.key_derivation_setup, cv.PSA_ALG_SHA_256) == S.PSA_ERROR_INVALID_ARGUMENT
    alg = cv.PSA_ALG_HKDF_SHA_256
    op = crypto.key_derivation_setup(alg)
    assert status_of(crypto.key_derivation_set_capacity, op, 255 * 32 + 1) == S.PSA_ERROR_INVALID_ARGUMENT
    crypto.key_derivation_abort(op)
    op = crypto.key_derivation_setup(alg)
    no_derive = _derive_key(crypto, alg, cv.PSA_KEY_USAGE_EXPORT)
    assert status_of(crypto.key_derivation_input_key, op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, no_derive) \
        == S.PSA_ERROR_NOT_PERMITTED
    crypto.key_derivation_abort(op)
    op = crypto.key_derivation_setup(alg)
    other = _derive_key(crypto, cv.psa_alg_hkdf(cv.PSA_ALG_SHA_512))
    assert status_of(crypto.key_derivation_input_key, op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, other) \
        == S.PSA_ERROR_NOT_PERMITTED
    crypto.key_derivation_abort(op)
    op = crypto.key_derivation_setup(alg)
    crypto.key_derivation_set_capacity(op, 10)
    crypto.key_derivation_input_key(op, cv.PSA_KEY_DERIVATION_INPUT_SECRET, _derive_key(crypto, alg))
    crypto.key_derivation_input_bytes(op, cv.PSA_KEY_DERIVATION_INPUT_INFO, b"i")
    assert status_of(crypto.key_derivation_output_bytes, op, 11) == S.PSA_ERROR_INSUFFICIENT_DATA
    crypto.key_derivation_abort(op)


def test_raw_key_agreement_errors(crypto):
    k = _p256(crypto, cv.PSA_ALG_ECDH, cv.PSA_KEY_USAGE_DERIVE)
    assert status_of(crypto.raw_key_agreement, cv.PSA_ALG_ECDH, k, b"\x04" + bytes(64)) \
        == S.PSA_ERROR_INVALID_ARGUMENT                                                     # not a curve point
    no_derive = _p256(crypto, cv.PSA_ALG_ECDH, cv.PSA_KEY_USAGE_SIGN_HASH)
    peer = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert status_of(crypto.raw_key_agreement, cv.PSA_ALG_ECDH, no_derive, peer) == S.PSA_ERROR_NOT_PERMITTED
    assert status_of(crypto.raw_key_agreement, cv.PSA_ALG_ECDH, k, peer, 31) == S.PSA_ERROR_BUFFER_TOO_SMALL
