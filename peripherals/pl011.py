"""Arm PL011 UART subset: a console for firmware output, with a small receive FIFO for input.

Modelling choices:

* Transmission is instantaneous: a ``DR`` write emits output ``tx`` (the byte, an int) at once, so
  the TX FIFO is always empty (``FR.TXFE`` = 1, ``TXFF`` = ``BUSY`` = 0).
* As on hardware, a byte is sent only while ``CR.UARTEN`` and ``CR.TXE`` are both set. Otherwise
  it is dropped and counted in ``dropped_tx``, so a user can see why output is missing
  (``CR`` resets to 0x300: TXE and RXE set, UARTEN clear).
* ``TXRIS`` means "TX FIFO empty": set at reset and after every transmitted byte, cleared by
  ``ICR.TXIC`` until the next byte is sent.
* ``RXRIS`` is a level: set while the RX FIFO holds data, whatever ``IFLS`` says (no receive
  timeout interrupt is modelled). ``feed()`` fills the FIFO (32 entries with ``LCR_H.FEN``,
  1 without), regardless of ``CR``; bytes that do not fit are dropped, counted in
  ``dropped_rx`` and flagged as overrun (``RSR.OE``, ``RIS.OERIS``).
* Output ``irq`` = (RIS & IMSC) != 0, 0/1, emitted only when it changes; :meth:`levels` gives
  the current level for the machine to read after wiring. ``restore()`` never emits.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from .base import Field, Peripheral, Register

# CR bits
UARTEN, TXE, RXE = 1 << 0, 1 << 8, 1 << 9
# FR bits
BUSY, RXFE, TXFF, RXFF, TXFE = 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7
# RIS / IMSC / MIS / ICR bits
RXI, TXI, RTI, OEI = 1 << 4, 1 << 5, 1 << 6, 1 << 10
INT_MASK = 0x7FF
# RSR bits
OE = 1 << 3
# LCR_H bits
FEN = 1 << 4
FIFO_DEPTH = 32

PERIPH_ID = (0x11, 0x10, 0x34, 0x00)     # PL011 r1p5
PCELL_ID = (0x0D, 0xF0, 0x05, 0xB1)


class Pl011(Peripheral):
    """PL011 UART: ``tx`` byte stream out, ``feed()`` bytes in, ``irq`` level out."""

    TYPE = "pl011"
    OUTPUTS = ("tx", "irq")
    REGISTERS = (
        Register("DR", 0x000, "rw", doc="write: transmit a byte; read: pop the RX FIFO", fields=(
            Field("DATA", 0, 8, "rw", doc="write: transmit; read: the oldest received byte",
                  on_read="pop_rx"),
            Field("FE_PE_BE_OE", 8, 4, "r", doc="receive errors of that byte (always 0 here)"),
        )),
        Register("RSR_ECR", 0x004, "rw", 0, "read: receive status (OE); write: clear errors"),
        Register("FR", 0x018, "r", TXFE | RXFE, "flags: TXFE, RXFF, TXFF, RXFE, BUSY"),
        Register("ILPR", 0x020, "rw", 0, "IrDA low-power counter (storage)"),
        Register("IBRD", 0x024, "rw", 0, "integer baud divisor (storage)"),
        Register("FBRD", 0x028, "rw", 0, "fractional baud divisor (storage)"),
        Register("LCR_H", 0x02C, "rw", 0, "line control; FEN (bit 4) sets the RX FIFO depth"),
        Register("CR", 0x030, "rw", TXE | RXE, "control: UARTEN, TXE, RXE"),
        Register("IFLS", 0x034, "rw", 0x12, "FIFO level select (storage)"),
        Register("IMSC", 0x038, "rw", 0, "interrupt mask set/clear"),
        Register("RIS", 0x03C, "r", TXI, "raw interrupt status"),
        Register("MIS", 0x040, "r", 0, "masked interrupt status = RIS & IMSC"),
        Register("ICR", 0x044, "w", 0, "interrupt clear (TX, overrun; RX is a level)"),
        Register("DMACR", 0x048, "rw", 0, "DMA control (storage)"),
        *(Register(f"PeriphID{i}", 0xFE0 + 4 * i, "r", v, "peripheral ID") for i, v in enumerate(PERIPH_ID)),
        *(Register(f"PCellID{i}", 0xFF0 + 4 * i, "r", v, "PrimeCell ID") for i, v in enumerate(PCELL_ID)),
    )

    def __init__(self, name: str) -> None:
        self.rx_fifo: deque[int] = deque()
        self.dropped_tx = 0
        self.dropped_rx = 0
        self._irq = 0
        super().__init__(name)

    # -- host side -----------------------------------------------------------------------------
    def feed(self, data: bytes) -> int:
        """Queue received bytes for the firmware; returns how many fitted in the RX FIFO."""
        depth = self.rx_depth()
        taken = 0
        for byte in data:
            if len(self.rx_fifo) >= depth:
                self.dropped_rx += len(data) - taken
                self.regs["RSR_ECR"] |= OE
                self.regs["RIS"] |= OEI
                break
            self.rx_fifo.append(byte & 0xFF)
            taken += 1
        self.update()
        return taken

    def rx_depth(self) -> int:
        """RX FIFO capacity: 32 with FIFOs enabled (LCR_H.FEN), else the 1-byte holding register."""
        return FIFO_DEPTH if self.regs["LCR_H"] & FEN else 1

    def levels(self) -> dict[str, int]:
        """Current level of the ``irq`` output."""
        return {"irq": self._irq_level()}

    # -- registers -----------------------------------------------------------------------------
    def read_DR(self) -> int:
        return self.rx_fifo[0] if self.rx_fifo else 0

    def pop_rx(self) -> None:
        """A bus read took the received byte (DR.DATA): drop it from the RX FIFO."""
        if self.rx_fifo:
            self.rx_fifo.popleft()
        self.update()

    def write_DR(self, value: int) -> None:
        cr = self.regs["CR"]
        if cr & UARTEN and cr & TXE:
            self.emit("tx", value & 0xFF)
            self.regs["RIS"] |= TXI
        else:
            self.dropped_tx += 1
        self.update()

    def write_RSR_ECR(self, value: int) -> None:
        self.regs["RSR_ECR"] = 0

    def read_FR(self) -> int:
        flags = TXFE
        if not self.rx_fifo:
            flags |= RXFE
        if len(self.rx_fifo) >= self.rx_depth():
            flags |= RXFF
        return flags

    def write_IMSC(self, value: int) -> None:
        self.regs["IMSC"] = value & INT_MASK
        self.update()

    def read_RIS(self) -> int:
        return self.regs["RIS"] | (RXI if self.rx_fifo else 0)

    def read_MIS(self) -> int:
        return self.read_RIS() & self.regs["IMSC"]

    def write_ICR(self, value: int) -> None:
        self.regs["RIS"] &= ~value & INT_MASK
        self.update()

    # -- outputs and state ---------------------------------------------------------------------
    def _irq_level(self) -> int:
        return int(self.read_MIS() != 0)

    def update(self) -> None:
        """Drive ``irq`` from RIS & IMSC, emitting only a change."""
        level = self._irq_level()
        if level != self._irq:
            self._irq = level
            self.emit("irq", level)

    def reset(self) -> None:
        """Registers to reset values, RX FIFO emptied; emits ``irq`` if it was high."""
        super().reset()
        self.rx_fifo.clear()
        self.update()

    def snapshot(self) -> dict[str, Any]:
        """Registers, RX FIFO contents, drop counters and the emitted irq level."""
        return {"regs": dict(self.regs), "rx_fifo": list(self.rx_fifo), "dropped_tx": self.dropped_tx,
                "dropped_rx": self.dropped_rx, "irq": self._irq}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back a :meth:`snapshot` without emitting."""
        self.regs = dict(state["regs"])
        self.rx_fifo = deque(state["rx_fifo"])
        self.dropped_tx = state["dropped_tx"]
        self.dropped_rx = state["dropped_rx"]
        self._irq = state["irq"]
