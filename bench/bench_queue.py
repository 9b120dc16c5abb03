#!/usr/bin/env python3
"""Mailbox queue benchmark: 1 vs 4 slots (forwarded calls in flight at once) and the blocking
vs non-blocking proxy wait.

    python bench/bench_queue.py [--calls N] [--repeat K]

Slots: four scripted clients (psaemu.proxy.client) each hold an ITS_GET connection; a round
starts one 64-byte get per client (``begin_call``) and then waits for all four (``finish``).
With one slot (TF-M v1.3) the four calls go through the mailbox one after another; with four,
they are in the queue together and the SE firmware serves every pending slot per doorbell.
Figures: calls per second of virtual time (what the emulated system achieves) and of wall time.

Blocking vs non-blocking: ``images/prebuilt/nonblock_host.elf`` (four SHA-256 hashes of 4 KiB on
the SE with SysTick every 2000 Host cycles) run as shipped and with ``--lift non-blocking``:
the SysTick ticks the Host counted during its calls, and the wall time of the run.
"""
from __future__ import annotations

import argparse
import re
import statistics
import struct
import time

from psaemu.platform.errors import ImageError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.builder import MachineSpec, build_machine
from psaemu.proxy.client import SID_ITS_GET, PsaClient, boot_se_only
from psaemu.proxy.status import PsaStatus

CLIENTS = 4
ASSET = bytes(range(64))


def slots_run(n_slots: int, calls: int) -> tuple[float, float]:
    """(calls per virtual second, calls per wall second) of ``calls`` gets from 4 clients."""
    m, system = boot_se_only(machine_options={"mailbox_slots": n_slots})
    base, size = system.psa.scratch.base, system.psa.scratch.size // (CLIENTS + 1)
    clients = [PsaClient(system, scratch=(base + (i + 1) * size, size)) for i in range(CLIENTS)]
    for i in range(CLIENTS):
        assert system.psa.its_set(0x500 + i, ASSET) == PsaStatus.PSA_SUCCESS
    handles = [c.connect(SID_ITS_GET) for c in clients]
    args = [[struct.pack("<Q", 0x500 + i), struct.pack("<I", 0)] for i in range(CLIENTS)]
    t0, v0 = time.perf_counter(), m.now_ps
    done = 0
    while done < calls:
        ids = [c.begin_call(h, 0, a, [64]) for c, h, a in zip(clients, handles, args)]
        for c, i in zip(clients, ids):
            r = c.finish(i)
            assert r.status == PsaStatus.PSA_SUCCESS and r.outputs == [ASSET]
        done += CLIENTS
    wall, virtual = time.perf_counter() - t0, (m.now_ps - v0) / 1e12
    return done / virtual, done / wall


def wait_run(lift: list[str]) -> tuple[int, float]:
    """(SysTick ticks during the calls, wall seconds) of nonblock_host."""
    m = build_machine(MachineSpec(images={"host": str(image_path("nonblock_host"))}, lift=lift, console=None))
    t0 = time.perf_counter()
    result = m.run(max_instructions=50_000_000)
    wall = time.perf_counter() - t0
    assert result.exit_code == 0, result.message
    text = m.console.text("host")
    found = re.search(r"ticks_in_calls=(\d+)", text)
    if found is None:
        raise ImageError(f"{image_path('nonblock_host')}: its console has no 'ticks_in_calls=<n>' line "
                         f"(console tail: {text[-200:]!r}); rebuild the image (make -C images)")
    return int(found.group(1)), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=400, help="forwarded gets per slot configuration (default 400)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per configuration; the median is shown")
    args = ap.parse_args()
    print(f"{'configuration':<28}{'calls/s virtual':>16}{'calls/s wall':>14}")
    for n in (1, 4):
        runs = [slots_run(n, args.calls) for _ in range(args.repeat)]
        v = statistics.median(r[0] for r in runs)
        w = statistics.median(r[1] for r in runs)
        print(f"{f'{n} slot(s), 4 clients':<28}{v:>16,.0f}{w:>14,.0f}")
    print(f"\n{'wait':<28}{'ticks in calls':>16}{'wall s':>14}")
    for label, lift in (("blocking (TF-M v1.3)", []), ("non-blocking", ["non-blocking"])):
        runs = [wait_run(lift) for _ in range(args.repeat)]
        print(f"{label:<28}{runs[0][0]:>16}{statistics.median(r[1] for r in runs):>14.2f}")


if __name__ == "__main__":
    main()
