#!/usr/bin/env python3
"""What debugging costs: instructions per second of the CRC-32 Host image with breakpoints, a
watchpoint and the instruction trace, each beside the plain psaemu run and raw Unicorn.

    python bench/bench_debug.py [--passes N] [--trace-passes M] [--repeat K] [--quantum Q]

``images/prebuilt/crc_host.elf`` runs alone (the SE gets no image), with ``crc_passes`` patched
in a copy of the ELF as ``bench_crc.py`` does, so every configuration executes the same
instructions; MIPS use the exact count of an untimed raw Unicorn run with a ``UC_HOOK_CODE``
counter. Configurations (each timed ``--repeat`` times, interleaved, median shown):

* raw Unicorn: one ``emu_start``, no hooks but semihosting (bench_crc.py's baseline);
* psaemu plain: ``Machine.run()`` with no debugger at all;
* 10 breakpoints never hit: on 10 instruction addresses of the image that this run never
  executes (found by the untimed count run);
* 10 breakpoints on functions hit at the end: the entries of the print/flush/exit functions,
  so the run stops a few dozen times and is resumed each time;
* 1 watchpoint (w) and (rw): 4 bytes of SRAM the program never touches (between its BSS and
  its stack); every load/store then takes Unicorn's memory-hook path;
* breakpoints and watchpoint removed: all of the above set, then removed before the run;
* instruction trace to /dev/null and stepping ``count=1`` run ``--trace-passes`` passes (they
  are ~100x slower), beside a plain run and raw Unicorn of that same image.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_crc as B  # noqa: E402  (the CRC image helpers: patching, raw Unicorn, exact counts)
from unicorn import UC_HOOK_CODE  # noqa: E402

from psaemu.platform.firmware.loader import Image, read_image  # noqa: E402
from psaemu.platform.system.machine import Machine  # noqa: E402

UNTOUCHED = 0x30020000          # SRAM between crc_host's BSS (ends 0x30010414) and its stack


def executed_addresses(image: Image) -> set[int]:
    """Every instruction address a raw run of ``image`` executes (untimed)."""
    run = B.raw_setup(B.HOST, image)
    seen: set[int] = set()
    run.uc.hook_add(UC_HOOK_CODE, lambda uc, a, s, d: seen.add(a))
    run.uc.emu_start(run.entry, B.NEVER)
    return seen


def never_hit(image: Image, seen: set[int], n: int) -> list[int]:
    """``n`` instruction starts of the image's code that the run never executes."""
    import capstone
    cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    text = image.sections[".text"]
    seg = next(s for s in image.segments if s.paddr <= text.addr < s.paddr + len(s.data))
    code = seg.data[text.addr - seg.paddr:text.addr - seg.paddr + text.size]
    starts = [i.address for i in cs.disasm(code, text.addr)]
    cold = [a for a in starts if a not in seen]
    step = max(1, len(cold) // n)
    return cold[::step][:n]


def end_functions(image: Image) -> list[int]:
    names = ["Default_Handler", "pl011_init", "pl011_putc", "pl011_flush", "console_init", "print_str",
             "print_hex32", "print_nl", "console_flush", "semihost_exit"]
    return [image.address_of(n) for n in names if n in image.symbols]


def machine(elf: Path, quantum: int) -> Machine:
    m = Machine(quantum=quantum, console=lambda core, line: None, trace_events=True)
    m.load("host", elf)
    return m


def run_to_end(m: Machine, want: str) -> int:
    """Run, resuming after every breakpoint/watchpoint stop; returns the number of stops."""
    stops = 0
    while True:
        r = m.run()
        if r.stop is None:
            break
        stops += 1
    if r.reason != "exit" or r.exit_code != 0:
        raise SystemExit(f"run ended with {r.reason}: {r.message}")
    line = next((x for x in m.console.lines("host") if x.startswith("crc:")), None)
    if line != want:
        raise SystemExit(f"wrong CRC line {line!r}, expected {want!r}")
    return stops


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    import gc
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--passes", type=int, default=16, help="crc_passes for the main table (default 16)")
    ap.add_argument("--trace-passes", type=int, default=1, help="crc_passes for trace and step (default 1)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per configuration (default 3)")
    ap.add_argument("--quantum", type=int, default=10_000, help="psaemu scheduler quantum")
    ap.add_argument("--steps", type=int, default=20_000, help="instructions executed by Machine.step (default 20000)")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()
    tmp = tempfile.TemporaryDirectory(prefix="bench_debug_")
    images = {}
    for passes in sorted({args.passes, args.trace_passes}):
        elf = Path(tmp.name) / f"crc_host_{passes}.elf"
        B.patch_passes(B.HOST_ELF, elf, passes)
        img = read_image(elf, "v8m", "host")
        n, uart, _ = B.raw_count(B.HOST, img)
        want = f"crc: host 0x{B.expected_crc(64 * B.K, passes):08x}"
        assert uart.strip() == want, (uart, want)
        images[passes] = (elf, img, n, want)
    elf, img, n, want = images[args.passes]
    seen = executed_addresses(images[args.trace_passes][1])
    cold = never_hit(img, seen, 10)
    warm = end_functions(img)
    print(f"psaemu debug benchmark: crc_host.elf, quantum {args.quantum}, median of {args.repeat}; "
          f"python {sys.version.split()[0]}, unicorn {__import__('unicorn').__version__}")
    print(f"exact instructions: {args.passes} passes {n:,}; {args.trace_passes} pass(es) "
          f"{images[args.trace_passes][2]:,}")
    print(f"never-hit breakpoints: {', '.join(f'{a:#x}' for a in cold)}")
    print(f"function breakpoints:  {len(warm)} entries (Default_Handler, pl011_*, print_*, console_*, semihost_exit)")
    print(f"watchpoint: host {UNTOUCHED:#x} [4]")

    def bps(addrs: list[int]) -> Callable[[Machine], None]:
        def setup(m: Machine) -> None:
            for a in addrs:
                m.breakpoints.add("host", a)
        return setup

    def watch(kind: str) -> Callable[[Machine], None]:
        return lambda m: None if m.watchpoints.add("host", UNTOUCHED, 4, kind) else None

    def removed(m: Machine) -> None:
        ids = [m.breakpoints.add("host", a) for a in cold + warm]
        w = m.watchpoints.add("host", UNTOUCHED, 4, "rw")
        for i in ids:
            m.breakpoints.remove(i)
        m.watchpoints.remove(w)

    def traced(m: Machine) -> None:
        m.trace_instructions("host", "/dev/null")

    main_rows: dict[str, Callable[[Machine], None] | None] = {
        "psaemu plain (no debugger)": None,
        "10 breakpoints, never hit": bps(cold),
        f"{len(warm)} breakpoints on functions hit at the end": bps(warm),
        "1 watchpoint (w), untouched address": watch("w"),
        "1 watchpoint (rw), untouched address": watch("rw"),
        "breakpoints + watchpoint set, then removed": removed,
    }
    t_elf, t_img, t_n, t_want = images[args.trace_passes]
    steps = min(args.steps, t_n - 100)

    def timed_run(e: Path, w: str, setup: Callable[[Machine], None] | None) -> tuple[float, int]:
        m = machine(e, args.quantum)           # built and configured outside the timed part
        if setup is not None:
            setup(m)
        result = timed(lambda: run_to_end(m, w))
        m.stop_tracing()
        return result

    samples: dict[str, list[tuple[float, int]]] = {k: [] for k in
                                                    ["raw", *main_rows, "t_raw", "t_plain", "trace", "step"]}
    for _ in range(args.repeat):
        samples["raw"].append((B.run_raw(B.HOST, img).wall, 0))
        for label, setup in main_rows.items():
            samples[label].append(timed_run(elf, want, setup))
        samples["t_raw"].append((B.run_raw(B.HOST, t_img).wall, 0))
        samples["t_plain"].append(timed_run(t_elf, t_want, None))
        samples["trace"].append(timed_run(t_elf, t_want, traced))
        m = machine(t_elf, args.quantum)

        def step_all(mm: Machine = m) -> int:
            stop = mm.step("host", steps)
            assert stop.reason == "step" and stop.count == steps, stop
            return 0

        samples["step"].append(timed(step_all))

    def med(key: str) -> float:
        return statistics.median(w for w, _ in samples[key])

    def line(label: str, key: str, count: int, plain_key: str, raw_key: str, note: str = "") -> None:
        wall = med(key)
        mips = count / wall / 1e6
        plain_mips = count / med(plain_key) / 1e6
        raw_mips = count / med(raw_key) / 1e6
        print(f"{label:<46} {wall:>9.4f} s {count:>12,} {mips:>10.2f} {plain_mips:>10.1f} "
              f"{mips / plain_mips:>8.3f} {raw_mips:>9.1f}  {note}")

    hdr = (f"{'configuration':<46} {'wall':>11} {'instructions':>12} {'MIPS':>10} {'plain MIPS':>10} "
           f"{'vs plain':>8} {'raw MIPS':>9}")
    print()
    print(hdr)
    print("-" * len(hdr))
    line("raw Unicorn (one emu_start, no hooks)", "raw", n, "psaemu plain (no debugger)", "raw")
    for label in main_rows:
        stops = samples[label][0][1]
        line(label, label, n, "psaemu plain (no debugger)", "raw", f"{stops} stops" if stops else "")
    print(f"-- {args.trace_passes} pass(es): per-instruction modes")
    line("raw Unicorn (one emu_start, no hooks)", "t_raw", t_n, "t_plain", "t_raw")
    line("psaemu plain (no debugger)", "t_plain", t_n, "t_plain", "t_raw")
    line("instruction trace to /dev/null", "trace", t_n, "t_plain", "t_raw")
    line(f"Machine.step(host, {steps}) (count=1 slices)", "step", steps, "t_plain", "t_raw",
         f"{med('step') / steps * 1e6:.2f} us per instruction")
    tmp.cleanup()
    print(f"\ntotal benchmark time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
