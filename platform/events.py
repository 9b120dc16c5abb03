"""The event trace: a deterministic record of what happened, stamped with virtual time.

Records are plain tuples so leaving the trace on costs little; ``digest`` hashes the whole
trace so two runs can be compared bit for bit.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from psaemu.platform.core import Core

Event = tuple[int, str, str, tuple[tuple[str, Any], ...]]


class EventLog:
    """Append-only list of ``(time_ps, core, kind, fields)`` records."""

    def __init__(self, enabled: bool = True, limit: int = 1_000_000) -> None:
        self.enabled = enabled
        self.limit = limit
        self.records: list[Event] = []
        self.dropped = 0

    def record(self, core: "Core", kind: str, **data: Any) -> None:
        self.record_fields(core, kind, data)

    def record_fields(self, core: "Core", kind: str, data: dict[str, Any]) -> None:
        """:meth:`record` with the fields already in a dict (no second keyword packing)."""
        if not self.enabled:
            return
        records = self.records
        if len(records) >= self.limit:
            self.dropped += 1
            return
        records.append((core.machine.time_ps(core), core.name, kind,
                        tuple(sorted(data.items())) if len(data) > 1 else tuple(data.items())))

    def __iter__(self) -> Iterator[Event]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def of_kind(self, *kinds: str) -> list[Event]:
        return [e for e in self.records if e[2] in kinds]

    def digest(self) -> str:
        """SHA-256 over every record: equal digests mean identical traces."""
        h = hashlib.sha256()
        for rec in self.records:
            h.update(repr(rec).encode())
        return h.hexdigest()

    @staticmethod
    def format(rec: Event) -> str:
        t, core, kind, fields = rec
        body = " ".join(f"{k}={v:#x}" if isinstance(v, int) and k in ("pc", "vtor", "msp", "value", "address")
                        else f"{k}={v}" for k, v in fields)
        return f"{t / 1e6:14.3f}us {core:<5} {kind:<16} {body}"

    def write(self, path: str, fmt: str = "text") -> None:
        """Save the trace as text lines or JSON lines."""
        with open(path, "w") as f:
            for rec in self.records:
                if fmt == "json":
                    t, core, kind, fields = rec
                    f.write(json.dumps({"t_ps": t, "core": core, "kind": kind, **dict(fields)}) + "\n")
                else:
                    f.write(self.format(rec) + "\n")
