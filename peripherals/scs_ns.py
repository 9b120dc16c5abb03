"""The Non-secure alias of the Armv8-M System Control Space (0xE002E000): the Secure side's view
of the Non-secure banked SCB and SysTick registers (``SCB_NS``, ``SysTick_NS`` in CMSIS).

TF-M's SPM writes ``SCB_NS->VTOR`` before it starts the Non-secure image
(``secure_fw/spm/cmsis_psa/tfm_nspm_ipc.c:109-118``, ``configure_ns_code``). Once the firmware has
entered Non-secure state (BXNS/BLXNS, :mod:`psaemu.platform.cpu.trustzone`), a Non-secure exception
vectors through ``VTOR`` here (VTOR_NS); the other registers are kept and read back (the Non-secure
SysTick does not count, the banked SHPR/SHCSR/AIRCR do not drive the NVIC).
"""
from __future__ import annotations

from .base import Peripheral, Register


class ScsNonSecureAlias(Peripheral):
    """Storage for the Non-secure banked SCB and SysTick registers, as the Secure side sees them."""

    TYPE = "v8m_scs_ns"
    REGISTERS = (
        Register("SYST_CSR", 0x010), Register("SYST_RVR", 0x014), Register("SYST_CVR", 0x018),
        Register("ICSR", 0xD04), Register("VTOR", 0xD08, doc="Non-secure vector table (VTOR_NS: Non-secure exceptions)"),
        Register("AIRCR", 0xD0C, reset=0xFA050000), Register("SCR", 0xD10), Register("CCR", 0xD14, reset=0x201),
        Register("SHPR1", 0xD18), Register("SHPR2", 0xD1C), Register("SHPR3", 0xD20),
        Register("SHCSR", 0xD24), Register("CPACR", 0xD88),
    )
