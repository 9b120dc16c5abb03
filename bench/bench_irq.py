#!/usr/bin/env python3
"""Interrupt benchmark: cost of one exception round trip (entry, handler, EXC_RETURN) in psaemu.

    python bench/bench_irq.py [--irqs N] [--repeat K] [--reload R] [--profile CONFIG]

A few Thumb instructions (assembled once, listed below as ``CODE``) are written into a core's
SRAM together with a vector table, and the core is pointed at them after the normal image load:

* ``systick``: Thread code spins in a counting loop; SysTick fires every ``--reload`` cycles.
  Its handler reads SYST_CSR (one SCS MMIO read), increments a counter in RAM and returns.
  Every interrupt is one scheduler slice ended at the timer event, an exception entry between
  slices, and an exception return inside the next slice.
* ``svc``: Thread code loops on ``svc #0``; the firmware SVCall handler increments the counter.
  Entry and return both happen inside one ``emu_start`` (no scheduler work per SVC).

Each runs on the Host (Cortex-M33: privileged MSP Thread mode, and unprivileged PSP Thread mode,
which makes every mask read borrow privilege) and on the SE (Cortex-M0+, v6-M rules). The image
loaded first only provides the reset state: ``crc_host``/``crc_se``, whose code has 2/3 hint
points (WFI/WFE/SEV/unmask points). One line repeats the Host SysTick case on ``exc_host`` (59
hint points). Hint points are Unicorn exits, which cost nothing per instruction, so that line
matches the ``crc_host`` one; when they were ``UC_HOOK_CODE`` hooks (one each), every executed
instruction walked Unicorn's whole code-hook list in count mode and that line was ~1.6x slower
(psaemu still makes a hint point that the core passes very often a hook: see README). The
prebuilt self-checking ``exc_host``/``exc_se`` images are timed whole as well (per exception
entered, including their own work). Times are ``Machine.run()`` only, median of ``--repeat``,
GC off; "per round trip" = wall / handler invocations counted by the firmware.
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
from dataclasses import dataclass

import lief
import unicorn

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

lief.logging.disable()

# arm-none-eabi-as -mcpu=cortex-m0plus -mthumb (runs on both cores):
#  00 thread:      movs r4,#0 ; 1: adds r4,#1 ; b 1b ; nop
#  08 systick:     ldr r0,=0xE000E010 ; ldr r1,[r0] ; ldr r2,=counter ; ldr r3,[r2] ; adds r3,#1 ;
#                  str r3,[r2] ; bx lr ; nop
#  18 svc_thread:  svc #0 ; b svc_thread
#  1c svc_handler: ldr r2,=counter ; ldr r3,[r2] ; adds r3,#1 ; str r3,[r2] ; bx lr ; .short 0
#  28 .word 0xE000E010 ; 2c .word counter (patched)
CODE = bytes.fromhex("00240134fde7c04607480168074a1368013313607047c04600dffde7034a"
                     "1368013313607047000010e000e000000000")
THREAD, SYSTICK_HANDLER, SVC_THREAD, SVC_HANDLER, COUNTER_LITERAL = 0x00, 0x08, 0x18, 0x1C, 0x2C
# Layout inside the scratch area: code, counter, vector table (VTOR needs 128-byte alignment), stacks.
OFF_COUNTER, OFF_VTOR, OFF_PSP_TOP, OFF_MSP_TOP = 0x80, 0x100, 0x800, 0x1000
SVCALL, SYSTICK = 11, 15
# A core's scratch area (SRAM the reset-state images leave alone).
SCRATCH = {"host": 0x30070000, "se": 0x3000E000}
SCS_SYST_CSR, SCS_SYST_RVR, SCS_SYST_CVR, SCS_VTOR = 0x010, 0x014, 0x018, 0xD08


@dataclass(frozen=True)
class Config:
    name: str
    core: str
    kind: str                 # systick | svc
    image: str                # prebuilt image loaded first (reset state, hint points)
    unprivileged: bool = False

    @property
    def label(self) -> str:
        cpu = "M33" if self.core == "host" else "M0+"
        mode = "unpriv PSP" if self.unprivileged else ("priv PSP" if self.core == "se" else "priv MSP")
        return f"{self.kind:<7} {self.core} ({cpu}), {mode}, on {self.image}"


CONFIGS = [
    Config("systick_host", "host", "systick", "crc_host"),
    Config("systick_host_unpriv", "host", "systick", "crc_host", unprivileged=True),
    Config("systick_se", "se", "systick", "crc_se"),
    Config("svc_host", "host", "svc", "crc_host"),
    Config("svc_host_unpriv", "host", "svc", "crc_host", unprivileged=True),
    Config("svc_se", "se", "svc", "crc_se"),
    Config("systick_host_exc", "host", "systick", "exc_host"),
]


def build(cfg: Config, reload: int, budget_quantum: int) -> tuple[Machine, int]:
    """A machine whose ``cfg.core`` runs the scratch program; returns it and the counter address."""
    base = SCRATCH[cfg.core]
    m = Machine(quantum=budget_quantum)
    m.load(cfg.core, image_path(cfg.image))
    if cfg.core == "se":
        m.set_released("se", True)
    core = m.cores[cfg.core]
    counter = base + OFF_COUNTER
    code = bytearray(CODE)
    code[COUNTER_LITERAL:COUNTER_LITERAL + 4] = struct.pack("<I", counter)
    core.uc.mem_write(base, bytes(code))
    core.uc.mem_write(counter, bytes(4))
    table = [0] * 48
    table[0] = base + OFF_MSP_TOP
    table[SVCALL] = (base + SVC_HANDLER) | 1
    table[SYSTICK] = (base + SYSTICK_HANDLER) | 1
    core.uc.mem_write(base + OFF_VTOR, struct.pack(f"<{len(table)}I", *table))
    core.scs.write(SCS_VTOR, 4, base + OFF_VTOR)
    core.set_reg("msp", base + OFF_MSP_TOP)
    core.set_reg("psp", base + OFF_PSP_TOP)
    # v6-M: Thread on PSP (privileged); v8-M: MSP, or PSP unprivileged (CONTROL = SPSEL | nPRIV)
    core.set_reg("control", 3 if cfg.unprivileged else (2 if cfg.core == "se" else 0))
    core.set_reg("pc", (base + (THREAD if cfg.kind == "systick" else SVC_THREAD)) | 1)
    if cfg.kind == "systick":
        core.scs.write(SCS_SYST_RVR, 4, reload - 1)
        core.scs.write(SCS_SYST_CVR, 4, 0)
        core.scs.write(SCS_SYST_CSR, 4, 7)               # ENABLE | TICKINT | CLKSOURCE
    return m, counter


@dataclass
class Result:
    wall: float
    irqs: int
    instructions: int
    digest: str


def run_config(cfg: Config, irqs: int, reload: int, profile: cProfile.Profile | None = None) -> Result:
    # SVC: 7 instructions per round trip (2 in Thread, 5 in the handler); SysTick: one per reload.
    per_irq = reload if cfg.kind == "systick" else 7
    budget = irqs * per_irq
    m, counter = build(cfg, reload, 10_000)
    gc.collect()
    gc.disable()
    try:
        if profile is not None:
            profile.enable()
        t0 = time.perf_counter()
        r = m.run(max_instructions=budget)
        wall = time.perf_counter() - t0
        if profile is not None:
            profile.disable()
    finally:
        gc.enable()
    core = m.cores[cfg.core]
    if r.reason != "budget" or core.fault is not None:
        raise SystemExit(f"{cfg.name}: run ended with {r.reason}: {r.message}")
    count = core.read_word(counter)
    entries = core.engine.entries
    if count < irqs * 0.9 or abs(entries - count) > 1:
        raise SystemExit(f"{cfg.name}: {count} handler runs, {entries} exception entries for ~{irqs} expected")
    return Result(wall, count, sum(r.instructions.values()), m.events.digest())


def run_image(core: str, image: str) -> tuple[float, int, str]:
    """Whole run of a prebuilt self-checking exception image: wall, exceptions entered, digest."""
    m = Machine()
    m.load(core, image_path(image))
    if core == "se":
        m.set_released("se", True)
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        r = m.run(max_instructions=5_000_000)
        wall = time.perf_counter() - t0
    finally:
        gc.enable()
    if not r.ok:
        raise SystemExit(f"{image}: {r.reason} {r.message}")
    return wall, m.cores[core].engine.entries, m.events.digest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--irqs", type=int, default=20_000, help="round trips per run (default 20000)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per configuration; median reported")
    ap.add_argument("--reload", type=int, default=200, help="SysTick period in cycles (default 200)")
    ap.add_argument("--only", action="append", default=[], metavar="CONFIG",
                    help=f"run only these configurations ({', '.join(c.name for c in CONFIGS)}, exc_images)")
    ap.add_argument("--profile", metavar="CONFIG", help="also cProfile one run of CONFIG (top 15, tottime)")
    args = ap.parse_args(argv)
    if args.irqs < 10 or args.repeat < 1 or args.reload < 20:
        ap.error("--irqs >= 10, --repeat >= 1, --reload >= 20")
    t_start = time.perf_counter()
    print(f"psaemu IRQ benchmark: {args.irqs} round trips per run, SysTick every {args.reload} cycles, "
          f"median of {args.repeat}")
    print(f"python {sys.version.split()[0]}, unicorn {unicorn.__version__}")
    print()
    hdr = f"{'configuration':<48} {'us / round trip':>15} {'min..max':>15} {'round trips/s':>14}"
    print(hdr)
    print("-" * len(hdr))
    selected = [c for c in CONFIGS if not args.only or c.name in args.only]
    for cfg in selected:
        results = [run_config(cfg, args.irqs, args.reload) for _ in range(args.repeat)]
        assert len({(r.digest, r.irqs) for r in results}) == 1, f"{cfg.name}: runs differ"
        per = [r.wall / r.irqs * 1e6 for r in results]
        med = statistics.median(per)
        print(f"{cfg.label:<48} {med:>12.2f} us {min(per):>6.2f}..{max(per):<6.2f} {1e6 / med:>14,.0f}")
    if not args.only or "exc_images" in args.only:
        for core, image in (("host", "exc_host"), ("se", "exc_se")):
            runs = [run_image(core, image) for _ in range(args.repeat)]
            assert len({d for _, _, d in runs}) == 1, f"{image}: runs differ"
            walls = [w for w, _, _ in runs]
            entries = runs[0][1]
            med = statistics.median(walls)
            print(f"{image + '.elf whole run (' + str(entries) + ' entries)':<48} {med / entries * 1e6:>12.2f} us "
                  f"{min(walls) * 1e3:>6.1f}..{max(walls) * 1e3:<5.1f}ms {entries / med:>14,.0f}")
    print("  (exc images: wall per exception entered, including all the image's own work; min..max of whole runs)")
    if args.profile:
        cfg = next((c for c in CONFIGS if c.name == args.profile), None)
        if cfg is None:
            ap.error(f"--profile: unknown configuration {args.profile!r}")
        prof = cProfile.Profile()
        run_config(cfg, args.irqs, args.reload, prof)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
        text = out.getvalue()
        print()
        print(f"cProfile of one {cfg.name} run, top 15 by own time:")
        print(text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text)
    print(f"\ntotal benchmark time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
