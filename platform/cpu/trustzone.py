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
  ES = 1) and runs Secure. While Secure, a Non-secure exception pushes the additional state
  context below the frame on the Secure stack (integrity signature 0xFEFA125B, a reserved word,
  R4-R11), clears R0-R3 and R4-R11 and gets EXC_RETURN S = 1, DCRS = 0, ES = 0; so does one
  tail-chained over a Secure background (B3.21). An exception return restores the bank of
  EXC_RETURN.S; with S = 1 and DCRS = 0 it checks the signature and restores R4-R11.
* ``TT``/``TTT``/``TTA``/``TTAT`` in Secure state (C2.4 "TT"; the CMSE address checks of a
  Secure image, ``cmse_check_address_range``): answered from the SAU regions the firmware
  programmed and the board's IDAU (:meth:`TrustZone.test_target`), since Unicorn answers from
  its own SAU, which says "all Secure".

The first BXNS/BLXNS also turns on the guard's transition tracking
(:meth:`SecurityGuard.track`): an image that brings its own Secure side runs without
enforcement, yet its transitions must still surface as fetch-protection errors. The banks, the
transition in progress and the SysTick owner are in snapshots (:meth:`save_state`).

Not modelled: a second SysTick, banked SHPR/SHCSR/AIRCR, stack limit checks, lazy FP state,
an MPU in TT responses.
"""
from __future__ import annotations

import struct
from collections import deque
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
from psaemu.platform.cpu.scs import SFSR_INVTRAN
from psaemu.platform.cpu.security import secure_fault

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
#: Security state transitions kept in :attr:`TrustZone.transitions` (the latest; the event trace's
#: ``security_state`` events have them all, :attr:`TrustZone.transition_count` counts them).
TRANSITIONS_KEPT = 64
# kinds of scanned instructions
BXNS, BLXNS, MSR_NS, MRS_NS, TT = "bxns", "blxns", "msr_ns", "mrs_ns", "tt"
#: TT response bits (C2.4 "TT, TTT, TTA, TTAT"): SREGION at 8, then these.
TT_SRVALID, TT_R, TT_RW, TT_NSR, TT_NSRW, TT_S = 1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 21, 1 << 22


def scan(data: bytes, base: int) -> list[tuple[int, str, int, int]]:
    """(address, kind, register, SYSm) of every halfword position encoding BXNS/BLXNS, an
    MSR/MRS of a Non-secure banked register or a TT/TTT/TTA/TTAT (T1 encodings; C2.4; for TT
    the register is Rd and the last field Rn | A << 4 | T << 5). Candidates inside data or
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
            elif hw & 0xFFF0 == 0xE840 and hw2 & 0xF03F == 0xF000:   # STREX with Rt = PC: TT's space
                out.append((base + off, TT, (hw2 >> 8) & 0xF, hw & 0xF | (hw2 >> 7 & 1) << 4 | (hw2 >> 6 & 1) << 5))
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
        #: The latest transitions made, (state, first pc), bounded: a long run swaps all the time.
        self.transitions: deque[tuple[str, int]] = deque(maxlen=TRANSITIONS_KEPT)
        self.transition_count = 0
        self.core.engine.excret_clear = 0
        self.core.engine.ns_returns = False
        self.core.engine.callee_stack = False
        #: The state whose SysTick psaemu's one SysTick is: the one that last enabled or disabled
        #: it (SYST_CSR ENABLE/TICKINT), since each state's code programs its own (SysTick_S/_NS).
        self.systick_state = SECURE
        self._syst_seen = self.core.systick.ctrl & 3

    def _on_scs_change(self, _value: Any) -> None:
        ctrl = self.core.systick.ctrl & 3
        if ctrl != self._syst_seen:
            self._syst_seen = ctrl
            self.systick_state = self.current()

    def save_state(self) -> dict[str, Any]:
        """The inactive bank, stack limits, transition in progress and SysTick owner (snapshots;
        the hooks are configuration: they follow the loaded image)."""
        engine = self.core.engine
        return {"active": self.active, "bank": {k: dict(v) for k, v in self.bank.items()},
                "limits": dict(self.limits), "expect": self._expect, "pending": self._pending_state,
                "vector": self._vector_state, "transitions": list(self.transitions),
                "transition_count": self.transition_count,
                "systick_state": self.systick_state, "syst_seen": self._syst_seen,
                "excret_clear": engine.excret_clear, "ns_returns": engine.ns_returns}

    def restore_state(self, s: dict[str, Any]) -> None:
        """Put back :meth:`save_state`."""
        self.active = s["active"]
        self.bank = {k: dict(v) for k, v in s["bank"].items()}
        self.limits = dict(s["limits"])
        self._expect, self._pending_state, self._vector_state = s["expect"], s["pending"], s["vector"]
        self.transitions = deque((tuple(t) for t in s["transitions"]), maxlen=TRANSITIONS_KEPT)
        self.transition_count = s.get("transition_count", len(self.transitions))
        self.systick_state, self._syst_seen = s["systick_state"], s["syst_seen"]
        self.core.engine.excret_clear, self.core.engine.ns_returns = s["excret_clear"], s["ns_returns"]

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

    def vector_base(self, exc: int) -> int:
        """The vector table ``exc`` is taken through: VTOR_NS when it targets Non-secure state."""
        if not self.active:
            return self._vtor_s()
        return self.vtor_ns() if self.target(exc) == NON_SECURE else self._vtor_s()

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
        core.privileged(write)
        core.engine.refresh_hflags()

    def swap(self, to: str, expect_pc: int | None = None) -> None:
        """Make ``to`` the current state's register bank; the page protections follow at the
        fetch of ``expect_pc`` (the guard switches there, :meth:`expected`)."""
        frm = self.current()
        if to == frm:
            return
        self.bank[frm] = self._read_bank()
        self._write_bank(self.bank[to])
        # back to the state the protections are in before the other state's first fetch (an
        # exception taken at that point): nothing is left to switch
        settled = to == self.guard.state
        self._pending_state = None if settled else to
        self._expect = None if settled else expect_pc
        self.transitions.append((to, expect_pc if expect_pc is not None else 0))
        self.transition_count += 1
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
        """Hook every BXNS/BLXNS, TT, MSR/MRS of a ``_NS`` register or a stack limit of the image's
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
        else:
            if kind == TT:
                uc.reg_write(GPR[reg], self.test_target(uc.reg_read(GPR[sysm & 0xF]), alternate=bool(sysm & 0x10)))
            elif kind == MSR_NS:
                self._msr_ns(sysm, self.core.reg(f"r{reg}") if reg < 13 else self.core.reg("lr"))
            else:
                uc.reg_write(GPR[reg], self._mrs_ns(sysm))
            uc.reg_write(A.UC_ARM_REG_PC, (address + 4) | 1)
            self.core.pc_moved(address + 4)          # a free run counts the rest of the block once

    def test_target(self, addr: int, alternate: bool) -> int:
        """TT/TTT/TTA/TTAT executed in Secure state (C2.4 "TT"): the security attribution of
        ``addr`` from the SAU the firmware programmed (SREGION/SRVALID of the matching region)
        combined with the IDAU (the Musca-B1's SSE-200: address bit 28 set is Secure, 0xE... exempt);
        IREGION is not reported (IRVALID 0). psaemu models no MPU, so MRVALID is 0 and the
        permissions are those of the default memory map (read/write for both privilege levels:
        ``T`` and ``A`` change nothing there); NSR/NSRW are R/RW of a Non-secure address."""
        scs = self.core.scs
        secure, region = 0xE0000000 > addr >= 0 and bool(addr >> 28 & 1), None
        ctrl = scs.regs.get("SAU_CTRL", 0)
        if ctrl & 1:
            sau_secure = True
            for n, (rbar, rlar) in enumerate(scs.sau):
                if rlar & 1 and rbar & ~0x1F <= addr <= rlar | 0x1F:
                    region, sau_secure = n, bool(rlar & 2)          # NSC counts as Secure here
                    break
        else:
            sau_secure = not ctrl & 2                                # ALLNS
        if addr >= 0xE0000000:
            sau_secure = False                                       # exempt: the PPB and vendor space
        secure = secure or sau_secure
        resp = TT_R | TT_RW | (TT_S if secure else TT_NSR | TT_NSRW)
        if region is not None:
            resp |= TT_SRVALID | region << 8
        return resp

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
            secure_fault(core, SFSR_INVTRAN, f"{'BLXNS' if link else 'BXNS'} to {target:#010x}: not Non-secure "
                                             f"memory (INVTRAN)", pc=address, address=target)
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
        self.guard.track(True)           # the transitions are seen also where nothing is enforced
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
            frame = bank[sp_name] + (0x28 if to == SECURE and not value & 0x20 else 0)   # DCRS = 0
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
            engine.callee_stack = False
        elif to == NON_SECURE:                  # Secure -> Non-secure: DCRS = 0, ES = 0 (B3.19)
            engine.excret_clear = 0x21
            engine.callee_stack = True
        else:
            engine.excret_clear = 0
            engine.callee_stack = False

    def before_chain(self, exc: int, excret: int) -> int:
        """Tail-chaining into ``exc`` (B3.21 "Exception return", tail-chaining): the EXC_RETURN the
        handler gets. ES follows the new exception's state; a Non-secure exception chained over a
        Secure background pushes the additional state context then (DCRS = 0), as an entry would."""
        if not self.active:
            return excret
        to = self.target(exc)
        self._vector_state = to
        if excret & 0x40 and excret & 0x20 and to == NON_SECURE:      # S = 1, callee not yet stacked
            core = self.core
            sp_name = "psp" if excret & 0xC == 0xC else "msp"
            sp = core.reg(sp_name) - 0x28
            core.mem_write(sp, core.engine.callee_context(fpca=not excret & 0x10))
            core.set_reg(sp_name, sp)
            excret &= ~0x20
        return (excret & ~1) | (1 if to == SECURE else 0)

    def after_entry(self, exc: int) -> None:
        """After the frame is pushed in the interrupted state's bank: the handler's bank."""
        if not self.active:
            return
        to = self._vector_state or self.current()
        self._vector_state = None
        self.core.engine.excret_clear = 0
        self.core.engine.callee_stack = False
        if to != self.current():
            self.swap(to, self.core.pc & ~1)
        elif self._pending_state is not None:
            # taken after a transition (BXNS, SG...) and before its first fetch: the handler's
            # fetch is where the protections follow now
            self._expect = self.core.pc & ~1


GPR = [getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)] + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR, A.UC_ARM_REG_PC]
