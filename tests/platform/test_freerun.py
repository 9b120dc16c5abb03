"""Free runs (a lone core without count= slices): same event trace, counts and results as the
counted schedule, on the CRC and compute images and on dual-core IPC images, at several quanta,
including quanta that put slice boundaries inside blocks with peripheral and SCS accesses and
inside IT blocks."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psaemu.platform.cpu.core import Core
from psaemu.platform.system.machine import Machine

PREBUILT = Path(__file__).resolve().parents[2] / "images" / "prebuilt"
PAIRS = {
    "crc_host": {"host": "crc_host.elf"},
    "crc_both": {"host": "crc_host.elf", "se": "crc_se.elf"},
    "pingpong": {"host": "pingpong_host.elf", "se": "pingpong_se.elf"},
    "exc": {"host": "exc_host.elf", "se": "exc_se.elf"},
    "compute": {"host": "compute_host.elf"},
}


def _run(images: dict[str, str], free: bool, quantum: int) -> tuple:
    m = Machine(quantum=quantum)
    for core, elf in images.items():
        m.load(core, PREBUILT / elf)
    m.scheduler.free_run = free
    r = m.run(timeout=60)
    lines = {c: m.console.lines(c) for c in images}
    engaged = sum(c._free.state.misses for c in m.cores.values() if c._free)
    return (r.reason, r.exit_code, dict(r.instructions), m.now_ps, len(m.events), m.events.digest(), lines), engaged


@pytest.mark.parametrize("quantum", [10_000, 997])
@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_free_run_gives_the_counted_trace(pair: str, quantum: int) -> None:
    counted, _ = _run(PAIRS[pair], False, quantum)
    free, engaged = _run(PAIRS[pair], True, quantum)
    assert counted[0] == "exit" and counted[1] == 0
    assert free == counted
    if pair.startswith("crc") or pair == "compute":
        assert engaged, "the CRC and compute images must take the free path (Host alone, no timer)"


@pytest.mark.parametrize("quantum", [7, 13, 101])
def test_conditional_instructions_at_slice_boundaries(quantum: int, tmp_path: Path) -> None:
    """The compute image's hot loops hold IT blocks: small quanta put slice boundaries inside them,
    where count= runs the rest of the IT block uncounted (blockcount.c psaemu_cond)."""
    from psaemu.platform.testing.benchcmd import patch_word

    host = tmp_path / "compute_host.elf"
    patch_word(PREBUILT / "compute_host.elf", host, "compute_iterations", 30)
    counted, _ = _run({"host": str(host)}, False, quantum)
    free, engaged = _run({"host": str(host)}, True, quantum)
    assert counted[0] == "exit" and engaged and free == counted


@pytest.mark.parametrize(("pair", "quantum", "drops"), [("pingpong", 7, True), ("pingpong", 13, True),
                                                      ("exc", 7, True), ("exc", 13, True), ("exc", 15, True)])
def test_accesses_in_blocks_across_a_slice_boundary(pair: str, quantum: int, drops: bool,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Quanta that put slice boundaries inside blocks with MHU/SCS accesses (the access is then
    dropped and run again counted) and at unmasking exits (exc 13)."""
    dropped = []
    free_access = Core._free_access

    def counting(self: Core, uc) -> bool:
        drop = free_access(self, uc)
        dropped.append(drop)
        return drop
    counted, _ = _run(PAIRS[pair], False, quantum)
    monkeypatch.setattr(Core, "_free_access", counting)
    free, engaged = _run(PAIRS[pair], True, quantum)
    assert engaged and any(dropped) == drops and free == counted


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(pair=st.sampled_from(["exc", "pingpong"]), quantum=st.integers(1, 600))
def test_free_run_gives_the_counted_trace_at_any_quantum(pair: str, quantum: int) -> None:
    assert _run(PAIRS[pair], True, quantum)[0] == _run(PAIRS[pair], False, quantum)[0]


def test_free_run_on_by_default_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSAEMU_FREE_RUN", raising=False)
    assert Machine().scheduler.free_run is True
    monkeypatch.setenv("PSAEMU_FREE_RUN", "0")
    assert Machine().scheduler.free_run is False
