"""The ``psaemu`` command line: a thin layer over :class:`Machine` that never shows a traceback
for an expected error."""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

# Only light modules here: the machine, the proxy and their native libraries load when a command
# needs them, so that --help and argument errors answer at once (docs/benchmarks.md, start-up).
from psaemu.platform.errors import ConfigError, PsaEmuError
from psaemu.platform.firmware.images import DEFAULT_IMAGES, NO_IMAGE, bundled_images
from psaemu.platform.system.events import DEFAULT_EVENT_LIMIT
from psaemu.platform.system.schedpolicy import DEFAULT_QUANTUM
from psaemu.platform.testing.explore import add_explore_parser, add_replay_parser, explore, replay, set_schedule
from psaemu.platform.testing.faultspec import KINDS as FAULT_KINDS
from psaemu.platform.testing.faultspec import fault_specs
from psaemu.platform.units import fmt_size, parse_number
from psaemu.proxy.monitor import DEFAULT_IPC_LIMIT

if TYPE_CHECKING:
    from psaemu.platform.system.builder import MachineSpec
    from psaemu.platform.system.machine import Machine
    from psaemu.proxy.system import ProxySystem

EXIT_CODES = """exit status:
  0..119  the firmware's own exit status (semihosting SYS_EXIT / SYS_EXIT_EXTENDED)
  120     configuration error (board file, option)
  121     image error (ELF cannot be loaded on that core)
  122     the firmware faulted (a fault report is printed)
  123     protocol error
  124     a budget ran out (--max-instructions, --timeout) or every core waits forever
  125     other psaemu error
"""


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("psa-proxy-emu")
    except metadata.PackageNotFoundError:      # running from a source tree without install
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``: the package metadata is read only when asked for (it costs start-up time)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any) -> None:
        print(f"psaemu {_version()}")
        parser.exit()


class Parser(argparse.ArgumentParser):
    """argparse with psaemu's exit status for a bad command line: 120, a configuration error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ConfigError.exit_code, f"{self.prog}: error: {message}\n")


def _number(text: str) -> int:
    try:
        return parse_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def number_in(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: a number (0x…, decimal, K/M) in ``lo..hi``."""
    def parse(text: str) -> int:
        value = _number(text)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range; give {lo}..{hi}")
        return value
    return parse


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of seconds above 0")
    return value


MAX_COUNT = (1 << 63) - 1      # instruction counts (Unicorn counts in 64 bits)
PORT = number_in(0, 65535)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``command``: the subcommand about to run, so that the parsers of
    ``debug`` and ``bench`` (and their imports) are only built when they run or help lists them."""
    parser = Parser(
        prog="psaemu", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Instruction-level emulator of the TF-M PSA Proxy platform: a Host Cortex-M33 and a "
                    "Secure Enclave Cortex-M0+ joined by MHUv2 mailboxes and shared SRAM.",
        epilog=EXIT_CODES)
    parser.add_argument("--version", action=_VersionAction, help="show program's version number and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run firmware on the board and stream each core's console",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_CODES)
    add_machine_options(run)
    run.add_argument("--stats", action="store_true", help="print instruction counts, virtual and wall time")

    gdb = sub.add_parser("gdb", help="serve the machine to GDB (remote protocol): both cores as threads",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=GDB_EPILOG)
    where = gdb.add_mutually_exclusive_group()
    where.add_argument("--port", type=PORT, default=3333, metavar="N",
                       help="TCP port on localhost for one server with every core as a thread (default 3333; "
                            "0 picks a free port)")
    where.add_argument("--port-per-core", type=PORT, metavar="BASE",
                       help="one server per core instead: core i on port BASE+i (host, se); 0 picks free ports")
    gdb.add_argument("--gdb-console", action="store_true",
                     help="also send the firmware's console lines to gdb while it waits for the machine")
    add_machine_options(gdb)
    gdb.set_defaults(func=cmd_gdb)

    if command in (None, "debug"):
        from psaemu.platform.debug.debugcli import add_debug_parser  # imports this module: load it here
        add_debug_parser(sub, add_machine_options, EXIT_CODES)
    else:
        sub.add_parser("debug", add_help=False)      # the name only: another command runs
    add_explore_parser(sub, add_machine_options, number_in).set_defaults(func=cmd_explore)
    add_replay_parser(sub).set_defaults(func=cmd_replay)

    images = sub.add_parser("images", help="list the bundled firmware images (usable by name wherever an "
                                           "image file is taken)")
    images.set_defaults(func=cmd_images)
    sdk = sub.add_parser("sdk", help="print how to build a Non-secure application for psaemu's Host secure side: "
                                     "the veneer import library, headers, linker script and gcc command")
    sdk.set_defaults(func=cmd_sdk)
    if command in (None, "bench"):
        from psaemu.platform.testing.benchcmd import add_bench_parser
        add_bench_parser(sub)
    else:
        sub.add_parser("bench", add_help=False)
    dump = sub.add_parser("trace-dump", help="print a block trace (Machine.trace_blocks, the debugger's "
                                             "'trace CORE FILE blocks') or a register trace "
                                             "(Machine.trace_registers, 'trace CORE FILE regs') as text, "
                                             "one instruction a line")
    dump.add_argument("file", help="the block-trace or register-trace file")
    dump.add_argument("--blocks", action="store_true", help="one line per block: address and instruction count")
    dump.set_defaults(func=cmd_trace_dump)
    boards = sub.add_parser("boards", help="list the built-in boards")
    boards.set_defaults(func=cmd_boards)
    check = sub.add_parser("check", help="validate a board file and print its memory maps")
    check.add_argument("board", nargs="?", help="board file or built-in name (default: musca_b1)")
    check.set_defaults(func=cmd_check)
    run.set_defaults(func=cmd_run)
    return parser


GDB_EPILOG = """\
Connect with:  gdb-multiarch -ex 'target extended-remote :3333' HOST.elf
(thread 1 = host, thread 2 = se; add-symbol-file SE.elf for the SE's symbols). 'monitor help'
lists psaemu's monitor commands. With --port-per-core each port sees one core; the machine
runs only while a gdb is connected to every port and each has resumed it. --max-instructions
and --timeout count the time the machine runs (not the time it waits for gdb); when one runs
out gdb sees SIGXCPU.
"""


def add_machine_options(parser: argparse.ArgumentParser) -> None:
    """The board, image, proxy, budget and trace options of every command that builds a machine."""
    parser.add_argument("--board", metavar="FILE", help="board file or built-in board name (default: musca_b1)")
    parser.add_argument("--host", metavar="IMAGE",
                        help=f"Host image: a file (FILE@ADDRESS for a raw binary; A,B for several files loaded "
                             f"together) or a bundled image's name (see 'psaemu images'); default: bundled "
                             f"{DEFAULT_IMAGES['host']}; '{NO_IMAGE}': no Host image")
    parser.add_argument("--se", metavar="IMAGE",
                        help=f"SE image: a file or a bundled image's name; default (whenever no SE image is named): "
                             f"bundled {DEFAULT_IMAGES['se']}; '{NO_IMAGE}': run without an SE image")
    parser.add_argument("--image", action="append", default=[], metavar="CORE=IMAGE",
                        help="load IMAGE on CORE (for boards whose cores are not named host/se); repeatable")
    parser.add_argument("--symbols", action="append", default=[], metavar="CORE=ELF",
                        help="symbols, sections and vector table for CORE's Intel HEX or binary image from the ELF "
                             "it was made from (default: FILE.elf beside the image, if its bytes match); repeatable")
    parser.add_argument("--max-instructions", type=number_in(1, MAX_COUNT), metavar="N",
                        help="stop after N instructions over all cores (exit 124)")
    parser.add_argument("--timeout", type=seconds, metavar="S",
                        help="stop after S seconds of wall-clock time (exit 124)")
    parser.add_argument("--quantum", type=number_in(1, 1 << 32), default=DEFAULT_QUANTUM, metavar="N",
                        help=f"instructions per scheduling slice (default {DEFAULT_QUANTUM}); smaller = lower "
                             f"cross-core interrupt latency, slower")
    parser.add_argument("--free-run", action=argparse.BooleanOptionalAction, default=None,
                        help="run a lone core without counted slices while the others sleep and no timer is "
                             "armed (translated-code speed, same results; needs a C compiler, see "
                             "docs/benchmarks.md): on by default; --no-free-run or PSAEMU_FREE_RUN=0 turns it off")
    parser.add_argument("--fault-policy", choices=("report", "firmware"), default="report",
                        help="report: stop at the first fault with a report (default); firmware: deliver faults "
                             "to the firmware's handlers and stop only on lockup or a handler that spins")
    parser.add_argument("--proxy", choices=("auto", "on", "off"), default="auto",
                        help="play the Host's secure side in Python (Host SPM, PSA Proxy, and a BL0 that releases "
                             "the SE): auto (default) = when the Host image is a PSA client (veneer calls, client "
                             "SVCs or the proxy's shared-memory reservation) and brings no proxy of its own; the "
                             "decision is printed at start")
    parser.add_argument("--define", "-D", action="append", default=[], metavar="NAME=VALUE",
                        help="override a proxy macro from the board file (SHARED_BUFFER_SIZE, "
                             "PSA_PROXY_SHARED_MEMORY_BASE, PSA_PROXY_SHARED_MEMORY_SIZE, PSA_PROXY_ADDR_TRANSLATION); "
                             "NAME= or -NAME undefines it; PSAEMU_CHECK_WRITEBACK=1 refuses SE replies that move an "
                             "out_vec; repeatable")
    parser.add_argument("--profile", metavar="NAME",
                        help="release profile of the PSA Proxy and the SE: tfm-1.3 (TF-M v1.3.0 as shipped, the "
                             "default unless the board's [proxy] profile says otherwise), tfm-1.4, tfm-1.5, "
                             "tfm-1.6 (that release's Host client ABI; docs/profiles.md)")
    parser.add_argument("--lift", action="append", default=[], metavar="LIMITATION",
                        help="lift a limitation of the proxy on top of the profile (and the board's [proxy] lift): "
                             "client-ids = the real caller's client id goes to the SE, which owns assets and keys "
                             "per client; non-blocking = a Host caller waiting for the SE keeps its core taking "
                             "interrupts, the reply comes on the MHU interrupt; platform-split = the Host "
                             "serves platform IOCTL itself; zero-copy = IOVECs the SE sees through a board "
                             "window go by pointer instead of a copy (docs/proxy.md); repeatable")
    parser.add_argument("--mailbox-slots", type=int, metavar="N",
                        help="slots of the Host<->SE mailbox queue, 1..32 (TF-M's NUM_MAILBOX_QUEUE_SLOT; default "
                             "the board's [proxy] mailbox_slots, else 1 as TF-M v1.3 ships): N > 1 lets N Host "
                             "callers have calls in flight at once, each with 1/N of the shared buffer")
    parser.add_argument("--host-start", choices=("auto", "power-on", "boot-vector"), default="auto",
                        help="when the Host image starts with the proxy on: power-on, or held by BL0 until the SE "
                             "sends the Host boot vector and started there (as TF-M's SE starts the Host); auto "
                             "(default) holds it for an SE image that is not psaemu's own firmware")
    parser.add_argument("--trace-ipc", nargs="?", const="-", metavar="FILE",
                        help="record every mailbox transaction; print them as they complete, or write FILE "
                             "(.jsonl for JSON lines)")
    parser.add_argument("--attestation", choices=("asymmetric", "symmetric"),
                        help="Initial Attestation token of the SE (overrides the board's crypto engine key "
                             "'attestation'): asymmetric = COSE_Sign1 ES256 with the P-256 IAK (TF-M v1.3's "
                             "default), symmetric = COSE_Mac0 HMAC-SHA256")
    parser.add_argument("--flash", action="append", default=[], metavar="CORE.REGION=FILE",
                        help="back a memory region with a file so its contents persist (e.g. se.storage=se.bin)")
    parser.add_argument("--trace-events", metavar="FILE", help="write the event trace (interrupts, MHU, SVC...)")
    parser.add_argument("--timeline", metavar="FILE.json|FILE.svg",
                        help="write the run as Chrome/Perfetto trace events (a track per core and per mailbox "
                             "slot, each PSA call as a flow; virtual time): open it in ui.perfetto.dev or "
                             "chrome://tracing; FILE.svg: a sequence diagram of the first transactions")
    parser.add_argument("--event-limit", type=number_in(1, 1 << 40), default=DEFAULT_EVENT_LIMIT, metavar="N",
                        help=f"event trace records kept (default {DEFAULT_EVENT_LIMIT:,}): older ones are dropped "
                             f"and counted, the trace digest still covers them")
    parser.add_argument("--ipc-limit", type=number_in(1, 1 << 40), default=DEFAULT_IPC_LIMIT, metavar="N",
                        help=f"IPC monitor records kept for --trace-ipc FILE (default {DEFAULT_IPC_LIMIT:,}); "
                             f"older ones are dropped and counted")
    parser.add_argument("--fault", action="append", default=[], metavar="KIND[:ARG,...]",
                        help="arm a fault before the run, e.g. drop_doorbell:nth=3, delay_doorbell:cycles=50000, "
                             "flip_register:se,SYMBOL,reg=r0,mask=1 (kinds: " + ", ".join(FAULT_KINDS) + "); "
                             "repeatable; recorded in the event trace")
    parser.add_argument("--fault-seed", type=number_in(0, (1 << 64) - 1), metavar="N",
                        help="seed of the fault injector's random choices (xor=none, random_word=true)")
    parser.add_argument("--schedule-seed", type=number_in(0, (1 << 64) - 1), metavar="S",
                        help="run under the explored schedule of seed S instead of the default one (see "
                             "'psaemu explore'); the same seed gives the same run")
    parser.add_argument("--quiet", "-q", action="store_true", help="do not stream console output")


def _stream(core: str, line: str) -> None:
    print(f"[{core}] {line}", flush=True)


HANDSHAKE_WORDS = {0x7DADE011: "IPC_SYNC_MAGIC", 0xAE: "NS_MAILBOX_INIT_ENABLE", 0xC3: "S_MAILBOX_READY"}


def _handshake(t_ps: int, direction: str, word: int) -> None:
    name = HANDSHAKE_WORDS.get(word, "boot vector" if direction == "se->host" else "queue address (SE view)")
    print(f"[proxy] handshake {direction} {word:#010x} {name}", flush=True)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


CLI_LABELS = {"images": "--image CORE=IMAGE", "symbols": "--symbols", "defines": "--define", "proxy": "--proxy on",
              "profile": "--profile", "lift": "--lift", "mailbox_slots": "--mailbox-slots"}


def _pairs(option: str, specs: list[str], form: str, example: str) -> dict[str, str]:
    """``KEY=VALUE`` options (``--image``, ``--symbols``, ``--flash``) as a dict; ConfigError for a malformed one."""
    out: dict[str, str] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or not key or not value:
            raise ConfigError(f"{option} {spec!r}: expected {form}, e.g. {option} {example}")
        out[key] = value
    return out


def image_options(args: argparse.Namespace) -> dict[str, str]:
    """``--host``/``--se``/``--image`` as core -> image (cores not named are left out)."""
    named = {core: path for core, path in (("host", args.host), ("se", args.se)) if path is not None}
    named.update(_pairs("--image", args.image, "CORE=IMAGE", "se=build/se.elf"))
    return named


def choose_images(board: Any, args: argparse.Namespace) -> dict[str, str]:
    """Core -> image for the run (the builder's rule over ``--host``/``--se``/``--image``)."""
    from psaemu.platform.system import builder
    from psaemu.platform.system.builder import MachineSpec

    return builder.choose_images(board, MachineSpec(board=board, images=image_options(args), labels=CLI_LABELS))


def machine_spec(args: argparse.Namespace, announce: Callable[[str], None] = _to_stderr) -> MachineSpec:
    """The machine the options describe, as a MachineSpec; ``announce`` gets the one line that says
    what was decided about the Host (not with --quiet)."""
    from psaemu.platform.system.builder import MachineSpec
    from psaemu.proxy.config import parse_defines

    return MachineSpec(
        board=args.board, images=image_options(args),
        symbols=_pairs("--symbols", args.symbols, "CORE=ELF", "host=build/tfm_s_ns.elf"),
        flash_files=_pairs("--flash", args.flash, "CORE.REGION=FILE", "se.storage=se_flash.bin"),
        proxy=args.proxy, defines=parse_defines(args.define), profile=args.profile, lift=args.lift,
        mailbox_slots=args.mailbox_slots, host_start=args.host_start,
        quantum=args.quantum, free_run=getattr(args, "free_run", None), fault_policy=args.fault_policy,
        console=None if args.quiet else _stream, event_limit=args.event_limit, ipc_limit=args.ipc_limit,
        on_record=(lambda rec: print(f"[ipc] {rec.format()}", flush=True)) if args.trace_ipc == "-" else None,
        on_handshake=None if args.quiet else _handshake, attestation=args.attestation,
        faults=fault_specs(args.fault), fault_seed=args.fault_seed,
        announce=None if args.quiet else (lambda line: announce(f"psaemu: {line}")), labels=CLI_LABELS)


def machine_from_args(args: argparse.Namespace, announce: Callable[[str], None] = _to_stderr
                      ) -> tuple[Machine, ProxySystem | None]:
    """Check the output files, build the machine the options describe and refuse options that need
    the PSA Proxy when none is attached."""
    from psaemu.platform.system.builder import build_machine

    check_output_files(args)
    machine = build_machine(machine_spec(args, announce))
    if getattr(args, "schedule_seed", None) is not None:
        set_schedule(machine, args.schedule_seed)
    check_proxy_options(args, machine.proxy_system)
    return machine, machine.proxy_system


def check_output_files(args: argparse.Namespace) -> None:
    """Refuse, before anything runs, a --trace-events/--trace-ipc/--timeline FILE that cannot be written
    (a directory, a missing directory), instead of failing after the whole run."""
    timeline = getattr(args, "timeline", None)
    if timeline is not None and not timeline.endswith((".json", ".svg")):
        raise ConfigError(f"--timeline {timeline}: the timeline is written as Chrome/Perfetto JSON (.json) or as an "
                          f"SVG sequence diagram (.svg); give a file name ending in one of them, e.g. --timeline run.json")
    for option, value in (("--trace-events", args.trace_events), ("--trace-ipc", args.trace_ipc),
                          ("--timeline", timeline)):
        if value in (None, "-"):
            continue
        p = Path(value)
        if p.is_dir():
            raise ConfigError(f"{option} {value}: is a directory; give a file name, e.g. {p / 'trace.jsonl'}")
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise ConfigError(f"{option} {value}: directory {parent} does not exist; create it or give another path")
        if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
            raise ConfigError(f"{option} {value}: cannot write there (permission denied)")


def check_proxy_options(args: argparse.Namespace, system: ProxySystem | None) -> None:
    """Refuse, before anything runs, options that only the PSA Proxy model serves when none is attached
    (they would otherwise be ignored without a word)."""
    if args.trace_ipc is not None and system is None:
        why = ("--proxy off" if args.proxy == "off" else
               "this Host image does not use the Python PSA Proxy (--proxy auto decided so)")
        raise ConfigError(f"--trace-ipc needs the PSA Proxy model, and none is attached: {why}; use --proxy on to "
                          f"attach it, or drop --trace-ipc (--trace-events FILE records the MHU traffic of any image)")


def write_traces(args: argparse.Namespace, machine: Machine, system: ProxySystem | None) -> None:
    """The --trace-events, --trace-ipc and --timeline FILE outputs, at the end of a command."""
    if args.trace_events:
        machine.events.write(args.trace_events)
    if system is not None and args.trace_ipc not in (None, "-"):
        system.monitor.write(args.trace_ipc)
    if getattr(args, "timeline", None):
        from psaemu.proxy.timeline import write_timeline  # only runs that ask for it load it
        write_timeline(machine, args.timeline)            # .json, or .svg: the picture


def cmd_run(args: argparse.Namespace) -> int:
    machine, system = machine_from_args(args)
    result = machine.run(max_instructions=args.max_instructions, timeout=args.timeout)
    write_traces(args, machine, system)
    if args.stats or result.reason != "exit":
        counts = ", ".join(f"{n} {v:,}" for n, v in result.instructions.items())
        print(f"psaemu: {counts} instructions; virtual {result.virtual_seconds * 1e3:.3f} ms; "
              f"wall {result.wall_seconds:.3f} s", file=sys.stderr)
        for note in (machine.events.dropped_note(), system.monitor.dropped_note() if system is not None else ""):
            if note:
                print(f"psaemu: {note}", file=sys.stderr)
    if result.error is not None:
        raise result.error
    print(f"psaemu: {result.message}", file=sys.stderr)
    return result.exit_code


def cmd_explore(args: argparse.Namespace) -> int:
    return explore(args, machine_from_args, write_traces)


def cmd_replay(args: argparse.Namespace) -> int:
    return replay(Path(args.bundle), lambda words: build_parser("run").parse_args(["run", *words]),
                  machine_from_args, write_traces, trace_events=args.trace_events, quiet=args.quiet)


def cmd_gdb(args: argparse.Namespace) -> int:
    from psaemu.platform.debug.gdbserver import GdbServer, connect_hint
    from psaemu.platform.system.board import load_board

    per_core = args.port_per_core is not None
    if per_core and args.port_per_core:
        cores = load_board(args.board).cores
        if args.port_per_core + len(cores) - 1 > 65535:
            raise ConfigError(f"--port-per-core {args.port_per_core}: the {len(cores)} cores need ports up to "
                              f"{args.port_per_core + len(cores) - 1}; give a BASE of at most {65536 - len(cores)}")
    machine, system = machine_from_args(args, announce=print)
    server = GdbServer(machine, system, port=args.port_per_core if per_core else args.port, per_core=per_core,
                       max_instructions=args.max_instructions, timeout=args.timeout,
                       console_to_gdb=args.gdb_console)
    elves = {name: c.image.path for name, c in machine.cores.items() if c.image is not None}
    for label, port in server.port_numbers.items():
        what = "every core as a thread (1 = host, 2 = se)" if label == "all" else f"core {label}"
        print(f"psaemu gdb: listening on localhost:{port} for {what}", flush=True)
        elf = elves.get("host") if label == "all" else elves.get(label)
        print(f"psaemu gdb: connect with: {connect_hint(port, elf)}", flush=True)
    if not per_core and elves.get("se"):
        print(f"psaemu gdb: SE symbols: (gdb) add-symbol-file {elves['se']}", flush=True)
    how = server.serve()
    write_traces(args, machine, system)
    ctl = server.controller
    if how == "killed":
        return 0
    if ctl.finished:
        print(f"psaemu: {ctl.result.message}", file=sys.stderr)
        return ctl.result.exit_code
    last = ctl.last_stop
    codes = {"fault": 122, "panic": 123, "budget": 124, "timeout": 124, "deadlock": 124}
    if how == "detached" and last is not None and last.kind in codes:
        return codes[last.kind]
    return 0


def cmd_trace_dump(args: argparse.Namespace) -> int:
    from psaemu.platform.debug.blocktrace import dump_trace
    from psaemu.platform.debug.regtrace import dump_regtrace, is_regtrace
    try:
        if is_regtrace(args.file):
            dump_regtrace(args.file, sys.stdout)
        else:
            dump_trace(args.file, sys.stdout, args.blocks)
    except BrokenPipeError:
        pass
    return 0


def cmd_boards(_args: argparse.Namespace) -> int:
    from psaemu.platform.system.board import builtin_boards, load_board

    for name in builtin_boards():
        b = load_board(name)
        print(f"{name:<12} {b.description}")
    return 0


def cmd_images(_args: argparse.Namespace) -> int:
    images = bundled_images()
    width = max((len(img.name) for img in images), default=0)
    for img in images:
        default = [core for core, name in DEFAULT_IMAGES.items() if name == img.name]
        note = f"  (default --{default[0]})" if default else ""
        print(f"{img.name:<{width}}  {img.arch:<17} {img.size:>7} B  {img.path}{note}")
    return 0


def cmd_sdk(_args: argparse.Namespace) -> int:
    from psaemu.platform.firmware.sdk import ns_sdk

    kit = ns_sdk()
    print(f"veneer import library  {kit.veneer_library}")
    print(f"PSA client API source  {kit.ns_api_source}")
    for d in kit.include_dirs:
        print(f"include directory      {d}")
    print(f"linker script          {kit.linker_script}")
    print("build and run an NS application app.c:")
    print("  arm-none-eabi-gcc -O2 app.c " + " ".join(kit.gcc_args()) + " -o app.elf")
    print("  psaemu run --host app.elf")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from psaemu.platform.system.board import load_board
    from psaemu.platform.system.machine import Machine

    board = load_board(args.board)
    machine = Machine(board, trace_events=False)
    print(f"{board.path}: OK ({board.name}: {', '.join(f'{c.name} {c.cpu}' for c in board.cores.values())})")
    for amap in machine.memory.maps.values():
        print(amap.describe())
    for w in board.windows:
        views = ", ".join(f"{c}@{b:#010x}" for c, b in w.bases.items())
        print(f"window {w.name}: {fmt_size(w.size)} seen by {views}")
    for name in board.cores:
        if machine.memory.security[name]:
            print(machine.memory.describe_security(name))
    return 0


def _join_undefines(argv: Sequence[str]) -> list[str]:
    """``-D -NAME`` (the undefine form) as ``--define=-NAME``, which argparse would take for an option."""
    out: list[str] = []
    it = iter(argv)
    for word in it:
        if word in ("-D", "--define"):
            value = next(it, None)
            if value is not None and value.startswith("-") and value != "-":
                out.append(f"--define={value}")
                continue
            out.append(word)
            if value is not None:
                out.append(value)
            continue
        out.append(word)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    words = _join_undefines(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((w for w in words if not w.startswith("-")), None))
    args = parser.parse_args(words)
    args.argv = words                       # for commands that print a command line (explore's replay)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except PsaEmuError as exc:
        report = getattr(exc, "report", "")
        if report:
            print(report, file=sys.stderr)
        print(f"psaemu: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("psaemu: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                 # the reader of stdout went away (`psaemu check | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # so exit's flush is quiet
        return 141                          # 128 + SIGPIPE, as a shell reports a killed writer


if __name__ == "__main__":
    sys.exit(main())
