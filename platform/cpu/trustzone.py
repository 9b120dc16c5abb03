"""Armv8-M Security Extension state transitions carried out in Python, beside the page
protections of :mod:`psaemu.platform.cpu.security`.

Unicorn 2.1.4 runs its Cortex-M33 in Secure state only in a usable way: ``BXNS``/``BLXNS`` to a
Non-secure target switch its internal state and fault at the target (interrupt 3, its SAU says
"all Secure"), ``SG`` is a NOP, ``MSR``/``MRS`` of the ``_NS`` registers reach a bank psaemu cannot
read, and a branch to FNC_RETURN from Secure state is an exception-return interrupt (8). So
Unicorn always holds the register bank of the *current* state, this module keeps the other
state's MSP, PSP, CONTROL, PRIMASK, BASEPRI, FAULTMASK and swaps them on every transition
(Armv8-M ARM, B3.5 "Banked registers"), and the fetch-protection error that follows a transition
switches the page protections (:meth:`TrustZone.expected`).

Transitions (rule names of the Armv8-M Architecture Reference Manual, DDI0553):

* ``BXNS``/``BLXNS`` (C2.4 "BXNS", "BLXNS"): from Secure state, a target with bit 0 clear enters
  Non-secure state; ``BLXNS`` first pushes the return address (bit 0 set) and the partial RETPSR
  (IPSR, SFPA) on the current Secure stack, sets IPSR to 1 in Handler mode and LR to FNC_RETURN
  0xFEFFFFFF. The instructions are found by a scan of the Secure code and become bounded code
  hooks (so an image without them runs as before).
* ``SG`` (C2.4 "SG", B3.13 "Secure gateway"): Non-secure code entering Secure code at an SG
  (the guard's fetch-protection path) switches state and clears LR bit 0.
* FNC_RETURN (B3.14 "Function returns from Secure to Non-secure state"): Non-secure code branching
  to 0xFEFFFFFx returns to Secure state, popping the return address and partial RETPSR from the
  Secure stack.
* Exceptions (B3.19 "Exception entry, context stacking", B3.21 "Exception return"): while
  Non-secure, a Non-secure exception (SVCall, PendSV, MemManage, UsageFault: banked; an IRQ whose
  NVIC_ITNS bit is set; SysTick when Non-secure code programmed psaemu's one SysTick) vectors through VTOR_NS (the ``SCB_NS`` alias at 0xE002ED08) with
  EXC_RETURN.S = 0 and ES = 0; a Secure exception (HardFault, BusFault, SecureFault, NMI with
  AIRCR.BFHFNMINS 0, other IRQs) stacks on the Non-secure stack (EXC_RETURN S = 0,
  ES = 1) and runs Secure. An exception return restores the bank of EXC_RETURN.S.

Not modelled: a Non-secure exception taken from Secure state (needs the additional state
context and integrity signature, B3.19), a second SysTick, banked SHPR/SHCSR/AIRCR,
stack limit checks, lazy FP state.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

import unicorn.arm_const as A
from unicorn import UC_HOOK_CODE, Uc

from psaemu.platform.cpu.nvic import (
    BUSFAULT,
    DEBUGMON,
    HARDFAULT,
    MEMMANAGE,
    NMI,
    PENDSV,
    SECUREFAULT,
    SVCALL,
    SYSTICK,
    USAGEFAULT,
)

if TYPE_CHECKING:
    from psaemu.platform.cpu.security import SecurityGuard
    from psaemu.platform.firmware.loader import Image

SECURE, NON_SECURE = "secure", "non-secure"
#: FNC_RETURN (B3.14): the LR value BLXNS leaves; a branch to 0xFEFFFFFx returns to Secure state.
FNC_RETURN = 0xFEFFFFFF
#: Registers banked between the security states, as Core.reg names them.
BANKED = ("control", "primask", "basepri", "faultmask", "msp", "psp")
#: MSR/MRS SYSm of the Non-secure bank as Secure code names it, -> banked register (None: kept only).
NS_SYSM = {0x88: "msp", 0x89: "psp", 0x8A: None, 0x8B: None, 0x90: "primask", 0x91: "basepri",
           0x93: "faultmask", 0x94: "control", 0x98: "sp"}
#: MSR/MRS SYSm of the current state's stack limits. An image that enters Non-secure state keeps
#: them here (read back, not enforced): Unicorn checks the limits it holds against any SP,
#: whichever bank psaemu has put there (a Non-secure SP below a Secure PSPLIM is its
#: "exception 19", STKOF), and its limit registers are not reachable from Python.
LIM_SYSM = {0x0A: "msplim", 0x0B: "psplim"}
#: Exceptions banked between the states: taken in the state they were raised in.
_BANKED_EXC = (SVCALL, PENDSV, MEMMANAGE, USAGEFAULT, DEBUGMON)
_ALWAYS_SECURE = (NMI, HARDFAULT, BUSFAULT, SECUREFAULT)
_CONTROL_FPCA = 4
# kinds of scanned instructions
BXNS, BLXNS, MSR_NS, MRS_NS = "bxns", "blxns", "msr_ns", "mrs_ns"


def scan(data: bytes, base: int) -> list[tuple[int, str, int, int]]:
    """(address, kind, register, SYSm) of every halfword position encoding BXNS/BLXNS or an
    MSR/MRS of a Non-secure banked register (T1 encodings; C2.4). Candidates inside data or
    other instructions do nothing: the hook acts only where an instruction starts."""
    out = []
    for off in range(0, len(data) - 1, 2):
        hw = data[off] | data[off + 1] << 8
        if hw & 0xFF87 == 0x4704:
            out.append((base + off, BXNS, (hw >> 3) & 0xF, 0))
        elif hw & 0xFF87 == 0x4784:
            out.append((base + off, BLXNS, (hw >> 3) & 0xF, 0))
        elif off + 3 < len(data):
            hw2 = data[off + 2] | data[off + 3] << 8
            sysm = hw2 & 0xFF
            if hw & 0xFFF0 == 0xF380 and hw2 & 0xFF00 == 0x8800 and (sysm in NS_SYSM or sysm in LIM_SYSM):
                out.append((base + off, MSR_NS, hw & 0xF, hw2 & 0xFF))
            elif hw == 0xF3EF and hw2 & 0xF000 == 0x8000 and (sysm in NS_SYSM or sysm in LIM_SYSM):
                out.append((base + off, MRS_NS, (hw2 >> 8) & 0xF, hw2 & 0xFF))
    return out


class TrustZone:
    """The Non-secure half of one Armv8-M core: the inactive register bank and the transitions."""

    def __init__(self, guard: "SecurityGuard") -> None:
        self.guard = guard
        self.core = guard.core
        self.hooks: list[int] = []
        #: address -> (kind, register, SYSm) of the hooked instructions
        self.sites: dict[int, tuple[str, int, int]] = {}
        engine = self.core.engine
        self._vtor_s = engine.vtor
        engine.vtor = self.vtor
        engine.tz = self
        self.core.scs.connect("change", self._on_scs_change)
        self.reset()

    # -- state ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Cold reset: no transition made yet, the Non-secure bank at its reset values."""
        #: True from the first BXNS/BLXNS into Non-secure state: SG, FNC_RETURN, banked
        #: exceptions and INVTRAN checks apply from then on.
        self.active = False
        self.bank: dict[str, dict[str, int]] = {NON_SECURE: dict.fromkeys(BANKED, 0), SECURE: {}}
        self.limits: dict[int, int] = {}
        self._expect: int | None = None
        self._pending_state: str | None = None
        self._vector_state: str | None = None
        self.transitions: list[tuple[str, int]] = []
        self.core.engine.excret_clear = 0
        #: The state whose SysTick psaemu's one SysTick is: the one that last enabled or disabled
        #: it (SYST_CSR ENABLE/TICKINT), since each state's code programs its own (SysTick_S/_NS).
        self.systick_state = SECURE
        self._syst_seen = self.core.systick.ctrl & 3

    def _on_scs_change(self, _value: Any) -> None:
        ctrl = self.core.systick.ctrl & 3
        if ctrl != self._syst_seen:
            self._syst_seen = ctrl
            self.systick_state = self.current()

    @property
    def state(self) -> str:
        return self.guard.state

    def vtor_ns(self) -> int:
        """VTOR_NS: what Secure code wrote to ``SCB_NS->VTOR`` (the 0xE002ED08 alias)."""
        for p in self.core.machine.peripherals.values():
            if getattr(p, "TYPE", "") == "v8m_scs_ns":
                return p.regs["VTOR"]
        return 0

    def vtor(self) -> int:
        """The vector table of the exception being entered: VTOR_NS for a Non-secure one."""
        if not self.active:               # psaemu's own NS images: the one VTOR, as before
            return self._vtor_s()
        state = self._vector_state or self.current()
        return self.vtor_ns() if state == NON_SECURE else self._vtor_s()

    def _read_bank(self) -> dict[str, int]:
        return {name: self.core.reg(name) for name in BANKED}

    def _write_bank(self, regs: dict[str, int]) -> None:
        core = self.core
        fpca = core.reg("control") & _CONTROL_FPCA          # FPCA is not banked

        def write() -> None:
            uc = core.uc
            uc.reg_write(A.UC_ARM_REG_CONTROL, (regs["control"] & ~_CONTROL_FPCA) | fpca)
            for name, rid in (("primask", A.UC_ARM_REG_PRIMASK), ("basepri", A.UC_ARM_REG_BASEPRI),
                              ("faultmask", A.UC_ARM_REG_FAULTMASK), ("msp", A.UC_ARM_REG_MSP),
                              ("psp", A.UC_ARM_REG_PSP)):
                uc.reg_write(rid, regs[name])
        core._privileged(write)
        core.engine.refresh_hflags()

    def swap(self, to: str, expect_pc: int | None = None) -> None:
        """Make ``to`` the current state's register bank; the page protections follow at the
        fetch of ``expect_pc`` (the guard switches there, :meth:`expected`)."""
        frm = self.current()
        if to == frm:
            return
        self.bank[frm] = self._read_bank()
        self._write_bank(self.bank[to])
        self._pending_state = to
        self._expect = expect_pc
        self.transitions.append((to, expect_pc if expect_pc is not None else 0))
        self.core.trace("security_state", state=to, pc=expect_pc if expect_pc is not None else 0)

    def expected(self, pc: int) -> bool:
        """The guard's fetch-protection path: True when ``pc`` is where a transition made by
        this module goes on (the guard then switches the protections)."""
        if self._pending_state is not None and self._expect == pc:
            self._pending_state = None
            self._expect = None
            return True
        return False

    def current(self) -> str:
        """The architectural security state (a transition already made in the registers counts)."""
        return self._pending_state or self.guard.state

    # -- code hooks -----------------------------------------------------------------------
    def install(self, image: "Image") -> None:
        """Hook every BXNS/BLXNS, MSR/MRS of a ``_NS`` register or a stack limit of the image's
        Secure code, when it has a BXNS/BLXNS at all (otherwise no hook: nothing changes)."""
        uc = self.core.uc
        for h in self.hooks:
            uc.hook_del(h)
        self.hooks, self.sites = [], {}
        found: dict[int, tuple[str, int, int]] = {}
        for seg in image.segments:
            for base in sorted({seg.vaddr, seg.paddr}):
                span = self.guard.span(base)
                if span is None or not span.secure or span.mpc:
                    continue
                for addr, kind, reg, sysm in scan(seg.data, base):
                    found.setdefault(addr, (kind, reg, sysm))
        if not any(kind in (BXNS, BLXNS) for kind, _r, _s in found.values()):
            return                       # never enters Non-secure state: Unicorn runs it all
        for addr, site in sorted(found.items()):
            self.sites[addr] = site
            self.hooks.append(uc.hook_add(UC_HOOK_CODE, self._on_site, None, addr, addr))

    def _on_site(self, uc: Uc, address: int, _size: int, _ud: Any) -> None:
        if self.current() != SECURE:
            return                       # UNDEFINED in Non-secure state: Unicorn's own handling
        kind, reg, sysm = self.sites[address]
        if kind in (BXNS, BLXNS):
            self._branch_ns(address, reg, kind == BLXNS)
        elif kind == MSR_NS:
            self._msr_ns(sysm, self.core.reg(f"r{reg}") if reg < 13 else self.core.reg("lr"))
            uc.reg_write(A.UC_ARM_REG_PC, (address + 4) | 1)
        else:
            value = self._mrs_ns(sysm)
            uc.reg_write(GPR[reg], value)
            uc.reg_write(A.UC_ARM_REG_PC, (address + 4) | 1)

    def _ns_reg_name(self, sysm: int) -> str | None:
        name = NS_SYSM.get(sysm)
        if name == "sp":
            control = self.bank[NON_SECURE]["control"]
            name = "psp" if control & 2 else "msp"
        return name

    def _msr_ns(self, sysm: int, value: int) -> None:
        name = self._ns_reg_name(sysm)
        if name is None:
            self.limits[sysm] = value
            return
        if name in ("msp", "psp"):
            value &= ~3
        elif name == "control":
            value &= 0x3 | _CONTROL_FPCA
        elif name in ("primask", "faultmask"):
            value &= 1
        elif name == "basepri":
            value &= 0xFF
        self.bank[NON_SECURE][name] = value

    def _mrs_ns(self, sysm: int) -> int:
        name = self._ns_reg_name(sysm)
        return self.limits.get(sysm, 0) if name is None else self.bank[NON_SECURE][name]

    def _branch_ns(self, address: int, reg: int, link: bool) -> None:
        """BXNS/BLXNS ``reg`` in Secure state (C2.4): bit 0 set is a plain Secure branch
        (Unicorn runs it); bit 0 clear enters Non-secure state at the target."""
        core = self.core
        target = core.reg("lr") if reg == 14 else core.reg(f"r{reg}")
        if target & 1:
            return
        span = self.guard.span(target)
        if span is None or span.secure:
            core.raise_fault(SECUREFAULT, 0, f"{'BLXNS' if link else 'BXNS'} to {target:#010x}: not Non-secure "
                                             f"memory (INVTRAN)", pc=address, address=target)
            core.scs.regs["SFSR"] |= 1 << 4
            return
        if link:
            sp = core.reg("sp") - 8
            ipsr = core.reg("xpsr") & 0x1FF
            sfpa = 1 if core.reg("control") & 8 else 0
            core.mem_write(sp, struct.pack("<II", (address + 2) | 1, ipsr | sfpa << 20))
            core.set_reg("sp", sp)
            if ipsr:
                core.set_reg("xpsr", (core.reg("xpsr") & ~0x1FF) | 1)
            core.set_reg("lr", FNC_RETURN)
        self.active = True
        core.engine.ns_returns = True
        self.swap(NON_SECURE, target & ~1)
        core.uc.reg_write(A.UC_ARM_REG_PC, target | 1)

    # -- entries from Non-secure state ----------------------------------------------------
    def secure_gateway(self, pc: int) -> None:
        """SG executed in Non-secure state at ``pc`` (C2.4 "SG"): Secure state, LR bit 0 cleared
        (the return address is Non-secure). Called by the guard, which switches the protections."""
        self.swap(SECURE, pc)
        self._pending_state = None
        self._expect = None
        self.core.set_reg("lr", self.core.reg("lr") & ~1)

    def on_return(self, pc: int) -> bool:
        """A branch to an EXC_RETURN/FNC_RETURN value (Unicorn's interrupt 8). FNC_RETURN is
        completed here (True); before an exception return the bank of EXC_RETURN.S is made
        current (False: the exception engine goes on)."""
        core = self.core
        value = pc | 1
        if value >> 24 == 0xFE:
            return self._function_return(value)
        if value & 0x40:
            to = SECURE
        else:
            to = NON_SECURE
        # where the return goes is known only after the unstacking: the guard takes the next
        # fetch of the other state's memory as this transition's (see expected)
        if to != self.current():
            sp_name = "psp" if value & 0xC == 0xC else "msp"
            bank = self.bank[to]
            frame = bank[sp_name]
            try:
                ret = struct.unpack("<I", core.mem_read(frame + 24, 4))[0] & ~1
            except Exception:
                ret = None
            self.swap(to, ret)
        return False

    def _function_return(self, value: int) -> bool:
        """FNC_RETURN in Non-secure state (B3.14): Secure state, pop ReturnAddress and partial
        RETPSR from the Secure stack, restore IPSR."""
        core = self.core
        if self.current() != NON_SECURE:
            core.raise_fault(USAGEFAULT, 1 << 18, f"branch to FNC_RETURN {value:#010x} in Secure state",
                             pc=core.pc)
            return True
        self.swap(SECURE, None)
        sp = core.reg("sp")
        ret, psr = struct.unpack("<II", core.mem_read(sp, 8))
        ipsr = core.reg("xpsr") & 0x1FF
        if (ipsr == 0) != ((psr & 0x1FF) == 0) and not (ipsr == 1 and psr & 0x1FF):
            core.raise_fault(USAGEFAULT, 1 << 18, f"FNC_RETURN with saved IPSR {psr & 0x1FF}, current {ipsr} "
                                                  f"(INVPC)", pc=ret & ~1)
            return True
        core.set_reg("sp", sp + 8)
        if ipsr:
            core.set_reg("xpsr", (core.reg("xpsr") & ~0x1FF) | (psr & 0x1FF))
        if psr & (1 << 20):
            core.set_reg("control", core.reg("control") | 8)
        self._expect = ret & ~1
        core.uc.reg_write(A.UC_ARM_REG_PC, ret | 1)
        core.engine.refresh_hflags()
        return True

    # -- exceptions -----------------------------------------------------------------------
    def target(self, exc: int) -> str:
        """The security state exception ``exc`` is taken to (B3.9 "Exception numbers and
        exception priority numbers", NVIC_ITNS, AIRCR.BFHFNMINS = 0)."""
        if exc >= 16:
            n = exc - 16
            return NON_SECURE if self.core.scs.regs.get(f"ITNS{n // 32}", 0) >> (n % 32) & 1 else SECURE
        if exc in _ALWAYS_SECURE:
            return SECURE
        if exc in _BANKED_EXC:
            return self.current()
        if exc == SYSTICK:
            return self.systick_state
        return SECURE

    def before_entry(self, exc: int) -> None:
        """Choose the vector table and the EXC_RETURN security bits of the entry of ``exc``."""
        if not self.active:
            return
        to = self.target(exc)
        cur = self.current()
        self._vector_state = to
        engine = self.core.engine
        if cur == NON_SECURE:
            engine.excret_clear = 0x41 if to == NON_SECURE else 0x40   # S = 0; ES = 0 if Non-secure
        else:
            engine.excret_clear = 0

    def after_entry(self, exc: int) -> None:
        """After the frame is pushed in the interrupted state's bank: the handler's bank."""
        if not self.active:
            return
        to = self._vector_state or self.current()
        self._vector_state = None
        self.core.engine.excret_clear = 0
        if to != self.current():
            self.swap(to, self.core.pc & ~1)


GPR = [getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)] + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR, A.UC_ARM_REG_PC]
