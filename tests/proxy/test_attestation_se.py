"""Initial Attestation through the real proxy path: the SE firmware's asymmetric (COSE_Sign1, ES256,
TF-M v1.3's default) and symmetric (COSE_Mac0) tokens, the IAK public key (SID 0x22), and how a
board, a machine or ``psaemu run`` chooses the kind.

Oracles: the IAK public key is derived by ``cryptography`` from TF-M's published test scalar;
signatures are checked by ``cryptography`` over a Sig_structure encoded by ``cbor2`` and by pycose;
the HMAC by ``hmac``; claims are decoded by ``cbor2``.
"""
from __future__ import annotations

import hashlib
import hmac
import struct

import cbor2
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.board import builtin_board_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.attestation import TFM_TEST_IAK_P256, TokenError, select_token, verify_token
from psaemu.proxy.client import SID_ATTEST_GET_PUBLIC_KEY, PsaError, boot_se_only
from psaemu.proxy.status import PsaStatus as S

IAK = ec.derive_private_key(int.from_bytes(TFM_TEST_IAK_P256, "big"), ec.SECP256R1()).public_key()
IAK_POINT = IAK.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
HMAC_KEY = b"psaemu-SE test IAK (HMAC-256) v1"
TFM_CLAIM_ORDER = [-75008, -75004, -75009, -75003, -75001, -75002, -75007, -75010, -75000, -75005]


def challenge_of(size: int, base: int = 0x30) -> bytes:
    return bytes((base + i) & 0xFF for i in range(size))


def es256_verifies(token: bytes, public: ec.EllipticCurvePublicKey = IAK) -> bool:
    """cryptography's verdict on the token's r || s over a Sig_structure that cbor2 encodes."""
    tag = cbor2.loads(token)
    protected, _, payload, sig = tag.value
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        public.verify(der, to_be_signed, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def pycose_verifies(token: bytes) -> bool:
    msg = Sign1Message.decode(token)
    msg.key = EC2Key(crv="P_256", x=IAK_POINT[1:33], y=IAK_POINT[33:])
    return msg.verify_signature()


@pytest.fixture(scope="module")
def se():
    """The default board: asymmetric tokens."""
    m, _ = boot_se_only()
    return m


def symmetric_board(tmp_path) -> str:
    text = builtin_board_path("musca_b1").read_text()
    assert text.count('attestation = "asymmetric"') == 1
    path = tmp_path / "musca_b1_symmetric.toml"
    path.write_text(text.replace('attestation = "asymmetric"', 'attestation = "symmetric"'))
    return str(path)


# --------------------------------------------------------------------------------------------
# the default: COSE_Sign1
def test_public_key_is_tfm_test_iak(se):
    assert se.peripherals["se_crypto"].attestation == "asymmetric"
    assert se.psa.attest_public_key() == IAK_POINT
    r = se.psa.call(SID_ATTEST_GET_PUBLIC_KEY, 0, [], [80, 1, 4])           # the raw outputs
    assert r.ok and r.outputs == [IAK_POINT, b"\x12", struct.pack("<I", 65)]


@pytest.mark.parametrize("size, expected_len", [(32, 329), (48, 346), (64, 362)])
def test_sign1_token_verifies_against_independent_oracles(se, size, expected_len):
    challenge = challenge_of(size)
    token = se.psa.attest_token(challenge)
    assert len(token) == expected_len == se.psa.attest_token_size(size)
    outer = cbor2.loads(token)
    assert outer.tag == 18 and outer.value[0] == b"\xa1\x01\x26" and outer.value[1] == {}
    assert len(outer.value[3]) == 64
    assert es256_verifies(token) and pycose_verifies(token)
    claims = cbor2.loads(outer.value[2])
    assert list(claims) == TFM_CLAIM_ORDER                                   # TF-M v1.3's encoding order
    assert claims[-75008] == challenge
    assert claims[-75009] == b"\x01" + hashlib.sha256(IAK_POINT).digest()    # instance id
    assert claims[-75004] == bytes(range(0xA0, 0xC0))
    assert claims[-75003] == b"\xaa" * 8 + b"\xbb" * 8 + b"\xcc" * 8 + b"\xdd" * 8
    assert (claims[-75001], claims[-75002], claims[-75007]) == (-1, 0x3000, 1)
    assert (claims[-75010], claims[-75000], claims[-75005]) == (
        "www.trustedfirmware.org", "PSA_IOT_PROFILE_1", "060456527282910010")
    mine = verify_token(token, se.psa.attest_public_key(), expect="asymmetric")
    assert dict(mine) == claims and mine.kind == "asymmetric"


def test_tokens_are_deterministic_and_challenge_bound(se):
    a = se.psa.attest_token(challenge_of(32))
    assert se.psa.attest_token(challenge_of(32)) == a                          # RFC 6979: runs repeat
    b = se.psa.attest_token(challenge_of(32, base=0x31))
    assert b != a and b[-64:] != a[-64:] and es256_verifies(b)


def test_tampered_sign1_tokens_are_rejected(se):
    token = se.psa.attest_token(challenge_of(64))
    for where in (token.find(challenge_of(64)) + 5, token.find(b"0604565272"), len(token) - 1,
                  len(token) - 40):                                        # challenge, hw version, s, r
        bad = bytearray(token)
        bad[where] ^= 0x01
        with pytest.raises(TokenError, match="^bad signature") as info:
            verify_token(bytes(bad), IAK_POINT)
        assert info.value.reason == "bad_signature"
        assert not es256_verifies(bytes(bad)) and not pycose_verifies(bytes(bad))
    other = ec.derive_private_key(99, ec.SECP256R1()).public_key()
    with pytest.raises(TokenError, match="bad signature"):
        verify_token(token, other)
    with pytest.raises(TokenError, match="^bad tag"):
        verify_token(token, HMAC_KEY, expect="symmetric")


def test_public_key_output_checks(se):
    call = lambda outs: se.psa.call(SID_ATTEST_GET_PUBLIC_KEY, 0, [], outs).status
    assert call([65, 2, 4]) == S.PSA_ERROR_INVALID_ARGUMENT                  # curve output not 1 byte
    assert call([65, 1, 8]) == S.PSA_ERROR_INVALID_ARGUMENT                  # length output not 4 bytes
    assert call([64, 1, 4]) == S.PSA_ERROR_BUFFER_TOO_SMALL
    with pytest.raises(PsaError) as err:
        se.psa.attest_public_key(key_buf_size=10)
    assert err.value.status == S.PSA_ERROR_BUFFER_TOO_SMALL


# --------------------------------------------------------------------------------------------
# choosing the symmetric token
def check_mac0(m: Machine) -> None:
    challenge = challenge_of(48)
    token = m.psa.attest_token(challenge)
    assert len(token) == 314 == m.psa.attest_token_size(48)
    protected, unprotected, payload, tag = cbor2.loads(token).value
    assert cbor2.loads(token).tag == 17 and protected == b"\xa1\x01\x05"
    assert tag == hmac.new(HMAC_KEY, cbor2.dumps(["MAC0", protected, b"", payload]), hashlib.sha256).digest()
    claims = verify_token(token, HMAC_KEY, expect="symmetric")
    assert claims.challenge == challenge and claims.kind == "symmetric"
    assert claims.ueid == b"\x01" + hashlib.sha256(hashlib.sha256(HMAC_KEY).digest()).digest()   # as TF-M
    with pytest.raises(PsaError) as err:
        m.psa.attest_public_key()
    assert err.value.status == S.PSA_ERROR_NOT_SUPPORTED
    assert m.psa.call(SID_ATTEST_GET_PUBLIC_KEY, 0, [], [65, 2, 4]).status == S.PSA_ERROR_INVALID_ARGUMENT


def test_board_key_chooses_the_symmetric_token(tmp_path):
    m, _ = boot_se_only(symmetric_board(tmp_path))
    assert m.peripherals["se_crypto"].read(0x20, 4) == 1
    check_mac0(m)


def test_select_token_switches_a_machine_both_ways():
    m, _ = boot_se_only()
    select_token(m, "symmetric")
    check_mac0(m)
    select_token(m, "asymmetric")
    assert es256_verifies(m.psa.attest_token(challenge_of(32)))


def test_the_kind_survives_a_snapshot():
    m, _ = boot_se_only()
    select_token(m, "symmetric")
    snap = m.snapshot()
    select_token(m, "asymmetric")
    m.restore(snap)
    assert m.peripherals["se_crypto"].attestation == "symmetric"
    check_mac0(m)


def test_bad_kinds_are_config_errors(tmp_path):
    m, _ = boot_se_only()
    with pytest.raises(ConfigError, match="'cose'.*asymmetric, symmetric"):
        select_token(m, "cose")
    text = builtin_board_path("musca_b1").read_text().replace('attestation = "asymmetric"', 'attestation = "rsa"')
    (tmp_path / "b.toml").write_text(text)
    with pytest.raises(ConfigError, match="attestation.*'rsa'"):
        Machine(str(tmp_path / "b.toml"))


def test_psaemu_run_attestation_option_runs_the_regression_with_mac0_tokens(capsys):
    from psaemu.platform.cli import main
    status = main(["run", "--host", "regression_host", "--attestation", "symmetric"])
    out, _ = capsys.readouterr()
    assert status == 0, out[-2000:]
    token = bytes.fromhex(next(l.split()[3] for l in out.splitlines() if l.startswith("[host] DATA token64 ")))
    assert verify_token(token, HMAC_KEY, expect="symmetric").challenge == bytes(range(1, 65))
    assert "[host] TEST attest.get_public_key PASS" in out                  # NOT_SUPPORTED, as expected
    assert "[host] TEST attest.get_public_key_buffer_too_small SKIP" in out
    assert " 0 failures" in out
