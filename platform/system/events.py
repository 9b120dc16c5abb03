"""The event trace: a deterministic record of what happened, stamped with virtual time.

Records are stored packed, as ``(time_ps, core, kind, names, values)`` rows: ``names`` is a
sorted tuple of field names shared by every record of its kind and call site, ``values`` the
field values in that order. Nothing is formatted or paired up while the machine runs; readers
(``records``, iteration, ``since``, ``of_kind``) see ``(time_ps, core, kind, ((name, value)...))``
tuples built on demand. The digest is defined over the packed rows (the ``repr`` of each row),
so it is what the machine recorded, in the order it recorded it. The log is bounded: it keeps the
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
#: A stored record: (time_ps, core, kind, field names sorted, field values in that order).
Row = tuple[int, str, str, tuple[str, ...], tuple[Any, ...]]
#: The fields of an ``mhu`` record (a peripheral bus access or a driver transfer), sorted.
MHU_FIELDS = ("frame", "op", "reg", "value")

#: Records the event log keeps by default (about 300 bytes each: ~30 MB at most).
DEFAULT_EVENT_LIMIT = 100_000
#: Records folded into the digest chain at a time (positions 0, FOLD_BLOCK, 2*FOLD_BLOCK... of the trace).
FOLD_BLOCK = 4096


def check_limit(limit: Any, what: str, minimum: int = 1) -> int:
    """A buffer limit as an int >= ``minimum``, or a ConfigError naming ``what`` and the value."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < minimum:
        raise ConfigError(f"{what} {limit!r} is not a whole number >= {minimum}; give the number of "
                          f"records to keep (older ones are counted as dropped)")
    return limit


class EventLog:
    """The last ``limit`` records, and a digest over all of them.

    ``len(log)`` is the number of records made since the start (what the digest covers);
    ``rows`` the retained window, packed, oldest first; ``records`` the same as
    ``(time_ps, core, kind, fields)`` tuples; ``dropped`` how many left the window."""

    def __init__(self, enabled: bool = True, limit: int = DEFAULT_EVENT_LIMIT) -> None:
        self.enabled = enabled
        self.limit = check_limit(limit, "event log limit")
        self.rows: list[Row] = []
        self.first = 0                 # trace position of rows[0]
        self._chain = b""              # hash chain over rows [0, _folded)
        self._folded = 0
        self._names: dict[tuple[str, ...], tuple[str, ...]] = {}     # one shared tuple per field-name set
        self._heads: dict[tuple[str, str, tuple[str, ...]], str] = {}   # see _text

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
        if len(data) > 1:
            names = tuple(sorted(data))
            shared = self._names.get(names)
            if shared is None:
                shared = self._names.setdefault(names, names)
            self.put(core, kind, shared, tuple([data[k] for k in shared]))
        else:
            self.put(core, kind, tuple(data), tuple(data.values()))

    def record_sorted(self, core: "Core", kind: str, fields: tuple[tuple[str, Any], ...]) -> None:
        """:meth:`record` with the fields as ``(name, value)`` pairs sorted by name."""
        if self.enabled:
            self.put(core, kind, tuple(k for k, _ in fields), tuple(v for _, v in fields))

    def put(self, core: "Core", kind: str, names: tuple[str, ...], values: tuple[Any, ...]) -> None:
        """The hot path: one record whose field ``names`` are sorted (a constant tuple of the
        caller's, shared by its records) with ``values`` in the same order."""
        if not self.enabled:
            return
        rows = self.rows
        rows.append((core.machine.time_ps(core), core.name, kind, names, values))
        if len(rows) >= self._trim_at:
            self._trim()

    def _fold(self) -> None:
        """Fold every complete block still unfolded into the chain (the same blocks whatever the limit)."""
        rows, first = self.rows, self.first
        end = first + len(rows)
        while self._folded + FOLD_BLOCK <= end:
            lo = self._folded - first
            h = hashlib.sha256(self._chain)
            h.update(self._text(rows[lo:lo + FOLD_BLOCK]).encode())     # = one update per row
            self._chain = h.digest()
            self._folded += FOLD_BLOCK

    def _text(self, rows: list[Row]) -> str:
        """``"".join(map(repr, rows))``, faster: the ``repr`` of a row's core, kind and names is
        kept per (core, kind, names) (few distinct ones), the time and values are printed per row."""
        heads = self._heads
        if len(heads) > 4 * FOLD_BLOCK:                   # stay bounded whatever the callers do
            heads.clear()
        out: list[str] = []
        append = out.append
        for t, core, kind, names, values in rows:
            key = (core, kind, names)
            head = heads.get(key)
            if head is None:
                head = heads[key] = f"{core!r}, {kind!r}, {names!r}, "
            append(f"({t!r}, {head}{values!r})")
        return "".join(out)

    def _trim(self) -> None:
        """Fold the complete blocks, then let go of folded rows beyond the limit."""
        self._fold()
        rows, first = self.rows, self.first
        cut = min(len(rows) - self.limit, self._folded - first)
        if cut > 0:
            del rows[:cut]
            self.first = first + cut

    # -- reading --------------------------------------------------------------------------
    @staticmethod
    def unpack(row: Row) -> Event:
        """A stored row as the ``(time_ps, core, kind, ((name, value)...))`` record readers see."""
        t, core, kind, names, values = row
        return (t, core, kind, tuple(zip(names, values)))

    @property
    def records(self) -> list[Event]:
        """The retained records, oldest first (built from the packed rows on each read)."""
        return list(map(self.unpack, self.rows))

    def __iter__(self) -> Iterator[Event]:
        return map(self.unpack, self.rows)

    def __len__(self) -> int:
        return self.first + len(self.rows)

    def since(self, mark: int) -> list[Event]:
        """The retained records made at trace position ``mark`` (a ``len(log)`` taken earlier) or later."""
        return list(map(self.unpack, self.rows[max(mark - self.first, 0):]))

    def of_kind(self, *kinds: str) -> list[Event]:
        unpack = self.unpack
        return [unpack(r) for r in self.rows if r[2] in kinds]

    def digest(self) -> str:
        """SHA-256 chain over every row made (equal digests mean identical traces), dropped ones
        included. A trace shorter than :data:`FOLD_BLOCK` records hashes as one flat stream:
        ``sha256("".join(map(repr, rows)))``."""
        self._fold()
        h = hashlib.sha256(self._chain)
        h.update(self._text(self.rows[self._folded - self.first:]).encode())
        return h.hexdigest()

    # -- state (snapshots) ----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"records": self.rows[:], "first": self.first, "chain": self._chain, "folded": self._folded,
                "enabled": self.enabled, "limit": self.limit}

    def restore(self, state: dict[str, Any]) -> None:
        """Back to a :meth:`state`; keeps the live list when it still starts with the saved rows."""
        saved, first = state["records"], state.get("first", 0)
        if saved and len(saved[0]) == 4:             # a snapshot of records stored unpacked
            saved = [(t, c, k, tuple(n for n, _ in f), tuple(v for _, v in f)) for t, c, k, f in saved]
        rows, n = self.rows, len(saved)
        if self.first == first and len(rows) >= n and (n == 0 or rows[n - 1] is saved[n - 1]):
            del rows[n:]
        else:
            rows[:] = saved
        self.first, self._chain, self._folded = first, state.get("chain", b""), state.get("folded", 0)
        self.enabled, self.limit = state["enabled"], state["limit"]

    #: The state protocol's names (machine snapshots): rows are immutable tuples, shared.
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
            for rec in self:
                if fmt == "json":
                    t, core, kind, fields = rec
                    f.write(json.dumps({"t_ps": t, "core": core, "kind": kind, **dict(fields)}) + "\n")
                else:
                    f.write(self.format(rec) + "\n")
