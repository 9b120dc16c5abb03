"""The PSA Proxy partition (TF-M v1.3 ``psa_proxy.c`` + the NS mailbox library it links).

It lays requests out in the shared memory exactly as ``psa_proxy_shared_mem_mngr.c`` does,
rings the Host->SE MHU through the MHU model, waits for the SE's ``replied_slots`` bit and
writes results back. Long operations are generators that yield "wait until" conditions; the
Host SPM model drives them so the calling Host context blocks while the SE runs.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable, Generator

from psaemu.platform.core import Core
from psaemu.platform.errors import ProtocolError
from psaemu.platform.machine import Machine
from psaemu.proxy.config import Placement
from psaemu.proxy.mailbox import (IPC_SYNC_MAGIC, MAILBOX_PSA_CALL, MAILBOX_PSA_CLOSE, MAILBOX_PSA_CONNECT,
                                  NON_SECURE_CLIENT_ID, NS_MAILBOX_INIT_ENABLE, PSA_CLIENT_CALL_REQ_MAGIC,
                                  S_MAILBOX_READY)
from psaemu.proxy.monitor import IoVec, IpcMonitor, IpcRecord
from psaemu.proxy.services import SE_CONN_MAX_NUM
from psaemu.proxy.status import PsaStatus, to_int32
from psaemu.proxy.layout import shared_layout

Wait = Callable[[], bool]
Op = Generator[Wait, None, object]
_U32 = struct.Struct("<I")
_TABLES = struct.Struct("<16I")          # in_vec[4] and out_vec[4]: {base, len} pairs, adjacent


@dataclass
class Vec:
    """A caller's IOVEC: Host address and length."""

    base: int
    len: int


class Handshake:
    """The Host side of the Musca-B1 boot handshake (tfm-facts §5.5 steps 6-13), through the MHU models."""

    WAIT_BOOT_VECTOR, WAIT_INIT_ENABLE, WAIT_READY, READY = "wait_boot_vector", "wait_init_enable", "wait_ready", "ready"

    def __init__(self, proxy: "Proxy") -> None:
        self.proxy = proxy
        self.state = self.WAIT_BOOT_VECTOR
        self.boot_vector: int | None = None
        #: READY at an earlier delivery than this one: the proxy's init has returned, the Host SPM
        #: starts the PSA calls made before (between the two, a snapshot can be taken).
        self.settled = False

    def poll(self) -> bool:
        """Consume one word from the SE->Host channel if there is one and answer it (True if so)."""
        if self.state == self.READY:
            self.settled = True
            return False
        p = self.proxy
        word = p.receiver.take_word()
        if not word:
            return False
        p.host.nvic.clear_pending(p.reply_irq)
        p.log_handshake("se->host", word)
        if self.state == self.WAIT_BOOT_VECTOR:
            self.boot_vector = word
            p.send(IPC_SYNC_MAGIC)
            self.state = self.WAIT_INIT_ENABLE
        elif self.state == self.WAIT_INIT_ENABLE and word == NS_MAILBOX_INIT_ENABLE:
            p.send(p.placement.to_se(p.placement.host_base))
            self.state = self.WAIT_READY
        elif self.state == self.WAIT_READY and word == S_MAILBOX_READY:
            self.state = self.READY
            p.machine.events.record(p.host, "proxy_ready", queue=p.placement.se_base)
        else:
            p.machine.events.record(p.host, "proxy_unexpected", state=self.state, value=word)
        return True


class Proxy:
    """The proxy partition: forward-handle pool, shared-memory packing, blocking mailbox calls."""

    def __init__(self, machine: Machine, placement: Placement, host: str = "host", se: str = "se",
                 monitor: IpcMonitor | None = None, n_slots: int = 1) -> None:
        self.machine = machine
        self.placement = placement
        self.host: Core = machine.cores[host]
        self.se_name = se
        self.monitor = monitor or IpcMonitor()
        self.n_slots = n_slots
        self.layout = shared_layout(n_slots)
        need = "the proxy needs an MHUv2 pair between the Host and the SE"
        self.sender = machine.require_peripheral("mhuv2_sender", host, need, ProtocolError)
        self.receiver = machine.require_peripheral("mhuv2_receiver", host, need, ProtocolError)
        spec = next(s for s in machine.board.peripherals if s.name == self.receiver.name)
        self.reply_irq = 16 + spec.params["irqs"].get("comb", spec.params["irqs"].get("msg0", 0))
        self.pool: list[int | None] = [None] * SE_CONN_MAX_NUM      # SE handles, one per Host connection
        #: PSAEMU_CHECK_WRITEBACK: refuse (PSA_ERROR_COMMUNICATION_FAILURE) a reply whose out_vec
        #: bases are not the ones the proxy reserved, instead of copying from there as TF-M v1.3 does.
        self.check_writeback = False
        self.handshake = Handshake(self)
        self._bind_memory()
        self.reset_shared_memory()

    # -- memory helpers -------------------------------------------------------------------
    def _bind_memory(self) -> None:
        """Access the shared region through the Host store's mmap: the same bytes both cores map
        (``mem_map_ptr``), at a fraction of a Unicorn call. No translated code is invalidated, which
        is right because no core executes from the shared region. Caller buffers elsewhere in the
        Host's memory go through the core's raw Unicorn accessors."""
        p = self.placement
        self._fast = self.host.fast
        self._shm_lo, self._shm_hi = p.host_base, p.host_base + p.region_size
        m = self.machine.memory.maps[self.host.name].find(p.host_base, p.region_size)
        if m is not None and m.store is not None:
            self._shm = m.store.buf
            self._shm_base = m.offset + p.host_base - m.base       # store offset of host_base
        else:                                                      # not store-backed: use Unicorn
            self._shm = None
            self._shm_base = 0

    def _read(self, addr: int, size: int) -> bytes:
        if not size:
            return b""
        if self._shm is not None and self._shm_lo <= addr and addr + size <= self._shm_hi:
            off = self._shm_base + addr - self._shm_lo
            return self._shm[off:off + size]
        return self._fast.mem_read(addr, size)

    def _write(self, addr: int, data: bytes) -> None:
        if not data:
            return
        if self._shm is not None and self._shm_lo <= addr and addr + len(data) <= self._shm_hi:
            off = self._shm_base + addr - self._shm_lo
            self._shm[off:off + len(data)] = data
        else:
            self._fast.mem_write(addr, data)

    def _word(self, offset: int) -> int:
        if self._shm is not None:
            return _U32.unpack_from(self._shm, self._shm_base + offset)[0]
        return _U32.unpack(self._read(self.placement.host_base + offset, 4))[0]

    def _set_word(self, offset: int, value: int) -> None:
        if self._shm is not None:
            _U32.pack_into(self._shm, self._shm_base + offset, value & 0xFFFFFFFF)
        else:
            self._write(self.placement.host_base + offset, _U32.pack(value & 0xFFFFFFFF))

    def reset_shared_memory(self) -> None:
        """Boot: zero the whole region (the linker's .zero.table), then tfm_ns_mailbox_init's queue init."""
        self._write(self.placement.host_base, bytes(self.placement.region_size))
        self._set_word(self.layout.empty_slots, (1 << self.n_slots) - 1)

    @property
    def ready(self) -> bool:
        return self.handshake.state == Handshake.READY

    def poll(self) -> bool:
        """Machine agent: advance the boot handshake between slices (True when it acted)."""
        return self.handshake.poll()

    def log_handshake(self, direction: str, word: int) -> None:
        self.monitor.handshake_word(self.machine.now_ps, direction, word)
        self.machine.events.record(self.host, "handshake", direction=direction, value=word)

    def send(self, word: int) -> None:
        """platform_mailbox_send_msg_data: request access, set channel 0, release access."""
        if not self.sender.send_word(word):
            raise ProtocolError("Host->SE MHU never became ready (ACCESS_READY stayed 0)")
        if self.handshake.state != Handshake.READY:
            self.log_handshake("host->se", word)

    # -- the mailbox client (tfm_ns_mailbox_client_call) ----------------------------------
    def mailbox_call(self, call_type: int, params: bytes, record: IpcRecord) -> Op:
        """Fill a slot, notify the SE, wait for the reply; returns the SE's ``return_val``."""
        if not self.ready:
            yield lambda: self.ready
        lay = self.layout
        empty = self._word(lay.empty_slots)
        if not empty:
            return PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE          # MAILBOX_QUEUE_FULL
        idx = (empty & -empty).bit_length() - 1
        self._set_word(lay.empty_slots, empty & ~(1 << idx))
        slot = lay.slot(idx)
        msg = struct.pack("<I", call_type) + params.ljust(24, b"\0") + struct.pack("<i", NON_SECURE_CLIENT_ID)
        self._write(self.placement.host_base + slot.msg, msg)
        self._set_word(slot.reply_owner, 0)
        bit = 1 << idx
        self._set_word(lay.replied_slots, self._word(lay.replied_slots) & ~bit)   # a late reply to an abandoned call
        self._set_word(lay.pend_slots, self._word(lay.pend_slots) | bit)
        record.t_request_ps = self.machine.now_ps
        self.send(PSA_CLIENT_CALL_REQ_MAGIC)
        try:
            yield lambda: bool(self._word(lay.replied_slots) & bit)
        except GeneratorExit:                      # the caller gave up waiting (a budget ran out)
            self._release_slot(bit)
            record.note = (record.note + "; " if record.note else "") + "abandoned: no reply within the budget"
            raise
        self._set_word(lay.replied_slots, self._word(lay.replied_slots) & ~bit)
        value = to_int32(self._word(slot.reply_return_val))
        self._set_word(lay.empty_slots, self._word(lay.empty_slots) | bit)
        record.t_reply_ps = self.machine.now_ps
        return value

    def _release_slot(self, bit: int) -> None:
        """Give an abandoned call's slot back: not pending, not replied, empty (the next call can use it)."""
        lay = self.layout
        self._set_word(lay.pend_slots, self._word(lay.pend_slots) & ~bit)
        self._set_word(lay.replied_slots, self._word(lay.replied_slots) & ~bit)
        self._set_word(lay.empty_slots, self._word(lay.empty_slots) | bit)

    # -- CONNECT / CALL / CLOSE (psa_proxy.c) ---------------------------------------------
    def connect(self, sid: int, version: int, client_id: int, *, origin: str = "") -> Op:
        """Returns (status, pool index): the SE handle is kept in the pool, as psa_set_rhandle does.
        ``origin`` (every operation): why the client id is what it is, for the IPC record."""
        record = self.monitor.open(IpcRecord(0, MAILBOX_PSA_CONNECT, client_id, sid=sid, version=version,
                                             client_origin=origin))
        if None not in self.pool:
            record.status, record.note = PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY, "forward-handle pool exhausted"
            self.monitor.close(record)
            return PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY, None
        chunk = self.pool.index(None)
        self.pool[chunk] = 0
        try:
            value = yield from self.mailbox_call(MAILBOX_PSA_CONNECT, struct.pack("<II", sid, version), record)
        except GeneratorExit:
            self.pool[chunk] = None
            raise
        record.status = value if value <= 0 else PsaStatus.PSA_SUCCESS
        record.se_handle = value if value > 0 else None
        if value == 0:
            record.note = (record.note + "; " if record.note else "") + (
                "the SE replied 0: TF-M v1.3's proxy returns PSA_SUCCESS with no SE handle (NULL rhandle); "
                "a psa_call or psa_close on this connection is the proxy's NULL dereference (a panic)")
        self.monitor.close(record)
        if value > 0:
            self.pool[chunk] = value
            return PsaStatus.PSA_SUCCESS, chunk
        self.pool[chunk] = None
        return value, None

    def null_rhandle(self, what: str, host_handle: int) -> None:
        """A call or close on a connection whose CONNECT the SE answered with 0: TF-M v1.3 reads the
        SE handle through a NULL rhandle there (tfm-facts O1); psaemu stops with a proxy panic."""
        self.machine.request_panic(self.host, ProtocolError(
            f"PSA proxy: {what} on handle {host_handle}, whose CONNECT the SE answered with 0; TF-M v1.3's proxy "
            f"returned PSA_SUCCESS for it without an SE handle and now dereferences a NULL rhandle (a fault on "
            f"the Host). The SE must reply a handle > 0 or an error status to MAILBOX_PSA_CONNECT"))

    def call(self, chunk: int | None, in_vecs: list[Vec], out_vecs: list[Vec], client_id: int,
             host_handle: int, *, origin: str = "") -> Op:
        """Forward a psa_call; on success copy the SE's outputs back. Returns (status, written lengths)."""
        if chunk is None:
            self.null_rhandle("psa_call", host_handle)
            return PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE, [0] * len(out_vecs)
            yield                                                  # a generator like the other operations
        se_handle = self.pool[chunk] or 0
        record = self.monitor.open(IpcRecord(0, MAILBOX_PSA_CALL, client_id, host_handle=host_handle,
                                             se_handle=se_handle, psa_type=0, client_origin=origin))
        packed = self._pack(in_vecs, out_vecs, record)
        if packed is None:
            record.status, record.note = PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY, "does not fit SHARED_BUFFER_SIZE"
            self.monitor.close(record)
            return PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY, [0] * len(out_vecs)
        in_len, out_len = packed
        p, lay = self.placement, self.layout
        params = struct.pack("<iiIIII", se_handle, 0, p.to_se(p.host_base + lay.in_vec), in_len,
                             p.to_se(p.host_base + lay.out_vec), out_len)
        status = yield from self.mailbox_call(MAILBOX_PSA_CALL, params, record)
        written = [0] * len(out_vecs)
        if status == PsaStatus.PSA_SUCCESS:
            back = self._write_back(out_vecs, record)
            if back is None:
                status = PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE
            else:
                written = back
        record.status = status
        self.monitor.close(record)
        return status, written

    def close(self, chunk: int | None, client_id: int, host_handle: int, *, origin: str = "") -> Op:
        if chunk is None:
            self.null_rhandle("psa_close", host_handle)
            return PsaStatus.PSA_SUCCESS
            yield                                                  # a generator like the other operations
        se_handle = self.pool[chunk] or 0
        record = self.monitor.open(IpcRecord(0, MAILBOX_PSA_CLOSE, client_id, host_handle=host_handle,
                                             se_handle=se_handle, client_origin=origin))
        record.status = yield from self.mailbox_call(MAILBOX_PSA_CLOSE, struct.pack("<i", se_handle), record)
        self.monitor.close(record)
        self.pool[chunk] = None
        return PsaStatus.PSA_SUCCESS

    # -- shared memory packing (psa_proxy_put_msg_into_shared_mem / write_back) -----------
    def _pack(self, in_vecs: list[Vec], out_vecs: list[Vec], record: IpcRecord) -> tuple[int, int] | None:
        p, lay = self.placement, self.layout
        base = p.host_base
        assert lay.out_vec == lay.in_vec + 32
        table = [0] * 16                                           # in_vec[4] and out_vec[4] = {NULL, 0}
        cursor, in_len, out_len = 0, 0, 0
        plan: list[tuple[str, int, Vec, int]] = []
        for kind, vecs in (("in", in_vecs), ("out", out_vecs)):
            for i, v in enumerate(vecs):
                if v.len > 0:
                    if cursor + v.len > p.buffer_size:
                        self._write(base + lay.in_vec, bytes(64))   # the tables were cleared first
                        return None
                    plan.append((kind, i, v, cursor))
                    cursor += v.len
                    if kind == "in":
                        in_len = i + 1
                    else:
                        out_len = i + 1
        for kind, i, v, off in plan:
            shared = base + lay.buffer + off
            if kind == "in":
                self._write(shared, self._read(v.base, v.len))   # psa_read into the buffer
            j = 2 * i if kind == "in" else 8 + 2 * i
            table[j], table[j + 1] = shared, v.len
            (record.in_vecs if kind == "in" else record.out_vecs).append(
                IoVec(i, v.len, v.base, shared, p.to_se(shared)))
        if p.translation:                                         # all 8 bases, NULL included (O3)
            for j in range(0, 16, 2):
                table[j] = p.to_se(table[j])
        self._write(base + lay.in_vec, _TABLES.pack(*table))      # both tables in one write
        return in_len, out_len

    def _write_back(self, out_vecs: list[Vec], record: IpcRecord) -> list[int] | None:
        """psa_write of each output from the base and length the SE left in out_vec[] (as TF-M v1.3).

        A base that is not the one the proxy reserved is noted in the IPC record; with
        ``check_writeback`` nothing is written and None is returned (the call then fails with
        PSA_ERROR_COMMUNICATION_FAILURE). A base the Host cannot read is a proxy panic (None).
        """
        p, lay = self.placement, self.layout
        table = list(_TABLES.unpack(self._read(p.host_base + lay.in_vec, 64)))   # as the SE left them
        if p.translation:
            for j in range(0, 16, 2):
                table[j] = p.to_host(table[j])
            self._write(p.host_base + lay.in_vec, _TABLES.pack(*table))
        reserved = {vec.index: vec.shared_host for vec in record.out_vecs}
        copies: list[tuple[Vec, int, int]] = []
        moved: list[str] = []
        for i, v in enumerate(out_vecs):
            addr, length = table[8 + 2 * i], table[9 + 2 * i]
            length = min(length, v.len) if v.len > 0 else 0
            copies.append((v, addr, length))
            if length and addr != reserved.get(i):
                moved.append(f"out_vec[{i}] base {p.to_se(addr):#010x} (Host {addr:#010x}"
                             f"{self._what_is(addr, length)}) is not the {reserved.get(i, 0):#010x} the proxy "
                             f"reserved")
        if moved:
            verdict = ("refused (PSAEMU_CHECK_WRITEBACK): nothing written back" if self.check_writeback else
                       "copied from there as TF-M v1.3's proxy does (PSAEMU_CHECK_WRITEBACK=1 refuses it)")
            record.note = (record.note + "; " if record.note else "") + "; ".join(moved) + f": {verdict}"
            if self.check_writeback:
                return None
        host = self.machine.memory.maps[self.host.name]
        for i, (v, addr, length) in enumerate(copies):
            m = host.find(addr, length) if length else None
            if length and (m is None or m.store is None):
                self.machine.request_panic(self.host, ProtocolError(
                    f"PSA proxy: the SE's reply leaves out_vec[{i}] at Host {addr:#010x}+{length}, which is not "
                    f"Host memory; TF-M v1.3's proxy would fault reading it in psa_write (set "
                    f"PSAEMU_CHECK_WRITEBACK=1 to get PSA_ERROR_COMMUNICATION_FAILURE instead)"))
                return None
        written = []
        for v, addr, length in copies:
            if length:
                self._write(v.base, self._read(addr, length))       # psa_write with the SE's actual length
            written.append(length)
        for vec in record.out_vecs:
            vec.written = written[vec.index]
        return written

    def _what_is(self, addr: int, size: int) -> str:
        """``, Secure memory`` / ``, not Host memory`` for a record note ('' when nothing to say)."""
        m = self.machine.memory.maps[self.host.name].find(addr, size)
        if m is None or m.store is None:
            return ", not Host memory"
        if self.machine.memory.attribution(self.host.name, addr, size) == "secure":
            return ", Secure memory"
        return ""
