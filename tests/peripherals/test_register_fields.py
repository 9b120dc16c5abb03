"""Registers built from fields: access modes, side-effect callbacks, one bus path, side-effect-free peek.

The sub-word cases follow the PL011 TRM's register map (DR bits 7:0 data, 11:8 receive error
flags): a store transmits, only a read that returns the data byte takes it from the FIFO.
"""
from __future__ import annotations

import pytest

from psaemu.peripherals.base import Field, Peripheral, Register, bank
from psaemu.peripherals.mhuv2 import MhuLink, MhuV2Receiver, MhuV2Sender
from psaemu.peripherals.pl011 import Pl011

DR, FR, LCR_H, CR = 0x000, 0x018, 0x02C, 0x030
RXFE, FEN = 0x10, 0x10


class Toy(Peripheral):
    """A model using every field access mode, bank handlers and callbacks."""

    TYPE = "toy"
    REGISTERS = (
        Register("CTRL", 0x00, fields=(
            Field("EN", 0, 1, "rw", 1),
            Field("MODE", 4, 4, "rw", 0x5),
            Field("GO", 8, 1, "w", on_write="on_go"),
            Field("KICK", 16, 1, "w1s", on_write="on_kick"),
        )),
        Register("STATUS", 0x04, fields=(
            Field("DONE", 0, 1, "w1c", 1),
            Field("ERR", 8, 1, "w1c", 1),
            Field("LATCH", 16, 1, "rc", 1, on_read="on_latch"),
            Field("ID", 24, 8, "r", 0xA5),
        )),
        Register("DATA", 0x08, fields=(Field("BYTE", 0, 8, "rw", on_read="on_data"),)),
        *bank("SLOT", 0x10, 3),
    )

    def __init__(self, name: str) -> None:
        self.log: list[tuple] = []
        super().__init__(name)

    def on_go(self, value: int) -> None:
        self.log.append(("go", value))

    def on_kick(self, value: int) -> None:
        self.log.append(("kick", value))

    def on_latch(self) -> None:
        self.log.append(("latch",))

    def on_data(self) -> None:
        self.log.append(("data",))

    def read_SLOT(self, i: int) -> int:
        return 0x100 + i + self.regs[f"SLOT{i}"]


def test_reset_values_come_from_the_fields():
    t = Toy("t")
    assert t.REGISTERS[0].reset == 0x51
    assert t.read(0x00, 4) == 0x51
    assert t.read(0x04, 4) == 0xA5010101


def test_field_access_modes_on_write():
    t = Toy("t")
    t.write(0x00, 4, 0x1_01_30)                    # EN=0, MODE=3, GO=1, KICK=1
    assert t.peek(0x00) == 0x1_00_30               # GO is write-only: not stored; KICK set
    assert t.log == [("go", 1), ("kick", 1)]       # callbacks in declaration order, field values
    t.write(0x04, 4, 0x0000_0100)                  # clear ERR only
    assert t.peek(0x04) == 0xA5010001
    t.write(0x04, 4, 0xFFFF_FFFF)                  # ID is read-only, LATCH cannot be written
    assert t.peek(0x04) == 0xA5010000


def test_read_to_clear_and_on_read():
    t = Toy("t")
    assert t.read(0x06, 1) == 0x01                 # any part of STATUS clears LATCH
    assert t.peek(0x04) & 0x10000 == 0
    assert t.log == [("latch",)]
    t.read(0x09, 1)                                # DATA+1 does not return BYTE: no on_read
    assert t.log == [("latch",)]
    t.read(0x08, 1)
    assert t.log == [("latch",), ("data",)]


def test_sub_word_write_merges_by_fields_without_side_effects():
    t = Toy("t")
    t.write(0x05, 1, 0x00)                         # byte 1 of STATUS: clears nothing
    assert t.peek(0x04) == 0xA5010101              # DONE (byte 0) kept: w1c bits count as 0
    assert t.log == []                             # the merge peeked: LATCH not cleared
    t.write(0x00, 1, 0x70)                         # MODE=7, EN=0; GO/KICK bytes count as 0
    assert t.peek(0x00) == 0x70
    assert t.log == [("go", 0), ("kick", 0)]


def test_bank_handlers_take_the_index():
    t = Toy("t")
    t.write(0x14, 4, 5)
    assert [t.read(0x10 + 4 * i, 4) for i in range(3)] == [0x100, 0x106, 0x102]


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="overlaps"):
        Register("R", 0, fields=(Field("A", 0, 4), Field("B", 3, 2)))
    with pytest.raises(ValueError, match="access"):
        Field("A", 0, 1, "x")
    with pytest.raises(ValueError, match="fit"):
        Field("A", 30, 4)
    with pytest.raises(ValueError, match="disagrees"):
        Register("R", 0, reset=3, fields=(Field("A", 0, 1, reset=1),))
    assert Register("R", 0, fields=(Field("A", 0, 1),)).field("A").mask == 1
    with pytest.raises(KeyError, match="has no field 'B'"):
        Register("R", 0, fields=(Field("A", 0, 1),)).field("B")


def test_peek_has_no_side_effects_and_counts_no_bus_error():
    t = Toy("t")
    assert t.peek(0x06, 1) == 0x01 and t.peek(0x06, 1) == 0x01
    assert t.peek(0x800) == 0 and t.bus_errors == [] and t.log == []
    assert t.peek_bytes(0x03, 3) == bytes([0x00, 0x01, 0x01])
    t.read(0x800, 4)
    assert t.bus_errors == [("read", 0x800, 4)]


# -- PL011: the sub-word defects ---------------------------------------------------------------
def uart_with_rx(data: bytes) -> tuple[Pl011, list[int]]:
    uart = Pl011("uart")
    tx: list[int] = []
    uart.connect("tx", tx.append)
    uart.write(CR, 4, 0x301)
    uart.write(LCR_H, 4, FEN)                      # 32-entry FIFO
    uart.feed(data)
    return uart, tx


def test_byte_store_to_dr_transmits_without_consuming_rx():
    uart, tx = uart_with_rx(b"AB")
    uart.write(DR, 1, ord("x"))
    assert tx == [ord("x")]
    assert uart.read(DR, 4) == ord("A") and uart.read(DR, 4) == ord("B")


def test_byte_read_of_dr_plus_one_does_not_pop():
    uart, _ = uart_with_rx(b"AB")
    assert uart.read(DR + 1, 1) == 0               # receive error flags of the head byte
    assert uart.read(DR + 2, 2) == 0
    assert uart.read(DR, 1) == ord("A")            # the data byte: consumed
    assert list(uart.rx_fifo) == [ord("B")]


def test_peek_of_dr_leaves_the_fifo_alone():
    uart, _ = uart_with_rx(b"AB")
    assert uart.peek(DR) == ord("A") and uart.peek(DR) == ord("A")
    assert uart.peek(FR) & RXFE == 0
    assert list(uart.rx_fifo) == [ord("A"), ord("B")]


def test_mhu_peek_is_not_reported_to_the_access_hook():
    link = MhuLink("l")
    snd, rcv = MhuV2Sender("s", link), MhuV2Receiver("r", link)
    log: list[tuple] = []
    snd.on_access = rcv.on_access = lambda *a: log.append(a)
    snd.write(0x00C, 4, 0x5)
    assert rcv.peek(0x000) == 0x5 and log == [("write", "s", "CH_SET0", 0x5)]
    assert rcv.read(0x000, 4) == 0x5 and log[-1] == ("read", "r", "CH_ST0", 0x5)


def test_a_misnamed_field_callback_is_refused_when_the_model_is_built():
    from psaemu.platform.errors import PsaEmuError

    class Misnamed(Peripheral):
        TYPE = "misnamed"
        REGISTERS = (Register("CTRL", 0x00, fields=(Field("GO", 0, 1, "w", on_write="on_gp"),)),)

        def on_go(self, value: int) -> None:
            pass
    with pytest.raises(PsaEmuError, match=r"Misnamed.*register CTRL field GO.*on_write='on_gp'"):
        Misnamed("m0")
