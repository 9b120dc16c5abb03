"""A forwarded PSA operation in progress, as data (connect, call or close through the proxy).

The Host SPM and the proxy advance a :class:`ForwardOp` phase by phase (``HostSpm.advance``):
it waits for its turn at the proxy (``QUEUED``), for the boot handshake (``HANDSHAKE``) or for
the SE's reply bit of its mailbox slot (``REPLY``), then it is ``DONE`` with a ``result``. All
of its progress is in these fields, so a machine snapshotted in the middle of a forwarded call
restores and goes on from where it was (``ForwardOp.state`` / ``ForwardOp.from_state``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psaemu.proxy.monitor import IpcRecord
    from psaemu.proxy.spm import Caller

CONNECT, CALL, CLOSE = "connect", "call", "close"
#: Phases, in order: not started, waiting for the proxy, waiting for its handshake, waiting for
#: the SE's reply, the proxy is done (the Host SPM's part follows), finished.
NEW, QUEUED, HANDSHAKE, REPLY, FORWARDED, DONE = "new", "queued", "handshake", "reply", "forwarded", "done"
WAITS = (QUEUED, HANDSHAKE, REPLY)


@dataclass(frozen=True)
class Vec:
    """A caller's IOVEC: Host address and length."""

    base: int
    len: int


@dataclass(eq=False)
class ForwardOp:
    """One forwarded operation: who asked, its arguments, and how far it got."""

    id: int
    kind: str                                # CONNECT | CALL | CLOSE
    caller: "Caller"
    sid: int = 0                             # connect
    version: int = 0                         # connect
    handle: int = 0                          # call/close: the Host connection handle
    chunk: int | None = None                 # the proxy's forward-handle pool index
    in_vecs: list[Vec] = field(default_factory=list)     # call
    out_vecs: list[Vec] = field(default_factory=list)    # call
    out_addr: int = 0                        # call: the caller's out_vec array (lengths written back)
    # -- progress -----------------------------------------------------------------------------
    phase: str = NEW
    call_type: int = 0                       # the mailbox message, once the proxy has built it
    params: bytes = b""
    slot: int | None = None                  # the mailbox slot holding the message
    value: int | None = None                 # the SE's return_val
    forwarded: Any = None                    # what the proxy's part returned
    result: Any = None                       # what the operation returns (r0 for an SVC)
    record: "IpcRecord | None" = None        # its IPC monitor record (open while in flight)
    stateless_type: int | None = None        # call on a stateless handle (v1.4+): the psa_call type forwarded

    @property
    def done(self) -> bool:
        return self.phase == DONE

    @property
    def waiting(self) -> bool:
        return self.phase in WAITS

    def describe(self) -> str:
        """``psa_call on handle 1 (slot 0, waiting for the SE's reply)`` for messages."""
        what = {CONNECT: f"psa_connect(SID {self.sid:#x})", CALL: f"psa_call on handle {self.handle}",
                CLOSE: f"psa_close({self.handle})"}.get(self.kind, self.kind)
        slot = f"slot {self.slot}, " if self.slot is not None else ""
        return f"{what} by {self.caller} ({slot}{self.phase})"

    # -- state (snapshots) --------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Plain data: everything but the record, which is named by its sequence number."""
        c = self.caller
        return {"id": self.id, "kind": self.kind,
                "caller": (c.client_id, c.secure, c.pc, c.partition, c.scripted),
                "sid": self.sid, "version": self.version, "handle": self.handle, "chunk": self.chunk,
                "in_vecs": [(v.base, v.len) for v in self.in_vecs],
                "out_vecs": [(v.base, v.len) for v in self.out_vecs], "out_addr": self.out_addr,
                "phase": self.phase, "call_type": self.call_type, "params": bytes(self.params),
                "slot": self.slot, "value": self.value, "forwarded": _plain(self.forwarded),
                "result": _plain(self.result), "record": self.record.seq if self.record is not None else None,
                "stateless_type": self.stateless_type}

    @classmethod
    def from_state(cls, s: dict[str, Any], record: "IpcRecord | None") -> "ForwardOp":
        from psaemu.proxy.spm import Caller

        return cls(s["id"], s["kind"], Caller(*s["caller"]), s["sid"], s["version"], s["handle"], s["chunk"],
                   [Vec(*v) for v in s["in_vecs"]], [Vec(*v) for v in s["out_vecs"]], s["out_addr"],
                   s["phase"], s["call_type"], bytes(s["params"]), s["slot"], s["value"],
                   _live(s["forwarded"]), _live(s["result"]), record, s.get("stateless_type"))


def _plain(value: Any) -> Any:
    """Results are ints, None or (status, chunk | written lengths) pairs: as plain ints/lists."""
    if isinstance(value, tuple):
        return ["tuple", [_plain(v) for v in value]]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _live(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and value[0] == "tuple":
        return tuple(_live(v) for v in value[1])
    if isinstance(value, list):
        return [_live(v) for v in value]
    return value
