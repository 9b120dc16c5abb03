#!/usr/bin/env python3
"""IPC benchmark: forwarded psa_call round trips through the PSA Proxy (Host M33 <-> SE M0+).

    python bench/bench_ipc.py [--calls N] [--repeat K] [--quantum Q] [--profile]

``images/prebuilt/bench_ipc_host.elf`` stores a 64-byte ITS asset, connects once to
TFM_ITS_GET (SID 0x71) and issues ``bench_calls`` forwarded ``psa_call``s on that connection
(64 B in over three in_vecs, 64 B out), checking each reply. ``bench_calls`` is patched in
memory after loading. Every figure "per call" is the difference between a run with N calls
and a baseline run of the same image with 0 calls (boot, handshake, ITS set, connect and close
cancel out), divided by N. All runs happen in this process; see bench/README.md.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import struct
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import lief
import unicorn
import unicorn.arm_const as A
from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_MODE_THUMB, Uc

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.board import load_board
from psaemu.platform.system.machine import Machine, RunResult
from psaemu.proxy.mailbox_abi import MAILBOX_PSA_CALL, MAILBOX_PSA_CLOSE, MAILBOX_PSA_CONNECT
from psaemu.proxy.monitor import IpcRecord
from psaemu.proxy.system import ProxySystem, attach_proxy

lief.logging.disable()

HOST_IMAGE, SE_IMAGE = "bench_ipc_host", "se_firmware"
SID_ITS_GET = 0x71
IN_SIZES, OUT_SIZE = [8, 4, 52], 64          # what every benchmark call must forward
NEVER = 0xFFFFFFF0                            # an address no code runs at (as psaemu's core.NEVER)
CPU_MODELS = {"host": A.UC_CPU_ARM_CORTEX_M33, "se": A.UC_CPU_ARM_CORTEX_M0}
US = 1e6


# ----------------------------------------------------------------------------------------
# One run of the benchmark image
# ----------------------------------------------------------------------------------------
def data_load_address(m: Machine, symbol: str) -> tuple[int, int]:
    """(RAM address, load address in flash) of a ``.data`` variable: its PT_LOAD segment's LMA."""
    image = m.host.image
    addr = image.address_of(symbol)
    for seg in image.segments:
        if seg.data and seg.vaddr <= addr < seg.vaddr + len(seg.data):
            return addr, seg.paddr + addr - seg.vaddr
    raise SystemExit(f"{image.path}: {symbol} at {addr:#010x} is in no loaded segment")


def build(calls: int, quantum: int, trace_events: bool = True) -> tuple[Machine, ProxySystem]:
    """Machine with both images, ``bench_calls`` patched at its load address, proxy attached."""
    m = Machine(quantum=quantum, trace_events=trace_events)
    m.load("host", image_path(HOST_IMAGE))
    m.load("se", image_path(SE_IMAGE))
    _, lma = data_load_address(m, "bench_calls")
    m.host.uc.mem_write(lma, struct.pack("<I", calls))
    return m, attach_proxy(m)


@dataclass
class Run:
    calls: int
    setup: float                          # Machine + load + patch + attach_proxy (s)
    wall: float                           # m.run() only (s)
    result: RunResult
    records: list[IpcRecord]
    events: int
    probe: "Probe | None" = None

    @property
    def instructions(self) -> dict[str, int]:
        return self.result.instructions


def bench_records(records: list[IpcRecord]) -> list[IpcRecord]:
    """The CALL records on the TFM_ITS_GET connection: between its CONNECT and the next CLOSE."""
    start = next(i for i, r in enumerate(records) if r.call_type == MAILBOX_PSA_CONNECT and r.sid == SID_ITS_GET)
    end = next(i for i in range(start + 1, len(records)) if records[i].call_type == MAILBOX_PSA_CLOSE)
    return records[start + 1:end]


def check(run: Run, m: Machine) -> None:
    """Exit 0, the image's own verdict line, N good CALL records, bench_calls really was N."""
    r, n = run.result, run.calls
    lines = m.console.lines("host")
    if not r.ok:
        raise SystemExit(f"run with {n} calls did not exit 0: {r.reason} {r.message}\n" + "\n".join(lines[-5:]))
    if f"bench_ipc: {n} calls ok" not in lines:
        raise SystemExit(f"run with {n} calls: the Host printed {lines[-3:]}")
    ram, _ = data_load_address(m, "bench_calls")
    assert m.host.read_word(ram) == n, "the startup code did not copy the patched bench_calls"
    calls = bench_records(run.records)
    good = [c for c in calls if c.call_type == MAILBOX_PSA_CALL and c.status == 0]
    if len(calls) != n or len(good) != n:
        raise SystemExit(f"expected exactly {n} CALL records with status 0 on the ITS get connection, "
                         f"got {len(calls)} records, {len(good)} good")
    for c in calls:
        assert [v.size for v in c.in_vecs] == IN_SIZES, c.format()
        assert [(v.size, v.written) for v in c.out_vecs] == [(OUT_SIZE, OUT_SIZE)], c.format()
        assert c.latency_ps is not None, c.format()


def run_timed(m, gc_on: bool = False):
    """m.run() with the garbage collector paused (or left on: ``gc_on``); returns (result, wall seconds)."""
    gc.collect()
    if not gc_on:
        gc.disable()
    try:
        t0 = time.perf_counter()
        r = m.run()
        return r, time.perf_counter() - t0
    finally:
        gc.enable()


def timed_run(calls: int, quantum: int, trace_events: bool = True, gc_on: bool = False) -> Run:
    t0 = time.perf_counter()
    m, system = build(calls, quantum, trace_events)
    setup = time.perf_counter() - t0
    r, wall = run_timed(m, gc_on)
    run = Run(calls, setup, wall, r, list(system.records), len(m.events))
    check(run, m)
    return run


# ----------------------------------------------------------------------------------------
# Instrumented runs: time inside Uc.emu_start and inside the Python callbacks Unicorn makes
# ----------------------------------------------------------------------------------------
@dataclass
class Probe:
    emu_calls: dict[str, int] = field(default_factory=dict)      # core -> emu_start calls
    emu_time: float = 0.0                                        # s inside emu_start (all cores)
    cb_calls: int = 0                                            # Python callbacks made by Unicorn
    cb_time: float = 0.0                                         # s inside those callbacks


@contextmanager
def instrumented(probe: Probe, core_of: dict[int, str]) -> Iterator[None]:
    """Wrap ``Uc.emu_start`` with a timer, and every Python hook/MMIO callback registered while
    active (the Machine must be built inside). Restores the class attributes afterwards."""
    orig_start, orig_hook, orig_mmio = Uc.emu_start, Uc.hook_add, Uc.mmio_map
    clock = time.perf_counter

    def wrap(fn: Callable[..., Any] | None) -> Callable[..., Any] | None:
        if fn is None:
            return None

        def cb(*args: Any) -> Any:
            t0 = clock()
            try:
                return fn(*args)
            finally:
                probe.cb_time += clock() - t0
                probe.cb_calls += 1
        return cb

    def emu_start(self: Uc, begin: int, until: int, timeout: int = 0, count: int = 0) -> None:
        name = core_of.get(id(self), "?")
        probe.emu_calls[name] = probe.emu_calls.get(name, 0) + 1
        t0 = clock()
        try:
            orig_start(self, begin, until, timeout, count)
        finally:
            probe.emu_time += clock() - t0

    def hook_add(self: Uc, htype: int, callback: Callable[..., Any], *args: Any, **kw: Any) -> int:
        return orig_hook(self, htype, wrap(callback), *args, **kw)

    def mmio_map(self: Uc, address: int, size: int, read_cb: Any, read_ud: Any, write_cb: Any, write_ud: Any) -> None:
        orig_mmio(self, address, size, wrap(read_cb), read_ud, wrap(write_cb), write_ud)

    Uc.emu_start, Uc.hook_add, Uc.mmio_map = emu_start, hook_add, mmio_map       # type: ignore[method-assign]
    try:
        yield
    finally:
        Uc.emu_start, Uc.hook_add, Uc.mmio_map = orig_start, orig_hook, orig_mmio  # type: ignore[method-assign]


def instrumented_run(calls: int, quantum: int) -> Run:
    probe, core_of = Probe(), {}
    with instrumented(probe, core_of):
        t0 = time.perf_counter()
        m, system = build(calls, quantum)
        setup = time.perf_counter() - t0
        core_of.update({id(c.uc): name for name, c in m.cores.items()})
        probe.cb_calls, probe.cb_time = 0, 0.0                   # loading runs no callbacks, but be sure
        r, wall = run_timed(m)
    run = Run(calls, setup, wall, r, list(system.records), len(m.events), probe)
    check(run, m)
    return run


def counting_run(calls: int, quantum: int) -> tuple[Run, dict[str, int]]:
    """Untimed: a Python UC_HOOK_CODE counter on each core gives the instructions really executed."""
    m, system = build(calls, quantum)
    counts = {name: 0 for name in m.cores}
    for name, core in m.cores.items():
        def on_code(uc: Uc, address: int, size: int, _ud: object, name: str = name) -> None:
            counts[name] += 1
        core.uc.hook_add(UC_HOOK_CODE, on_code)
    r = m.run()
    run = Run(calls, 0.0, 0.0, r, list(system.records), len(m.events))
    check(run, m)
    return run, counts


# ----------------------------------------------------------------------------------------
# Baseline: the same number of empty emu_start(count=1) calls on bare Unicorn
# ----------------------------------------------------------------------------------------
def raw_empty_starts(core: str, n: int) -> float:
    """Seconds for ``n`` x ``emu_start(count=1)`` on a bare Uc of the core's CPU model, spinning on ``b .``."""
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)                 # as psaemu's Core: no UC_MODE_MCLASS
    uc.ctl_set_cpu_model(CPU_MODELS[core])
    uc.ctl_set_tcg_buffer_size(64 << 20)
    uc.mem_map(0, 0x1000)
    uc.mem_write(0, b"\xfe\xe7" * 0x800)              # b .
    uc.emu_start(1, NEVER, count=1)                   # translate once, outside the clock
    start = uc.emu_start
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            start(1, NEVER, count=1)
        return time.perf_counter() - t0
    finally:
        gc.enable()


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=1000, help="forwarded psa_calls per run (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per configuration; median reported")
    ap.add_argument("--quantum", type=int, default=10_000, help="psaemu scheduler quantum (instructions)")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one N-call run (top 10 by cumulative and top 15 by own time)")
    args = ap.parse_args(argv)
    n, k, q = args.calls, args.repeat, args.quantum
    if n < 1 or k < 1 or q < 1:
        ap.error("calls, repeat and quantum must be >= 1")
    t_start = time.perf_counter()
    print(f"psaemu IPC benchmark: {n} forwarded psa_call(TFM_ITS_GET) on one connection "
          f"(in 8+4+52 B, out 64 B), quantum {q}, median of {k}")
    print(f"python {sys.version.split()[0]}, unicorn {unicorn.__version__}, images {HOST_IMAGE} + {SE_IMAGE}")

    # -- timed runs, interleaved so drift affects every configuration alike -----------------
    cfg: dict[str, list[Run]] = {key: [] for key in ("n", "zero", "n_gc", "zero_gc", "n_notrace", "zero_notrace",
                                                  "n_probe", "zero_probe")}
    for _ in range(k):
        cfg["n"].append(timed_run(n, q))
        cfg["zero"].append(timed_run(0, q))
        cfg["n_gc"].append(timed_run(n, q, gc_on=True))
        cfg["zero_gc"].append(timed_run(0, q, gc_on=True))
        cfg["n_notrace"].append(timed_run(n, q, trace_events=False))
        cfg["zero_notrace"].append(timed_run(0, q, trace_events=False))
        cfg["n_probe"].append(instrumented_run(n, q))
        cfg["zero_probe"].append(instrumented_run(0, q))

    # Deterministic: every run of a kind must have the same schedule and the same virtual times.
    for key, runs in cfg.items():
        sig = {(tuple(sorted(r.instructions.items())), tuple(x.latency_ps for x in r.records)) for r in runs}
        assert len(sig) == 1, f"{key}: runs differ (the machine should be deterministic)"
    assert cfg["n"][0].instructions == cfg["n_probe"][0].instructions == cfg["n_notrace"][0].instructions

    # -- exact executed instructions (untimed) --------------------------------------------
    t0 = time.perf_counter()
    count_n, exact_n = counting_run(n, q)
    count_0, exact_0 = counting_run(0, q)
    t_count = time.perf_counter() - t0
    assert count_n.instructions == cfg["n"][0].instructions, "the counting hook changed the schedule"

    def med(values: list[float]) -> float:
        return statistics.median(values)

    def per_call(key: str, fn: Callable[[Run], float]) -> float:
        """median over repeats of (N-run value - 0-run value) / N, pairing runs of the same round"""
        base = {"n": "zero", "n_gc": "zero_gc", "n_notrace": "zero_notrace", "n_probe": "zero_probe"}[key]
        return med([(fn(a) - fn(b)) / n for a, b in zip(cfg[key], cfg[base])])

    wall_call = per_call("n", lambda r: r.wall)
    wall_call_gc = per_call("n_gc", lambda r: r.wall)
    wall_call_nt = per_call("n_notrace", lambda r: r.wall)
    probe_wall = per_call("n_probe", lambda r: r.wall)
    emu_call = per_call("n_probe", lambda r: r.probe.emu_time)
    cb_call = per_call("n_probe", lambda r: r.probe.cb_time)
    outside_call = per_call("n_probe", lambda r: r.wall - r.probe.emu_time)
    native_call = emu_call - cb_call
    cbs_per_call = per_call("n_probe", lambda r: r.probe.cb_calls)
    starts = {c: per_call("n_probe", lambda r, c=c: r.probe.emu_calls.get(c, 0)) for c in ("host", "se")}
    events_per_call = per_call("n", lambda r: r.events)

    # -- baseline: the same number of empty emu_start calls on bare Unicorn --------------------
    raw_counts = {c: round(starts[c] * n) for c in starts}
    raw_times = [sum(raw_empty_starts(c, raw_counts[c]) for c in raw_counts) for _ in range(k)]
    raw_call = med(raw_times) / n

    # -- guest work and virtual time ------------------------------------------------------------
    charged = {c: (count_n.instructions[c] - count_0.instructions[c]) / n for c in ("host", "se")}
    exact = {c: (exact_n[c] - exact_0[c]) / n for c in ("host", "se")}
    lat_us = med([x.latency_ps for x in bench_records(cfg["n"][0].records)]) / US
    board = load_board(None)
    clocks = {c: board.cores[c].clock_hz for c in ("host", "se")}
    exact_us = sum(exact[c] / clocks[c] for c in exact) * US
    n_call_records = sum(1 for x in cfg["n"][0].records if x.call_type == MAILBOX_PSA_CALL)
    z_call_records = sum(1 for x in cfg["zero"][0].records if x.call_type == MAILBOX_PSA_CALL)

    # -- report --------------------------------------------------------------------------------
    print()
    hdr = f"{'run (m.run() only; setup separate)':<48} {'wall (median)':>13} {'min..max (s)':>17} {'setup':>8}"
    print(hdr)
    print("-" * len(hdr))
    for label, key in ((f"{n} calls", "n"), ("0 calls (boot, handshake, set, connect, close)", "zero"),
                       (f"{n} calls, garbage collector on", "n_gc"), ("0 calls, garbage collector on", "zero_gc"),
                       (f"{n} calls, trace_events=False", "n_notrace"), ("0 calls, trace_events=False", "zero_notrace"),
                       (f"{n} calls, instrumented (emu_start+hook timers)", "n_probe"),
                       ("0 calls, instrumented", "zero_probe")):
        walls = [r.wall for r in cfg[key]]
        print(f"{label:<48} {med(walls):>11.4f} s {min(walls):>8.4f}..{max(walls):<7.4f} "
              f"{med([r.setup for r in cfg[key]]):>7.3f}s")

    print()
    hdr = f"{'per forwarded call ((N run - 0 run) / N)':<52} {'value':>14} {'share':>8}"
    print(hdr)
    print("-" * len(hdr))

    def line(label: str, value: str, share: str = "") -> None:
        print(f"{label:<52} {value:>14} {share:>8}")

    def pct(x: float, of: float) -> str:
        return f"{100 * x / of:.1f}%"

    line("wall time per call", f"{wall_call * US:.1f} us", "100%")
    line("forwarded round trips per second", f"{1 / wall_call:,.0f} /s")
    line("  same, garbage collector on (psaemu bench)", f"{wall_call_gc * US:.1f} us", pct(wall_call_gc, wall_call))
    line("  round trips per second, garbage collector on", f"{1 / wall_call_gc:,.0f} /s")
    line("  same, trace_events=False", f"{wall_call_nt * US:.1f} us", pct(wall_call_nt, wall_call))
    line("instrumented wall per call (breakdown below)", f"{probe_wall * US:.1f} us", pct(probe_wall, wall_call))
    line("  Python outside Uc.emu_start (scheduler, replies)", f"{outside_call * US:.1f} us",
         pct(outside_call, probe_wall))
    line("  inside Uc.emu_start", f"{emu_call * US:.1f} us", pct(emu_call, probe_wall))
    line("    Python hooks/MMIO called by Unicorn (SVC...)", f"{cb_call * US:.1f} us", pct(cb_call, probe_wall))
    line("    native: guest code, TB lookup, ctypes dispatch", f"{native_call * US:.1f} us",
         pct(native_call, probe_wall))
    line("  Python total (outside + hooks)", f"{(outside_call + cb_call) * US:.1f} us",
         pct(outside_call + cb_call, probe_wall))
    line("emu_start calls per call (host / se)", f"{starts['host']:.2f} / {starts['se']:.2f}")
    line("Python callbacks from Unicorn per call", f"{cbs_per_call:.1f}")
    line("trace events recorded per call", f"{events_per_call:.1f}")
    line(f"baseline: {raw_counts['host'] + raw_counts['se']} empty emu_start(count=1), bare Uc",
         f"{raw_call * US:.1f} us", pct(raw_call, wall_call))
    line("  psaemu wall / baseline", f"{wall_call / raw_call:.1f}x")
    line("  psaemu native part / baseline", f"{native_call / raw_call:.2f}x")
    line("guest instructions executed per call (host / se)", f"{exact['host']:.1f} / {exact['se']:.1f}")
    line("  wall per executed guest instruction", f"{wall_call / (exact['host'] + exact['se']) * 1e9:.0f} ns")
    line("  native part per executed guest instruction", f"{native_call / (exact['host'] + exact['se']) * 1e9:.1f} ns")
    line("instructions charged per call (host / se)", f"{charged['host']:.0f} / {charged['se']:.0f}")
    line("virtual latency per call (IPC records, median)", f"{lat_us:.2f} us")
    line("  guest work alone at the core clocks", f"{exact_us:.2f} us", pct(exact_us, lat_us))

    print()
    print(f"checks: every run exited 0 and printed 'bench_ipc: <N> calls ok'; exactly {n} CALL records (call_type 4) "
          f"with status 0 on the TFM_ITS_GET connection, each in {'+'.join(map(str, IN_SIZES))} B / out {OUT_SIZE} B "
          f"written {OUT_SIZE}; CALL records in all: {n_call_records} (N run) - {z_call_records} (0 run, the "
          f"psa_its_set) = {n_call_records - z_call_records}; runs of each kind identical in instructions and "
          f"latencies")
    print(f"exact counts: Python UC_HOOK_CODE counter per core, untimed runs ({t_count:.1f} s), same schedule as the "
          f"timed runs (equal charged instructions {count_n.instructions})")
    charged_us = sum(charged[c] / clocks[c] for c in charged) * US
    print(f"charged instructions are whole quanta (a slice cut short by an SVC block or a WFI is charged in full), so "
          f"the virtual latency is about charged host / {clocks['host'] / 1e6:g} MHz + charged se / "
          f"{clocks['se'] / 1e6:g} MHz = {charged_us:.2f} us whatever the guest does; lower --quantum for finer "
          f"virtual timing")

    if args.profile:
        print()
        print(f"cProfile of one {n}-call run (m.run() only, quantum {q}), top 10 by cumulative time, "
              f"then top 15 by own time:")
        m, _ = build(n, q)
        prof = cProfile.Profile()
        prof.enable()
        r = m.run()
        prof.disable()
        assert r.ok, r.message
        for order, top in (("cumulative", 10), ("tottime", 15)):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(order).print_stats(top)
            text = out.getvalue()
            print(text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text)

    print(f"\ntotal benchmark time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
