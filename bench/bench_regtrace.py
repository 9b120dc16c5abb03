#!/usr/bin/env python3
"""Register-trace benchmark: instructions/s of psaemu with no trace, a block trace and a register
trace (native hook), in the same process, and the trace file sizes.

    python bench/bench_regtrace.py [--passes N] [--repeat K] [--quantum Q]

Runs the CRC Host image alone (``crc_host.elf`` with ``crc_passes`` patched to N as
bench_crc.py does; the SE gets no image) to its exit and reports the median wall time of K runs
per configuration, as instructions charged per second. The register-trace run also reports
bytes per instruction of the delta format against 68 for a full record (17 registers). A Python
``UC_HOOK_CODE`` reading the same 17 registers (the oracle of tests/platform/test_regtrace.py)
is timed over its first 200,000 instructions. See bench/README.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from unicorn import UC_HOOK_CODE
from unicorn import arm_const as A

from psaemu.platform.debug.regtrace import REGS, RegTrace, why_unavailable
from psaemu.platform.system.machine import Machine

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_crc as B  # noqa: E402  (the CRC image helpers: patching crc_passes)

IDS = [getattr(A, f"UC_ARM_REG_{n.upper()}") for n in REGS]


def timed(image: Path, quantum: int, n: int | None, setup) -> tuple[float, int]:
    """(seconds, instructions charged) of one run (to the exit, or ``n`` instructions) after ``setup(machine)``."""
    m = Machine(console=lambda core, line: None, quantum=quantum)
    m.load("host", image)
    setup(m)
    t = time.perf_counter()
    m.run(max_instructions=n, timeout=600)
    wall = time.perf_counter() - t
    m.stop_tracing()
    return wall, m.host.instructions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=16, help="Host crc_passes (default 16)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quantum", type=int, default=10_000)
    args = ap.parse_args()
    why = why_unavailable()
    if why:
        print(f"register traces unavailable: {why}", file=sys.stderr)
        return 1
    q = args.quantum
    tmp = Path(tempfile.mkdtemp())
    image = tmp / "crc_host.elf"
    B.patch_passes(B.PREBUILT / "crc_host.elf", image, args.passes)
    rt, bt = tmp / "t.rt", tmp / "t.bt"

    def python_hook(m: Machine) -> None:
        uc = m.host.uc
        seen: list = []
        uc.hook_add(UC_HOOK_CODE, lambda u, a, s, d: seen.append(tuple(u.reg_read(r) for r in IDS)))
        uc.ctl_flush_tb()

    configs = [("no trace", None, lambda m: None),
               ("block trace (addresses)", None, lambda m: m.trace_blocks("host", str(bt))),
               ("register trace (native hook)", None, lambda m: m.trace_registers("host", str(rt))),
               ("Python UC_HOOK_CODE reading 17 registers", 200_000, python_hook)]
    print(f"crc_host, {args.passes} passes, quantum {q}, median of {args.repeat}")
    for name, count, setup in configs:
        runs = [timed(image, q, count, setup) for _ in range(args.repeat)]
        wall = statistics.median(w for w, _ in runs)
        done = runs[0][1]
        line = f"{name:<42} {done / wall / 1e6:8.2f} M instr/s  ({done} instructions, {wall:.2f} s)"
        if "register" in name and "native" in name:
            size = rt.stat().st_size
            line += f"  file {size / 1e6:.1f} MB, {size / done:.2f} bytes/instr"
        if name.startswith("block"):
            line += f"  file {bt.stat().st_size / 1e6:.2f} MB"
        print(line, flush=True)
    t = time.perf_counter()
    k = sum(1 for _ in RegTrace(rt))
    print(f"{'reading the register trace (RegTrace)':<42} {k / (time.perf_counter() - t) / 1e6:8.2f} M records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
