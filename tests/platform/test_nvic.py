"""NVIC bookkeeping: level-sensitive lines, masking, grouping and the sleep wake-up rules."""
from __future__ import annotations

from psaemu.platform.cpu.nvic import IRQ0, PENDSV, Nvic


def nvic(v8m=True, bits=3) -> Nvic:
    n = Nvic(32, bits, v8m)
    n.enabled.update({0, 1, 2})
    return n


def test_level_line_repends_until_it_drops():
    n = nvic()
    n.set_line(1, True)
    assert IRQ0 + 1 in n.pending
    n.clear_pending(IRQ0 + 1)
    assert IRQ0 + 1 in n.pending                  # still asserted: pending again at once
    n.activate(IRQ0 + 1)
    n.clear_pending(IRQ0 + 1)
    assert IRQ0 + 1 not in n.pending              # active: not re-pended until it returns
    n.deactivate(IRQ0 + 1)
    assert IRQ0 + 1 in n.pending
    n.set_line(1, False)
    n.clear_pending(IRQ0 + 1)
    assert not n.pending


def test_priority_bits_and_grouping():
    n = nvic()
    n.set_priority(IRQ0, 0xFF)
    assert n.priority[IRQ0] == 0xE0
    n.prigroup = 5                                # group = bits [7:6]
    assert n.group(0xA0) == 0x80 and n.group(0x60) == 0x40


def test_masks_and_wake_rules():
    n = nvic()
    n.set_priority(IRQ0 + 2, 0x80)
    n.set_pending(IRQ0 + 2)
    assert n.would_take(0)
    assert not n.would_take(1)                    # PRIMASK blocks taking it ...
    assert n.would_take(0, 0, 0)                  # ... WFI ignores PRIMASK ...
    assert not n.would_take(0, 0, 0x80)           # ... but not BASEPRI
    assert n.would_take(0, 0, 0xA0)
    assert not n.would_take(0, 1, 0)              # FAULTMASK
    assert n.best_pending() == IRQ0 + 2
    n.set_pending(PENDSV)
    n.set_priority(PENDSV, 0x20)
    assert n.best_pending() == PENDSV             # higher priority first


def test_v6m_has_no_basepri_or_grouping():
    n = nvic(v8m=False, bits=2)
    n.set_priority(IRQ0, 0xFF)
    assert n.priority[IRQ0] == 0xC0
    n.set_pending(IRQ0)
    assert n.would_take(0, 0, 0x40)               # BASEPRI does not exist on v6-M
