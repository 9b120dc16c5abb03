"""Hostile inputs at every front door end in a named PsaEmuError or a PSA status: never a Python
traceback, never a hang.

Hypothesis generates the inputs, derandomized (the same cases every run) with a small budget;
``--fuzz-deep`` or ``PSAEMU_FUZZ_DEEP=1`` multiplies it. Front doors: ELF mutations (loader
and the first instructions), board TOML, proxy macro values, CLI arguments (in-process
``psaemu.platform.cli.main``), raw mailbox messages at the SE firmware, hostile SE replies at
the proxy. Each case runs under a wall-clock watchdog and an instruction budget; the counts per
front door (cases, named errors, PSA statuses, tracebacks, hangs) are printed at the end.
"""
from __future__ import annotations

import contextlib
import io
import os
import signal
import struct
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import deep
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psaemu.platform.cli import main as cli_main
from psaemu.platform.errors import PsaEmuError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.board import builtin_board_path, load_board
from psaemu.platform.system.machine import Machine
from psaemu.proxy.client import SID_ITS_GET, SID_ITS_SET, boot_se_only
from psaemu.proxy.mailbox_abi import (
    MAILBOX_PSA_CALL,
    MAILBOX_PSA_CLOSE,
    MAILBOX_PSA_CONNECT,
    MAILBOX_PSA_FRAMEWORK_VERSION,
    MAILBOX_PSA_VERSION,
    PSA_CLIENT_CALL_REQ_MAGIC,
)
from psaemu.proxy.se_standin import SeStandin
from psaemu.proxy.system import attach_proxy

SCALE = 40 if deep() else 1
#: Seconds one case may take before it counts as a hang.
HANG_S = 60 if deep() else 20
#: Instructions a machine built from fuzzed input may run.
RUN_BUDGET = 200_000

COUNTS: dict[str, Counter] = defaultdict(Counter)


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


class Hang(Exception):
    """A case outlived HANG_S."""


class CliExit(PsaEmuError):
    """The CLI ended with a documented error exit status (its message was printed)."""


@contextlib.contextmanager
def watchdog(seconds: float):
    def fire(_sig: int, _frame: Any) -> None:
        raise Hang(f"no result after {seconds} s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def case(door: str, fn: Callable[[], Any], describe: Callable[[], str] = lambda: "") -> Any:
    """Run one fuzz case: a result (a PSA status when it is an int) or a named PsaEmuError; any
    other exception or a hang fails the test and is counted."""
    counts = COUNTS[door]
    counts["cases"] += 1
    try:
        with watchdog(HANG_S):
            result = fn()
    except Hang:
        counts["hangs"] += 1
        raise AssertionError(f"{door}: hang {describe()}") from None
    except PsaEmuError as exc:
        counts["named errors"] += 1
        counts[f"  {type(exc).__name__}"] += 1
        return exc
    except BaseException:
        counts["tracebacks"] += 1
        raise
    counts["PSA statuses" if isinstance(result, int) else "accepted"] += 1
    return result


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    SCRATCH.cleanup()
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    if tr is None:
        return
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        _write_table(tr)


def _write_table(tr: Any) -> None:
    tr.write_line("")
    tr.write_line(f"fuzz cases per front door ({'deep' if deep() else 'CI budget'}):")
    for door, c in COUNTS.items():
        details = ", ".join(f"{k.strip()} {v}" for k, v in sorted(c.items()) if k.startswith("  "))
        tr.write_line(f"  {door:<18} cases {c['cases']:>6}  named errors {c['named errors']:>5}  PSA statuses "
                      f"{c['PSA statuses']:>5}  accepted {c['accepted']:>5}  tracebacks {c['tracebacks']}  "
                      f"hangs {c['hangs']}   ({details})")


#: One scratch directory for every case's files (each case overwrites its file); removed at exit.
SCRATCH = tempfile.TemporaryDirectory(prefix="psaemu-fuzz-")


def _tmp(name: str, data: bytes | str) -> Path:
    p = Path(SCRATCH.name) / name
    p.write_bytes(data) if isinstance(data, bytes) else p.write_text(data)
    return p


# --------------------------------------------------------------------------------------------
# ELF mutations: the loader, then the first instructions of whatever loaded
ELF = image_path("idle_host").read_bytes()


def _elf_fields() -> list[tuple[int, int]]:
    """(offset, size) ranges worth mutating most: headers, section headers, .ARM.attributes, symbols."""
    phoff, shoff = struct.unpack_from("<II", ELF, 28)
    phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHH", ELF, 44)
    ranges = [(0, 52), (phoff, 32 * phnum), (shoff, shentsize * shnum)]
    shdrs = [struct.unpack_from("<10I", ELF, shoff + i * shentsize) for i in range(shnum)]
    names = shdrs[shstrndx][4]
    for h in shdrs:
        name = ELF[names + h[0]:ELF.index(b"\0", names + h[0])]
        if name in (b".ARM.attributes", b".symtab", b".strtab", b".vectors"):
            ranges.append((h[4], min(h[5], 512)))
    return ranges


FIELDS = _elf_fields()
WORDS = st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, len(ELF),
                         len(ELF) + 4, 0x10000000])


@st.composite
def elf_mutation(draw) -> bytes:
    data = bytearray(ELF)
    for _ in range(draw(st.integers(1, 6))):
        start, size = draw(st.sampled_from(FIELDS + [(0, len(ELF))]))
        off = start + draw(st.integers(0, max(size - 1, 0)))
        if draw(st.booleans()) and off + 4 <= len(data):
            struct.pack_into("<I", data, off & ~3, draw(WORDS))
        else:
            data[off] = draw(st.integers(0, 255))
    if draw(st.integers(0, 9)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


@fuzz_settings(60)
@given(elf_mutation())
def test_fuzz_elf(data):
    path = _tmp("mutant.elf", data)

    def load_and_run():
        m = Machine()
        m.load("host", path)
        r = m.run(max_instructions=RUN_BUDGET, timeout=HANG_S / 2)
        return r.reason
    case("ELF image", load_and_run)


# --------------------------------------------------------------------------------------------
# Board TOML: one to three value lines of the built-in board replaced by hostile TOML values
BOARD_LINES = builtin_board_path("musca_b1").read_text().splitlines()
#: Lines whose value is fuzzed (every value line of the board).
VALUE_LINES = [i for i, line in enumerate(BOARD_LINES) if "=" in line and not line.lstrip().startswith("#")]
TOML_VALUES = st.one_of(
    st.integers(-2**64, 2**64).map(str),
    st.sampled_from(["0", "-1", "0x0", "0xFFFFFFFF", "0x100000000", "-0x1000", '"64K"', '"-4K"', '"0K"', '"1G"',
                     '"lots"', '""', "true", "1.5", "nan", "inf", "[]", "[1, 2]", '["a", 3]', "{}", "{a = 1}",
                     '"host"', '"se"', '"none"', '"bl0"', '"flash"', '"ram"', '"window"', '"mhuv2_sender"',
                     '"musca_b1_scc"', '"pl011"']),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_characters='"\\'),
            max_size=12).map(lambda s: f'"{s}"'))


@st.composite
def board_mutation(draw) -> str:
    lines = list(BOARD_LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.sampled_from(VALUE_LINES))
        action = draw(st.integers(0, 9))
        key = lines[i].split("=", 1)[0]
        if action == 0:
            lines[i] = ""                                     # the key is gone
        elif action == 1:
            lines[i] = f"{key}= {draw(TOML_VALUES)}\nunknown_key = 1"
        else:
            lines[i] = f"{key}= {draw(TOML_VALUES)}"
    return "\n".join(lines) + "\n"


@fuzz_settings(80)
@given(board_mutation())
def test_fuzz_board_toml(text):
    path = _tmp("board.toml", text)

    def build():
        board = load_board(path)
        Machine(board)
        return "built"
    case("board TOML", build)


# --------------------------------------------------------------------------------------------
# Proxy macro values: -D NAME=VALUE / NAME= through attach_proxy, then a call
MACROS = ["SHARED_BUFFER_SIZE", "PSA_PROXY_SHARED_MEMORY_BASE", "PSA_PROXY_SHARED_MEMORY_SIZE",
          "PSA_PROXY_ADDR_TRANSLATION"]
MACRO_VALUES = st.one_of(st.none(), st.integers(-2**40, 2**40),
                         st.sampled_from([0, 1, 3, 4, 0x100, 0x1000, 0x7FFF, 0x8000, 0x78000, 0x80000,
                                          0x38200000, 0x38208000, 0x38208001, 0x28200000, 0x1A400000,
                                          0xFFFFFFFF, 0x100000000]))


@fuzz_settings(40)
@given(st.dictionaries(st.sampled_from(MACROS + ["NOT_A_MACRO"]), MACRO_VALUES, min_size=1, max_size=3))
def test_fuzz_macro_values(defines):
    def attach_and_call():
        m = Machine()
        m.load("se", image_path("se_firmware"))
        attach_proxy(m, defines, reply_budget_s=0.05)
        m.psa.settings.max_instructions = RUN_BUDGET * 10
        m.set_released("se", True, "fuzz")
        m.psa.wait_ready()
        return m.psa.its_set(1, b"fuzz")
    case("macro values", attach_and_call, lambda: repr(defines))


# --------------------------------------------------------------------------------------------
# CLI arguments, in process
NUMBERS = st.sampled_from(["0", "1", "-1", "-5", "10", "0x10", "1e3", "nan", "inf", "-inf", "abc", "",
                           "99999999999999999999", "2.5", "4K"])
PATHS = st.sampled_from(["/nonexistent/x.elf", "/tmp", "/dev/null", str(image_path("idle_host")),
                         str(image_path("se_firmware")), str(builtin_board_path("musca_b1")), "idle_host",
                         "se_firmware", "none", "pingpong_host", "musca_b1", "tiny", ""])
OPTION = st.one_of(
    st.tuples(st.sampled_from(["--quantum", "--max-instructions", "--timeout", "--fault-seed"]), NUMBERS),
    st.tuples(st.sampled_from(["--host", "--se", "--board", "--symbols"]), PATHS),
    st.tuples(st.just("--image"), st.sampled_from(["host=idle_host", "se=", "=x", "nocore=idle_host", "host"])),
    st.tuples(st.just("--proxy"), st.sampled_from(["auto", "on", "off", "maybe"])),
    st.tuples(st.just("--fault-policy"), st.sampled_from(["report", "firmware", "x"])),
    st.tuples(st.sampled_from(["-D", "--define"]), st.sampled_from(
        ["SHARED_BUFFER_SIZE=0x100", "SHARED_BUFFER_SIZE=", "SHARED_BUFFER_SIZE=-1", "NOPE=1", "=1", "X",
         "PSA_PROXY_ADDR_TRANSLATION=2", "SHARED_BUFFER_SIZE=0x10000000"])),
    st.tuples(st.just("--flash"), st.sampled_from(["se.storage=/dev/null", "se.nope=/tmp/x", "storage", "x.y="])),
    st.tuples(st.just("--fault"), st.sampled_from(
        ["drop_doorbell", "drop_doorbell:nth=0", "delay_doorbell:cycles=-1", "nope", "corrupt_message:word=9",
         "stall_se:cycles=lots", "flip_register:se,main,reg=r0,mask=1", "reset_se_during_call:nth=2", ":"])),
    st.tuples(st.sampled_from(["--trace-events", "--trace-ipc"]),
              st.sampled_from(["/tmp", "/nonexistent/dir/trace.txt", "-", ""])),
    st.tuples(st.sampled_from(["--quiet", "--stats", "--bogus"]), st.just(None)),
)


@st.composite
def cli_argv(draw) -> list[str]:
    command = draw(st.sampled_from(["run", "run", "run", "check", "gdb", "images", "boards", "sdk", "nope", ""]))
    argv = [command] if command else []
    if command == "check":
        argv += [draw(PATHS)]
    if command == "gdb":                  # only ports it must refuse: a valid one would wait for a debugger
        argv += [draw(st.sampled_from(["--port", "--port-per-core"])),
                 draw(st.sampled_from(["99999", "65536", "-1", "abc", "1e9"]))]
    for opt, value in draw(st.lists(OPTION, max_size=4)):
        argv += [opt] if value is None else [opt, value]
    if command == "run":                  # every run is bounded (what the options are may still be hostile)
        argv += ["--max-instructions", str(RUN_BUDGET), "--timeout", "5", "--quiet"]
    return argv


@fuzz_settings(50)
@given(cli_argv())
def test_fuzz_cli_arguments(argv):
    def run_cli():
        out, err = io.StringIO(), io.StringIO()
        here = os.getcwd()
        os.chdir(SCRATCH.name)              # relative outputs (a trace FILE '-') land there
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli_main(argv)
        except SystemExit as exc:           # argparse: usage error
            code = exc.code
        finally:
            os.chdir(here)
        assert "Traceback" not in out.getvalue() + err.getvalue()
        assert isinstance(code, int) and 0 <= code <= 130, (code, err.getvalue()[-300:])
        COUNTS["CLI arguments"][f"  exit {code}"] += 1
        if code in (2, 120, 121, 122, 123, 124, 125):          # usage or a documented psaemu error
            raise CliExit(code)
        return f"exit {code}"
    case("CLI arguments", run_cli, lambda: " ".join(argv))


# --------------------------------------------------------------------------------------------
# Raw mailbox messages at the SE firmware: hostile queue words and messages, then the doorbell
@pytest.fixture(scope="module")
def se_booted():
    m, system = boot_se_only(reply_budget_s=0.05)
    return m, system, m.snapshot()


U32 = st.one_of(st.integers(0, 0xFFFFFFFF),
                st.sampled_from([0, 1, 2, 3, 4, 5, 6, 0x10, 0x70, 0x71, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                                 0xFFFFFF80, 0x38208000, 0x38208040, 0x28208000, 0x38000000, 0x30000000]))
CALL_TYPES = st.one_of(st.sampled_from([MAILBOX_PSA_FRAMEWORK_VERSION, MAILBOX_PSA_VERSION, MAILBOX_PSA_CONNECT,
                                        MAILBOX_PSA_CALL, MAILBOX_PSA_CLOSE]), U32)


@fuzz_settings(60)
@given(CALL_TYPES, st.lists(U32, min_size=7, max_size=7), st.lists(U32, min_size=16, max_size=16),
       st.tuples(U32, U32, U32), st.integers(1, 3))
def test_fuzz_raw_mailbox_at_the_se(se_booted, call_type, params, tables, queue, doorbells):
    m, system, snap = se_booted
    m.restore(snap)
    proxy, lay, base = system.proxy, system.proxy.layout, system.placement.host_base
    host = m.cores["host"]

    def deliver():
        host.write(base + lay.slot(0).msg, struct.pack("<8I", call_type, *params))
        host.write(base + lay.in_vec, struct.pack("<16I", *tables))
        empty, pend, replied = queue
        for off, word in ((lay.empty_slots, empty), (lay.pend_slots, pend | 1), (lay.replied_slots, replied & ~1)):
            host.write(base + off, struct.pack("<I", word))
        for _ in range(doorbells):
            proxy.send(PSA_CLIENT_CALL_REQ_MAGIC)
            m.run(max_instructions=RUN_BUDGET, timeout=HANG_S / 2)
        assert m.faulted is None and m.panic is None, m.describe_cores()
        if host.read_word(base + lay.replied_slots) & 1:
            return struct.unpack("<i", struct.pack("<I", host.read_word(base + lay.slot(0).reply_return_val)))[0]
        return "ignored"
    case("SE mailbox", deliver)
    m.restore(snap)
    assert m.psa.its_set(5, b"after") == 0 and m.psa.its_get(5) == b"after"    # the SE still serves


# --------------------------------------------------------------------------------------------
# Hostile SE replies at the proxy: a scripted SE answers every message with fuzzed words
class HostileSe(SeStandin):
    """A scripted SE whose replies (return_val) and out_vec table words come from a script."""

    def __init__(self, machine: Machine, system: Any, replies: list[int], tables: list[list[int] | None]) -> None:
        super().__init__(machine, system, boot="now")
        self.replies, self.tables = list(replies), list(tables)

    def _dispatch(self, msg: Any) -> int:
        value = super()._dispatch(msg)
        table = self.tables.pop(0) if self.tables else None
        if table is not None and self.queue is not None:
            self._write(self.queue + self.layout.out_vec, struct.pack("<8I", *table))
        return self.replies.pop(0) if self.replies else value


@fuzz_settings(50)
@given(st.lists(st.one_of(st.sampled_from([0, 1, -1, -129, -130, -134, -135, -149, 0x10, 0x7FFFFFFF, -2**31]),
                          st.integers(-2**31, 2**31 - 1)), min_size=1, max_size=4),
       st.lists(st.one_of(st.none(), st.lists(U32, min_size=8, max_size=8)), max_size=4))
def test_fuzz_hostile_se_replies(replies, tables):
    m = Machine()
    system = attach_proxy(m, reply_budget_s=0.05)
    se = HostileSe(m, system, replies, tables).install()
    se.serve_its({1: b"sixteen bytes!!!"})

    def calls():
        m.psa.wait_ready()
        r = m.psa.call(SID_ITS_GET, 0, [struct.pack("<QI", 1, 0)], [16])
        r2 = m.psa.call(SID_ITS_SET, 0, [struct.pack("<Q", 2), b"data", bytes(4)])
        return int(r.status) | (0 if r2.status is None else 0)
    case("SE replies", calls, lambda: f"replies={replies} tables={tables}")
