"""MHUv2 sender/receiver frames sharing a link: register semantics, outputs, hook, snapshots."""
from __future__ import annotations

import pytest

from psaemu.peripherals.mhuv2 import MhuLink, MhuV2Receiver, MhuV2Sender

# Offsets from TF-M v1.3.0 musca_b1 mhu_v2_x.c:33-87, written out here so the tests check the map independently.
S_CH_ST, S_CH_SET, S_CH_INT_ST, S_CH_INT_CLR, S_CH_INT_EN = 0x00, 0x0C, 0x10, 0x14, 0x18
R_CH_ST, R_CH_ST_MSK, R_CH_CLR, R_CH_MSK_ST, R_CH_MSK_SET, R_CH_MSK_CLR = 0x00, 0x04, 0x08, 0x10, 0x14, 0x18
MHU_CFG, RESP_CFG, ACCESS_REQUEST, ACCESS_READY = 0xF80, 0xF84, 0xF88, 0xF8C
INT_ST, INT_CLR, INT_EN, CHCOMB0 = 0xF90, 0xF94, 0xF98, 0xFA0
IIDR, AIDR = 0xFC8, 0xFCC


def make(channels: int = 2, revision: str = "2.0"):
    """A link with both frames and a recorder on every output of both."""
    link = MhuLink("test", channels, revision)
    snd, rcv = MhuV2Sender("snd", link), MhuV2Receiver("rcv", link)
    events: list[tuple[str, str, int]] = []
    for frame in (snd, rcv):
        for out in frame.OUTPUTS:
            frame.connect(out, lambda v, f=frame.name, o=out: events.append((f, o, v)))
    return link, snd, rcv, events


def test_ch_set_ors_into_status_seen_by_both_frames():
    _, snd, rcv, _ = make()
    snd.write(S_CH_SET, 4, 0x0000_00F0)
    snd.write(S_CH_SET, 4, 0x0000_0F01)
    assert rcv.read(R_CH_ST, 4) == 0xFF1
    assert snd.read(S_CH_ST, 4) == 0xFF1          # sender CH_ST mirrors the shared status
    assert rcv.read(R_CH_ST + 0x20, 4) == 0        # channel 1 untouched


def test_ch_clr_is_write_one_to_clear_and_sender_sees_it():
    _, snd, rcv, _ = make()
    snd.write(S_CH_SET, 4, 0xA5CF50C6)
    rcv.write(R_CH_CLR, 4, 0x0000_00C6)
    assert rcv.read(R_CH_ST, 4) == 0xA5CF5000
    rcv.write(R_CH_CLR, 4, 0xFFFFFFFF)
    assert rcv.read(R_CH_ST, 4) == 0
    assert snd.read(S_CH_ST, 4) == 0


def test_channel_windows_are_0x20_apart():
    _, snd, rcv, _ = make(channels=3)
    snd.write(2 * 0x20 + S_CH_SET, 4, 0x77)
    assert rcv.read(2 * 0x20 + R_CH_ST, 4) == 0x77
    assert rcv.read(R_CH_ST, 4) == 0 and rcv.read(0x20 + R_CH_ST, 4) == 0


def test_mask_affects_ch_st_msk_and_irq_level():
    _, snd, rcv, events = make()
    rcv.write(R_CH_MSK_SET, 4, 0x0F)
    assert rcv.read(R_CH_MSK_ST, 4) == 0x0F
    snd.write(S_CH_SET, 4, 0x03)                   # only masked bits: no interrupt
    assert rcv.read(R_CH_ST, 4) == 0x03
    assert rcv.read(R_CH_ST_MSK, 4) == 0
    assert rcv.levels()["msg0"] == 0 and events == []
    rcv.write(R_CH_MSK_CLR, 4, 0x01)               # unmask bit 0: line rises at once
    assert rcv.read(R_CH_MSK_ST, 4) == 0x0E
    assert rcv.read(R_CH_ST_MSK, 4) == 0x01
    assert events == [("rcv", "msg0", 1), ("rcv", "comb", 1)]
    rcv.write(R_CH_MSK_SET, 4, 0x01)               # mask it again: line falls
    assert events[-2:] == [("rcv", "msg0", 0), ("rcv", "comb", 0)]


def test_msg_and_comb_emitted_exactly_on_changes():
    _, snd, rcv, events = make()
    snd.write(S_CH_SET, 4, 0x1)
    snd.write(S_CH_SET, 4, 0x2)                    # status changes, level does not
    snd.write(S_CH_SET, 4, 0x2)                    # no change at all
    assert events == [("rcv", "msg0", 1), ("rcv", "comb", 1)]
    snd.write(0x20 + S_CH_SET, 4, 0x1)             # channel 1 rises; comb already high
    assert events[-1] == ("rcv", "msg1", 1)
    rcv.write(R_CH_CLR, 4, 0x1)                    # ch0 still has bit 1
    assert len(events) == 3
    rcv.write(R_CH_CLR, 4, 0xFFFFFFFF)
    assert events[-1] == ("rcv", "msg0", 0)
    rcv.write(0x20 + R_CH_CLR, 4, 0xFFFFFFFF)
    assert events[-2:] == [("rcv", "msg1", 0), ("rcv", "comb", 0)]
    assert not any(rcv.levels().values())


def test_chcomb_int_st_on_receiver_lists_pending_channels():
    _, snd, rcv, _ = make(channels=40)
    snd.write(33 * 0x20 + S_CH_SET, 4, 1)
    snd.write(1 * 0x20 + S_CH_SET, 4, 1)
    assert rcv.read(CHCOMB0, 4) == 1 << 1
    assert rcv.read(CHCOMB0 + 4, 4) == 1 << 1      # channel 33 -> word 1, bit 1


def test_access_ready_follows_access_request():
    _, snd, _, _ = make()
    assert snd.read(ACCESS_READY, 4) == 0
    snd.write(ACCESS_REQUEST, 4, 1)
    assert snd.read(ACCESS_REQUEST, 4) == 1
    assert snd.read(ACCESS_READY, 4) == 1
    snd.write(ACCESS_REQUEST, 4, 0)
    assert snd.read(ACCESS_READY, 4) == 0


@pytest.mark.parametrize("revision,aidr", [("2.0", 0x10), ("2.1", 0x11)])
@pytest.mark.parametrize("channels", [1, 5, 124])
def test_mhu_cfg_and_aidr_per_revision(revision, aidr, channels):
    _, snd, rcv, _ = make(channels, revision)
    for frame in (snd, rcv):
        assert frame.read(MHU_CFG, 4) & 0x7F == channels
        assert frame.read(AIDR, 4) == aidr
        assert (frame.read(AIDR, 4) >> 4) & 0xF == 1   # major 1 means MHUv2
        assert frame.read(IIDR, 4) & 0xFFF == 0x43B     # Arm implementer code
        assert [frame.read(0xFF0 + 4 * i, 4) for i in range(4)] == [0x0D, 0xF0, 0x05, 0xB1]


def test_lines_of_unimplemented_channels_exist_and_stay_low():
    _, snd, rcv, events = make(channels=1)
    assert {"msg0", "msg1", "msg123", "comb"} <= set(rcv.OUTPUTS)
    assert "msg124" not in rcv.OUTPUTS
    snd.write(S_CH_SET, 4, 0xFFFFFFFF)
    assert [e for e in events if e[1] == "msg1"] == []
    levels = rcv.levels()
    assert levels["msg0"] == 1 and levels["msg1"] == 0 and set(levels) == set(rcv.OUTPUTS)


def test_id_registers_are_read_only():
    _, snd, _, _ = make()
    snd.write(AIDR, 4, 0)
    assert snd.read(AIDR, 4) == 0x10
    assert snd.bus_errors == [("write", AIDR, 4)]


def test_resp_cfg_is_storage():
    _, snd, _, _ = make()
    snd.write(RESP_CFG, 4, 0x5)
    assert snd.read(RESP_CFG, 4) == 0x5


def test_unknown_offsets_counted_in_bus_errors():
    _, snd, rcv, _ = make(channels=1)
    assert rcv.read(0x20 + R_CH_ST, 4) == 0        # channel 1 window does not exist
    snd.write(0x0C + 0x20, 4, 1)
    snd.write(0x100, 4, 1)
    rcv.write(R_CH_ST, 4, 1)                       # CH_ST is read-only
    assert rcv.read(R_CH_CLR, 4) == 0              # CH_CLR is write-only
    assert snd.bus_errors == [("write", 0x2C, 4), ("write", 0x100, 4)]
    assert rcv.bus_errors == [("read", 0x20, 4), ("write", R_CH_ST, 4), ("read", R_CH_CLR, 4)]
    assert rcv.read(R_CH_ST, 4) == 0               # the bad write changed nothing


def test_sub_word_access():
    _, snd, rcv, _ = make()
    snd.write(S_CH_SET + 1, 1, 0xAB)               # byte lane 1
    assert rcv.read(R_CH_ST, 4) == 0xAB00
    assert rcv.read(R_CH_ST + 1, 1) == 0xAB
    assert rcv.read(R_CH_ST, 2) == 0xAB00


def test_on_access_called_with_register_names():
    _, snd, rcv, _ = make()
    log: list[tuple[str, str, str, int]] = []
    snd.on_access = lambda *a: log.append(a)
    rcv.on_access = lambda *a: log.append(a)
    snd.write(ACCESS_REQUEST, 4, 1)
    snd.read(ACCESS_READY, 4)
    snd.write(S_CH_SET, 4, 0x7DADE011)
    rcv.read(R_CH_ST, 4)
    rcv.write(R_CH_CLR, 4, 0xFFFFFFFF)
    snd.read(0x400, 4)                             # unknown offset: bus error, no hook call
    assert log == [
        ("write", "snd", "ACCESS_REQUEST", 1),
        ("read", "snd", "ACCESS_READY", 1),
        ("write", "snd", "CH_SET0", 0x7DADE011),
        ("read", "rcv", "CH_ST0", 0x7DADE011),
        ("write", "rcv", "CH_CLR0", 0xFFFFFFFF),
    ]


def test_sender_lines_stay_low_in_2_0():
    _, snd, _, events = make(revision="2.0")
    snd.write(INT_EN, 4, 0b111)
    snd.write(ACCESS_REQUEST, 4, 1)
    snd.write(ACCESS_REQUEST, 4, 0)
    assert [e for e in events if e[0] == "snd"] == []
    assert snd.levels() == {"nr2r": 0, "r2nr": 0, "comb": 0}
    assert snd.read(S_CH_INT_EN, 4) == 0           # v2.1-only register reads as zero


def test_sender_nr2r_r2nr_in_2_1():
    _, snd, _, events = make(revision="2.1")
    snd.write(ACCESS_REQUEST, 4, 1)                # not enabled yet: latched, line low
    assert snd.read(INT_ST, 4) & 0b11 == 0b01
    assert events == []
    snd.write(INT_EN, 4, 0b01)
    assert events == [("snd", "nr2r", 1)]
    snd.write(INT_CLR, 4, 0b01)
    assert events[-1] == ("snd", "nr2r", 0)
    snd.write(INT_EN, 4, 0b11)
    snd.write(ACCESS_REQUEST, 4, 0)                # ready falls: R2NR
    assert events[-1] == ("snd", "r2nr", 1)
    assert snd.read(INT_ST, 4) & 0b11 == 0b10


def test_sender_transfer_ack_in_2_1():
    _, snd, rcv, events = make(revision="2.1")
    snd.write(S_CH_INT_EN, 4, 1)
    snd.write(INT_EN, 4, 0b100)
    snd.write(S_CH_SET, 4, 0x3)
    rcv.write(R_CH_CLR, 4, 0x1)                    # not yet empty: no acknowledge
    assert snd.read(S_CH_INT_ST, 4) == 0
    rcv.write(R_CH_CLR, 4, 0x2)                    # emptied by the receiver
    assert snd.read(S_CH_INT_ST, 4) == 1
    assert snd.read(CHCOMB0, 4) == 1
    assert snd.read(INT_ST, 4) & 0b100
    assert ("snd", "comb", 1) in events
    snd.write(S_CH_INT_CLR, 4, 1)
    assert snd.read(S_CH_INT_ST, 4) == 0
    assert events[-1] == ("snd", "comb", 0)


def test_receiver_comb_gated_by_int_en_in_2_1():
    _, snd, rcv, events = make(revision="2.1")
    snd.write(S_CH_SET, 4, 1)
    assert events == [("rcv", "msg0", 1)]
    assert rcv.read(INT_ST, 4) == 0b100
    rcv.write(INT_EN, 4, 0b100)
    assert events[-1] == ("rcv", "comb", 1)


def test_receiver_int_registers_raz_in_2_0():
    _, snd, rcv, _ = make(revision="2.0")
    snd.write(S_CH_SET, 4, 1)
    rcv.write(INT_EN, 4, 0b100)
    assert rcv.read(INT_EN, 4) == 0
    assert rcv.read(INT_ST, 4) == 0
    assert rcv.levels()["comb"] == 1               # comb is ungated in 2.0


def test_levels_after_wiring_reflect_state():
    link = MhuLink("l", 1, "2.0")
    snd = MhuV2Sender("s", link)
    rcv = MhuV2Receiver("r", link)
    snd.write(S_CH_SET, 4, 1)                      # before anything is connected
    seen: list[int] = []
    rcv.connect("msg0", seen.append)
    assert seen == []                              # connecting does not replay
    levels = rcv.levels()
    assert levels["msg0"] == 1 and levels["comb"] == 1


def test_snapshot_restore_round_trip():
    link, snd, rcv, events = make(channels=2, revision="2.1")
    rcv.write(INT_EN, 4, 0b100)                    # 2.1: let comb follow the channels
    snd.write(S_CH_SET, 4, 0x11)
    rcv.write(R_CH_MSK_SET, 4, 0x10)
    snd.write(ACCESS_REQUEST, 4, 1)
    snd.write(RESP_CFG, 4, 3)
    snap_s, snap_r = snd.snapshot(), rcv.snapshot()
    before = {name: (snd.read(off, 4), rcv.read(off, 4))
              for name, off in [("st", 0), ("msk", R_CH_MSK_ST), ("cfg", RESP_CFG)]}
    levels = (snd.levels(), rcv.levels())

    rcv.write(R_CH_CLR, 4, 0xFFFFFFFF)
    rcv.write(R_CH_MSK_CLR, 4, 0xFFFFFFFF)
    snd.write(ACCESS_REQUEST, 4, 0)
    snd.write(RESP_CFG, 4, 0)
    n = len(events)
    snd.restore(snap_s)
    rcv.restore(snap_r)
    assert len(events) == n                        # restore never emits
    after = {name: (snd.read(off, 4), rcv.read(off, 4))
             for name, off in [("st", 0), ("msk", R_CH_MSK_ST), ("cfg", RESP_CFG)]}
    assert after == before
    assert snd.read(ACCESS_READY, 4) == 1
    assert (snd.levels(), rcv.levels()) == levels
    # after a restore, changes are emitted relative to the restored levels
    rcv.write(R_CH_CLR, 4, 0xFFFFFFFF)
    assert events[n:] == [("rcv", "msg0", 0), ("rcv", "comb", 0)]


def test_restore_into_other_link_with_wrong_channel_count_fails():
    _, snd, _, _ = make(channels=2)
    _, other, _, _ = make(channels=3)
    with pytest.raises(ValueError):
        other.restore(snd.snapshot())


def test_reset_clears_link_and_emits_falling_edges():
    _, snd, rcv, events = make()
    snd.write(S_CH_SET, 4, 1)
    snd.reset()
    assert rcv.read(R_CH_ST, 4) == 0
    assert events[-2:] == [("rcv", "msg0", 0), ("rcv", "comb", 0)]


def test_link_validation_and_single_sender():
    with pytest.raises(ValueError):
        MhuLink("x", 0)
    with pytest.raises(ValueError):
        MhuLink("x", 125)
    with pytest.raises(ValueError):
        MhuLink("x", 1, "3.0")
    link = MhuLink("x", 1)
    MhuV2Sender("a", link)
    with pytest.raises(ValueError, match="already has a sender"):
        MhuV2Sender("b", link)
