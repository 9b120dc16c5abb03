"""Verify TF-M's symmetric Initial Attestation token (COSE_Mac0, HMAC-SHA256) and read its claims.

Token shape (tfm-client-abi §7, RFC 8152 COSE_Mac0): CBOR tag 17 around the array
``[protected: bstr, unprotected: map, payload: bstr, tag: bstr]``; the protected header is the
encoded map ``{1: 5}`` (alg HMAC 256/256); the tag is HMAC-SHA256 over the canonical encoding of
``["MAC0", protected, external_aad = b"", payload]``; the payload is a map of EAT claims with
labels in the Arm range (-75000 downwards).
"""
from __future__ import annotations

import hashlib
import hmac
from enum import IntEnum
from typing import Any, Mapping, Optional

from .cbor import CBORError, Tag, dumps, loads

__all__ = ["TokenError", "Claims", "ClaimLabel", "SwComponentLabel", "verify_token", "build_token",
           "mac_structure", "COSE_MAC0_TAG", "COSE_SIGN1_TAG", "COSE_HEADER_ALG", "COSE_HEADER_KID",
           "COSE_ALG_HMAC256_256", "COSE_ALG_ES256", "EAT_CBOR_ARM_RANGE_BASE",
           "TFM_SLC_SECURED", "TFM_SLC_MAX_VALUE"]

COSE_MAC0_TAG = 17
COSE_SIGN1_TAG = 18
COSE_HEADER_ALG = 1
COSE_HEADER_KID = 4
COSE_ALG_HMAC256_256 = 5
COSE_ALG_ES256 = -7
EAT_CBOR_ARM_RANGE_BASE = -75000
TFM_SLC_SECURED = 0x3000       # template HAL security lifecycle
TFM_SLC_MAX_VALUE = 0x60FF


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
    """The token is not a valid symmetric IAT; ``reason`` is one of the REASONS."""

    REASONS = {"malformed": "malformed token", "bad_tag": "bad tag", "wrong_alg": "wrong alg",
               "mac_mismatch": "MAC mismatch"}

    def __init__(self, reason: str, message: str):
        super().__init__(f"{self.REASONS[reason]}: {message}")
        self.reason = reason


class Claims(dict):
    """The token payload: claims keyed by label, with named accessors (None when absent)."""

    def __init__(self, claims: Mapping[Any, Any], protected: Optional[Mapping[Any, Any]] = None,
                 unprotected: Optional[Mapping[Any, Any]] = None):
        super().__init__(claims)
        self.protected: dict = dict(protected or {})
        self.unprotected: dict = dict(unprotected or {})

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


def _hmac256(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data``."""
    return hmac.new(bytes(key), data, hashlib.sha256).digest()


def _decode(data: bytes, what: str) -> Any:
    """CBOR-decode a part of the token, mapping decoder errors to TokenError."""
    try:
        return loads(data)
    except CBORError as exc:
        raise TokenError("malformed", f"{what} is not valid CBOR: {exc}") from None


def verify_token(token: bytes, key: bytes) -> Claims:
    """Check a symmetric IAT with the HMAC key and return its claims (TokenError if anything is wrong)."""
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise ValueError("key must be non-empty bytes (the 32-byte symmetric IAK)")
    outer = _decode(bytes(token), "the token")
    if not isinstance(outer, Tag):
        raise TokenError("bad_tag", f"the token is an untagged {type(outer).__name__}; "
                                    f"expected CBOR tag {COSE_MAC0_TAG} (COSE_Mac0)")
    if outer.number != COSE_MAC0_TAG:
        what = " (COSE_Sign1, an asymmetric token)" if outer.number == COSE_SIGN1_TAG else ""
        raise TokenError("bad_tag", f"CBOR tag {outer.number}{what}; expected {COSE_MAC0_TAG} (COSE_Mac0)")
    body = outer.value
    if not isinstance(body, list) or len(body) != 4:
        raise TokenError("malformed", "COSE_Mac0 must be an array of 4 items "
                                      "[protected, unprotected, payload, tag]")
    protected_raw, unprotected, payload, tag = body
    for name, value, kind in (("protected header", protected_raw, bytes), ("unprotected header", unprotected, dict),
                              ("payload", payload, bytes), ("tag", tag, bytes)):
        if not isinstance(value, kind):
            raise TokenError("malformed", f"COSE_Mac0 {name} must be a {'bstr' if kind is bytes else 'map'}, "
                                          f"got {type(value).__name__}")
    protected = _decode(protected_raw, "the protected header") if protected_raw else {}
    if not isinstance(protected, dict):
        raise TokenError("malformed", f"the protected header must encode a map, got {type(protected).__name__}")
    alg = protected.get(COSE_HEADER_ALG)
    if alg != COSE_ALG_HMAC256_256:
        raise TokenError("wrong_alg", f"protected header alg is {alg!r}; expected {COSE_ALG_HMAC256_256} "
                                      "(HMAC 256/256)")
    expected = _hmac256(key, mac_structure(protected_raw, payload))
    if not hmac.compare_digest(expected, tag):
        raise TokenError("mac_mismatch", f"the {len(tag)}-byte tag is not the HMAC-SHA256 of the "
                                         "MAC_structure under this key")
    claims = _decode(payload, "the payload")
    if not isinstance(claims, dict):
        raise TokenError("malformed", f"the payload must be a map of claims, got {type(claims).__name__}")
    return Claims(claims, protected, unprotected)


def build_token(claims: Mapping[Any, Any], key: bytes, unprotected: Optional[Mapping[Any, Any]] = None) -> bytes:
    """Encode and MAC a symmetric IAT (as the SE's attestation service would) for the given claims."""
    protected = dumps({COSE_HEADER_ALG: COSE_ALG_HMAC256_256})
    payload = dumps(dict(claims))
    tag = _hmac256(key, mac_structure(protected, payload))
    return dumps(Tag(COSE_MAC0_TAG, [protected, dict(unprotected or {}), payload, tag]))
