"""The IPC monitor: one decoded record per mailbox transaction, stamped with virtual time."""
from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from psaemu.platform.system.events import check_limit
from psaemu.proxy.mailbox_abi import MailboxCallType
from psaemu.proxy.status import status_name

#: Records the IPC monitor keeps by default (about 1.2 KB each: ~15 MB at most).
DEFAULT_IPC_LIMIT = 10_000
#: Boot-handshake words kept (a handshake is 5 words; more only when the SE resets).
HANDSHAKE_KEEP = 64


def call_type_name(call_type: int) -> str:
    """``CALL`` for MAILBOX_PSA_CALL; unknown values as numbers."""
    try:
        return MailboxCallType(call_type).name.replace("MAILBOX_PSA_", "")
    except ValueError:
        return f"call_type {call_type}"


@dataclass
class IoVec:
    """One forwarded IOVEC: the caller's buffer and its copy in shared memory, in both views."""

    index: int
    size: int                 # bytes requested (in: copied; out: reserved)
    caller: int               # Host address of the client's buffer
    shared_host: int          # Host address of the copy in the shared buffer
    shared_se: int            # the same bytes as the SE addresses them
    written: int | None = None   # out only: bytes the SE reported written
    by_pointer: bool = False     # zero-copy: the SE used the caller's buffer itself (shared_* = caller)


@dataclass
class IpcRecord:
    """A mailbox transaction from the proxy's request to the SE's reply (or to the wait's end)."""

    seq: int
    call_type: int
    client_id: int            # the Host caller (the SE always sees -1)
    sid: int | None = None
    version: int | None = None
    host_handle: int | None = None
    se_handle: int | None = None
    psa_type: int | None = None
    in_vecs: list[IoVec] = field(default_factory=list)
    out_vecs: list[IoVec] = field(default_factory=list)
    status: int | None = None
    t_request_ps: int = 0
    t_reply_ps: int | None = None
    note: str = ""
    #: Why ``client_id`` is what it is when it is not the caller's own, e.g. "secure code outside
    #: every partition at 0x1a2801cc" (client 0); "" for a non-secure or partition caller.
    client_origin: str = ""
    #: The mailbox slot the request went in (None: not sent).
    slot: int | None = None

    @property
    def latency_ps(self) -> int | None:
        return None if self.t_reply_ps is None else self.t_reply_ps - self.t_request_ps

    def format(self) -> str:
        """One line: ``#3 CALL sid=0x70 handle=1->SE 0x9 in[8@0x1a40807c/0x3820807c] -> PSA_SUCCESS (0) 12.3us``."""
        name = call_type_name(self.call_type)
        origin = f" ({self.client_origin})" if self.client_origin else ""
        parts = [f"#{self.seq}", name, f"client={self.client_id}{origin}"]
        if self.sid is not None:
            parts.append(f"sid={self.sid:#x}")
        if self.version is not None:
            parts.append(f"version={self.version}")
        if self.host_handle is not None:
            parts.append(f"handle={self.host_handle}")
        if self.se_handle is not None:
            parts.append(f"se_handle={self.se_handle:#x}")
        if self.psa_type is not None:
            parts.append(f"type={self.psa_type}")
        if self.slot is not None:
            parts.append(f"slot={self.slot}")
        for label, vecs in (("in", self.in_vecs), ("out", self.out_vecs)):
            for v in vecs:
                done = f"->{v.written}" if v.written is not None else ""
                parts.append(f"{label}[{v.index}]={v.size}{done}@{'pointer ' if v.by_pointer else ''}"
                             f"host {v.shared_host:#010x}/se {v.shared_se:#010x}"
                             f" (caller {v.caller:#010x})")
        result = status_name(self.status) if self.status is not None else "no reply"
        latency = f" {self.latency_ps / 1e6:.2f}us" if self.latency_ps is not None else ""
        note = f" [{self.note}]" if self.note else ""
        return " ".join(parts) + f" -> {result}{latency}{note}"

    def to_json(self) -> str:
        data = asdict(self)
        data["call_type_name"] = call_type_name(self.call_type)
        data["latency_ps"] = self.latency_ps
        return json.dumps(data)


class IpcMonitor:
    """The last ``limit`` records (:data:`DEFAULT_IPC_LIMIT`), oldest first; ``sink`` (if set) sees
    each record when its transaction completes. ``opened`` counts every record since the start
    (a record's ``seq``); ``dropped`` those that left the window. A long run keeps flat memory:
    give a ``sink`` (e.g. a file writer) to keep every record."""

    def __init__(self, sink: Callable[[IpcRecord], None] | None = None,
                 on_handshake: Callable[[int, str, int], None] | None = None,
                 limit: int = DEFAULT_IPC_LIMIT) -> None:
        self.records: list[IpcRecord] = []
        self.limit = check_limit(limit, "IPC monitor limit")
        self.opened = 0
        self.sink = sink
        self.on_handshake = on_handshake
        self.handshake: list[tuple[int, str, int]] = []     # (t_ps, direction, word)
        #: Records of transactions in flight (opened, not closed), by ``seq``.
        self.in_flight: dict[int, IpcRecord] = {}

    def attach(self, points: Any, clock: Callable[[], int]) -> None:
        """Stamp records through the proxy's interception points (``Proxy.points``): the request
        time when the doorbell is next, the reply time when the SE's reply has been read."""
        def request(op: Any) -> None:
            op.record.t_request_ps = clock()

        def reply(op: Any) -> None:
            op.record.t_reply_ps = clock()
        points.add("before_doorbell", request)
        points.add("on_reply", reply)

    @property
    def dropped(self) -> int:
        """Records that left the window."""
        return self.opened - len(self.records)

    def handshake_word(self, t_ps: int, direction: str, word: int) -> None:
        """One boot-handshake word (docs/proxy.md) crossing the MHU."""
        handshake = self.handshake
        handshake.append((t_ps, direction, word))
        if len(handshake) > 2 * HANDSHAKE_KEEP:              # an SE reset over and over: keep the last words
            del handshake[:-HANDSHAKE_KEEP]
        if self.on_handshake is not None:
            self.on_handshake(t_ps, direction, word)

    def open(self, record: IpcRecord) -> IpcRecord:
        self.opened += 1
        record.seq = self.opened
        self.in_flight[record.seq] = record
        records = self.records
        records.append(record)
        if len(records) >= self.limit + max(self.limit // 4, 1):
            del records[:len(records) - self.limit]
        return record

    def close(self, record: IpcRecord) -> None:
        self.in_flight.pop(record.seq, None)
        if self.sink is not None:
            self.sink(record)

    def abandon(self, record: IpcRecord) -> None:
        """The transaction will not complete (its caller gave up): no longer in flight, not sunk."""
        self.in_flight.pop(record.seq, None)

    def since(self, seq: int) -> list[IpcRecord]:
        """The retained records opened after record ``seq`` (an ``opened`` value taken earlier)."""
        records = self.records
        return records[max(len(records) - (self.opened - seq), 0):]

    def dropped_note(self) -> str:
        """One line saying what the window lost ("" when it lost nothing)."""
        return (f"{self.dropped} earlier IPC records not kept (IPC monitor limit {self.limit}); "
                f"records #{self.opened - len(self.records) + 1}..#{self.opened} follow") if self.dropped else ""

    # -- state (snapshots) ----------------------------------------------------------------
    def save_state(self) -> dict:
        """Completed records are shared (they no longer change); records in flight are copied."""
        records = self.records[:]
        if self.in_flight:
            records = [copy.deepcopy(r) if r.seq in self.in_flight else r for r in records]
        return {"records": records, "opened": self.opened, "handshake": list(self.handshake),
                "limit": self.limit, "in_flight": sorted(self.in_flight)}

    def restore_state(self, state: dict) -> None:
        open_seqs = set(state.get("in_flight", ()))
        self.records[:] = [copy.deepcopy(r) if r.seq in open_seqs else r for r in state["records"]]
        self.in_flight = {r.seq: r for r in self.records if r.seq in open_seqs}
        self.handshake[:] = state["handshake"]
        self.opened = state.get("opened", len(self.records))
        self.limit = state.get("limit", self.limit)

    def write(self, path: str) -> None:
        """Save the retained records: JSON lines for ``*.json``/``*.jsonl``, text otherwise; a
        first line says what was dropped."""
        as_json = path.endswith((".json", ".jsonl"))
        note = self.dropped_note()
        with open(path, "w") as f:
            if note:
                f.write(json.dumps({"kind": "ipc_dropped", "count": self.dropped, "note": note}) + "\n"
                        if as_json else f"# {note}\n")
            if not as_json:
                for t, direction, word in self.handshake:
                    f.write(f"handshake {t / 1e6:.2f}us {direction} {word:#010x}\n")
            for r in self.records:
                f.write((r.to_json() if as_json else r.format()) + "\n")
