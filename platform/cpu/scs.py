"""System Control Space (0xE000E000): NVIC, SCB, SysTick and fault registers of one core.

Firmware drives the exception model through these registers with ordinary CMSIS code. The
register map is declared once here; the behaviour lives in the ``read_``/``write_`` handlers,
which act on the core's :class:`Nvic` and :class:`SysTick`.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from psaemu.peripherals.base import Field, Peripheral, Register, bank
from psaemu.platform.cpu.nvic import BUSFAULT, DEBUGMON, IRQ0, MEMMANAGE, NMI, PENDSV, SVCALL, SYSTICK, USAGEFAULT, Nvic
from psaemu.platform.cpu.systick import CLKSOURCE, COUNTFLAG, ENABLE, TICKINT, SysTick

SCS_BASE = 0xE000E000
CPUID = {"v8m": 0x410FD214, "v6m": 0x410CC601}      # Cortex-M33 r0p4, Cortex-M0+ r0p1
AIRCR_VECTKEY = 0x05FA
# ICSR bits
PENDSVSET, PENDSVCLR, PENDSTSET, PENDSTCLR, NMIPENDSET = 1 << 28, 1 << 27, 1 << 26, 1 << 25, 1 << 31
SAU_REGIONS = {"v8m": 8, "v6m": 0}                   # SSE-200's Cortex-M33: 8 SAU regions
# SCR bits
SLEEPONEXIT, SEVONPEND = 1 << 1, 1 << 4

# CFSR bits used by fault reports and by the fault model.
CFSR_BITS = {
    0: "IACCVIOL (instruction access violation)", 1: "DACCVIOL (data access violation)",
    3: "MUNSTKERR (MemManage fault on unstacking)", 4: "MSTKERR (MemManage fault on stacking)",
    7: "MMARVALID (MMFAR holds the address)",
    8: "IBUSERR (bus error on instruction fetch)", 9: "PRECISERR (precise data bus error)",
    10: "IMPRECISERR (imprecise data bus error)", 11: "UNSTKERR (bus fault on unstacking)",
    12: "STKERR (bus fault on stacking)", 15: "BFARVALID (BFAR holds the address)",
    16: "UNDEFINSTR (undefined instruction)", 17: "INVSTATE (invalid EPSR state)",
    18: "INVPC (invalid EXC_RETURN / PC load)", 19: "NOCP (coprocessor not available)",
    20: "STKOF (stack overflow)", 24: "UNALIGNED (unaligned access)", 25: "DIVBYZERO (divide by zero)",
}
HFSR_BITS = {1: "VECTTBL (vector table read fault)", 30: "FORCED (escalated configurable fault)",
             31: "DEBUGEVT (debug event, e.g. BKPT with no debugger)"}
# SAU->SFSR (0xE000EDE4) bits, Armv8-M ARM D1.2.226; every bit is write-one-to-clear.
SFSR_INVEP, SFSR_INVIS, SFSR_INVER, SFSR_AUVIOL = 1 << 0, 1 << 1, 1 << 2, 1 << 3
SFSR_INVTRAN, SFSR_LSPERR, SFSR_SFARVALID, SFSR_LSERR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
SFSR_BITS = {
    0: "INVEP (invalid entry point: Non-secure branch to Secure code without SG)",
    1: "INVIS (invalid integrity signature in an exception frame)",
    2: "INVER (invalid exception return)",
    3: "AUVIOL (attribution unit violation: Non-secure access to Secure memory)",
    4: "INVTRAN (invalid transition: Secure branch to Non-secure code without BXNS/BLXNS)",
    5: "LSPERR (lazy state preservation error)", 6: "SFARVALID (SFAR holds the address)",
    7: "LSERR (lazy state error)",
}

_REGS_COMMON: tuple[Register, ...] = (
    Register("ICTR", 0x004, "r"),
    Register("ACTLR", 0x008),
    # COUNTFLAG: set when the counter reaches 0; cleared by a read of any part of SYST_CSR by the
    # processor (not by a debugger's peek) and by a write to SYST_CVR, never by a write of SYST_CSR.
    Register("SYST_CSR", 0x010, doc="SysTick control and status", fields=(
        Field("ENABLE", ENABLE.bit_length() - 1, 1, "rw", doc="counter enabled"),
        Field("TICKINT", TICKINT.bit_length() - 1, 1, "rw", doc="reaching 0 pends SysTick"),
        Field("CLKSOURCE", CLKSOURCE.bit_length() - 1, 1, "rw", 1, doc="1: processor clock"),
        Field("COUNTFLAG", COUNTFLAG.bit_length() - 1, 1, "rc", doc="counted to 0 since the last read",
              on_read="_syst_csr_read"),
    )),
    Register("SYST_RVR", 0x014, doc="SysTick reload value", fields=(Field("RELOAD", 0, 24, "rw"),)),
    Register("SYST_CVR", 0x018, doc="SysTick current value; any write clears it and COUNTFLAG", fields=(
        Field("CURRENT", 0, 24, "rw", doc="counter value", on_read="_syst_catch_up"),)),
    Register("SYST_CALIB", 0x01C, "r", 0x40000000),
    *bank("ISER", 0x100, 16, merge=False), *bank("ICER", 0x180, 16, merge=False),
    *bank("ISPR", 0x200, 16, merge=False), *bank("ICPR", 0x280, 16, merge=False),
    *bank("IABR", 0x300, 16, access="rw", doc="active bits (writes ignored)"), *bank("ITNS", 0x380, 16),
    *bank("IPR", 0x400, 124),
    Register("CPUID", 0xD00, "r"), Register("ICSR", 0xD04, merge=False), Register("VTOR", 0xD08),
    Register("AIRCR", 0xD0C, merge=False), Register("SCR", 0xD10), Register("CCR", 0xD14, reset=0x201),
    Register("SHPR1", 0xD18), Register("SHPR2", 0xD1C), Register("SHPR3", 0xD20),
    Register("SHCSR", 0xD24), Register("CFSR", 0xD28, merge=False), Register("HFSR", 0xD2C, merge=False),
    Register("DFSR", 0xD30, merge=False), Register("MMFAR", 0xD34), Register("BFAR", 0xD38),
    Register("AFSR", 0xD3C), Register("CPACR", 0xD88, reset=0x00F00000),
    Register("NSACR", 0xD8C, doc="Non-secure access to coprocessors (kept, not enforced)"),
    # SAU (v8-M Security Extension): regions are kept and read back, not enforced (Unicorn runs
    # Secure only; attribution comes from the board, platform/cpu/security.py).
    Register("SAU_CTRL", 0xDD0, fields=(Field("ENABLE", 0), Field("ALLNS", 1))),
    Register("SAU_TYPE", 0xDD4, "r"), Register("SAU_RNR", 0xDD8, fields=(Field("REGION", 0, 8),)),
    Register("SAU_RBAR", 0xDDC), Register("SAU_RLAR", 0xDE0),
    Register("SFSR", 0xDE4, merge=False), Register("SFAR", 0xDE8),
    Register("STIR", 0xF00, "w", merge=False),
    Register("FPCCR", 0xF34, reset=0xC0000004), Register("FPCAR", 0xF38), Register("FPDSCR", 0xF3C),
)


class SystemControlSpace(Peripheral):
    """The core-private register block; every write that changes pending state calls ``on_change``."""

    TYPE = "scs"
    SIZE = 0x1000
    REGISTERS = _REGS_COMMON
    OUTPUTS = ("sysresetreq", "change")

    def __init__(self, name: str, arch: str, nvic: Nvic, systick: SysTick,
                 now: Callable[[], int], ipsr: Callable[[], int]) -> None:
        self.arch = arch
        self.nvic = nvic
        self.systick = systick
        self.now = now
        self.ipsr = ipsr
        self.banks = (nvic.num_irqs + 31) // 32
        super().__init__(name)

    def reset(self) -> None:
        super().reset()
        self.sau = [[0, 0] for _ in range(SAU_REGIONS[self.arch])]
        self.nvic.reset()
        self.systick.reset()

    @property
    def vtor(self) -> int:
        return self.regs["VTOR"]

    def _changed(self) -> None:
        self.emit("change", None)

    # -- NVIC banks -----------------------------------------------------------------------
    def _irq_bits(self, bank_no: int, members: Iterable[int], offset: int = 0) -> int:
        """Bit n set when exception ``32 * bank_no + n + offset`` is in ``members``."""
        word = 0
        first = bank_no * 32 + offset
        for member in members:                  # a few members; no 32-bit scan per NVIC access
            bit = member - first
            if 0 <= bit < 32:
                word |= 1 << bit
        return word

    def _each_irq(self, bank_no: int, value: int) -> Iterator[int]:
        """The IRQs of bank ``bank_no`` whose bit is set in ``value`` (32 bits), lowest first."""
        first, limit = bank_no * 32, self.nvic.num_irqs
        while value:
            low = value & -value
            irq = first + low.bit_length() - 1
            if irq < limit:
                yield irq
            value ^= low

    # Banks beyond the implemented IRQs read as zero and ignore writes.
    def read_ISER(self, bank_no: int) -> int:
        return self._irq_bits(bank_no, self.nvic.enabled) if bank_no < self.banks else 0

    read_ICER = read_ISER

    def read_ISPR(self, bank_no: int) -> int:
        return self._irq_bits(bank_no, self.nvic.pending, IRQ0) if bank_no < self.banks else 0

    read_ICPR = read_ISPR

    def read_IABR(self, bank_no: int) -> int:
        # a repeated member of the active list sets its bit again
        return self._irq_bits(bank_no, self.nvic.active, IRQ0) if bank_no < self.banks else 0

    def write_IABR(self, bank_no: int, value: int) -> None:
        """Read-only: writes are ignored (and are not bus errors)."""

    def read_ITNS(self, bank_no: int) -> int:
        return self.regs[f"ITNS{bank_no}"] if bank_no < self.banks else 0

    def write_ITNS(self, bank_no: int, value: int) -> None:
        if bank_no < self.banks:
            self.regs[f"ITNS{bank_no}"] = value

    def _irq_write(self, bank_no: int, value: int, act: Callable[[int], None]) -> None:
        """A set/clear bank write: ``act(irq)`` for every IRQ whose bit is written 1."""
        if bank_no >= self.banks:
            return
        for irq in self._each_irq(bank_no, value):
            act(irq)
        self._changed()

    def write_ISER(self, bank_no: int, value: int) -> None:
        self._irq_write(bank_no, value, self.nvic.enabled.add)

    def write_ICER(self, bank_no: int, value: int) -> None:
        self._irq_write(bank_no, value, self.nvic.enabled.discard)

    def write_ISPR(self, bank_no: int, value: int) -> None:
        self._irq_write(bank_no, value, lambda irq: self.nvic.set_pending(IRQ0 + irq))

    def write_ICPR(self, bank_no: int, value: int) -> None:
        self._irq_write(bank_no, value, lambda irq: self.nvic.clear_pending(IRQ0 + irq))

    # -- priorities -----------------------------------------------------------------------
    def _prio_word(self, first_exc: int) -> int:
        return sum(self.nvic.priority[first_exc + i] << (8 * i) for i in range(4)
                   if first_exc + i < len(self.nvic.priority))

    def _set_prio_word(self, first_exc: int, value: int) -> None:
        for i in range(4):
            if first_exc + i < len(self.nvic.priority):
                self.nvic.set_priority(first_exc + i, (value >> (8 * i)) & 0xFF)
        self._changed()

    def read_IPR(self, n: int) -> int:
        """IPR n: priorities of IRQs 4n..4n+3 (exceptions 16+4n...), one byte each."""
        return self._prio_word(IRQ0 + 4 * n)

    def write_IPR(self, n: int, value: int) -> None:
        self._set_prio_word(IRQ0 + 4 * n, value)

    def read_SHPR1(self) -> int:
        return self._prio_word(4) if self.arch == "v8m" else 0

    def write_SHPR1(self, v: int) -> None:
        if self.arch == "v8m":
            self._set_prio_word(4, v)

    def read_SHPR2(self) -> int:
        return self._prio_word(8)

    def write_SHPR2(self, v: int) -> None:
        self._set_prio_word(8, v & 0xFF000000)

    def read_SHPR3(self) -> int:
        return self._prio_word(12)

    def write_SHPR3(self, v: int) -> None:
        self._set_prio_word(12, v & (0xFFFF0000 if self.arch == "v6m" else 0xFFFF00FF))

    # -- SCB ------------------------------------------------------------------------------
    def read_ICTR(self) -> int:
        return self.banks - 1

    def read_CPUID(self) -> int:
        return CPUID[self.arch]

    def read_ICSR(self) -> int:
        n = self.nvic
        active = self.ipsr()
        pend = n.best_pending() or 0
        value = active | (min(pend, 0x1FF) << 12)
        if len(n.active) <= 1:
            value |= 1 << 11                                  # RETTOBASE
        if any(e >= IRQ0 for e in n.pending):
            value |= 1 << 22                                  # ISRPENDING
        if PENDSV in n.pending:
            value |= PENDSVSET
        if SYSTICK in n.pending:
            value |= PENDSTSET
        if NMI in n.pending:
            value |= NMIPENDSET
        return value

    def write_ICSR(self, v: int) -> None:
        n = self.nvic
        if v & NMIPENDSET:
            n.set_pending(NMI)
        if v & PENDSVSET:
            n.set_pending(PENDSV)
        elif v & PENDSVCLR:
            n.clear_pending(PENDSV)
        if v & PENDSTSET:
            n.set_pending(SYSTICK)
        elif v & PENDSTCLR:
            n.clear_pending(SYSTICK)
        self._changed()

    def write_VTOR(self, v: int) -> None:
        self.regs["VTOR"] = v & 0xFFFFFF80

    def read_AIRCR(self) -> int:
        return (0xFA05 << 16) | (self.nvic.prigroup << 8 if self.arch == "v8m" else 0)

    def write_AIRCR(self, v: int) -> None:
        if (v >> 16) != AIRCR_VECTKEY:
            return                                            # writes without the key are ignored
        if self.arch == "v8m":
            self.nvic.prigroup = (v >> 8) & 7
        if v & (1 << 2):
            self.emit("sysresetreq", True)
        self._changed()

    def read_SHCSR(self) -> int:
        v = self.nvic.shcsr
        for exc, bit in ((MEMMANAGE, 0), (BUSFAULT, 1), (USAGEFAULT, 3), (SVCALL, 7), (DEBUGMON, 8),
                         (PENDSV, 10), (SYSTICK, 11)):
            if exc in self.nvic.active:
                v |= 1 << bit
        if SVCALL in self.nvic.pending:
            v |= 1 << 15
        return v

    def write_SHCSR(self, v: int) -> None:
        self.nvic.shcsr = v & 0x000F0000 if self.arch == "v8m" else 0
        if v & (1 << 15):
            self.nvic.set_pending(SVCALL)
        self._changed()

    def write_CFSR(self, v: int) -> None:
        self.regs["CFSR"] &= ~v

    def write_HFSR(self, v: int) -> None:
        self.regs["HFSR"] &= ~v

    def write_DFSR(self, v: int) -> None:
        self.regs["DFSR"] &= ~v

    def write_SFSR(self, v: int) -> None:
        self.regs["SFSR"] &= ~(v & 0xFF)

    def write_STIR(self, v: int) -> None:
        irq = v & 0x1FF
        if irq < self.nvic.num_irqs:
            self.nvic.set_pending(IRQ0 + irq)
            self._changed()

    # -- SysTick --------------------------------------------------------------------------
    def read_SYST_CSR(self) -> int:
        return self.systick.peek_ctrl(self.now())

    def _syst_csr_read(self) -> None:
        self.systick.read_ctrl(self.now())

    def _syst_catch_up(self) -> None:
        self.systick.advance(self.now())

    def write_SYST_CSR(self, v: int) -> None:
        self.systick.write_ctrl(self.now(), v)
        self._changed()

    def read_SYST_RVR(self) -> int:
        return self.systick.load

    def write_SYST_RVR(self, v: int) -> None:
        self.systick.write_load(self.now(), v)
        self._changed()

    def read_SYST_CVR(self) -> int:
        return self.systick.peek_current(self.now())

    def write_SYST_CVR(self, v: int) -> None:
        self.systick.write_value(self.now())
        self._changed()

    # -- SAU --------------------------------------------------------------------------------
    def read_SAU_TYPE(self) -> int:
        return SAU_REGIONS[self.arch]

    def _sau_region(self) -> int | None:
        n = self.regs["SAU_RNR"]
        return n if n < SAU_REGIONS[self.arch] else None

    def read_SAU_RBAR(self) -> int:
        n = self._sau_region()
        return 0 if n is None else self.sau[n][0]

    def write_SAU_RBAR(self, v: int) -> None:
        n = self._sau_region()
        if n is not None:
            self.sau[n][0] = v & ~0x1F

    def read_SAU_RLAR(self) -> int:
        n = self._sau_region()
        return 0 if n is None else self.sau[n][1]

    def write_SAU_RLAR(self, v: int) -> None:
        n = self._sau_region()
        if n is not None:
            self.sau[n][1] = v & ~0x1C

    def sau_regions(self) -> list[tuple[int, int, bool]]:
        """(base, limit inclusive, NSC) of every enabled SAU region, as the firmware programmed it."""
        return [(rbar, rlar | 0x1F, bool(rlar & 2)) for rbar, rlar in self.sau if rlar & 1]

    # -- state ----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {"regs": dict(self.regs), "nvic": self.nvic.snapshot(), "systick": self.systick.snapshot(),
                "sau": [list(r) for r in self.sau]}

    def restore(self, state: dict[str, Any]) -> None:
        self.regs = dict(state["regs"])
        self.sau = [list(r) for r in state.get("sau", self.sau)]
        self.nvic.restore(state["nvic"])
        self.systick.restore(state["systick"])
