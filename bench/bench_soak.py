#!/usr/bin/env python3
"""Soak: N forwarded psa_calls in one process, RSS sampled over time; memory must stay flat.

    python bench/bench_soak.py [--calls N] [--interval S] [--event-limit N] [--ipc-limit N]

Runs ``images/prebuilt/bench_ipc_host.elf`` with ``bench_calls`` patched to N (default
1,000,000) against the SE firmware, as ``bench_ipc.py`` does, in a single ``Machine.run()``.
A thread samples the process's resident set size and the number of IPC records opened so far
every ``--interval`` seconds. The figure is RSS after warm-up (a tenth of the run: by then the
event log and the IPC monitor have filled their windows and Unicorn its translated-code buffers,
core.TCG_BUFFER_BYTES) against RSS at the end: the target is within +-10 %. The event digest still covers every event, and the dropped counts are printed.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ipc import HOST_IMAGE, SE_IMAGE, data_load_address  # noqa: E402

from psaemu.platform.firmware.images import image_path  # noqa: E402
from psaemu.platform.system.events import DEFAULT_EVENT_LIMIT  # noqa: E402
from psaemu.platform.system.machine import Machine  # noqa: E402
from psaemu.proxy.monitor import DEFAULT_IPC_LIMIT  # noqa: E402
from psaemu.proxy.system import attach_proxy  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1 << 20


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


@dataclass
class Soak:
    calls: int
    warmup_calls: int
    #: (s since start, IPC records opened, RSS bytes, Python's allocated blocks)
    samples: list[tuple[float, int, int, int]] = field(default_factory=list)
    wall: float = 0.0
    events: int = 0
    events_dropped: int = 0
    ipc_dropped: int = 0
    digest: str = ""

    def warm_sample(self) -> tuple[float, int, int, int]:
        """The first sample taken once ``warmup_calls`` IPC records were open (else the last one)."""
        return next((x for x in self.samples if x[1] >= self.warmup_calls), self.samples[-1])

    @property
    def rss_warm(self) -> int:
        return self.warm_sample()[2]

    @property
    def blocks_grown(self) -> int:
        """Python objects' memory blocks allocated between warm-up and the end (native memory aside)."""
        return self.samples[-1][3] - self.warm_sample()[3]

    @property
    def rss_end(self) -> int:
        return self.samples[-1][2]

    @property
    def growth(self) -> float:
        """(end - warm) / warm."""
        return (self.rss_end - self.rss_warm) / self.rss_warm


def soak(calls: int, *, interval: float = 1.0, event_limit: int = DEFAULT_EVENT_LIMIT,
         ipc_limit: int = DEFAULT_IPC_LIMIT, warmup_calls: int | None = None, quantum: int = 10_000) -> Soak:
    """Run the benchmark image for ``calls`` forwarded calls, sampling RSS every ``interval`` s."""
    m = Machine(quantum=quantum, event_limit=event_limit)
    m.load("host", image_path(HOST_IMAGE))
    m.load("se", image_path(SE_IMAGE))
    _, lma = data_load_address(m, "bench_calls")
    m.host.uc.mem_write(lma, struct.pack("<I", calls))
    system = attach_proxy(m, ipc_limit=ipc_limit)
    monitor = system.monitor
    if warmup_calls is None:       # both windows full (22 events a call) twice over, and a tenth of the run:
        warmup_calls = max(2 * max(event_limit // 20, ipc_limit + ipc_limit // 4), calls // 10)   # TCG buffers too
    out = Soak(calls, min(warmup_calls, calls))
    t0 = time.perf_counter()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            out.samples.append((time.perf_counter() - t0, monitor.opened, rss_bytes(), sys.getallocatedblocks()))

    out.samples.append((0.0, 0, rss_bytes(), sys.getallocatedblocks()))
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        result = m.run()
    finally:
        done.set()
        thread.join()
    out.wall = time.perf_counter() - t0
    out.samples.append((out.wall, monitor.opened, rss_bytes(), sys.getallocatedblocks()))
    if not result.ok or f"bench_ipc: {calls} calls ok" not in m.console.lines("host"):
        raise SystemExit(f"soak of {calls} calls did not finish cleanly: {result.reason} {result.message}; "
                         f"Host printed {m.console.lines('host')[-3:]}")
    out.events, out.events_dropped, out.ipc_dropped = len(m.events), m.events.dropped, monitor.dropped
    out.digest = m.events.digest()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between RSS samples")
    ap.add_argument("--event-limit", type=int, default=DEFAULT_EVENT_LIMIT)
    ap.add_argument("--ipc-limit", type=int, default=DEFAULT_IPC_LIMIT)
    ap.add_argument("--warmup-calls", type=int, help="calls before the warm RSS figure (default: a tenth of the "
                                                       "run, at least twice what fills both windows)")
    args = ap.parse_args(argv)
    s = soak(args.calls, interval=args.interval, event_limit=args.event_limit, ipc_limit=args.ipc_limit,
             warmup_calls=args.warmup_calls)
    print(f"{'s':>8} {'calls':>10} {'RSS MB':>8}")
    for t, n, rss, _ in s.samples:
        print(f"{t:8.1f} {n:10,} {rss / MB:8.1f}")
    ok = abs(s.growth) <= 0.10
    print(f"\n{s.calls:,} forwarded calls in {s.wall:.0f} s ({s.calls / s.wall:,.0f}/s)")
    print(f"RSS after warm-up ({s.warmup_calls:,} calls): {s.rss_warm / MB:.1f} MB; at the end: "
          f"{s.rss_end / MB:.1f} MB; growth {100 * s.growth:+.1f} % ({'within' if ok else 'OUTSIDE'} +-10 %)")
    print(f"events {s.events:,} ({s.events_dropped:,} left the window, digest {s.digest[:16]}... covers all); "
          f"IPC records dropped {s.ipc_dropped:,}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
