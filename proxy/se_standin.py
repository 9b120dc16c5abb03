"""A scripted Secure Enclave: answers the Host's mailbox from Python, to test Host images alone.

:class:`SeStandin` replaces the SE firmware (the SE core gets no image). Installed as a machine
agent (``Machine.agents``, called between slices), it plays the SE's side of everything that
crosses the SE<->Host boundary, through the same MHU models and shared memory the SE firmware
uses, and in the SE's view of the addresses:

* the Musca-B1 boot handshake (docs/proxy.md; TF-M v1.3.0 sse_200/bl0/bl0_main.c:73-89) once the SE is released (the SCC's ``az_ctrl``
  for the SE, as the firmware boots when released): send the Host boot vector, wait for
  ``IPC_SYNC_MAGIC``, send ``NS_MAILBOX_INIT_ENABLE`` (0xAE), read the queue address, send
  ``S_MAILBOX_READY`` (0xC3);
* then, per ``PSA_CLIENT_CALL_REQ_MAGIC`` doorbell, every pending slot of the queue: the message
  is copied, its pend bit cleared, the call validated as the SE firmware's SPM does (iovec
  counts, connection, NS memory of the arrays and buffers, overlapping inputs: all
  ``PSA_ERROR_PROGRAMMER_ERROR``), the handler registered for the SID called, outputs and every
  ``out_vec[i].len`` (``out_size[i] != 0``) written back, then ``return_val``, the
  ``replied_slots`` bit and the ``PSA_CLIENT_CALL_REPLY_MAGIC`` doorbell — in that order, as
  ``images/se/mailbox.c`` and ``spm.c`` do.

Defaults: framework version 0x0101; ``psa_version`` gives a registered service's version (0
otherwise); CONNECT to a registered SID returns a handle (16 connections, handle = seq * 16 +
slot as the SE firmware), to anything else ``PSA_ERROR_CONNECTION_REFUSED``; CLOSE frees it.
Replies take no virtual time.

Stateless handles (TF-M v1.4+): the stand-in speaks the release profile of the proxy system it
is given (``ReleaseAbi``; ``abi=`` overrides it, tfm-1.3 without a system). A CALL on one of the
release's stateless handles reaches, without a connection, the handler registered on the v1.3
SID whose function that (handle, type) is (``ReleaseAbi.route``: crypto 0x80 with type 0 from
``tfm-1.4``; ITS 0x70.., PS 0x60.., attestation 0x20.. with types 1001.. from ``tfm-1.5``); a
type no handler serves is ``PSA_ERROR_PROGRAMMER_ERROR``, as the SE firmware answers.

Handlers: ``fn(call_type, handle, type, inputs, output_sizes) -> (status, outputs)`` (``status``
alone, or None for ``(PSA_SUCCESS, [])``). They get CALL messages; with ``connect_close=True``
also CONNECT (type ``PSA_IPC_CONNECT``) and CLOSE (``PSA_IPC_DISCONNECT``), where None keeps
the default and a status other than ``PSA_SUCCESS`` refuses the connection. :class:`StorageService`
serves ITS or PS from a Python dict.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Optional, Union

from psaemu.peripherals.mhuv2 import ACCESS_REQUEST
from psaemu.platform.errors import ConfigError, PsaEmuError
from psaemu.platform.system.machine import Machine
from psaemu.proxy.abi import DEFAULT_RELEASE, RELEASE_ABIS, ReleaseAbi
from psaemu.proxy.layout import shared_layout
from psaemu.proxy.mailbox_abi import (
    IPC_SYNC_MAGIC,
    MAILBOX_PSA_CALL,
    MAILBOX_PSA_CLOSE,
    MAILBOX_PSA_CONNECT,
    MAILBOX_PSA_FRAMEWORK_VERSION,
    MAILBOX_PSA_VERSION,
    NS_MAILBOX_INIT_ENABLE,
    PSA_CLIENT_CALL_REPLY_MAGIC,
    PSA_CLIENT_CALL_REQ_MAGIC,
    S_MAILBOX_READY,
)
from psaemu.proxy.services import (
    ITS_MAX_ASSET_SIZE,
    ITS_NUM_ASSETS,
    PS_MAX_ASSET_SIZE,
    PS_NUM_ASSETS,
    PSA_STORAGE_FLAG_WRITE_ONCE,
    TFM_CONN_HANDLE_MAX_NUM,
    service_by_name,
)
from psaemu.proxy.status import (
    PSA_FRAMEWORK_VERSION,
    PSA_IPC_CONNECT,
    PSA_IPC_DISCONNECT,
    PSA_MAX_IOVEC,
    PSA_VERSION_NONE,
    PsaStatus,
    to_int32,
)
from psaemu.proxy.structs import MailboxMsg, inputs_overlap, iovec_counts_ok, iovec_pairs

__all__ = ["SeStandin", "StandinMessage", "StandinHandlerError", "StorageService", "Handler"]

#: Messages the stand-in keeps in ``messages`` (older ones are counted in ``messages_dropped``).
STANDIN_MESSAGES_KEEP = 10_000
#: Host boot vector the SE firmware sends when nobody configured it (platform_config.h)
SE_DEFAULT_HOST_BOOT_VECTOR = 0x1A260400
_U32 = struct.Struct("<I")

HandlerResult = Union[None, int, tuple[int, Iterable[bytes]]]
Handler = Callable[[int, int, int, list[bytes], list[int]], HandlerResult]


class StandinHandlerError(PsaEmuError):
    """A stand-in handler returned something the SE could not send (an output larger than the
    caller's buffer, too many outputs, not bytes)."""


@dataclass
class _Service:
    sid: int
    fn: Handler
    version: int
    ns_allowed: bool
    connect_close: bool


@dataclass
class _Conn:
    handle: int
    service: _Service
    error: bool = False


@dataclass
class StandinMessage:
    """One mailbox message the stand-in answered (``SeStandin.messages``)."""

    call_type: int
    status: int
    sid: int | None = None
    handle: int | None = None
    type: int | None = None
    in_sizes: list[int] = field(default_factory=list)
    out_sizes: list[int] = field(default_factory=list)
    written: list[int] = field(default_factory=list)


class SeStandin:
    """The SE side of the mailbox in Python (see the module docstring)."""

    OFF, WAIT_SYNC, WAIT_QUEUE, READY = "off", "wait_sync", "wait_queue", "ready"

    def __init__(self, machine: Machine, system: Any = None, *, se: str = "se", host: str = "host",
                 boot: str = "release", host_boot_vector: int | None = None, console: bool = True,
                 n_slots: int = 1, abi: ReleaseAbi | None = None) -> None:
        if se not in machine.cores:
            raise ConfigError(f"the SE stand-in needs a core {se!r}; board {machine.board.name!r} has "
                              f"{', '.join(machine.cores)}")
        if machine.cores[se].image is not None:
            raise ConfigError(f"core {se!r} has firmware loaded ({machine.cores[se].image.path}); the SE stand-in "
                              f"replaces the SE firmware, so load no image on it")
        if boot not in ("release", "now"):
            raise ValueError(f"boot={boot!r}: 'release' (when the Host releases the SE) or 'now'")
        self.machine = machine
        self.system = system
        self.se = machine.cores[se]
        self.host_name = host
        self.boot = boot
        self.console = console
        if abi is None:
            proxy = getattr(system, "proxy", None)
            abi = proxy.profile.abi if proxy is not None else RELEASE_ABIS[DEFAULT_RELEASE]
        self.abi = abi
        self.layout = shared_layout(n_slots)
        self.n_slots = n_slots
        need = "the SE stand-in needs the SE's MHUv2 frames"
        self.receiver = machine.require_peripheral("mhuv2_receiver", se, need)
        self.sender = machine.require_peripheral("mhuv2_sender", se, need)
        self.scc = next((machine.peripherals[p.name] for p in machine.board.peripherals
                         if p.type == "musca_b1_scc" and p.params.get("controls") == se), None)
        if host_boot_vector is None:
            image = machine.cores[host].image if host in machine.cores else None
            host_boot_vector = image.vector_table if image is not None and image.vector_table is not None \
                else SE_DEFAULT_HOST_BOOT_VECTOR
        self.host_boot_vector = host_boot_vector
        self.services: dict[int, _Service] = {}
        self.state = self.OFF
        self.queue: int | None = None                 # SE address of the Host's queue
        self.ns_data: tuple[int, int] | None = None   # (SE base, size) the callers' memory must be in
        self.conns: list[_Conn | None] = [None] * TFM_CONN_HANDLE_MAX_NUM
        self._conn_seq = 0
        self.messages: list[StandinMessage] = []        # the last STANDIN_MESSAGES_KEEP or more
        self.messages_dropped = 0
        self.installed = False

    # -- set-up ------------------------------------------------------------------------------
    def service(self, sid: int, fn: Handler, *, version: int = 1, ns_allowed: bool = True,
                connect_close: bool = False) -> "SeStandin":
        """Serve ``sid`` with ``fn`` (replaces an earlier handler for it)."""
        self.services[sid] = _Service(sid, fn, version, ns_allowed, connect_close)
        return self

    def install(self) -> "SeStandin":
        """Become a machine agent (acts between slices from the next run on)."""
        if not self.installed:
            self.machine.agents.append(self.poll)
            self.installed = True
        return self

    def uninstall(self) -> None:
        if self.installed:
            self.machine.agents.remove(self.poll)
            self.installed = False

    def serve_its(self, assets: Mapping[int, Any] | None = None, **kw: Any) -> "StorageService":
        """Serve the four ITS SIDs from a dict (see :class:`StorageService`)."""
        return StorageService("its", assets, **kw).install(self)

    def serve_ps(self, assets: Mapping[int, Any] | None = None, **kw: Any) -> "StorageService":
        """Serve the five PS SIDs from a dict."""
        return StorageService("ps", assets, **kw).install(self)

    # -- the agent ---------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.state == self.READY

    def released(self) -> bool:
        """Is the SE out of reset (the SCC's HRESET_N, or a board that runs it at power-on)?"""
        if self.boot == "now":
            return True
        if self.scc is not None:
            return bool(self.scc.released)
        return self.se.spec.reset == "run"

    def poll(self) -> bool:
        """Machine agent: boot when released, then take one word from the Host->SE channel.
        True when it acted (the machine then lets the Host side answer at once)."""
        if not self.released():
            if self.state != self.OFF:
                self._trace("reset", state=self.state)
                self.state = self.OFF
            return False
        booted = False
        if self.state == self.OFF:
            self._sync_clock()
            self._boot()
            booted = True
        if not self.receiver.link.status[0]:          # peek: no bus access (and no trace) per slice
            return booted
        self._sync_clock()
        word = self.receiver.take_word()          # nonzero: the peek saw it
        if self.state == self.WAIT_SYNC:
            if word == IPC_SYNC_MAGIC:
                self._send(NS_MAILBOX_INIT_ENABLE)
                self.state = self.WAIT_QUEUE
            else:
                self._say(f"unexpected word {word:#010x} (waiting for IPC_SYNC_MAGIC)")
        elif self.state == self.WAIT_QUEUE:
            self._set_queue(word)
            self._send(S_MAILBOX_READY)
            self.state = self.READY
            self._say(f"mailbox ready queue={word:#010x}")
        elif word == PSA_CLIENT_CALL_REQ_MAGIC:
            self._serve()
        else:
            self._say(f"unexpected doorbell {word:#010x}")
        return True

    def _sync_clock(self) -> None:
        """The SE core never runs: keep its clock at machine time so the events (MHU accesses,
        stand-in steps) recorded on it are stamped when they happen."""
        se = self.se
        now = self.machine.now_ps * se.clock_hz // 10**12
        if now > se.cycles:
            se.cycles = now

    def _boot(self) -> None:
        self.conns = [None] * TFM_CONN_HANDLE_MAX_NUM
        self.queue = None
        self._trace("boot")
        self._say("boot (Python stand-in)")
        self._send(self.host_boot_vector)
        self.state = self.WAIT_SYNC

    def _set_queue(self, addr: int) -> None:
        self.queue = addr
        if self.system is not None:
            p = self.system.placement
            self.ns_data = (p.se_base, p.region_size)
        else:
            m = self.machine.memory.maps[self.se.name].find(addr)
            self.ns_data = (m.base, m.size) if m is not None and m.store is not None else (addr, 0)
        if addr & 3 or not self._ns_ok(addr, self.layout.in_vec):
            self._say(f"queue pointer {addr:#010x} is not a 4-aligned address in NS data memory; requests will "
                      f"not be served")

    # -- MHU and memory, as the SE firmware uses them ---------------------------------------
    def _send(self, word: int) -> None:
        """mhu_send: request access, wait ready, set channel 0, release."""
        if not self.sender.send_word(word):
            self.sender.write(ACCESS_REQUEST, 4, 0)
            self._say(f"mhu send timeout word={word:#010x}")

    def _ns_ok(self, addr: int, size: int) -> bool:
        if size == 0:
            return True
        base, length = self.ns_data or (0, 0)
        return base <= addr and addr + size <= base + length

    def _read(self, addr: int, size: int) -> bytes:
        return self.se.mem_read(addr, size)

    def _write(self, addr: int, data: bytes) -> None:
        self.se.mem_write(addr, bytes(data))

    def _word(self, offset: int) -> int:
        return _U32.unpack(self._read(self.queue + offset, 4))[0]

    def _set_word(self, offset: int, value: int) -> None:
        self._write(self.queue + offset, _U32.pack(value & 0xFFFFFFFF))

    def _say(self, text: str) -> None:
        if self.console:
            self.machine.console.write(self.se.name, f"se-standin: {text}\n".encode())

    def _trace(self, what: str, **data: Any) -> None:
        self.machine.events.record(self.se, "se_standin", what=what, **data)

    # -- the secure mailbox ------------------------------------------------------------------
    def _serve(self) -> None:
        if self.queue is None or self.queue & 3 or not self._ns_ok(self.queue, self.layout.in_vec):
            self._say(f"request ignored: queue {self.queue or 0:#010x} is not a 4-aligned address in NS data memory")
            return
        lay = self.layout
        pend = self._word(lay.pend_slots)
        if pend & ~((1 << self.n_slots) - 1):
            self._say(f"bad pend_slots {pend:#010x}")
        served = False
        for idx in range(self.n_slots):
            bit = 1 << idx
            if not pend & bit:
                continue
            served = True
            slot = lay.slot(idx)
            msg = MailboxMsg.unpack(self._read(self.queue + slot.msg, MailboxMsg.SIZE))
            self._set_word(lay.pend_slots, self._word(lay.pend_slots) & ~bit)
            value = self._dispatch(msg)
            self._set_word(slot.reply_return_val, value)                   # return_val,
            self._set_word(lay.replied_slots, self._word(lay.replied_slots) | bit)   # then the bit,
            self._send(PSA_CLIENT_CALL_REPLY_MAGIC)                         # then the doorbell
        if not served:
            self._say("doorbell without a pending slot")

    def _dispatch(self, msg: MailboxMsg) -> int:
        ct = msg.call_type
        p: Any = msg.params_view()                  # the params member call_type selects
        if ct == MAILBOX_PSA_FRAMEWORK_VERSION:
            status = PSA_FRAMEWORK_VERSION
            rec = StandinMessage(ct, status)
        elif ct == MAILBOX_PSA_VERSION:
            svc = self.services.get(p.sid)
            status = svc.version if svc is not None and svc.ns_allowed else PSA_VERSION_NONE
            rec = StandinMessage(ct, status, sid=p.sid)
        elif ct == MAILBOX_PSA_CONNECT:
            status = self._connect(p.sid, p.version)
            rec = StandinMessage(ct, status, sid=p.sid, handle=status if status > 0 else None)
        elif ct == MAILBOX_PSA_CALL:
            rec = self._call(p.handle, p.type, p.in_vec, p.in_len, p.out_vec, p.out_len)
            status = rec.status
        elif ct == MAILBOX_PSA_CLOSE:
            status = self._close(p.handle)
            rec = StandinMessage(ct, status, handle=p.handle)
        else:
            self._say(f"bad call_type {ct}")
            status = PsaStatus.PSA_ERROR_NOT_SUPPORTED
            rec = StandinMessage(ct, status)
        rec.call_type, rec.status = int(ct), to_int32(int(status) & 0xFFFFFFFF)
        messages = self.messages
        messages.append(rec)
        if len(messages) >= 2 * STANDIN_MESSAGES_KEEP:          # a long run keeps the last ones
            self.messages_dropped += len(messages) - STANDIN_MESSAGES_KEEP
            del messages[:-STANDIN_MESSAGES_KEEP]
        self._trace("reply", call_type=ct, status=rec.status)
        return int(status)

    def _find(self, handle: int) -> _Conn | None:
        if handle <= 0:
            return None
        c = self.conns[handle % TFM_CONN_HANDLE_MAX_NUM]
        return c if c is not None and c.handle == handle else None

    def _connect(self, sid: int, version: int) -> int:
        svc = self.services.get(sid)
        if svc is None or not svc.ns_allowed or version != svc.version:
            return PsaStatus.PSA_ERROR_CONNECTION_REFUSED
        if None not in self.conns:
            return PsaStatus.PSA_ERROR_CONNECTION_BUSY
        i = self.conns.index(None)
        self._conn_seq = (self._conn_seq + 1) & 0x03FFFFFF or 1
        handle = (self._conn_seq << 4) | i
        self.conns[i] = _Conn(handle, svc)
        if svc.connect_close:
            status, _ = self._result(svc.fn(MAILBOX_PSA_CONNECT, handle, PSA_IPC_CONNECT, [], []), [], "CONNECT")
            if status != PsaStatus.PSA_SUCCESS:
                self.conns[i] = None
                return status
        return handle

    def _close(self, handle: int) -> int:
        c = self._find(handle)
        if c is not None:
            if c.service.connect_close:
                self._result(c.service.fn(MAILBOX_PSA_CLOSE, handle, PSA_IPC_DISCONNECT, [], []), [], "CLOSE")
            self.conns[handle % TFM_CONN_HANDLE_MAX_NUM] = None
        return PsaStatus.PSA_SUCCESS

    def _call(self, handle: int, ptype: int, in_vec: int, in_len: int, out_vec: int, out_len: int
              ) -> StandinMessage:
        rec = StandinMessage(MAILBOX_PSA_CALL, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, handle=handle, type=ptype)
        if ptype < 0 or not iovec_counts_ok(in_len, out_len):
            return rec
        c = self._find(handle)
        svc = c.service if c is not None else self._stateless_service(handle, ptype)
        if svc is None or (c is not None and c.error):
            return rec
        rec.sid = svc.sid
        if not self._ns_ok(in_vec, 8 * in_len) or not self._ns_ok(out_vec, 8 * out_len):
            return rec
        raw_in, raw_out = self._read(in_vec, 8 * in_len), self._read(out_vec, 8 * out_len)   # copied once
        ins, outs = iovec_pairs(raw_in, in_len), iovec_pairs(raw_out, out_len)
        if not all(self._ns_ok(b, n) for b, n in ins) or inputs_overlap(ins):
            return rec
        if not all(self._ns_ok(b, n) for b, n in outs):
            return rec
        rec.in_sizes = [n for _, n in ins]
        rec.out_sizes = [n for _, n in outs]
        inputs = [self._read(b, n) for b, n in ins]
        status, outputs = self._result(svc.fn(MAILBOX_PSA_CALL, handle, ptype, inputs, list(rec.out_sizes)),
                                       rec.out_sizes, f"CALL on SID {svc.sid:#x}")
        written = [0] * out_len
        for i, data in enumerate(outputs):
            self._write(outs[i][0], data)
            written[i] = len(data)
        if status == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR and c is not None:
            c.error = True
        for i in range(out_len):                          # the bytes written, into the caller's out_vec[i].len
            if outs[i][1]:
                self._write(out_vec + 8 * i + 4, _U32.pack(written[i]))
        rec.status, rec.written = status, written
        return rec

    def _stateless_service(self, handle: int, ptype: int) -> _Service | None:
        """The registered service a call on the release's stateless ``handle`` with ``ptype`` reaches
        (the v1.3 SID whose function it is), or None."""
        if self.abi.stateless_sid(handle) is None:
            return None
        want = (handle & 0xFFFFFFFF, ptype)
        return next((svc for sid, svc in self.services.items() if svc.ns_allowed and self.abi.route(sid) == want),
                    None)

    @staticmethod
    def _result(value: HandlerResult, out_sizes: list[int], what: str) -> tuple[int, list[bytes]]:
        if value is None:
            return PsaStatus.PSA_SUCCESS, []
        if isinstance(value, int):
            return int(value), []
        try:
            status, outputs = value
            outputs = [bytes(o) for o in (outputs or [])]
        except (TypeError, ValueError):
            raise StandinHandlerError(f"the stand-in handler for {what} returned {value!r}; expected (status, "
                                      f"[bytes...]), a status or None") from None
        if len(outputs) > len(out_sizes):
            raise StandinHandlerError(f"the stand-in handler for {what} returned {len(outputs)} outputs; the caller "
                                      f"gave {len(out_sizes)} out_vec(s)")
        for i, (o, size) in enumerate(zip(outputs, out_sizes)):
            if len(o) > size:
                raise StandinHandlerError(f"the stand-in handler for {what} returned {len(o)} bytes for out_vec[{i}], "
                                          f"which holds {size} (the SE's psa_write would overflow)")
        return int(status), outputs


# --------------------------------------------------------------------------------------------
class StorageService:
    """ITS or PS served from a dict ``uid -> bytes`` (or ``(bytes, flags)``), with the SE
    firmware's wire format and checks (``images/se/storage_service.c``).
    ``assets`` stays live: the test can read what the Host stored, or change it."""

    def __init__(self, kind: str = "its", assets: Mapping[int, Any] | None = None, *,
                 max_asset_size: int | None = None, num_assets: int | None = None) -> None:
        if kind not in ("its", "ps"):
            raise ValueError(f"kind={kind!r}: 'its' or 'ps'")
        self.kind = kind
        self.max_asset_size = max_asset_size or (ITS_MAX_ASSET_SIZE if kind == "its" else PS_MAX_ASSET_SIZE)
        self.num_assets = num_assets or (ITS_NUM_ASSETS if kind == "its" else PS_NUM_ASSETS)
        self.assets: dict[int, tuple[bytes, int]] = {}
        for uid, value in (assets or {}).items():
            data, flags = (value, 0) if isinstance(value, (bytes, bytearray)) else value
            self.assets[uid] = (bytes(data), flags)

    def install(self, standin: SeStandin) -> "StorageService":
        prefix = "TFM_ITS_" if self.kind == "its" else "TFM_PS_"
        ops = {"SET": self.set, "GET": self.get, "GET_INFO": self.get_info, "REMOVE": self.remove}
        if self.kind == "ps":
            ops["GET_SUPPORT"] = self.get_support
        for name, fn in ops.items():
            standin.service(service_by_name(prefix + name).sid, fn)
        return self

    def data(self, uid: int) -> Optional[bytes]:
        """The stored bytes of ``uid`` (None if absent)."""
        return self.assets[uid][0] if uid in self.assets else None

    @staticmethod
    def _sizes(inputs: list[bytes]) -> list[int]:
        return [len(b) for b in inputs] + [0] * (PSA_MAX_IOVEC - len(inputs))

    def set(self, call_type: int, handle: int, ptype: int, inputs: list[bytes], out_sizes: list[int]) -> int:
        size = self._sizes(inputs)
        if size[0] != 8 or size[2] != 4:
            return PsaStatus.PSA_ERROR_PROGRAMMER_ERROR
        uid = struct.unpack("<Q", inputs[0])[0]
        flags = struct.unpack("<I", inputs[2])[0]
        data = inputs[1]
        if uid == 0:
            return PsaStatus.PSA_ERROR_INVALID_ARGUMENT
        if flags & ~0x7:
            return PsaStatus.PSA_ERROR_NOT_SUPPORTED
        if self.kind == "ps" and len(data) > self.max_asset_size:
            return PsaStatus.PSA_ERROR_INVALID_ARGUMENT
        old = self.assets.get(uid)
        if old is not None and old[1] & PSA_STORAGE_FLAG_WRITE_ONCE:
            return PsaStatus.PSA_ERROR_NOT_PERMITTED
        if len(data) > self.max_asset_size:
            return PsaStatus.PSA_ERROR_INVALID_ARGUMENT
        if old is None and len(self.assets) >= self.num_assets:
            return PsaStatus.PSA_ERROR_INSUFFICIENT_STORAGE
        self.assets[uid] = (bytes(data), flags & 0xFFFF)
        return PsaStatus.PSA_SUCCESS

    def _lookup(self, inputs: list[bytes]) -> tuple[int, Optional[tuple[bytes, int]]]:
        uid = struct.unpack("<Q", inputs[0])[0]
        if uid == 0:
            return PsaStatus.PSA_ERROR_INVALID_ARGUMENT, None
        if uid not in self.assets:
            return PsaStatus.PSA_ERROR_DOES_NOT_EXIST, None
        return PsaStatus.PSA_SUCCESS, self.assets[uid]

    def get(self, call_type: int, handle: int, ptype: int, inputs: list[bytes], out_sizes: list[int]) -> Any:
        size = self._sizes(inputs)
        if size[0] != 8 or size[1] != 4:
            return PsaStatus.PSA_ERROR_PROGRAMMER_ERROR
        offset = struct.unpack("<I", inputs[1])[0]
        status, asset = self._lookup(inputs)
        if asset is None:
            return status
        data = asset[0]
        if offset > len(data):
            return PsaStatus.PSA_ERROR_INVALID_ARGUMENT
        room = out_sizes[0] if out_sizes else 0
        return PsaStatus.PSA_SUCCESS, [data[offset:offset + room]]

    def get_info(self, call_type: int, handle: int, ptype: int, inputs: list[bytes], out_sizes: list[int]) -> Any:
        if self._sizes(inputs)[0] != 8 or not out_sizes or out_sizes[0] != 12:
            return PsaStatus.PSA_ERROR_PROGRAMMER_ERROR
        status, asset = self._lookup(inputs)
        if asset is None:
            return status
        return PsaStatus.PSA_SUCCESS, [struct.pack("<III", len(asset[0]), len(asset[0]), asset[1] & 0xFFFF)]

    def remove(self, call_type: int, handle: int, ptype: int, inputs: list[bytes], out_sizes: list[int]) -> int:
        if self._sizes(inputs)[0] != 8:
            return PsaStatus.PSA_ERROR_PROGRAMMER_ERROR
        status, asset = self._lookup(inputs)
        if asset is None:
            return status
        if asset[1] & PSA_STORAGE_FLAG_WRITE_ONCE:
            return PsaStatus.PSA_ERROR_NOT_PERMITTED
        del self.assets[struct.unpack("<Q", inputs[0])[0]]
        return PsaStatus.PSA_SUCCESS

    def get_support(self, call_type: int, handle: int, ptype: int, inputs: list[bytes], out_sizes: list[int]) -> Any:
        if not out_sizes or out_sizes[0] != 4:
            return PsaStatus.PSA_ERROR_PROGRAMMER_ERROR
        return PsaStatus.PSA_SUCCESS, [struct.pack("<I", 0)]
