"""One emulated CPU: a Unicorn instance, its System Control Space and exception engine, its hooks.

The core runs in slices of ``count`` instructions chosen by the scheduler. Synchronous events
(SVC, BKPT, EXC_RETURN, faults) are handled in hooks; WFI/WFE/SEV and the points where a pending
interrupt must be recognised (after CPSIE, MSR to a mask register, DSB, ISB) are Unicorn exits
(:mod:`psaemu.platform.cpu.exits`) handled by :meth:`Core.run_slice`; interrupts raised by other
models are taken between slices.
"""
from __future__ import annotations

import dataclasses
import struct
from ctypes import c_size_t
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable

import unicorn.arm_const as A
from unicorn import (
    UC_ARCH_ARM,
    UC_ERR_FETCH_PROT,
    UC_ERR_FETCH_UNMAPPED,
    UC_ERR_INSN_INVALID,
    UC_ERR_READ_PROT,
    UC_ERR_READ_UNMAPPED,
    UC_ERR_WRITE_PROT,
    UC_ERR_WRITE_UNMAPPED,
    UC_HOOK_CODE,
    UC_HOOK_INSN_INVALID,
    UC_HOOK_INTR,
    UC_HOOK_MEM_FETCH_UNMAPPED,
    UC_HOOK_MEM_READ_PROT,
    UC_HOOK_MEM_READ_UNMAPPED,
    UC_HOOK_MEM_WRITE_PROT,
    UC_HOOK_MEM_WRITE_UNMAPPED,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_WRITE_UNMAPPED,
    UC_MODE_THUMB,
    Uc,
    UcError,
)

from psaemu.platform.cpu import semihosting
from psaemu.platform.cpu.exceptions import RETURN_STATE_REGS, ExceptionEngine, ExcReturnError
from psaemu.platform.cpu.exits import HINT, ExitRegistry, emu_counter
from psaemu.platform.cpu.fastuc import FastUc
from psaemu.platform.cpu.faults import Fault
from psaemu.platform.cpu.nvic import BUSFAULT, HARDFAULT, MEMMANAGE, SVCALL, USAGEFAULT, Nvic, exception_name
from psaemu.platform.cpu.scs import SCS_BASE, SEVONPEND, SLEEPONEXIT, SystemControlSpace
from psaemu.platform.cpu.security import SecurityGuard
from psaemu.platform.cpu.systick import SysTick
from psaemu.platform.debug.coredebug import CoreDebugMixin
from psaemu.platform.firmware.loader import Image
from psaemu.platform.firmware.parsecache import cached
from psaemu.platform.system.board import CoreSpec

if TYPE_CHECKING:
    from psaemu.platform.system.machine import Machine

INTR_SVC, INTR_PREFETCH_ABORT, INTR_DATA_ABORT, INTR_BKPT, INTR_EXC_EXIT = 2, 3, 4, 7, 8
INTR_NOCP, INTR_INVSTATE = 17, 18
#: An address no code ever runs at: ``emu_start`` always ends by count, stop or error.
NEVER = 0xFFFFFFF0
#: Unicorn's translated-code buffer per core. Exits lifted and put back retranslate a few blocks
#: per forwarded call (~0.3 KB); Unicorn flushes the buffer when it is full, so this bounds the
#: resident memory it takes (the firmware's hot code needs well under 1 MB of it).
TCG_BUFFER_BYTES = 16 << 20
WFI16, WFE16, SEV16, YIELD16 = 0xBF30, 0xBF20, 0xBF40, 0xBF10
WFI32, WFE32, SEV32 = (0xF3AF, 0x8003), (0xF3AF, 0x8002), (0xF3AF, 0x8004)
#: Hint kind for "a pending interrupt must be recognised here": the instruction after CPSIE / MSR
#: to a mask register (masking was lowered), or after DSB / ISB (an NVIC/SCB write that pended
#: an interrupt, e.g. STIR, ISPR or ICSR.PENDSVSET, has taken effect).
UNMASK = 0x10000
#: ITSTATE bits of xPSR (IT[7:2] at 15:10, IT[1:0] at 26:25).
_XPSR_IT = 0x0600FC00
#: What a hint exit does to the slice (:meth:`Core._apply_hints`).
_GO_ON, _SKIPPED, _END = 0, 1, 2
#: A hint exit passed at least HOT_PASSES times, on average more often than once per
#: HOT_INTERVAL instructions the core executed, becomes a UC_HOOK_CODE hook (:meth:`Core._promote`).
HOT_PASSES, HOT_INTERVAL = 8, 8192
_MSR_MASK_REGS = {0x8810, 0x8811, 0x8812, 0x8813}        # MSR PRIMASK/BASEPRI/BASEPRI_MAX/FAULTMASK
_DSB_ISB = {0x8F40, 0x8F60}                              # second halfword of DSB / ISB (any option)


def scan_hints(data: bytes, base: int) -> list[tuple[int, int]]:
    """(address, kind) of every place a hint exit is needed in a code image.

    Kinds: WFI16/WFE16/SEV16 at the instruction itself (16- or 32-bit encodings), UNMASK at
    the instruction following CPSIE i/f, MSR to a mask register, DSB or ISB.
    """
    hints = []
    for off in range(0, len(data) - 1, 2):
        hw = data[off] | data[off + 1] << 8
        if hw in (WFI16, WFE16, SEV16):
            hints.append((base + off, hw))
        elif hw in (0xB662, 0xB661):                      # CPSIE i / CPSIE f
            hints.append((base + off + 2, UNMASK))
        elif off + 3 < len(data):
            hw2 = data[off + 2] | data[off + 3] << 8
            if hw == 0xF3AF:
                kind = {WFI32[1]: WFI16, WFE32[1]: WFE16, SEV32[1]: SEV16}.get(hw2)
                if kind is not None:
                    hints.append((base + off, kind))
            elif hw & 0xFFF0 == 0xF380 and hw2 in _MSR_MASK_REGS:
                hints.append((base + off + 4, UNMASK))
            elif hw == 0xF3BF and hw2 & 0xFFF0 in _DSB_ISB:
                hints.append((base + off + 4, UNMASK))
    return hints


CPU_MODELS = {"cortex-m33": A.UC_CPU_ARM_CORTEX_M33, "cortex-m0plus": A.UC_CPU_ARM_CORTEX_M0,
              "cortex-m0": A.UC_CPU_ARM_CORTEX_M0}
GPRS = [getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)]
REG_NAMES = [f"r{i}" for i in range(13)] + ["sp", "lr", "pc", "xpsr", "msp", "psp", "primask", "control"]
_REG_IDS = GPRS + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR, A.UC_ARM_REG_PC, A.UC_ARM_REG_XPSR, A.UC_ARM_REG_MSP,
                   A.UC_ARM_REG_PSP, A.UC_ARM_REG_PRIMASK, A.UC_ARM_REG_CONTROL]
V8M_EXTRA = {"basepri": A.UC_ARM_REG_BASEPRI, "faultmask": A.UC_ARM_REG_FAULTMASK}
_NZCV = 0xF0000000


#: ``Core.state_reason`` of a core that has never been given an image.
NO_IMAGE = "no image loaded"


class CoreState(Enum):
    OFF = "off"            # held in reset or never given an image
    RUNNING = "running"
    SLEEPING = "sleeping"  # WFI: until an interrupt would be taken (ignoring PRIMASK)
    WAITING = "waiting"    # WFE: until an event
    BLOCKED = "blocked"    # a Python SVC handler waits for a condition
    HALTED = "halted"      # exited, faulted or stopped for good


#: Field names (sorted) of the trace records made on the SVC and exception paths (EventLog.put).
_PC, _REASON, _WHAT, _NUMBER_WHAT = ("pc",), ("reason",), ("what",), ("number", "what")
_IRQ_LEVEL, _EXC_NAME_PC, _AFTER_EXC_NAME = ("irq", "level"), ("exc", "name", "pc"), ("after", "exc", "name")


@dataclass
class Block:
    """What a Python SVC handler returns to make the calling context wait.

    ``ready()`` is polled by the scheduler; ``complete()`` runs once it is true (it usually
    writes r0) and may return another Block to keep waiting. ``what`` and ``budget_cycles`` produce the timeout report.
    ``resume`` (``(key, *plain args)``), when set, lets a snapshot hold this wait: the function
    registered under ``key`` with ``snapshot.register_wait`` rebuilds it after a restore.
    """

    ready: Callable[[], bool]
    complete: Callable[[], "Block | None"]
    what: str
    budget_cycles: int | None = None
    started: int = 0
    resume: tuple[Any, ...] | None = None


SvcHandler = Callable[["Core", int], "bool | Block"]


class Core(CoreDebugMixin):
    """A Cortex-M core of the machine."""

    def __init__(self, machine: "Machine", spec: CoreSpec) -> None:
        self.machine = machine
        self.spec = spec
        self.name = spec.name
        self.arch = spec.arch
        self.v8m = spec.arch == "v8m"
        self.clock_hz = spec.clock_hz
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)          # no UC_MODE_MCLASS: it forces the M33
        self.uc.ctl_set_cpu_model(CPU_MODELS[spec.cpu])
        self.uc.ctl_set_tcg_buffer_size(TCG_BUFFER_BYTES)
        #: Raw ctypes register/memory access for the hot paths (falls back to the binding).
        self.fast = FastUc(self.uc)
        self._bind_fast()
        self.nvic = Nvic(spec.num_irqs, spec.priority_bits, self.v8m)
        self.systick = SysTick()
        self.scs = SystemControlSpace(f"{self.name}.scs", self.arch, self.nvic, self.systick,
                                      lambda: self.cycles, lambda: self.fast.reg_read(A.UC_ARM_REG_IPSR))
        self.scs.connect("sysresetreq", lambda _v: self.machine.request_core_reset(self, "AIRCR.SYSRESETREQ"))
        self.engine = ExceptionEngine(self.uc, self.nvic, self.v8m, self.v8m, lambda: self.scs.vtor, self.fast)
        self.image: Image | None = None
        self.cycles = 0
        self.instructions = 0
        self.state = CoreState.OFF
        #: Why the core is off or halted, for reports ("held in reset by scc at t=..."); the
        #: machine sets it where the state changes (:attr:`stopped_reason` reads it).
        self.state_reason = NO_IMAGE
        self.event_register = False
        self.block: Block | None = None
        self.fault: Fault | None = None
        self.fault_policy = "report"
        self.svc_handlers: dict[int, SvcHandler] = {}
        self.stop_requested = False
        self._last_unmapped: tuple[int, int, int, int] | None = None
        #: Free runs (:meth:`run_free`): the native block counter (None: unavailable, False: not
        #: tried yet), the virtual slice in progress (instructions into it), and while a free run
        #: is in emu_start: its start cycles, quantum and the position of a Python callback.
        self._free: Any = False
        self._free_pos = 0
        self._free_base: int | None = None
        self._free_q = 0
        self._free_touch: int | None = None
        #: Security attribution enforcement (platform/cpu/security.py); None: the board declares none.
        self.security: SecurityGuard | None = None
        #: Unicorn's exit list of this core, shared with the debugger's breakpoints.
        self.exits = ExitRegistry(self.uc)
        #: address -> ((kind, size), ...) of the hint exits, in scan order (UNMASK before the
        #: WFI/WFE/SEV at the same address).
        self._hints: dict[int, tuple[tuple[int, int], ...]] = {}
        #: Unicorn's instruction counter of this instance. None (not found): the hints are
        #: UC_HOOK_CODE hooks instead of exits (same results, slower), ``_hint_hooks``/``_resume_pc``.
        self._counter: c_size_t | None = emu_counter(self.uc)
        self._hint_hooks: list[int] = []
        self._resume_pc: int | None = None
        #: hint exit address -> times the core went on past it (see HOT_PASSES)
        self._hint_passes: dict[int, int] = {}
        #: instructions Unicorn counted in this core's emu_start runs (exit mode; see _hot)
        self._ran = 0
        #: Called with (address, size) for an instruction Python completes in Unicorn's place
        #: (WFI/WFE/SEV are skipped, never executed): the instruction trace uses it.
        self.on_skip: Callable[[int, int], None] | None = None
        #: Called when execution leaves the current translated block other than by running off its
        #: end: at each interrupt hook (True: the instruction at PC started, a fault or BKPT; False:
        #: PC is past it, an SVC) and after each ``emu_start`` (True after an error). Block traces.
        self.on_break: Callable[[bool], None] | None = None
        self.uc.mmio_map(SCS_BASE, 0x1000, self._scs_read, None, self._scs_write, None)
        self.uc.hook_add(UC_HOOK_INTR, self._on_intr)
        self.uc.hook_add(UC_HOOK_INSN_INVALID, self._on_invalid)
        self.uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED
                         | UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT, self._on_unmapped)

    def _bind_fast(self) -> None:
        """Batch accessors of the hot paths (one libunicorn call each, registers in list order)."""
        f = self.fast
        IPSR, CONTROL, XPSR = A.UC_ARM_REG_IPSR, A.UC_ARM_REG_CONTROL, A.UC_ARM_REG_XPSR
        masks = (A.UC_ARM_REG_PRIMASK, A.UC_ARM_REG_FAULTMASK, A.UC_ARM_REG_BASEPRI)
        self._rd_pc = lambda: f.reg_read(A.UC_ARM_REG_PC)
        self._wr_pc = lambda value: f.reg_write(A.UC_ARM_REG_PC, value)
        self._rd_priv_state = f.reader((IPSR, CONTROL, XPSR))
        self._rd_mask_state = f.reader((IPSR, CONTROL, XPSR) + masks)
        self._rd_masks = f.reader(masks)
        self._rd_primask = lambda: f.reg_read(A.UC_ARM_REG_PRIMASK)
        self._wr_borrow = lambda xpsr: f.reg_write(A.UC_ARM_REG_XPSR_NZCVQG, xpsr)
        # give Handler mode back, then the hflags refresh (APSR_NZCV rewritten with its value)
        self._wr_unborrow = f.writer((A.UC_ARM_REG_XPSR_NZCVQG, A.UC_ARM_REG_APSR_NZCV))
        self._rd_excret = f.reader((A.UC_ARM_REG_PC,) + RETURN_STATE_REGS)
        self._rd_args = tuple(f.reader(tuple(A.UC_ARM_REG_R0 + i for i in range(n))) for n in range(5))
        self.mem_read, self.mem_write = f.mem_read, f.mem_write    # the methods below, one call less

    # -- the calling context of a Python SVC handler (arguments, result, data memory) -------
    def args(self, n: int) -> tuple[int, ...]:
        """The first ``n`` (0..4) argument registers r0..r(n-1) of the calling context (one batch read)."""
        return tuple(self._rd_args[n]())

    def set_result(self, value: int) -> None:
        """r0 of the calling context (not privilege-checked: no Handler-mode borrow)."""
        self.fast.reg_write(A.UC_ARM_REG_R0, int(value) & 0xFFFFFFFF)

    def mem_read(self, addr: int, size: int) -> bytes:
        """``size`` bytes of data memory as the core's loads see them (no symbol, no side effects)."""
        return self.fast.mem_read(addr, size) if size > 0 else b""

    def mem_write(self, addr: int, data: bytes) -> None:
        """Store data as the core's stores would (no translated code is dropped: data, not code)."""
        if data:
            self.fast.mem_write(addr, data)

    # -- helpers --------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Core {self.name} {self.spec.cpu} {self.state.value} pc={self.pc:#010x}>"

    def trace(self, kind: str, **data: Any) -> None:
        self.machine.events.record_fields(self, kind, data)

    def _put(self, kind: str, names: tuple[str, ...], *values: Any) -> None:
        """A hot-path trace record: ``names`` sorted, ``values`` in their order (no keyword dict)."""
        self.machine.events.put(self, kind, names, values)

    def console_write(self, data: bytes) -> None:
        self.machine.console.write(self.name, data)

    @property
    def pc(self) -> int:
        return self._rd_pc()

    def reg(self, name: str) -> int:
        """Read a register by name (r0..r12, sp, lr, pc, xpsr, msp, psp, primask, control...)."""
        rid = self._reg_id(name)
        return self.privileged(lambda: self.uc.reg_read(rid))

    def set_reg(self, name: str, value: int) -> None:
        rid = self._reg_id(name)
        self.privileged(lambda: self.uc.reg_write(rid, value & 0xFFFFFFFF))
        if name in ("xpsr", "control", "ipsr"):
            self.engine.refresh_hflags()

    def registers(self) -> dict[str, int]:
        """Every core register by name, read with privilege so banked values are right."""
        names = REG_NAMES + (list(V8M_EXTRA) if self.v8m else [])
        return {n: self.reg(n) for n in names}

    def _reg_id(self, name: str) -> int:
        name = name.lower()
        if name in REG_NAMES:
            return _REG_IDS[REG_NAMES.index(name)]
        if self.v8m and name in V8M_EXTRA:
            return V8M_EXTRA[name]
        alias = {"r13": "sp", "r14": "lr", "r15": "pc"}.get(name)
        if alias:
            return self._reg_id(alias)
        if name == "ipsr":
            return A.UC_ARM_REG_IPSR
        raise KeyError(f"core {self.name!r} has no register {name!r} (known: {', '.join(REG_NAMES)})")

    def privileged(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` (register accesses) with privilege: Unicorn checks privilege on
        MSP/PSP/PRIMASK/CONTROL access, so this borrows Handler mode around it."""
        if not self.v8m:
            return fn()
        ipsr, control, xpsr = self._rd_priv_state()
        if ipsr or not control & 1:
            return fn()
        self._wr_borrow(xpsr | 3)
        try:
            return fn()
        finally:
            # XPSR_NZCVQG restores NZCV too, so the refresh rewrites xpsr's flags
            self._wr_unborrow(xpsr, xpsr & _NZCV)

    def read_word(self, addr: int) -> int:
        return self.fast.read_u32(addr)

    def symbolize(self, addr: int) -> str | None:
        return self.image.symbolize(addr & ~1) if self.image else None

    def where(self, addr: int) -> str:
        sym = self.symbolize(addr)
        return f"{addr:#010x} <{sym}>" if sym else f"{addr:#010x}"

    @property
    def stopped_reason(self) -> str:
        """Why the core does not run: its recorded reason while off or halted ("" otherwise), or
        one derived from its state when none was recorded (a snapshot taken before reasons were kept)."""
        if self.state is CoreState.OFF:
            return self.state_reason or (NO_IMAGE if self.image is None else "held in reset")
        if self.state is CoreState.HALTED:
            return self.state_reason or "halted"
        return ""

    # -- System Control Space bus ---------------------------------------------------------
    def _scs_read(self, uc: Uc, offset: int, size: int, _ud: Any) -> int:
        return self.scs.read(offset, size)

    def _scs_write(self, uc: Uc, offset: int, size: int, value: int, _ud: Any) -> None:
        if self._free_base is not None and self._free_access(uc):
            return
        self.scs.write(offset, size, value)

    def peripheral_callbacks(self, periph: Any) -> tuple[Callable[..., int], Callable[..., None]]:
        """The ``mmio_map`` read and write callbacks of a peripheral mapped into this core: the
        peripheral's ``read``/``write``, and inside a free run an access ends it (:meth:`run_free`)."""
        def on_read(uc: Uc, offset: int, size: int, _ud: Any) -> int:
            if self._free_base is not None and self._free_access(uc):
                return 0                          # dropped: the instruction runs again, counted
            return periph.read(offset, size)

        def on_write(uc: Uc, offset: int, size: int, value: int, _ud: Any) -> None:
            if self._free_base is not None and self._free_access(uc):
                return
            periph.write(offset, size, value)
        return on_read, on_write

    # -- lifecycle ------------------------------------------------------------------------
    def load(self, image: Image) -> None:
        """Remember the image; the machine writes its segments and calls :meth:`reset`."""
        self.image = image
        self._install_hints(image)
        if self.security is not None and self.security.tz is not None:
            self.security.tz.install(image)          # BXNS/BLXNS/MSR_NS/MRS_NS of its Secure code

    def reset(self, vtor: int | None = None) -> None:
        """Cold reset: SCS to reset values, VTOR at the image's vector table (or ``vtor``), MSP and PC from it."""
        self.scs.reset()
        self.event_register = False
        self.block = None
        self.fault = None
        if self.image is None:
            self.state = CoreState.OFF
            return
        uc = self.uc
        vt = (self.image.vector_table or 0) if vtor is None else vtor
        self.scs.regs["VTOR"] = vt
        msp, reset_pc = struct.unpack("<II", uc.mem_read(vt, 8))
        uc.reg_write(A.UC_ARM_REG_XPSR, 0x01000000)
        uc.reg_write(A.UC_ARM_REG_CONTROL, 0)
        uc.reg_write(A.UC_ARM_REG_PRIMASK, 0)
        if self.v8m:
            uc.reg_write(A.UC_ARM_REG_BASEPRI, 0)
            uc.reg_write(A.UC_ARM_REG_FAULTMASK, 0)
        uc.reg_write(A.UC_ARM_REG_MSP, msp & ~3)
        uc.reg_write(A.UC_ARM_REG_PSP, 0)
        uc.reg_write(A.UC_ARM_REG_LR, 0xFFFFFFFF)
        for r in GPRS:
            uc.reg_write(r, 0)
        uc.reg_write(A.UC_ARM_REG_PC, reset_pc | 1)
        self.engine.refresh_hflags()
        if self.security is not None:
            self.security.reset(reset_pc)
        uc.ctl_flush_tb()
        if self._free:
            self._free.clear()
        self._free_pos = 0
        self.state = CoreState.RUNNING
        self.state_reason = ""
        self.trace("reset", vtor=vt, msp=msp, pc=reset_pc & ~1)

    # -- hint instructions ----------------------------------------------------------------
    def _install_hints(self, image: Image) -> None:
        """Make every halfword of loaded code that encodes WFI/WFE/SEV, or follows an instruction
        that lets a pending interrupt in, an exit of the core.

        An exit acts only where an instruction starts, so candidates inside other instructions or
        data do nothing (but the block before them is translated again after each slice that ran
        it); this gives exact WFI/WFE/SEV handling, and interrupts taken right after CPSIE/MSR
        PRIMASK and barriers, without any per-instruction hook. A slice that stops at a hint
        exit with nothing to do goes on (:meth:`run_slice`), which needs Unicorn's instruction
        counter; without it the hints are bounded ``UC_HOOK_CODE`` hooks, as before exits
        (:meth:`_on_unmask`, :meth:`_on_hint`): the same results, but Unicorn then checks every
        hook at every instruction of a ``count=`` slice. Hot hint exits become such hooks too
        (:meth:`_promote`).
        """
        hints: dict[int, list[tuple[int, int]]] = {}
        for seg in image.segments:
            for base in sorted({seg.vaddr, seg.paddr}):
                data = seg.data
                for addr, kind in cached("hints", data, base, scan_hints, data, base):
                    off = addr - base
                    size = 4 if kind != UNMASK and data[off] | data[off + 1] << 8 == 0xF3AF else 2
                    entry = (kind, size)
                    if entry not in hints.setdefault(addr, []):
                        hints[addr].append(entry)
        ordered = {a: tuple(sorted(k, key=lambda e: e[0] != UNMASK)) for a, k in hints.items()}
        for h in self._hint_hooks:
            self.uc.hook_del(h)
        self._hint_hooks = []
        self._hint_passes = {}
        if self._counter is None:
            self._hints = {}
            for addr, entries in ordered.items():
                self._hook_hint(addr, entries)
        else:
            self._hints = ordered
        self.exits.set(HINT, self._hints)

    def _hook_hint(self, address: int, entries: tuple[tuple[int, int], ...]) -> None:
        for kind, _size in entries:
            cb = self._on_unmask if kind == UNMASK else self._on_hint
            self._hint_hooks.append(self.uc.hook_add(UC_HOOK_CODE, cb, kind, address, address))

    def _hot(self, address: int) -> bool:
        """Count a passage of the core past hint exit ``address``; True when it is passed often
        enough, for the instructions the core executed, that a hook costs less."""
        n = self._hint_passes.get(address, 0) + 1
        self._hint_passes[address] = n
        return n >= HOT_PASSES and n * HOT_INTERVAL > self._ran

    def _promote(self, address: int) -> None:
        """Make a hot hint exit a UC_HOOK_CODE hook, for good. Going on past an exit costs
        20-80 us: two more emu_start calls, the exit lifted and put back, and two blocks
        translated again, the one that ends at the exit (Unicorn drops every block that ends at
        an exit when emu_start returns) and the one from it (translated with the exit lifted).
        A bounded code hook costs ~0.4 us when its instruction runs, but taxes every instruction
        the core executes (count= mode makes Unicorn walk its code-hook list at each one: ~5 ns
        for the first hook, ~1 ns for each other): an exit passed less often than once every few
        thousand instructions is cheaper. Both have the same effects, so this changes speed
        only, never results, and the rule counts executed instructions, so it is deterministic."""
        entries = self._hints.pop(address, None)
        if entries is not None:
            self._hook_hint(address, entries)
            self.exits.discard(HINT, address)

    def _apply_hints(self, address: int) -> int:
        """The core is at hint exit ``address``, its instruction not executed. What the hint
        hooks did (same order, same effects): _END (the slice ends: WFI/WFE, or an interrupt to
        take), _SKIPPED (SEV done, PC after it) or _GO_ON (the instruction is to execute)."""
        for kind, size in self._hints[address]:
            if kind == UNMASK:
                if self.nvic.pending and self.preempting() is not None:
                    self.stop_requested = True              # the scheduler takes it, before this instruction
                    return _END
                continue
            if self.fast.reg_read(A.UC_ARM_REG_XPSR) & _XPSR_IT:
                return _GO_ON            # conditional, inside an IT block: Unicorn executes it (see run_slice)
            self._wr_pc((address + size) | 1)
            if self.on_skip is not None:
                self.on_skip(address, size)
            if kind == SEV16:
                self.machine.signal_event(self)
                return _SKIPPED
            self.stop_requested = True
            self._wait_hint(kind, address)
            return _END
        return _GO_ON

    def _on_unmask(self, uc: Uc, address: int, size: int, _kind: int) -> None:
        """(Hook mode) Just after CPSIE/MSR to a mask register or a DSB/ISB: stop so an interrupt
        that is now unmasked, or that the code just pended through the NVIC/SCB, is taken here.

        (Stopping from the SCS write itself is not possible: ``emu_stop`` inside a memory
        callback abandons the rest of the instruction and leaves PC on it, so it would run again.)
        """
        if self.nvic.pending and self.preempting() is not None:
            self.stop_requested = True
            uc.emu_stop()

    def _on_hint(self, uc: Uc, address: int, size: int, kind: int) -> None:
        """(Hook mode) WFI/WFE/SEV about to execute."""
        next_pc = address + size
        if kind == SEV16:
            self.machine.signal_event(self)
            return
        uc.emu_stop()
        self._resume_pc = next_pc           # applied after emu_start returns (PC is reset to the hint)
        self.stop_requested = True
        if self.on_skip is not None:
            self.on_skip(address, size)
        self._wait_hint(kind, address)

    def _wait_hint(self, kind: int, address: int) -> None:
        """WFI sleeps unless an interrupt would wake it at once; WFE consumes the event register
        or waits for an event."""
        if kind == WFI16:
            if not self.wfi_wakes():
                self.sleep(CoreState.SLEEPING, "wfi", address)
        elif self.event_register:
            self.event_register = False
        elif not self.wfe_wakes():
            self.sleep(CoreState.WAITING, "wfe", address)

    def sleep(self, state: CoreState, kind: str, address: int) -> None:
        self.state = state
        self._put(kind, _PC, address)

    # -- running --------------------------------------------------------------------------
    def run_slice(self, count: int) -> int:
        """Run up to ``count`` instructions; returns the cycles the slice accounts for (``count``:
        a slice that ends early, at WFI/WFE, an interrupt to take or a hook's stop, is charged in
        full).

        Exits: ``emu_start`` returns *at* an exit address, its instruction not executed. At a
        hint exit the hints apply (as :meth:`_apply_hints` says); an exit of another owner (a
        breakpoint) ends the slice for that owner, unless it is where the slice started: a slice
        always executes the instruction it starts on (the debugger checks before it runs one).
        The instruction at an exit executes as one ``count=1`` run with the exit lifted. Then
        the slice goes on with what is left of ``count``, from Unicorn's instruction counter, so
        it ends where the hint hooks ended it (a count that runs out *at* an exit leaves its
        hints to the start of the next slice, as a count-stopped hook did). Without the counter
        the hints are hooks and only breakpoints are exits: reaching one ends the slice.
        """
        if self._free and self._free.hook is not None:
            self.leave_free()                      # after a free run: counted code again
        self.stop_requested = False
        self._last_unmapped = None
        self._resume_pc = None
        exits = self.exits
        counter = self._counter
        pc = self._rd_pc()
        left = count
        first = True
        while True:
            if pc in exits.addresses:
                if not first and exits.others(pc, HINT):
                    break                                  # a breakpoint: the debugger reports it
                hot = False
                if pc in self._hints:
                    act = self._apply_hints(pc)
                    if act == _END:
                        break
                    hot = self._hot(pc)
                    if act == _SKIPPED:                    # SEV: one instruction done
                        if hot:
                            self._promote(pc)
                        left -= 1
                        pc = self._rd_pc()
                        first = False
                        if left <= 0:
                            break
                        continue
                exits.lift(pc)
                try:
                    n = self._emu(pc, 1)
                finally:
                    exits.unlift()
                if hot:
                    self._promote(pc)
                if self.stop_requested or self.state is not CoreState.RUNNING or self.machine.stopping:
                    break
                after = self._rd_pc()
                if counter is None:
                    left -= 1
                else:                  # stopped by an exit: all counted instructions ran; by count: one less
                    ran = n if after in exits.addresses and after != pc else n - 1
                    if ran <= 0:
                        break          # nothing ran (not expected): end the slice rather than spin
                    left -= ran
                pc = after
                first = False
                if left <= 0:
                    break
                if pc in exits.addresses:
                    continue
            n = self._emu(pc, left)
            if counter is None or n > left:
                break                  # hook mode; or the count ran out (the run stops at the one after)
            if self.stop_requested or self.state is not CoreState.RUNNING or self.machine.stopping:
                break
            pc = self._rd_pc()
            if pc not in exits.addresses:
                break                  # Unicorn's own WFI halt (code the scan did not see)
            left -= n
            if left <= 0:
                break                  # the count ran out at the exit: its hints apply next slice
            first = False
        self.cycles += count
        self.instructions += count
        return count

    # -- free runs (no count=: translated-code speed, exact counts from a native block hook) --
    def free_available(self) -> bool:
        """Whether :meth:`run_free` can run without ``count=`` (the native block counter built)."""
        if self._free is False:
            from psaemu.platform.cpu.blockcount import counter_for
            self._free = counter_for(self.uc)
        return self._free is not None

    def _free_touched(self, uc: Uc | None) -> None:
        """A Python callback inside a free run: stamp it as the counted slice it falls in would
        be, and end the free run soon (from an interrupt hook now; from an MMIO callback, which
        must not stop the run, at the next block start)."""
        bc = self._free.state
        # interrupt hooks come at the last instruction of their block; MMIO: the block start
        at = bc.count - 1 if uc is not None else bc.last_start
        at = self._free_pos + max(at, 0)
        if self._free_touch is None:
            self._free_touch = at
        self._free_at_slice(self._free_base + (at // self._free_q) * self._free_q)
        bc.stop = 1
        if uc is not None:
            uc.emu_stop()

    def _free_at_slice(self, cycles: int) -> None:
        """Inside or right after a free run: the core's clock at the start of the virtual slice
        (``cycles``) an event falls in, and the sleeping cores' clocks brought up to it, as the
        scheduler does after every counted slice (what those cores record is stamped with theirs)."""
        self.cycles = cycles
        self.machine.scheduler.sync_idle(self.machine.time_ps(self))

    def _free_access(self, uc: Uc) -> bool:
        """A peripheral or SCS access inside a free run; True: drop it (it runs again, counted).

        Unicorn reports the block start as PC in MMIO callbacks, so the access is known only to
        its translated block. A block within one virtual slice places it exactly: it is stamped
        with that slice and the run ends at the next block start (:meth:`_free_touched`). In a
        block that straddles a slice boundary the access could be a slice off, so it is dropped
        before it has any effect and the run stopped: ``emu_stop`` from an MMIO callback leaves
        PC *at* the accessing instruction with the registers as before it (outside IT blocks;
        blocks with a conditional load/store never straddle a boundary in a free run, blockcount.c), and
        :meth:`run_free` runs the rest of the slice from that instruction as a counted slice."""
        bc = self._free.state
        q, first = self._free_q, self._free_pos + bc.last_start
        if bc.last_n == 0 or first // q == (first + bc.last_n - 1) // q:
            self._free_touched(None)
            return False
        bc.stop = 1
        uc.emu_stop()
        return True

    def code_changed(self, start: int | None = None, end: int | None = None) -> None:
        """Code in memory changed (a debugger write, a snapshot restore, a new code hook): drop the
        code translated over ``start``..``end`` (None: all of it) and forget every count the free-run
        block counter decoded from code, so no run executes or charges the old instructions."""
        if start is None or end is None:
            self.uc.ctl_flush_tb()
        else:
            self.uc.ctl_remove_cache(start, end)
        if self._free:
            self._free.clear()

    def pc_moved(self, pc: int) -> None:
        """A Python code hook set PC to ``pc`` inside the block being run, having done the work of
        the instructions it skips (TrustZone's TT/MSR_NS/MRS_NS sites): Unicorn goes on with a new
        block at ``pc``, so in a free run the instructions from ``pc`` on, counted when the block
        was entered, are taken off the count (they count again in the new block)."""
        if self._free_base is None or not self._free:
            return
        bc = self._free
        st = bc.state
        n = bc.cut(st.last_addr, st.last_size, pc)
        if n:
            st.count -= n
            st.last_u -= n
            st.last_n -= n
        if st.last_addr <= pc < st.last_addr + st.last_size:
            st.last_size = pc - st.last_addr          # the block ends at ``pc`` as far as counts go

    def take_free_pos(self) -> int:
        """Instructions into the virtual slice a free run left half done (0: none), now the
        caller's to finish (the scheduler shortens the next counted slice by them)."""
        pos, self._free_pos = self._free_pos, 0
        return pos

    def leave_free(self) -> None:
        """Back to counted slices: remove the block hook and drop the code translated without the
        count hook (Unicorn adds that hook without retranslating: count= slices would overrun)."""
        if self._free and self._free.hook is not None:
            self._free.detach()
            self.uc.ctl_flush_tb()

    def run_free(self, quantum: int, limit: int) -> int:
        """Run without ``count=`` for up to about ``limit`` instructions and charge virtual time
        exactly as counted slices of ``quantum`` would (the cycles charged are returned).

        The instruction count comes from the native block counter. The run continues a virtual
        slice (``_free_pos`` instructions into it). It stops at the limit (a block start: the
        virtual slice goes on in the next call), at a stop of its own (an exit, WFI, a blocking
        SVC, a fault or the end of the program) or soon after a Python callback (an interrupt hook
        or an SCS write). Then the virtual slice the event fell in is finished as a counted slice
        (:meth:`run_slice`), so what follows happens where the counted schedule has it.
        """
        bc = self._free
        q = quantum
        base, inst0, pos = self.cycles, self.instructions, self._free_pos
        self.stop_requested = False
        self._last_unmapped = None
        self._resume_pc = None
        pc = self._rd_pc()
        n = 0
        if pc not in self.exits.addresses:
            bc.attach()
            bc.arm(limit, q, pos)
            self._free_base, self._free_q, self._free_touch = base, q, None
            ran = self._ran
            st = bc.state
            try:
                while True:
                    self._emu(pc, 0)              # Unicorn's own counter is idle without count=
                    if st.stopped != 3 or self.stop_requested or self._free_touch is not None \
                            or self.state is not CoreState.RUNNING or not bc.hook_it():
                        break
                    st.stopped = 0                # an IT block got its code hook: run on from its block
                    pc = self._rd_pc()
            finally:
                self._free_base = None
                self._ran = ran
            n = st.count
            after = self._rd_pc()
            if n and not st.stopped and not (st.stop and after == st.last_addr + st.last_size):
                n -= bc.cut(st.last_addr, st.last_size, after)
            self._ran += n
            if st.stopped == 1 and self._free_touch is None and not self.stop_requested \
                    and self.state is CoreState.RUNNING and after not in self.exits.addresses:
                total = pos + n                     # the limit: whole virtual slices done, one goes on
                done = total // q * q
                self._free_pos = total - done
                self.cycles = base + done
                self.instructions = inst0 + done
                return done
        touch = self._free_touch
        if touch is None:        # the last instruction run: a stop at a slice boundary ends that slice
            touch = pos + n - 1 if n and self.fault is None else pos + n
        slot = touch // q
        cur = pos + n
        self._free_at_slice(base + slot * q)
        rem = (slot + 1) * q - cur
        if rem > 0 and not self.stop_requested and self.state is CoreState.RUNNING and not self.machine.stopping \
                and self.fault is None:
            self.leave_free()
            self.run_slice(rem)
        end = max(slot + 1, -(-cur // q)) * q
        self._free_pos = 0
        self.cycles = base + end
        self.instructions = inst0 + end
        return end

    def _emu(self, pc: int, count: int) -> int:
        """One emu_start; the instructions Unicorn counted (0 without the counter). A change of
        security state (a fetch-protection error, platform/cpu/security.py) goes on from there."""
        done = 0
        while True:
            try:
                self.uc.emu_start(pc | 1, NEVER, count=count - done)
                if self.on_break is not None:
                    self.on_break(False)
                break
            except UcError as exc:
                if self.on_break is not None:
                    self.on_break(True)
                if exc.errno != UC_ERR_FETCH_PROT or self.security is None:
                    self._on_uc_error(exc)
                    break
                outcome = self.security.on_fetch(self._rd_pc())
                if outcome != "switch":
                    if outcome is None:
                        self._on_uc_error(exc)
                    break
                pc = self._rd_pc()
                counter = self._counter
                if counter is not None and count:          # (a free run, count 0, goes on uncounted)
                    done += counter.value
                    self._ran += counter.value
                    if done >= count:
                        return count + 1           # as a count that ran out: the slice ends here
        if done:
            counter = self._counter
            if counter is not None and self._resume_pc is None:
                self._ran += counter.value
                return done + counter.value
        if self._resume_pc is not None:                    # hook mode: past the WFI/WFE
            self._wr_pc(self._resume_pc | 1)
            self._resume_pc = None
            return 0
        counter = self._counter
        if counter is None:
            return 0
        n = counter.value
        self._ran += n
        return n

    def _on_uc_error(self, exc: UcError) -> None:
        pc = self.uc.reg_read(A.UC_ARM_REG_PC)
        if exc.errno in (UC_ERR_READ_PROT, UC_ERR_WRITE_PROT) and self.security is not None and self._last_unmapped:
            access, addr, size, value = self._last_unmapped
            if self.security.on_data(access, addr, size, value, pc):
                return
        if exc.errno in (UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED):
            access, addr, size, value = self._last_unmapped or (exc.errno, 0, 0, 0)
            if exc.errno == UC_ERR_FETCH_UNMAPPED or access == UC_MEM_FETCH_UNMAPPED:
                self.raise_fault(BUSFAULT, 1 << 8, f"instruction fetch from unmapped address {addr:#010x}",
                                 pc=pc, address=addr)
            else:
                verb = "write" if access == UC_MEM_WRITE_UNMAPPED else "read"
                what = f"{verb} of {size} byte(s) at unmapped address {addr:#010x}"
                if verb == "write":
                    what += f" (value {value:#x})"
                self.raise_fault(BUSFAULT, (1 << 9) | (1 << 15), what, pc=pc, address=addr, bfar=addr)
        elif exc.errno == UC_ERR_INSN_INVALID:
            self.raise_fault(USAGEFAULT, 1 << 16, "undefined or unsupported instruction", pc=pc)
        else:
            self.raise_fault(HARDFAULT, 0, f"Unicorn stopped with {exc}", pc=pc)

    def _on_unmapped(self, uc: Uc, access: int, address: int, size: int, value: int, _ud: Any) -> bool:
        self._last_unmapped = (access, address, size, value)
        return False

    def _on_invalid(self, uc: Uc) -> bool:
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        prev = struct.unpack("<H", uc.mem_read(pc - 2, 2))[0] if pc >= 2 else 0
        if prev in (WFE16, YIELD16):
            # WFE/YIELD that the code scan did not see (code written at run time): PC is past it.
            if prev == WFE16 and not self.event_register:
                self.sleep(CoreState.WAITING, "wfe", pc - 2)
                self.stop_requested = True
                uc.emu_stop()
            self.event_register = False if prev == WFE16 else self.event_register
            return True
        self.raise_fault(USAGEFAULT, 1 << 16, "undefined or unsupported instruction", pc=pc)
        return True

    def _on_intr(self, uc: Uc, intno: int, _ud: Any) -> None:
        if self.on_break is not None:
            self.on_break(intno not in (INTR_SVC, INTR_EXC_EXIT))
        if self._free_base is not None:
            self._free_touched(uc)
        if intno == INTR_EXC_EXIT:
            self._exception_return()
        elif intno == INTR_SVC:
            self._svc()
        elif intno == INTR_BKPT:
            pc = uc.reg_read(A.UC_ARM_REG_PC)
            imm = uc.mem_read(pc, 1)[0]
            if imm == 0xAB:
                uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)
                semihosting.handle(self)
                if self.state is CoreState.HALTED or self.machine.stopping:
                    uc.emu_stop()
            else:
                self.raise_fault(HARDFAULT, 0, f"BKPT #{imm:#x} with no debugger attached", pc=pc,
                                 hfsr=1 << 31)
        elif intno == INTR_PREFETCH_ABORT:
            pc = uc.reg_read(A.UC_ARM_REG_PC)
            self.raise_fault(MEMMANAGE, 1 << 0, f"instruction fetch from execute-never address {pc:#010x}",
                             pc=pc, address=pc)
        elif intno == INTR_DATA_ABORT:
            pc = uc.reg_read(A.UC_ARM_REG_PC)
            self.raise_fault(USAGEFAULT, 1 << 24, "unaligned or faulting data access", pc=pc)
        elif intno == INTR_NOCP:
            self.raise_fault(USAGEFAULT, 1 << 19, "coprocessor instruction with no coprocessor",
                             pc=uc.reg_read(A.UC_ARM_REG_PC))
        else:
            self.raise_fault(HARDFAULT, 0, f"CPU exception {intno} raised by Unicorn",
                             pc=uc.reg_read(A.UC_ARM_REG_PC))

    # -- SVC ------------------------------------------------------------------------------
    def _svc(self) -> None:
        uc = self.uc
        pc = self._rd_pc()
        number = self.fast.mem_read(pc - 2, 1)[0]
        handler = self.svc_handlers.get(number)
        if handler is not None:
            result = handler(self, number)
            if isinstance(result, Block):
                result.started = self.cycles
                self.block = result
                self.state = CoreState.BLOCKED
                self._put("svc_block", _NUMBER_WHAT, number, result.what)
                self.stop_requested = True
                uc.emu_stop()
                return
            if result:
                self.trace("svc", number=number, handler="python")
                return
        self.trace("svc", number=number, handler="firmware")
        exec_prio = self.execution_priority()
        if not self.nvic.can_preempt(SVCALL, exec_prio):
            self.raise_fault(HARDFAULT, 0, f"SVC #{number} while SVCall cannot preempt "
                                           f"(execution priority {exec_prio})", pc=pc - 2,
                             hfsr=1 << 30)
            return
        self.engine.enter(SVCALL, return_pc=pc)

    # -- interrupts -----------------------------------------------------------------------
    def _masks(self) -> tuple[int, int, int]:
        """(PRIMASK, FAULTMASK, BASEPRI), read with privilege (as :meth:`privileged`, in one batch)."""
        if not self.v8m:
            return self._rd_primask(), 0, 0
        ipsr, control, xpsr, primask, faultmask, basepri = self._rd_mask_state()
        if ipsr or not control & 1:
            return primask, faultmask, basepri
        # unprivileged Thread mode: those reads gave 0; borrow Handler mode for them
        self._wr_borrow(xpsr | 3)
        try:
            primask, faultmask, basepri = self._rd_masks()
        finally:
            self._wr_unborrow(xpsr, xpsr & _NZCV)
        return primask, faultmask, basepri

    def execution_priority(self) -> int:
        return self.nvic.execution_priority(*self._masks())

    def wfi_wakes(self) -> bool:
        """WFI wake-up: an exception that would preempt if PRIMASK were clear (BASEPRI still applies)."""
        _primask, faultmask, basepri = self._masks()
        return self.nvic.would_take(0, faultmask, basepri)

    def wfe_wakes(self) -> bool:
        """WFE wake-up besides the event register: an exception that is taken now (SEVONPEND
        pends set the event register instead)."""
        return self.preempting() is not None

    def preempting(self) -> int | None:
        """The pending exception that would be taken now (it preempts the current execution
        priority under the mask registers), or None."""
        exc = self.nvic.best_pending()
        if exc is not None and self.nvic.can_preempt(exc, self.execution_priority()):
            return exc
        return None

    def set_irq_line(self, irq: int, level: bool) -> None:
        """An interrupt input of this core changed level (wired from a peripheral output)."""
        self.nvic.set_line(irq, level)
        self._put("irq_line", _IRQ_LEVEL, irq, int(level))
        if level and self.scs.regs["SCR"] & SEVONPEND:
            self.event_register = True

    def take_interrupts(self) -> None:
        """Between slices: wake a sleeping core and enter the best pending exception if it may preempt."""
        if self.state in (CoreState.OFF, CoreState.HALTED):
            return
        if not self.nvic.pending and (self.state is not CoreState.WAITING or not self.event_register):
            return                                  # nothing pending: no wake-up, no entry
        if self.state is CoreState.SLEEPING and self.wfi_wakes():
            self.state = CoreState.RUNNING
            self._put("wake", _REASON, "interrupt")
        if self.state is CoreState.WAITING and (self.event_register or self.wfe_wakes()):
            self.event_register = False
            self.state = CoreState.RUNNING
            self.trace("wake", reason="event")
        if self.state is not CoreState.RUNNING:
            return
        exc = self.preempting()
        if exc is None:
            return
        self._put("exception_entry", _EXC_NAME_PC, exc, exception_name(exc), self.pc)
        try:
            self.engine.enter(exc)
        except UcError as err:                      # vector fetch or stacking failed: HFSR.VECTTBL
            self.raise_fault(HARDFAULT, 0, f"entering {exception_name(exc)} failed: {err} (vector table at "
                                           f"{self.scs.vtor:#010x}, stack pointer {self.reg('sp'):#010x})",
                             pc=self.pc, hfsr=1 << 1)

    def _exception_return(self) -> None:
        uc = self.uc
        tz = self.security.tz if self.security is not None else None
        if tz is not None and tz.active and tz.on_return(self._rd_pc()):
            return                                   # FNC_RETURN (platform/cpu/trustzone.py)
        pc, *state = self._rd_excret()               # PC, then the engine's RETURN_STATE_REGS
        excret = pc | 1
        leaving = state[0]

        try:
            chained = self.engine.exception_return(excret, self.preempting, state)
        except ExcReturnError as err:
            self.raise_fault(USAGEFAULT, 1 << 18, str(err), pc=self._rd_pc())
            return
        if chained is not None:
            self._put("tail_chain", _AFTER_EXC_NAME, leaving, chained, exception_name(chained))
            return
        self._put("exception_return", _EXC_NAME_PC, leaving, exception_name(leaving), self.engine.return_pc)
        self.event_register = True
        if self.scs.regs["SCR"] & SLEEPONEXIT and self.fast.reg_read(A.UC_ARM_REG_IPSR) == 0:
            self.sleep(CoreState.SLEEPING, "sleep_on_exit", self.pc)
            self.stop_requested = True
            uc.emu_stop()

    # -- faults ---------------------------------------------------------------------------
    def raise_fault(self, exc: int, cfsr: int, what: str, *, pc: int, address: int | None = None,
                    bfar: int | None = None, hfsr: int = 0) -> None:
        """A synchronous fault: record its status bits, then deliver it or stop with a report.

        With ``fault_policy`` "report" (the default) the machine stops at the faulting
        instruction. With "firmware" the fault is escalated as the architecture says and
        entered; a fault the firmware cannot take (lockup, a handler that spins on itself)
        stops the machine.
        """
        regs = self.scs.regs
        if not self.v8m and exc != HARDFAULT:
            cfsr, exc = 0, HARDFAULT
        regs["CFSR"] |= cfsr
        regs["HFSR"] |= hfsr
        if bfar is not None:
            regs["BFAR"] = bfar
        if address is not None and exc == MEMMANAGE:
            regs["MMFAR"] = address
        target = exc
        exec_prio = self.execution_priority()
        if exc != HARDFAULT and (not self.nvic.is_enabled(exc) or not self.nvic.can_preempt(exc, exec_prio)):
            target = HARDFAULT
            regs["HFSR"] |= 1 << 30
        self.trace("fault", exc=target, name=exception_name(target), pc=pc, what=what)
        lockup = target == HARDFAULT and exec_prio <= -1
        handler, unusable = self._fault_handler(target)
        if self.fault_policy == "firmware" and not lockup and not unusable:
            self.uc.reg_write(A.UC_ARM_REG_PC, pc | 1)
            try:
                self.engine.enter(target)
                return
            except UcError as err:                  # stacking into unmapped memory
                unusable = f"entering {exception_name(target)} failed ({err}): the stack pointer is not in memory"
        note = ("lockup: fault while HardFault is active" if lockup else
                unusable if self.fault_policy == "firmware" else "")
        self.fault = Fault(self.name, exception_name(exc), exception_name(target), what, pc, address, note)
        self.state = CoreState.HALTED
        self.state_reason = f"halted by a {exception_name(target)} at {pc:#010x}: {what}"
        self.uc.reg_write(A.UC_ARM_REG_PC, pc | 1)
        self.stop_requested = True
        self.uc.emu_stop()
        self.machine.request_fault(self)

    def _fault_handler(self, exc: int) -> tuple[int, str]:
        """The handler address of ``exc`` and, when the firmware cannot run it, why (empty if it can)."""
        if not self.image:
            return 0, "no image is loaded"
        vt = self.scs.vtor + 4 * exc
        try:
            handler = self.engine.vector(exc) & ~1
        except UcError:
            return 0, f"the vector table entry of {exception_name(exc)} at {vt:#010x} is not mapped"
        if not handler:
            return 0, f"the vector of {exception_name(exc)} is 0"
        try:
            code = bytes(self.uc.mem_read(handler, 2))
        except UcError:
            return handler, (f"the vector of {exception_name(exc)} ({vt:#010x}) points to {handler:#010x}, "
                             f"which is not mapped")
        return handler, "the firmware's handler spins on itself" if code == b"\xfe\xe7" else ""

    # -- snapshots of the exception frame -------------------------------------------------
    def stacked_frame(self) -> dict[str, int] | None:
        return self.privileged(self.engine.stacked_frame)

    # -- state protocol (snapshots) -------------------------------------------------------
    #: Run state that :meth:`save_state` keeps, and configuration or wiring set up when the machine
    #: is built (left alone). Every attribute of a Core is in one of the two (a test checks it);
    #: names a Core does not have are skipped (hint-exit machinery that only some cores get).
    #: Names starting with :data:`CONFIG_PREFIXES` are configuration too (batched accessors).
    STATE_ATTRS = ("state", "state_reason", "cycles", "instructions", "event_register", "block", "fault",
                   "fault_policy", "stop_requested", "_last_unmapped", "_resume_pc", "security", "_free_pos")
    CONFIG_ATTRS = ("machine", "spec", "name", "arch", "v8m", "clock_hz", "uc", "fast", "nvic", "systick", "scs",
                    "engine", "image", "svc_handlers", "_hint_hooks", "exits", "_hints", "_counter", "on_skip", "on_break",
                    "_hint_passes", "_ran", "mem_read", "mem_write",
                    "_free", "_free_base", "_free_q", "_free_touch")
    CONFIG_PREFIXES = ("_rd_", "_wr_")
    _PLAIN = ("state_reason", "cycles", "instructions", "event_register", "fault_policy", "stop_requested",
              "_last_unmapped", "_resume_pc", "_free_pos")

    def save_state(self) -> dict[str, Any]:
        """The core's run state: CPU context (opaque; bytes in files), run state, counters, fault,
        exception engine, System Control Space and security state. A Python wait is kept as its
        ``Block.resume`` description (None when it has none: such a wait cannot be snapshotted)."""
        from psaemu.platform.cpu import cpucontext

        e, d, block = self.engine, self.__dict__, self.block
        return {
            "ctx": cpucontext.save(self), "state": self.state.value,
            "fault": None if self.fault is None else dataclasses.asdict(self.fault),
            "plain": {name: d[name] for name in self._PLAIN if name in d},
            "scs": self.scs.save_state(),
            "engine": (e.entries, e.returns, e.tail_chains, e.fp_frames, e.return_pc),
            "wait": None if block is None else (tuple(block.resume) if block.resume else None, block.started),
            "security": None if self.security is None else self.security.save_state(),
        }

    def restore_state(self, s: dict[str, Any]) -> None:
        """Put back :meth:`save_state` (a wait it held is rebuilt afterwards by its owner)."""
        from psaemu.platform.cpu import cpucontext

        cpucontext.restore(self, s["ctx"])
        self.state = CoreState(s["state"])
        self.state_reason = ""          # a snapshot from before reasons were kept: stopped_reason derives one
        self.block = None
        self.fault = None if s["fault"] is None else Fault(**s["fault"])
        d = self.__dict__
        for name, value in s["plain"].items():
            if name in d:
                d[name] = value
        self.scs.restore_state(s["scs"])
        e = self.engine
        e.entries, e.returns, e.tail_chains, e.fp_frames, e.return_pc = s["engine"]
        if self.security is not None and s.get("security") is not None:
            self.security.restore(*s["security"])

    def check_blocked(self) -> bool:
        """Resume a core whose Python SVC handler's condition has become true; True when it did
        (the handler may have given the Python models work, e.g. a doorbell to answer)."""
        if self.state is CoreState.BLOCKED and self.block and self.block.ready():
            block, self.block = self.block, None
            self.state = CoreState.RUNNING
            follow = block.complete()
            if isinstance(follow, Block):           # the operation waits again (a multi-step call)
                follow.started = self.cycles
                self.block = follow
                self.state = CoreState.BLOCKED
                return True
            self._put("svc_resume", _WHAT, block.what)
            return True
        return False
