"""``psaemu bench``: the performance scenarios measured side by side in one process run, as a
table or JSON, so each ratio compares figures taken on the same machine at the same time.

Scenarios: forwarded ``psa_call`` round trips per second (64 B in / 64 B out on one open
connection, garbage collector on, event trace at its default level); the Host CRC loop under
psaemu against a bare Unicorn running the same image free (no ``count=``); the CoreMark-style
compute image (images/compute/) under psaemu (counted slices and free runs, the SE absent),
bare Unicorn and, when installed, qemu-system-arm on the same objects linked for mps2-an505;
start-up of ``psaemu run --help`` and of the default ``psaemu run`` with and without Python's
bytecode cache, and building and booting a machine to "mailbox ready". bench/README.md explains
the figures.
"""
from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from psaemu.platform.errors import PsaEmuError

#: Gross-regression floors of ``--check``: half of a conservative figure for a loaded machine.
#: compute_vs_raw: the target is 0.5 of bare Unicorn with the SE asleep (free runs), so the floor is 0.25.
FLOORS = {"ipc_calls_per_s": 1_000 / 2, "crc_vs_raw": 0.05 / 2, "compute_vs_raw": 0.5 / 2}
CEILINGS = {"help_s": 1.0, "run_s": 4.0}
NEVER = 0xFFFFFFF0
INTR_BKPT, SYS_WRITE0, SYS_EXIT_EXTENDED = 7, 0x04, 0x20
#: Iterations of the compute image per timed run (full, --quick).
COMPUTE_ITERATIONS, COMPUTE_QUICK = 2000, 600
#: qemu runs this many times the rounds: its process start (~0.1 s) must not swamp the work.
QEMU_SCALE = 10
COMPUTE_LINE = re.compile(r"compute: (\d+) ([0-9a-f]{8})")
QEMU = ("-M", "mps2-an505", "-cpu", "cortex-m33", "-display", "none", "-monitor", "none", "-serial", "none",
        "-chardev", "stdio,id=sh0", "-semihosting-config", "enable=on,target=native,chardev=sh0")
#: Host memory of the bare Unicorn run: the board's RAM/flash and plain pages where the image touches MMIO.
RAW_HOST_MAP = ((0x10000000, 8 << 20), (0x1A000000, 2 << 20), (0x1A200000, 2 << 20), (0x1A400000, 512 << 10),
                (0x30000000, 512 << 10), (0x50102000, 0x1000), (0x5010B000, 0x1000), (0xE000E000, 0x1000))


class BenchError(PsaEmuError):
    """A benchmark scenario did not run as it must (wrong exit, missing output)."""


def add_bench_parser(sub: Any) -> argparse.ArgumentParser:
    """The ``bench`` subcommand's options."""
    p = sub.add_parser("bench", help="measure psa_call throughput, compute speed against bare Unicorn and qemu, "
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
    import statistics  # with fractions and decimal: ~7 ms that `psaemu run --help` need not pay

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


def _psaemu_host(elf: Path | str, free_run: bool = False) -> tuple[float, Any]:
    """Wall time of ``Machine.run()`` with only this Host image loaded (the SE has no image and stays
    off), and the machine; ``free_run``: the scheduler's free runs on."""
    from psaemu.platform.system.machine import Machine

    m = Machine()
    m.load("host", elf)
    m.scheduler.free_run = free_run
    gc.collect()
    t0 = time.perf_counter()
    result = m.run()
    wall = time.perf_counter() - t0
    if not result.ok:
        raise BenchError(f"{elf} under psaemu: {result.reason} {result.message}")
    return wall, m


def _crc_psaemu() -> float:
    from psaemu.platform.firmware.images import image_path

    return _psaemu_host(image_path("crc_host"), free_run=True)[0]      # the default: free runs


@dataclass
class RawRun:
    """One run of a Host image on a bare Unicorn: wall time of ``emu_start``, what it printed
    through semihosting, and the exact instruction count when it was counted."""

    wall: float
    output: str
    instructions: int | None


def raw_host_run(elf: Path | str, count: bool = False) -> RawRun:
    """Run a Host image free (no ``count=``) on a bare Unicorn: the Cortex-M33 model, the board's
    Host RAM/flash and plain pages where images touch MMIO, one hook for semihosting (output and
    exit). ``count``: also count the instructions with psaemu's native counter
    (platform/cpu/blockcount.py; a run to measure, not to time): the instructions Unicorn's
    ``count=`` would count (condition-failed ones in IT blocks left out)."""
    import unicorn.arm_const as A
    from unicorn import UC_ARCH_ARM, UC_HOOK_INTR, UC_MODE_THUMB, Uc

    from psaemu.platform.cpu.blockcount import counter_for
    from psaemu.platform.firmware.loader import read_image

    image = read_image(str(elf), "v8m", "host")
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
    out = bytearray()

    def on_intr(uc: Uc, intno: int, _ud: object) -> None:
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)
        op = uc.reg_read(A.UC_ARM_REG_R0)
        if intno == INTR_BKPT and op == SYS_WRITE0:
            addr = uc.reg_read(A.UC_ARM_REG_R1)
            while (c := uc.mem_read(addr, 1)) != b"\0" and len(out) < 4096:
                out.extend(c)
                addr += 1
        elif intno != INTR_BKPT or op == SYS_EXIT_EXTENDED:
            done.append("exit" if intno == INTR_BKPT else f"exception {intno} at {pc:#010x}")
            uc.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)
    counter = counter_for(uc) if count else None
    if count and counter is None:
        raise BenchError("no exact instruction count: psaemu's native block counter is unavailable (a host C "
                         "compiler, cc or $CC, and a writable cache directory are needed; PSAEMU_FREE_RUN not 0)")
    if counter is not None:
        counter.attach()
        counter.arm(1 << 62)
    t0 = time.perf_counter()
    uc.emu_start(reset_pc | 1, NEVER)
    while counter is not None and counter.state.stopped == 3 and not done and counter.hook_it():
        counter.state.stopped = 0                  # an IT block got its code hook: run on
        uc.emu_start(uc.reg_read(A.UC_ARM_REG_PC) | 1, NEVER)
    wall = time.perf_counter() - t0
    if done != ["exit"]:
        raise BenchError(f"{elf} on bare Unicorn did not reach its exit: {done or 'stopped'}")
    return RawRun(wall, out.decode("latin-1"), None if counter is None else int(counter.state.count))


def _crc_raw() -> float:
    from psaemu.platform.firmware.images import image_path

    return raw_host_run(image_path("crc_host")).wall


def patch_word(src: Path | str, dst: Path, symbol: str, value: int) -> None:
    """Copy the ELF ``src`` to ``dst`` with the initial value of the ``.data`` word ``symbol`` set to
    ``value``: the word is written in the file bytes of the PT_LOAD segment that holds it, so any
    loader (psaemu, bare Unicorn, qemu) starts with it."""
    from psaemu.platform.firmware.loader import read_image

    addr = read_image(str(src), "v8m", "host").address_of(symbol)
    raw = bytearray(Path(src).read_bytes())
    phoff, = struct.unpack_from("<I", raw, 0x1C)
    phentsize, phnum = struct.unpack_from("<HH", raw, 0x2A)
    for i in range(phnum):
        ptype, offset, vaddr, _paddr, filesz = struct.unpack_from("<5I", raw, phoff + i * phentsize)
        if ptype == 1 and vaddr <= addr and addr + 4 <= vaddr + filesz:
            struct.pack_into("<I", raw, offset + addr - vaddr, value)
            dst.write_bytes(raw)
            return
    raise BenchError(f"{src}: {symbol} at {addr:#010x} is in no file-backed PT_LOAD segment; link it in .data")


def _compute_line(text: str, where: str, iterations: int) -> int:
    """The checksum from the image's "compute: N XXXXXXXX" line (N must be ``iterations``)."""
    m = COMPUTE_LINE.search(text)
    if m is None or int(m.group(1)) != iterations:
        raise BenchError(f"{where}: no 'compute: {iterations} <checksum>' line in its output {text[-200:]!r}")
    return int(m.group(2), 16)


def _qemu_wall(elf: Path, iterations: int) -> float:
    """Wall time of one qemu-system-arm run of the an505 link, process start to exit; its checksum checked."""
    qemu = shutil.which("qemu-system-arm") or "qemu-system-arm"
    t0 = time.perf_counter()
    proc = subprocess.run([qemu, *QEMU, "-kernel", str(elf)], capture_output=True, text=True, timeout=300,
                          check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise BenchError(f"qemu-system-arm on {elf}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    _compute_line(proc.stdout, f"qemu-system-arm on {elf}", iterations)
    return wall


def compute_figures(iterations: int, repeat: int, qemu: bool = True) -> dict[str, Any]:
    """The compute image with ``iterations`` rounds: psaemu (counted slices, free runs; SE absent),
    bare Unicorn free and, when ``qemu`` and qemu-system-arm is installed, qemu on the an505 link;
    speeds from one exact instruction count. qemu's time is (N-round run - 0-round run), so its
    process start and machine set-up cancel out."""
    from psaemu.platform.firmware.images import image_path

    with tempfile.TemporaryDirectory(prefix="psaemu-bench-") as tmp:
        host = Path(tmp) / "compute_host.elf"
        patch_word(image_path("compute_host"), host, "compute_iterations", iterations)
        counted = raw_host_run(host, count=True)
        checksum = _compute_line(counted.output, "compute_host on bare Unicorn", iterations)
        n = counted.instructions or 0

        def psaemu(free_run: bool) -> float:
            wall, m = _psaemu_host(host, free_run)
            got = _compute_line("\n".join(m.console.lines("host")), "compute_host under psaemu", iterations)
            if got != checksum:
                raise BenchError(f"compute_host: psaemu printed {got:08x}, bare Unicorn {checksum:08x}")
            return wall

        raw = _median(lambda: raw_host_run(host).wall, repeat)
        counted_s, free_s = _median(lambda: psaemu(False), repeat), _median(lambda: psaemu(True), repeat)
        fig: dict[str, Any] = {
            "compute_iterations": iterations, "compute_checksum": f"{checksum:08x}", "compute_instructions": n,
            "compute_raw_s": raw, "compute_psaemu_counted_s": counted_s, "compute_psaemu_s": free_s,
            "compute_raw_mips": n / raw / 1e6, "compute_psaemu_mips": n / free_s / 1e6,
            "compute_vs_raw": raw / free_s, "compute_counted_vs_raw": raw / counted_s}
        if qemu and shutil.which("qemu-system-arm"):
            fig.update(_qemu_figures(Path(tmp), iterations * QEMU_SCALE, max(repeat, 3)))
            fig["compute_psaemu_vs_qemu"] = fig["compute_psaemu_mips"] / fig["compute_qemu_mips"]
    return fig


def _qemu_figures(tmp: Path, iterations: int, repeat: int) -> dict[str, float]:
    """qemu-system-arm's speed on the an505 link: (N-round run - 0-round run) wall times, so its
    process start and machine set-up cancel out, over the instructions the N rounds add (counted
    on the Host link of the same objects)."""
    from psaemu.platform.firmware.images import image_path

    walls, counts = [], []
    for n in (iterations, 0):
        an505, host = tmp / f"compute_an505_{n}.elf", tmp / f"compute_host_{n}.elf"
        patch_word(image_path("compute_an505"), an505, "compute_iterations", n)
        patch_word(image_path("compute_host"), host, "compute_iterations", n)
        counts.append(raw_host_run(host, count=True).instructions or 0)
        walls.append(_median(lambda: _qemu_wall(an505, n), repeat))
    q = max(walls[0] - walls[1], 1e-6)
    return {"compute_qemu_iterations": iterations, "compute_qemu_s": q,
            "compute_qemu_mips": (counts[0] - counts[1]) / q / 1e6}


def boot_ready_ms() -> float:
    """Building the default machine (regression Host + SE firmware + PSA Proxy) and running it to
    "mailbox ready" (proxy handshake done, nothing pending), in ms."""
    from psaemu.platform.system.builder import MachineSpec, build_machine
    from psaemu.platform.testing.snapshot import quiescent

    t0 = time.perf_counter()
    m = build_machine(MachineSpec())
    system = m.proxy_system
    m.run_until(lambda mm: system.proxy.ready and quiescent(mm))
    if not system.proxy.ready:
        raise BenchError(f"the default machine did not reach mailbox ready ({m.describe_cores()})")
    return (time.perf_counter() - t0) * 1e3


#: Boots timed for the build + boot figure (its median): single boots vary by 2x on a busy machine.
BOOT_REPEAT = 9


def _boot_after_collect() -> float:
    """:func:`boot_ready_ms` after a full garbage collection, so that releasing the machines the other
    scenarios left behind (their Unicorn engines) is not charged to this boot."""
    import gc

    gc.collect()
    return boot_ready_ms()


def _cli_seconds(args: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "psaemu.platform.cli", *args], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False, timeout=120, env=env)
    return time.perf_counter() - t0


def startup_figures(repeat: int) -> dict[str, float]:
    """``psaemu run --help`` and the default ``psaemu run`` as this environment runs them, and both
    again with and without Python's bytecode cache: PYTHONDONTWRITEBYTECODE=1 and no cache to read
    (every module compiled at every start) against a warm cache in a temporary PYTHONPYCACHEPREFIX."""
    fig = {"help_s": _median(lambda: _cli_seconds(["run", "--help"]), repeat),
           "run_s": _median(lambda: _cli_seconds(["run", "-q"]), repeat)}
    with tempfile.TemporaryDirectory(prefix="psaemu-pyc-") as pyc, tempfile.TemporaryDirectory() as empty:
        base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        cold = {**base, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty}
        warm = {**base, "PYTHONPYCACHEPREFIX": pyc}
        for args in (["run", "--help"], ["run", "-q"]):
            _cli_seconds(args, warm)                     # writes the cache
        for key, args in (("help", ["run", "--help"]), ("run", ["run", "-q"])):
            fig[f"{key}_nocache_s"] = _median(lambda: _cli_seconds(args, cold), repeat)
            fig[f"{key}_cached_s"] = _median(lambda: _cli_seconds(args, warm), repeat)
    return fig


def measure(calls: int, repeat: int, iterations: int = COMPUTE_ITERATIONS) -> dict[str, Any]:
    """Every figure of the table, measured now in this process (and its children)."""
    raw, emu = _median(_crc_raw, repeat), _median(_crc_psaemu, repeat)
    return {"ipc_calls_per_s": ipc_calls_per_s(calls, repeat),
            "crc_raw_s": raw, "crc_psaemu_s": emu, "crc_vs_raw": raw / emu,
            **compute_figures(iterations, repeat),
            "boot_ready_ms": _median(_boot_after_collect, max(repeat, BOOT_REPEAT)),
            **startup_figures(repeat)}


def failures(fig: dict[str, float]) -> list[str]:
    """The figures grossly off their floor or ceiling."""
    out = [f"{k} {fig[k]:.3g} < {v:.3g}" for k, v in FLOORS.items() if fig[k] < v]
    return out + [f"{k} {fig[k]:.3g} s > {v:.3g} s" for k, v in CEILINGS.items() if fig[k] > v]


def _table(fig: dict[str, Any]) -> list[tuple[str, str]]:
    """(scenario, figure) rows of the printed table; qemu rows only when it ran."""
    rows = [("forwarded psa_call, 64 B in/out, gc on", f"{fig['ipc_calls_per_s']:,.0f} /s"),
            ("Host CRC loop: bare Unicorn free-run", f"{fig['crc_raw_s']:.4f} s"),
            ("Host CRC loop: psaemu, free runs (SE none)", f"{fig['crc_psaemu_s']:.4f} s"),
            ("  psaemu speed / bare Unicorn", f"{fig['crc_vs_raw']:.3f}x"),
            (f"compute x{fig['compute_iterations']}: instructions (block count)", f"{fig['compute_instructions']:,}"),
            ("compute: bare Unicorn free-run", f"{fig['compute_raw_mips']:.1f} MIPS"),
            ("compute: psaemu, free runs (SE none)", f"{fig['compute_psaemu_mips']:.1f} MIPS"),
            ("  psaemu speed / bare Unicorn", f"{fig['compute_vs_raw']:.3f}x"),
            ("  same, counted slices (--no-free-run)", f"{fig['compute_counted_vs_raw']:.3f}x")]
    if "compute_qemu_s" in fig:
        rows += [(f"compute x{fig['compute_qemu_iterations']}: qemu-system-arm mps2-an505", f"{fig['compute_qemu_mips']:.1f} MIPS"),
                 ("  psaemu speed / qemu", f"{fig['compute_psaemu_vs_qemu']:.3f}x")]
    return rows + [("build + boot to mailbox ready (median of 9)", f"{fig['boot_ready_ms']:.1f} ms"),
                   ("psaemu run --help", f"{fig['help_s']:.3f} s"),
                   ("  no bytecode cache / warm cache", f"{fig['help_nocache_s']:.3f} / {fig['help_cached_s']:.3f} s"),
                   ("psaemu run (default suite)", f"{fig['run_s']:.3f} s"),
                   ("  no bytecode cache / warm cache", f"{fig['run_nocache_s']:.3f} / {fig['run_cached_s']:.3f} s")]


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    calls, repeat = (200, 1) if args.quick else (args.calls, args.repeat)
    fig = measure(calls, repeat, COMPUTE_QUICK if args.quick else COMPUTE_ITERATIONS)
    if args.json:
        print(json.dumps({**fig, "calls": calls, "repeat": repeat}, indent=1))
    else:
        print(f"{'scenario':<46} {'figure':>18}")
        for name, value in _table(fig):
            print(f"{name:<46} {value:>18}")
        print(f"(median of {repeat}; {calls} calls per run)")
    bad = failures(fig) if args.check else []
    for line in bad:
        print(f"psaemu bench: gross regression: {line}", file=sys.stderr)
    return 1 if bad else 0
