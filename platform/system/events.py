"""The event trace: a deterministic record of what happened, stamped with virtual time.

Records are plain tuples so leaving the trace on costs little. The log is bounded: it keeps the
last ``limit`` records (:data:`DEFAULT_EVENT_LIMIT` unless the machine says otherwise) and
counts the older ones it let go (``dropped``), so a run of any length uses flat memory. The
digest still covers every record ever made: records are folded into a hash chain, in blocks of
:data:`FOLD_BLOCK` at fixed positions of the whole trace, before they leave the window, so the
digest does not depend on the limit and two runs that differ anywhere have different digests.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Iterator

from psaemu.platform.errors import ConfigError

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core

Event = tuple[int, str, str, tuple[tuple[str, Any], ...]]

#: Records the event log keeps by default (about 300 bytes each: ~30 MB at most).
DEFAULT_EVENT_LIMIT = 100_000
#: Records folded into the digest chain at a time (positions 0, FOLD_BLOCK, 2*FOLD_BLOCK... of the trace).
FOLD_BLOCK = 4096
#: Field value types whose equal values have equal reprs (not float: 0.0 == -0.0; no containers).
_REPR_BY_VALUE = frozenset({int, str, bool, bytes, type(None)})


def check_limit(limit: Any, what: str, minimum: int = 1) -> int:
    """A buffer limit as an int >= ``minimum``, or a ConfigError naming ``what`` and the value."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < minimum:
        raise ConfigError(f"{what} {limit!r} is not a whole number >= {minimum}; give the number of "
                          f"records to keep (older ones are counted as dropped)")
    return limit


class EventLog:
    """The last ``limit`` ``(time_ps, core, kind, fields)`` records, and a digest over all of them.

    ``len(log)`` is the number of records made since the start (what the digest covers);
    ``records`` the retained window, oldest first; ``dropped`` how many left the window."""

    def __init__(self, enabled: bool = True, limit: int = DEFAULT_EVENT_LIMIT) -> None:
        self.enabled = enabled
        self.limit = check_limit(limit, "event log limit")
        self.records: list[Event] = []
        self.first = 0                 # trace position of records[0]
        self._chain = b""              # hash chain over records [0, _folded)
        self._folded = 0
        self._reprs: dict[Any, tuple[str, str, str, list[type]]] = {}    # see _text

    @property
    def limit(self) -> int:
        """Records the window keeps (older ones are folded into the digest and let go)."""
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        self._limit = value
        self._trim_at = value + FOLD_BLOCK

    @property
    def dropped(self) -> int:
        """Records that left the window (still covered by the digest)."""
        return self.first

    def record(self, core: "Core", kind: str, **data: Any) -> None:
        self.record_fields(core, kind, data)

    def record_fields(self, core: "Core", kind: str, data: dict[str, Any]) -> None:
        """:meth:`record` with the fields already in a dict (no second keyword packing)."""
        if not self.enabled:
            return
        records = self.records
        records.append((core.machine.time_ps(core), core.name, kind,
                        tuple(sorted(data.items())) if len(data) > 1 else tuple(data.items())))
        if len(records) >= self._trim_at:
            self._trim()

    def record_sorted(self, core: "Core", kind: str, fields: tuple[tuple[str, Any], ...]) -> None:
        """:meth:`record` for a hot caller that passes the fields as the record keeps them: pairs
        sorted by name (no dict, no sort per record)."""
        if not self.enabled:
            return
        records = self.records
        records.append((core.machine.time_ps(core), core.name, kind, fields))
        if len(records) >= self._trim_at:
            self._trim()

    def _fold(self) -> None:
        """Fold every complete block still unfolded into the chain (the same blocks whatever the limit)."""
        records, first = self.records, self.first
        end = first + len(records)
        while self._folded + FOLD_BLOCK <= end:
            lo = self._folded - first
            h = hashlib.sha256(self._chain)
            h.update(self._text(records[lo:lo + FOLD_BLOCK]).encode())     # = one update per record
            self._chain = h.digest()
            self._folded += FOLD_BLOCK

    def _text(self, records: list[Event]) -> str:
        """``"".join(map(repr, records))``, about twice as fast: a trace has few distinct field
        tuples, so each one's ``repr`` is kept, keyed by the tuple and checked against the exact type
        of every value (``1``, ``True`` and an IntEnum are equal keys with different reprs); only
        tuples of :data:`_REPR_BY_VALUE` values are kept, as equal such values print alike."""
        cache = self._reprs
        if len(cache) > 4 * FOLD_BLOCK:                   # fields that vary (addresses...): stay bounded
            cache.clear()
        get = cache.get
        out: list[str] = []
        append = out.append
        for t, core, kind, fields in records:
            try:
                hit = get(fields)
            except TypeError:                             # an unhashable value: no caching
                append(repr((t, core, kind, fields)))
                continue
            if hit is not None:                           # (text after the time, core, kind, value types)
                if hit[1] != core or hit[2] != kind:
                    hit = None
                else:
                    for (_, v), ty in zip(fields, hit[3]):
                        if type(v) is not ty:
                            hit = None
                            break
            if hit is None:
                hit = (f"{core!r}, {kind!r}, {fields!r})", core, kind, [type(v) for _, v in fields])
                if _REPR_BY_VALUE.issuperset(hit[3]):
                    cache[fields] = hit
            append(f"({t!r}, {hit[0]}")
        return "".join(out)

    def _trim(self) -> None:
        """Fold the complete blocks, then let go of folded records beyond the limit."""
        self._fold()
        records, first = self.records, self.first
        cut = min(len(records) - self.limit, self._folded - first)
        if cut > 0:
            del records[:cut]
            self.first = first + cut

    def __iter__(self) -> Iterator[Event]:
        return iter(self.records)

    def __len__(self) -> int:
        return self.first + len(self.records)

    def since(self, mark: int) -> list[Event]:
        """The retained records made at trace position ``mark`` (a ``len(log)`` taken earlier) or later."""
        return self.records[max(mark - self.first, 0):]

    def of_kind(self, *kinds: str) -> list[Event]:
        return [e for e in self.records if e[2] in kinds]

    def digest(self) -> str:
        """SHA-256 chain over every record made (equal digests mean identical traces), dropped ones
        included. A trace shorter than :data:`FOLD_BLOCK` records hashes as one flat stream."""
        self._fold()
        h = hashlib.sha256(self._chain)
        h.update(self._text(self.records[self._folded - self.first:]).encode())
        return h.hexdigest()

    # -- state (snapshots) ----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"records": self.records[:], "first": self.first, "chain": self._chain, "folded": self._folded,
                "enabled": self.enabled, "limit": self.limit}

    def restore(self, state: dict[str, Any]) -> None:
        """Back to a :meth:`state`; keeps the live list when it still starts with the saved records."""
        saved, first = state["records"], state.get("first", 0)
        recs, n = self.records, len(saved)
        if self.first == first and len(recs) >= n and (n == 0 or recs[n - 1] is saved[n - 1]):
            del recs[n:]
        else:
            recs[:] = saved
        self.first, self._chain, self._folded = first, state.get("chain", b""), state.get("folded", 0)
        self.enabled, self.limit = state["enabled"], state["limit"]

    #: The state protocol's names (machine snapshots): records are immutable tuples, shared.
    save_state, restore_state = state, restore

    # -- output ---------------------------------------------------------------------------
    @staticmethod
    def format(rec: Event) -> str:
        t, core, kind, fields = rec
        body = " ".join(f"{k}={v:#x}" if isinstance(v, int) and k in ("pc", "vtor", "msp", "value", "address")
                        else f"{k}={v}" for k, v in fields)
        return f"{t / 1e6:14.3f}us {core:<5} {kind:<16} {body}"

    def dropped_note(self) -> str:
        """One line saying what the window lost ("" when it lost nothing)."""
        if not self.dropped:
            return ""
        return (f"{self.dropped} earlier events not kept (event log limit {self.limit}); "
                f"the digest {self.digest()[:16]}... covers all {len(self)}")

    def write(self, path: str, fmt: str = "text") -> None:
        """Save the retained trace as text lines or JSON lines; a first line says what was dropped."""
        note = self.dropped_note()
        with open(path, "w") as f:
            if note:
                f.write(json.dumps({"kind": "events_dropped", "count": self.dropped, "note": note}) + "\n"
                        if fmt == "json" else f"# {note}\n")
            for rec in self.records:
                if fmt == "json":
                    t, core, kind, fields = rec
                    f.write(json.dumps({"t_ps": t, "core": core, "kind": kind, **dict(fields)}) + "\n")
                else:
                    f.write(self.format(rec) + "\n")
