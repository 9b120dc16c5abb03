"""Schedule exploration: run one scenario under many seeded schedules and report the first seed
whose outcome differs from the expected one, with the command that replays it.

``psaemu explore --runs N [run options]`` builds the machine the run options describe once per
seed (0, 1, ... or from ``--first-seed``), runs it under
:class:`~psaemu.platform.system.schedpolicy.ExplorePolicy` and compares its exit status with
``--expect`` (default 0). A schedule is deterministic per seed, so
``psaemu run [run options] --schedule-seed S`` replays seed S exactly (same event trace).
The pytest side is ``@pytest.mark.psaemu_explore(runs=N)`` / ``--psaemu-explore N``
(``psaemu.platform.testing.pytest_plugin``): the test runs once per seed, each case named
``[schedule-seed-S]``.

A failing seed also leaves a reproducer bundle (:mod:`psaemu.platform.testing.bundles`) in
``--bundle-dir DIR/explore-seed-S`` (default ``psaemu-bundles``): the snapshot the run started
from, its event trace, consoles and IPC records, and under ``"explore"`` the run options, the
seed, the exit status, the event digest and the SHA-256 of every image. ``psaemu replay DIR``
(:func:`replay`) runs it again and checks it ends the same way with the same event digest.
"""
from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from psaemu.platform.errors import ConfigError, PsaEmuError
from psaemu.platform.system.schedpolicy import DefaultPolicy, ExplorePolicy

#: The explore command's own options (left out of the replay command), with whether they take a value.
EXPLORE_OPTIONS = {"--runs": True, "--expect": True, "--first-seed": True, "--schedule-seed": True,
                   "--bundle-dir": True}
#: Where ``psaemu explore`` writes the bundle of a failing seed unless ``--bundle-dir`` says otherwise.
DEFAULT_BUNDLE_DIR = "psaemu-bundles"
#: Exit statuses of ``psaemu explore`` itself.
EXPLORE_PASSED, EXPLORE_FOUND = 0, 1


def set_schedule(machine: Any, seed: int | None) -> None:
    """Run ``machine`` under the explored schedule of ``seed`` (None: the default schedule)."""
    machine.scheduler.policy = DefaultPolicy() if seed is None else ExplorePolicy(seed)


def schedule_id(seed: int) -> str:
    """The id of a test case run under schedule ``seed`` (``test_x[schedule-seed-7]``)."""
    return f"schedule-seed-{seed}"


def explore_runs(value: Any, what: str) -> int:
    """A number of runs from an option or marker; ConfigError naming ``what`` otherwise."""
    try:
        runs = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} {value!r}: give a number of runs (1 or more)") from None
    if runs < 1:
        raise ConfigError(f"{what} {runs}: give a number of runs (1 or more)")
    return runs


def replay_words(argv: list[str], seed: int) -> list[str]:
    """``psaemu run`` with the explore command line's run options and ``--schedule-seed seed``."""
    words: list[str] = []
    skip = False
    command_seen = False
    for word in argv:
        if skip:
            skip = False
            continue
        if not command_seen and word == "explore":
            command_seen = True
            continue
        name = word.split("=", 1)[0]
        if name in EXPLORE_OPTIONS:
            skip = EXPLORE_OPTIONS[name] and "=" not in word
            continue
        words.append(word)
    return ["psaemu", "run", *words, "--schedule-seed", str(seed)]


@dataclass
class Outcome:
    """How one seeded run ended."""

    seed: int
    status: int
    message: str
    digest: str
    consoles: dict[str, str]


def run_seed(args: argparse.Namespace, seed: int,
             build: Callable[[argparse.Namespace], tuple[Any, Any]]) -> tuple[Outcome, Any, Any]:
    """Build the machine of ``args`` with ``build``, run it under schedule ``seed``; the outcome,
    the machine and its proxy system (for traces)."""
    machine, system = build(args)
    set_schedule(machine, seed)
    result = machine.run(max_instructions=args.max_instructions, timeout=args.timeout)
    consoles = {name: machine.console.text(name) for name in machine.cores}
    return Outcome(seed, result.exit_code, result.message.splitlines()[0] if result.message else result.reason,
                   machine.events.digest(), consoles), machine, system


def run_options(argv: list[str] | None, seed: int) -> list[str]:
    """The run options of an explore command line (``psaemu run`` without ``--schedule-seed``)."""
    return replay_words(argv or [], seed)[2:-2]


def image_digests(machine: Any) -> dict[str, str | None]:
    """SHA-256 of each core's image file (None: no image, or not one file)."""
    out: dict[str, str | None] = {}
    for name, core in machine.cores.items():
        path = Path(str(core.image.path)) if core.image is not None else None
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None
    return out


def write_explore_bundle(directory: Path, args: argparse.Namespace, outcome: Outcome, machine: Any,
                         build: Callable[[argparse.Namespace], tuple[Any, Any]]) -> dict[str, Any]:
    """The reproducer bundle of failing seed ``outcome.seed``: the start state (a machine built again
    from ``args``), ``machine``'s traces after the failing run, and the ``"explore"`` entry
    :func:`replay` needs. Returns what ``bundle.json`` holds."""
    from psaemu.platform.testing.bundles import Recording, write_bundle
    from psaemu.platform.testing.snapshot import quiescent

    fresh, _system = build(args)
    snapshot = fresh.snapshot() if quiescent(fresh) else None
    name = f"psaemu explore --schedule-seed {outcome.seed}"
    info = {"seed": outcome.seed, "argv": run_options(getattr(args, "argv", None), outcome.seed),
            "expect": args.expect, "status": outcome.status, "message": outcome.message,
            "event_digest": outcome.digest, "image_sha256": image_digests(machine),
            "max_instructions": args.max_instructions, "timeout": args.timeout}
    return write_bundle(directory, name, name, [Recording(machine, "machine", snapshot)],
                        f"exit status {outcome.status}, expected {args.expect}: {outcome.message}",
                        replay=shlex.join(["psaemu", "replay", str(directory)]), extra={"explore": info})


def explore(args: argparse.Namespace, build: Callable[[argparse.Namespace], tuple[Any, Any]],
            write_traces: Callable[[argparse.Namespace, Any, Any], None], out: Any = None) -> int:
    """``psaemu explore``: the first seed of ``args.runs`` whose exit status is not ``args.expect``;
    its bundle goes to ``args.bundle_dir/explore-seed-S``."""
    out = out or sys.stdout
    quiet = argparse.Namespace(**{**vars(args), "quiet": True})
    for seed in range(args.first_seed, args.first_seed + args.runs):
        outcome, machine, system = run_seed(quiet, seed, build)
        if outcome.status == args.expect:
            continue
        write_traces(args, machine, system)
        print(f"psaemu explore: seed {seed} fails (run {seed - args.first_seed + 1} of {args.runs}): exit status "
              f"{outcome.status}, expected {args.expect}: {outcome.message}", file=out)
        for name, text in outcome.consoles.items():
            for line in text.splitlines()[-5:]:
                print(f"  [{name}] {line}", file=out)
        print(f"psaemu explore: event digest {outcome.digest}", file=out)
        print(f"psaemu explore: replay: {shlex.join(replay_words(getattr(args, 'argv', None) or [], seed))}",
              file=out, flush=True)
        directory = Path(getattr(args, "bundle_dir", None) or DEFAULT_BUNDLE_DIR, f"explore-seed-{seed}").resolve()
        info = write_explore_bundle(directory, quiet, outcome, machine, build)
        print(f"psaemu explore: bundle {directory}; replay it with: {info['replay']}", file=out, flush=True)
        return EXPLORE_FOUND
    print(f"psaemu explore: all {args.runs} seeds ({args.first_seed}..{args.first_seed + args.runs - 1}) gave exit "
          f"status {args.expect}", file=out, flush=True)
    return EXPLORE_PASSED


def _bundle_explore(bundle: Any) -> dict[str, Any]:
    """A bundle's ``"explore"`` entry, checked; ConfigError for a bundle pytest wrote or a damaged one."""
    info = bundle.info.get("explore")
    if info is None:
        raise ConfigError(f"{bundle.path}: a bundle of a failing test, not of 'psaemu explore'; replay it with: "
                          f"{bundle.info.get('replay')}")
    if not (isinstance(info, dict) and isinstance(info.get("seed"), int) and isinstance(info.get("argv"), list)
            and all(isinstance(w, str) for w in info["argv"]) and isinstance(info.get("event_digest"), str)
            and isinstance(info.get("status"), int)):
        raise ConfigError(f"{bundle.path / 'bundle.json'}: its 'explore' entry is damaged (needs seed, argv, status "
                          f"and event_digest); write the bundle again with 'psaemu explore'")
    return info


def replay(path: Path, parse_run: Callable[[list[str]], argparse.Namespace],
           build: Callable[[argparse.Namespace], tuple[Any, Any]],
           write_traces: Callable[[argparse.Namespace, Any, Any], None], *, trace_events: str | None = None,
           quiet: bool = False, out: Any = None) -> int:
    """``psaemu replay BUNDLE``: run a ``psaemu explore`` bundle's options under its schedule seed and
    check the run ends with the bundle's exit status and event digest. Returns that exit status;
    PsaEmuError when the images changed since (ConfigError) or the run diverged."""
    from psaemu.platform.testing.bundles import Bundle

    out = out or sys.stdout
    bundle = Bundle(Path(path))
    info = _bundle_explore(bundle)
    args = parse_run(list(info["argv"]))
    args.schedule_seed = info["seed"]
    args.quiet = quiet or args.quiet
    args.trace_events, args.trace_ipc, args.timeline = trace_events, None, None
    machine, system = build(args)
    for core, digest in image_digests(machine).items():
        recorded = (info.get("image_sha256") or {}).get(core)
        if recorded is not None and digest != recorded:
            raise ConfigError(f"{bundle.path}: core {core}'s image {machine.cores[core].image.path} is not the one "
                              f"the bundle ran (SHA-256 {digest} != {recorded}); restore that image to replay it")
    result = machine.run(max_instructions=args.max_instructions, timeout=args.timeout)
    write_traces(args, machine, system)
    digest = machine.events.digest()
    if result.exit_code != info["status"] or digest != info["event_digest"]:
        raise PsaEmuError(f"{bundle.path}: the replay of schedule seed {info['seed']} diverged: exit status "
                          f"{result.exit_code} (bundle {info['status']}), event digest {digest} (bundle "
                          f"{info['event_digest']}); the emulator changed since the bundle was written")
    print(f"psaemu replay: schedule seed {info['seed']} reproduced: exit status {result.exit_code}, event digest "
          f"{digest}", file=out, flush=True)
    return result.exit_code


EPILOG = """\
Each run builds the machine afresh and runs it under a seeded schedule: which runnable core runs
next (random, but never more than 2 quanta behind), slices of 1..quantum instructions
(log-uniform, never past a timer event) and pending interrupts delivered up to 2 slices late.
A schedule is deterministic per seed; the printed 'psaemu run ... --schedule-seed S' replays it.
--trace-events FILE writes the failing run's event trace. The failing seed's reproducer bundle
goes to --bundle-dir DIR/explore-seed-S (default psaemu-bundles); 'psaemu replay DIR/explore-seed-S'
runs it again and checks the same exit status and event digest.

exit status: 0 every seed gave the expected status; 1 a seed did not (it is printed with its
replay command); 120.. a psaemu error as for 'psaemu run'.
"""


def add_explore_parser(sub: Any, add_machine_options: Callable[[argparse.ArgumentParser], None],
                       number_in: Callable[[int, int], Callable[[str], int]]) -> argparse.ArgumentParser:
    """The ``explore`` subcommand: the run options plus ``--runs``, ``--expect``, ``--first-seed``."""
    p = sub.add_parser("explore", help="run a scenario under N seeded schedules and report the first failing seed "
                                       "with its replay command",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    add_machine_options(p)
    p.add_argument("--runs", type=number_in(1, 1 << 32), default=100, metavar="N", help="seeds to try (default 100)")
    p.add_argument("--first-seed", type=number_in(0, (1 << 64) - 1), default=0, metavar="S",
                   help="first seed (default 0)")
    p.add_argument("--expect", type=number_in(0, 255), default=0, metavar="STATUS",
                   help="exit status every schedule must give (default 0)")
    p.add_argument("--bundle-dir", default=DEFAULT_BUNDLE_DIR, metavar="DIR",
                   help=f"where the failing seed's reproducer bundle goes (DIR/explore-seed-S; default "
                        f"{DEFAULT_BUNDLE_DIR})")
    return p


def add_replay_parser(sub: Any) -> argparse.ArgumentParser:
    """The ``replay`` subcommand: run a ``psaemu explore`` bundle again."""
    p = sub.add_parser("replay", help="run the failing schedule of a 'psaemu explore' bundle again and check it "
                                      "fails the same way (exit status and event digest)")
    p.add_argument("bundle", metavar="BUNDLE", help="the bundle directory 'psaemu explore' printed")
    p.add_argument("--trace-events", metavar="FILE", help="write the replay's event trace")
    p.add_argument("-q", "--quiet", action="store_true", help="do not stream the consoles")
    return p
