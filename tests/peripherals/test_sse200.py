"""SSE-200 control blocks: CPU identity, System Control, Secure/Non-secure privilege control."""
from __future__ import annotations

from psaemu.peripherals.catalog import create
from psaemu.peripherals.sse200 import Sse200CpuIdentity, Sse200NsPCtrl, Sse200SpCtrl, Sse200SysCtrl


def test_cpu_identity_is_cpu0_and_read_only():
    m = Sse200CpuIdentity("id")
    m.write(0x000, 4, 5)
    assert m.read(0x000, 4) == 0
    assert m.bus_errors == [("write", 0, 4)]


def test_sysctrl_storage_and_reset_syndrome():
    m = Sse200SysCtrl("sys")
    assert m.read(0x100, 4) == 1                      # power-on reset
    m.write(0x110, 4, 0x1A000000)                     # INITSVTOR0
    m.write(0x118, 4, 0x1)                            # CPUWAIT
    assert (m.read(0x110, 4), m.read(0x118, 4)) == (0x1A000000, 1)
    m.write(0x108, 4, 1 << 9)                         # SWRESET: recorded
    assert m.regs["SWRESET"] == 1 << 9 and m.read(0x108, 4) == 0 and m.bus_errors[-1][0] == "read"


def test_spctrl_ppc_bits_and_interrupt_clear():
    m = Sse200SpCtrl("sp")
    m.write(0x074, 4, 0x3F)                           # APBNSPPC1
    m.write(0x084, 4, 1 << 6)                         # APBNSPPCEXP1
    assert (m.read(0x074, 4), m.read(0x084, 4)) == (0x3F, 1 << 6)
    m.regs["SECPPCINTSTAT"] = 0x30
    m.write(0x024, 4, 0x10)                           # SECPPCINTCLR
    assert m.read(0x020, 4) == 0x20
    state = m.snapshot()
    m.write(0x074, 4, 0)
    m.restore(state)
    assert m.read(0x074, 4) == 0x3F


def test_nspctrl_and_catalog_types():
    m = create("sse200_nspctrl", "ns", {}, {}, {})
    assert isinstance(m, Sse200NsPCtrl)
    m.write(0x0B4, 4, 0x7)                            # APBNSPPPC1
    assert m.read(0x0B4, 4) == 0x7 and not m.bus_errors
    for t, cls in (("sse200_cpu_identity", Sse200CpuIdentity), ("sse200_sysctrl", Sse200SysCtrl),
                   ("sse200_spctrl", Sse200SpCtrl)):
        assert isinstance(create(t, "x", {}, {}, {}), cls)


def test_scs_ns_alias_keeps_vtor_ns():
    from psaemu.peripherals.scs_ns import ScsNonSecureAlias
    m = create("v8m_scs_ns", "scs_ns", {}, {}, {})
    assert isinstance(m, ScsNonSecureAlias)
    m.write(0xD08, 4, 0x0A290400)                     # SCB_NS->VTOR, TF-M's configure_ns_code
    assert m.read(0xD08, 4) == 0x0A290400 and m.read(0xD0C, 4) == 0xFA050000 and not m.bus_errors
