"""Cortex-M exception entry and return carried out in Python (Unicorn stacks nothing itself).

v8-M (Host, with FP extended frames when CONTROL.FPCA is set, Secure-state EXC_RETURN values)
and v6-M (SE) rules. The order of register writes matters: see the comments, each one works
around a Unicorn 2.1 behaviour (privilege-checked register access, stale hflags).
"""
from __future__ import annotations

import struct
from typing import Callable

import unicorn.arm_const as A
from unicorn import Uc

from psaemu.platform.nvic import Nvic

FRAME_REGS = (A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3,
              A.UC_ARM_REG_R12, A.UC_ARM_REG_LR)
S_REGS = tuple(getattr(A, f"UC_ARM_REG_S{i}") for i in range(16))
BASIC_FRAME, FP_FRAME = 0x20, 0x68
CONTROL_SPSEL, CONTROL_FPCA, CONTROL_SFPA = 2, 4, 8


class ExcReturnError(Exception):
    """An EXC_RETURN that the architecture would fault on (reported as INVPC by the core)."""


class ExceptionEngine:
    """Stacks and unstacks exception frames and keeps the NVIC's active list in step."""

    def __init__(self, uc: Uc, nvic: Nvic, v8m: bool, has_fp: bool, vtor: Callable[[], int]) -> None:
        self.uc = uc
        self.nvic = nvic
        self.v8m = v8m
        self.has_fp = has_fp
        self.vtor = vtor
        self.xpsr_w = A.UC_ARM_REG_XPSR_NZCVQG if v8m else A.UC_ARM_REG_XPSR
        self.entries = self.returns = self.tail_chains = self.fp_frames = 0

    def refresh_hflags(self) -> None:
        """Make QEMU recompute handler mode/privilege after IPSR/CONTROL writes."""
        uc = self.uc
        uc.reg_write(A.UC_ARM_REG_APSR_NZCV, uc.reg_read(A.UC_ARM_REG_APSR_NZCV))

    def vector(self, exc: int) -> int:
        return struct.unpack("<I", self.uc.mem_read(self.vtor() + 4 * exc, 4))[0]

    def enter(self, exc: int, return_pc: int | None = None) -> int:
        """Take exception ``exc``: push the frame, switch to Handler mode, jump to the vector.

        ``return_pc`` overrides the stacked return address (the current PC by default).
        Returns the frame address.
        """
        uc = self.uc
        xpsr = uc.reg_read(A.UC_ARM_REG_XPSR)
        ret_pc = uc.reg_read(A.UC_ARM_REG_PC) if return_pc is None else return_pc
        regs = [uc.reg_read(r) for r in FRAME_REGS]
        from_thread = (xpsr & 0x1FF) == 0
        new_xpsr = (xpsr & 0xF80F0000) | 0x01000000 | exc
        if self.v8m:
            uc.reg_write(self.xpsr_w, new_xpsr)       # Handler mode first: CONTROL/MSP/PSP readable
        control = uc.reg_read(A.UC_ARM_REG_CONTROL)
        use_psp = from_thread and bool(control & CONTROL_SPSEL)
        fpca = self.has_fp and bool(control & CONTROL_FPCA)
        sp_reg = A.UC_ARM_REG_PSP if use_psp else A.UC_ARM_REG_MSP
        sp = uc.reg_read(sp_reg)
        nsp = sp - (FP_FRAME if fpca else BASIC_FRAME)
        realign = nsp & 4
        nsp &= ~7
        frame = struct.pack("<8I", *regs, ret_pc & ~1, xpsr | (0x200 if realign else 0))
        if fpca:
            self.fp_frames += 1
            frame += struct.pack("<18I", *[uc.reg_read(r) for r in S_REGS], uc.reg_read(A.UC_ARM_REG_FPSCR), 0)
        uc.mem_write(nsp, frame)
        uc.reg_write(sp_reg, nsp)
        if self.v8m:
            uc.reg_write(A.UC_ARM_REG_CONTROL, control & ~(CONTROL_SPSEL | CONTROL_FPCA | CONTROL_SFPA))
        else:
            if control & CONTROL_SPSEL:
                uc.reg_write(A.UC_ARM_REG_CONTROL, control & ~CONTROL_SPSEL)   # only writable in Thread mode
            uc.reg_write(self.xpsr_w, new_xpsr)
        excret = 0xFFFFFFE1 | (0 if fpca else 0x10) | (8 if from_thread else 0) | (4 if use_psp else 0)
        if self.v8m:
            excret |= 0x60                                 # Secure stack, default callee stacking
        uc.reg_write(A.UC_ARM_REG_LR, excret)
        self.nvic.activate(exc)
        self.jump_to_vector(exc)
        self.entries += 1
        return nsp

    def jump_to_vector(self, exc: int) -> None:
        self.uc.reg_write(A.UC_ARM_REG_PC, self.vector(exc) | 1)
        self.refresh_hflags()

    def tail_chain(self, exc: int, excret: int) -> None:
        """Enter ``exc`` straight from a returning handler, reusing the frame on the stack."""
        uc = self.uc
        uc.reg_write(self.xpsr_w, (uc.reg_read(A.UC_ARM_REG_XPSR) & 0xF80F0000) | 0x01000000 | exc)
        if self.v8m:
            control = uc.reg_read(A.UC_ARM_REG_CONTROL)
            uc.reg_write(A.UC_ARM_REG_CONTROL, control & ~(CONTROL_FPCA | CONTROL_SFPA))
        uc.reg_write(A.UC_ARM_REG_LR, excret)
        self.nvic.activate(exc)
        self.jump_to_vector(exc)
        self.tail_chains += 1
        self.entries += 1

    def exception_return(self, excret: int, chain: Callable[[int], int | None]) -> int | None:
        """Handle a branch to ``excret`` in Handler mode.

        ``chain(exec_prio)`` names a pending exception to tail-chain into given the execution
        priority after the return, or None. Returns the exception tail-chained into, or None.
        """
        uc = self.uc
        ipsr = uc.reg_read(A.UC_ARM_REG_IPSR)
        if ipsr == 0:
            raise ExcReturnError(f"EXC_RETURN {excret:#010x} executed in Thread mode")
        if (excret >> 24) != 0xFF or (excret & 0x3) != 1 and self.v8m or (not self.v8m and excret not in
                                                                           (0xFFFFFFF1, 0xFFFFFFF9, 0xFFFFFFFD)):
            raise ExcReturnError(f"EXC_RETURN {excret:#010x} is not a valid return value")
        to_thread = bool(excret & 8)
        self.nvic.deactivate(ipsr)
        exc = chain(excret)
        if exc is not None:
            self.tail_chain(exc, excret)
            return exc
        use_psp = to_thread and bool(excret & 4)
        fp = self.has_fp and not (excret & 0x10)
        sp_reg = A.UC_ARM_REG_PSP if use_psp else A.UC_ARM_REG_MSP
        sp = uc.reg_read(sp_reg)
        size = FP_FRAME if fp else BASIC_FRAME
        w = struct.unpack("<%dI" % (size // 4), uc.mem_read(sp, size))
        for r, v in zip(FRAME_REGS, w[:6]):
            uc.reg_write(r, v)
        if fp:
            for r, v in zip(S_REGS, w[8:24]):
                uc.reg_write(r, v)
            uc.reg_write(A.UC_ARM_REG_FPSCR, w[24])
        xpsr = w[7]
        if to_thread and (xpsr & 0x1FF):
            self.nvic.active.append(ipsr)
            raise ExcReturnError(f"return to Thread mode with stacked IPSR={xpsr & 0x1FF} (INVPC)")
        uc.reg_write(sp_reg, sp + size + (4 if xpsr & 0x200 else 0))
        control = uc.reg_read(A.UC_ARM_REG_CONTROL)
        newc = (control & ~(CONTROL_SPSEL | CONTROL_FPCA | CONTROL_SFPA)) | (CONTROL_SPSEL if use_psp else 0)
        if fp:
            newc |= CONTROL_FPCA | CONTROL_SFPA
        if self.v8m:
            uc.reg_write(A.UC_ARM_REG_CONTROL, newc)          # while still privileged
            uc.reg_write(self.xpsr_w, (xpsr & ~0x200) | 0x01000000)
        else:
            uc.reg_write(self.xpsr_w, (xpsr & ~0x200) | 0x01000000)
            uc.reg_write(A.UC_ARM_REG_CONTROL, newc)          # SPSEL takes effect in Thread mode only
        uc.reg_write(A.UC_ARM_REG_PC, w[6] | 1)
        self.refresh_hflags()
        self.returns += 1
        return None

    def stacked_frame(self) -> dict[str, int] | None:
        """The basic frame of the innermost active exception, for fault reports and backtraces."""
        uc = self.uc
        lr = uc.reg_read(A.UC_ARM_REG_LR)
        if uc.reg_read(A.UC_ARM_REG_IPSR) == 0 or (lr >> 24) != 0xFF:
            return None
        sp = uc.reg_read(A.UC_ARM_REG_PSP if (lr & 0xC) == 0xC else A.UC_ARM_REG_MSP)
        try:
            w = struct.unpack("<8I", uc.mem_read(sp, 32))
        except Exception:
            return None
        return dict(zip(("r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr"), w)) | {"sp": sp}
