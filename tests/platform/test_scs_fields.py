"""SCS through the one bus path: NVIC banks as bank handlers, SysTick COUNTFLAG, peek for debuggers.

COUNTFLAG oracle (Armv8-M ARM, SYST_CSR; Cortex-M3 TRM r2p0 §8.2.2): it is set when the
counter reaches 0 and cleared by a processor read of any part of SYST_CSR and by a write to
SYST_CVR; a write of SYST_CSR leaves it alone, and a debugger read (peek) does not clear it.
"""
from __future__ import annotations

from psaemu.platform.cpu.nvic import IRQ0, Nvic
from psaemu.platform.cpu.scs import SystemControlSpace
from psaemu.platform.cpu.systick import SysTick
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

SYST_CSR, SYST_RVR, SYST_CVR = 0x010, 0x014, 0x018
ISER0, ICER0, ISPR0, IPR0 = 0x100, 0x180, 0x200, 0x400
ENABLE, TICKINT, COUNTFLAG = 1, 2, 1 << 16


class Clock:
    def __init__(self) -> None:
        self.now = 0


def scs() -> tuple[SystemControlSpace, Clock]:
    clock = Clock()
    s = SystemControlSpace("scs", "v8m", Nvic(64, 3, True), SysTick(), lambda: clock.now, lambda: 0)
    return s, clock


def wrapped() -> tuple[SystemControlSpace, Clock]:
    """SysTick counting 10-cycle periods, 25 cycles in: COUNTFLAG is set."""
    s, clock = scs()
    s.write(SYST_RVR, 4, 9)
    s.write(SYST_CSR, 4, ENABLE)
    clock.now = 25
    return s, clock


def test_countflag_cleared_by_a_word_read():
    s, _ = wrapped()
    assert s.read(SYST_CSR, 4) & COUNTFLAG
    assert not s.read(SYST_CSR, 4) & COUNTFLAG


def test_countflag_cleared_by_a_read_of_any_part():
    s, _ = wrapped()
    assert s.read(SYST_CSR, 1) == ENABLE           # byte 0 does not show the flag...
    assert not s.read(SYST_CSR, 4) & COUNTFLAG     # ...but the read cleared it


def test_sub_word_csr_write_keeps_countflag():
    s, _ = wrapped()
    s.write(SYST_CSR, 1, ENABLE | TICKINT)
    s.write(SYST_CSR + 2, 2, 0)                    # even writing 0 over COUNTFLAG's byte
    assert s.read(SYST_CSR, 4) == COUNTFLAG | TICKINT | ENABLE


def test_cvr_write_clears_countflag():
    s, _ = wrapped()
    s.write(SYST_CVR + 1, 1, 0)
    assert not s.read(SYST_CSR, 4) & COUNTFLAG


def test_peek_does_not_clear_countflag_nor_take_the_wrap():
    s, clock = wrapped()
    assert s.peek(SYST_CSR) & COUNTFLAG and s.peek(SYST_CSR) & COUNTFLAG
    assert s.peek(SYST_CVR) == 5
    assert s.systick.advance(clock.now) == 2       # the scheduler still sees both wraps


def test_nvic_banks_through_bank_handlers():
    s, _ = scs()
    s.write(ISER0 + 1, 1, 0x81)                    # IRQs 8 and 15
    assert s.nvic.enabled == {8, 15}
    assert s.read(ISER0, 4) == s.read(ICER0, 4) == 0x8100
    s.write(ICER0 + 1, 1, 0x01)
    assert s.nvic.enabled == {15}
    s.write(ISPR0 + 4, 4, 1)                       # bank 1: IRQ 32
    assert IRQ0 + 32 in s.nvic.pending and s.read(ISPR0 + 4, 4) == 1
    s.write(ISER0 + 4 * 5, 4, 0xFFFFFFFF)          # beyond the 64 IRQs: ignored, reads 0
    assert s.read(ISER0 + 4 * 5, 4) == 0 and s.bus_errors == []
    s.write(IPR0 + 4 + 2, 1, 0xA0)                 # IRQ 6
    assert s.nvic.priority[IRQ0 + 6] == s.read(IPR0 + 6, 1) != 0


def test_debugger_reads_of_peripherals_and_scs_peek():
    m = Machine(console=lambda core, line: None)
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    uart = m.peripherals["host_uart"]
    uart.write(0x02C, 4, 0x10)
    uart.feed(b"AB")
    base = next(p.base for p in m.board.peripherals if p.name == "host_uart")
    assert m.host.read(base, 4) == b"A\0\0\0" and m.host.read(base, 4) == b"A\0\0\0"
    assert list(uart.rx_fifo) == [ord("A"), ord("B")]
    st = m.host.systick
    st.ctrl |= COUNTFLAG
    assert int.from_bytes(m.host.read(0xE000E010, 4), "little") & COUNTFLAG
    assert st.ctrl & COUNTFLAG
