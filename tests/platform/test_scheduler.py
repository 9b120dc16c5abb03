"""The machine's one Scheduler (psaemu.platform.system.scheduler) and its pluggable policies
(psaemu.platform.system.schedpolicy)."""
from __future__ import annotations

import pytest

from psaemu.platform.cpu.core import CoreState
from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.platform.system.schedpolicy import DefaultPolicy, ExplorePolicy, Policy
from psaemu.platform.system.scheduler import PS_PER_S


def pingpong(policy: Policy | None = None, quantum: int = 10_000) -> Machine:
    m = Machine(quantum=quantum, policy=policy)
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    return m


class Recording(DefaultPolicy):
    """The default decisions, each one written down with what it was decided from."""

    def __init__(self) -> None:
        self.picks: list[tuple[list[int], int]] = []
        self.slices: list[tuple[int, int | None, int]] = []

    def pick(self, sched, runnable):
        core = super().pick(sched, runnable)
        self.picks.append(([sched.machine.time_ps(c) for c in runnable], sched.machine.time_ps(core)))
        return core

    def slice(self, sched, core, quantum, horizon):
        n = super().slice(sched, core, quantum, horizon)
        self.slices.append((quantum, horizon, n))
        return n


def test_machine_run_is_the_schedulers_run():
    a, b = pingpong(), pingpong()
    ra, rb = a.run(), b.scheduler.run()
    assert (ra.reason, ra.exit_code) == (rb.reason, rb.exit_code) == ("exit", 0)
    assert a.events.digest() == b.events.digest()


def race(policy: Policy | None = None) -> Machine:
    """The racy two-slot mailbox (images/race): both cores poll, so both are runnable at once."""
    m = Machine(policy=policy)
    m.load("host", image_path("race_host"))
    m.load("se", image_path("race_se"))
    return m


def test_default_policy_runs_the_furthest_behind_core_for_a_quantum_cut_at_the_timer():
    rec = Recording()
    m = race(rec)
    assert m.run().ok
    assert len(rec.picks) > 10 and all(chosen == min(times) for times, chosen in rec.picks)
    assert all(n == (q if h is None else max(1, min(q, h))) for q, h, n in rec.slices)
    assert m.events.digest() == _digest(race())


def _digest(m: Machine) -> str:
    m.run()
    return m.events.digest()


def test_a_plugged_policy_decides_and_a_correct_protocol_still_passes():
    class SeFirstShortSlices(Policy):
        kind = "test"
        calls = 0

        def pick(self, sched, runnable):
            self.calls += 1
            return next((c for c in runnable if c.name == "se"), runnable[0])

        def slice(self, sched, core, quantum, horizon):
            return 37

    policy = SeFirstShortSlices()
    m = pingpong(policy)
    result = m.run()
    assert result.ok and policy.calls > 0
    assert m.events.digest() != _digest(pingpong())


@pytest.mark.parametrize("seed", range(6))
def test_pingpong_passes_under_explored_schedules(seed):
    assert pingpong(ExplorePolicy(seed)).run().ok       # a protocol with proper handshakes never races


def test_explore_policy_is_deterministic_per_seed_and_varies_between_seeds():
    d3 = [_digest(pingpong(ExplorePolicy(3))) for _ in range(2)]
    assert d3[0] == d3[1]
    assert len({_digest(pingpong(ExplorePolicy(s))) for s in range(4)}) > 1


def test_explore_policy_stays_within_its_bounds():
    class Checked(ExplorePolicy):
        held_max = 0
        lags: list[int] = []

        def pick(self, sched, runnable):
            core = super().pick(sched, runnable)
            times = [sched.machine.time_ps(c) for c in runnable]
            bound = self.max_lag * sched.quantum * PS_PER_S // min(runnable, key=sched.machine.time_ps).clock_hz
            if max(times) - min(times) > bound:
                assert sched.machine.time_ps(core) == min(times)
            return core

        def slice(self, sched, core, quantum, horizon):
            n = super().slice(sched, core, quantum, horizon)
            assert 1 <= n <= quantum and (horizon is None or n <= max(1, horizon))
            return n

        def deliver_now(self, sched, core):
            now = super().deliver_now(sched, core)
            Checked.held_max = max(Checked.held_max, self._held)
            return now

    m = pingpong(Checked(11, max_delay=2), quantum=2000)
    assert m.run().ok
    assert Checked.held_max == 2


def test_bad_seeds_and_bounds_are_config_errors():
    with pytest.raises(ConfigError, match="schedule seed -1"):
        ExplorePolicy(-1)
    with pytest.raises(ConfigError, match="max_delay"):
        ExplorePolicy(1, max_delay=-2)


def test_snapshot_keeps_the_schedule_and_continues_bit_identically():
    m = pingpong(ExplorePolicy(5))
    assert m.run(max_instructions=30_000).reason == "budget"
    snap = m.snapshot()
    m.run()
    first = m.events.digest()
    m.restore(snap)
    assert isinstance(m.scheduler.policy, ExplorePolicy) and m.scheduler.policy.seed == 5
    m.run()
    assert m.events.digest() == first


def test_run_until_without_a_debugger():
    m = pingpong()
    result = m.scheduler.run_until(lambda mm: mm.se.state is not CoreState.OFF, quantum=100)
    assert result.reason == "until" and m.se.state is not CoreState.OFF
    assert m.scheduler.quantum == 10_000 and m.scheduler.until is None


def test_step_runs_one_core_alone():
    m = pingpong()
    host_before = m.host.instructions
    m.scheduler.step(m.host, 5)
    assert m.host.instructions == host_before + 5
    assert m.se.cycles == 0 and m.se.state is CoreState.OFF


def test_a_reset_request_is_delivered_to_that_core_only_when_delivering_to_it():
    m = pingpong()
    m.scheduler.step(m.host, 50)
    m.scheduler.request_reset(m.host)
    pc = m.host.pc
    m.scheduler.deliver(m.se)
    assert m.host.pc == pc and m.scheduler.pending_resets == {"host"}
    m.scheduler.deliver(m.host)
    assert m.scheduler.pending_resets == set() and m.host.pc != pc
