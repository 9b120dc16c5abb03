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
"""
from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from typing import Any, Callable

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.schedpolicy import DefaultPolicy, ExplorePolicy

#: The explore command's own options (left out of the replay command), with whether they take a value.
EXPLORE_OPTIONS = {"--runs": True, "--expect": True, "--first-seed": True, "--schedule-seed": True}
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


def explore(args: argparse.Namespace, build: Callable[[argparse.Namespace], tuple[Any, Any]],
            write_traces: Callable[[argparse.Namespace, Any, Any], None], out: Any = None) -> int:
    """``psaemu explore``: the first seed of ``args.runs`` whose exit status is not ``args.expect``."""
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
        print(f"psaemu explore: replay: {shlex.join(replay_words(args.argv, seed))}", file=out, flush=True)
        return EXPLORE_FOUND
    print(f"psaemu explore: all {args.runs} seeds ({args.first_seed}..{args.first_seed + args.runs - 1}) gave exit "
          f"status {args.expect}", file=out, flush=True)
    return EXPLORE_PASSED


EPILOG = """\
Each run builds the machine afresh and runs it under a seeded schedule: which runnable core runs
next (random, but never more than 2 quanta behind), slices of 1..quantum instructions
(log-uniform, never past a timer event) and pending interrupts delivered up to 2 slices late.
A schedule is deterministic per seed; the printed 'psaemu run ... --schedule-seed S' replays it.
--trace-events FILE writes the failing run's event trace.

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
    return p
