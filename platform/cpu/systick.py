"""SysTick timer of one core, counted in that core's virtual cycles.

The counter is evaluated lazily from the cycle count, so it costs nothing between events;
the scheduler asks for the next wrap to end a slice exactly there.
"""
from __future__ import annotations

from typing import Any

ENABLE, TICKINT, CLKSOURCE, COUNTFLAG = 1 << 0, 1 << 1, 1 << 2, 1 << 16


class SysTick:
    """CSR/RVR/CVR semantics of the Armv6-M/v8-M SysTick, driven by the core's cycle counter."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.ctrl = CLKSOURCE
        self.load = 0
        self.value = 0             # counter value when stopped, or at ``anchor`` when running
        self.next_wrap: int | None = None

    @property
    def running(self) -> bool:
        return bool(self.ctrl & ENABLE) and self.load > 0

    def current(self, now: int) -> int:
        """CVR as firmware would read it at cycle ``now``."""
        if self.next_wrap is None:
            return self.value
        self.advance(now)
        return min(self.load, max(0, self.next_wrap - now))

    def _wraps(self, now: int) -> int:
        """How many wraps happened since the last :meth:`advance`, up to cycle ``now``."""
        if self.next_wrap is None or now < self.next_wrap:
            return 0
        return (now - self.next_wrap) // (self.load + 1) + 1

    def advance(self, now: int) -> int:
        """Account for every wrap up to cycle ``now``; returns how many happened (sets COUNTFLAG)."""
        wraps = self._wraps(now)
        if wraps:
            self.next_wrap += wraps * (self.load + 1)
            self.ctrl |= COUNTFLAG
        return wraps

    def peek_current(self, now: int) -> int:
        """CVR at cycle ``now`` without accounting the wraps (a debugger's view: no state changes,
        so the scheduler still sees the wrap and pends the exception)."""
        if self.next_wrap is None:
            return self.value
        next_wrap = self.next_wrap + self._wraps(now) * (self.load + 1)
        return min(self.load, max(0, next_wrap - now))

    def cycles_to_event(self, now: int) -> int | None:
        """Cycles until the next wrap that raises an interrupt, or None."""
        if self.next_wrap is None or not self.ctrl & TICKINT:
            return None
        return max(1, self.next_wrap - now)

    def _restart(self, now: int, value: int) -> None:
        if self.running:
            self.next_wrap = now + (value if value else self.load + 1)
        else:
            self.value = value
            self.next_wrap = None

    def peek_ctrl(self, now: int) -> int:
        """CSR at cycle ``now`` with no state change (COUNTFLAG shows wraps not yet accounted)."""
        return self.ctrl | (COUNTFLAG if self._wraps(now) else 0)

    def read_ctrl(self, now: int) -> int:
        """A processor read of CSR: its value; the wraps are accounted and COUNTFLAG clears."""
        value = self.peek_ctrl(now)
        self.advance(now)
        self.ctrl &= ~COUNTFLAG
        return value

    def write_ctrl(self, now: int, value: int) -> None:
        current = self.current(now)
        self.ctrl = (self.ctrl & COUNTFLAG) | (value & (ENABLE | TICKINT | CLKSOURCE))
        self._restart(now, current)

    def write_load(self, now: int, value: int) -> None:
        current = self.current(now)
        self.load = value & 0xFFFFFF
        if self.next_wrap is None:
            self._restart(now, current)

    def write_value(self, now: int) -> None:
        """Any write clears the counter and COUNTFLAG; it reloads on the next cycle."""
        self.ctrl &= ~COUNTFLAG
        self._restart(now, 0)

    def snapshot(self) -> dict[str, Any]:
        return {"ctrl": self.ctrl, "load": self.load, "value": self.value, "next_wrap": self.next_wrap}

    def restore(self, s: dict[str, Any]) -> None:
        self.ctrl, self.load, self.value, self.next_wrap = s["ctrl"], s["load"], s["value"], s["next_wrap"]
