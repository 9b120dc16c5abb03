"""Symmetric Initial Attestation token (COSE_Mac0 / HMAC-SHA256) verification, client-abi §7."""
from __future__ import annotations

import hashlib
import hmac

import pytest

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
        verify_token(make_token(tag_number=18), KEY)
    assert info.value.reason == "bad_tag"
    untagged = dumps(parts(make_token()))
    with pytest.raises(TokenError) as info:
        verify_token(untagged, KEY)
    assert info.value.reason == "bad_tag"


@pytest.mark.parametrize("protected_map", [{1: -7}, {}, {4: b"kid"}])
def test_wrong_alg(protected_map):
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
