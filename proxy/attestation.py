"""Verify TF-M's Initial Attestation tokens (COSE_Sign1 ES256 or COSE_Mac0 HMAC-SHA256) and read their claims.

Token shape (docs/attestation.md, RFC 8152): a CBOR tag around the array
``[protected: bstr, unprotected: map, payload: bstr, signature-or-tag: bstr]``.

- Asymmetric (TF-M v1.3's default): tag 18 COSE_Sign1, protected header ``{1: -7}`` (ES256);
  the signature is the 64-byte ``r || s`` of ECDSA P-256 with SHA-256 over the canonical
  encoding of ``["Signature1", protected, external_aad = b"", payload]``, made with the Initial
  Attestation Key (IAK); it is checked with the IAK public key.
- Symmetric: tag 17 COSE_Mac0, protected header ``{1: 5}`` (HMAC 256/256); the tag is
  HMAC-SHA256 over ``["MAC0", protected, external_aad = b"", payload]``.

The payload is a map of EAT claims with labels in the Arm range (-75000 downwards); the instance
id (UEID) of an asymmetric token is 0x01 followed by SHA-256 of the IAK public key
(:func:`instance_id`).
"""
from __future__ import annotations

import hashlib
import hmac
from enum import IntEnum
from typing import Any, Mapping, Optional, Union

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from .cbor import CBORError, Tag, dumps, loads

__all__ = ["TokenError", "Claims", "ClaimLabel", "SwComponentLabel", "verify_token", "build_token",
           "mac_structure", "sig_structure", "iak_public_key", "instance_id", "select_token", "TOKEN_KINDS",
           "COSE_MAC0_TAG", "COSE_SIGN1_TAG", "COSE_HEADER_ALG", "COSE_HEADER_KID",
           "COSE_ALG_HMAC256_256", "COSE_ALG_ES256", "EAT_CBOR_ARM_RANGE_BASE",
           "TFM_SLC_SECURED", "TFM_SLC_MAX_VALUE", "TFM_TEST_IAK_P256", "PSA_ECC_FAMILY_SECP_R1"]

COSE_MAC0_TAG = 17
COSE_SIGN1_TAG = 18
COSE_HEADER_ALG = 1
COSE_HEADER_KID = 4
COSE_ALG_HMAC256_256 = 5
COSE_ALG_ES256 = -7
EAT_CBOR_ARM_RANGE_BASE = -75000
TFM_SLC_SECURED = 0x3000       # template HAL security lifecycle
TFM_SLC_MAX_VALUE = 0x60FF
PSA_ECC_FAMILY_SECP_R1 = 0x12  # the curve tfm_initial_attest_get_public_key reports
#: TF-M's published test IAK, the P-256 private scalar (DO NOT USE IN PRODUCTION): TF-M v1.3
#: platform/ext/common/template/tfm_initial_attestation_key_material.c:70-76 (the SE firmware's
#: default IAK).
TFM_TEST_IAK_P256 = bytes.fromhex("A9B454B26D6F90A4EA31193564CBA91FEC6F9A002A7DC0504B92A1937134585F")

#: Token kinds by the name a board's ``attestation`` key uses, with their CBOR tag.
TOKEN_KINDS = {"asymmetric": COSE_SIGN1_TAG, "symmetric": COSE_MAC0_TAG}
_TAG_NAMES = {COSE_SIGN1_TAG: "COSE_Sign1, an asymmetric token", COSE_MAC0_TAG: "COSE_Mac0, a symmetric token"}
_ES256_SIZE = 64

PublicKey = Union[bytes, bytearray, ec.EllipticCurvePublicKey]


class ClaimLabel(IntEnum):
    """EAT claim labels of the TF-M v1.3 token (``attest_eat_defines.h``)."""

    PROFILE_DEFINITION = -75000
    CLIENT_ID = -75001
    SECURITY_LIFECYCLE = -75002
    IMPLEMENTATION_ID = -75003
    BOOT_SEED = -75004
    HW_VERSION = -75005
    SW_COMPONENTS = -75006
    NO_SW_COMPONENTS = -75007
    CHALLENGE = -75008
    UEID = -75009
    ORIGINATION = -75010


class SwComponentLabel(IntEnum):
    """Labels inside one SW-component map."""

    MEASUREMENT_TYPE = 1
    MEASUREMENT_VALUE = 2
    VERSION = 4
    SIGNER_ID = 5
    MEASUREMENT_DESCRIPTION = 6


class TokenError(ValueError):
    """The token is not a valid IAT for this key; ``reason`` is one of the REASONS."""

    REASONS = {"malformed": "malformed token", "bad_tag": "bad tag", "wrong_alg": "wrong alg",
               "wrong_key": "wrong key", "mac_mismatch": "MAC mismatch",
               "bad_signature": "bad signature"}

    def __init__(self, reason: str, message: str):
        super().__init__(f"{self.REASONS[reason]}: {message}")
        self.reason = reason


class Claims(dict):
    """The token payload: claims keyed by label, with named accessors (None when absent)."""

    def __init__(self, claims: Mapping[Any, Any], protected: Optional[Mapping[Any, Any]] = None,
                 unprotected: Optional[Mapping[Any, Any]] = None, kind: str = "symmetric"):
        super().__init__(claims)
        self.protected: dict = dict(protected or {})
        self.unprotected: dict = dict(unprotected or {})
        #: "asymmetric" (COSE_Sign1) or "symmetric" (COSE_Mac0)
        self.kind = kind

    @property
    def challenge(self) -> Optional[bytes]:
        """The challenge the caller passed (-75008)."""
        return self.get(ClaimLabel.CHALLENGE)

    @property
    def boot_seed(self) -> Optional[bytes]:
        """Boot seed, 32 bytes (-75004)."""
        return self.get(ClaimLabel.BOOT_SEED)

    @property
    def ueid(self) -> Optional[bytes]:
        """Instance id: 0x01 + SHA-256 of the IAK public key (-75009)."""
        return self.get(ClaimLabel.UEID)

    @property
    def implementation_id(self) -> Optional[bytes]:
        """Implementation id (-75003)."""
        return self.get(ClaimLabel.IMPLEMENTATION_ID)

    @property
    def client_id(self) -> Optional[int]:
        """Caller's client id (-75001); -1 for requests forwarded by the proxy."""
        return self.get(ClaimLabel.CLIENT_ID)

    @property
    def security_lifecycle(self) -> Optional[int]:
        """Security lifecycle (-75002), e.g. 0x3000 (secured)."""
        return self.get(ClaimLabel.SECURITY_LIFECYCLE)

    @property
    def sw_components(self) -> Optional[list]:
        """Boot-record SW component maps (-75006)."""
        return self.get(ClaimLabel.SW_COMPONENTS)

    @property
    def no_sw_components(self) -> Optional[int]:
        """1 when the boot data had no SW components (-75007)."""
        return self.get(ClaimLabel.NO_SW_COMPONENTS)

    @property
    def origination(self) -> Optional[str]:
        """Verification service indicator (-75010)."""
        return self.get(ClaimLabel.ORIGINATION)

    @property
    def profile_definition(self) -> Optional[str]:
        """Profile definition, e.g. "PSA_IOT_PROFILE_1" (-75000)."""
        return self.get(ClaimLabel.PROFILE_DEFINITION)

    @property
    def hw_version(self) -> Optional[str]:
        """Hardware version string (-75005)."""
        return self.get(ClaimLabel.HW_VERSION)


def mac_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """Canonical encoding of the COSE ``MAC_structure`` ["MAC0", protected, external_aad, payload]."""
    return dumps(["MAC0", bytes(protected), bytes(external_aad), bytes(payload)])


def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """Canonical encoding of the COSE ``Sig_structure`` ["Signature1", protected, external_aad, payload]."""
    return dumps(["Signature1", bytes(protected), bytes(external_aad), bytes(payload)])


def iak_public_key(key: PublicKey) -> ec.EllipticCurvePublicKey:
    """The IAK public key from its PSA export (65 bytes 0x04 || X || Y) or a ``cryptography`` key."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"the IAK is a P-256 key; this public key is on {key.curve.name}")
        return key
    if not isinstance(key, (bytes, bytearray)) or len(key) != 65 or key[0] != 0x04:
        what = f"{len(key)} bytes" if isinstance(key, (bytes, bytearray)) else type(key).__name__
        raise ValueError(f"the IAK public key must be 65 bytes 0x04 || X || Y (P-256) or an "
                         f"EllipticCurvePublicKey, got {what}")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(key))
    except ValueError:
        raise ValueError("the 65 bytes are not a point on P-256") from None


def instance_id(public_key: PublicKey) -> bytes:
    """The UEID claim TF-M derives from the IAK: 0x01 || SHA-256(0x04 || X || Y)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    point = iak_public_key(public_key).public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b"\x01" + hashlib.sha256(point).digest()


def select_token(machine: Any, kind: str) -> None:
    """Make the machine's SE produce ``kind`` tokens ("asymmetric" or "symmetric"): sets every
    crypto engine's ``attestation`` (the ATTEST register the SE firmware reads at boot and at each
    request), as the board key ``attestation`` or ``psaemu run --attestation`` does."""
    from psaemu.peripherals.crypto_engine import CryptoEngine
    from psaemu.platform.errors import ConfigError
    if kind not in TOKEN_KINDS:
        raise ConfigError(f"attestation {kind!r}: choose one of {', '.join(TOKEN_KINDS)}")
    engines = [p for p in machine.peripherals.values() if isinstance(p, CryptoEngine)]
    if not engines:
        raise ConfigError(f"attestation {kind!r}: board {machine.board.path} has no crypto_engine peripheral, "
                          "whose ATTEST register tells the SE firmware the token kind")
    for engine in engines:
        engine.attestation = kind


def _hmac256(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data``."""
    return hmac.new(bytes(key), data, hashlib.sha256).digest()


def _decode(data: bytes, what: str) -> Any:
    """CBOR-decode a part of the token, mapping decoder errors to TokenError."""
    try:
        return loads(data)
    except CBORError as exc:
        raise TokenError("malformed", f"{what} is not valid CBOR: {exc}") from None


def _unwrap(token: bytes, expect: Optional[str]) -> tuple[int, list]:
    """The COSE tag and the 4-item body, checked for shape (TokenError otherwise)."""
    if expect is not None and expect not in TOKEN_KINDS:
        raise ValueError(f"expect must be one of {', '.join(TOKEN_KINDS)} or None, got {expect!r}")
    wanted = [TOKEN_KINDS[expect]] if expect else [COSE_SIGN1_TAG, COSE_MAC0_TAG]
    expected = " or ".join(f"{t} ({_TAG_NAMES[t].split(',')[0]})" for t in wanted)
    outer = _decode(bytes(token), "the token")
    if not isinstance(outer, Tag):
        raise TokenError("bad_tag", f"the token is an untagged {type(outer).__name__}; expected CBOR tag {expected}")
    if outer.number not in wanted:
        what = f" ({_TAG_NAMES[outer.number]})" if outer.number in _TAG_NAMES else ""
        raise TokenError("bad_tag", f"CBOR tag {outer.number}{what}; expected {expected}")
    name = _TAG_NAMES[outer.number].split(",")[0]
    body = outer.value
    if not isinstance(body, list) or len(body) != 4:
        raise TokenError("malformed", f"{name} must be an array of 4 items "
                                      "[protected, unprotected, payload, signature/tag]")
    for part, value, kind in (("protected header", body[0], bytes), ("unprotected header", body[1], dict),
                              ("payload", body[2], bytes), ("signature/tag", body[3], bytes)):
        if not isinstance(value, kind):
            raise TokenError("malformed", f"{name} {part} must be a {'bstr' if kind is bytes else 'map'}, "
                                          f"got {type(value).__name__}")
    return outer.number, body


def _check_alg(protected: dict, alg: int, name: str) -> None:
    """The protected header must name ``alg``."""
    got = protected.get(COSE_HEADER_ALG)
    if got != alg:
        raise TokenError("wrong_alg", f"protected header alg is {got!r}; expected {alg} ({name})")


def _check_signature(key: PublicKey, protected_raw: bytes, payload: bytes, signature: bytes) -> None:
    """ES256: ``signature`` (r || s) over the Sig_structure under the IAK public key."""
    try:
        public = iak_public_key(key)
    except ValueError as exc:
        raise TokenError("wrong_key", f"a COSE_Sign1 token is checked with the IAK public key: {exc}") from None
    if len(signature) != _ES256_SIZE:
        raise TokenError("bad_signature", f"an ES256 signature is {_ES256_SIZE} bytes (r || s), got {len(signature)}")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public.verify(der, sig_structure(protected_raw, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise TokenError("bad_signature", "the signature does not verify over the Sig_structure "
                                          "with this IAK public key") from None


def _check_mac(key: bytes, protected_raw: bytes, payload: bytes, tag: bytes) -> None:
    """HMAC-SHA256 tag over the MAC_structure."""
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise TokenError("wrong_key", "a COSE_Mac0 token is checked with the symmetric IAK (non-empty bytes), "
                                      f"got {type(key).__name__}")
    if not hmac.compare_digest(_hmac256(key, mac_structure(protected_raw, payload)), tag):
        raise TokenError("mac_mismatch", f"the {len(tag)}-byte tag is not the HMAC-SHA256 of the "
                                         "MAC_structure under this key")


def verify_token(token: bytes, key: Union[bytes, PublicKey], expect: Optional[str] = None) -> Claims:
    """Check an IAT and return its claims (TokenError if anything is wrong).

    A COSE_Sign1 token is checked with the IAK public key (65 bytes 0x04 || X || Y, e.g. from
    ``m.psa.attest_public_key()``, or an ``EllipticCurvePublicKey``); a COSE_Mac0 token with the
    symmetric key (bytes). ``expect`` ("asymmetric" or "symmetric") refuses the other kind."""
    if isinstance(key, (bytes, bytearray)) and not key:
        raise ValueError("key must be non-empty bytes (the symmetric IAK or the IAK public key)")
    number, (protected_raw, unprotected, payload, auth) = _unwrap(token, expect)
    protected = _decode(protected_raw, "the protected header") if protected_raw else {}
    if not isinstance(protected, dict):
        raise TokenError("malformed", f"the protected header must encode a map, got {type(protected).__name__}")
    if number == COSE_SIGN1_TAG:
        _check_alg(protected, COSE_ALG_ES256, "ES256")
        _check_signature(key, protected_raw, payload, auth)
    else:
        _check_alg(protected, COSE_ALG_HMAC256_256, "HMAC 256/256")
        _check_mac(key, protected_raw, payload, auth)
    claims = _decode(payload, "the payload")
    if not isinstance(claims, dict):
        raise TokenError("malformed", f"the payload must be a map of claims, got {type(claims).__name__}")
    kind = "asymmetric" if number == COSE_SIGN1_TAG else "symmetric"
    return Claims(claims, protected, unprotected, kind)


def build_token(claims: Mapping[Any, Any], key: Union[bytes, ec.EllipticCurvePrivateKey],
                unprotected: Optional[Mapping[Any, Any]] = None) -> bytes:
    """Encode and authenticate an IAT for the given claims, as the SE's attestation service would:
    COSE_Sign1 (ES256) with a P-256 private key, COSE_Mac0 (HMAC-SHA256) with a bytes key."""
    payload = dumps(dict(claims))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        protected = dumps({COSE_HEADER_ALG: COSE_ALG_ES256})
        r, s = decode_dss_signature(key.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA256())))
        auth, tag = r.to_bytes(32, "big") + s.to_bytes(32, "big"), COSE_SIGN1_TAG
    else:
        protected = dumps({COSE_HEADER_ALG: COSE_ALG_HMAC256_256})
        auth, tag = _hmac256(key, mac_structure(protected, payload)), COSE_MAC0_TAG
    return dumps(Tag(tag, [protected, dict(unprotected or {}), payload, auth]))
