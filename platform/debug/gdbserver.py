"""A GDB remote serial protocol (RSP) server for the machine.

Written from the "Remote Protocol" and "Target Descriptions" appendices of the GDB manual.

Model
-----
* **Both cores are threads** of one process: thread 1 is the Host, thread 2 the SE (in board
  order; named in ``qThreadExtraInfo`` and ``qXfer:threads:read``).
* **All-stop**: when a core stops (breakpoint, watchpoint, fault, ctrl-C...) the whole machine
  stops and virtual time freezes. ``c`` (and ``vCont;c``/``C``) resumes the machine;
  ``s``/``vCont;s:TID`` steps that thread's core one instruction with every other core frozen
  (``vCont;s:2;c`` too: the ``c`` part is not honoured). A core that cannot execute with the
  others frozen (asleep in WFI/WFE, blocked in a Python SVC, held in reset) would never move and
  gdb's ``next``/``finish`` would step it forever, so such a step runs the machine until that
  core has executed one instruction (ctrl-C and the budgets apply as for ``c``). The machine
  runs in bounded chunks of instructions so that a ctrl-C (0x03) is seen between chunks; each
  chunk is a budgeted :meth:`Machine.run`.
* **One address space per connection.** GDB has one memory space per process, so on the shared
  server memory packets use the view of the selected thread (``Hg``) and fall back to the other
  cores, in thread order, for an address that core does not map: ``x/4wx 0x1A408000`` and
  ``x/4wx 0x38208000`` both work from either thread. A breakpoint (``Z0``/``Z1``) is set on
  every core that maps its address (the stop names the thread that hit it). A watchpoint is set
  in the selected thread's view (else the first core that maps it) and is alias-aware: it also
  fires when another core touches the same bytes through its own address; the stop reply names
  the accessing core's thread and gives the address in the watchpoint's own view, as GDB set it.
* **Target descriptions.** GDB takes one target description per connection, so the shared
  server serves the Host's (``org.gnu.gdb.arm.m-profile`` + ``org.gnu.gdb.arm.m-system`` with
  msp, psp, primask, basepri, faultmask, control + ``org.gnu.gdb.arm.vfp`` d0-d15, fpscr). For
  the SE thread (v6-M, no FP) basepri, faultmask, d0-d15 and fpscr read as zero and writes to
  them are ignored.
* **One server per core** (``per_core=True``): one port per core, each connection sees only its
  core as a single thread (host = thread 1, se = thread 2) with that core's own description (the
  SE's has no FP and no basepri/faultmask), its memory view and its breakpoints. The machine is
  still all-stop: it runs only while a gdb is connected to every open port and each has resumed
  it (``continue`` in each one; the first to resume is told it waits for the other); when it
  stops, every gdb waiting for it gets a stop reply: the one whose core stopped gets the reason,
  the others a plain stop (``T00``, "Program stopped."). Stepping in one gdb steps only its
  core. ``k`` in either ends the server. ``D`` (what quitting gdb does there: ``qAttached`` is 1)
  detaches that gdb and closes its port; when no gdb is left the machine runs to its end and
  the server exits. On the shared server ``qAttached`` is 0, so quitting gdb kills the machine.

Stops are reported as ``T05`` (with ``swbreak:``/``hwbreak:``/``watch:``/``rwatch:``/``awatch:``,
``thread:`` and the pc), a firmware exit as ``W<code>``, a fault as ``T0b`` (SIGSEGV) on the
faulting core's thread (``monitor fault`` prints the report), a Host SPM/proxy panic as ``T06``
(SIGABRT), a budget or Python-side wait over its budget as ``T18`` (SIGXCPU) and a deadlock as
``T11`` (SIGSTOP); the reason is also printed in gdb's console.
"""
from __future__ import annotations

import select
import shlex
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import unicorn.arm_const as A

from psaemu.platform.errors import PsaEmuError
from psaemu.platform.units import parse_number

# -- GDB's signal numbers (gdb/signals.def), used in stop replies -------------------------------
SIG0, SIGINT, SIGTRAP, SIGABRT, SIGSEGV, SIGSTOP, SIGXCPU = 0, 2, 5, 6, 11, 17, 24

PACKET_SIZE = 0x4000
#: Instructions per chunk of a running machine; between chunks the sockets are polled.
DEFAULT_CHUNK = 200_000


class GdbServerError(PsaEmuError):
    """The server cannot start (port in use...) or GDB broke the protocol."""


# =============================================================================================
# Packet layer
# =============================================================================================

_ESCAPE = 0x7D
_NEED_ESCAPE = frozenset(b"#$}*")


def checksum(payload: bytes) -> int:
    """The RSP checksum: the sum of the payload's bytes modulo 256."""
    return sum(payload) & 0xFF


def frame(payload: bytes) -> bytes:
    """``$payload#cs`` ready to send; ``payload`` must already be escaped where it is binary."""
    return b"$" + payload + b"#%02x" % checksum(payload)


def escape_binary(data: bytes) -> bytes:
    """Escape binary data for a packet: ``#``, ``$``, ``}`` and ``*`` become ``}`` + (byte ^ 0x20)."""
    if not any(b in _NEED_ESCAPE for b in data):
        return bytes(data)
    out = bytearray()
    for b in data:
        if b in _NEED_ESCAPE:
            out.append(_ESCAPE)
            out.append(b ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


def unescape_binary(data: bytes) -> bytes:
    """Undo :func:`escape_binary` (the binary data of ``X`` packets)."""
    if _ESCAPE not in data:
        return bytes(data)
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == _ESCAPE:
            nxt = next(it, None)
            if nxt is None:
                raise GdbServerError("binary data ends with an escape byte")
            out.append(nxt ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


def hex_encode(data: bytes) -> bytes:
    return data.hex().encode()


def hex_decode(text: bytes | str) -> bytes:
    return bytes.fromhex(text.decode() if isinstance(text, bytes) else text)


@dataclass(frozen=True)
class Incoming:
    """What the reader found in GDB's byte stream."""

    kind: str              # packet | interrupt | ack | nak | bad
    payload: bytes = b""


class PacketReader:
    """Incremental decoder of what GDB sends: packets, acks and the 0x03 interrupt byte.

    Bytes outside a packet other than ``+``, ``-`` and 0x03 are ignored. A packet whose
    checksum does not match is returned as ``bad`` (the caller replies ``-``).
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._in_packet = False

    def feed(self, data: bytes) -> list[Incoming]:
        out: list[Incoming] = []
        buf = self._buf
        buf += data
        pos = 0
        while pos < len(buf):
            if not self._in_packet:
                b = buf[pos]
                pos += 1
                if b == 0x24:                       # '$'
                    self._in_packet = True
                elif b == 0x2B:                     # '+'
                    out.append(Incoming("ack"))
                elif b == 0x2D:                     # '-'
                    out.append(Incoming("nak"))
                elif b == 0x03:
                    out.append(Incoming("interrupt"))
                continue
            end = buf.find(b"#", pos)
            if end < 0 or end + 3 > len(buf):
                break                               # the rest of the packet has not arrived
            payload = bytes(buf[pos:end])
            given = bytes(buf[end + 1:end + 3])
            pos = end + 3
            self._in_packet = False
            try:
                ok = int(given, 16) == checksum(payload)
            except ValueError:
                ok = False
            out.append(Incoming("packet" if ok else "bad", payload))
        del buf[:pos]
        return out


def xfer_slice(data: bytes, offset: int, length: int) -> bytes:
    """A ``qXfer`` read reply: ``m`` + chunk while more follows, ``l`` + chunk for the last one."""
    chunk = data[offset:offset + length]
    more = offset + length < len(data)
    return (b"m" if more else b"l") + escape_binary(chunk)


# =============================================================================================
# Target descriptions and register access
# =============================================================================================

@dataclass(frozen=True)
class Reg:
    name: str
    bits: int
    feature: str
    type: str = "int"
    group: str | None = None


_MPROFILE = "org.gnu.gdb.arm.m-profile"
_MSYSTEM = "org.gnu.gdb.arm.m-system"
_VFP = "org.gnu.gdb.arm.vfp"

_CORE_REGS = ([Reg(f"r{i}", 32, _MPROFILE, "uint32", "general") for i in range(13)]
              + [Reg("sp", 32, _MPROFILE, "data_ptr", "general"), Reg("lr", 32, _MPROFILE, "int", "general"),
                 Reg("pc", 32, _MPROFILE, "code_ptr", "general"), Reg("xpsr", 32, _MPROFILE, "int", "general")])
_SYS_V8M = [Reg("msp", 32, _MSYSTEM, "data_ptr", "system"), Reg("psp", 32, _MSYSTEM, "data_ptr", "system"),
            Reg("primask", 32, _MSYSTEM, "int", "system"), Reg("basepri", 32, _MSYSTEM, "int", "system"),
            Reg("faultmask", 32, _MSYSTEM, "int", "system"), Reg("control", 32, _MSYSTEM, "int", "system")]
_SYS_V6M = [r for r in _SYS_V8M if r.name not in ("basepri", "faultmask")]
_FP_REGS = [Reg(f"d{i}", 64, _VFP, "ieee_double", "float") for i in range(16)] + \
           [Reg("fpscr", 32, _VFP, "int", "float")]

PC_REGNUM = 15


class Description:
    """A target description: registers in remote-number order and the XML GDB reads."""

    def __init__(self, name: str, architecture: str, regs: Sequence[Reg]) -> None:
        self.name = name
        self.architecture = architecture
        self.regs = list(regs)
        self.index = {r.name: i for i, r in enumerate(self.regs)}
        self.xml = self._xml()

    def _xml(self) -> bytes:
        lines = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">', '<target version="1.0">',
                 f"  <architecture>{self.architecture}</architecture>"]
        feature = None
        for n, r in enumerate(self.regs):
            if r.feature != feature:
                if feature is not None:
                    lines.append("  </feature>")
                feature = r.feature
                lines.append(f'  <feature name="{feature}">')
            group = f' group="{r.group}"' if r.group else ""
            lines.append(f'    <reg name="{r.name}" bitsize="{r.bits}" regnum="{n}" type="{r.type}"{group}/>')
        lines += ["  </feature>", "</target>", ""]
        return "\n".join(lines).encode()


#: Host (Cortex-M33: v8-M Mainline with FPv5-SP): the description of the shared server too.
V8M_FP = Description("v8m-fp", "armv8-m.main", _CORE_REGS + _SYS_V8M + _FP_REGS)
#: SE (Cortex-M0+: v6-M, no FP), served on its own port in per-core mode.
V6M = Description("v6m", "armv6s-m", _CORE_REGS + _SYS_V6M)

_D_REGS = [getattr(A, f"UC_ARM_REG_D{i}") for i in range(16)]


def _lacks(core: Any, reg: Reg) -> bool:
    """The core does not have this register of the description (FP and BASEPRI/FAULTMASK are v8-M's)."""
    return not getattr(core, "v8m", False) and (reg.feature == _VFP or reg.name in ("basepri", "faultmask"))


def read_register(core: Any, reg: Reg) -> int:
    """A register of ``core`` as the description names it; what the core lacks reads as zero."""
    if _lacks(core, reg):
        return 0
    name = reg.name
    if reg.feature == _VFP:
        if name == "fpscr":
            return core.uc.reg_read(A.UC_ARM_REG_FPSCR) & 0xFFFFFFFF
        return core.uc.reg_read(_D_REGS[int(name[1:])]) & 0xFFFFFFFFFFFFFFFF
    return core.reg(name) & 0xFFFFFFFF


def write_register(core: Any, reg: Reg, value: int) -> None:
    """Write a register; registers the core does not have are ignored."""
    if _lacks(core, reg):
        return
    name = reg.name
    if reg.feature == _VFP:
        if name == "fpscr":
            core.uc.reg_write(A.UC_ARM_REG_FPSCR, value & 0xFFFFFFFF)
        else:
            core.uc.reg_write(_D_REGS[int(name[1:])], value)
        return
    core.set_reg(name, value & 0xFFFFFFFF)


SCS_START, SCS_END = 0xE000E000, 0xE000F000


def read_scs(core: Any, addr: int, size: int) -> bytes:
    """The System Control Space of ``core`` (NVIC, SCB: CFSR, HFSR...) as the debugger reads it:
    through the model's side-effect-free ``peek`` (SYST_CSR.COUNTFLAG is not cleared)."""
    return core.scs.peek_bytes(addr - SCS_START, size)


def encode_register(reg: Reg, value: int) -> bytes:
    return hex_encode(value.to_bytes(reg.bits // 8, "little"))


def decode_register(reg: Reg, text: bytes) -> int | None:
    """The value of a register from its hex text; None for ``xx..`` (unavailable, left alone)."""
    if text.lower().startswith(b"x"):
        return None
    return int.from_bytes(hex_decode(text), "little")


# =============================================================================================
# Stops
# =============================================================================================

@dataclass
class StopEvent:
    """Why the machine stopped, in the server's words."""

    kind: str                      # breakpoint watchpoint step idle interrupt fault panic exit budget timeout deadlock
    core: str | None               # name of the core whose thread reports the stop
    signal: int = SIGTRAP
    exit_code: int | None = None
    ids: tuple[int, ...] = ()      # breakpoint/watchpoint ids of the debug API
    watch_kind: str | None = None  # the access: w | r
    address: int | None = None     # accessed address, in the accessing core's view
    accessor: str | None = None    # the core that made the access
    watch_address: int | None = None   # the same byte in the watchpoint's own view
    message: str = ""


_SIGNALS = {"fault": SIGSEGV, "panic": SIGABRT, "budget": SIGXCPU, "timeout": SIGXCPU, "deadlock": SIGSTOP}


def _name(core: Any) -> str | None:
    if core is None:
        return None
    return core if isinstance(core, str) else getattr(core, "name", str(core))


def stop_from_debug(stop: Any, reason: str) -> StopEvent:
    """A :class:`StopEvent` from the debug API's ``Stop`` (breakpoint, watchpoint, step, idle)."""
    if stop is None:
        return StopEvent(reason, None, _SIGNALS.get(reason, SIGTRAP))
    return StopEvent(reason, _name(stop.core), _SIGNALS.get(reason, SIGTRAP), ids=tuple(stop.ids),
                     watch_kind=stop.kind, address=stop.address, accessor=_name(stop.accessor),
                     watch_address=stop.watch_address, message=stop.message or "")


# =============================================================================================
# The machine under gdb: budgets, chunks, stops
# =============================================================================================

class Controller:
    """Runs the machine for the sessions: chunks, steps, budgets, the last stop and the end."""

    def __init__(self, machine: Any, *, chunk: int = DEFAULT_CHUNK, max_instructions: int | None = None,
                 timeout: float | None = None) -> None:
        self.m = machine
        self.chunk = chunk
        self.max_instructions = max_instructions
        self.timeout = timeout
        self.executed = 0
        self.run_seconds = 0.0
        self.result: Any = None            # the RunResult of the firmware's exit
        self.fault_text = ""
        self.last_stop: StopEvent | None = None

    @property
    def finished(self) -> bool:
        """The firmware exited: nothing can run any more."""
        return self.result is not None

    def _instructions(self) -> int:
        return sum(c.instructions for c in self.m.cores.values())

    def over_budget(self) -> StopEvent | None:
        if self.max_instructions is not None and self.executed >= self.max_instructions:
            return StopEvent("budget", None, SIGXCPU, message=f"instruction budget of {self.max_instructions} "
                                                              f"used up (--max-instructions)")
        if self.timeout is not None and self.run_seconds >= self.timeout:
            return StopEvent("timeout", None, SIGXCPU, message=f"running-time budget of {self.timeout} s used "
                                                               f"up (--timeout)")
        return None

    def _bounded(self, go: Callable[[int], Any]) -> tuple[StopEvent | None, Any]:
        """Run ``go(n)`` for one chunk of at most n instructions inside the budgets.

        Returns (event, outcome): an event when the machine has already ended or a budget is
        used up (outcome None), else (None, what ``go`` returned)."""
        if self.finished:
            return self._ended(), None
        over = self.over_budget()
        if over:
            return self._remember(over), None
        n = self.chunk
        if self.max_instructions is not None:
            n = max(1, min(n, self.max_instructions - self.executed))
        before = self._instructions()
        t0 = time.monotonic()
        outcome = go(n)
        self.run_seconds += time.monotonic() - t0
        self.executed += self._instructions() - before
        return None, outcome

    def _after(self, result: Any) -> StopEvent | None:
        """The event for a machine RunResult; None when only the chunk's budget ended."""
        if result.reason == "budget":
            over = self.over_budget()
            return self._remember(over) if over else None
        return self._remember(self.from_result(result))

    def run_chunk(self) -> StopEvent | None:
        """Run one bounded chunk; a StopEvent when the machine stopped, None to keep going."""
        event, result = self._bounded(lambda n: self.m.scheduler.run(n))
        return event if result is None else self._after(result)

    def _ended(self) -> StopEvent:
        r = self.result
        return StopEvent("exit", _name(getattr(r, "core", None)), exit_code=getattr(r, "exit_code", 0),
                         message=getattr(r, "message", ""))

    def from_result(self, result: Any) -> StopEvent:
        reason = result.reason
        if reason in ("breakpoint", "watchpoint", "step"):
            return stop_from_debug(getattr(result, "stop", None), reason)
        message = result.message or (str(result.error) if result.error else "")
        if reason == "exit":
            self.result = result
            return StopEvent("exit", result.core, exit_code=result.exit_code, message=message)
        core = result.core
        if reason == "fault":
            faulted = getattr(self.m, "faulted", None)
            core = core or _name(faulted)
            self.fault_text = getattr(result.error, "report", "") or message
        return StopEvent(reason, core, _SIGNALS.get(reason, SIGTRAP), message=message)

    def _remember(self, ev: StopEvent | None) -> StopEvent | None:
        if ev is not None:
            self.last_stop = ev
        return ev

    def step(self, core: Any) -> StopEvent:
        """One instruction on ``core`` with the other cores (and their time) frozen."""
        if self.finished:
            return self._ended()
        before = self._instructions()
        left = None if self.max_instructions is None else max(1, self.max_instructions - self.executed)
        # Machine.step takes a pending interrupt between slices as the scheduler does (one that
        # CPSIE/MSR/DSB/ISB just unmasked included), so gdb, the debugger prompt and the Python API
        # enter exceptions the same way; the server never takes them on the core itself.
        stop = self.m.step(core, 1, others="frozen", max_instructions=left)   # bounds an SVC it completes
        self.executed += self._instructions() - before
        if stop.result is not None:                  # the machine ended (exit, fault, panic...)
            return self._remember(self.from_result(stop.result))
        return self._step_event(stop, core, ("breakpoint", "watchpoint", "idle"))

    def _step_event(self, stop: Any, core: Any, keep: tuple[str, ...]) -> StopEvent:
        """The event of a debugger stop ending a step of ``core``: its own kind when in ``keep``,
        else "step"."""
        ev = stop_from_debug(stop, stop.reason)
        ev.core = ev.core or core.name
        if ev.kind not in keep:
            ev.kind = "step"
        return self._remember(ev)

    def step_chunk(self, core: Any) -> StopEvent | None:
        """A step of a core that cannot execute with the others frozen (asleep in WFI/WFE, blocked,
        held in reset): one bounded chunk of the machine running until that core has executed
        one instruction (often the first of the interrupt handler that woke it). None: not yet."""
        event, stop = self._bounded(lambda n: self.m.step(core, 1, others="run", max_instructions=n))
        if stop is None:
            return event
        if stop.result is not None:
            return self._after(stop.result)
        return self._step_event(stop, core, ("breakpoint", "watchpoint"))

    def run_to_end(self, should_stop: Callable[[], bool] = lambda: False) -> Any:
        """After the last gdb detached: run until the firmware ends or a budget runs out."""
        while not should_stop():
            ev = self.run_chunk()
            if ev is None:
                continue
            if ev.kind in ("breakpoint", "watchpoint"):
                continue          # nobody is there to see it (the detaching gdb removed its points)
            return ev
        return None


# =============================================================================================
# Sessions: one gdb connection each
# =============================================================================================

@dataclass
class ThreadInfo:
    tid: int
    core: Any

    @property
    def name(self) -> str:
        return self.core.name


@dataclass
class ZPoint:
    """One Z packet: the debug-API ids it became (one per core it was set on)."""

    ztype: int
    addr: int
    kind: int
    ids: list[int] = field(default_factory=list)

    def table(self, machine: Any) -> Any:
        """The debug-API table its ids are in: breakpoints for Z0/Z1, watchpoints for Z2-Z4."""
        return machine.breakpoints if self.ztype in (0, 1) else machine.watchpoints

    def remove(self, machine: Any, quiet: bool = False) -> None:
        """Remove its ids from the machine (``quiet``: ignore ids already gone)."""
        table = self.table(machine)
        for ident in self.ids:
            try:
                table.remove(ident)
            except Exception:                          # noqa: BLE001
                if not quiet:
                    raise


_WATCH_KINDS = {2: "w", 3: "r", 4: "rw"}
_WATCH_REPLY = {"w": "watch", "r": "rwatch", "rw": "awatch"}


class Session:
    """The protocol state of one gdb connection."""

    def __init__(self, server: "GdbServer", port: "Port", sock: socket.socket, log: Callable[[str], None]) -> None:
        self.server = server
        self.port = port
        self.ctl = server.controller
        self.m = server.machine
        self.sock = sock
        self.log = log
        self.reader = PacketReader()
        self.noack = False
        self.threads = port.threads
        self.desc = port.description
        self.g_tid = self.threads[0].tid
        self.c_tid = -1
        self.resumed = False
        self.step_core: Any = None       # resumed to step a core that needs the machine running
        self.interrupted = False
        self.told_waiting = False
        self.closed = False
        self.zpoints: dict[tuple[int, int, int], ZPoint] = {}
        self._last_sent = b""
        self.end_server = False          # k / vKill
        self.detached = False

    # -- transport ----------------------------------------------------------------------
    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            payload = payload.encode()
        data = frame(payload)
        self._last_sent = data
        try:
            self.sock.sendall(data)
        except OSError:
            self.close()

    def console(self, text: str) -> None:
        """Text for gdb's console: ``O`` packets (only while gdb waits for a stop, or in qRcmd)."""
        data = text.encode()
        step = (PACKET_SIZE - 8) // 2
        for i in range(0, len(data), step):
            self.send(b"O" + hex_encode(data[i:i + step]))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def on_readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.close()
            return
        for item in self.reader.feed(data):
            if self.closed:
                return
            if item.kind == "interrupt":
                if self.resumed:
                    self.interrupted = True
            elif item.kind == "nak":
                if self._last_sent:
                    try:
                        self.sock.sendall(self._last_sent)
                    except OSError:
                        self.close()
            elif item.kind in ("bad", "packet"):
                if not self.noack:
                    try:
                        self.sock.sendall(b"+" if item.kind == "packet" else b"-")
                    except OSError:
                        self.close()
                        return
                if item.kind == "packet":
                    self.handle(item.payload)

    # -- threads ------------------------------------------------------------------------
    def thread(self, tid: int | None) -> ThreadInfo:
        if tid in (None, 0, -1):
            tid = self.g_tid
        for t in self.threads:
            if t.tid == tid:
                return t
        return self.threads[0]

    def by_core(self, name: str | None) -> ThreadInfo | None:
        for t in self.threads:
            if t.name == name:
                return t
        return None

    def _has(self, tid: int) -> bool:
        return any(t.tid == tid for t in self.threads)

    @staticmethod
    def _tid(text: bytes) -> int:
        text = text.split(b".")[-1]           # p<pid>.<tid> if gdb ever sends it
        if text.startswith(b"p"):
            text = text[1:]
        return -1 if text == b"-1" else int(text, 16)

    def _state_text(self, core: Any) -> str:
        state = getattr(core.state, "value", str(core.state))
        return f"{core.name} {core.spec.cpu} ({'v8-M' if core.v8m else 'v6-M'}) {state}"

    # -- dispatch -----------------------------------------------------------------------
    def handle(self, pkt: bytes) -> None:
        try:
            reply = self._dispatch(pkt)
        except PsaEmuError as exc:
            self.log(f"gdb: {pkt[:40]!r}: {exc}")
            reply = b"E01"
        except (ValueError, IndexError, KeyError) as exc:
            self.log(f"gdb: malformed packet {pkt[:40]!r}: {exc}")
            reply = b"E02"
        if reply is not None:
            self.send(reply)

    def _dispatch(self, pkt: bytes) -> bytes | None:
        if not pkt:
            return b""
        c = pkt[:1]
        body = pkt[1:]
        if c == b"q":
            return self._query(pkt)
        if c == b"Q":
            if pkt == b"QStartNoAckMode":
                self.send(b"OK")
                self.noack = True
                return None
            return b""
        if c == b"v":
            return self._v(pkt)
        if c == b"?":
            if self.ctl.finished:                   # the firmware has exited: no process any more
                return self.stop_reply(self.ctl._ended())
            ev = self.ctl.last_stop or StopEvent("initial", self.threads[0].name, SIGTRAP)
            return self.stop_reply(ev, owner=ev.core is None or self.by_core(ev.core) is not None)
        if c == b"!":
            return b"OK"
        if c == b"H":
            tid = self._tid(body[1:]) if len(body) > 1 else 0
            if tid not in (0, -1) and not self._has(tid):
                return b"E01"
            if body[:1] == b"g":
                self.g_tid = self.thread(tid).tid
            else:
                self.c_tid = tid
            return b"OK"
        if c == b"T":
            return b"OK" if self._has(self._tid(body)) and not self.ctl.finished else b"E01"
        if c == b"g":
            core = self.thread(self.g_tid).core
            return b"".join(encode_register(r, read_register(core, r)) for r in self.desc.regs)
        if c == b"G":
            return self._write_all(body)
        if c == b"p":
            n = int(body, 16)
            if n >= len(self.desc.regs):
                return b"E00"
            r = self.desc.regs[n]
            return encode_register(r, read_register(self.thread(self.g_tid).core, r))
        if c == b"P":
            num, _, val = body.partition(b"=")
            n = int(num, 16)
            if n >= len(self.desc.regs):
                return b"E00"
            r = self.desc.regs[n]
            v = decode_register(r, val)
            if v is not None:
                write_register(self.thread(self.g_tid).core, r, v)
            return b"OK"
        if c == b"m":
            addr, _, length = body.partition(b",")
            data = self.read_memory(int(addr, 16), int(length, 16))
            return hex_encode(data) if data else b"E14"
        if c in (b"M", b"X"):
            head, _, data = body.partition(b":")
            addr, _, length = head.partition(b",")
            raw = hex_decode(data) if c == b"M" else unescape_binary(data)
            n = int(length, 16)
            if len(raw) != n:
                return b"E02"
            return b"OK" if self.write_memory(int(addr, 16), raw) else b"E14"
        if c in (b"Z", b"z"):
            return self._zpoint(c == b"Z", body)
        if c in (b"c", b"C"):
            return self._resume_packet(step=False, body=body, with_signal=c == b"C")
        if c in (b"s", b"S"):
            return self._resume_packet(step=True, body=body, with_signal=c == b"S")
        if c == b"k":
            self.end_server = True
            return None
        if c == b"D":
            self.send(b"OK")
            self.detached = True
            return None
        return b""

    # -- queries ------------------------------------------------------------------------
    def _query(self, pkt: bytes) -> bytes:
        if pkt.startswith(b"qSupported"):
            return (f"PacketSize={PACKET_SIZE:x};qXfer:features:read+;qXfer:threads:read+;swbreak+;hwbreak+;"
                    f"vContSupported+;QStartNoAckMode+").encode()
        if pkt.startswith(b"qXfer:features:read:"):
            annex, _, span = pkt[len(b"qXfer:features:read:"):].partition(b":")
            if annex != b"target.xml":
                return b"E00"
            off, _, length = span.partition(b",")
            return xfer_slice(self.desc.xml, int(off, 16), int(length, 16))
        if pkt.startswith(b"qXfer:threads:read:"):
            _annex, _, span = pkt[len(b"qXfer:threads:read:"):].partition(b":")
            off, _, length = span.partition(b",")
            return xfer_slice(self.threads_xml(), int(off, 16), int(length, 16))
        if pkt == b"qfThreadInfo":
            if self.ctl.finished:
                return b"l"
            return b"m" + b",".join(b"%x" % t.tid for t in self.threads)
        if pkt == b"qsThreadInfo":
            return b"l"
        if pkt == b"qC":
            return b"QC%x" % self.thread(self.g_tid).tid
        if pkt.startswith(b"qThreadExtraInfo,"):
            t = self.thread(self._tid(pkt.split(b",", 1)[1]))
            return hex_encode(self._state_text(t.core).encode())
        if pkt.startswith(b"qAttached"):
            return b"1" if self.server.per_core else b"0"
        if pkt.startswith(b"qRcmd,"):
            text = hex_decode(pkt[len(b"qRcmd,"):]).decode(errors="replace")
            out = self.server.monitor(self, text)
            if out:
                self.console(out if out.endswith("\n") else out + "\n")
            return b"OK"
        if pkt == b"qSymbol::":
            return b"OK"
        return b""

    def threads_xml(self) -> bytes:
        lines = ['<?xml version="1.0"?>', "<threads>"]
        for i, t in enumerate([] if self.ctl.finished else self.threads):
            lines.append(f'  <thread id="{t.tid:x}" core="{i}" name="{t.name}">{self._state_text(t.core)}</thread>')
        lines.append("</threads>")
        return "\n".join(lines).encode()

    # -- v packets ----------------------------------------------------------------------
    def _v(self, pkt: bytes) -> bytes | None:
        if pkt == b"vCont?":
            return b"vCont;c;C;s;S"
        if pkt.startswith(b"vCont;"):
            step_tid = None
            for action in pkt[len(b"vCont;"):].split(b";"):
                verb, _, tid = action.partition(b":")
                if verb[:1] in (b"s", b"S"):
                    t = self._tid(tid) if tid else self.g_tid
                    if step_tid is None:
                        step_tid = t
                elif verb[:1] not in (b"c", b"C"):
                    return b"E01"         # t, r: not offered in vCont?
            if step_tid is not None:
                return self._step(self.thread(step_tid))
            return self._continue()
        if pkt.startswith(b"vKill"):
            self.send(b"OK")
            self.end_server = True
            return None
        if pkt.startswith(b"vMustReplyEmpty"):
            return b""
        return b""

    # -- registers and memory -----------------------------------------------------------
    def _write_all(self, body: bytes) -> bytes:
        core = self.thread(self.g_tid).core
        pos = 0
        for r in self.desc.regs:
            width = r.bits // 4
            text = body[pos:pos + width]
            if len(text) < width:
                break
            v = decode_register(r, text)
            if v is not None:
                write_register(core, r, v)
            pos += width
        return b"OK"

    def _views(self) -> list[Any]:
        """Cores whose view memory packets use: the selected thread's first, then the others."""
        first = self.thread(self.g_tid)
        return [first.core] + [t.core for t in self.threads if t is not first]

    def _maps(self, core: Any, addr: int, size: int) -> bool:
        amap = self.m.memory.maps[core.name]
        return amap.find(addr) is not None and amap.find(addr + max(size, 1) - 1) is not None

    def read_memory(self, addr: int, length: int) -> bytes:
        if SCS_START <= addr and addr + length <= SCS_END:
            return read_scs(self.thread(self.g_tid).core, addr, length)
        views = self._views()
        for core in views:
            if self._maps(core, addr, length):
                try:
                    return core.read(addr, length)
                except Exception:                      # noqa: BLE001 - an unreadable range
                    continue
        # part of the range: the readable prefix, through the first view that maps its start
        for core in views:
            if self._maps(core, addr, 1):
                out = bytearray()
                for a in range(addr, addr + length):
                    try:
                        out += core.read(a, 1)
                    except Exception:                  # noqa: BLE001
                        break
                return bytes(out)
        return b""

    def write_memory(self, addr: int, data: bytes) -> bool:
        if not data:
            return True
        for core in self._views():
            if self._maps(core, addr, len(data)):
                try:
                    core.write(addr, data)
                    return True
                except Exception:                      # noqa: BLE001
                    continue
        return False

    # -- breakpoints and watchpoints ------------------------------------------------------
    def _zpoint(self, insert: bool, body: bytes) -> bytes:
        parts = body.split(b";")[0].split(b",")
        ztype, addr, kind = int(parts[0]), int(parts[1], 16), int(parts[2], 16)
        if ztype > 4:
            return b""
        key = (ztype, addr, kind)
        if not insert:
            zp = self.zpoints.pop(key, None)
            if zp is not None:
                zp.remove(self.m)
            return b"OK"
        if key in self.zpoints:
            return b"OK"
        zp = ZPoint(ztype, addr, kind)
        table = zp.table(self.m)
        try:
            if ztype in (0, 1):
                for t in self.threads:
                    if self._maps(t.core, addr, 1):
                        zp.ids.append(table.add(t.core, addr))
            else:
                size = max(kind, 1)
                chosen = [c for c in self._views() if self._maps(c, addr, size)]
                if chosen:
                    zp.ids.append(table.add(chosen[0], addr, size, _WATCH_KINDS[ztype]))
        except PsaEmuError as exc:
            self.log(f"psaemu gdb: Z{ztype} at {addr:#010x}: {exc}")
            zp.remove(self.m)
            return b"E01"
        if not zp.ids:
            return b"E01"
        self.zpoints[key] = zp
        return b"OK"

    def remove_all_points(self) -> None:
        for zp in self.zpoints.values():
            zp.remove(self.m, quiet=True)
        self.zpoints.clear()

    def owns(self, ev: StopEvent) -> bool:
        """Whether this session is the one to hear the reason of ``ev``."""
        if ev.ids:
            mine = {ident for zp in self.zpoints.values() for ident in zp.ids}
            if mine & set(ev.ids):
                return True
            if ev.kind == "watchpoint":
                return False
        return self.by_core(ev.core) is not None

    def _zpoint_of(self, ev: StopEvent, types: Iterable[int]) -> ZPoint | None:
        types = set(types)
        for zp in self.zpoints.values():
            if zp.ztype in types and any(ident in ev.ids for ident in zp.ids):
                return zp
        return None

    # -- running ------------------------------------------------------------------------
    def _resume_packet(self, step: bool, body: bytes, with_signal: bool) -> bytes | None:
        if with_signal:
            _sig, _, addr = body.partition(b";")     # the signal is ignored
        else:
            addr = body
        t = self.thread(self.c_tid if self.c_tid not in (0, -1) else self.g_tid)
        if addr:
            t.core.set_reg("pc", int(addr, 16) | 1)
        return self._step(t) if step else self._continue()

    def _step(self, t: ThreadInfo) -> bytes | None:
        ev = self.ctl.step(t.core)
        if ev.kind == "idle":
            # asleep, blocked or held in reset: nothing executed with the others frozen, and gdb
            # would step again forever; the machine runs until this core executes an instruction
            self.g_tid = t.tid
            self._continue()
            self.step_core = t.core
            return None
        self.server.flush_console([self])
        self.g_tid = t.tid
        return self.stop_reply(ev, stepped=t)

    def _continue(self) -> None:
        self.step_core = None
        self.resumed = True
        self.interrupted = False
        self.told_waiting = False
        return None

    def stop_reply(self, ev: StopEvent, stepped: ThreadInfo | None = None, owner: bool = True) -> bytes:
        """The stop reply packet for ``ev`` as this session sees it."""
        if ev.kind == "exit":
            return b"W%02x" % ((ev.exit_code or 0) & 0xFF)
        if not owner:
            t = self.thread(self.g_tid)
            return self._t_packet(SIG0, t, "")
        t = self.by_core(ev.core) or stepped or self.thread(self.g_tid)
        self.g_tid = t.tid
        extra = ""
        sig = ev.signal
        if ev.kind == "breakpoint":
            zp = self._zpoint_of(ev, (0, 1))
            extra = "hwbreak:;" if zp is not None and zp.ztype == 1 else "swbreak:;"
            sig = SIGTRAP
        elif ev.kind == "watchpoint":
            zp = self._zpoint_of(ev, (2, 3, 4))
            if zp is not None:                       # the reply names the watchpoint gdb set (Z2/Z3/Z4)
                extra = f"{_WATCH_REPLY[_WATCH_KINDS[zp.ztype]]}:{self._watch_address(ev, zp):x};"
            elif ev.address is not None:
                extra = f"{_WATCH_REPLY.get(ev.watch_kind or 'w', 'watch')}:{ev.address:x};"
            sig = SIGTRAP
        elif ev.kind == "interrupt":
            sig = SIGINT
        return self._t_packet(sig, t, extra)

    @staticmethod
    def _watch_address(ev: StopEvent, zp: ZPoint) -> int:
        """The accessed byte in the watchpoint's own view (what gdb set), inside its range."""
        lo, hi = zp.addr, zp.addr + max(zp.kind, 1)
        for addr in (ev.watch_address, ev.address):
            if addr is not None and lo <= addr < hi:
                return addr
        return lo

    def _t_packet(self, sig: int, t: ThreadInfo, extra: str) -> bytes:
        pc = encode_register(self.desc.regs[PC_REGNUM], read_register(t.core, self.desc.regs[PC_REGNUM]))
        return f"T{sig:02x}{extra}thread:{t.tid:x};{PC_REGNUM:02x}:".encode() + pc + b";"


# =============================================================================================
# The server: ports, the event loop, monitor commands
# =============================================================================================

@dataclass
class Port:
    """A listening socket and what its connections see."""

    sock: socket.socket
    threads: list[ThreadInfo]
    description: Description
    label: str
    session: Session | None = None
    open: bool = True

    @property
    def number(self) -> int:
        return self.sock.getsockname()[1]


MONITOR_HELP = """\
monitor commands (psaemu):
  help                          this list
  cores                         state, pc and virtual time of each core
  ipc [N]                       the last N IPC monitor records (default 10; needs the PSA Proxy)
  events [N]                    the last N event-trace records (default 20)
  translate ADDR FROM TO        the address at which core TO sees FROM's ADDR (e.g. 0x1a408000 host se)
  describe ADDR [CORE]          what is at ADDR in CORE's view (default: the selected thread), with symbol
  fault                         the report of the last fault
"""


class GdbServer:
    """The RSP server of one machine: one port with every core as a thread, or one port per core."""

    def __init__(self, machine: Any, system: Any = None, *, port: int = 0, per_core: bool = False,
                 host: str = "127.0.0.1", chunk: int = DEFAULT_CHUNK, max_instructions: int | None = None,
                 timeout: float | None = None, log: Callable[[str], None] | None = None,
                 console_to_gdb: bool = False) -> None:
        self.machine = machine
        self.system = system
        self.per_core = per_core
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.controller = Controller(machine, chunk=chunk, max_instructions=max_instructions, timeout=timeout)
        threads = [ThreadInfo(i + 1, c) for i, c in enumerate(machine.cores.values())]
        self.threads = threads
        self.ports: list[Port] = []
        self._wake_r, self._wake_w = socket.socketpair()
        self._shutdown = False
        self.ended_by: str | None = None
        self._console_lines: list[str] = []
        if console_to_gdb:
            sink = machine.console.sink

            def forward(core: str, line: str) -> None:
                self._console_lines.append(f"[{core}] {line}\n")
                if sink is not None:
                    sink(core, line)

            machine.console.sink = forward
        try:
            if per_core:
                for i, t in enumerate(threads):
                    desc = V8M_FP if t.core.v8m else V6M
                    self.ports.append(Port(self._listen(host, port + i if port else 0), [t], desc, t.name))
            else:
                self.ports.append(Port(self._listen(host, port), threads, V8M_FP, "all"))
        except OSError as exc:
            self.close()
            raise GdbServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    @staticmethod
    def _listen(host: str, port: int) -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(1)
        return s

    @property
    def port_numbers(self) -> dict[str, int]:
        return {p.label: p.number for p in self.ports}

    # -- lifecycle ------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Ask :meth:`serve` to end (from another thread)."""
        self._shutdown = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def close(self) -> None:
        for p in self.ports:
            if p.session:
                p.session.close()
            try:
                p.sock.close()
            except OSError:
                pass
        for s in (self._wake_r, self._wake_w):
            try:
                s.close()
            except OSError:
                pass

    def sessions(self) -> list[Session]:
        return [p.session for p in self.ports if p.session is not None and not p.session.closed]

    # -- the event loop -------------------------------------------------------------------
    def serve(self) -> str:
        """Serve until gdb kills the machine, the last gdb detaches (then run to the end) or the
        firmware has ended and gdb disconnected. Returns how it ended: killed, detached, ended, shutdown."""
        try:
            return self._serve()
        finally:
            self.close()

    def may_run(self) -> bool:
        """The machine runs while every open port has a gdb connected and every gdb has resumed it."""
        sessions = self.sessions()
        if not sessions or not all(s.resumed for s in sessions):
            return False
        missing = [p for p in self.ports if p.open and p.session is None]
        if missing:
            for s in sessions:
                if not s.told_waiting:
                    s.told_waiting = True
                    s.console("psaemu: the machine runs when a gdb is also connected to "
                              + ", ".join(f"port {p.number} ({p.label})" for p in missing)
                              + " and has resumed it\n")
            return False
        return True

    def _serve(self) -> str:
        ctl = self.controller
        while not self._shutdown:
            running = self.may_run()
            waiting = [self._wake_r] + [p.sock for p in self.ports if p.open and p.session is None] + self.sessions()
            try:
                ready, _, _ = select.select(waiting, [], [], 0 if running else 1.0)
            except (OSError, ValueError):
                ready = []
            for obj in ready:
                if obj is self._wake_r:
                    try:
                        self._wake_r.recv(64)
                    except OSError:
                        pass
                elif isinstance(obj, Session):
                    obj.on_readable()
                else:
                    self._accept(obj)
            outcome = self._after_packets()
            if outcome:
                return outcome
            sessions = self.sessions()
            if any(s.interrupted for s in sessions):
                self._dispatch_stop(StopEvent("interrupt", self._interrupt_core(sessions), SIGINT),
                                    interrupted=True)
                continue
            if self.may_run():
                stepping = next((s.step_core for s in self.sessions() if s.step_core is not None), None)
                ev = ctl.run_chunk() if stepping is None else ctl.step_chunk(stepping)
                self.flush_console()
                if ev is not None:
                    self._dispatch_stop(ev)
        return "shutdown"

    def _accept(self, sock: socket.socket) -> None:
        port = next(p for p in self.ports if p.sock is sock)
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        port.session = Session(self, port, conn, self.log)
        self.log(f"psaemu gdb: connection from {peer[0]}:{peer[1]} on port {port.number} "
                 f"({', '.join(t.name for t in port.threads)})")

    def _interrupt_core(self, sessions: list[Session]) -> str:
        for s in sessions:
            if s.interrupted:
                return s.thread(s.g_tid).name
        return self.threads[0].name

    def _after_packets(self) -> str | None:
        """Handle kills, detaches and closed connections after a round of packets.

        ``k``/``vKill`` ends the server. ``D`` closes that connection and its port; when no gdb is
        left connected the machine runs to its end. A connection closed without either keeps
        the machine stopped and the port open for the next gdb, unless the firmware has ended.
        """
        for p in self.ports:
            s = p.session
            if s is None:
                continue
            if s.end_server:
                self.log("psaemu gdb: killed by gdb")
                self.ended_by = "killed"
                return "killed"
            if not (s.detached or s.closed):
                continue
            s.remove_all_points()
            s.close()
            p.session = None
            if s.detached:
                p.open = False
            self.log(f"psaemu gdb: gdb {'detached' if s.detached else 'disconnected'} (port {p.number})")
            if self.sessions():
                continue
            if self.controller.finished:
                self.ended_by = "ended"
                return "ended"
            if s.detached:
                return self._run_detached()
        return None

    def _run_detached(self) -> str:
        for p in self.ports:
            p.open = False
        self.log("psaemu gdb: the last gdb detached; running the machine to its end")
        ev = self.controller.run_to_end(lambda: self._shutdown)
        self.flush_console()
        if ev is not None:
            self.log(f"psaemu gdb: {ev.message or ev.kind}")
            if ev.kind == "fault" and self.controller.fault_text:
                self.log(self.controller.fault_text)
        self.ended_by = "detached"
        return "detached"

    def _dispatch_stop(self, ev: StopEvent, interrupted: bool = False) -> None:
        waiting = [s for s in self.sessions() if s.resumed]
        owner = None
        if not interrupted:
            owner = next((s for s in waiting if s.owns(ev)), None)
        for s in waiting:
            s.resumed = False
            s.step_core = None
            if interrupted:
                mine = s.interrupted
                s.interrupted = False
                packet = s.stop_reply(ev) if mine else s.stop_reply(ev, owner=False)
            else:
                if ev.message and ev.kind not in ("breakpoint", "watchpoint", "step"):
                    s.console(f"psaemu: {ev.message.splitlines()[0]}\n")
                if ev.kind == "watchpoint" and ev.accessor and s is owner and s.by_core(ev.accessor) is None:
                    s.console(f"psaemu: watchpoint hit by core {ev.accessor}"
                              f"{f' at {ev.address:#010x}' if ev.address is not None else ''}\n")
                mine = s is owner or ev.kind == "exit" or owner is None and s is waiting[0]
                packet = s.stop_reply(ev, owner=mine)
            s.send(packet)
        if ev.kind == "fault" and self.controller.fault_text:
            self.log(self.controller.fault_text)

    def flush_console(self, sessions: Sequence[Session] | None = None) -> None:
        """Firmware console lines to the gdbs waiting for a stop (``O`` packets), with --gdb-console."""
        if not self._console_lines:
            return
        targets = [s for s in self.sessions() if s.resumed] if sessions is None else list(sessions)
        if not targets:
            return
        text = "".join(self._console_lines)
        self._console_lines.clear()
        for s in targets:
            s.console(text)

    # -- monitor --------------------------------------------------------------------------
    def monitor(self, session: Session, text: str) -> str:
        try:
            words = shlex.split(text)
        except ValueError as exc:
            return f"monitor: {exc}"
        if not words or words[0] == "help":
            return MONITOR_HELP
        cmd, args = words[0], words[1:]
        m = self.machine
        try:
            if cmd == "cores":
                return self._cores_text()
            if cmd == "ipc":
                if self.system is None:
                    return "no IPC monitor: the PSA Proxy is not attached (psaemu gdb --proxy on)"
                n = parse_number(args[0]) if args else 10
                records = list(self.system.records)[-n:] if n else []
                if not records:
                    return "no IPC records yet"
                start = records[0].seq - 1            # the window may have dropped older records
                return "\n".join(f"#{start + i} {r.format()}" for i, r in enumerate(records))
            if cmd == "events":
                n = parse_number(args[0]) if args else 20
                recs = list(m.events.records)[-n:] if n else []
                return "\n".join(m.events.format(r) for r in recs) or "no events recorded"
            if cmd == "translate":
                if len(args) != 3:
                    return "usage: monitor translate ADDR FROM TO   (e.g. monitor translate 0x1a408000 host se)"
                src, dst = args[1], args[2]
                got = m.translate(args[0], src, dst)
                return f"{src}:{m.cores[src].resolve(args[0]):#010x} = {dst}:{got:#010x}"
            if cmd == "describe":
                if not args:
                    return "usage: monitor describe ADDR [CORE]"
                core = m.cores.get(args[1]) if len(args) > 1 else session.thread(session.g_tid).core
                if core is None:
                    return f"no core {args[1]!r} (cores: {', '.join(m.cores)})"
                return core.describe(args[0])
            if cmd == "fault":
                text = self.controller.fault_text
                if not text and getattr(m, "faulted", None) is not None:
                    from psaemu.platform.cpu.faults import fault_report
                    text = fault_report(m.faulted)
                return text or "no fault"
        except (ValueError, IndexError, PsaEmuError) as exc:
            return f"monitor {cmd}: {exc}"
        return f"unknown monitor command {cmd!r}\n{MONITOR_HELP}"

    def _cores_text(self) -> str:
        m = self.machine
        lines = []
        for t in self.threads:
            c = t.core
            state = getattr(c.state, "value", str(c.state))
            where = c.where(c.pc) if state != "off" else "-"
            lines.append(f"thread {t.tid} {c.name:<5} {c.spec.cpu:<14} {state:<9} pc={where} "
                         f"instructions={c.instructions} t={m.time_ps(c) / 1e6:.3f}us")
        return "\n".join(lines)


def connect_hint(port: int, elf: str | None) -> str:
    target = f"gdb-multiarch -ex 'target extended-remote :{port}'"
    return f"{target} {elf}" if elf else target
