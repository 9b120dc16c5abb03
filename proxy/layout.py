"""Byte offsets of the proxy's shared structure (``shared_mem_t``) for the proxy's own accesses."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from psaemu.proxy.structs import MailboxMsg, MailboxReply, NsMailboxQueue, NsMailboxSlot, shared_mem_type


@dataclass(frozen=True)
class SlotOffsets:
    msg: int
    reply_return_val: int
    reply_owner: int


@dataclass(frozen=True)
class SharedLayout:
    """Offsets from the start of ``shared_mem_t`` (the queue is its first member)."""

    n_slots: int
    empty_slots: int
    pend_slots: int
    replied_slots: int
    in_vec: int
    out_vec: int
    buffer: int

    @staticmethod
    @lru_cache(maxsize=None)
    def slot(idx: int) -> SlotOffsets:
        """Offsets of slot ``idx``'s message and reply (the same for every layout; kept: per call)."""
        q = NsMailboxQueue.OFFSETS
        base = q["queue"] + idx * NsMailboxSlot.SIZE
        reply = base + NsMailboxSlot.OFFSETS["reply"]
        return SlotOffsets(base + NsMailboxSlot.OFFSETS["msg"], reply + MailboxReply.OFFSETS["return_val"],
                           reply + MailboxReply.OFFSETS["owner"])


@lru_cache(maxsize=None)
def shared_layout(n_slots: int = 1) -> SharedLayout:
    """The layout for a queue of ``n_slots`` slots (``buffer`` at 0x7C for one slot)."""
    hdr = shared_mem_type(n_slots)
    q = NsMailboxQueue.OFFSETS
    base = hdr.OFFSETS["ns_mailbox_queue"]
    assert MailboxMsg.SIZE == 32
    return SharedLayout(n_slots, base + q["empty_slots"], base + q["pend_slots"], base + q["replied_slots"],
                        hdr.OFFSETS["in_vec"], hdr.OFFSETS["out_vec"], hdr.OFFSETS["buffer"])
