"""Per-core console output (UART and semihosting), captured for tests and streamed by line."""
from __future__ import annotations

from typing import Callable


class Console:
    """Collects bytes per core; complete lines go to ``sink(core, line)`` as they appear."""

    def __init__(self, sink: Callable[[str, str], None] | None = None) -> None:
        self.sink = sink
        self.data: dict[str, bytearray] = {}
        self._partial: dict[str, bytearray] = {}

    def write(self, core: str, data: bytes) -> None:
        self.data.setdefault(core, bytearray()).extend(data)
        if self.sink is None:
            return
        buf = self._partial.setdefault(core, bytearray())
        buf.extend(data)
        while b"\n" in buf:
            line, _, rest = buf.partition(b"\n")
            self.sink(core, line.decode("utf-8", "replace").rstrip("\r"))
            buf[:] = rest

    def flush(self) -> None:
        """Emit unterminated last lines (at the end of a run)."""
        for core, buf in self._partial.items():
            if buf and self.sink:
                self.sink(core, buf.decode("utf-8", "replace"))
            buf.clear()

    def text(self, core: str) -> str:
        """Everything ``core`` has printed so far."""
        return self.data.get(core, bytearray()).decode("utf-8", "replace")

    def lines(self, core: str) -> list[str]:
        return self.text(core).splitlines()

    # -- state protocol (snapshots) -------------------------------------------------------
    def save_state(self) -> dict[str, dict[str, bytes]]:
        return {"data": {k: bytes(v) for k, v in self.data.items()},
                "partial": {k: bytes(v) for k, v in self._partial.items()}}

    def restore_state(self, state: dict[str, dict[str, bytes]]) -> None:
        """In place, so references to the buffers held elsewhere stay valid."""
        for live, saved in ((self.data, state["data"]), (self._partial, state["partial"])):
            for key in list(live):
                if key not in saved:
                    del live[key]
            for key, value in saved.items():
                if key in live:
                    live[key][:] = value
                else:
                    live[key] = bytearray(value)
