"""Shared pieces of the crypto family tests: the SE-only machine, key import shortcuts, status capture."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from psaemu.proxy import crypto_values as cv
from psaemu.proxy.client import PsaError, boot_se_only
from psaemu.proxy.crypto_client import CryptoClient, KeyAttributes
from psaemu.proxy.status import PsaStatus

S = PsaStatus

#: hashlib name -> PSA hash algorithm (the hashes the SE must support)
HASHES = {"sha1": cv.PSA_ALG_SHA_1, "sha224": cv.PSA_ALG_SHA_224, "sha256": cv.PSA_ALG_SHA_256,
          "sha384": cv.PSA_ALG_SHA_384, "sha512": cv.PSA_ALG_SHA_512}


@pytest.fixture
def crypto() -> CryptoClient:
    """The scripted client's crypto helpers on a machine with only the SE firmware."""
    m, _ = boot_se_only()
    return m.psa.crypto


def status_of(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> PsaStatus | int:
    """The PSA status of a helper call: PSA_SUCCESS, or the status of the PsaError it raised."""
    try:
        fn(*args, **kwargs)
    except PsaError as e:
        return e.status
    return S.PSA_SUCCESS


def attrs(type_: int, bits: int = 0, usage: int = 0, alg: int = 0, lifetime: int = 0, id_: int = 0) -> KeyAttributes:
    return KeyAttributes(lifetime=lifetime, id=id_, alg=alg, usage=usage, bits=bits, type=type_)


def import_key(c: CryptoClient, type_: int, data: bytes, usage: int, alg: int, bits: int = 0) -> int:
    return c.import_key(attrs(type_, bits, usage, alg), data)
