#!/usr/bin/env python3
"""Snapshot benchmark: snapshot and restore a booted regression machine vs building and booting one.

    python bench/bench_snapshot.py [--repeat N] [--after INSNS] [--host IMAGE]

The machine: Musca-B1 with ``regression_host.elf`` + ``se_firmware.elf`` and the PSA Proxy,
run until the proxy's boot handshake is done and then to the first point where no Python
wait is pending (``snapshot.quiescent``): the "booted" machine a test suite would start from.
All figures come from this process, medians of ``--repeat`` runs with the garbage collector off
while the clock runs. "after N" means the machine ran N more instructions (both cores) between
the snapshot and the restore, as a test would; the restore then has that run's memory writes,
event records and IPC records to undo. See bench/README.md.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from typing import Callable

import unicorn

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.platform.testing import snapshot as S
from psaemu.proxy.system import ProxySystem, attach_proxy

BUDGET = 50_000_000
US = 1e6


HOST = "regression_host"


def build() -> tuple[Machine, ProxySystem]:
    m = Machine()
    m.load("host", image_path(HOST))
    m.load("se", image_path("se_firmware"))
    return m, attach_proxy(m)


def boot(m: Machine, system: ProxySystem) -> None:
    r = m.run_until(lambda m: system.proxy.ready and S.quiescent(m), max_instructions=BUDGET)
    if r.reason != "until":
        raise SystemExit(f"boot did not reach the handshake: {r.reason} {r.message}")


def timed(fn: Callable[[], object]) -> float:
    gc.disable()
    try:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t
    finally:
        gc.enable()


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def fmt(seconds: float) -> str:
    us = seconds * US
    return f"{us:9.1f} us" if us < 10_000 else f"{us / 1000:9.2f} ms"


def row(label: str, xs: list[float], note: str = "") -> None:
    spread = f"[{fmt(min(xs)).strip()} .. {fmt(max(xs)).strip()}]" if len(xs) > 1 else ""
    print(f"  {label:<58} {fmt(med(xs))}  {spread:<26} {note}")


def store_total(m: Machine) -> int:
    return sum(s.size for s in m.memory.stores.values())


def booted_with_mode(mode: str) -> tuple[Machine, ProxySystem]:
    """A booted machine whose snapshots use memory ``mode`` (chosen at its first snapshot)."""
    old = os.environ.get("PSAEMU_SNAPSHOT_MEMORY")
    os.environ["PSAEMU_SNAPSHOT_MEMORY"] = mode
    try:
        m, system = build()
        boot(m, system)
        S._tracks(m)
    finally:
        if old is None:
            os.environ.pop("PSAEMU_SNAPSHOT_MEMORY", None)
        else:
            os.environ["PSAEMU_SNAPSHOT_MEMORY"] = old
    return m, system


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=9, help="runs per figure; median reported (default 9)")
    ap.add_argument("--after", type=int, default=200_000,
                    help="instructions run between snapshot and restore (default 200000)")
    ap.add_argument("--host", default=HOST, help=f"prebuilt Host image (default {HOST})")
    args = ap.parse_args(argv)
    globals()["HOST"] = args.host
    k, after = args.repeat, args.after
    if k < 1 or after < 1:
        ap.error("repeat and after must be >= 1")
    print(f"psaemu snapshot benchmark: {HOST} + se_firmware + PSA Proxy on musca_b1, booted to the handshake; "
          f"median of {k}; Unicorn {unicorn.__version__}, Python {sys.version.split()[0]}")
    mode = S.memory_mode()
    print(f"memory mode of this platform: {mode}" + (f" ({S._os().reason})" if mode != "cow" else
                                                     " (kernel copy-on-write memfd bases + pagemap)"))

    # -- from scratch ------------------------------------------------------------------------
    builds, boots, totals = [], [], []
    for _ in range(k):
        holder: list = []
        builds.append(timed(lambda: holder.append(build())))
        m, system = holder[0]
        boots.append(timed(lambda: boot(m, system)))
        totals.append(builds[-1] + boots[-1])
    print(f"\nfrom scratch (instructions to the booted point: host {m.host.instructions}, se {m.se.instructions}; "
          f"{len(m.events)} events, {len(system.records)} IPC records)")
    row("build: Machine() + load both ELFs + attach_proxy", builds)
    row("boot: run to the handshake, quiescent", boots)
    row("build + boot", totals)

    # -- snapshot and restore (this platform's memory mode) -------------------------------------
    m, system = build()
    boot(m, system)
    first = timed(lambda: m.snapshot())
    snaps = []
    holder = []
    for _ in range(k):
        snaps.append(timed(lambda: holder.append(m.snapshot())))
    snap = holder[-1]
    print(f"\nsnapshot / restore of the booted machine ({store_total(m) / 2**20:.1f} MiB of memory in "
          f"{len(m.memory.stores)} stores)")
    row("first snapshot (creates the stores' bases)", [first])
    row("snapshot", snaps)
    same = [timed(lambda: m.restore(snap)) for _ in range(k)]
    row("restore, nothing changed since the snapshot", same)
    after_n, after_end, mem_only, ends = [], [], [], []
    for _ in range(k):
        m.run(max_instructions=after)
        after_n.append(timed(lambda: m.restore(snap)))
    for _ in range(k):
        m.run(max_instructions=after)
        changed: list = []
        mem_only.append(timed(lambda: changed.append(S._restore_memory(m, snap._memory))))
        S._invalidate(m, changed[0])
        m.restore(snap)
    for _ in range(max(1, k // 3)):
        r = m.run(max_instructions=BUDGET)
        ends.append((len(m.events), len(system.records)))
        after_end.append(timed(lambda: m.restore(snap)))
    row(f"restore after {after} instructions", after_n)
    row("  of which memory (pagemap, MADV_DONTNEED, overlay)", mem_only)
    row(f"restore after the whole suite ran ({r.reason} {r.exit_code})", after_end,
        f"(drops {ends[-1][0] - snap.events} events, {ends[-1][1] - len(snap._state['proxy']['records'])} records)")

    # -- translation cache: precise invalidation vs flushing everything ------------------------
    precise, flushed = [], []
    for _ in range(k):
        m.run(max_instructions=after)
        m.restore(snap)
        precise.append(timed(lambda: m.run(max_instructions=after)))
        m.restore(snap)
        S.FLUSH_ALL_ON_RESTORE = True
        try:
            m.run(max_instructions=after)
            m.restore(snap)
        finally:
            S.FLUSH_ALL_ON_RESTORE = False
        flushed.append(timed(lambda: m.run(max_instructions=after)))
        m.restore(snap)
    print(f"\nrunning {after} instructions right after a restore (translation cache)")
    row("changed pages dropped (ctl_remove_cache), the default", precise)
    row("whole cache flushed (ctl_flush_tb on both cores)", flushed)

    # -- memory approaches ----------------------------------------------------------------------
    print(f"\nmemory part of a restore after {after} instructions, by approach ({store_total(m) / 2**20:.1f} MiB)")
    cm, csys = booted_with_mode("copy")
    csnap = cm.snapshot()
    refs = {name: img.contents() for name, img in csnap._memory.items()}
    stores = list(cm.memory.stores.values())

    def full_copy() -> None:
        for s in stores:
            s.buf[:s.size] = refs[s.name]

    def equal_then_copy() -> None:
        for s in stores:
            if s.buf[:s.size] != refs[s.name]:
                s.buf[:s.size] = refs[s.name]

    results = {}
    for label, fn in (("A full copy of every store (slice assignment)", full_copy),
                      ("B bytes equality per store, copy the ones that differ", equal_then_copy),
                      ("C memcmp per 64 KiB chunk, copy changed chunks (copy mode)",
                       lambda: S._restore_memory(cm, csnap._memory))):
        xs = []
        for _ in range(k):
            cm.run(max_instructions=after)
            xs.append(timed(fn))
            cm.restore(csnap)
        results[label] = xs
    if mode == "cow":
        results["D kernel copy-on-write: pagemap + MADV_DONTNEED + overlay (cow mode)"] = mem_only
    for label, xs in results.items():
        row(label, xs)
    copy_restore = []
    for _ in range(k):
        cm.run(max_instructions=after)
        copy_restore.append(timed(lambda: cm.restore(csnap)))
    row(f"whole restore in copy mode, after {after} instructions", copy_restore)

    # -- registers -----------------------------------------------------------------------------
    uc = m.host.uc
    ctx = uc.context_save()
    n = 2000
    t_save = timed(lambda: [uc.context_save() for _ in range(n)]) / n
    t_restore = timed(lambda: [uc.context_restore(ctx) for _ in range(n)]) / n
    print(f"\nUnicorn contexts (registers only, {ctx.size} bytes): context_save {t_save * US:.2f} us, "
          f"context_restore {t_restore * US:.2f} us per core")

    # -- summary -------------------------------------------------------------------------------
    boot_t = med(totals)
    print("\nsummary")
    print(f"  build + boot from scratch  {fmt(boot_t)}")
    print(f"  snapshot                   {fmt(med(snaps))}   ({boot_t / med(snaps):,.0f}x faster than build + boot)")
    print(f"  restore (nothing changed)  {fmt(med(same))}   ({boot_t / med(same):,.0f}x faster)")
    print(f"  restore after {after:<12} {fmt(med(after_n))}   ({boot_t / med(after_n):,.0f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
