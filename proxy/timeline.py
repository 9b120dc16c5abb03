"""The IPC timeline: a run as Chrome/Perfetto trace events, to look at rather than read.

One JSON object ``{"traceEvents": [...], "otherData": {...}}`` (the Trace Event Format that
ui.perfetto.dev and chrome://tracing open), built from the machine's event log and, when the PSA
Proxy model is attached, the IPC monitor's records. Virtual time is the clock (``ts`` in µs).

Tracks (threads of one process): one per core, with its exception handlers (``exception_entry``
to ``exception_return``; a tail-chain ends one handler and begins the next), its sleeps (WFI/WFE
to ``wake``) and a blocked PSA SVC waiting for the SE (``svc_block`` to ``svc_resume``) as
slices, and the other events as instants; one per mailbox slot, with each transaction from the
proxy's request to the SE's reply as a slice. Each transaction is a flow: the Host's waiting SVC,
the mailbox slot, the SE handler that took the doorbell, and back to the Host.

Both sources are bounded windows; ``otherData`` says how many records each one dropped, and
slices cut by the window's start are not drawn (their end alone says nothing about their start).
"""
from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psaemu.proxy.monitor import IpcRecord, call_type_name
from psaemu.proxy.status import status_name

if TYPE_CHECKING:
    from psaemu.platform.system.machine import Machine

#: The process every track belongs to.
PID = 1
#: Mailbox slot ``n`` is thread ``SLOT_TID + n`` (cores are threads 1, 2, ... in board order).
SLOT_TID = 100
#: Event kinds that put a core to sleep (a slice until its next ``wake``).
SLEEPS = ("wfi", "wfe")
#: Event kinds left out of the core tracks (too many to be useful as instants, or drawn as slices).
NOT_INSTANTS = {"mhu", "irq_line", "wake", "exception_entry", "exception_return", "tail_chain",
                "svc_block", "svc_resume", *SLEEPS}
#: The MHU register write that rings a doorbell (shown as an instant; other MHU accesses are not).
DOORBELL_REG = "CH_SET0"


def _us(t_ps: int) -> float:
    """Picoseconds as the format's microseconds."""
    return t_ps / 1e6


@dataclass
class Slice:
    """A B/E pair on one track, kept until its E is known (flows bind to it by time)."""

    tid: int
    name: str
    cat: str
    start_ps: int
    end_ps: int | None = None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Track:
    """The slices and instants of one thread, and the stack of slices still open. A time earlier
    than the track's last one is held at the last one, so times never go back on a track."""

    tid: int
    name: str
    slices: list[Slice] = field(default_factory=list)
    stack: list[Slice] = field(default_factory=list)
    last_ps: int = 0
    #: The B/E/i events in the order they happened: times never go back, every E closes the innermost B.
    events: list[dict[str, Any]] = field(default_factory=list)

    def _emit(self, ph: str, t_ps: int, **extra: Any) -> None:
        self.events.append({"ph": ph, "ts": _us(t_ps), "pid": PID, "tid": self.tid, **extra})

    def begin(self, t_ps: int, name: str, cat: str, args: dict[str, Any]) -> Slice:
        s = Slice(self.tid, name, cat, max(t_ps, self.last_ps), args=args)
        self.last_ps = s.start_ps
        self._emit("B", s.start_ps, name=name, cat=cat, args=s.args)
        self.slices.append(s)
        self.stack.append(s)
        return s

    def end(self, t_ps: int, cat: str | None = None) -> Slice | None:
        """Close the innermost open slice (of category ``cat``, closing the ones above it first)."""
        if cat is not None and not any(s.cat == cat for s in self.stack):
            return None
        t = max(t_ps, self.last_ps)
        self.last_ps = t
        while self.stack:
            s = self.stack.pop()
            s.end_ps = t
            self._emit("E", t)
            if cat is None or s.cat == cat:
                return s
            s.args["closed_by"] = cat
        return None

    def instant(self, t_ps: int, name: str, cat: str, args: dict[str, Any]) -> None:
        t = max(t_ps, self.last_ps)
        self.last_ps = t
        self._emit("i", t, s="t", name=name, cat=cat, args=args)

    def close_all(self, t_ps: int) -> None:
        """Slices still open at the end of the run end there, marked unfinished."""
        for s in self.stack:
            s.args["unfinished"] = True
        while self.stack:
            self.end(t_ps)


def _fields(fields: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """Event fields as JSON-safe args (addresses and register values in hex, as the text trace has them)."""
    out: dict[str, Any] = {}
    for k, v in fields:
        if isinstance(v, int) and not isinstance(v, bool) and k in ("pc", "vtor", "msp", "value", "address"):
            out[k] = f"{v:#x}"
        elif isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        else:
            out[k] = str(v)
    return out


def _core_tracks(machine: "Machine") -> dict[str, Track]:
    """The core tracks from the event log's window."""
    tracks = {name: Track(i + 1, f"{name} core") for i, name in enumerate(machine.cores)}
    for t_ps, core, kind, fields in machine.events.records:
        track = tracks.get(core)
        if track is None:                     # an event of something that is not a core
            track = tracks[core] = Track(len(tracks) + 1, core)
        args = _fields(fields)
        if kind in SLEEPS:
            track.begin(t_ps, f"sleep ({kind.upper()})", "sleep", args)
        elif kind == "wake":
            track.end(t_ps, "sleep")
        elif kind == "exception_entry":
            track.begin(t_ps, str(args.get("name", "exception")), "exception", args)
        elif kind == "tail_chain":
            track.end(t_ps, "exception")
            track.begin(t_ps, str(args.get("name", "exception")), "exception", args)
        elif kind == "exception_return":
            track.end(t_ps, "exception")
        elif kind == "svc_block":
            track.begin(t_ps, f"wait for the SE (SVC {args.get('number')})", "psa", args)
        elif kind == "svc_resume":
            track.end(t_ps, "psa")
        elif kind == "mhu":
            if args.get("reg") == DOORBELL_REG and args.get("op") in ("write", "send"):
                track.instant(t_ps, "doorbell", "mhu", args)
        elif kind not in NOT_INSTANTS:
            track.instant(t_ps, kind, "event", args)
    end = machine.now_ps
    for track in tracks.values():
        track.close_all(max(end, track.last_ps))
    return tracks


def sent(r: IpcRecord) -> bool:
    """Whether the transaction reached the mailbox (a refused one, e.g. no forward handle left, has
    neither a request nor a reply time)."""
    return r.t_request_ps != 0 or r.t_reply_ps is not None


def slots_of(records: list[IpcRecord], n_slots: int = 1) -> dict[int, int]:
    """The mailbox slot of each sent transaction, by ``seq``: the record's own ``slot`` when it has
    one, else the proxy's rule replayed (a request takes the lowest free of ``n_slots`` slots; a slot
    is free again when its reply is read; one never replied to was given back when its caller gave
    up, at a time the record does not say). With one slot every transaction is in slot 0."""
    out: dict[int, int] = {}
    busy: dict[int, int | None] = {}           # slot -> the time its reply was read (None: never)
    for r in sorted(filter(sent, records), key=lambda r: (r.t_request_ps, r.seq)):
        own = getattr(r, "slot", None)
        if own is None:
            free = [i for i in range(max(n_slots, 1))
                    if i not in busy or (busy[i] is not None and busy[i] <= r.t_request_ps)]
            own = free[0] if free else next((i for i, t in busy.items() if t is None), 0)
        out[r.seq] = int(own)
        busy[int(own)] = r.t_reply_ps
    return out


def _slot_tracks(records: list[IpcRecord], end_ps: int, n_slots: int = 1) -> dict[int, Track]:
    """One track per mailbox slot: each transaction from request to reply."""
    tracks: dict[int, Track] = {}
    slot_of = slots_of(records, n_slots)
    for r in sorted(filter(sent, records), key=lambda r: (slot_of[r.seq], r.t_request_ps, r.seq)):
        slot = slot_of[r.seq]
        track = tracks.setdefault(slot, Track(SLOT_TID + slot, f"mailbox slot {slot}"))
        name = "psa_" + call_type_name(r.call_type).lower().replace(" ", "_")
        args: dict[str, Any] = {"seq": r.seq, "client_id": r.client_id, "record": r.format()}
        if r.sid is not None:
            args["sid"] = f"{r.sid:#x}"
        if r.status is not None:
            args["status"] = status_name(r.status)
        track.begin(r.t_request_ps, name, "ipc", args)
        track.end(r.t_reply_ps if r.t_reply_ps is not None else end_ps)
        if r.t_reply_ps is None:
            track.slices[-1].args["unfinished"] = True
    return tracks


def _covering(slices: list[Slice], starts: list[int], t_ps: int, after: bool = False) -> Slice | None:
    """The latest slice starting at or before ``t_ps`` that has not ended before it (``after``: the
    first slice starting at or after ``t_ps`` instead)."""
    if after:
        i = bisect_left(starts, t_ps)
        return slices[i] if i < len(slices) else None
    i = bisect_left(starts, t_ps + 1) - 1
    while i >= 0:
        s = slices[i]
        if s.end_ps is not None and s.end_ps >= t_ps:
            return s
        if s.end_ps is not None and s.end_ps < t_ps:
            return None
        i -= 1
    return None


def _inside(s: Slice, t_ps: int) -> int:
    """``t_ps`` moved into ``s`` (flow steps bind to the slice enclosing their time)."""
    return min(max(t_ps, s.start_ps), s.end_ps if s.end_ps is not None else t_ps)


def _flows(records: list[IpcRecord], slots: dict[int, Track], host: Track | None, se: Track | None
           ) -> list[dict[str, Any]]:
    """Each transaction as a flow: Host wait -> mailbox slot -> SE handler -> Host wait."""
    def index(track: Track | None, cat: str) -> tuple[list[Slice], list[int]]:
        chosen = [s for s in track.slices if s.cat == cat] if track is not None else []
        return chosen, [s.start_ps for s in chosen]

    host_waits, host_starts = index(host, "psa")
    se_handlers, se_starts = index(se, "exception")
    slot_slices = {s.args["seq"]: s for t in slots.values() for s in t.slices}
    out: list[dict[str, Any]] = []
    for r in filter(sent, records):
        steps: list[tuple[Slice, int]] = []
        wait = _covering(host_waits, host_starts, r.t_request_ps)
        if wait is not None:
            steps.append((wait, _inside(wait, r.t_request_ps)))
        box = slot_slices[r.seq]
        steps.append((box, box.start_ps))
        handler = _covering(se_handlers, se_starts, r.t_request_ps, after=True)
        if handler is not None and (box.end_ps is None or handler.start_ps <= box.end_ps):
            steps.append((handler, handler.start_ps))
        if wait is not None and r.t_reply_ps is not None:
            steps.append((wait, _inside(wait, r.t_reply_ps)))
        if len(steps) < 2:
            continue
        for i, (s, t) in enumerate(steps):
            ph = "s" if i == 0 else "f" if i == len(steps) - 1 else "t"
            out.append({"ph": ph, "name": box.name, "cat": "ipc", "id": r.seq, "pid": PID, "tid": s.tid,
                        "ts": _us(t), "bp": "e"})
    return out


def timeline(machine: "Machine") -> dict[str, Any]:
    """The run so far as a Trace Event Format object (see the module docstring)."""
    system = getattr(machine, "proxy_system", None)
    monitor = system.monitor if system is not None else None
    records = list(monitor.records) if monitor is not None else []
    end_ps = machine.now_ps
    cores = _core_tracks(machine)
    slots = _slot_tracks(records, end_ps, int(getattr(system.proxy, "n_slots", 1)) if system is not None else 1)
    names = list(machine.cores)
    host_name, se_name = ((system.proxy.host.name, system.proxy.se_name) if system is not None
                          else (names[0] if names else "", names[1] if len(names) > 1 else ""))
    host, se = cores.get(host_name), cores.get(se_name)
    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": PID, "tid": 0, "args": {"name": f"psaemu {machine.board.name}"}}]
    for track in [*cores.values(), *sorted(slots.values(), key=lambda t: t.tid)]:
        events.append({"ph": "M", "name": "thread_name", "pid": PID, "tid": track.tid, "args": {"name": track.name}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": PID, "tid": track.tid,
                       "args": {"sort_index": track.tid}})
        events.extend(track.events)
    events.extend(_flows(records, slots, host, se))
    log = machine.events
    other: dict[str, Any] = {
        "clock": "virtual time (ts in microseconds)", "board": machine.board.name,
        "events_kept": len(log.records), "events_dropped": log.dropped, "event_limit": log.limit,
        "ipc_records": len(records), "ipc_dropped": monitor.dropped if monitor is not None else 0,
        "ipc_not_sent": [{"seq": r.seq, "record": r.format()} for r in records if not sent(r)],
        "event_digest": log.digest()}
    notes = [n for n in (log.dropped_note(), monitor.dropped_note() if monitor is not None else "") if n]
    if notes:
        other["notes"] = notes
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": other}


def write_timeline(machine: "Machine", path: str | Path) -> dict[str, Any]:
    """Write :func:`timeline` to ``path``: as JSON (open it in ui.perfetto.dev or chrome://tracing), or,
    for a name ending in ``.svg``, as a sequence diagram (:mod:`psaemu.proxy.timeline_svg`); returns
    the object."""
    data = timeline(machine)
    if str(path).endswith(".svg"):
        from psaemu.proxy.timeline_svg import write_svg
        write_svg(data, path)
        return data
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    return data
