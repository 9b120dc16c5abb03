"""Scheduling policies: which runnable core runs next, for how many instructions, and whether the
scheduler delivers (interrupts, Python agents, resets) after a slice or holds it back a little.

* :class:`DefaultPolicy` is psaemu's deterministic schedule: the core furthest behind in virtual
  time runs one quantum, cut at the next timer event of any core; delivery after every slice.
* :class:`ExplorePolicy` varies the interleaving from a seed, deterministically per seed, within
  documented bounds, so a test can be run under many schedules (``psaemu explore``):

  - *which core*: any runnable core, chosen at random, unless one lags the core furthest ahead
    by more than ``max_lag`` quanta (of its own clock): then the furthest-behind core runs;
  - *slice length*: 1..quantum instructions, log-uniform (short slices are as likely as long
    ones at every scale), never past the next timer event (timers fire on time, as by default);
  - *delivery delay*: after a slice the delivery may be held back, at most ``max_delay`` slices
    in a row; it is never held while no core can run.

  Each choice only moves slice boundaries that real hardware does not have (two cores run
  truly in parallel), so a program correct on hardware passes under every seed; one that
  relies on psaemu's default slicing (an unprotected read-modify-write of shared memory)
  fails under some.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psaemu.platform.errors import ConfigError

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core
    from psaemu.platform.system.scheduler import Scheduler

PS_PER_S = 10**12
MASK64 = (1 << 64) - 1
#: Instructions per scheduling slice unless the machine is given another quantum.
DEFAULT_QUANTUM = 10_000


class Policy:
    """The decisions of a schedule; subclasses override what they vary. ``state()`` is what a
    snapshot saves (None for a stateless policy) and :func:`policy_from_state` rebuilds it."""

    kind = "default"

    def pick(self, sched: "Scheduler", runnable: list["Core"]) -> "Core":
        """The core to run next among two or more runnable ones: the furthest behind in virtual time."""
        return min(runnable, key=sched.machine.time_ps)

    def slice(self, sched: "Scheduler", core: "Core", quantum: int, horizon: int | None) -> int:
        """Instructions for ``core``'s next slice: ``quantum`` (already cut to the run's budget),
        cut at ``horizon`` (cycles to the next timer event, None if none), at least 1."""
        return quantum if horizon is None else max(1, min(quantum, horizon))

    def deliver_now(self, sched: "Scheduler", core: "Core") -> bool:
        """Deliver after ``core``'s slice (True) or hold the delivery back to a later slice."""
        return True

    def save_state(self) -> dict[str, Any] | None:
        return None

    def describe(self) -> str:
        return "default schedule (furthest-behind core, one quantum, delivery after every slice)"


class DefaultPolicy(Policy):
    """psaemu's deterministic schedule (see the module docstring)."""


class ExplorePolicy(Policy):
    """A seeded variation of the schedule (see the module docstring for the bounds)."""

    kind = "explore"

    def __init__(self, seed: int, *, max_lag: int = 2, max_delay: int = 2, rng: int | None = None,
                 held: int = 0) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MASK64:
            raise ConfigError(f"schedule seed {seed!r}: give a number 0..2**64-1")
        for name, value in (("max_lag", max_lag), ("max_delay", max_delay)):
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"schedule {name} {value!r}: give a number of 0 or more")
        self.seed = seed
        self.max_lag = max_lag
        self.max_delay = max_delay
        self._rng = seed if rng is None else rng
        self._held = held

    def _next(self) -> int:
        """splitmix64: a 64-bit pseudo-random number (the same on every Python and host)."""
        self._rng = (self._rng + 0x9E3779B97F4A7C15) & MASK64
        z = self._rng
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def _below(self, n: int) -> int:
        return self._next() % n

    def pick(self, sched: "Scheduler", runnable: list["Core"]) -> "Core":
        time_ps = sched.machine.time_ps
        behind = min(runnable, key=time_ps)
        ahead = max(time_ps(c) for c in runnable)
        if ahead - time_ps(behind) > self.max_lag * sched.quantum * PS_PER_S // behind.clock_hz:
            return behind
        return runnable[self._below(len(runnable))]

    def slice(self, sched: "Scheduler", core: "Core", quantum: int, horizon: int | None) -> int:
        scale = 1 << self._below(quantum.bit_length() + 1)     # log-uniform: 1, 2, 4 ... >= quantum
        n = min(quantum, 1 + self._below(scale))
        return n if horizon is None else max(1, min(n, horizon))

    def deliver_now(self, sched: "Scheduler", core: "Core") -> bool:
        if self._held >= self.max_delay or self._below(2):
            self._held = 0
            return True
        self._held += 1
        return False

    def save_state(self) -> dict[str, Any]:
        return {"kind": self.kind, "seed": self.seed, "max_lag": self.max_lag, "max_delay": self.max_delay,
                "rng": self._rng, "held": self._held}

    def describe(self) -> str:
        return f"explored schedule, seed {self.seed} (max_lag {self.max_lag}, max_delay {self.max_delay})"


def policy_from_state(state: dict[str, Any] | None) -> Policy:
    """The policy a snapshot's ``state()`` describes (None: the default policy)."""
    if state is None:
        return DefaultPolicy()
    if state.get("kind") == ExplorePolicy.kind:
        return ExplorePolicy(state["seed"], max_lag=state["max_lag"], max_delay=state["max_delay"],
                             rng=state["rng"], held=state["held"])
    raise ConfigError(f"schedule policy {state.get('kind')!r} in a snapshot is unknown to this psaemu "
                      f"(it knows 'default' and 'explore')")
