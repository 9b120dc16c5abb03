"""Codecs of the structs the proxy, the mailbox and the PSA client ABI put in memory.

Layouts (TF-M v1.3.0): ``psa_proxy_shared_mem_mngr.c:30`` (``shared_mem_t``),
``interface/include/multi_core/tfm_mailbox.h:50-133`` (mailbox), ``psa/client.h:67,75`` and
``psa/service.h:58`` (``psa_invec``, ``psa_outvec``, ``psa_msg_t``), ``interface/include/tfm_api.h:65``
(``tfm_control_parameter_t``), ``psa/storage_common.h:34`` (``psa_storage_info_t``), crypto as in
docs/crypto-wire.md. All are 32-bit Arm layouts, little-endian; the
field machinery is :mod:`psaemu.proxy.cstruct`.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Optional, TypeVar

from .cstruct import I32, PTR, SIZE_T, U8, U16, U32, Array, CStruct, Nested, Raw, cfield, cstruct, union_of
from .mailbox_abi import NUM_MAILBOX_QUEUE_SLOT, NUM_MAILBOX_QUEUE_SLOT_MAX, MailboxCallType
from .status import PSA_MAX_IOVEC

__all__ = [
    "PsaInvec", "PsaOutvec", "TfmControlParameter", "PsaMsg",
    "VersionParams", "ConnectParams", "CallParams", "CloseParams", "ParamsVariant", "PsaClientParams",
    "PSA_CLIENT_PARAMS_SIZE", "MailboxMsg", "MailboxReply", "NsMailboxSlot",
    "NsMailboxQueue", "ns_mailbox_queue_type", "SharedMemHeader", "shared_mem_type", "header_size",
    "shared_buffer_size", "PSA_PROXY_SHARED_MEMORY_BASE", "PSA_PROXY_SHARED_MEMORY_SIZE",
    "PSA_PROXY_SHARED_MEMORY_BASE_SE", "SHARED_BUFFER_SIZE",
    "CryptoPackIovec", "KeyAttributesV13", "KeyAttributesV15", "PsaStorageInfo",
]


# --- PSA client ABI -----------------------------------------------------------------------
@cstruct
@dataclass
class PsaInvec(CStruct):
    """``psa_invec``: {const void *base; size_t len} (8 B)."""

    base: int = cfield(PTR)
    len: int = cfield(SIZE_T)


@cstruct
@dataclass
class PsaOutvec(CStruct):
    """``psa_outvec``: {void *base; size_t len} (8 B)."""

    base: int = cfield(PTR)
    len: int = cfield(SIZE_T)


def iovec_pairs(raw: bytes, count: int) -> list[tuple[int, int]]:
    """``(base, len)`` of each of ``count`` psa_invec/psa_outvec in the array bytes ``raw``."""
    words = struct.unpack_from(f"<{2 * count}I", raw)
    return [(words[2 * i], words[2 * i + 1]) for i in range(count)]


def iovec_counts_ok(in_len: int, out_len: int) -> bool:
    """The SPM's rule for psa_call: at most PSA_MAX_IOVEC vectors each way and in all."""
    return in_len <= PSA_MAX_IOVEC and out_len <= PSA_MAX_IOVEC and in_len + out_len <= PSA_MAX_IOVEC


def inputs_overlap(vecs: list[tuple[int, int]]) -> bool:
    """The SPM's rule for psa_call input vectors: two non-empty ones may not share a byte."""
    for i, (a, la) in enumerate(vecs):
        for b, lb in vecs[i + 1:]:
            if la and lb and a < b + lb and b < a + la:
                return True
    return False


@cstruct
@dataclass
class TfmControlParameter(CStruct):
    """v1.3 ``struct tfm_control_parameter_t`` that r1 of ``psa_call`` points to (12 B)."""

    type: int = cfield(I32)
    in_len: int = cfield(SIZE_T)
    out_len: int = cfield(SIZE_T)


@cstruct
@dataclass
class PsaMsg(CStruct):
    """v1.3 ``psa_msg_t`` filled by ``psa_get`` (48 B)."""

    type: int = cfield(I32)
    handle: int = cfield(I32)
    client_id: int = cfield(I32)
    rhandle: int = cfield(PTR)
    in_size: list[int] = cfield(Array(SIZE_T, PSA_MAX_IOVEC))
    out_size: list[int] = cfield(Array(SIZE_T, PSA_MAX_IOVEC))


# --- psa_client_params_t (a union) --------------------------------------------------------
P = TypeVar("P", bound="ParamsVariant")


class ParamsVariant(CStruct):
    """A member of the ``psa_client_params_t`` union, read from / written to its 24 raw bytes."""

    @classmethod
    def from_bytes(cls: type[P], raw: bytes) -> P:
        """View the 24 union bytes as this member (bytes past the member are ignored)."""
        if len(raw) != PSA_CLIENT_PARAMS_SIZE:
            raise ValueError(f"psa_client_params_t is {PSA_CLIENT_PARAMS_SIZE} bytes, got {len(raw)}")
        return cls.unpack(raw)

    def to_bytes(self, fill: bytes = bytes(24)) -> bytes:
        """The 24 union bytes: this member over ``fill`` (the bytes the member does not cover)."""
        if len(fill) != PSA_CLIENT_PARAMS_SIZE:
            raise ValueError(f"fill must be {PSA_CLIENT_PARAMS_SIZE} bytes, got {len(fill)}")
        return self.pack() + bytes(fill[self.SIZE:])


@cstruct
@dataclass
class VersionParams(ParamsVariant):
    """``psa_version_params``: {uint32_t sid}."""

    sid: int = cfield(U32)


@cstruct
@dataclass
class ConnectParams(ParamsVariant):
    """``psa_connect_params``: {uint32_t sid; uint32_t version}."""

    sid: int = cfield(U32)
    version: int = cfield(U32)


@cstruct
@dataclass
class CallParams(ParamsVariant):
    """``psa_call_params``: handle, type, in_vec*, in_len, out_vec*, out_len."""

    handle: int = cfield(I32)
    type: int = cfield(I32)
    in_vec: int = cfield(PTR)
    in_len: int = cfield(SIZE_T)
    out_vec: int = cfield(PTR)
    out_len: int = cfield(SIZE_T)


@cstruct
@dataclass
class CloseParams(ParamsVariant):
    """``psa_close_params``: {psa_handle_t handle}."""

    handle: int = cfield(I32)


_PARAMS_UNION = union_of(VersionParams, ConnectParams, CallParams, CloseParams)
PSA_CLIENT_PARAMS_SIZE = _PARAMS_UNION.size   # 24


@cstruct
@dataclass
class PsaClientParams(CStruct):
    """``struct psa_client_params_t``: the 24 raw bytes of the union, with typed member views."""

    raw: bytes = cfield(_PARAMS_UNION)

    VARIANTS: ClassVar[dict[str, type[ParamsVariant]]] = {
        "psa_version_params": VersionParams, "psa_connect_params": ConnectParams,
        "psa_call_params": CallParams, "psa_close_params": CloseParams}

    @property
    def version(self) -> VersionParams:
        """The bytes as ``psa_version_params``."""
        return VersionParams.unpack(self.raw)

    @property
    def connect(self) -> ConnectParams:
        """The bytes as ``psa_connect_params``."""
        return ConnectParams.unpack(self.raw)

    @property
    def call(self) -> CallParams:
        """The bytes as ``psa_call_params``."""
        return CallParams.unpack(self.raw)

    @property
    def close(self) -> CloseParams:
        """The bytes as ``psa_close_params``."""
        return CloseParams.unpack(self.raw)

    @classmethod
    def of(cls, member: ParamsVariant, fill: bytes = bytes(24)) -> "PsaClientParams":
        """The union holding ``member``; the uncovered bytes come from ``fill``."""
        return cls(member.to_bytes(fill))


# Union members all start at offset 0.
PsaClientParams.OFFSETS = {**PsaClientParams.OFFSETS, **{name: 0 for name in PsaClientParams.VARIANTS}}

_VIEW_BY_CALL_TYPE: dict[int, type[ParamsVariant]] = {
    MailboxCallType.MAILBOX_PSA_VERSION: VersionParams,
    MailboxCallType.MAILBOX_PSA_CONNECT: ConnectParams,
    MailboxCallType.MAILBOX_PSA_CALL: CallParams,
    MailboxCallType.MAILBOX_PSA_CLOSE: CloseParams,
}


# --- Mailbox ------------------------------------------------------------------------------
@cstruct
@dataclass
class MailboxMsg(CStruct):
    """``struct mailbox_msg_t`` (32 B): call_type, the raw 24-byte params union, client_id."""

    call_type: int = cfield(U32)
    params: bytes = cfield(_PARAMS_UNION)
    client_id: int = cfield(I32)

    def params_view(self) -> Optional[ParamsVariant]:
        """The params member that ``call_type`` selects (None for FRAMEWORK_VERSION or unknown)."""
        view = _VIEW_BY_CALL_TYPE.get(self.call_type)
        return view.from_bytes(self.params) if view else None


@cstruct
@dataclass
class MailboxReply(CStruct):
    """``struct mailbox_reply_t`` (16 B): return_val (written by the SE), owner, reply, is_woken."""

    return_val: int = cfield(I32)
    owner: int = cfield(PTR)
    reply: int = cfield(PTR)
    is_woken: int = cfield(U8)     # bool; 3 bytes of tail padding follow


@cstruct
@dataclass
class NsMailboxSlot(CStruct):
    """``struct ns_mailbox_slot_t`` (48 B): a message and its reply."""

    msg: MailboxMsg = cfield(Nested(MailboxMsg))
    reply: MailboxReply = cfield(Nested(MailboxReply))


@cstruct
@dataclass
class NsMailboxQueue(CStruct):
    """``struct ns_mailbox_queue_t`` with ``NUM_MAILBOX_QUEUE_SLOT`` slots (12 + 48·N B)."""

    N_SLOTS: ClassVar[int] = NUM_MAILBOX_QUEUE_SLOT

    empty_slots: int = cfield(U32)
    pend_slots: int = cfield(U32)
    replied_slots: int = cfield(U32)
    queue: list[NsMailboxSlot] = cfield(Array(Nested(NsMailboxSlot), NUM_MAILBOX_QUEUE_SLOT))


def _check_slots(n_slots: int) -> None:
    """Reject slot counts that TF-M's config rejects with #error."""
    if not 1 <= n_slots <= NUM_MAILBOX_QUEUE_SLOT_MAX:
        raise ValueError(f"NUM_MAILBOX_QUEUE_SLOT must be 1..{NUM_MAILBOX_QUEUE_SLOT_MAX}, got {n_slots}")


@lru_cache(maxsize=None)
def ns_mailbox_queue_type(n_slots: int = NUM_MAILBOX_QUEUE_SLOT) -> type[NsMailboxQueue]:
    """The ``ns_mailbox_queue_t`` class for ``n_slots`` slots."""
    _check_slots(n_slots)
    if n_slots == NsMailboxQueue.N_SLOTS:
        return NsMailboxQueue
    sub = type(f"NsMailboxQueue{n_slots}", (NsMailboxQueue,), {
        "__module__": __name__, "__annotations__": {"queue": list},
        "__doc__": f"``struct ns_mailbox_queue_t`` with {n_slots} slots.",
        "N_SLOTS": n_slots, "queue": cfield(Array(Nested(NsMailboxSlot), n_slots))})
    return cstruct(dataclass(sub))


@cstruct
@dataclass
class SharedMemHeader(CStruct):
    """The proxy's ``struct shared_mem_t`` up to ``buffer`` (``OFFSETS["buffer"]`` = SIZE)."""

    TRAILER: ClassVar[Optional[str]] = "buffer"
    N_SLOTS: ClassVar[int] = NUM_MAILBOX_QUEUE_SLOT

    ns_mailbox_queue: NsMailboxQueue = cfield(Nested(NsMailboxQueue))
    in_vec: list[PsaInvec] = cfield(Array(Nested(PsaInvec), PSA_MAX_IOVEC))
    out_vec: list[PsaOutvec] = cfield(Array(Nested(PsaOutvec), PSA_MAX_IOVEC))


@lru_cache(maxsize=None)
def shared_mem_type(n_slots: int = NUM_MAILBOX_QUEUE_SLOT) -> type[SharedMemHeader]:
    """The ``shared_mem_t`` header class for a queue of ``n_slots`` slots."""
    _check_slots(n_slots)
    if n_slots == SharedMemHeader.N_SLOTS:
        return SharedMemHeader
    queue_cls = ns_mailbox_queue_type(n_slots)
    sub = type(f"SharedMemHeader{n_slots}", (SharedMemHeader,), {
        "__module__": __name__, "__annotations__": {"ns_mailbox_queue": queue_cls},
        "__doc__": f"``struct shared_mem_t`` header with a {n_slots}-slot queue.",
        "N_SLOTS": n_slots, "ns_mailbox_queue": cfield(Nested(queue_cls))})
    return cstruct(dataclass(sub))


def header_size(n_slots: int = NUM_MAILBOX_QUEUE_SLOT) -> int:
    """Offset of ``shared_mem_t.buffer``: queue + 4 in_vec + 4 out_vec (124 for one slot)."""
    return shared_mem_type(n_slots).SIZE


PSA_PROXY_SHARED_MEMORY_BASE = 0x1A408000      # Host view (Musca-B1 region_defs.h)
PSA_PROXY_SHARED_MEMORY_BASE_SE = 0x38208000   # the same bytes seen by the SE
PSA_PROXY_SHARED_MEMORY_SIZE = 0x00078000      # Host view (sse_200 region_defs.h:112); the SE's NS_DATA is smaller


def shared_buffer_size(total: int = PSA_PROXY_SHARED_MEMORY_SIZE, n_slots: int = NUM_MAILBOX_QUEUE_SLOT) -> int:
    """``SHARED_BUFFER_SIZE`` = region size minus the header."""
    size = total - header_size(n_slots)
    if size < 0:
        raise ValueError(f"a {total:#x}-byte region is smaller than the {header_size(n_slots)}-byte header")
    return size


SHARED_BUFFER_SIZE = shared_buffer_size()       # 0x77F84 on Musca-B1 [v1.3]


# --- RoT service wire structs -------------------------------------------------------------
@cstruct
@dataclass
class CryptoPackIovec(CStruct):
    """``struct tfm_crypto_pack_iovec`` (in_vec[0] of every crypto call, 44 B)."""

    sfn_id: int = cfield(U32)
    step: int = cfield(U16)
    key_id: int = cfield(U32)
    alg: int = cfield(U32)
    op_handle: int = cfield(U32)
    capacity: int = cfield(SIZE_T)
    nonce: bytes = cfield(Raw(16))
    nonce_length: int = cfield(U32)


@cstruct
@dataclass
class KeyAttributesV13(CStruct):
    """v1.3 client ``psa_key_attributes_t`` (24 B)."""

    lifetime: int = cfield(U32)
    id: int = cfield(U32)
    alg: int = cfield(U32)
    usage: int = cfield(U32)
    bits: int = cfield(SIZE_T)
    type: int = cfield(U16)


@cstruct
@dataclass
class KeyAttributesV15(CStruct):
    """v1.5 client ``psa_key_attributes_t`` (20 B)."""

    type: int = cfield(U16)
    bits: int = cfield(U16)
    lifetime: int = cfield(U32)
    id: int = cfield(U32)
    usage: int = cfield(U32)
    alg: int = cfield(U32)


@cstruct
@dataclass
class PsaStorageInfo(CStruct):
    """``struct psa_storage_info_t`` (12 B): capacity, size, flags."""

    capacity: int = cfield(SIZE_T)
    size: int = cfield(SIZE_T)
    flags: int = cfield(U32)

