"""SAU registers of the v8-M SCS (0xE000EDD0..): regions selected by SAU_RNR, kept per region.

Oracle: Armv8-M ARM, SAU_TYPE.SREGION / SAU_RBAR.BADDR (bits 31:5) / SAU_RLAR.LADDR (31:5),
NSC (bit 1), ENABLE (bit 0); the programming sequence is TF-M v1.3's sse_200/target_cfg.c:339-365.
"""
from __future__ import annotations

from psaemu.platform.cpu.nvic import Nvic
from psaemu.platform.cpu.scs import SystemControlSpace
from psaemu.platform.cpu.systick import SysTick

SAU_CTRL, SAU_TYPE, SAU_RNR, SAU_RBAR, SAU_RLAR = 0xDD0, 0xDD4, 0xDD8, 0xDDC, 0xDE0


def scs(arch: str = "v8m") -> SystemControlSpace:
    return SystemControlSpace("scs", arch, Nvic(64, 3, arch == "v8m"), SysTick(), lambda: 0, lambda: 0)


def program(s: SystemControlSpace, n: int, base: int, limit: int, nsc: bool = False) -> None:
    s.write(SAU_RNR, 4, n)
    s.write(SAU_RBAR, 4, base)
    s.write(SAU_RLAR, 4, (limit & ~0x1F) | (2 if nsc else 0) | 1)


def test_regions_as_target_cfg_programs_them():
    s = scs()
    assert s.read(SAU_TYPE, 4) == 8
    s.write(SAU_CTRL, 4, 1)
    program(s, 0, 0x0A290000, 0x0A2DFFFF)
    program(s, 2, 0x1A28F4A0, 0x1A28F7FF, nsc=True)
    s.write(SAU_RNR, 4, 0)
    assert (s.read(SAU_RBAR, 4), s.read(SAU_RLAR, 4)) == (0x0A290000, 0x0A2DFFE1)
    assert s.read(SAU_CTRL, 4) == 1 and not s.bus_errors
    assert s.sau_regions() == [(0x0A290000, 0x0A2DFFFF, False), (0x1A28F4A0 & ~0x1F, 0x1A28F7FF, True)]


def test_region_number_out_of_range_and_state():
    s = scs()
    s.write(SAU_RNR, 4, 9)
    s.write(SAU_RBAR, 4, 0x1000)
    assert s.read(SAU_RBAR, 4) == 0
    program(s, 1, 0x20040000, 0x2007FFFF)
    state = s.snapshot()
    s.reset()
    assert s.sau_regions() == []
    s.restore(state)
    assert s.sau_regions() == [(0x20040000, 0x2007FFFF, False)]


def test_v6m_has_no_sau_regions():
    s = scs("v6m")
    assert s.read(SAU_TYPE, 4) == 0
    program(s, 0, 0x1000, 0x1FFF)
    assert s.sau_regions() == []
