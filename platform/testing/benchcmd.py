"""``psaemu bench``: the performance scenarios measured side by side in one process run, as a
table or JSON, so each ratio compares figures taken on the same machine at the same time.

Scenarios: forwarded ``psa_call`` round trips per second (64 B in / 64 B out on one open
connection, garbage collector on, event trace at its default level); the Host CRC loop under
psaemu against a bare Unicorn running the same image free (no ``count=``); start-up of
``psaemu run --help`` and of the default ``psaemu run``. bench/README.md explains the figures.
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import struct
import subprocess
import sys
import time
from typing import Any, Callable

from psaemu.platform.errors import PsaEmuError

#: Gross-regression floors of ``--check``: half of a conservative figure for a loaded machine.
FLOORS = {"ipc_calls_per_s": 1_000 / 2, "crc_vs_raw": 0.05 / 2}
CEILINGS = {"help_s": 1.0, "run_s": 4.0}
NEVER = 0xFFFFFFF0
INTR_BKPT, SYS_EXIT_EXTENDED = 7, 0x20
#: Host memory of the bare Unicorn run: the board's RAM/flash and plain pages where the image touches MMIO.
RAW_HOST_MAP = ((0x10000000, 8 << 20), (0x1A000000, 2 << 20), (0x1A200000, 2 << 20), (0x1A400000, 512 << 10),
                (0x30000000, 512 << 10), (0x50102000, 0x1000), (0x5010B000, 0x1000), (0xE000E000, 0x1000))


class BenchError(PsaEmuError):
    """A benchmark scenario did not run as it must (wrong exit, missing output)."""


def add_bench_parser(sub: Any) -> argparse.ArgumentParser:
    """The ``bench`` subcommand's options."""
    p = sub.add_parser("bench", help="measure psa_call throughput, compute speed against bare Unicorn and "
                                     "start-up, side by side; a table or --json")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument("--calls", type=int, default=2000, metavar="N", help="forwarded psa_calls per run (default 2000)")
    p.add_argument("--repeat", type=int, default=3, metavar="K", help="runs per figure, median kept (default 3)")
    p.add_argument("--quick", action="store_true", help="a smoke run of a few seconds (200 calls, 1 repeat)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when a figure is grossly off (below half of a conservative floor): for CI")
    p.set_defaults(func=cmd_bench)
    return p


def _median(fn: Callable[[], float], repeat: int) -> float:
    return statistics.median(fn() for _ in range(repeat))


def _ipc_wall(calls: int) -> float:
    from psaemu.platform.firmware.images import image_path
    from psaemu.platform.system.machine import Machine
    from psaemu.proxy.system import attach_proxy

    m = Machine()
    m.load("host", image_path("bench_ipc_host"))
    m.load("se", image_path("se_firmware"))
    image = m.host.image
    addr = image.address_of("bench_calls")
    seg = next(s for s in image.segments if s.data and s.vaddr <= addr < s.vaddr + len(s.data))
    m.host.uc.mem_write(seg.paddr + addr - seg.vaddr, struct.pack("<I", calls))     # its load address
    attach_proxy(m)
    gc.collect()
    t0 = time.perf_counter()
    result = m.run()
    wall = time.perf_counter() - t0
    if not result.ok or f"bench_ipc: {calls} calls ok" not in m.console.lines("host"):
        raise BenchError(f"bench_ipc_host with {calls} calls: {result.reason} {result.message}")
    return wall


def ipc_calls_per_s(calls: int, repeat: int) -> float:
    """Round trips per second: (wall of N calls - wall of 0 calls) / N, each a median."""
    per = _median(lambda: _ipc_wall(calls), repeat) - _median(lambda: _ipc_wall(0), repeat)
    return calls / per


def _crc_psaemu() -> float:
    from psaemu.platform.firmware.images import image_path
    from psaemu.platform.system.machine import Machine

    m = Machine()
    m.load("host", image_path("crc_host"))
    t0 = time.perf_counter()
    result = m.run()
    wall = time.perf_counter() - t0
    if not result.ok:
        raise BenchError(f"crc_host under psaemu: {result.reason} {result.message}")
    return wall


def _crc_raw() -> float:
    """The same image on a bare Unicorn: no hooks but the semihosting exit, run free to the exit."""
    import unicorn.arm_const as A
    from unicorn import UC_ARCH_ARM, UC_HOOK_INTR, UC_MODE_THUMB, Uc

    from psaemu.platform.firmware.images import image_path
    from psaemu.platform.firmware.loader import read_image

    image = read_image(image_path("crc_host"), "v8m", "host")
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M33)
    for base, size in RAW_HOST_MAP:
        uc.mem_map(base, size)
    for seg in image.segments:
        if seg.data:
            uc.mem_write(seg.paddr, seg.data)
    vt = image.vector_table or 0
    msp, reset_pc = struct.unpack("<II", uc.mem_read(vt, 8))
    uc.reg_write(A.UC_ARM_REG_SP, msp & ~3)
    done: list[str] = []

    def on_intr(uc: Uc, intno: int, _ud: object) -> None:
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)
        if intno != INTR_BKPT or uc.reg_read(A.UC_ARM_REG_R0) == SYS_EXIT_EXTENDED:
            done.append("exit" if intno == INTR_BKPT else f"exception {intno} at {pc:#010x}")
            uc.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)
    t0 = time.perf_counter()
    uc.emu_start(reset_pc | 1, NEVER)
    wall = time.perf_counter() - t0
    if done != ["exit"]:
        raise BenchError(f"crc_host on bare Unicorn did not reach its exit: {done or 'stopped'}")
    return wall


def _cli_seconds(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "psaemu.platform.cli", *args], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False, timeout=120)
    return time.perf_counter() - t0


def measure(calls: int, repeat: int) -> dict[str, float]:
    """Every figure of the table, measured now in this process (and its children)."""
    raw, emu = _median(_crc_raw, repeat), _median(_crc_psaemu, repeat)
    return {"ipc_calls_per_s": ipc_calls_per_s(calls, repeat),
            "crc_raw_s": raw, "crc_psaemu_s": emu, "crc_vs_raw": raw / emu,
            "help_s": _median(lambda: _cli_seconds(["run", "--help"]), repeat),
            "run_s": _median(lambda: _cli_seconds(["run", "-q"]), repeat)}


def failures(fig: dict[str, float]) -> list[str]:
    """The figures grossly off their floor or ceiling."""
    out = [f"{k} {fig[k]:.3g} < {v:.3g}" for k, v in FLOORS.items() if fig[k] < v]
    return out + [f"{k} {fig[k]:.3g} s > {v:.3g} s" for k, v in CEILINGS.items() if fig[k] > v]


def cmd_bench(args: argparse.Namespace) -> int:
    calls, repeat = (200, 1) if args.quick else (args.calls, args.repeat)
    fig = measure(calls, repeat)
    if args.json:
        print(json.dumps({**fig, "calls": calls, "repeat": repeat}, indent=1))
    else:
        print(f"{'scenario':<44} {'figure':>14}")
        print(f"{'forwarded psa_call, 64 B in/out, gc on':<44} {fig['ipc_calls_per_s']:>11,.0f} /s")
        print(f"{'Host CRC loop: bare Unicorn free-run':<44} {fig['crc_raw_s']:>12.4f} s")
        print(f"{'Host CRC loop: psaemu (SE none)':<44} {fig['crc_psaemu_s']:>12.4f} s")
        print(f"{'  psaemu speed / bare Unicorn':<44} {fig['crc_vs_raw']:>13.3f}x")
        print(f"{'psaemu run --help':<44} {fig['help_s']:>12.3f} s")
        print(f"{'psaemu run (default suite)':<44} {fig['run_s']:>12.3f} s")
        print(f"(median of {repeat}; {calls} calls per run)")
    bad = failures(fig) if args.check else []
    for line in bad:
        print(f"psaemu bench: gross regression: {line}", file=sys.stderr)
    return 1 if bad else 0
