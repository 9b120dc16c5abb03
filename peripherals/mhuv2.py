"""Arm MHUv2 (revisions 2.0 and 2.1): a sender frame and a receiver frame joined by a link.

One :class:`MhuLink` is one direction of a mailbox. The sender frame (on one core's bus) and
the receiver frame (on the other core's bus) both read and change its state, so a ``CH_SET``
through the sender changes the receiver's interrupt lines at once.

Modelling choices (the register map is TF-M v1.3.0's musca_b1 ``mhu_v2_x.c:33-87``; behaviour not fixed by it is chosen here):

* ``CH_SET`` ORs into the channel status; the receiver's ``CH_CLR`` clears the written bits.
  The sender's ``CH_ST`` reads the same status word as the receiver's.
* The receiver is always awake: ``ACCESS_READY`` reads 1 exactly while ``ACCESS_REQUEST`` is 1.
* Receiver masks reset to 0 (all channels unmasked).
* Receiver outputs ``msg<n>`` = (status & ~mask) of channel n is nonzero; ``comb`` = any ``msg<n>``.
  Every receiver has the lines ``msg0``..``msg123`` (boards wire e.g. MSG_1 on a 1-channel link);
  those of channels beyond ``channels`` exist but stay low.
  In 2.1 ``comb`` is also gated by receiver ``INT_EN`` bit 2 (CHCOMB), as in the 2.1 frame.
* Sender ``INT_ST`` bit 0 (NR2R) / bit 1 (R2NR) latch when ``ACCESS_READY`` rises / falls and are
  cleared by ``INT_CLR``. Sender outputs ``nr2r``, ``r2nr`` and ``comb`` (= INT_ST & INT_EN,
  bits 0/1/2) are driven only in 2.1; in 2.0 they stay low.
* 2.1 only: when the receiver clears a channel's status from nonzero to 0, the sender's
  transfer-acknowledge flag for that channel latches (``CH_INT_ST`` = flag & ``CH_INT_EN``,
  cleared by ``CH_INT_CLR``); ``CHCOMB_INT_ST`` has one bit per channel with ``CH_INT_ST`` set.
  In 2.0 these v2.1-only registers read as zero and ignore writes.
* Receiver ``CHCOMB_INT_ST`` (one bit per channel with an unmasked status) reads in both revisions.
* Outputs carry 0/1 and are emitted only when they change. Connecting a sink does not replay
  the current level: the machine reads :meth:`MhuFrame.levels` after wiring.
* ``reset()`` of either frame resets the whole link (the MHU is one device); ``restore()`` never
  emits (the machine restores interrupt controller state itself).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional

from .base import AccessHook, Field, Peripheral, Register, bank

MAX_CHANNELS = 124
AIDR_BY_REVISION = {"2.0": 0x10, "2.1": 0x11}   # [7:4] major (1 = v2), [3:0] minor
WINDOW = 0x20                                   # bytes between channel windows

# Identification: Arm (JEP106 0x3B, continuation 4). Plausible values, not taken from a TRM.
IIDR_VALUE = 0x0760043B                         # product 0x076, variant 0, revision 0, Arm
PID_VALUES = {"PID4": 0x04, "PID5": 0x00, "PID6": 0x00, "PID7": 0x00,
              "PID0": 0x76, "PID1": 0xB0, "PID2": 0x0B, "PID3": 0x00}
CID_VALUES = (0x0D, 0xF0, 0x05, 0xB1)

#: The offsets a driver's send and receive of one word use (channel 0 window, access control).
CH_ST0, CH_CLR0, CH_SET0, ACCESS_REQUEST, ACCESS_READY = 0x000, 0x008, 0x00C, 0xF88, 0xF8C
_MSG_OUTPUTS = tuple(f"msg{ch}" for ch in range(MAX_CHANNELS))

# Per-channel registers: (name, offset inside the channel window, access, doc).
SENDER_CHANNEL_REGS = (
    ("CH_ST", 0x00, "r", "channel status (the word the receiver sees)"),
    ("CH_SET", 0x0C, "w", "OR the written bits into the channel status"),
    ("CH_INT_ST", 0x10, "r", "v2.1: transfer-acknowledge interrupt status"),
    ("CH_INT_CLR", 0x14, "w", "v2.1: write 1 to clear the transfer-acknowledge flag"),
    ("CH_INT_EN", 0x18, "rw", "v2.1: transfer-acknowledge interrupt enable (bit 0)"),
)
RECEIVER_CHANNEL_REGS = (
    ("CH_ST", 0x00, "r", "channel status"),
    ("CH_ST_MSK", 0x04, "r", "channel status & ~mask"),
    ("CH_CLR", 0x08, "w", "write 1s to clear status bits"),
    ("CH_MSK_ST", 0x10, "r", "channel mask"),
    ("CH_MSK_SET", 0x14, "w", "OR the written bits into the mask"),
    ("CH_MSK_CLR", 0x18, "w", "clear the written bits of the mask"),
)


def _sender_int_fields(access: str) -> tuple[Field, ...]:
    """The sender's INT_ST/INT_CLR/INT_EN bits (handlers give them behaviour)."""
    return (Field("NR2R", 0, 1, access, doc="ACCESS_READY rose (latched)"),
            Field("R2NR", 1, 1, access, doc="ACCESS_READY fell (latched)"),
            Field("CHCOMB", 2, 1, access, doc="v2.1: a channel's transfer acknowledge is pending"))


def _id_registers(revision: str) -> tuple[Register, ...]:
    """IIDR, AIDR and the PID/CID block shared by both frames."""
    pids = tuple(Register(n, 0xFD0 + 4 * i if i < 4 else 0xFE0 + 4 * (i - 4), "r", v, "peripheral ID")
                 for i, (n, v) in enumerate(PID_VALUES.items()))
    cids = tuple(Register(f"CID{i}", 0xFF0 + 4 * i, "r", v, "component ID") for i, v in enumerate(CID_VALUES))
    return (Register("IIDR", 0xFC8, "r", IIDR_VALUE, "implementer identification"),
            Register("AIDR", 0xFCC, "r", AIDR_BY_REVISION[revision], "architecture revision"),
            *pids, *cids)


def _channel_registers(spec: tuple[tuple[str, int, str, str], ...], channels: int) -> tuple[Register, ...]:
    """The channel windows: each spec entry banked ``channels`` times, ``WINDOW`` bytes apart."""
    return tuple(r for name, off, acc, doc in spec for r in bank(name, off, channels, WINDOW, acc, 0, doc))


@lru_cache(maxsize=None)      # one map per (channels, revision), shared by the frames built
def sender_registers(channels: int, revision: str) -> tuple[Register, ...]:
    """The full sender ("PBX") register map for a link of ``channels`` channels."""
    return (*_channel_registers(SENDER_CHANNEL_REGS, channels),
            Register("MHU_CFG", 0xF80, "r", channels, "NUM_CH in bits 6:0"),
            Register("RESP_CFG", 0xF84, "rw", 0, "response configuration (storage)"),
            Register("ACCESS_REQUEST", 0xF88, "rw", doc="request the receiver to stay awake",
                     fields=(Field("REQUEST", 0, 1, "rw"),)),
            Register("ACCESS_READY", 0xF8C, "r", doc="1 while ACCESS_REQUEST is 1",
                     fields=(Field("READY", 0, 1, "r"),)),
            Register("INT_ST", 0xF90, "r", doc="sender interrupt status", fields=_sender_int_fields("r")),
            Register("INT_CLR", 0xF94, "w", doc="write 1 to clear NR2R/R2NR",
                     fields=_sender_int_fields("w")[:2]),
            Register("INT_EN", 0xF98, "rw", doc="interrupt enables (CHCOMB: v2.1)",
                     fields=_sender_int_fields("rw")),
            *bank("CHCOMB_INT_ST", 0xFA0, 4, 4, "r", 0, "v2.1: channels with CH_INT_ST set"),
            *_id_registers(revision))


@lru_cache(maxsize=None)      # one map per (channels, revision), shared by the frames built
def receiver_registers(channels: int, revision: str) -> tuple[Register, ...]:
    """The full receiver ("MBX") register map for a link of ``channels`` channels."""
    return (*_channel_registers(RECEIVER_CHANNEL_REGS, channels),
            Register("MHU_CFG", 0xF80, "r", channels, "NUM_CH in bits 6:0"),
            Register("INT_ST", 0xF90, "r", doc="receiver interrupt status",
                     fields=(Field("CHCOMB", 2, 1, "r", doc="v2.1: a channel has an unmasked status"),)),
            Register("INT_CLR", 0xF94, "w", 0, "v2.1: nothing latches; writes are ignored"),
            Register("INT_EN", 0xF98, "rw", doc="receiver interrupt enables",
                     fields=(Field("CHCOMB", 2, 1, "rw", doc="v2.1: enables the combined interrupt"),)),
            *bank("CHCOMB_INT_ST", 0xFA0, 4, 4, "r", 0, "channels with an unmasked status"),
            *_id_registers(revision))


class MhuLink:
    """State shared by the two frames of one MHU direction: channel status, masks, access request."""

    def __init__(self, name: str, channels: int = 1, revision: str = "2.0") -> None:
        if isinstance(channels, bool) or not isinstance(channels, int) or not 1 <= channels <= MAX_CHANNELS:
            raise ValueError(f"MHU link '{name}': channels must be an integer 1..{MAX_CHANNELS}, got {channels!r}")
        if revision not in AIDR_BY_REVISION:
            raise ValueError(f"MHU link '{name}': revision must be one of "
                             f"{', '.join(AIDR_BY_REVISION)}, got {revision!r}")
        self.name = name
        self.channels = channels
        self.revision = revision
        self.v21 = revision == "2.1"
        self.sender: Optional[MhuV2Sender] = None
        self.receiver: Optional[MhuV2Receiver] = None
        self.status = [0] * channels
        self.mask = [0] * channels
        self.ack = [0] * channels          # v2.1 transfer-acknowledge flags (sender CH_INT_ST)
        self.access_request = 0

    def attach(self, frame: "MhuFrame") -> None:
        """Join a frame to this link; a link has at most one sender and one receiver."""
        slot = frame.KIND
        current = getattr(self, slot)
        if current is not None and current is not frame:
            raise ValueError(f"MHU link '{self.name}' already has a {slot} ('{current.name}')")
        setattr(self, slot, frame)

    def frames(self) -> tuple["MhuFrame", ...]:
        """The frames attached so far."""
        return tuple(f for f in (self.sender, self.receiver) if f is not None)

    def changed(self) -> None:
        """Tell every attached frame to re-evaluate its output levels."""
        for frame in (self.sender, self.receiver):
            if frame is not None:
                frame.update()

    def sender_changed(self) -> None:
        """Re-evaluate the sender's lines only: what changed (the access request, an ack flag)
        is not an input of the receiver's (status, mask, receiver INT_EN)."""
        if self.sender is not None:
            self.sender.update()

    def receiver_changed(self) -> None:
        """Re-evaluate the receiver's lines only: a status or mask change that latched no ack
        is not an input of the sender's (INT_ST, INT_EN, ack flags)."""
        if self.receiver is not None:
            self.receiver.update()

    # -- operations used by the frames -------------------------------------------------------
    def set_bits(self, ch: int, bits: int) -> None:
        """Sender CH_SET: OR bits into the channel status."""
        new = self.status[ch] | bits
        if new != self.status[ch]:
            self.status[ch] = new
            self.receiver_changed()

    def clear_bits(self, ch: int, bits: int) -> None:
        """Receiver CH_CLR: clear bits; in 2.1 a nonzero-to-zero change latches the sender ack."""
        old = self.status[ch]
        new = old & ~bits & 0xFFFFFFFF
        if new != old:
            self.status[ch] = new
            if self.v21 and new == 0:
                self.ack[ch] = 1
                self.changed()
            else:
                self.receiver_changed()

    def set_mask(self, ch: int, value: int) -> None:
        """Replace a receiver channel mask."""
        if value != self.mask[ch]:
            self.mask[ch] = value & 0xFFFFFFFF
            self.receiver_changed()

    def clear_ack(self, ch: int) -> None:
        """Sender CH_INT_CLR: drop the transfer-acknowledge flag."""
        if self.ack[ch]:
            self.ack[ch] = 0
            self.sender_changed()

    def set_access_request(self, value: int) -> None:
        """Sender ACCESS_REQUEST (bit 0)."""
        if value != self.access_request:
            self.access_request = value
            self.sender_changed()

    # -- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Return the shared state to its reset values (without emitting)."""
        self.status = [0] * self.channels
        self.mask = [0] * self.channels
        self.ack = [0] * self.channels
        self.access_request = 0

    def snapshot(self) -> dict[str, Any]:
        """Copy of the shared state."""
        return {"status": list(self.status), "mask": list(self.mask), "ack": list(self.ack),
                "access_request": self.access_request}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back a :meth:`snapshot`; does not notify the frames."""
        for key in ("status", "mask", "ack"):
            if len(state[key]) != self.channels:
                raise ValueError(f"MHU link '{self.name}': snapshot has {len(state[key])} channels, "
                                 f"link has {self.channels}")
        self.status = list(state["status"])
        self.mask = list(state["mask"])
        self.ack = list(state["ack"])
        self.access_request = state["access_request"]


class MhuFrame(Peripheral):
    """Common part of the two frames: per-instance register map, access hook, outputs.

    Channel registers are banks (``CH_ST0``, ``CH_ST1``...) with one handler per bank taking
    the channel: ``read_CH_ST(ch)``; the bus path is the base class's."""

    KIND = ""                                                   # "sender" or "receiver"

    def __init__(self, name: str, link: MhuLink) -> None:
        self.link = link
        # The map depends on the link's channel count and revision: set it before the base init.
        self.REGISTERS = self.registers_for(link.channels, link.revision)
        self.OUTPUTS = self.outputs_for(link.channels)
        self._levels = {o: 0 for o in self.OUTPUTS}
        super().__init__(name)
        link.attach(self)

    @staticmethod
    def registers_for(channels: int, revision: str) -> tuple[Register, ...]:
        """The register map of this frame type."""
        raise NotImplementedError

    @staticmethod
    def outputs_for(channels: int) -> tuple[str, ...]:
        """The output names of this frame type."""
        raise NotImplementedError

    @property
    def on_access(self) -> Optional[AccessHook]:
        """Called as ``(kind, frame name, register name, value)`` on every bus access (the
        machine records these in the event trace); None for no reporting."""
        return self._access_hook

    @on_access.setter
    def on_access(self, hook: Optional[AccessHook]) -> None:
        self._access_hook = hook

    # -- registers both frame types have --------------------------------------------------------
    def read_CH_ST(self, ch: int) -> int:
        return self.link.status[ch]

    def read_CHCOMB_INT_ST(self, word: int) -> int:
        return self._chcomb()[word]

    def _chcomb(self) -> list[int]:
        """CHCOMB_INT_ST0..3: which channels have an interrupt pending (per frame type)."""
        raise NotImplementedError

    # -- outputs -----------------------------------------------------------------------------
    def compute_levels(self) -> dict[str, int]:
        """Levels implied by the current state (outputs that can never rise may be left out)."""
        raise NotImplementedError

    def levels(self) -> dict[str, int]:
        """Current level (0/1) of every output, for the machine to read after wiring."""
        levels = dict.fromkeys(self.OUTPUTS, 0)
        levels.update(self.compute_levels())
        return levels

    def update(self) -> None:
        """Emit every output whose level differs from the last one emitted."""
        last = self._levels
        for output, level in self.compute_levels().items():
            if last[output] != level:
                last[output] = level
                self.emit(output, level)

    # -- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Reset this frame and the whole link, emitting any output that changes."""
        super().reset()
        self.link.reset()
        self.link.changed()
        self.update()          # not yet attached during construction

    def snapshot(self) -> dict[str, Any]:
        """Frame registers, emitted levels and the link state."""
        return {"regs": dict(self.regs), "levels": dict(self._levels), "link": self.link.snapshot()}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back a :meth:`snapshot` (frame and link) without emitting."""
        self.regs = dict(state["regs"])
        self._levels = dict(state["levels"])
        self.link.restore(state["link"])


class MhuV2Sender(MhuFrame):
    """MHUv2 sender frame: rings channels of its link and requests the receiver's attention."""

    TYPE = "mhuv2_sender"
    KIND = "sender"

    registers_for = staticmethod(sender_registers)

    @staticmethod
    def outputs_for(channels: int) -> tuple[str, ...]:
        """NR2R and R2NR lines, plus the v2.1 combined channel (transfer-acknowledge) line."""
        return ("nr2r", "r2nr", "comb")

    def send_word(self, word: int) -> bool:
        """A driver's send of one word: request access and, once ACCESS_READY reads 1, set
        channel 0 and release access. False (access still requested, nothing set) when
        ACCESS_READY reads 0; the caller decides what a failed send does.

        One step, reported as one ``send`` access of ``CH_SET0`` (before the word reaches the
        link, so the receiver's line changes follow it in the trace) instead of the four bus
        accesses it stands for; the link ends in the state those accesses leave."""
        self.write_ACCESS_REQUEST(1)
        if not self.read_ACCESS_READY():
            hook = self._access_hook
            if hook is not None:
                hook("send_wait", self.name, "ACCESS_READY", 0)
            return False
        hook = self._access_hook
        if hook is not None:
            hook("send", self.name, "CH_SET0", word & 0xFFFFFFFF)
        self.write_CH_SET(0, word & 0xFFFFFFFF)
        self.write_ACCESS_REQUEST(0)
        return True

    # channel windows
    def write_CH_SET(self, ch: int, value: int) -> None:
        self.link.set_bits(ch, value)

    def read_CH_INT_ST(self, ch: int) -> int:
        return self.link.ack[ch] & self.regs[f"CH_INT_EN{ch}"] & 1 if self.link.v21 else 0

    def write_CH_INT_CLR(self, ch: int, value: int) -> None:
        if self.link.v21 and value & 1:
            self.link.clear_ack(ch)

    def read_CH_INT_EN(self, ch: int) -> int:
        return self.regs[f"CH_INT_EN{ch}"] if self.link.v21 else 0

    def write_CH_INT_EN(self, ch: int, value: int) -> None:
        if self.link.v21:
            self.regs[f"CH_INT_EN{ch}"] = value & 1
            self.update()

    # frame registers
    def read_ACCESS_REQUEST(self) -> int:
        return self.link.access_request

    def write_ACCESS_REQUEST(self, value: int) -> None:
        new = value & 1
        if new != self.link.access_request:
            self.regs["INT_ST"] |= 0b01 if new else 0b10       # NR2R on rise, R2NR on fall
        self.link.set_access_request(new)

    def read_ACCESS_READY(self) -> int:
        return self.link.access_request

    def _chcomb(self) -> list[int]:
        """CHCOMB_INT_ST0..3: one bit per channel whose CH_INT_ST is set (v2.1)."""
        words = [0, 0, 0, 0]
        if self.link.v21:
            for ch in range(self.link.channels):
                if self.read_CH_INT_ST(ch):
                    words[ch >> 5] |= 1 << (ch & 31)
        return words

    def read_INT_ST(self) -> int:
        return self.regs["INT_ST"] | (0b100 if any(self._chcomb()) else 0)

    def write_INT_CLR(self, value: int) -> None:
        self.regs["INT_ST"] &= ~value & 0b11
        self.update()

    def read_INT_EN(self) -> int:
        return self.regs["INT_EN"]

    def write_INT_EN(self, value: int) -> None:
        self.regs["INT_EN"] = value & (0b111 if self.link.v21 else 0b11)
        self.update()

    def update(self) -> None:
        """In 2.0 the sender's lines never rise: nothing to evaluate on the link's changes."""
        if self.link.v21:
            super().update()

    def compute_levels(self) -> dict[str, int]:
        if not self.link.v21:
            return {"nr2r": 0, "r2nr": 0, "comb": 0}
        active = self.read_INT_ST() & self.regs["INT_EN"]
        return {"nr2r": active & 1, "r2nr": (active >> 1) & 1, "comb": (active >> 2) & 1}


class MhuV2Receiver(MhuFrame):
    """MHUv2 receiver frame: reads and clears channels of its link, drives per-channel IRQ lines."""

    TYPE = "mhuv2_receiver"
    KIND = "receiver"

    registers_for = staticmethod(receiver_registers)

    @staticmethod
    def outputs_for(channels: int) -> tuple[str, ...]:
        """A ``msg<n>`` line per possible channel (only the first ``channels`` can rise) and ``comb``."""
        return (*(f"msg{ch}" for ch in range(MAX_CHANNELS)), "comb")

    def take_word(self) -> int:
        """A driver's receive: read channel 0 and, when it holds a word, clear it. One step,
        reported as one ``take`` access of ``CH_ST0`` with the word (a ``read`` of 0 when the
        channel was empty), before the clear's line changes."""
        word = self.link.status[0]
        hook = self._access_hook
        if hook is not None:
            hook("take" if word else "read", self.name, "CH_ST0", word)
        if word:
            self.write_CH_CLR(0, 0xFFFFFFFF)
        return word

    # channel windows
    def read_CH_ST_MSK(self, ch: int) -> int:
        return self.link.status[ch] & ~self.link.mask[ch] & 0xFFFFFFFF

    def write_CH_CLR(self, ch: int, value: int) -> None:
        self.link.clear_bits(ch, value)

    def read_CH_MSK_ST(self, ch: int) -> int:
        return self.link.mask[ch]

    def write_CH_MSK_SET(self, ch: int, value: int) -> None:
        self.link.set_mask(ch, self.link.mask[ch] | value)

    def write_CH_MSK_CLR(self, ch: int, value: int) -> None:
        self.link.set_mask(ch, self.link.mask[ch] & ~value)

    # frame registers
    def _chcomb(self) -> list[int]:
        """CHCOMB_INT_ST0..3: one bit per channel with an unmasked status bit."""
        words = [0, 0, 0, 0]
        for ch, (st, msk) in enumerate(zip(self.link.status, self.link.mask)):
            if st & ~msk:
                words[ch >> 5] |= 1 << (ch & 31)
        return words

    def read_INT_ST(self) -> int:
        return 0b100 if self.link.v21 and any(self._chcomb()) else 0

    def write_INT_CLR(self, value: int) -> None:
        """The combined status is a level from the channels: there is nothing to clear."""

    def read_INT_EN(self) -> int:
        return self.regs["INT_EN"] if self.link.v21 else 0

    def write_INT_EN(self, value: int) -> None:
        if self.link.v21:
            self.regs["INT_EN"] = value & 0b100
            self.update()

    def _line_levels(self) -> list[tuple[str, int]]:
        """(output, level) of the ``channels`` lines that can rise, then ``comb``, in map order."""
        link = self.link
        out: list[tuple[str, int]] = []
        pending = 0
        for name, st, msk in zip(_MSG_OUTPUTS, link.status, link.mask):
            level = 1 if st & ~msk else 0
            out.append((name, level))
            pending |= level
        if link.v21:
            pending &= self.regs["INT_EN"] >> 2
        out.append(("comb", pending))
        return out

    def update(self) -> None:
        """:meth:`MhuFrame.update` without a dict per link change (each MHU access that changes
        state): all levels computed first, then the changed ones emitted in map order."""
        last = self._levels
        changed = [(name, level) for name, level in self._line_levels() if last[name] != level]
        for name, level in changed:
            last[name] = level
            self.emit(name, level)

    def compute_levels(self) -> dict[str, int]:
        """The levels as a dict (:meth:`levels`, snapshots); :meth:`update` is the hot path."""
        return dict(self._line_levels())
