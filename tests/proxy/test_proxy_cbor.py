"""CBOR decoder/encoder on RFC 8949 Appendix A examples, plus the errors the decoder reports."""
from __future__ import annotations

import math

import pytest

from psaemu.proxy.cbor import UNDEFINED, CBORDecodeError, CBOREncodeError, Simple, Tag, decode_item, dumps, loads

# (value, encoding) pairs from RFC 8949 Appendix A whose preferred encoding is also the
# deterministic one, so they must decode and re-encode exactly.
VECTORS = [
    (0, "00"), (1, "01"), (10, "0a"), (23, "17"), (24, "1818"), (25, "1819"), (100, "1864"),
    (1000, "1903e8"), (1000000, "1a000f4240"), (1000000000000, "1b000000e8d4a51000"),
    (18446744073709551615, "1bffffffffffffffff"), (-18446744073709551616, "3bffffffffffffffff"),
    (-1, "20"), (-10, "29"), (-100, "3863"), (-1000, "3903e7"),
    (0.0, "f90000"), (-0.0, "f98000"), (1.0, "f93c00"), (1.1, "fb3ff199999999999a"), (1.5, "f93e00"),
    (65504.0, "f97bff"), (100000.0, "fa47c35000"), (3.4028234663852886e+38, "fa7f7fffff"),
    (1.0e+300, "fb7e37e43c8800759c"), (5.960464477539063e-8, "f90001"), (0.00006103515625, "f90400"),
    (-4.0, "f9c400"), (-4.1, "fbc010666666666666"),
    (math.inf, "f97c00"), (-math.inf, "f9fc00"),
    (False, "f4"), (True, "f5"), (None, "f6"), (UNDEFINED, "f7"), (Simple(16), "f0"), (Simple(255), "f8ff"),
    (Tag(0, "2013-03-21T20:04:00Z"), "c074323031332d30332d32315432303a30343a30305a"),
    (Tag(1, 1363896240), "c11a514b67b0"),
    (Tag(1, 1363896240.5), "c1fb41d452d9ec200000"),
    (Tag(23, b"\x01\x02\x03\x04"), "d74401020304"),
    (Tag(24, b"dIETF"), "d818456449455446"),
    (Tag(32, "http://www.example.com"), "d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
    (Tag(2, bytes.fromhex("010000000000000000")), "c249010000000000000000"),
    (b"", "40"), (b"\x01\x02\x03\x04", "4401020304"),
    ("", "60"), ("a", "6161"), ("IETF", "6449455446"), ("\"\\", "62225c"), ("\u00fc", "62c3bc"),
    ("\u6c34", "63e6b0b4"), ("\U00010151", "64f0908591"),
    ([], "80"), ([1, 2, 3], "83010203"), ([1, [2, 3], [4, 5]], "8301820203820405"),
    (list(range(1, 26)), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
    ({}, "a0"), ({1: 2, 3: 4}, "a201020304"), ({"a": 1, "b": [2, 3]}, "a26161016162820203"),
    (["a", {"b": "c"}], "826161a161626163"),
    ({"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}, "a56161614161626142616361436164614461656145"),
    ([1, [2, 3]], "8201820203"),
]


@pytest.mark.parametrize("value, hexstr", VECTORS, ids=[h for _, h in VECTORS])
def test_decode_vector(value, hexstr):
    decoded = loads(bytes.fromhex(hexstr))
    assert decoded == value
    assert type(decoded) is type(value)
    if isinstance(value, float):
        assert math.copysign(1.0, decoded) == math.copysign(1.0, value)


@pytest.mark.parametrize("value, hexstr", VECTORS, ids=[h for _, h in VECTORS])
def test_encode_vector(value, hexstr):
    assert dumps(value).hex() == hexstr


def test_nan():
    assert math.isnan(loads(bytes.fromhex("f97e00")))
    assert math.isnan(loads(bytes.fromhex("fb7ff8000000000000")))   # non-preferred NaN still decodes
    assert dumps(math.nan).hex() == "f97e00"


def test_non_preferred_forms_decode():
    assert loads(bytes.fromhex("1b0000000000000001")) == 1
    assert loads(bytes.fromhex("fa3fc00000")) == 1.5
    assert loads(bytes.fromhex("fb3ff8000000000000")) == 1.5


def test_encoder_is_canonical():
    # Keys ordered by their encodings: 10 (0x0a) < 100 (0x1864) < -1 (0x20) < "z" (0x617a) < "aa" (0x626161).
    assert dumps({"aa": 0, "z": 0, -1: 0, 100: 0, 10: 0}).hex() == "a5" "0a00" "186400" "2000" "617a00" "62616100"
    assert dumps((1, 2)) == dumps([1, 2])
    assert dumps(bytearray(b"\x01")) == b"\x41\x01"
    assert dumps(-75008) == bytes.fromhex("3a000124ff")


def test_round_trip_token_like_structure():
    value = {-75008: bytes(32), -75001: -1, -75006: [{1: "BL2", 2: b"\xaa" * 32, 4: "1.3.0", 5: b"\xbb" * 32}],
             -75000: "PSA_IOT_PROFILE_1", "x": [True, None, 1.5, Tag(17, [])]}
    assert loads(dumps(value)) == value


@pytest.mark.parametrize("hexstr, message", [
    ("5f42010243030405ff", "indefinite-length byte string"),
    ("7f657374726561646d696e67ff", "indefinite-length text string"),
    ("9fff", "indefinite-length array"),
    ("bf61610161629f0203ffff", "indefinite-length map"),
    ("ff", "break"),
    ("1c", "additional information 28"),
    ("1f", "additional information 31"),
    ("f818", "one-byte form"),
    ("18", "truncated"),
    ("4401020304ff", "trailing"),
    ("6401", "truncated"),
    ("62c328", "UTF-8"),
    ("9a7fffffff", "truncated"),
    ("a20102", "truncated"),
    ("a201020103", "duplicate map key"),
    ("a1810102", "cannot be a dict key"),
    ("", "empty"),
])
def test_decode_errors(hexstr, message):
    with pytest.raises(CBORDecodeError, match=message):
        loads(bytes.fromhex(hexstr))


def test_decode_error_reports_offset():
    with pytest.raises(CBORDecodeError) as info:
        loads(bytes.fromhex("82019f"))
    assert info.value.offset == 2
    assert "at byte 2" in str(info.value)


def test_deep_nesting_is_rejected():
    with pytest.raises(CBORDecodeError, match="nesting"):
        loads(b"\x81" * 100 + b"\x00")


def test_decode_item_returns_end_offset():
    data = bytes.fromhex("0118ff40")
    assert decode_item(data) == (1, 1)
    assert decode_item(data, 1) == (255, 3)
    assert decode_item(data, 3) == (b"", 4)


@pytest.mark.parametrize("bad", [object(), 1 << 64, -(1 << 64) - 1, Simple(24), Simple(20), Tag(-1, 0), {1, 2}])
def test_encode_errors(bad):
    with pytest.raises(CBOREncodeError):
        dumps(bad)
