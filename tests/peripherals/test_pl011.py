"""PL011 UART subset: transmit, enable gating, flags, RX FIFO, IDs, interrupt line."""
from __future__ import annotations

from psaemu.peripherals.pl011 import Pl011

DR, RSR, FR, LCR_H, CR, IFLS, IMSC, RIS, MIS, ICR, IBRD = (
    0x000, 0x004, 0x018, 0x02C, 0x030, 0x034, 0x038, 0x03C, 0x040, 0x044, 0x024)
TXFE, RXFF, TXFF, RXFE, BUSY = 0x80, 0x40, 0x20, 0x10, 0x08
RXI, TXI, OEI = 1 << 4, 1 << 5, 1 << 10


def make():
    """A UART with recorders on ``tx`` and ``irq``."""
    uart = Pl011("uart")
    tx: list[int] = []
    irq: list[int] = []
    uart.connect("tx", tx.append)
    uart.connect("irq", irq.append)
    return uart, tx, irq


def enable(uart: Pl011) -> None:
    uart.write(CR, 4, 0x301)                       # UARTEN | TXE | RXE


def test_reset_values():
    uart, _, _ = make()
    assert uart.read(CR, 4) == 0x300
    assert uart.read(IFLS, 4) == 0x12
    assert uart.read(FR, 4) & (TXFE | RXFE | TXFF | BUSY) == TXFE | RXFE


def test_tx_emits_bytes_when_enabled():
    uart, tx, _ = make()
    enable(uart)
    for ch in b"Hi\n":
        uart.write(DR, 4, ch)
    uart.write(DR, 1, ord("!"))                    # strb works too
    uart.write(DR, 4, 0x1FF)                       # only the low byte is sent
    assert tx == [ord("H"), ord("i"), ord("\n"), ord("!"), 0xFF]
    assert uart.dropped_tx == 0


def test_tx_dropped_and_counted_when_disabled():
    uart, tx, _ = make()
    uart.write(DR, 4, ord("x"))                    # reset: UARTEN clear
    uart.write(CR, 4, 0x001)                       # UARTEN without TXE
    uart.write(DR, 4, ord("y"))
    assert tx == []
    assert uart.dropped_tx == 2
    enable(uart)
    uart.write(DR, 4, ord("z"))
    assert tx == [ord("z")]


def test_rx_fifo_fill_and_pop():
    uart, _, _ = make()
    uart.write(LCR_H, 4, 0x70)                     # 8 bits, FIFOs enabled
    assert uart.feed(b"ok") == 2
    assert not uart.read(FR, 4) & RXFE
    assert uart.read(DR, 4) == ord("o")
    assert uart.read(DR, 4) == ord("k")
    assert uart.read(FR, 4) & RXFE
    assert uart.read(DR, 4) == 0                   # empty FIFO reads 0


def test_rx_fifo_full_and_overrun():
    uart, _, _ = make()
    uart.write(LCR_H, 4, 0x10)
    assert uart.feed(bytes(range(40))) == 32
    assert uart.read(FR, 4) & RXFF
    assert uart.dropped_rx == 8
    assert uart.read(RSR, 4) & 0x8                 # OE
    assert uart.read(RIS, 4) & OEI
    uart.write(RSR, 4, 0)                          # ECR clears errors
    assert uart.read(RSR, 4) == 0
    uart.read(DR, 4)
    assert not uart.read(FR, 4) & RXFF


def test_without_fifo_holding_register_is_one_byte():
    uart, _, _ = make()
    assert uart.feed(b"ab") == 1
    assert uart.read(FR, 4) & RXFF
    assert uart.read(DR, 4) == ord("a")


def test_id_registers():
    uart, _, _ = make()
    assert [uart.read(0xFE0 + 4 * i, 4) for i in range(4)] == [0x11, 0x10, 0x34, 0x00]
    assert [uart.read(0xFF0 + 4 * i, 4) for i in range(4)] == [0x0D, 0xF0, 0x05, 0xB1]


def test_rx_irq_level_follows_fifo():
    uart, _, irq = make()
    uart.write(IMSC, 4, RXI)
    assert irq == []
    uart.feed(b"a")
    assert irq == [1]
    assert uart.read(MIS, 4) == RXI
    uart.feed(b"")                                 # no change, no emission
    assert irq == [1]
    uart.read(DR, 4)
    assert irq == [1, 0]
    assert uart.levels() == {"irq": 0}


def test_tx_irq_set_on_empty_and_cleared_by_icr():
    uart, _, irq = make()
    enable(uart)
    assert uart.read(RIS, 4) & TXI                 # TX FIFO empty at reset
    uart.write(IMSC, 4, TXI)
    assert irq == [1]
    uart.write(ICR, 4, TXI)
    assert irq == [1, 0]
    assert not uart.read(RIS, 4) & TXI
    uart.write(DR, 4, ord("a"))                    # sent: FIFO empty again
    assert irq == [1, 0, 1]
    uart.write(IMSC, 4, 0)
    assert irq == [1, 0, 1, 0]


def test_storage_registers_and_bus_errors():
    uart, _, _ = make()
    uart.write(IBRD, 4, 26)
    assert uart.read(IBRD, 4) == 26
    uart.write(FR, 4, 0)                           # read-only
    uart.read(0x100, 4)
    assert uart.bus_errors == [("write", FR, 4), ("read", 0x100, 4)]


def test_snapshot_restore():
    uart, tx, irq = make()
    enable(uart)
    uart.write(LCR_H, 4, 0x10)
    uart.write(IMSC, 4, RXI)
    uart.feed(b"xyz")
    snap = uart.snapshot()
    uart.read(DR, 4)
    uart.read(DR, 4)
    uart.read(DR, 4)
    n = len(irq)
    uart.restore(snap)
    assert len(irq) == n
    assert uart.read(DR, 4) == ord("x")
    assert uart.levels() == {"irq": 1}
