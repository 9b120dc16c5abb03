#!/usr/bin/env python3
"""CRC-32 benchmark: raw Unicorn vs psaemu (Host only, and Host + Secure Enclave).

    python bench/bench_crc.py [--passes N] [--se-passes M] [--repeat K] [--quantum Q] [--profile]

Every configuration runs ``images/prebuilt/crc_host.elf`` (and ``crc_se.elf``) with
``crc_passes`` patched in a copy of the ELF, so all of them execute the same instruction
stream. MIPS figures use exact instruction counts taken once per image by an untimed raw
Unicorn run with a ``UC_HOOK_CODE`` counter (``Machine.run`` charges whole quanta, so its
own counts are only upper bounds). See bench/README.md for what each line means.
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
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import lief
import unicorn.arm_const as A
from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_HOOK_INTR, UC_HOOK_MEM_WRITE, UC_MODE_THUMB, Uc

from psaemu.platform.cpu.core import WFI16, scan_hints
from psaemu.platform.firmware.loader import Image, read_image
from psaemu.platform.system.machine import Machine

lief.logging.disable()

ROOT = Path(__file__).resolve().parents[1]
PREBUILT = ROOT / "images" / "prebuilt"
HOST_ELF = PREBUILT / "crc_host.elf"
SE_ELF = PREBUILT / "crc_se.elf"

NEVER = 0xFFFFFFF0                 # an address no code runs at (as psaemu's core.NEVER)
INTR_BKPT = 7                      # Unicorn's EXCP_BKPT
SYS_WRITEC, SYS_WRITE0, SYS_EXIT_EXTENDED = 0x03, 0x04, 0x20
ADP_STOPPED_APPLICATION_EXIT = 0x20026
K, M = 1024, 1024 * 1024


@dataclass(frozen=True)
class RawTarget:
    """What a bare Unicorn needs to run one image: CPU, memory as on the board, MMIO stand-ins."""

    name: str
    cpu_model: int
    vector_table: int
    memory: tuple[tuple[int, int, str], ...]      # (base, size, what): RAM/flash as in musca_b1.toml
    dummy_pages: tuple[tuple[int, str], ...]      # 4 KiB of plain RAM where the image touches MMIO
    uart_dr: int                                  # PL011 data register (captured in the count run)


# Host (Cortex-M33): the board's regions at their Secure addresses (NS aliases are not needed).
HOST = RawTarget(
    "host", A.UC_CPU_ARM_CORTEX_M33, 0x1A260000,
    ((0x10000000, 8 * M, "qspi_flash"), (0x1A000000, 2 * M, "eflash0"), (0x1A200000, 2 * M, "eflash1"),
     (0x1A400000, 512 * K, "code_sram"), (0x30000000, 512 * K, "sram")),
    ((0x50102000, "host_uart (PL011)"), (0x5010B000, "scc"),
     # Reset_Handler writes SCB->VTOR (0xE000ED08); bare Unicorn has no SCS there, so without
     # this page the very first store faults with UC_ERR_WRITE_UNMAPPED.
     (0xE000E000, "SCS (SCB->VTOR write in Reset_Handler)")),
    0x50102000)

# Secure Enclave (Cortex-M0+): its flash is the board's "code" window at 0x38000000 (2 MiB).
SE = RawTarget(
    "se", A.UC_CPU_ARM_CORTEX_M0, 0x38000000,
    ((0x38000000, 2 * M, "code window (SE flash)"), (0x30000000, 64 * K, "sram")),
    ((0x5000A000, "se_uart (PL011)"), (0x50003000, "MHU se_to_host sender"),
     (0x50004000, "MHU host_to_se receiver")),
    0x5000A000)


# ----------------------------------------------------------------------------------------
# Images: patching crc_passes and the expected result
# ----------------------------------------------------------------------------------------
def patch_passes(src: Path, dst: Path, passes: int) -> None:
    """Copy ``src`` to ``dst`` with the initial value of ``crc_passes`` (in .data) set to ``passes``.

    The word is patched in the file bytes of the PT_LOAD segment that holds ``.data``; that
    segment is loaded at its LMA in flash and Reset_Handler copies it to RAM.
    """
    elf = lief.ELF.parse(str(src))
    sym = next(s for s in elf.symbols if s.name == "crc_passes")
    raw = bytearray(src.read_bytes())
    for seg in elf.segments:
        if (seg.type == lief.ELF.Segment.TYPE.LOAD
                and seg.virtual_address <= sym.value and sym.value + 4 <= seg.virtual_address + seg.physical_size):
            off = seg.file_offset + sym.value - seg.virtual_address
            break
    else:
        raise SystemExit(f"{src}: crc_passes at {sym.value:#x} is in no file-backed PT_LOAD segment")
    raw[off:off + 4] = struct.pack("<I", passes)
    dst.write_bytes(raw)


def initial_word(image: Image, symbol: str) -> int:
    """Initial value of a .data word as the image would load it (found through vaddr -> paddr)."""
    addr = image.address_of(symbol)
    for seg in image.segments:
        if seg.vaddr <= addr and addr + 4 <= seg.vaddr + len(seg.data):
            return struct.unpack_from("<I", seg.data, addr - seg.vaddr)[0]
    raise SystemExit(f"{image.path}: {symbol} has no initial value in the image")


def expected_crc(buf_size: int, passes: int) -> int:
    """What crc32_passes() returns: the CRC-32 of the LCG buffer repeated ``passes`` times."""
    x, buf = 0x12345678, bytearray(buf_size)
    for i in range(buf_size):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        buf[i] = x >> 24
    crc = 0
    for _ in range(passes):
        crc = zlib.crc32(buf, crc)
    return crc


# ----------------------------------------------------------------------------------------
# Raw Unicorn
# ----------------------------------------------------------------------------------------
@dataclass
class Raw:
    uc: Uc
    entry: int
    image: Image
    exit_code: int | None = None
    error: str | None = None
    sleeping: bool = False                       # SE: reached its WFI
    uart: bytearray = field(default_factory=bytearray)

    def word(self, symbol: str) -> int:
        return struct.unpack("<I", self.uc.mem_read(self.image.address_of(symbol), 4))[0]


def raw_setup(target: RawTarget, image: Image) -> Raw:
    """A bare Uc with the image's segments at their physical addresses and the semihosting hook only."""
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)           # no UC_MODE_MCLASS (as psaemu's Core)
    uc.ctl_set_cpu_model(target.cpu_model)
    for base, size, _what in target.memory:
        uc.mem_map(base, size)
    for base, _what in target.dummy_pages:
        uc.mem_map(base, 0x1000)
    for seg in image.segments:
        if seg.data:
            uc.mem_write(seg.paddr, seg.data)
    msp, reset_pc = struct.unpack("<II", uc.mem_read(target.vector_table, 8))
    uc.reg_write(A.UC_ARM_REG_SP, msp & ~3)
    run = Raw(uc, reset_pc | 1, image)

    def on_intr(uc: Uc, intno: int, _ud: object) -> None:
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        if intno != INTR_BKPT or uc.mem_read(pc, 2) != b"\xab\xbe":        # BKPT 0xAB = 0xBEAB
            run.error = f"CPU exception {intno} at {pc:#010x}"
            uc.emu_stop()
            return
        uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)
        op = uc.reg_read(A.UC_ARM_REG_R0)
        if op == SYS_EXIT_EXTENDED:
            reason, code = struct.unpack("<II", uc.mem_read(uc.reg_read(A.UC_ARM_REG_R1), 8))
            run.exit_code = code if reason == ADP_STOPPED_APPLICATION_EXIT else 1
            uc.emu_stop()
        elif op not in (SYS_WRITEC, SYS_WRITE0):
            run.error = f"unexpected semihosting op {op:#x} at {pc:#010x}"
            uc.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)
    return run


def add_wfi_stop(run: Raw) -> None:
    """Stop when the SE reaches its WFI (for the untimed counting runs: hooks on those addresses,
    which fire after the counting hook, so the WFI is counted).

    scan_hints() lists every halfword that encodes WFI; a code hook fires only at an
    instruction start, so a candidate that is really data never triggers. (With count= slices
    Unicorn checks every code hook at every instruction: the timed runs use exits instead.)
    """
    def on_wfi(uc: Uc, address: int, size: int, _ud: object) -> None:
        run.sleeping = True
        uc.emu_stop()                     # stops before the WFI executes (PC stays at it)

    for seg in run.image.segments:
        for addr, kind in scan_hints(seg.data, seg.paddr):
            if kind == WFI16:
                run.uc.hook_add(UC_HOOK_CODE, on_wfi, None, addr, addr)


def wfi_exits(run: Raw) -> frozenset[int]:
    """Stop when the SE reaches its WFI, with Unicorn exits at those addresses (decided when code
    is translated: no per-instruction cost, as psaemu's hint exits). The WFI is not executed."""
    addrs = frozenset(addr for seg in run.image.segments for addr, kind in scan_hints(seg.data, seg.paddr)
                      if kind == WFI16)
    run.uc.ctl_exits_enabled(True)
    run.uc.ctl_set_exits(sorted(addrs))
    return addrs


def raw_finished(run: Raw, target: RawTarget) -> bool:
    return run.exit_code is not None if target is HOST else run.sleeping


def raw_count(target: RawTarget, image: Image) -> tuple[int, str, Raw]:
    """Exact instructions from reset to the end (Host: the exit BKPT; SE: the first WFI), both included.

    A Python UC_HOOK_CODE counter sees every instruction start; the BKPT/WFI is counted by
    the counter before the INTR/WFI hook stops the run (hooks run in the order added).
    Also captures what the image wrote to its UART data register.
    """
    run = raw_setup(target, image)
    n = 0

    def on_code(uc: Uc, address: int, size: int, _ud: object) -> None:
        nonlocal n
        n += 1

    def on_uart(uc: Uc, access: int, address: int, size: int, value: int, _ud: object) -> None:
        run.uart.append(value & 0xFF)

    run.uc.hook_add(UC_HOOK_CODE, on_code)
    run.uc.hook_add(UC_HOOK_MEM_WRITE, on_uart, None, target.uart_dr, target.uart_dr + 3)
    if target is SE:
        add_wfi_stop(run)
    run.uc.emu_start(run.entry, NEVER)
    if run.error or not raw_finished(run, target):
        raise SystemExit(f"raw {target.name} count run did not finish: {run.error or 'stopped early'}")
    return n, run.uart.decode(errors="replace"), run


def cross_check_count(target: RawTarget, image: Image, n: int) -> None:
    """Unicorn's own count: N-1 instructions must stop just short of the end, N must reach it."""
    for count, should_finish in ((n - 1, False), (n, True)):
        run = raw_setup(target, image)
        if target is SE:
            add_wfi_stop(run)
        run.uc.emu_start(run.entry, NEVER, count=count)
        finished = raw_finished(run, target)
        if finished != should_finish:
            raise SystemExit(f"{target.name}: hook count {n} disagrees with emu_start(count={count}) "
                             f"(finished={finished}, pc={run.uc.reg_read(A.UC_ARM_REG_PC):#010x})")


# ----------------------------------------------------------------------------------------
# Timed runs
# ----------------------------------------------------------------------------------------
@dataclass
class Sample:
    setup: float
    wall: float
    lines: dict[str, str]                 # core -> "crc: ..." line it printed
    reported: dict[str, int] = field(default_factory=dict)
    digest: str = ""                      # psaemu: the event trace's digest


def timed(fn: Callable[[], None]) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        gc.enable()


def run_raw(target: RawTarget, image: Image, slice_count: int = 0) -> Sample:
    """Raw Unicorn, one ``emu_start`` with no count (or, with ``slice_count``, a loop of count slices)."""
    t0 = time.perf_counter()
    run = raw_setup(target, image)
    wfi = wfi_exits(run) if target is SE else frozenset()
    setup = time.perf_counter() - t0
    uc = run.uc

    def go() -> None:
        if not slice_count:
            uc.emu_start(run.entry, NEVER)
            run.sleeping = uc.reg_read(A.UC_ARM_REG_PC) in wfi
            return
        pc = run.entry
        while not raw_finished(run, target) and run.error is None:
            uc.emu_start(pc | 1, NEVER, count=slice_count)
            pc = uc.reg_read(A.UC_ARM_REG_PC)
            run.sleeping = pc in wfi

    wall = timed(go)
    if run.error or not raw_finished(run, target) or (target is HOST and run.exit_code != 0):
        raise SystemExit(f"raw {target.name} run failed: {run.error or f'exit code {run.exit_code}'}")
    return Sample(setup, wall, {target.name: f"crc: {target.name} 0x{run.word('crc_result'):08x}"})


def make_machine(quantum: int, host: Path, se: Path | None, free: bool = False) -> Machine:
    m = Machine(quantum=quantum)
    m.scheduler.free_run = free
    m.load("host", host)
    if se is not None:
        m.load("se", se)
    return m


def run_psaemu(quantum: int, host: Path, se: Path | None, free: bool = False) -> Sample:
    t0 = time.perf_counter()
    m = make_machine(quantum, host, se, free)
    setup = time.perf_counter() - t0
    result = []
    wall = timed(lambda: result.append(m.run()))
    r = result[0]
    if not r.ok:
        r.check()
        raise SystemExit(f"psaemu run did not exit 0: {r.reason} {r.message}")
    lines = {c: line for c in ("host", "se") for line in m.console.lines(c) if line.startswith("crc:")}
    return Sample(setup, wall, lines, dict(r.instructions), m.events.digest())


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--passes", type=int, default=64, help="Host crc_passes (64 KiB each; default 64)")
    ap.add_argument("--se-passes", type=int, default=None,
                    help="SE crc_passes (32 KiB each; default 7/8 of --passes, so the SE finishes first)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per configuration; median reported")
    ap.add_argument("--quantum", type=int, default=10_000, help="psaemu scheduler quantum (instructions)")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one psaemu Host-only run (top 10 by cumulative time)")
    args = ap.parse_args(argv)
    se_passes = args.passes * 7 // 8 if args.se_passes is None else args.se_passes
    if args.passes < 0 or se_passes < 0 or args.repeat < 1 or args.quantum < 1:
        ap.error("passes must be >= 0, repeat and quantum >= 1")
    t_start = time.perf_counter()

    tmp = tempfile.TemporaryDirectory(prefix="bench_crc_")
    host_elf, se_elf = Path(tmp.name) / "crc_host.elf", Path(tmp.name) / "crc_se.elf"
    patch_passes(HOST_ELF, host_elf, args.passes)
    patch_passes(SE_ELF, se_elf, se_passes)
    host_img, se_img = read_image(host_elf, "v8m", "host"), read_image(se_elf, "v6m", "se")
    assert initial_word(host_img, "crc_passes") == args.passes
    assert initial_word(se_img, "crc_passes") == se_passes
    want = {"host": f"crc: host 0x{expected_crc(64 * K, args.passes):08x}",
            "se": f"crc: se 0x{expected_crc(32 * K, se_passes):08x}"}

    print(f"psaemu CRC-32 benchmark: Host {args.passes} x 64 KiB, SE {se_passes} x 32 KiB, "
          f"quantum {args.quantum}, median of {args.repeat}")
    print(f"python {sys.version.split()[0]}, unicorn {__import__('unicorn').__version__}, lief {lief.__version__}")

    # -- exact instruction counts (untimed) ---------------------------------------------
    t0 = time.perf_counter()
    host_n, host_uart, _ = raw_count(HOST, host_img)
    se_n, se_uart, _ = raw_count(SE, se_img)
    cross_check_count(HOST, host_img, host_n)
    cross_check_count(SE, se_img, se_n)
    t_count = time.perf_counter() - t0
    assert host_uart.strip() == want["host"], (host_uart, want["host"])
    assert se_uart.strip() == want["se"], (se_uart, want["se"])
    print(f"exact counts (UC_HOOK_CODE, untimed, {t_count:.1f} s; cross-checked with emu_start(count=N-1/N)): "
          f"host {host_n:,} (reset..exit BKPT), se {se_n:,} (reset..first WFI)")

    # -- timed runs, interleaved so drift affects every configuration alike -----------------
    configs: dict[str, list[Sample]] = {k: [] for k in ("raw", "host", "host_free", "dual", "dual_free",
                                                          "raw_sliced", "raw_se", "raw_se_sliced")}
    for _ in range(args.repeat):
        configs["raw"].append(run_raw(HOST, host_img))
        configs["host"].append(run_psaemu(args.quantum, host_elf, None))
        configs["dual"].append(run_psaemu(args.quantum, host_elf, se_elf))
        configs["host_free"].append(run_psaemu(args.quantum, host_elf, None, free=True))
        configs["dual_free"].append(run_psaemu(args.quantum, host_elf, se_elf, free=True))
        configs["raw_sliced"].append(run_raw(HOST, host_img, slice_count=args.quantum))
        configs["raw_se"].append(run_raw(SE, se_img))
        configs["raw_se_sliced"].append(run_raw(SE, se_img, slice_count=args.quantum))

    # -- results must agree everywhere ----------------------------------------------------
    for name, samples in configs.items():
        for s in samples:
            for core, line in s.lines.items():
                assert line == want[core], f"{name}: {core} printed {line!r}, expected {want[core]!r}"
    for s in configs["host"] + configs["dual"] + configs["host_free"] + configs["dual_free"]:
        assert "host" in s.lines, "psaemu Host printed no crc line"
        assert host_n <= s.reported["host"] < host_n + args.quantum, (s.reported, host_n)
    # free runs must reproduce the counted schedule: same trace, same charged instructions
    for counted, free in (("host", "host_free"), ("dual", "dual_free")):
        got = {(s.digest, tuple(sorted(s.reported.items()))) for s in configs[counted] + configs[free]}
        assert len(got) == 1, f"{free}: the event trace or counts differ from {counted}: {got}"

    # Dual-core SE count. When the Host exits first, every SE slice ran to its full count (only
    # the WFI or an exit cuts a slice short), so the machine's figure is exact; when the SE has
    # reached its WFI, the machine charged that last slice in full, so the exact count is se_n.
    # min() is right in both cases.
    se_done = [("se" in s.lines) for s in configs["dual"]]
    se_counted = [min(se_n, s.reported["se"]) for s in configs["dual"]]
    for done, counted in zip(se_done, se_counted):
        assert not done or counted == se_n
    assert len(set(se_counted)) == 1, f"the machine is deterministic, yet SE counts differ: {se_counted}"
    se_used = se_counted[0]

    def med(samples: list[Sample], attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in samples)

    rows = [
        ("raw Unicorn, Host image (M33)", "raw", host_n),
        ("psaemu Host-only", "host", host_n),
        ("psaemu Host-only, free runs", "host_free", host_n),
        ("psaemu dual-core (Host + SE)", "dual", host_n + se_used),
        ("psaemu dual-core, free runs", "dual_free", host_n + se_used),
    ]
    diag = [
        (f"raw Unicorn, Host, count={args.quantum} slices", "raw_sliced", host_n),
        ("raw Unicorn, SE image (M0+)", "raw_se", se_n),
        (f"raw Unicorn, SE, count={args.quantum} slices", "raw_se_sliced", se_n),
    ]
    raw_mips = host_n / med(configs["raw"], "wall") / 1e6
    hdr = (f"{'configuration':<40} {'wall (median)':>13} {'min..max (s)':>17} {'setup':>8} "
           f"{'instructions':>13} {'MIPS':>8} {'vs raw':>7} {'slowdown':>8}")
    print()
    print(hdr)
    print("-" * len(hdr))

    def row(label: str, key: str, n: int) -> None:
        s = configs[key]
        wall = med(s, "wall")
        walls = [x.wall for x in s]
        mips = n / wall / 1e6
        print(f"{label:<40} {wall:>11.4f} s {min(walls):>8.4f}..{max(walls):<7.4f} {med(s, 'setup'):>7.3f}s "
              f"{n:>13,} {mips:>8.1f} {mips / raw_mips:>7.3f} {raw_mips / mips:>7.2f}x")

    for r in rows:
        row(*r)
    print("diagnostics (where the time goes; not part of the comparison):")
    for r in diag:
        row(*r)

    print()
    dual = configs["dual"][0]
    print(f"dual-core instructions = host {host_n:,} + SE {se_used:,}; "
          f"SE finished (printed its line, then WFI) before the Host exited in "
          f"{sum(se_done)}/{len(se_done)} runs.")
    if all(se_done):
        print(f"  SE count is its exact full count; the machine reported {dual.reported['se']:,} "
              f"(whole quanta: the slice ending at WFI is charged in full).")
    else:
        print(f"  SE had not finished when the Host exited: counted min(exact full count {se_n:,}, machine's "
              f"{se_used:,}) = {se_used:,} (exact: the SE's slices all ran to their full count, nothing cut "
              f"them short); its crc line below comes from the raw runs only.")
    print(f"psaemu reported Host instructions {dual.reported['host']:,} vs exact {host_n:,} "
          f"(whole quanta; exact <= reported < exact + quantum checked)")
    print("crc lines (all configurations, checked equal and against zlib.crc32):")
    print(f"  {want['host']}    {want['se']}")
    raw_pair = med(configs["raw"], "wall") + med(configs["raw_se"], "wall")
    sliced_pair = med(configs["raw_sliced"], "wall") + med(configs["raw_se_sliced"], "wall")
    if all(se_done):
        print(f"raw Host + raw SE back to back: {raw_pair:.4f} s, {(host_n + se_n) / raw_pair / 1e6:.1f} MIPS; "
              f"dual-core is {med(configs['dual'], 'wall') / raw_pair:.2f}x that time")
        print(f"same with count={args.quantum} slices: {sliced_pair:.4f} s; dual-core is "
              f"{med(configs['dual'], 'wall') / sliced_pair:.2f}x that time")

    if args.profile:
        print()
        print(f"cProfile of one psaemu Host-only run (m.run() only, quantum {args.quantum}):")
        m = make_machine(args.quantum, host_elf, None)
        prof = cProfile.Profile()
        prof.enable()
        m.run()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(10)
        text = out.getvalue()
        print(text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text)

    tmp.cleanup()
    print(f"\ntotal benchmark time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
