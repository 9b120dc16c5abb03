"""Arm SSE-200 subsystem control blocks the Host's TF-M port programs at boot: CPU identity,
System Control, and the Secure / Non-secure privilege control blocks (PPC and interrupt gates).

Register maps as TF-M v1.3's Musca-B1 ``sse_200`` port declares them
(``platform/ext/target/musca_b1/sse_200/Device/Include/platform_regs.h``: ``struct sysctrl_t``,
``struct spctrl_def``, ``struct nspctrl_def``) at the bases of ``platform_base_address.h:88-93``.
All registers are storage with the reset value 0 unless noted: psaemu does not gate peripheral
accesses by the PPC bits (the firmware's settings are kept and can be read back and inspected),
and a software reset request (SWRESET) is recorded, not acted on.
"""
from __future__ import annotations

from .base import Peripheral, Register, bank


class Sse200CpuIdentity(Peripheral):
    """CPU_IDENTITY (0x5001F000): which CPU of the subsystem is reading. TF-M's start-up code
    reads CPUID and parks every CPU but CPU 0 (``Device/Source/gcc/startup_cmsdk_musca_bl2.S``
    ``:142-148``); psaemu's Host is CPU 0."""

    TYPE = "sse200_cpu_identity"
    REGISTERS = (Register("CPUID", 0x000, "r", 0, "number of the CPU reading (0: the Host CPU)"),)


class Sse200SysCtrl(Peripheral):
    """System Control (0x50021000): debug, clocks, reset syndrome/mask, CPU boot control."""

    TYPE = "sse200_sysctrl"
    REGISTERS = (
        Register("SECDBGSTAT", 0x000, "r"), Register("SECDBGSET", 0x004, "w", merge=False),
        Register("SECDBGCLR", 0x008, "w", merge=False), Register("SCSECCTRL", 0x00C),
        Register("FCLK_DIV", 0x010), Register("SYSCLK_DIV", 0x014), Register("CLOCK_FORCE", 0x018),
        Register("RESET_SYNDROME", 0x100, reset=0x1, doc="bit 0: power-on reset"),
        Register("RESET_MASK", 0x104), Register("SWRESET", 0x108, "w", merge=False,
                                                      doc="software reset request (recorded, not acted on)"),
        Register("GRETREG", 0x10C), Register("INITSVTOR0", 0x110), Register("INITSVTOR1", 0x114),
        Register("CPUWAIT", 0x118), Register("NMI_ENABLE", 0x11C), Register("WICCTRL", 0x120),
        Register("EWCTRL", 0x124), Register("PDCM_PD_SYS_SENSE", 0x200),
        *bank("PDCM_PD_SRAM_SENSE", 0x20C, 4),
    )

    def write_SWRESET(self, value: int) -> None:
        self.regs["SWRESET"] = value


class Sse200SpCtrl(Peripheral):
    """Secure Privilege Control (0x50080000): PPC Non-secure and Secure-unprivileged bits, the
    MPC/PPC/MSC/bridge interrupt status, enable and clear registers, NSC configuration."""

    TYPE = "sse200_spctrl"
    REGISTERS = (
        Register("SPCSECCTRL", 0x000), Register("BUSWAIT", 0x004), Register("SECRESPCFG", 0x010),
        Register("NSCCFG", 0x014, doc="Code SRAM / eFlash Non-secure callable gates"),
        Register("SECMPCINTSTAT", 0x01C, "r"), Register("SECPPCINTSTAT", 0x020, "r"),
        Register("SECPPCINTCLR", 0x024, "w", merge=False), Register("SECPPCINTEN", 0x028),
        Register("SECMSCINTSTAT", 0x030, "r"), Register("SECMSCINTCLR", 0x034, "w", merge=False),
        Register("SECMSCINTEN", 0x038), Register("BRGINTSTAT", 0x040, "r"),
        Register("BRGINTCLR", 0x044, "w", merge=False), Register("BRGINTEN", 0x048),
        Register("AHBNSPPC0", 0x050), *bank("AHBNSPPCEXP", 0x060, 4),
        *bank("APBNSPPC", 0x070, 2), *bank("APBNSPPCEXP", 0x080, 4),
        Register("AHBSPPPC0", 0x090), *bank("AHBSPPPCEXP", 0x0A0, 4),
        *bank("APBSPPPC", 0x0B0, 2), *bank("APBSPPPCEXP", 0x0C0, 4),
    )

    def _clear(self, status: str, value: int) -> None:
        self.regs[status] &= ~value

    def write_SECPPCINTCLR(self, value: int) -> None:
        self._clear("SECPPCINTSTAT", value)

    def write_SECMSCINTCLR(self, value: int) -> None:
        self._clear("SECMSCINTSTAT", value)

    def write_BRGINTCLR(self, value: int) -> None:
        self._clear("BRGINTSTAT", value)


class Sse200NsPCtrl(Peripheral):
    """Non-secure Privilege Control (0x40080000): Non-secure unprivileged PPC bits."""

    TYPE = "sse200_nspctrl"
    REGISTERS = (
        Register("AHBNSPPPC0", 0x090), *bank("AHBNSPPPCEXP", 0x0A0, 4),
        *bank("APBNSPPPC", 0x0B0, 2), *bank("APBNSPPPCEXP", 0x0C0, 4),
    )
