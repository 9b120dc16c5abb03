"""``psaemu debug``: an interactive (or scripted) debugger prompt over the debug API.

Commands (``help COMMAND`` for details)::

    run | continue [N]            run until a stop, the end, or N more instructions
    step [N] [CORE] [frozen|run]  execute N instructions on CORE (others frozen by default)
    until CORE ADDR|SYM           run until CORE reaches ADDR
    break CORE ADDR|SYM           breakpoint           delete [ID...]   remove (all without ID)
    watch CORE ADDR|SYM [SIZE] [r|w|rw]                 watchpoint, on every view of the bytes
    info break|watch|cores|regs CORE
    regs CORE                     registers            bt CORE          backtrace
    x CORE ADDR|SYM [N]           hex dump of N bytes (with the other cores' views)
    disas CORE [ADDR|SYM] [N]     disassembly          translate ADDR FROM TO
    explain CORE                  fault explainer      ipc [N]          last IPC records
    trace CORE FILE|off           instruction trace    quit

A script (``--script FILE``, or ``--batch`` reading stdin) runs one command per line, skips
blank lines and ``#`` comments, and stops at the first error. The exit status is the firmware's
exit status when it exited, the fault/panic status when it ended so, 125 when a command failed,
else 0. Every error is one line; no traceback is ever shown.
"""
from __future__ import annotations

import argparse
import cmd
import os
import shlex
import string
import sys
from pathlib import Path
from typing import Any, Callable, TextIO

from psaemu.platform.cli import machine_from_args, write_traces
from psaemu.platform.cpu.faults import explain_fault, register_lines
from psaemu.platform.errors import PsaEmuError
from psaemu.platform.units import parse_number

HISTORY_FILE = "~/.psaemu_history"
#: ``psaemu debug --help``: the command list and the script rules of the module doc.
_HELP = "\n\n".join((__doc__ or "").split("\n\n")[1:4]).replace("``", "'").replace("::", ":")
SCRIPT_ERROR_STATUS = 125
_PRINTABLE = set(string.printable) - set("\t\n\r\x0b\x0c")


class CommandError(PsaEmuError):
    """A command line the shell cannot carry out (bad arguments)."""


#: The largest instruction count a command takes (Unicorn counts in 64 bits).
MAX_COUNT = (1 << 63) - 1


def _int(text: str, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """A number argument, within [lo, hi] when given; CommandError naming it otherwise."""
    try:
        value = parse_number(text)
    except ValueError:
        raise CommandError(f"{what}: {text!r} is not a number") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise CommandError(f"{what}: {value} is out of range; give {lo if lo is not None else '...'}.."
                           f"{hi if hi is not None else ''}".rstrip("."))
    return value


class DebugShell(cmd.Cmd):
    """The ``psaemu debug`` prompt."""

    intro = ""
    prompt = "(psaemu) "

    def __init__(self, machine: Any, system: Any = None, *, max_instructions: int | None = None,
                 timeout: float | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        super().__init__(stdout=stdout or sys.stdout)
        self.m = machine
        self.system = system
        self.max_instructions = max_instructions
        self.timeout = timeout
        self.err = stderr or sys.stderr
        self.result: Any = None           # the RunResult that ended the machine (exit, fault, panic)
        self.last_core: str | None = None
        self.failed: str | None = None    # the last command's error

    # -- plumbing -------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def onecmd(self, line: str) -> bool:
        self.failed = None
        try:
            return bool(super().onecmd(line))
        except KeyboardInterrupt:
            self.fail("interrupted")
        except PsaEmuError as exc:
            self.fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        except (ValueError, KeyError, IndexError, OSError) as exc:
            self.fail(f"{type(exc).__name__}: {exc}")
        except Exception as exc:          # noqa: BLE001 - never a traceback at the prompt
            self.fail(f"internal error: {type(exc).__name__}: {exc}")
        return False

    def fail(self, message: str) -> None:
        self.failed = message
        self.err.write(f"error: {message}\n")
        self.err.flush()

    def emptyline(self) -> bool:
        return False

    def default(self, line: str) -> bool:
        word = line.split()[0] if line.split() else line
        raise CommandError(f"unknown command {word!r} (type 'help')")

    def completenames(self, text: str, *ignored: Any) -> list[str]:
        return [n for n in super().completenames(text, *ignored) if not n.startswith("EOF")]

    def _args(self, arg: str, lo: int, hi: int, usage: str) -> list[str]:
        try:
            words = shlex.split(arg)
        except ValueError as exc:
            raise CommandError(f"{exc}; usage: {usage}") from None
        if not lo <= len(words) <= hi:
            raise CommandError(f"usage: {usage}")
        return words

    def _core(self, name: str) -> Any:
        if name not in self.m.cores:
            raise CommandError(f"no core {name!r} (cores: {', '.join(self.m.cores)})")
        return self.m.cores[name]

    def _default_core(self) -> str:
        return self.last_core or next(iter(self.m.cores))

    @property
    def exit_status(self) -> int:
        return self.result.exit_code if self.result is not None else 0     # set for exit, fault, panic only

    # -- running --------------------------------------------------------------------------
    def _ended(self) -> bool:
        if self.result is not None:
            self.say(f"the machine has ended: {self.result.message.splitlines()[0] if self.result.message else ''}"
                     .rstrip(": "))
            return True
        return False

    def _show_run(self, result: Any) -> None:
        stop = result.stop
        if stop is not None:
            self.last_core = stop.core or self.last_core
            self.say(stop.format())
            self._show_here(stop.core)
            return
        if result.reason in ("exit", "fault", "panic"):
            self.result = result
        if result.reason == "exit":
            self.say(result.message)
        elif result.reason == "fault":
            self.say(explain_fault(self.m.faulted) if self.m.faulted is not None else result.message)
        else:
            text = result.message or result.reason
            self.say(f"{result.reason}: {text.splitlines()[0]}")
            for line in text.splitlines()[1:]:
                self.say(line)

    def _show_here(self, core_name: str | None) -> None:
        if core_name is None:
            return
        core = self.m.cores[core_name]
        insns = core.disassemble(count=1)
        if insns:
            self.say(insns[0].format(marker=True))

    def do_run(self, arg: str) -> None:
        """run [N]: run the machine until a breakpoint, a watchpoint, the end, or N more instructions."""
        words = self._args(arg, 0, 1, "run [N]")
        if self._ended():
            return
        budget = _int(words[0], "instruction count", 1, MAX_COUNT) if words else self.max_instructions
        result = self.m.run(max_instructions=budget, timeout=self.timeout)
        self._show_run(result)

    def do_continue(self, arg: str) -> None:
        """continue [N]: same as run."""
        self.do_run(arg)

    do_c = do_continue
    do_cont = do_continue

    def do_step(self, arg: str) -> None:
        """step [N] [CORE] [frozen|run]: execute N instructions (default 1) on CORE (default: the core
        that stopped last). The other cores are frozen (default) or run in step by virtual time."""
        words = self._args(arg, 0, 3, "step [N] [CORE] [frozen|run]")
        n, core, others = 1, self._default_core(), "frozen"
        for w in words:
            if w in self.m.cores:
                core = w
            elif w in ("frozen", "run"):
                others = w
            else:
                n = _int(w, "instruction count", 1, MAX_COUNT)
        if self._ended():
            return
        stop = self.m.step(core, n, others, max_instructions=self.max_instructions, timeout=self.timeout)
        self.last_core = stop.core or core
        if stop.result is not None and stop.reason in ("exit", "fault", "panic"):
            self._show_run(stop.result)
            return
        self.say(stop.format())
        if stop.reason not in ("idle",):
            self._show_here(stop.core)

    do_s = do_step
    do_si = do_step
    do_stepi = do_step

    def do_until(self, arg: str) -> None:
        """until CORE ADDR|SYM: run until CORE reaches ADDR (a temporary breakpoint)."""
        core, where = self._args(arg, 2, 2, "until CORE ADDR|SYM")
        self._core(core)
        if self._ended():
            return
        result = self.m.run_until(where, core, max_instructions=self.max_instructions, timeout=self.timeout)
        self._show_run(result)

    # -- breakpoints and watchpoints ------------------------------------------------------
    def do_break(self, arg: str) -> None:
        """break CORE ADDR|SYM: stop before CORE executes the instruction at ADDR (or symbol)."""
        words = self._args(arg, 1, 2, "break CORE ADDR|SYM")
        if len(words) == 1:
            core = self.m.debugger._core_for(words[0], None).name
            where = words[0]
        else:
            core, where = words
            self._core(core)
        ident = self.m.breakpoints.add(core, where)
        bp = self.m.breakpoints.get(ident)
        self.say(f"breakpoint {ident} at {core}:{self.m.cores[core].where(bp.address)}")

    do_b = do_break

    def do_delete(self, arg: str) -> None:
        """delete [ID...]: remove breakpoints/watchpoints by id (all of them without an id)."""
        words = self._args(arg, 0, 64, "delete [ID...]")
        bps, wps = self.m.breakpoints, self.m.watchpoints
        if not words:
            n = len(bps) + len(wps)
            bps.clear()
            wps.clear()
            self.say(f"deleted {n} breakpoint(s)/watchpoint(s)")
            return
        for w in words:
            ident = _int(w, "id", 0)
            if ident in bps:
                bps.remove(ident)
            elif ident in wps:
                wps.remove(ident)
            else:
                raise CommandError(f"no breakpoint or watchpoint {ident}")
            self.say(f"deleted {ident}")

    do_d = do_delete

    def do_watch(self, arg: str) -> None:
        """watch CORE ADDR|SYM [SIZE] [r|w|rw]: stop when any core reads/writes (default w) the SIZE
        (default 4) bytes at ADDR of CORE's view, through any address it sees them at."""
        words = self._args(arg, 2, 4, "watch CORE ADDR|SYM [SIZE] [r|w|rw]")
        core, where, size, kind = words[0], words[1], 4, "w"
        self._core(core)
        for w in words[2:]:
            if w in ("r", "w", "rw", "a", "wr"):
                kind = {"a": "rw", "wr": "rw"}.get(w, w)
            else:
                size = _int(w, "size", 1, 1 << 20)
        ident = self.m.watchpoints.add(core, where, size, kind)
        wp = self.m.watchpoints.get(ident)
        views = ", ".join(f"{c}:{a:#010x}" for c, a in wp.views)
        self.say(f"watchpoint {ident} ({kind}) on {core}:{self.m.cores[core].where(wp.address)} [{size}]; "
                 f"watching {views}")

    # -- inspection -----------------------------------------------------------------------
    def do_info(self, arg: str) -> None:
        """info break|watch|cores|regs CORE: breakpoints, watchpoints, core states, registers."""
        words = self._args(arg, 1, 2, "info break|watch|cores|regs CORE")
        what = words[0]
        if what in ("break", "breakpoints", "b", "watch", "watchpoints", "w"):
            table, noun = ((self.m.breakpoints, "breakpoints") if what in ("break", "breakpoints", "b")
                           else (self.m.watchpoints, "watchpoints"))
            items = table.list()
            if not items:
                self.say(f"no {noun}")
            for point in items:
                self.say(point.format(self.m.cores[point.core]))
        elif what in ("cores", "threads"):
            self.say(self.m.describe_cores())
        elif what in ("regs", "registers"):
            if len(words) != 2:
                raise CommandError("usage: info regs CORE")
            self.do_regs(words[1])
        else:
            raise CommandError(f"info {what}: use break, watch, cores or regs CORE")

    def do_regs(self, arg: str) -> None:
        """regs CORE: the core's registers."""
        (name,) = self._args(arg, 1, 1, "regs CORE")
        core = self._core(name)
        regs = core.registers()
        for line in register_lines(regs, "  "):
            self.say(line)
        self.say(f"  pc: {core.where(regs['pc'])}  ({core.state.value})")

    def do_x(self, arg: str) -> None:
        """x CORE ADDR|SYM [N]: hex dump of N bytes (default 64); lines in shared memory also show the
        address other cores see them at."""
        words = self._args(arg, 2, 3, "x CORE ADDR|SYM [N]")
        core = self._core(words[0])
        addr = core.resolve(words[1])
        n = _int(words[2], "byte count") if len(words) == 3 else 64
        if not 0 < n <= 1 << 20:
            raise CommandError("byte count: give 1..1048576")
        data = core.read(addr, n)
        self.say(core.describe(addr))
        memory = self.m.memory
        for off in range(0, n, 16):
            chunk = data[off:off + 16]
            a = addr + off
            views = [f"{c}:{v:#010x}" for c, v in memory.windows_of(core.name, a)
                     if c != core.name and memory.maps[c].find(v).secure is not False]
            words_hex = " ".join(chunk[i:i + 4].hex() for i in range(0, len(chunk), 4))
            text = "".join(chr(b) if chr(b) in _PRINTABLE else "." for b in chunk)
            label = f"{a:#010x}" + (f" ({', '.join(views)})" if views else "")
            self.say(f"  {label}  {words_hex:<35}  {text}")

    def do_disas(self, arg: str) -> None:
        """disas CORE [ADDR|SYM] [N]: N instructions (default 8) from ADDR, or around the PC."""
        words = self._args(arg, 1, 3, "disas CORE [ADDR|SYM] [N]")
        core = self._core(words[0])
        where = words[1] if len(words) > 1 else None
        n = _int(words[2], "count") if len(words) > 2 else 8
        if not 0 < n <= 10000:
            raise CommandError("count: give 1..10000 instructions")
        if where is None:
            insns = core.disassemble(None, count=max(n - 3, 1), before=3)
        else:
            insns = core.disassemble(where, count=n)
        if not insns:
            raise CommandError(f"nothing decodes at {where or 'the PC'}")
        pc = core.pc
        for insn in insns:
            self.say(insn.format(marker=insn.address == pc))

    do_disassemble = do_disas

    def do_translate(self, arg: str) -> None:
        """translate ADDR FROM TO: the address at which core TO sees what core FROM sees at ADDR."""
        addr, src, dst = self._args(arg, 3, 3, "translate ADDR FROM TO")
        got = self.m.translate(addr, src, dst)          # checks both core names, resolves ADDR
        a = self.m.cores[src].resolve(addr)
        self.say(f"{src}:{a:#010x} = {dst}:{got:#010x}")

    def do_bt(self, arg: str) -> None:
        """bt CORE: backtrace, through exception frames."""
        (name,) = self._args(arg, 1, 1, "bt CORE")
        for frame in self._core(name).backtrace():
            self.say(frame.format())

    do_backtrace = do_bt

    def do_explain(self, arg: str) -> None:
        """explain CORE: the fault CORE is in (decoded status, faulting instruction, backtrace)."""
        (name,) = self._args(arg, 1, 1, "explain CORE")
        self._core(name)
        self.say(self.m.explain_fault(name))

    def do_ipc(self, arg: str) -> None:
        """ipc [N]: the last N (default 10) PSA Proxy transactions."""
        words = self._args(arg, 0, 1, "ipc [N]")
        if self.system is None:
            raise CommandError("the PSA Proxy is not attached (--proxy on)")
        n = _int(words[0], "count", 1, 1 << 20) if words else 10
        records = self.system.records[-n:] if n > 0 else []
        if not records:
            self.say("no IPC records yet")
        for rec in records:
            self.say(rec.format())

    def do_trace(self, arg: str) -> None:
        """trace CORE FILE|off [blocks|regs]: write CORE's instruction trace to FILE (text; with
        'blocks', the compact block trace, with 'regs', the register trace before every
        instruction; 'psaemu trace-dump FILE' prints both), or stop it."""
        core, target, *mode = self._args(arg, 2, 3, "trace CORE FILE|off [blocks|regs]")
        if mode and mode[0] not in ("blocks", "regs"):
            raise CommandError(f"trace: {mode[0]!r} is not a trace kind; say 'blocks', 'regs' or nothing")
        self._core(core)
        if target == "off":
            if core not in self.m.debugger.tracing():
                raise CommandError(f"core {core!r} is not being traced")
            self.m.stop_tracing(core)
            self.say(f"instruction trace of {core} stopped")
            return
        kind = mode[0] if mode else "instructions"
        if kind == "blocks":
            self.m.trace_blocks(core, target)
        elif kind == "regs":
            self.m.trace_registers(core, target)
        else:
            self.m.trace_instructions(core, target)
        self.say(f"tracing {core} {'registers' if kind == 'regs' else kind} to {target}")

    def do_quit(self, arg: str) -> bool:
        """quit: leave the debugger."""
        return True

    do_q = do_quit
    do_exit = do_quit

    def do_EOF(self, arg: str) -> bool:     # noqa: N802 - cmd's name for end of input
        self.say()
        return True


def _history(load: bool, path: str | None = None) -> None:
    try:
        import readline
    except ImportError:                     # pragma: no cover - no readline on this Python
        return
    file = os.path.expanduser(path or os.environ.get("PSAEMU_HISTORY") or HISTORY_FILE)
    try:
        if load:
            readline.set_history_length(1000)
            if os.path.exists(file):
                readline.read_history_file(file)
        else:
            readline.write_history_file(file)
    except OSError:
        pass


def run_script(shell: DebugShell, lines: list[str], source: str, echo: bool) -> int:
    """Run commands one by one; stop at the first error (status 125) or at ``quit``."""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if echo:
            shell.say(f"{shell.prompt}{line}")
        stop = shell.onecmd(line)
        if shell.failed is not None:
            shell.err.write(f"psaemu: error: {source}:{number}: {line}: stopping the script\n")
            shell.err.flush()
            return SCRIPT_ERROR_STATUS
        if stop:
            break
    return shell.exit_status


def cmd_debug(args: argparse.Namespace) -> int:
    machine, system = machine_from_args(args, announce=print)
    shell = DebugShell(machine, system, max_instructions=args.max_instructions, timeout=args.timeout)
    try:
        if args.script is not None:
            try:
                lines = Path(args.script).read_text().splitlines()
            except OSError as exc:
                raise PsaEmuError(f"{args.script}: cannot read the script: {exc.strerror}") from None
            return run_script(shell, lines, args.script, echo=not args.batch)
        if args.batch:
            return run_script(shell, sys.stdin.read().splitlines(), "<stdin>", echo=False)
        interactive = sys.stdin.isatty()
        if interactive:
            _history(True)
        intro: str | None = "psaemu debug: 'help' lists the commands; 'run' starts the machine"
        try:
            while True:
                try:
                    shell.cmdloop(intro)
                    break
                except KeyboardInterrupt:        # Ctrl-C at the prompt: a fresh prompt, not an exit
                    shell.say("^C")
                    intro = None
        finally:
            if interactive:
                _history(False)
        return shell.exit_status
    finally:
        machine.stop_tracing()
        write_traces(args, machine, system)


def add_debug_parser(sub: Any, add_machine_options: Callable[[argparse.ArgumentParser], None],
                     epilog: str) -> None:
    """Register ``psaemu debug`` on the CLI's subcommands."""
    p = sub.add_parser("debug", help="debugger prompt: break, watch, step, inspect both cores (or a script)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=_HELP, epilog=epilog)
    p.add_argument("--script", metavar="FILE", help="run the commands of FILE (one per line, # comments), "
                                                   "stop at the first error")
    p.add_argument("--batch", action="store_true",
                   help="no prompt: do not echo script commands; without --script, read commands from stdin")
    add_machine_options(p)
    p.set_defaults(func=cmd_debug)
