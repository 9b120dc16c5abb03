"""The one scheduler of a machine: it runs the cores for ``Machine.run``, the debugger and the GDB server.

Virtual time counts instructions per core (one per cycle at the core's clock). Between slices the
scheduler ticks the timers of the core that ran, brings idle cores' clocks up to it and delivers:
pending resets, the Python agents (the PSA Proxy), resumed waits and pending interrupts. Sleeping
cores are skipped and time jumps to the next timer event when every core waits. Nothing depends
on the host's speed, so the same inputs give the same event trace.

What runs next is the :class:`~psaemu.platform.system.schedpolicy.Policy`'s choice (which runnable core,
for how many instructions, deliver now or a little later); the default policy runs the core
furthest behind in virtual time for one quantum, cut at the next timer event, and delivers after
every slice. An :class:`Observer` (the debugger) is told about every step of a run and may stop it.

Public API: :meth:`Scheduler.run`, :meth:`Scheduler.run_until`, :meth:`Scheduler.step` (one core
alone), :meth:`Scheduler.deliver`, :meth:`Scheduler.tick`, :meth:`Scheduler.sync_idle`,
:meth:`Scheduler.next_timer_ps`, :meth:`Scheduler.end_result`, and ``state``/``restore_state``.
"""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Protocol

from psaemu.platform.cpu.blockcount import enabled as free_runs_enabled
from psaemu.platform.cpu.core import Core, CoreState
from psaemu.platform.cpu.faults import fault_report
from psaemu.platform.cpu.nvic import SYSTICK
from psaemu.platform.errors import ConfigError, EmuTimeoutError, FaultError, PsaEmuError
from psaemu.platform.system.gcpolicy import rarer_full_collections
from psaemu.platform.system.schedpolicy import DefaultPolicy, Policy, policy_from_state

if TYPE_CHECKING:
    from psaemu.platform.system.machine import Machine, RunResult

PS_PER_S = 10**12
#: Zero-time delivery rounds while only Python agents act (they answer each other), before idling.
AGENT_ROUNDS = 1000
#: A free run stops at least every this many quanta (the wall-clock timeout is checked between runs).
FREE_QUANTA = 1000
#: Counted slices a core runs before trying a free run again, after one that ended within its
#: first quantum (code that talks to the machine often: each switch retranslates its code): 1,
#: doubling with every such run in a row up to this, back to 1 after a longer free run.
FREE_BACKOFF = 64


class Observer(Protocol):
    """What watches a run and may stop it (the debugger). Every method but ``after_run`` and
    ``take_stop`` returns True when the run must stop; ``take_stop`` then gives the stop."""

    def before_run(self) -> bool: ...
    def before_slice(self, core: Core, quantum: int) -> int: ...    # 0: stop before running ``core``
    def after_slice(self, core: Core) -> bool: ...
    def after_delivery(self, core: Core | None) -> bool: ...
    def until_reached(self, core: Core | None) -> bool: ...         # a run_until condition became true
    def take_stop(self) -> Any: ...
    def after_run(self) -> None: ...


class Scheduler:
    """Runs the cores of one machine (``Machine.scheduler``); ``policy`` and ``observer`` are pluggable."""

    def __init__(self, machine: "Machine", quantum: int, policy: Policy | None = None) -> None:
        if not isinstance(quantum, int) or isinstance(quantum, bool) or quantum < 1:
            raise ConfigError(f"quantum {quantum!r}: give a number of instructions of 1 or more")
        self.machine = machine
        self.quantum = quantum
        self.policy: Policy = policy if policy is not None else DefaultPolicy()
        #: The debugger once it exists; told about every slice and delivery of a run.
        self.observer: Observer | None = None
        #: A ``run_until`` condition, evaluated after every slice and every delivery.
        self.until: Callable[["Machine"], bool] | None = None
        self.pending_resets: set[str] = set()
        self.agents_acted = False
        self._until_core: Core | None = None
        #: Run a lone core without ``count=`` slices when nothing else can happen (see :meth:`_free_ok`
        #: and docs/benchmarks.md): on unless ``PSAEMU_FREE_RUN=0``; same results as counted slices.
        self._free_skip: dict[str, int] = {}
        self._free_backoff: dict[str, int] = {}
        self.free_run = free_runs_enabled()
        self._free_warned = False

    # -- state (snapshots) ----------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """What a snapshot saves of the scheduler: quantum, pending resets, the policy's state and
        the free-run back-off (a restored machine goes on exactly as the saved one would)."""
        return {"quantum": self.quantum, "pending_resets": sorted(self.pending_resets),
                "agents_acted": self.agents_acted, "policy": self.policy.save_state(),
                "free_skip": dict(self._free_skip), "free_backoff": dict(self._free_backoff)}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.quantum = state["quantum"]
        self.pending_resets = set(state["pending_resets"])
        if state.get("agents_acted") is not None:
            self.agents_acted = state["agents_acted"]
        self.policy = policy_from_state(state.get("policy"))
        self._free_skip = dict(state.get("free_skip", {}))
        self._free_backoff = dict(state.get("free_backoff", {}))

    # -- requests -------------------------------------------------------------------------
    def request_reset(self, core: Core) -> None:
        """Reset ``core`` at the next delivery (a system reset request from its own code)."""
        self.pending_resets.add(core.name)

    # -- time -----------------------------------------------------------------------------
    def live(self) -> list[Core]:
        """The cores that are neither held in reset nor halted."""
        return [c for c in self.machine.cores.values() if c.state not in (CoreState.OFF, CoreState.HALTED)]

    def tick(self, core: Core) -> None:
        """Advance ``core``'s SysTick to its clock; pend the SysTick exception when it fires."""
        if core.systick.advance(core.cycles) and core.systick.ctrl & 2:
            core.nvic.set_pending(SYSTICK)
            self.machine.events.record(core, "systick")

    def sync_idle(self, now_ps: int) -> None:
        """Bring sleeping/blocked cores' clocks up to ``now_ps`` and fire their timer events."""
        for c in self.live():
            if c.state is not CoreState.RUNNING:
                target = now_ps * c.clock_hz // PS_PER_S
                if target > c.cycles:
                    c.cycles = target
                self.tick(c)

    def next_timer_ps(self, cores: list[Core], ceil: bool = False) -> int | None:
        """Virtual time of the next timer event of ``cores``, rounded down (or up with ``ceil``).

        Jumping idle cores forward needs ``ceil``: converting a rounded-down time back to cycles
        (``sync_idle``) can land one cycle short of the event when the clock period is not a
        whole number of picoseconds (40.96 MHz), and the idle loop would never reach it.
        """
        times = []
        for c in cores:
            n = c.systick.cycles_to_event(c.cycles)
            if n is not None:
                ps = (c.cycles + n) * PS_PER_S
                times.append(-(-ps // c.clock_hz) if ceil else ps // c.clock_hz)
        return min(times) if times else None

    # -- delivery -------------------------------------------------------------------------
    def deliver(self, only: Core | None = None) -> None:
        """Between slices: pending resets, the agents (Python models), resumed waits and pending
        interrupts, for every core or, with ``only``, for that core alone (the others frozen)."""
        m = self.machine
        if self.pending_resets:
            names = sorted(self.pending_resets) if only is None else \
                [only.name] if only.name in self.pending_resets else []
            for name in names:
                m.cores[name].reset()
            self.pending_resets.difference_update(names)
        acted = False
        for agent in m.agents:
            acted = bool(agent()) or acted
        for c in (m.cores.values() if only is None else (only,)):
            acted = c.check_blocked() or acted
            c.take_interrupts()
        self.agents_acted = acted

    # -- one core alone -------------------------------------------------------------------
    def step(self, core: Core, n: int = 1) -> int:
        """Run ``n`` instructions of ``core`` alone (the other cores frozen) and tick its timer;
        the instructions charged."""
        ran = core.run_slice(n)
        self.tick(core)
        return ran

    # -- runs -----------------------------------------------------------------------------
    def run_until(self, until: Callable[["Machine"], bool] | None, max_instructions: int | None = None,
                  timeout: float | None = None, quantum: int | None = None) -> "RunResult":
        """:meth:`run` until ``until(machine)`` is true (checked after every slice and delivery,
        so at most one slice late: ``quantum`` makes slices shorter for this run)."""
        if quantum is not None and (not isinstance(quantum, int) or quantum < 1):
            raise PsaEmuError(f"quantum {quantum}: give a positive number of instructions")
        saved = self.quantum, self.until
        self.quantum = quantum if quantum is not None else self.quantum
        self.until = until
        try:
            return self.run(max_instructions, timeout)
        finally:
            self.quantum, self.until = saved

    def run(self, max_instructions: int | None = None, timeout: float | None = None) -> "RunResult":
        """Run until a firmware exit, a fault, a budget, an observer's stop, or a state nothing can leave."""
        with rarer_full_collections():
            return self._run(max_instructions, timeout)

    def _run(self, max_instructions: int | None, timeout: float | None) -> "RunResult":
        m = self.machine
        start = time.monotonic()
        deadline = start + timeout if timeout else None
        executed = 0
        m.stopping = False
        self.pending_resets = set()
        obs = self.observer
        policy = self.policy
        if obs is not None and obs.before_run():
            return self._stopped(start)
        self.deliver()
        quiet_rounds = 0
        delivered = True
        while m.exit is None and m.faulted is None and m.panic is None:
            live = self.live()
            runnable = [c for c in live if c.state is CoreState.RUNNING]
            if not runnable:
                if not delivered:                    # the policy held a delivery back: it is due now
                    delivered = True
                    self.deliver()
                    continue
                if self.agents_acted and quiet_rounds < AGENT_ROUNDS:     # zero-time exchanges between agents
                    quiet_rounds += 1
                    self.deliver()
                    if (obs is not None or self.until is not None) and self._after_delivery(None):
                        return self._stopped(start)
                    continue
                if not live:
                    return self._finish(start, "deadlock", EmuTimeoutError(
                        "no core can run: every core is held in reset, halted or has no image:\n"
                        + m.describe_cores()))
                wake = self.next_timer_ps(live, ceil=True)
                stuck = self._blocked_over_budget(live)
                if stuck:
                    return self._finish(start, "timeout", stuck)
                if wake is None:
                    return self._finish(start, "deadlock", EmuTimeoutError(
                        "every core is waiting and nothing can wake it:\n" + m.describe_cores()))
                self.sync_idle(wake)
                self.deliver()
                if (obs is not None or self.until is not None) and self._after_delivery(None):
                    return self._stopped(start)
                if deadline is not None and time.monotonic() > deadline:
                    return self._wall_timeout(start, timeout)
                continue
            core = runnable[0] if len(runnable) == 1 else policy.pick(self, runnable)
            quantum = self.quantum
            if max_instructions is not None:
                quantum = min(quantum, max_instructions - executed)
                if quantum <= 0:
                    return self._finish(start, "budget", EmuTimeoutError(
                        f"instruction budget of {max_instructions} used up; raise --max-instructions or look "
                        f"at where the cores are:\n" + m.describe_cores()))
            event = self.next_timer_ps(live)       # the next timer event of any live core, this one included
            horizon = None if event is None else (event * core.clock_hz + PS_PER_S - 1) // PS_PER_S - core.cycles
            if self.free_run and horizon is None and max_instructions is None and self._free_ok(core, live):
                ran = core.run_free(self.quantum, FREE_QUANTA * self.quantum)
                executed += ran
                if ran <= self.quantum:           # cut short at once: counted slices for a while
                    back = min(FREE_BACKOFF, 2 * self._free_backoff.get(core.name, 0) or 1)
                    self._free_backoff[core.name] = self._free_skip[core.name] = back
                else:
                    self._free_backoff[core.name] = 0
                quiet_rounds = 0
                self.tick(core)
                self.sync_idle(m.time_ps(core))
                self.deliver()
                if deadline is not None and time.monotonic() > deadline:
                    return self._wall_timeout(start, timeout)
                continue
            pos = core.take_free_pos()
            if pos:                               # a free run left a virtual slice half done
                quantum = max(1, quantum - pos)
            quantum = policy.slice(self, core, quantum, horizon)
            if obs is not None:
                quantum = obs.before_slice(core, quantum)
                if not quantum:                   # the core is on a breakpoint
                    return self._stopped(start)
            executed += core.run_slice(quantum)
            quiet_rounds = 0
            if obs is not None and obs.after_slice(core):
                return self._stopped(start)
            if self.until is not None and self._until_true(core):
                return self._stopped(start)
            if any(c.state is CoreState.BLOCKED for c in live):
                stuck = self._blocked_over_budget(live)
                if stuck:
                    return self._finish(start, "timeout", stuck)
            self.tick(core)
            self.sync_idle(m.time_ps(core))
            delivered = policy.deliver_now(self, core)
            if delivered:
                self.deliver()
                if (obs is not None or self.until is not None) and self._after_delivery(core):
                    return self._stopped(start)
            if deadline is not None and time.monotonic() > deadline:
                return self._wall_timeout(start, timeout)
        return self.end_result(start)

    def _free_ok(self, core: Core, live: list[Core]) -> bool:
        """Whether ``core`` may run free (:meth:`Core.run_free`): it is the only core that can run,
        no timer is armed (checked by the caller), nothing watches the run (observer, condition,
        traces), the schedule is the default one, no Python agent or blocked wait polls memory
        the core might write, and the other cores sleep (only this core's actions can wake them,
        and those end a free run)."""
        if self.observer is not None or self.until is not None or self.pending_resets or self.machine.agents \
                or self.policy.kind != "default" or core.on_skip is not None or core.on_break is not None:
            return False
        if any(c is not core and c.state not in (CoreState.SLEEPING, CoreState.WAITING) for c in live):
            return False
        skip = self._free_skip.get(core.name)
        if skip:                                  # recent free runs ended at once: not worth the switch
            self._free_skip[core.name] = skip - 1
            return False
        if core.free_available():
            return True
        self.check_free_run(failed=True)
        return False

    def check_free_run(self, failed: bool = False) -> bool:
        """Whether free runs (asked for) can be used on this host; if not, say so once on stderr,
        and why (no C compiler, ``PSAEMU_FREE_RUN=0``...). ``failed``: a core's counter failed."""
        from psaemu.platform.cpu.blockcount import why_unavailable

        why = why_unavailable() or ("the native block counter could not be hooked into Unicorn" if failed else None)
        if why is not None and not self._free_warned:
            self._free_warned = True
            print(f"psaemu: warning: free runs are off: {why}; runs use counted slices (same results, slower)",
                  file=sys.stderr, flush=True)
        return why is None

    # -- stops and results ----------------------------------------------------------------
    def _after_delivery(self, core: Core | None) -> bool:
        obs = self.observer
        if obs is not None and obs.after_delivery(core):
            return True
        return self.until is not None and self._until_true(core)

    def _until_true(self, core: Core | None) -> bool:
        m = self.machine
        if not self.until(m):
            return False
        if self.observer is not None:
            return self.observer.until_reached(core)
        if m.exit is not None or m.faulted is not None or m.panic is not None:
            return False                        # the machine's own ending wins
        self._until_core = core
        return True

    def _stopped(self, start: float) -> "RunResult":
        """The result of a run the observer (or a ``run_until`` condition) stopped."""
        if self.observer is None:
            core = self._until_core
            return self._finish(start, "until", None, 0, "condition true", core.name if core else None)
        stop = self.observer.take_stop()
        return self._finish(start, stop.reason, None, 0, stop.format(), stop.core, stop)

    def _wall_timeout(self, start: float, timeout: float | None) -> "RunResult":
        return self._finish(start, "timeout", EmuTimeoutError(
            f"wall-clock timeout of {timeout} s reached; the cores were:\n" + self.machine.describe_cores()))

    def end_result(self, start: float) -> "RunResult | None":
        """The result of a machine that has ended (panic, fault, exit), or None if it has not;
        ``start`` is the ``time.monotonic()`` the run began at."""
        m = self.machine
        if m.panic is not None:
            return self._finish(start, "panic", m.panic)
        if m.faulted is not None:
            report = fault_report(m.faulted)
            return self._finish(start, "fault", FaultError(m.faulted.fault.summary(), report))
        if m.exit is None:
            return None
        core, code, why = m.exit
        return self._finish(start, "exit", None, code, f"{core.name} exited with status {code} ({why})", core.name)

    def _blocked_over_budget(self, live: list[Core]) -> EmuTimeoutError | None:
        for c in live:
            b = c.block
            if c.state is CoreState.BLOCKED and b and b.budget_cycles is not None and \
                    c.cycles - b.started > b.budget_cycles:
                return EmuTimeoutError(f"core {c.name!r} waited {c.cycles - b.started} cycles for {b.what} "
                                       f"(budget {b.budget_cycles}); nothing answered:\n"
                                       + self.machine.describe_cores())
        return None

    def _finish(self, start: float, reason: str, error: PsaEmuError | None, code: int | None = None,
                message: str = "", core: str | None = None, stop: Any = None) -> "RunResult":
        from psaemu.platform.system.machine import RunResult
        m = self.machine
        m.console.flush()
        m.flush()
        if self.observer is not None:
            self.observer.after_run()
        if error is not None and code is None:
            code = error.exit_code
            message = str(error)
        return RunResult(reason, code if code is not None else 0, message, core,
                         {n: c.instructions for n, c in m.cores.items()}, time.monotonic() - start,
                         m.now_ps / PS_PER_S, error, stop)
