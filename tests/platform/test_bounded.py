"""Bounded memory by design: the event log and the IPC monitor keep a window of records, count
what left it, and the event digest still covers every record; a long run keeps flat memory."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.events import FOLD_BLOCK, EventLog
from psaemu.platform.system.machine import Machine
from psaemu.proxy.client import SID_ITS_GET, boot_se_only
from psaemu.proxy.monitor import IpcMonitor, IpcRecord

BENCH = Path(__file__).resolve().parents[2] / "bench"


class _Clock:
    """What EventLog.record needs of a core: a name and a machine with time_ps."""

    def __init__(self) -> None:
        self.name, self.machine, self.t = "host", self, 0

    def time_ps(self, _core: object) -> int:
        self.t += 1
        return self.t


def _log(n: int, limit: int, *, vary: int = -1) -> EventLog:
    log, core = EventLog(limit=limit), _Clock()
    for i in range(n):
        log.record(core, "tick", i=i, odd=(i == vary))
    return log


def test_event_log_keeps_a_window_counts_the_rest_and_digests_everything():
    n = 3 * FOLD_BLOCK + 123
    small, big = _log(n, 1000), _log(n, 10 * n)
    assert len(small) == len(big) == n and big.dropped == 0 and small.dropped == n - len(small.records)
    assert 1000 <= len(small.records) < 1000 + FOLD_BLOCK
    assert small.records == big.records[-len(small.records):]
    # the digest does not depend on the window, and a change in a dropped record changes it
    assert small.digest() == big.digest()
    assert _log(n, 1000, vary=5).digest() != small.digest()
    assert small.since(n - 3) == big.records[-3:]
    # before the first fold the digest is the flat SHA-256 of every packed row
    few = _log(10, 1000)
    assert few.digest() == hashlib.sha256(b"".join(repr(r).encode() for r in few.rows)).hexdigest()
    assert few.records[3] == (4, "host", "tick", (("i", 3), ("odd", False)))     # rows read as records


def test_event_log_state_round_trip_and_dropped_note(tmp_path):
    log = _log(2 * FOLD_BLOCK + 50, 100)
    state, digest = log.state(), log.digest()
    for i in range(5000):
        log.record(_Clock(), "more", i=i)
    log.restore(state)
    assert log.digest() == digest and len(log) == 2 * FOLD_BLOCK + 50
    out = tmp_path / "events.txt"
    log.write(str(out))
    first = out.read_text().splitlines()[0]
    assert first.startswith(f"# {log.dropped} earlier events not kept (event log limit 100)")


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True])
def test_limits_are_checked(bad):
    with pytest.raises(ConfigError, match="limit"):
        Machine(event_limit=bad)
    with pytest.raises(ConfigError, match="IPC monitor limit"):
        IpcMonitor(limit=bad)


def test_ipc_monitor_window_sequence_numbers_and_since():
    mon = IpcMonitor(limit=8)
    recs = [mon.open(IpcRecord(0, 4, -1)) for _ in range(30)]
    assert [r.seq for r in recs] == list(range(1, 31)) and mon.opened == 30
    assert 8 <= len(mon.records) < 10 and mon.records[-1] is recs[-1]
    assert mon.dropped == 30 - len(mon.records)
    assert mon.since(27) == recs[27:]
    assert "earlier IPC records not kept (IPC monitor limit 8)" in mon.dropped_note()


def test_scripted_calls_past_the_windows_keep_their_records_and_snapshots_work():
    m, system = boot_se_only(machine_options={"event_limit": 200})
    system.monitor.limit = 4
    psa = m.psa
    uid = (7).to_bytes(8, "little")
    assert psa.its_set(7, b"x" * 16) == 0
    snap = m.snapshot()
    digest, n = m.events.digest(), len(m.events)
    for _ in range(100):                    # ~50 events a call: past limit + FOLD_BLOCK
        r = psa.call(SID_ITS_GET, 0, [uid, b"\0" * 4], [16])
        assert r.status == 0 and r.outputs == [b"x" * 16]
        assert [x.seq for x in r.records] == list(range(r.records[0].seq, r.records[0].seq + 3))
    assert m.events.dropped > 0 and system.monitor.dropped > 0
    m.restore(snap)
    assert m.events.digest() == digest and len(m.events) == n


def _bench_soak():
    spec = importlib.util.spec_from_file_location("bench_soak", BENCH / "bench_soak.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_soak", module)
    spec.loader.exec_module(module)
    return module


#: Growth allowed between warm-up (3,000 calls) and the end of a 12,000-call soak with small
#: windows. Python's allocated blocks catch a leak of Python objects: the windows churn by a few
#: ten thousand blocks, unbounded IPC records would add ~100,000 and unbounded events ~1,000,000.
#: RSS also sees native memory (Unicorn's translated-code buffers fill by ~3 MB meanwhile).
SOAK_GROWTH_BLOCKS = 40_000
SOAK_GROWTH_BYTES = 12 << 20


def test_short_soak_keeps_memory_flat():
    s = _bench_soak().soak(12_000, interval=0.2, event_limit=2_000, ipc_limit=500, warmup_calls=3_000)
    assert s.events_dropped > 0 and s.ipc_dropped > 0
    assert s.blocks_grown < SOAK_GROWTH_BLOCKS, f"{s.blocks_grown} Python blocks more after call 3,000: {s.samples}"
    grown = s.rss_end - s.rss_warm
    assert grown < SOAK_GROWTH_BYTES, f"RSS grew {grown / 2**20:.1f} MB from call 3,000 to 12,000: {s.samples}"


def test_event_log_digest_text_is_the_rows_repr_even_for_equal_values_of_other_types():
    """The digest hashes ``repr`` of each packed row; the text kept per (core, kind, names) must
    not merge 1, True, 1.0 and an IntEnum (equal dict keys), nor fail on an unhashable value."""
    import enum

    class Kind(enum.IntEnum):
        ONE = 1

    log, core = EventLog(), _Clock()
    for value in (1, True, Kind.ONE, 1.0, [1], 1, "it's", True, (1, 2), (True, 2), 0.0, -0.0, None, b"x"):
        log.record(core, "v", a=value)
        log.record(core, "w", a=value, b=2)
        log.record(core, "u", a=value)                   # the same fields under another kind
    assert log.digest() == hashlib.sha256("".join(map(repr, log.rows)).encode()).hexdigest()
    other = [(t, "se", kind, names, values) for t, _, kind, names, values in log.rows]   # ... and another core
    assert log._text(log.rows + other) == "".join(map(repr, log.rows + other))
    # hot callers pass the names (sorted) and the values: the same row as the keyword form
    log.put(core, "w", ("a", "b"), (7, 2))
    log.record(core, "w", b=2, a=7)
    assert log.rows[-1][2:] == log.rows[-2][2:] == ("w", ("a", "b"), (7, 2))
