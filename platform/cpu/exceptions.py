"""Cortex-M exception entry and return carried out in Python (Unicorn stacks nothing itself).

v8-M (Host, with FP extended frames when CONTROL.FPCA is set, Secure-state EXC_RETURN values)
and v6-M (SE) rules. The order of register writes matters: see the comments, each one works
around a Unicorn 2.1 behaviour (privilege-checked register access, stale hflags).
"""
from __future__ import annotations

import struct
from typing import Any, Callable

import unicorn.arm_const as A
from unicorn import Uc, UcError

from psaemu.platform.cpu.fastuc import FastUc
from psaemu.platform.cpu.nvic import Nvic

FRAME_REGS = (A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3,
              A.UC_ARM_REG_R12, A.UC_ARM_REG_LR)
S_REGS = tuple(getattr(A, f"UC_ARM_REG_S{i}") for i in range(16))
BASIC_FRAME, FP_FRAME = 0x20, 0x68
#: Additional state context of a Secure -> Non-secure exception (Armv8-M ARM B3.19): integrity
#: signature, reserved word, R4-R11.
CALLEE_FRAME, INTEGRITY_SIG = 0x28, 0xFEFA125B
CALLEE_REGS = tuple(getattr(A, f"UC_ARM_REG_R{i}") for i in range(4, 12))
CALLER_REGS = (A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3, A.UC_ARM_REG_R12)
CONTROL_SPSEL, CONTROL_FPCA, CONTROL_SFPA = 2, 4, 8
#: Read once when a handler returns (Core reads the same batch with PC in front, see Core._exception_return).
RETURN_STATE_REGS = (A.UC_ARM_REG_IPSR, A.UC_ARM_REG_XPSR, A.UC_ARM_REG_CONTROL, A.UC_ARM_REG_MSP, A.UC_ARM_REG_PSP)
_ENTRY_REGS = (A.UC_ARM_REG_XPSR, A.UC_ARM_REG_PC) + FRAME_REGS
_NZCV = 0xF0000000


class ExcReturnError(Exception):
    """An EXC_RETURN that the architecture would fault on (reported as INVPC by the core)."""


class ExceptionEngine:
    """Stacks and unstacks exception frames and keeps the NVIC's active list in step."""

    def __init__(self, uc: Uc, nvic: Nvic, v8m: bool, has_fp: bool, vtor: Callable[[], int],
                 fast: FastUc | None = None) -> None:
        self.uc = uc
        self.nvic = nvic
        self.v8m = v8m
        self.has_fp = has_fp
        self.vtor = vtor
        self.xpsr_w = A.UC_ARM_REG_XPSR_NZCVQG if v8m else A.UC_ARM_REG_XPSR
        self.entries = self.returns = self.tail_chains = self.fp_frames = 0
        #: PC (bit 0 clear) the last plain exception return resumed at.
        self.return_pc = 0
        self.fast = fast if fast is not None else FastUc(uc)
        #: Security Extension (platform/cpu/trustzone.py, set by it): EXC_RETURN bits S/ES to clear
        #: for the entry in progress, and whether EXC_RETURN.ES = 0 (Non-secure handler) is valid.
        self.tz: Any = None
        self.excret_clear = 0
        self.ns_returns = False
        #: The entry in progress is a Non-secure exception taken from Secure state: push the
        #: additional state context (integrity signature, R4-R11) below the frame (B3.19).
        self.callee_stack = False
        self._bind()

    def _bind(self) -> None:
        """Batch register accessors for the sequences below, each in the order the sequence needs.

        Every batch runs its registers in list order (one ``uc_reg_*_batch`` call), so each
        sequence keeps the order of single calls that the Unicorn workarounds depend on; the
        hflags refresh (write APSR_NZCV with the value it holds) always comes last.
        """
        f, v8m, xw = self.fast, self.v8m, self.xpsr_w
        MSP, PSP, CONTROL, LR, PC = (A.UC_ARM_REG_MSP, A.UC_ARM_REG_PSP, A.UC_ARM_REG_CONTROL,
                                     A.UC_ARM_REG_LR, A.UC_ARM_REG_PC)
        NZCV = A.UC_ARM_REG_APSR_NZCV
        fp_regs = S_REGS + (A.UC_ARM_REG_FPSCR,)
        self._rd_entry = f.reader(_ENTRY_REGS)
        self._rd_stack = f.reader((CONTROL, MSP, PSP))
        self._rd_stack_fp = f.reader((CONTROL, MSP, PSP) + fp_regs)
        self._rd_nzcv = lambda: f.reg_read(NZCV)
        self._wr_nzcv = lambda value: f.reg_write(NZCV, value)
        self._wr_xpsr = lambda value: f.reg_write(xw, value)
        self._wr_frame_regs = f.writer(FRAME_REGS)
        self._wr_frame_regs_fp = f.writer(FRAME_REGS + fp_regs)
        # entry: SP, [CONTROL], (v6-M: XPSR), LR, PC, hflags; keyed by (use_psp, writes CONTROL)
        self._wr_entry = {}
        for psp in (False, True):
            sp = PSP if psp else MSP
            for ctl in (False, True):
                if v8m:
                    regs = (sp, CONTROL, LR, PC, NZCV) if ctl else (sp, LR, PC, NZCV)
                else:
                    regs = (sp, CONTROL, xw, LR, PC, NZCV) if ctl else (sp, xw, LR, PC, NZCV)
                self._wr_entry[psp, ctl] = f.writer(regs)
        # return: r0-r3, r12, lr, [S0-S15, FPSCR], SP, CONTROL/XPSR in the architecture's order, PC, hflags
        order = (CONTROL, xw) if v8m else (xw, CONTROL)
        self._wr_return = {(psp, fp): f.writer(FRAME_REGS + (fp_regs if fp else ()) + (PSP if psp else MSP,) +
                                               order + (PC, NZCV))
                           for psp in (False, True) for fp in (False, True)}
        self._wr_chain = f.writer((xw, CONTROL, LR, PC, NZCV) if v8m else (xw, LR, PC, NZCV))

    def refresh_hflags(self) -> None:
        """Make QEMU recompute handler mode/privilege after IPSR/CONTROL writes."""
        self._wr_nzcv(self._rd_nzcv())

    def vector(self, exc: int) -> int:
        """The handler address of ``exc`` from the table it is taken through (with the Security
        Extension active: VTOR_S or VTOR_NS by the exception's target state, not the current one)."""
        base = self.vtor() if self.tz is None else self.tz.vector_base(exc)
        return self.fast.read_u32(base + 4 * exc)

    def enter(self, exc: int, return_pc: int | None = None) -> int:
        """Take exception ``exc``: push the frame, switch to Handler mode, jump to the vector.

        ``return_pc`` overrides the stacked return address (the current PC by default).
        Returns the frame address.
        """
        if self.tz is not None:
            self.tz.before_entry(exc)
            try:
                return self._enter(exc, return_pc)
            finally:
                self.tz.after_entry(exc)
        return self._enter(exc, return_pc)

    def _enter(self, exc: int, return_pc: int | None) -> int:
        xpsr, pc, r0, r1, r2, r3, r12, lr = self._rd_entry()
        ret_pc = pc if return_pc is None else return_pc
        from_thread = (xpsr & 0x1FF) == 0
        new_xpsr = (xpsr & 0xF80F0000) | 0x01000000 | exc
        if self.v8m:
            self._wr_xpsr(new_xpsr)                    # Handler mode first: CONTROL/MSP/PSP readable
        stack = (self._rd_stack_fp if self.has_fp else self._rd_stack)()
        control = stack[0]
        use_psp = from_thread and bool(control & CONTROL_SPSEL)
        fpca = self.has_fp and bool(control & CONTROL_FPCA)
        sp = stack[2] if use_psp else stack[1]
        callee = CALLEE_FRAME if self.callee_stack else 0
        nsp = sp - (FP_FRAME if fpca else BASIC_FRAME) - callee
        realign = nsp & 4
        nsp &= ~7
        frame = struct.pack("<8I", r0, r1, r2, r3, r12, lr, ret_pc & ~1, xpsr | (0x200 if realign else 0))
        if fpca:
            self.fp_frames += 1
            frame += struct.pack("<18I", *stack[3:20], 0)
        if callee:
            frame = self.callee_context(fpca) + frame
        self.fast.mem_write(nsp, frame)
        if self.v8m:
            ctl_write, new_control = True, control & ~(CONTROL_SPSEL | CONTROL_FPCA | CONTROL_SFPA)
        else:
            ctl_write, new_control = bool(control & CONTROL_SPSEL), control & ~CONTROL_SPSEL
        excret = 0xFFFFFFE1 | (0 if fpca else 0x10) | (8 if from_thread else 0) | (4 if use_psp else 0)
        if self.v8m:
            excret |= 0x60                                 # Secure stack, default callee stacking
            excret &= ~self.excret_clear                   # S/ES of an entry from Non-secure state
        nzcv = xpsr & _NZCV                                # what APSR_NZCV holds from here on
        try:
            vector = self.vector(exc)
        except UcError:
            self._enter_writes(use_psp, ctl_write, nsp, new_control, new_xpsr, excret)
            self.nvic.activate(exc)
            raise
        # SP, CONTROL (v8-M: in Handler mode; v6-M: in Thread mode, before IPSR), v6-M XPSR, LR, PC, hflags
        if self.v8m:
            if ctl_write:
                self._wr_entry[use_psp, True](nsp, new_control, excret, vector | 1, nzcv)
            else:
                self._wr_entry[use_psp, False](nsp, excret, vector | 1, nzcv)
        elif ctl_write:
            self._wr_entry[use_psp, True](nsp, new_control, new_xpsr, excret, vector | 1, nzcv)
        else:
            self._wr_entry[use_psp, False](nsp, new_xpsr, excret, vector | 1, nzcv)
        self.nvic.activate(exc)
        self.entries += 1
        return nsp

    def callee_context(self, fpca: bool) -> bytes:
        """The additional state context of a Secure -> Non-secure exception (B3.19): integrity
        signature (bit 0 clear when an FP frame follows), a reserved word, R4-R11; the registers
        are then cleared, with R0-R3 and R12, so that the Non-secure handler sees no Secure value."""
        f = self.fast
        regs = [f.reg_read(r) for r in CALLEE_REGS]
        for r in CALLEE_REGS + CALLER_REGS:
            f.reg_write(r, 0)
        return struct.pack("<10I", INTEGRITY_SIG & ~(1 if fpca else 0), 0, *regs)

    def _enter_writes(self, use_psp: bool, ctl_write: bool, nsp: int, new_control: int, new_xpsr: int,
                      excret: int) -> None:
        """The register writes of :meth:`enter` before the vector fetch, one by one (error path)."""
        w = self.fast.reg_write
        w(A.UC_ARM_REG_PSP if use_psp else A.UC_ARM_REG_MSP, nsp)
        if ctl_write:
            w(A.UC_ARM_REG_CONTROL, new_control)
        if not self.v8m:
            w(self.xpsr_w, new_xpsr)
        w(A.UC_ARM_REG_LR, excret)

    def tail_chain(self, exc: int, excret: int, xpsr: int, control: int) -> None:
        """Enter ``exc`` straight from a returning handler, reusing the frame on the stack.

        ``xpsr`` and ``control`` are their current values (Handler mode throughout, so CONTROL
        reads the same before and after the IPSR change).
        """
        if self.tz is not None:
            excret = self.tz.before_chain(exc, excret)
            try:
                self._tail_chain(exc, excret, xpsr, control)
            finally:
                self.tz.after_entry(exc)
            return
        self._tail_chain(exc, excret, xpsr, control)

    def _tail_chain(self, exc: int, excret: int, xpsr: int, control: int) -> None:
        f = self.fast
        new_xpsr = (xpsr & 0xF80F0000) | 0x01000000 | exc
        try:
            vector = self.vector(exc)
        except UcError:
            self._wr_xpsr(new_xpsr)
            if self.v8m:
                f.reg_write(A.UC_ARM_REG_CONTROL, control & ~(CONTROL_FPCA | CONTROL_SFPA))
            f.reg_write(A.UC_ARM_REG_LR, excret)
            self.nvic.activate(exc)
            raise
        if self.v8m:
            self._wr_chain(new_xpsr, control & ~(CONTROL_FPCA | CONTROL_SFPA), excret, vector | 1, xpsr & _NZCV)
        else:
            self._wr_chain(new_xpsr, excret, vector | 1, xpsr & _NZCV)
        self.nvic.activate(exc)
        self.tail_chains += 1
        self.entries += 1

    def exception_return(self, excret: int, chain: Callable[[], int | None],
                         state: tuple[int, int, int, int, int] | list[int]) -> int | None:
        """Handle a branch to ``excret`` in Handler mode.

        ``chain()`` names the pending exception to tail-chain into at the execution priority
        after the returning exception is deactivated, or None. Returns the exception tail-chained
        into, or None. ``state`` is the current (IPSR, XPSR, CONTROL, MSP, PSP)
        (:data:`RETURN_STATE_REGS`, read by the caller); nothing changes them before they are used.
        """
        ipsr, cur_xpsr, control, msp, psp = state
        if ipsr == 0:
            raise ExcReturnError(f"EXC_RETURN {excret:#010x} executed in Thread mode")
        es_ok = (excret & 0x3) == 1 or self.ns_returns and (excret & 0x3) == 0
        if (excret >> 24) != 0xFF or not es_ok and self.v8m or (not self.v8m and excret not in
                                                                           (0xFFFFFFF1, 0xFFFFFFF9, 0xFFFFFFFD)):
            raise ExcReturnError(f"EXC_RETURN {excret:#010x} is not a valid return value")
        to_thread = bool(excret & 8)
        self.nvic.deactivate(ipsr)
        exc = chain()
        if exc is not None:
            self.tail_chain(exc, excret, cur_xpsr, control)
            return exc
        use_psp = to_thread and bool(excret & 4)
        fp = self.has_fp and not (excret & 0x10)
        sp = psp if use_psp else msp
        if self.ns_returns and excret & 0x40 and not excret & 0x20:   # S = 1, DCRS = 0: B3.21
            sp = self._callee_unstack(sp, fp)
        size = FP_FRAME if fp else BASIC_FRAME
        w = self.fast.read_words(sp, size // 4)
        xpsr = w[7]
        if to_thread and (xpsr & 0x1FF):
            if fp:                                         # r0-r3, r12, lr (and FP) were restored first
                self._wr_frame_regs_fp(*w[:6], *w[8:25])
            else:
                self._wr_frame_regs(*w[:6])
            self.nvic.active.append(ipsr)
            raise ExcReturnError(f"return to Thread mode with stacked IPSR={xpsr & 0x1FF} (INVPC)")
        new_sp = sp + size + (4 if xpsr & 0x200 else 0)
        newc = (control & ~(CONTROL_SPSEL | CONTROL_FPCA | CONTROL_SFPA)) | (CONTROL_SPSEL if use_psp else 0)
        if fp:
            newc |= CONTROL_FPCA | CONTROL_SFPA
        new_xpsr = (xpsr & ~0x200) | 0x01000000
        # v8-M writes CONTROL while still privileged, then XPSR; v6-M writes XPSR first (SPSEL
        # takes effect in Thread mode only). The IPSR restore swaps SP as the architecture does.
        first, second = (newc, new_xpsr) if self.v8m else (new_xpsr, newc)
        if fp:
            self._wr_return[use_psp, True](*w[:6], *w[8:25], new_sp, first, second, w[6] | 1, new_xpsr & _NZCV)
        else:
            self._wr_return[use_psp, False](*w[:6], new_sp, first, second, w[6] | 1, new_xpsr & _NZCV)
        self.return_pc = w[6] & ~1
        self.returns += 1
        return None

    def _callee_unstack(self, sp: int, fp: bool) -> int:
        """Check the integrity signature of the additional state context at ``sp`` and restore
        R4-R11 from it; the SP of the basic frame above it."""
        w = self.fast.read_words(sp, 10)
        want = INTEGRITY_SIG & ~(1 if fp else 0)
        if w[0] != want:
            raise ExcReturnError(f"exception return with DCRS = 0: integrity signature {w[0]:#010x} at {sp:#010x}, "
                                 f"expected {want:#010x} (INVIS)")
        for r, value in zip(CALLEE_REGS, w[2:]):
            self.fast.reg_write(r, value)
        return sp + CALLEE_FRAME

    def stacked_frame(self) -> dict[str, int] | None:
        """The basic frame of the innermost active exception, for fault reports and backtraces."""
        f = self.fast
        lr = f.reg_read(A.UC_ARM_REG_LR)
        if f.reg_read(A.UC_ARM_REG_IPSR) == 0 or (lr >> 24) != 0xFF:
            return None
        sp = f.reg_read(A.UC_ARM_REG_PSP if (lr & 0xC) == 0xC else A.UC_ARM_REG_MSP)
        try:
            w = f.read_words(sp, 8)
        except Exception:
            return None
        return dict(zip(("r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr"), w)) | {"sp": sp}
