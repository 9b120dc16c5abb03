"""What a TF-M release's Host client sends: psa_call parameter encoding, stateless handles, crypto
function ids, the crypto request pack and the key-attribute layout — one :class:`ReleaseAbi` per release profile.

The Host SPM decodes ``psa_call``'s r1 through it (a v1.3 pointer to the 12-byte control block, or
the v1.4+ packed value with the type sign-extended from bits 31..16) and recognises the release's
stateless handles. The crypto id and key-attribute tables state in Python the mapping the SE
firmware applies in C when its configuration block names a later release
(images/se/crypto_service.c, crypto_keys.c). Facts and TF-M file:line per release: docs/profiles.md.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Callable, Mapping

from psaemu.platform.errors import PsaEmuError
from psaemu.platform.psa_values import PSA_MAX_IOVEC
from psaemu.proxy.services import (
    TFM_ATTESTATION_SERVICE_HANDLE,
    TFM_ATTESTATION_SERVICE_SID,
    TFM_CRYPTO_HANDLE,
    TFM_CRYPTO_SID,
    TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_HANDLE,
    TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_SID,
    TFM_PROTECTED_STORAGE_SERVICE_HANDLE,
    TFM_PROTECTED_STORAGE_SERVICE_SID,
    AttestFunc,
    CryptoSfn,
    ItsFunc,
    PsFunc,
    is_stateless_handle,
)
from psaemu.proxy.structs import iovec_counts_ok

INT16_MIN, INT16_MAX = -0x8000, 0x7FFF


class CallParamError(PsaEmuError):
    """A psa_call parameter word or control block the release's SPM rejects (PROGRAMMER_ERROR)."""


def pack_call_params(ptype: int, in_len: int, out_len: int) -> int:
    """``PARAM_PACK``: type in bits 31..16, in_len in 15..8, out_len in 7..0 (v1.4+ r1)."""
    if not INT16_MIN <= ptype <= INT16_MAX or not 0 <= in_len <= 0xFF or not 0 <= out_len <= 0xFF:
        raise CallParamError(f"psa_call type {ptype}, in_len {in_len}, out_len {out_len} do not fit the packed "
                             f"parameter word (type {INT16_MIN}..{INT16_MAX}, lengths 0..255)")
    return (ptype & 0xFFFF) << 16 | in_len << 8 | out_len


def unpack_call_params(word: int) -> tuple[int, int, int]:
    """(type sign-extended from 16 bits, in_len, out_len) of a packed parameter word."""
    ptype = (word >> 16) & 0xFFFF
    return (ptype - 0x10000 if ptype & 0x8000 else ptype), (word >> 8) & 0xFF, word & 0xFF


@dataclass(frozen=True)
class StructLayout:
    """A C struct of a release's client ABI: its ``struct`` format and the field names in order."""

    fmt: str
    fields: tuple[str, ...]

    @property
    def size(self) -> int:
        """The struct's size in bytes (padding included)."""
        return struct.calcsize(self.fmt)

    def unpack(self, data: bytes) -> dict[str, int]:
        """Field name -> value of the ``size`` bytes ``data``."""
        return dict(zip(self.fields, struct.unpack(self.fmt, data)))

    def pack(self, values: Mapping[str, int]) -> bytes:
        """The struct's bytes from ``values`` (every field named)."""
        return struct.pack(self.fmt, *(values[f] for f in self.fields))


class KeyAttrLayout(StructLayout):
    """``struct psa_client_key_attributes_s``: struct format and the field order it packs."""


#: v1.3: lifetime, id, alg, usage, bits (size_t), type (u16 + 2 pad) — 24 bytes.
ATTRS_V13 = KeyAttrLayout("<IIIIIH2x", ("lifetime", "id", "alg", "usage", "bits", "type"))
#: v1.4+: type u16, bits u16, lifetime, id, usage, alg — 20 bytes.
ATTRS_V14 = KeyAttrLayout("<HHIIII", ("type", "bits", "lifetime", "id", "usage", "alg"))

class CryptoPackError(PsaEmuError):
    """A crypto request pack field the release's ``struct tfm_crypto_pack_iovec`` does not have."""


class CryptoPackLayout(StructLayout):
    """``struct tfm_crypto_pack_iovec``, in_vec[0] of every crypto request: struct format and field
    order; ``fields[0]`` is the function id (``sfn_id``, v1.6 ``srv_id``)."""

    def request(self, function_id: int, nonce: bytes = b"", **values: int) -> bytes:
        """The pack with the function id, ``nonce`` in ``aead_in`` and the named integer fields; the
        others are 0. CryptoPackError for a field this release's pack does not have."""
        unknown = sorted(set(values) - (set(self.fields[1:]) - {"nonce", "nonce_length"}))
        if unknown:
            raise CryptoPackError(f"crypto pack field(s) {', '.join(unknown)} cannot be set in this release's "
                                  f"struct tfm_crypto_pack_iovec (fields: {', '.join(self.fields)})")
        if len(nonce) > 16:
            raise CryptoPackError(f"a {len(nonce)}-byte nonce does not fit aead_in.nonce (16 bytes)")
        ints = {**values, "nonce_length": len(nonce), self.fields[0]: function_id}
        return self.pack({**{f: ints.get(f, 0) & 0xFFFFFFFF for f in self.fields}, "nonce": bytes(nonce)})


#: v1.3..v1.5: sfn_id, step (u16 + 2 pad), key_id, alg, op_handle, capacity, aead_in {nonce[16],
#: nonce_length} — 44 bytes (v1.3 interface/include/tfm_crypto_defs.h:36-52).
PACK_V13 = CryptoPackLayout("<IH2xIIII16sI", ("sfn_id", "step", "key_id", "alg", "op_handle", "capacity",
                                              "nonce", "nonce_length"))
#: v1.6: sfn_id renamed srv_id, ad_length and plaintext_length (multipart AEAD) before aead_in — 52 bytes
#: (v1.6 tfm_crypto_defs.h:36-54).
PACK_V16 = CryptoPackLayout("<IH2xIIIIII16sI", ("srv_id", "step", "key_id", "alg", "op_handle", "capacity",
                                                "ad_length", "plaintext_length", "nonce", "nonce_length"))

#: v1.3 ``sfn_id`` numbering (tfm_crypto_defs.h): the order of the names is the value.
_V13_SFN = [name.removeprefix("TFM_CRYPTO_") for name in CryptoSfn.__members__]   # in value order
_AFTER_AEAD = _V13_SFN.index("SIGN_HASH")
#: v1.4: SIGN_MESSAGE / VERIFY_MESSAGE inserted before SIGN_HASH (everything after moves up by 2).
_V14_SFN = _V13_SFN[:_AFTER_AEAD] + ["SIGN_MESSAGE", "VERIFY_MESSAGE"] + _V13_SFN[_AFTER_AEAD:]
#: v1.5/v1.6: the two key-domain-parameter ids are gone.
_V15_SFN = [n for n in _V14_SFN if "DOMAIN_PARAMETERS" not in n]


def _sfn_table(names: list[str]) -> dict[int, str]:
    return dict(enumerate(names))


def _function_types(service_sid: int, functions: type[IntEnum]) -> dict[int, int]:
    """v1.3 per-function SID -> the v1.5 psa_call type of the same function: the n-th function's SID
    is the service's first SID + n, its type the first type (1001) + n."""
    first = min(functions)
    return {service_sid + (f - first): int(f) for f in functions}


#: Stateless service SID -> {v1.3 SID a client calls -> psa_call type on the stateless handle}.
#: Crypto was one SID already and is called with PSA_IPC_CALL (0); the attestation public-key SID
#: 0x22 has no v1.5 function and stays connection-based.
_STATELESS_FUNCTIONS: dict[int, dict[int, int]] = {
    TFM_CRYPTO_SID: {TFM_CRYPTO_SID: 0},
    TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_SID: _function_types(TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_SID, ItsFunc),
    TFM_PROTECTED_STORAGE_SERVICE_SID: _function_types(TFM_PROTECTED_STORAGE_SERVICE_SID, PsFunc),
    TFM_ATTESTATION_SERVICE_SID: _function_types(TFM_ATTESTATION_SERVICE_SID, AttestFunc),
}


@dataclass(frozen=True)
class ReleaseAbi:
    """The Host client ABI of one TF-M release."""

    release: str
    packed_params: bool                       # r1 of psa_call: packed word (v1.4+) or ctrl pointer (v1.3)
    stateless: Mapping[int, int] = field(default_factory=dict)   # handle -> SID
    sfn_names: Mapping[int, str] = field(default_factory=dict)   # the client's sfn_id -> function
    key_attrs: KeyAttrLayout = ATTRS_V13
    forwards_call_types: bool = False         # the proxy forwards a positive psa_call type (v1.5+)
    #: the client sends one-shot MAC/cipher and has message signing (v1.4+); v1.3's client answers
    #: NOT_SUPPORTED for the one-shots without a call and has no psa_sign_message at all
    client_oneshot: bool = False
    crypto_pack: CryptoPackLayout = PACK_V13  # in_vec[0] of a crypto request (52 bytes from v1.6)

    @property
    def se_release(self) -> int:
        """The release number the SE firmware's configuration block takes (13 for tfm-1.3 ...)."""
        major, minor = self.release.removeprefix("tfm-").split(".")
        return int(major) * 10 + int(minor)

    def stateless_sid(self, handle: int) -> int | None:
        """The SID a stateless ``handle`` names in this release; None for any other value."""
        return self.stateless.get(handle & 0xFFFFFFFF)

    def connect_refusal(self, sid: int) -> str | None:
        """Why this release's SPM refuses ``psa_connect(sid)``: the service is stateless (-129)."""
        if sid in self.stateless.values():
            handle = next(h for h, s in self.stateless.items() if s == sid)
            return (f"SID {sid:#x} is a stateless service in {self.release}: call it on handle {handle:#010x} "
                    f"without psa_connect (an image built for an earlier TF-M release connects to it: run it "
                    f"under that release's --profile)")
        return None

    def route(self, sid: int) -> tuple[int, int] | None:
        """How this release's client library calls the function TF-M v1.3 serves on SID ``sid``:
        (stateless handle, psa_call type), or None for connect -> call -> close on ``sid``."""
        for handle, service_sid in self.stateless.items():
            ptype = _STATELESS_FUNCTIONS.get(service_sid, {}).get(sid)
            if ptype is not None:
                return handle, ptype
        return None

    def client_params(self, ptype: int, in_len: int, out_len: int) -> int | bytes:
        """What the release's client passes as psa_call's r1: the packed word (v1.4+; CallParamError
        when the values do not fit, and the client then makes no call) or, v1.3, the 12-byte control
        block to place in the caller's memory (r1 is its address)."""
        if self.packed_params:
            return pack_call_params(ptype, in_len, out_len)
        return struct.pack("<iII", ptype, in_len & 0xFFFFFFFF, out_len & 0xFFFFFFFF)

    def crypto_sfn_from_v13(self, sfn: int) -> int | None:
        """This release's ``sfn_id`` of the v1.3 function ``sfn``; None when the release dropped it
        (the key-domain-parameter ids from v1.5 on). An id past the v1.3 table passes unchanged."""
        if not 0 <= sfn < len(_V13_SFN):
            return sfn
        return self.crypto_sfn(_V13_SFN[sfn])

    def handle_hint(self, handle: int) -> str:
        """For an error message: what a handle that is no connection of this release may be."""
        handle &= 0xFFFFFFFF
        if is_stateless_handle(handle) and handle & ~0x4000FFFF == 0:
            return (f" ({handle:#010x} is a stateless handle, which {self.release} does not have: the image was "
                    f"built for a later TF-M release; run it under that release's --profile)")
        return ""

    def call_params(self, r1: int, read_ctrl: Callable[[int], bytes | None]) -> tuple[int, int, int]:
        """(type, in_len, out_len) of a psa_call; ``read_ctrl(addr)`` gives the caller's 12-byte control
        block or None when the caller may not access it. CallParamError names what the SPM rejects."""
        def hint() -> str:
            """Only for an error (it reads the caller's memory): a packed word that is an address the
            caller may read suggests an image built for v1.3."""
            if self.packed_params and read_ctrl(r1) is not None:
                return (f" (r1 {r1:#010x} is an address in the caller's memory, as the TF-M v1.3 control-block "
                        f"pointer is; was the image built for v1.3? run it under --profile tfm-1.3)")
            return ""

        if self.packed_params:
            ptype, in_len, out_len = unpack_call_params(r1)
        else:
            raw = read_ctrl(r1)
            if raw is None:
                t, i, o = unpack_call_params(r1)
                later = ""
                if t >= 0 and iovec_counts_ok(i, o):
                    later = (f" (r1 reads as a v1.4+ packed parameter word: type {t}, in_len {i}, out_len {o}; "
                             f"was the image built for a later TF-M release? run it under that release's --profile)")
                raise CallParamError(f"psa_call control block at {r1:#010x} is not accessible to the caller{later}")
            ptype, in_len, out_len = struct.unpack("<iII", raw)
        if ptype < 0:
            how = f" (packed word {r1:#010x}: bits 31..16 sign-extended, {self.release})" if self.packed_params else ""
            raise CallParamError(f"psa_call type {ptype} < 0{how}{hint()}")
        if not iovec_counts_ok(in_len, out_len):
            raise CallParamError(f"psa_call in_len {in_len} + out_len {out_len} exceeds {PSA_MAX_IOVEC}{hint()}")
        return ptype, in_len, out_len

    def crypto_sfn(self, name: str) -> int | None:
        """This release's ``sfn_id`` of the function ``name`` (``"SIGN_MESSAGE"``, ``"HASH_SETUP"`` ...);
        None when the release has no such id."""
        return next((i for i, n in self.sfn_names.items() if n == name), None)

    def crypto_sfn_to_v13(self, sfn: int) -> int | None:
        """The v1.3 ``sfn_id`` (what the SE firmware serves) of this release's ``sfn``; None when v1.3
        has no such function (SIGN_MESSAGE/VERIFY_MESSAGE) or the id is unknown."""
        name = self.sfn_names.get(sfn)
        return _V13_SFN.index(name) if name in _V13_SFN else None

    def key_attrs_to_v13(self, data: bytes) -> bytes:
        """The client's key attributes in the v1.3 layout; bytes of another size pass unchanged (the
        service rejects a wrong length itself)."""
        if self.key_attrs is ATTRS_V13 or len(data) != self.key_attrs.size:
            return data
        return ATTRS_V13.pack(self.key_attrs.unpack(data))


#: Stateless handles per release (manifest ``stateless_handle``; docs/profiles.md "Stateless handles").
_V14_STATELESS = {TFM_CRYPTO_HANDLE: TFM_CRYPTO_SID}
_V15_STATELESS = {**_V14_STATELESS, TFM_PROTECTED_STORAGE_SERVICE_HANDLE: TFM_PROTECTED_STORAGE_SERVICE_SID,
                  TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_HANDLE: TFM_INTERNAL_TRUSTED_STORAGE_SERVICE_SID,
                  TFM_ATTESTATION_SERVICE_HANDLE: TFM_ATTESTATION_SERVICE_SID}

#: The release a profile-less caller (a scripted client) speaks.
DEFAULT_RELEASE = "tfm-1.3"
RELEASE_ABIS: dict[str, ReleaseAbi] = {
    "tfm-1.3": ReleaseAbi("tfm-1.3", False, {}, _sfn_table(_V13_SFN), ATTRS_V13),
    "tfm-1.4": ReleaseAbi("tfm-1.4", True, _V14_STATELESS, _sfn_table(_V14_SFN), ATTRS_V14, client_oneshot=True),
    "tfm-1.5": ReleaseAbi("tfm-1.5", True, _V15_STATELESS, _sfn_table(_V15_SFN), ATTRS_V14, True, client_oneshot=True),
    "tfm-1.6": ReleaseAbi("tfm-1.6", True, _V15_STATELESS, _sfn_table(_V15_SFN), ATTRS_V14, True, client_oneshot=True,
                          crypto_pack=PACK_V16),
}
