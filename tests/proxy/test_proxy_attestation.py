"""Initial Attestation token verification (docs/attestation.md): COSE_Mac0 (HMAC-SHA256) and
COSE_Sign1 (ES256) tokens built by hand and checked by the verifier; the Sign1 ones are also
checked against pycose, an independent COSE implementation."""
from __future__ import annotations

import hashlib
import hmac

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

from psaemu.proxy import attestation as at
from psaemu.proxy.attestation import ClaimLabel, TokenError, build_token, verify_token
from psaemu.proxy.cbor import Tag, dumps, loads

KEY = bytes(range(0x40, 0x60))            # a fixed 32-byte symmetric IAK
CHALLENGE = bytes(range(32))

CLAIMS = {
    -75008: CHALLENGE,                                   # challenge
    -75004: bytes(range(0xA0, 0xC0)),                    # boot seed (template 0xA0..0xBF)
    -75009: b"\x01" + hashlib.sha256(b"iak").digest(),   # UEID, 33 bytes
    -75003: b"\xaa" * 8 + b"\xbb" * 8 + b"\xcc" * 8 + b"\xdd" * 8,
    -75001: -1,                                          # forwarded Host caller
    -75002: 0x3000,                                      # TFM_SLC_SECURED
    -75006: [{1: "BL2", 2: b"\x11" * 32, 4: "1.3.0", 5: b"\x22" * 32}],
    -75010: "www.trustedfirmware.org",
    -75000: "PSA_IOT_PROFILE_1",
    -75005: "060456527282910010",
}


def make_token(claims=CLAIMS, key=KEY, protected_map=None, tag_number=17, unprotected=None):
    """Build a token by hand from the CBOR encoder and hmac (independent of build_token)."""
    protected = dumps({1: 5} if protected_map is None else protected_map)
    payload = dumps(claims)
    to_mac = dumps(["MAC0", protected, b"", payload])
    tag = hmac.new(key, to_mac, hashlib.sha256).digest()
    return dumps(Tag(tag_number, [protected, unprotected or {}, payload, tag]))


def parts(token: bytes) -> list:
    return loads(token).value


def test_claim_labels():
    assert {c.name: int(c) for c in ClaimLabel} == {
        "PROFILE_DEFINITION": -75000, "CLIENT_ID": -75001, "SECURITY_LIFECYCLE": -75002,
        "IMPLEMENTATION_ID": -75003, "BOOT_SEED": -75004, "HW_VERSION": -75005, "SW_COMPONENTS": -75006,
        "NO_SW_COMPONENTS": -75007, "CHALLENGE": -75008, "UEID": -75009, "ORIGINATION": -75010}
    assert (at.COSE_MAC0_TAG, at.COSE_ALG_HMAC256_256) == (17, 5)


def test_mac_structure_encoding():
    assert at.mac_structure(b"\xa1\x01\x05", b"\xa0") == bytes.fromhex("84" "644d414330" "43a10105" "40" "41a0")


def test_verify_hand_built_token():
    token = make_token()
    claims = verify_token(token, KEY)
    assert dict(claims) == CLAIMS
    assert claims.challenge == CHALLENGE
    assert claims.boot_seed == bytes(range(0xA0, 0xC0))
    assert len(claims.ueid) == 33 and claims.ueid[0] == 1
    assert claims.implementation_id == CLAIMS[-75003]
    assert claims.client_id == -1
    assert claims.security_lifecycle == 0x3000 == at.TFM_SLC_SECURED
    assert claims.sw_components[0][1] == "BL2"
    assert claims.no_sw_components is None
    assert claims.origination == "www.trustedfirmware.org"
    assert claims.profile_definition == "PSA_IOT_PROFILE_1"
    assert claims.hw_version == "060456527282910010"
    assert claims.protected == {1: 5} and claims.unprotected == {}


def test_build_token_matches_hand_built_one():
    assert build_token(CLAIMS, KEY) == make_token()
    minimal = {-75008: CHALLENGE, -75007: 1}
    claims = verify_token(build_token(minimal, KEY), KEY)
    assert claims.no_sw_components == 1 and claims.sw_components is None and claims.hw_version is None


def test_token_fits_the_service_buffer():
    assert len(make_token()) <= 0x250


def test_flipped_payload_byte_is_a_mac_mismatch():
    token = bytearray(make_token())
    payload = dumps(CLAIMS)
    at_ = token.find(payload)
    assert at_ > 0
    token[at_ + len(payload) - 1] ^= 0x01                # last byte of the hw_version string
    with pytest.raises(TokenError, match="^MAC mismatch") as info:
        verify_token(bytes(token), KEY)
    assert info.value.reason == "mac_mismatch"


def test_flipped_tag_byte_is_a_mac_mismatch():
    token = bytearray(make_token())
    token[-1] ^= 0x80                                    # the last byte is the end of the 32-byte tag
    with pytest.raises(TokenError) as info:
        verify_token(bytes(token), KEY)
    assert info.value.reason == "mac_mismatch"


def test_wrong_key():
    with pytest.raises(TokenError) as info:
        verify_token(make_token(), bytes(32))
    assert info.value.reason == "mac_mismatch"


def test_bad_tag():
    with pytest.raises(TokenError, match="^bad tag: CBOR tag 18 .COSE_Sign1") as info:
        verify_token(make_token(tag_number=18), KEY, expect="symmetric")
    assert info.value.reason == "bad_tag"
    with pytest.raises(TokenError, match="^bad tag: CBOR tag 16") as info:
        verify_token(make_token(tag_number=16), KEY)
    assert info.value.reason == "bad_tag"
    untagged = dumps(parts(make_token()))
    with pytest.raises(TokenError) as info:
        verify_token(untagged, KEY)
    assert info.value.reason == "bad_tag"


def test_a_mac0_token_with_a_public_key_is_a_wrong_key():
    with pytest.raises(TokenError, match="^wrong key") as info:
        verify_token(make_token(), IAK.public_key())
    assert info.value.reason == "wrong_key"


@pytest.mark.parametrize("protected_map", [{1: -7}, {}, {4: b"kid"}])
def test_wrong_alg_mac0(protected_map):
    with pytest.raises(TokenError, match="^wrong alg") as info:
        verify_token(make_token(protected_map=protected_map), KEY)
    assert info.value.reason == "wrong_alg"


def test_malformed_cbor():
    token = make_token()
    for bad in (token[:-5], token + b"\x00", b"\xd1\x9f\xff", b""):
        with pytest.raises(TokenError, match="^malformed token") as info:
            verify_token(bad, KEY)
        assert info.value.reason == "malformed"


@pytest.mark.parametrize("body", [
    [b"", {}, b""],                                    # 3 items
    "not an array",
    [b"\xa1\x01\x05", [], b"\xa0", bytes(32)],         # unprotected not a map
    [{1: 5}, {}, b"\xa0", bytes(32)],                  # protected not a bstr
])
def test_malformed_cose_structure(body):
    with pytest.raises(TokenError) as info:
        verify_token(dumps(Tag(17, body)), KEY)
    assert info.value.reason == "malformed"


def test_payload_that_is_not_a_map_is_malformed_even_with_a_good_mac():
    protected = dumps({1: 5})
    payload = dumps([1, 2])
    tag = hmac.new(KEY, dumps(["MAC0", protected, b"", payload]), hashlib.sha256).digest()
    with pytest.raises(TokenError, match="payload") as info:
        verify_token(dumps(Tag(17, [protected, {}, payload, tag])), KEY)
    assert info.value.reason == "malformed"


def test_bad_key_argument():
    with pytest.raises(ValueError):
        verify_token(make_token(), b"")


# --------------------------------------------------------------------------------------------
# COSE_Sign1 / ES256 (TF-M v1.3's default token)
IAK = ec.derive_private_key(int.from_bytes(at.TFM_TEST_IAK_P256, "big"), ec.SECP256R1())
IAK_POINT = IAK.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
SIGN1_CLAIMS = {**CLAIMS, -75009: b"\x01" + hashlib.sha256(IAK_POINT).digest()}


def make_sign1(claims=SIGN1_CLAIMS, key=IAK, protected_map=None, tag_number=18, unprotected=None):
    """A COSE_Sign1 token by hand: cryptography signs the Sig_structure, r || s is the signature."""
    protected = dumps({1: -7} if protected_map is None else protected_map)
    payload = dumps(claims)
    der = key.sign(dumps(["Signature1", protected, b"", payload]), ec.ECDSA(hashes.SHA256()))
    r, s_ = decode_dss_signature(der)
    return dumps(Tag(tag_number, [protected, unprotected or {}, payload, r.to_bytes(32, "big") + s_.to_bytes(32, "big")]))


def pycose_verifies(token: bytes, point: bytes = IAK_POINT) -> bool:
    """pycose's verdict on a COSE_Sign1 token under the P-256 public key ``point``."""
    msg = Sign1Message.decode(token)
    msg.key = EC2Key(crv="P_256", x=point[1:33], y=point[33:])
    return msg.verify_signature()


def test_tfm_test_iak_is_the_published_pem_key():
    # TF-M v1.3 platform/ext/common/template/tfm_initial_attestation_key.pem, public part
    assert IAK_POINT.hex() == ("0479eba90e8bf450a6751576ad4599b07adf938da3bb0bd17d0036ed49a2d0fc3f"
                               "bfcdfa8956b568bfdb8673e648d8b58d929955b14a26c3080f34117d971d6864")
    assert at.instance_id(IAK_POINT) == SIGN1_CLAIMS[-75009] == at.instance_id(IAK.public_key())


def test_sig_structure_encoding():
    assert at.sig_structure(b"\xa1\x01\x26", b"\xa0") == bytes.fromhex(
        "84" "6a5369676e617475726531" "43a10126" "40" "41a0")


@pytest.mark.parametrize("key", [IAK_POINT, bytearray(IAK_POINT), IAK.public_key()])
def test_verify_hand_built_sign1_token(key):
    claims = verify_token(make_sign1(), key)
    assert dict(claims) == SIGN1_CLAIMS and claims.kind == "asymmetric"
    assert claims.protected == {1: -7} and claims.unprotected == {}
    assert claims.ueid == at.instance_id(IAK_POINT)
    assert verify_token(make_sign1(), key, expect="asymmetric") == claims


def test_build_token_sign1_verifies_with_pycose_and_the_verifier():
    token = build_token(SIGN1_CLAIMS, IAK)
    assert token[0] == 0xD2 and pycose_verifies(token)
    assert cbor2.loads(cbor2.loads(token).value[2]) == SIGN1_CLAIMS      # another CBOR decoder agrees
    assert dict(verify_token(token, IAK_POINT)) == SIGN1_CLAIMS
    assert pycose_verifies(make_sign1())                                # the hand-built one too


def test_sign1_tampered_payload_is_a_bad_signature():
    token = bytearray(make_sign1())
    payload = dumps(SIGN1_CLAIMS)
    start = token.find(payload)
    token[start + payload.find(bytes(range(32)))] ^= 0x01               # first challenge byte
    with pytest.raises(TokenError, match="^bad signature") as info:
        verify_token(bytes(token), IAK_POINT)
    assert info.value.reason == "bad_signature"
    assert not pycose_verifies(bytes(token))


@pytest.mark.parametrize("where", [-1, -33, -64])                       # in s, the r/s border, r
def test_sign1_tampered_signature_is_a_bad_signature(where):
    token = bytearray(make_sign1())
    token[where] ^= 0x40
    with pytest.raises(TokenError) as info:
        verify_token(bytes(token), IAK_POINT)
    assert info.value.reason == "bad_signature"


def test_sign1_another_key_is_a_bad_signature():
    other = ec.derive_private_key(12345, ec.SECP256R1()).public_key()
    with pytest.raises(TokenError) as info:
        verify_token(make_sign1(), other)
    assert info.value.reason == "bad_signature"


def test_sign1_signature_of_the_wrong_length():
    body = parts(make_sign1())
    body[3] = body[3][:63]
    with pytest.raises(TokenError, match="64 bytes") as info:
        verify_token(dumps(Tag(18, body)), IAK_POINT)
    assert info.value.reason == "bad_signature"


@pytest.mark.parametrize("key", [KEY, IAK_POINT[:64], b"\x05" + IAK_POINT[1:], b"\x04" + bytes(64),
                                 ec.derive_private_key(1, ec.SECP384R1()).public_key()])
def test_sign1_with_a_key_that_is_no_p256_public_key(key):
    with pytest.raises(TokenError, match="^wrong key") as info:
        verify_token(make_sign1(), key)
    assert info.value.reason == "wrong_key"


@pytest.mark.parametrize("protected_map", [{1: 5}, {1: -35}, {}])
def test_wrong_alg_sign1(protected_map):
    with pytest.raises(TokenError, match="^wrong alg") as info:
        verify_token(make_sign1(protected_map=protected_map), IAK_POINT)
    assert info.value.reason == "wrong_alg"


def test_expect_refuses_the_other_kind():
    with pytest.raises(TokenError, match="^bad tag: CBOR tag 17 .COSE_Mac0") as info:
        verify_token(make_token(), KEY, expect="asymmetric")
    assert info.value.reason == "bad_tag"
    with pytest.raises(ValueError, match="expect"):
        verify_token(make_token(), KEY, expect="sign1")


def test_sign1_payload_that_is_not_a_map_is_malformed():
    with pytest.raises(TokenError, match="payload") as info:
        verify_token(make_sign1(claims=[1, 2]), IAK_POINT)
    assert info.value.reason == "malformed"
