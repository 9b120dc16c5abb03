"""The machine: cores, memory and peripherals of a board, run by its scheduler.

Virtual time counts instructions per core (one per cycle at the core's clock). ``Machine.run``,
the debugger and the GDB server all run the cores through the machine's one
:class:`~psaemu.platform.system.scheduler.Scheduler` (``Machine.scheduler``), whose pluggable policy
decides which core runs next; by default the core furthest behind in virtual time, for one
quantum. Nothing depends on the host's speed, so the same inputs give the same event trace.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from unicorn import UC_PROT_ALL

from psaemu.peripherals.base import Peripheral
from psaemu.peripherals.catalog import create as create_peripheral
from psaemu.platform.cpu.core import NO_IMAGE, Core, CoreState
from psaemu.platform.cpu.security import SecurityGuard
from psaemu.platform.errors import ConfigError, ImageError, PsaEmuError
from psaemu.platform.firmware import imagefile
from psaemu.platform.firmware.loader import Image
from psaemu.platform.system.board import Board, load_board
from psaemu.platform.system.busmaster import BusMaster
from psaemu.platform.system.console import Console
from psaemu.platform.system.events import DEFAULT_EVENT_LIMIT, MHU_FIELDS, EventLog
from psaemu.platform.system.memory import Mapping, Memory
from psaemu.platform.system.schedpolicy import DEFAULT_QUANTUM, Policy
from psaemu.platform.system.scheduler import PS_PER_S, Scheduler

LOADABLE_KINDS = ("flash", "ram", "rom", "window")


@dataclass
class RunResult:
    """How a run ended. ``reason``: exit, fault, panic, budget, timeout or deadlock; with the
    debugger also breakpoint, watchpoint, step or until, and ``stop`` says where (a
    :class:`psaemu.platform.debug.debugger.Stop`)."""

    reason: str
    exit_code: int
    message: str
    core: str | None = None
    instructions: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0
    virtual_seconds: float = 0.0
    error: PsaEmuError | None = None
    stop: Any = None

    @property
    def ok(self) -> bool:
        return self.reason == "exit" and self.exit_code == 0

    def check(self) -> "RunResult":
        """Raise the run's error (fault, budget, deadlock) if it did not end by a firmware exit."""
        if self.error is not None:
            raise self.error
        return self


class Machine:
    """A board instance: build it, load images, run it; inspect cores, memory and traces."""

    #: The PSA Proxy's ProxySystem once ``psaemu.proxy.system.attach_proxy`` added it.
    proxy_system: Any = None

    def __init__(self, board: Board | str | Path | None = None, *, quantum: int = DEFAULT_QUANTUM,
                 fault_policy: str = "report", console: Callable[[str, str], None] | None = None,
                 trace_events: bool = True, flash_files: dict[str, str | Path] | None = None,
                 event_limit: int = DEFAULT_EVENT_LIMIT, policy: Policy | None = None) -> None:
        self.board = board if isinstance(board, Board) else load_board(board)
        if fault_policy not in ("report", "firmware"):
            raise PsaEmuError(f"fault policy {fault_policy!r} is not 'report' or 'firmware'")
        #: Runs the cores (``run``, ``run_until``, ``step``, ``deliver``, ``tick``); its policy is pluggable.
        self.scheduler = Scheduler(self, quantum, policy)
        self.events = EventLog(enabled=trace_events, limit=event_limit)   # the last event_limit records
        self.console = Console(console)
        self.memory = Memory(self.board, flash_files)
        self.cores: dict[str, Core] = {}
        for name, spec in self.board.cores.items():
            core = Core(self, spec)
            core.fault_policy = fault_policy
            self.cores[name] = core
        self._map_memory()
        self.peripherals: dict[str, Peripheral] = {}
        self._links: dict[str, Any] = {}
        for spec in self.board.peripherals:
            self._add_peripheral(spec)
        for name, core in self.cores.items():
            if self.memory.security[name]:
                core.security = SecurityGuard(core, self.memory.security[name],
                                              core.spec.enforce_security is not False)
        self._written: dict[str, list[tuple[int, int, str, str]]] = {}
        #: core -> the image spec of a multi-core file that loaded this core's part
        self._split_from: dict[str, str] = {}
        self.exit: tuple[Core, int, str] | None = None
        self.faulted: Core | None = None
        self.panic: PsaEmuError | None = None
        self.stopping = False
        #: Python models that act between slices (e.g. the PSA Proxy), called in order. An agent
        #: returns True when it acted (sent or consumed something): while no core can run, the
        #: agents are called again until they are quiet, so Python models can answer each other.
        self.agents: list[Callable[[], bool | None]] = []
        self._debugger: Any = None          # psaemu.platform.debug.debugger.Debugger, created on first use

    # -- construction ---------------------------------------------------------------------
    def _map_memory(self) -> None:
        for cname, amap in self.memory.maps.items():
            uc = self.cores[cname].uc
            for m in amap.mappings:
                uc.mem_map_ptr(m.base, m.size, UC_PROT_ALL, m.store.ptr + m.offset)

    def _add_peripheral(self, spec: Any) -> None:
        core = self.cores[spec.core]
        periph = create_peripheral(spec.type, spec.name, spec.params, self._links, self.board.mhu)
        self.peripherals[spec.name] = periph
        for base in [spec.base] + ([spec.ns_alias] if spec.ns_alias is not None else []):
            on_read, on_write = core.peripheral_callbacks(periph)
            core.uc.mmio_map(base, periph.SIZE, on_read, None, on_write, None)
            self.memory.maps[spec.core].add(Mapping(spec.core, base, periph.SIZE, spec.name, "peripheral", None))
        for output, irq in spec.params.get("irqs", {}).items():
            periph.connect(output, lambda level, c=core, n=irq: c.set_irq_line(n, bool(level)))
        if "tx" in periph.OUTPUTS:
            periph.connect("tx", lambda byte, c=spec.core: self.console.write(c, bytes([byte])))
        if "release" in periph.OUTPUTS and "controls" in spec.params:
            target = spec.params["controls"]
            periph.connect("release", lambda on, t=target, src=spec.name: self.set_released(t, bool(on), src))
        if hasattr(periph, "attach_bus_master"):      # a DMA-capable model: give it a port
            periph.attach_bus_master(BusMaster(self.memory, spec.core))
        if hasattr(periph, "attach_store") and "flash" in spec.params:   # a flash controller's region
            try:
                periph.attach_store(self.memory.stores[spec.params["flash"]])
            except ValueError as exc:
                raise ConfigError(f"{self.board.path}: {spec.key}.flash: {exc}") from None
        if hasattr(periph, "on_access"):
            periph.on_access = (lambda kind, frame, reg, value, c=core, put=self.events.put:
                                put(c, "mhu", MHU_FIELDS, (frame, kind, reg, value)))
        if hasattr(periph, "levels"):
            for output, level in periph.levels().items():
                irq = spec.params.get("irqs", {}).get(output)
                if irq is not None and level:
                    core.set_irq_line(irq, True)

    # -- convenience ----------------------------------------------------------------------
    def __getitem__(self, name: str) -> Core:
        return self.cores[name]

    def __getattr__(self, name: str) -> Core:
        cores = self.__dict__.get("cores", {})
        if name in cores:
            return cores[name]
        raise AttributeError(name)

    def peripheral_of(self, type_name: str, core: str) -> Peripheral | None:
        """The first peripheral of board type ``type_name`` on ``core``'s bus, or None."""
        for spec in self.board.peripherals:
            if spec.type == type_name and spec.core == core:
                return self.peripherals[spec.name]
        return None

    def require_peripheral(self, type_name: str, core: str, needed_by: str,
                           error: type[PsaEmuError] = ConfigError) -> Peripheral:
        """:meth:`peripheral_of`, or ``error`` naming the board, the missing peripheral and what needs it."""
        found = self.peripheral_of(type_name, core)
        if found is None:
            raise error(f"board {self.board.name!r} has no {type_name} on core {core!r}: {needed_by}")
        return found

    @property
    def quantum(self) -> int:
        """Instructions per scheduling slice (the scheduler's)."""
        return self.scheduler.quantum

    @quantum.setter
    def quantum(self, value: int) -> None:
        self.scheduler.quantum = value

    def time_ps(self, core: Core) -> int:
        return core.cycles * PS_PER_S // core.clock_hz

    @property
    def now_ps(self) -> int:
        """Virtual time of the machine: the latest time any live core has reached."""
        live = [self.time_ps(c) for c in self.cores.values()]
        return max(live) if live else 0

    # -- images ---------------------------------------------------------------------------
    def load(self, core_name: str, path: str | Path,
             symbols: str | Path | dict[str, str | Path] | None = None) -> Image:
        """Load an image onto a core and, if the board lets it run at power-on, reset it.

        ``path`` is an image spec (``psaemu.platform.firmware.imagefile``): an ELF, Intel HEX, MCUboot image
        or ``raw.bin@ADDRESS``, by path or bundled name. A file holding parts for other cores (in
        their board slots) loads those on them too. ``symbols``: an ELF (or {core: ELF}) giving
        the symbols, sections and vector table of a HEX/binary image.
        """
        if core_name not in self.cores:
            raise ImageError(f"{path}: no core named {core_name!r} on board {self.board.name!r} "
                             f"(cores: {', '.join(self.cores)})")
        split_from = self._split_from
        if split_from.get(core_name) == str(path) and self.cores[core_name].image is not None:
            return self.cores[core_name].image       # this core's part of a file already loaded for another
        plan = imagefile.plan(self, core_name, path, symbols)
        for other in plan.images:
            if other != core_name and self.cores[other].image is not None:
                raise ImageError(f"{path}: holds a part for core {other!r} (its image slots), which already has "
                                 f"{self.cores[other].image.path} loaded; give one image per core")
        placed = [self._place(cname, image, str(path)) for cname, image in plan.images.items()]
        for parts in placed:                         # every segment is checked before any is written
            for m, seg in parts:
                m.store.write(m.offset + seg.paddr - m.base, seg.data)
        for cname in plan.images:
            image = imagefile.finish(plan, cname, lambda a, n, c=cname: self._read_or_none(c, a, n))
            image.source = plan.source()
            if cname in plan.symbols:
                image.symbols_source = str(Path(plan.symbols[cname][0].path).resolve())
            self._start(cname, image, path, plan.format, plan.notes.get(cname, []))
            if cname != core_name:
                split_from[cname] = str(path)
        return self.cores[core_name].image

    def _place(self, core_name: str, image: Image, path: str) -> list[tuple[Mapping, Any]]:
        """Check and claim where each segment of ``image`` goes on ``core_name``."""
        amap = self.memory.maps[core_name]
        placed = []
        for seg in image.segments:
            if not seg.data:
                continue
            m = amap.find(seg.paddr, len(seg.data))
            if m is None or m.kind not in LOADABLE_KINDS:
                got = amap.find(seg.paddr)
                where = (f"it starts in {got.kind} '{got.name}' but does not fit" if got
                         else "no memory is there")
                raise ImageError(f"{path}: segment at {seg.paddr:#010x}..{seg.paddr + len(seg.data) - 1:#010x} "
                                 f"is outside the memory of core {core_name!r} ({where}); link the image for "
                                 f"this core (or fix the @ADDRESS).\n{amap.describe()}")
            self._claim(m, seg.paddr, len(seg.data), core_name, path)
            placed.append((m, seg))
        return placed

    def _read_or_none(self, core_name: str, addr: int, size: int) -> bytes | None:
        """``size`` bytes of ``core_name``'s memory at ``addr``, or None where it is not mapped."""
        m = self.memory.maps[core_name].find(addr, size)
        return None if m is None or m.store is None else bytes(self.cores[core_name].uc.mem_read(addr, size))

    def _start(self, core_name: str, image: Image, path: str | Path, fmt: str, notes: list[str]) -> None:
        """Give ``core_name`` its written image: vector table checks, load event, reset if it runs."""
        core = self.cores[core_name]
        amap = self.memory.maps[core_name]
        core.load(image)
        vt = image.vector_table
        if amap.find(vt or 0, 8) is None:
            raise ImageError(f"{path}: vector table at {vt:#010x} is not in the memory of core {core_name!r}")
        reset_pc = core.read_word((vt or 0) + 4)
        if not reset_pc & 1:
            raise ImageError(f"{path}: reset vector {reset_pc:#010x} at {vt + 4:#010x} has bit 0 clear; Cortex-M "
                             f"vectors must be Thumb addresses (is the vector table at {vt:#010x}?)")
        extra = {"format": fmt, **({"notes": "; ".join(notes)} if notes else {})} if fmt != "elf" else {}
        self.events.record(core, "load", image=Path(image.path).name, vtor=vt, segments=len(image.segments),
                           **extra)
        if core.spec.reset == "run" or core.state is not CoreState.OFF:
            core.reset()
        elif core.state_reason == NO_IMAGE:
            core.state_reason = self._held_since_power_on(core_name)

    def _held_since_power_on(self, core_name: str) -> str:
        """The reason of a loaded core the board holds in reset at power-on, naming what releases it."""
        by = [f"'{p.name}' on core '{p.core}'" for p in self.board.peripherals if p.params.get("controls") == core_name]
        how = f" (a write to {' or '.join(by)} releases it)" if by else ""
        return f"held in reset since power-on; nothing released it{how}"

    def _at(self) -> str:
        """The machine's virtual time as state reasons print it."""
        return f"t={self.now_ps / 1e6:.1f}us"

    def _claim(self, m: Mapping, addr: int, size: int, core: str, path: str) -> None:
        """Refuse two images (of any cores) writing the same bytes of one store."""
        off = m.offset + addr - m.base
        claims = self._written.setdefault(m.store.name, [])
        for start, end, other_core, other_path in claims:
            if off < end and start < off + size and (other_core, other_path) != (core, path):
                raise ImageError(f"{path}: segment at {core}:{addr:#010x} overlaps the image {other_path} "
                                 f"loaded on core {other_core!r} (same memory in '{m.store.name}'); link the "
                                 f"images at separate addresses")
        claims.append((off, off + size, core, path))

    # -- control requests from models -----------------------------------------------------
    def set_released(self, core_name: str, released: bool, source: str = "api", vtor: int | None = None) -> None:
        """Hold a core in reset or release it (the Musca-B1 SCC's HRESET_N, or the API), at ``vtor`` if given."""
        core = self.cores[core_name]
        if released and core.state is CoreState.OFF:
            if core.image is None:
                core.state_reason = f"released by {source} at {self._at()}, but no image loaded"
                self.events.record(core, "release_ignored", source=source, note="no image loaded")
                return
            core.cycles = max(core.cycles, max(c.cycles * core.clock_hz // c.clock_hz for c in self.cores.values()))
            core.reset(vtor)
            self.events.record(core, "release", source=source)
        elif not released and core.state is not CoreState.OFF:
            core.state = CoreState.OFF
            core.state_reason = f"held in reset by {source} at {self._at()}"
            core.uc.emu_stop()
            self.events.record(core, "hold_reset", source=source)

    def request_core_reset(self, core: Core, why: str) -> None:
        self.events.record(core, "system_reset", why=why)
        core.stop_requested = True
        core.uc.emu_stop()
        self.scheduler.request_reset(core)

    def request_exit(self, core: Core, code: int, why: str) -> None:
        if self.exit is None:
            self.exit = (core, code, why)
        core.state = CoreState.HALTED
        core.state_reason = f"halted: exited with status {code} ({why})"
        self.stopping = True
        self.events.record(core, "exit", code=code, why=why)

    def request_fault(self, core: Core) -> None:
        self.faulted = core
        self.stopping = True

    def request_panic(self, core: Core, error: PsaEmuError) -> None:
        """A modelled software component (the Host SPM, the proxy) panicked: stop with its report."""
        if self.panic is None:
            self.panic = error
        self.stopping = True
        core.stop_requested = True
        core.uc.emu_stop()
        self.events.record(core, "panic", what=str(error).splitlines()[0])

    def flush(self) -> None:
        """Write file-backed flash contents to disk."""
        for store in self.memory.stores.values():
            store.flush()

    def signal_event(self, core: Core) -> None:
        """SEV: set the event register of the executing core (TXEV is not wired between cores)."""
        core.event_register = True
        self.events.record(core, "sev")

    # -- running (psaemu.platform.system.scheduler) ----------------------------------------------
    def run(self, max_instructions: int | None = None, timeout: float | None = None) -> RunResult:
        """Run until a firmware exit, a fault, a budget, or a state nothing can leave."""
        return self.scheduler.run(max_instructions, timeout)

    def describe_cores(self) -> str:
        """One line per core: state, PC with symbol, what it waits for or why it is stopped."""
        lines = []
        for c in self.cores.values():
            detail = ""
            if c.state is CoreState.BLOCKED and c.block:
                detail = f", waiting for {c.block.what}"
            if c.state in (CoreState.SLEEPING, CoreState.WAITING):
                detail = f", {c.nvic.describe()}"
            if c.state in (CoreState.OFF, CoreState.HALTED):
                detail = f": {c.stopped_reason}"
            where = c.where(c.pc) if c.state is not CoreState.OFF else "-"
            lines.append(f"  {c.name:<6} {c.state.value:<9} pc={where} t={self.time_ps(c) / 1e6:.1f}us{detail}")
        return "\n".join(lines)

    # -- debugging (psaemu.platform.debug.debugger) ------------------------------------------------
    @property
    def debugger(self) -> Any:
        """The machine's :class:`~psaemu.platform.debug.debugger.Debugger`, created on first use (a machine
        that never debugs has no hooks and no checks for it)."""
        if self._debugger is None:
            from psaemu.platform.debug.debugger import Debugger
            self._debugger = Debugger(self)
        return self._debugger

    @property
    def breakpoints(self) -> Any:
        """``add(core, addr_or_symbol) -> id``, ``remove(id)``, ``clear()``, ``list()``."""
        return self.debugger.breakpoints

    @property
    def watchpoints(self) -> Any:
        """``add(core, addr_or_symbol, size=4, kind="w"|"r"|"rw") -> id``, ``remove``, ``clear``, ``list``.
        Alias-aware: the watch covers every view of the bytes (other cores, Non-secure aliases)."""
        return self.debugger.watchpoints

    def step(self, core: str | Core, n: int = 1, others: str = "frozen", *, max_instructions: int | None = None,
             timeout: float | None = None) -> Any:
        """Execute ``n`` instructions on ``core`` and return a ``Stop`` (reason ``step``, or what
        stopped it first: breakpoint, watchpoint, exit, fault, idle...; ``count`` = instructions
        executed, more than ``n`` when an IT block is stepped as a whole).

        ``others="frozen"``: the other cores execute nothing and their virtual time stands still;
        pending interrupts of the stepped core are taken between its instructions, as the
        scheduler does between slices. The stepped core gets ahead in virtual time, and the next
        ``run()`` lets the others catch up first. ``others="run"``: the scheduler keeps the other
        cores in step by virtual time (never past the stepped core); a sleeping stepped core
        waits for them to wake it (bounded by ``max_instructions``/``timeout``).
        """
        return self.debugger.step(core, n, others, max_instructions=max_instructions, timeout=timeout)

    def run_until(self, where: int | str | Callable[["Machine"], bool], core: str | Core | None = None,
                  max_instructions: int | None = None, timeout: float | None = None,
                  quantum: int | None = None) -> RunResult:
        """Run until ``core`` reaches an address or symbol (a temporary breakpoint; ``core`` may be
        left out for a symbol only one image has), or until ``where(machine)`` is true. The callable
        is evaluated after every slice, so it sees the machine at most one quantum late; pass
        ``quantum=`` (instructions) for a finer check. Reason ``until`` when reached."""
        return self.debugger.run_until(where, core, max_instructions, timeout, quantum)

    def enforce_security(self, core: str, on: bool) -> None:
        """Fault (on) or allow (off) Non-secure code's accesses to Secure memory on ``core``
        (board key ``enforce_security``). Turn it off for an image that brings its own secure
        side: psaemu cannot model that image's SAU. A core whose board declares no attribution
        has nothing to enforce."""
        guard = self.cores[core].security
        if guard is None:
            if on:
                raise ConfigError(f"core {core!r} of board {self.board.name!r} declares no security attribution "
                                  f"(no region has an ns_alias), so there is nothing to enforce")
            return
        guard.set_enabled(on)

    def translate(self, addr: int | str, from_core: str, to_core: str) -> int:
        """The address at which ``to_core`` sees what ``from_core`` sees at ``addr``; PsaEmuError
        naming the shared windows when ``to_core`` cannot see it."""
        from psaemu.platform.debug.debugger import translate
        return translate(self, addr, from_core, to_core)

    def trace_instructions(self, core: str | Core, path: Any) -> None:
        """Write one line per instruction ``core`` executes to ``path`` (a file name or a text file)."""
        self.debugger.trace_instructions(core, path)

    def trace_blocks(self, core: str | Core, path: Any) -> None:
        """Record the address of every instruction ``core`` executes to the compact binary file
        ``path``, one record per translated block (read it with psaemu.platform.debug.blocktrace)."""
        self.debugger.trace_blocks(core, path)

    def trace_registers(self, core: str | Core, path: Any) -> None:
        """Record pc, r0-r12, sp, lr and xpsr before every instruction ``core`` executes to the
        compact binary file ``path`` (a native hook; read it with psaemu.platform.debug.regtrace)."""
        self.debugger.trace_registers(core, path)

    def stop_tracing(self, core: str | Core | None = None) -> None:
        """Stop the instruction trace of ``core`` (every core when None) and close its file."""
        if self._debugger is not None:
            self._debugger.stop_tracing(core)

    def explain_fault(self, core: str | Core) -> str:
        """Decoded fault status, the faulting instruction and a symbolized backtrace of a core that
        faulted or is running a fault handler."""
        from psaemu.platform.cpu.faults import explain_fault
        return explain_fault(self.debugger.core(core))

    # -- fault injection (psaemu.platform.testing.faultinject) -----------------------------------
    @property
    def faults(self) -> Any:
        """The machine's :class:`~psaemu.platform.testing.faultinject.FaultInjector`, created on first use."""
        from psaemu.platform.testing.faultinject import injector
        return injector(self)

    # -- snapshots (psaemu.platform.testing.snapshot) ---------------------------------------------
    def snapshot(self) -> Any:
        """Capture the whole machine (a :class:`~psaemu.platform.testing.snapshot.Snapshot`); refused
        while a core waits in a Python SVC handler (see ``snapshot.quiescent``)."""
        from psaemu.platform.testing.snapshot import take
        return take(self)

    def restore(self, snap: Any) -> None:
        """Put the machine back to ``snap``; it then runs bit-identically to the original."""
        from psaemu.platform.testing.snapshot import restore
        restore(self, snap)

    def save_state(self) -> dict[str, Any]:
        """The state protocol: the machine's own run state (the scheduler's, how the run ended),
        as plain data. Cores, peripherals and the other components keep their own."""
        ex, panic = self.exit, self.panic
        return {**self.scheduler.save_state(), "stopping": self.stopping,
                "exit": (ex[0].name, ex[1], ex[2]) if ex is not None else None,
                "faulted": self.faulted.name if self.faulted is not None else None,
                "panic": None if panic is None else (type(panic).__name__, str(panic), getattr(panic, "report", ""))}

    def restore_state(self, s: dict[str, Any]) -> None:
        from psaemu.platform import errors

        self.scheduler.restore_state(s)
        self.stopping = s["stopping"]
        ex = s["exit"]
        self.exit = (self.cores[ex[0]], ex[1], ex[2]) if ex is not None else None
        self.faulted = self.cores[s["faulted"]] if s["faulted"] is not None else None
        self.panic = None
        if s["panic"] is not None:
            kind, message, report = s["panic"]
            cls = getattr(errors, kind, PsaEmuError)
            if not (isinstance(cls, type) and issubclass(cls, PsaEmuError)):
                cls = PsaEmuError
            self.panic = cls(message, report) if cls is errors.FaultError else cls(message)

    @classmethod
    def from_snapshot(cls, source: Any, **kwargs: Any) -> "Machine":
        """A new machine built from the board and images a snapshot (or snapshot file) names, with
        the PSA Proxy attached if it had it, restored to the snapshot."""
        from psaemu.platform.testing.snapshot import machine_from_snapshot
        return machine_from_snapshot(source, **kwargs)
