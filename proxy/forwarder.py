"""The PSA Proxy partition (TF-M v1.3 ``psa_proxy.c`` + the NS mailbox library it links).

It lays requests out in the shared memory exactly as ``psa_proxy_shared_mem_mngr.c`` does,
rings the Host->SE MHU through the MHU model, waits for the SE's ``replied_slots`` bit and
writes results back. An operation in progress is a :class:`~psaemu.proxy.operation.ForwardOp`
(data): the Host SPM model advances it phase by phase (``begin``, ``send_request``,
``take_reply``) while the calling Host context blocks and the SE runs. Observers and fault
injection attach to the declared interception points (``Proxy.points``, proxy/intercept.py).
"""
from __future__ import annotations

import struct
from typing import Callable

from psaemu.platform.cpu.core import Core
from psaemu.platform.errors import ProtocolError
from psaemu.platform.system.machine import Machine
from psaemu.proxy.config import Placement
from psaemu.proxy.intercept import InterceptionPoints
from psaemu.proxy.layout import shared_layout
from psaemu.proxy.mailbox_abi import (
    IPC_SYNC_MAGIC,
    MAILBOX_PSA_CALL,
    MAILBOX_PSA_CLOSE,
    MAILBOX_PSA_CONNECT,
    NON_SECURE_CLIENT_ID,
    NS_MAILBOX_INIT_ENABLE,
    PSA_CLIENT_CALL_REQ_MAGIC,
    S_MAILBOX_READY,
)
from psaemu.proxy.mailbox_queue import TABLES_SIZE, lane_span
from psaemu.proxy.monitor import IoVec, IpcMonitor, IpcRecord
from psaemu.proxy.operation import CALL, CLOSE, CONNECT, FORWARDED, HANDSHAKE, REPLY, ForwardOp, Vec
from psaemu.proxy.profiles import ProxyProfile
from psaemu.proxy.services import SE_CONN_MAX_NUM
from psaemu.proxy.status import PsaStatus, to_int32
from psaemu.proxy.zerocopy import HostView

__all__ = ["Proxy", "Handshake", "Vec", "ForwardOp", "FORWARDED"]
_U32 = struct.Struct("<I")
_TABLES = struct.Struct("<16I")          # in_vec[4] and out_vec[4]: {base, len} pairs, adjacent


class Handshake:
    """Host side of the Musca-B1 boot handshake (TF-M v1.3.0 platform_ns_mailbox.c:20-55), via the MHU models."""

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
            if p.on_boot_vector is not None:
                p.on_boot_vector(word)          # proxy/bl0.py: a held Host starts at the vector
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
        #: With several slots, each call in flight packs into its own lane of the shared buffer
        #: (proxy/mailbox_queue.py lane_span): operation id -> lane.
        self.lanes: dict[int, int] = {}
        need = "the proxy needs an MHUv2 pair between the Host and the SE"
        self.sender = machine.require_peripheral("mhuv2_sender", host, need, ProtocolError)
        self.receiver = machine.require_peripheral("mhuv2_receiver", host, need, ProtocolError)
        spec = next(s for s in machine.board.peripherals if s.name == self.receiver.name)
        self.reply_irq = 16 + spec.params["irqs"].get("comb", spec.params["irqs"].get("msg0", 0))
        self.pool: list[int | None] = [None] * SE_CONN_MAX_NUM      # SE handles, one per Host connection
        #: PSAEMU_CHECK_WRITEBACK: refuse (PSA_ERROR_COMMUNICATION_FAILURE) a reply whose out_vec
        #: bases are not the ones the proxy reserved, instead of copying from there as TF-M v1.3 does.
        self.check_writeback = False
        #: Release profile and lifted limitations (``client-ids``: the caller's id in every message).
        self.profile = ProxyProfile()
        #: Called with the SE's boot vector when it arrives (proxy/bl0.py host start), or None.
        self.on_boot_vector: Callable[[int], None] | None = None
        #: Zero-copy (``zero-copy`` lifted): the Host RAM the SE sees, vectors there go by pointer.
        self.host_view: HostView | None = None
        self.handshake = Handshake(self)
        #: The declared interception points of the forwarding path (proxy/intercept.py).
        self.points = InterceptionPoints()
        self.monitor.attach(self.points, lambda: machine.now_ps)
        self._bind_memory()
        self.reset_shared_memory()

    # -- memory helpers -------------------------------------------------------------------
    def _bind_memory(self) -> None:
        """Access the shared region through the Host store's mmap: the same bytes both cores map
        (``mem_map_ptr``), at a fraction of a Unicorn call. No translated code is invalidated, which
        is right because no core executes from the shared region. Caller buffers elsewhere in the
        Host's memory go through the core's data accessors."""
        p = self.placement
        self._mem_read, self._mem_write = self.host.mem_read, self.host.mem_write
        self._shm_lo, self._shm_hi = p.host_base, p.host_base + p.region_size
        m = self.machine.memory.maps[self.host.name].find(p.host_base, p.region_size)
        if m is not None and m.store is not None:
            self._shm = m.store.buf
            self._shm_base = m.offset + p.host_base - m.base       # store offset of host_base
        else:                                                      # not store-backed: use Unicorn
            self._shm = None
            self._shm_base = 0

    def _read(self, addr: int, size: int) -> bytes:
        """Host memory as the proxy reads it (the shared region through its mmap)."""
        if not size:
            return b""
        if self._shm is not None and self._shm_lo <= addr and addr + size <= self._shm_hi:
            off = self._shm_base + addr - self._shm_lo
            return self._shm[off:off + size]
        return self._mem_read(addr, size)

    def _write(self, addr: int, data: bytes) -> None:
        if not data:
            return
        if self._shm is not None and self._shm_lo <= addr and addr + len(data) <= self._shm_hi:
            off = self._shm_base + addr - self._shm_lo
            self._shm[off:off + len(data)] = data
        else:
            self._mem_write(addr, data)

    def _word(self, offset: int) -> int:
        if self._shm is not None:
            return _U32.unpack_from(self._shm, self._shm_base + offset)[0]
        return _U32.unpack(self._read(self.placement.host_base + offset, 4))[0]

    def _set_word(self, offset: int, value: int) -> None:
        if self._shm is not None:
            _U32.pack_into(self._shm, self._shm_base + offset, value & 0xFFFFFFFF)
        else:
            self._write(self.placement.host_base + offset, _U32.pack(value & 0xFFFFFFFF))

    #: For observers and fault injection: Host memory (``read``/``write``, shared region fast) and
    #: the words of the shared region by offset (``word``/``set_word``), as the proxy accesses them.
    read, write, word, set_word = _read, _write, _word, _set_word

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

    # -- the mailbox client (tfm_ns_mailbox_client_call), one phase at a time --------------
    def ring(self) -> None:
        """The request doorbell itself (PSA_CLIENT_CALL_REQ_MAGIC), with no interception point."""
        self.send(PSA_CLIENT_CALL_REQ_MAGIC)

    def take_reply_doorbell(self) -> None:
        """Take the SE's reply doorbell word(s) off the SE->Host MHU and clear the interrupt
        (the non-blocking wait: the reply is signalled by this interrupt)."""
        word = self.receiver.take_word()
        self.host.nvic.clear_pending(self.reply_irq)
        self.machine.events.record(self.host, "proxy_reply_irq", value=word)

    def slot_pending(self, slot: int) -> bool:
        """The slot's message is still pending (the SE has not taken it)."""
        return bool(self._word(self.layout.pend_slots) >> slot & 1)

    def replied(self, op: ForwardOp) -> bool:
        """The SE has set the reply bit of the operation's slot."""
        return bool(self._word(self.layout.replied_slots) >> op.slot & 1)

    def _mailbox_start(self, op: ForwardOp, call_type: int, params: bytes) -> None:
        """Build the message; send it now, or once the boot handshake is complete."""
        op.call_type, op.params = call_type, params
        if not self.ready:
            op.phase = HANDSHAKE
            return
        self.send_request(op)

    def send_request(self, op: ForwardOp) -> None:
        """Fill a free slot, pend it and ring the doorbell; the operation then waits for the reply."""
        lay = self.layout
        empty = self._word(lay.empty_slots)
        if not empty:
            self._forwarded(op, PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE)    # MAILBOX_QUEUE_FULL
            return
        idx = (empty & -empty).bit_length() - 1
        self._set_word(lay.empty_slots, empty & ~(1 << idx))
        slot = lay.slot(idx)
        msg = struct.pack("<I", op.call_type) + op.params.ljust(24, b"\0") + struct.pack("<i", self.client_id_of(op))
        self._write(self.placement.host_base + slot.msg, msg)
        self._set_word(slot.reply_owner, 0)
        bit = 1 << idx
        self._set_word(lay.replied_slots, self._word(lay.replied_slots) & ~bit)   # a late reply to an abandoned call
        self._set_word(lay.pend_slots, self._word(lay.pend_slots) | bit)
        op.slot, op.phase = idx, REPLY
        op.record.slot = idx
        op.record.t_request_ps = self.machine.now_ps
        points = self.points
        if points.fire("before_doorbell", op):
            self.ring()
        points.fire("after_doorbell", op)

    def take_reply(self, op: ForwardOp) -> None:
        """The reply bit is set: read ``return_val``, free the slot, finish the operation."""
        lay, bit = self.layout, 1 << op.slot
        self._set_word(lay.replied_slots, self._word(lay.replied_slots) & ~bit)
        op.value = to_int32(self._word(lay.slot(op.slot).reply_return_val))
        self._set_word(lay.empty_slots, self._word(lay.empty_slots) | bit)
        op.record.t_reply_ps = self.machine.now_ps
        self.points.fire("on_reply", op)
        self._forwarded(op, op.value)

    def abandon(self, op: ForwardOp) -> None:
        """The caller gave up waiting (a budget ran out): give the slot and the pool entry back."""
        if op.phase == REPLY:
            self._release_slot(1 << op.slot)
            rec = op.record
            rec.note = (rec.note + "; " if rec.note else "") + "abandoned: no reply within the budget"
        if op.phase in (HANDSHAKE, REPLY) and op.kind == CONNECT and op.chunk is not None:
            self.pool[op.chunk] = None
        self.lanes.pop(op.id, None)

    def _lane(self, op: ForwardOp) -> tuple[int, int, int]:
        """(Host address of the vector tables, of the data area, data bytes) for a CALL: the
        shared structure's in_vec/out_vec and whole buffer with one slot (TF-M), else the
        operation's own lane of the buffer (taken on first use)."""
        p, lay = self.placement, self.layout
        if self.n_slots == 1:
            return p.host_base + lay.in_vec, p.host_base + lay.buffer, p.buffer_size
        lane = self.lanes.get(op.id)
        if lane is None:
            used = set(self.lanes.values())
            lane = self.lanes[op.id] = next(i for i in range(self.n_slots) if i not in used)
        off, size = lane_span(p.buffer_size, self.n_slots, lane)
        tables = p.host_base + lay.buffer + off
        return tables, tables + TABLES_SIZE, size - TABLES_SIZE

    def _release_slot(self, bit: int) -> None:
        """Give an abandoned call's slot back: not pending, not replied, empty (the next call can use it)."""
        lay = self.layout
        self._set_word(lay.pend_slots, self._word(lay.pend_slots) & ~bit)
        self._set_word(lay.replied_slots, self._word(lay.replied_slots) & ~bit)
        self._set_word(lay.empty_slots, self._word(lay.empty_slots) | bit)

    # -- CONNECT / CALL / CLOSE (psa_proxy.c) ---------------------------------------------
    def begin(self, op: ForwardOp) -> None:
        """The proxy takes the operation: it sends it (REPLY), waits for its handshake (HANDSHAKE)
        or finishes it at once (FORWARDED, ``op.forwarded`` says how)."""
        {CONNECT: self._begin_connect, CALL: self._begin_call, CLOSE: self._begin_close}[op.kind](op)

    def client_id_of(self, op: ForwardOp) -> int:
        """The mailbox message's client_id: -1 (TF-M v1.3), or the caller's id mapped by the profile."""
        if not self.profile.forward_client_ids:
            return NON_SECURE_CLIENT_ID
        mapped = self.profile.mailbox_client_id(op.caller.client_id, op.caller.secure)
        return NON_SECURE_CLIENT_ID if mapped is None else mapped

    def _begin_connect(self, op: ForwardOp) -> None:
        """``op.forwarded``: (status, pool index); the SE handle is kept in the pool, as psa_set_rhandle does."""
        record = op.record = self.monitor.open(IpcRecord(0, MAILBOX_PSA_CONNECT, op.caller.client_id, sid=op.sid,
                                                         version=op.version, client_origin=op.caller.client_origin))
        if self.profile.mailbox_client_id(op.caller.client_id, op.caller.secure) is None:
            record.status = PsaStatus.PSA_ERROR_CONNECTION_REFUSED
            record.note = (f"client id {op.caller.client_id} has no mailbox client id "
                           f"({self.profile.describe_mapping()})")
            self.monitor.close(record)
            self._done(op, (PsaStatus.PSA_ERROR_CONNECTION_REFUSED, None))
            return
        if None not in self.pool:
            record.status, record.note = PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY, "forward-handle pool exhausted"
            self.monitor.close(record)
            self._done(op, (PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY, None))
            return
        op.chunk = self.pool.index(None)
        self.pool[op.chunk] = 0
        self._mailbox_start(op, MAILBOX_PSA_CONNECT, struct.pack("<II", op.sid, op.version))

    def null_rhandle(self, what: str, host_handle: int) -> None:
        """A call or close on a connection whose CONNECT the SE answered with 0: TF-M v1.3 reads the
        SE handle through a NULL rhandle there (TF-M v1.3.0 psa_proxy.c:178-188, :53); psaemu stops with a proxy panic."""
        self.machine.request_panic(self.host, ProtocolError(
            f"PSA proxy: {what} on handle {host_handle}, whose CONNECT the SE answered with 0; TF-M v1.3's proxy "
            f"returned PSA_SUCCESS for it without an SE handle and now dereferences a NULL rhandle (a fault on "
            f"the Host). The SE must reply a handle > 0 or an error status to MAILBOX_PSA_CONNECT"))

    def _begin_call(self, op: ForwardOp) -> None:
        """``op.forwarded``: (status, written lengths); on success the SE's outputs are copied back."""
        n_out = len(op.out_vecs)
        stateless = op.stateless_type is not None       # v1.4+: the stateless handle goes to the SE as it is
        if op.chunk is None and not stateless:
            self.null_rhandle("psa_call", op.handle)
            self._done(op, (PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE, [0] * n_out))
            return
        se_handle = op.handle if stateless else self.pool[op.chunk] or 0
        # v1.5+ forwards the client's type on the stateless handles only; a connection's call goes
        # to the SE as PSA_IPC_CALL whatever its type (TF-M v1.5 psa_proxy.c:56-77, docs/profiles.md)
        psa_type = op.stateless_type or 0
        record = op.record = self.monitor.open(IpcRecord(0, MAILBOX_PSA_CALL, op.caller.client_id,
                                                         host_handle=op.handle, se_handle=se_handle, psa_type=psa_type,
                                                         client_origin=op.caller.client_origin))
        tables, data, room = self._lane(op)
        packed = self._pack(op.in_vecs, op.out_vecs, record, tables, data, room)
        if packed is None:
            self.lanes.pop(op.id, None)
            record.status, record.note = PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY, "does not fit SHARED_BUFFER_SIZE"
            self.monitor.close(record)
            self._done(op, (PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY, [0] * n_out))
            return
        self.points.fire("packed", op)
        in_len, out_len = packed
        p = self.placement
        params = struct.pack("<iiIIII", se_handle, psa_type, p.to_se(tables), in_len, p.to_se(tables + 32), out_len)
        self._mailbox_start(op, MAILBOX_PSA_CALL, params)

    def _begin_close(self, op: ForwardOp) -> None:
        if op.chunk is None:
            self.null_rhandle("psa_close", op.handle)
            self._done(op, PsaStatus.PSA_SUCCESS)
            return
        se_handle = self.pool[op.chunk] or 0
        op.record = self.monitor.open(IpcRecord(0, MAILBOX_PSA_CLOSE, op.caller.client_id, host_handle=op.handle,
                                                se_handle=se_handle, client_origin=op.caller.client_origin))
        self._mailbox_start(op, MAILBOX_PSA_CLOSE, struct.pack("<i", se_handle))

    def _forwarded(self, op: ForwardOp, value: int) -> None:
        """The mailbox call returned ``value`` (the SE's, or the proxy's own failure): finish the operation."""
        record = op.record
        if op.kind == CONNECT:
            record.status = value if value <= 0 else PsaStatus.PSA_SUCCESS
            record.se_handle = value if value > 0 else None
            if value == 0:
                record.note = (record.note + "; " if record.note else "") + (
                    "the SE replied 0: TF-M v1.3's proxy returns PSA_SUCCESS with no SE handle (NULL rhandle); "
                    "a psa_call or psa_close on this connection is the proxy's NULL dereference (a panic)")
            self.monitor.close(record)
            if value > 0:
                self.pool[op.chunk] = value
                self._done(op, (PsaStatus.PSA_SUCCESS, op.chunk))
            else:
                self.pool[op.chunk] = None
                self._done(op, (value, None))
        elif op.kind == CALL:
            status, written = value, [0] * len(op.out_vecs)
            tables = self._lane(op)[0]
            self.lanes.pop(op.id, None)
            if status == PsaStatus.PSA_SUCCESS:
                self.points.fire("before_write_back", op)
                back = self._write_back(op.out_vecs, record, tables)
                if back is None:
                    status = PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE
                else:
                    written = back
            record.status = status
            self.monitor.close(record)
            self._done(op, (status, written))
        else:
            record.status = value
            self.monitor.close(record)
            self.pool[op.chunk] = None
            self._done(op, PsaStatus.PSA_SUCCESS)

    @staticmethod
    def _done(op: ForwardOp, forwarded: object) -> None:
        op.forwarded, op.phase = forwarded, FORWARDED

    # -- state (snapshots) ----------------------------------------------------------------
    def save_state(self) -> dict:
        """The Host side of the handshake and the forward-handle pool (plain data). The shared
        memory is machine memory; operations in flight are the Host SPM's."""
        h = self.handshake
        return {"handshake_state": h.state, "boot_vector": h.boot_vector, "handshake_settled": h.settled,
                "pool": list(self.pool), "check_writeback": self.check_writeback,
                "lanes": dict(self.lanes)}

    def restore_state(self, state: dict) -> None:
        h = self.handshake
        h.state, h.boot_vector, h.settled = state["handshake_state"], state["boot_vector"], state["handshake_settled"]
        self.pool[:] = state["pool"]
        self.check_writeback = state["check_writeback"]
        self.lanes = {int(k): v for k, v in state.get("lanes", {}).items()}

    # -- shared memory packing (psa_proxy_put_msg_into_shared_mem / write_back) -----------
    def _pack(self, in_vecs: list[Vec], out_vecs: list[Vec], record: IpcRecord, tables: int, data: int,
              room: int) -> tuple[int, int] | None:
        """Copy the inputs to ``data`` (``room`` bytes) and fill the vector tables at ``tables``;
        with zero-copy (``host_view``) a vector the SE sees goes by its SE address instead."""
        p = self.placement
        table = [p.to_se(0), 0] * 8                                # {NULL, 0}; all 8 bases translated (O3)
        cursor, in_len, out_len = 0, 0, 0
        plan: list[tuple[str, int, Vec, int, int | None]] = []   # (kind, index, vec, buffer offset, SE address)
        pointed: list[tuple[int, int]] = []
        for kind, vecs in (("in", in_vecs), ("out", out_vecs)):
            for i, v in enumerate(vecs):
                if v.len > 0:
                    se = None if self.host_view is None else self._by_pointer(kind, i, v, pointed, record)
                    if se is None:
                        if cursor + v.len > room:
                            self._write(tables, bytes(64))          # the tables were cleared first
                            return None
                        cursor += v.len
                    plan.append((kind, i, v, cursor - v.len, se))
                    if kind == "in":
                        in_len = i + 1
                    else:
                        out_len = i + 1
        for kind, i, v, off, se in plan:
            j = 2 * i if kind == "in" else 8 + 2 * i
            if se is None:
                shared = data + off
                if kind == "in":
                    self._write(shared, self._read(v.base, v.len))   # psa_read into the buffer
                vec = IoVec(i, v.len, v.base, shared, p.to_se(shared))
            else:
                vec = IoVec(i, v.len, v.base, v.base, se, by_pointer=True)
            table[j], table[j + 1] = vec.shared_se, v.len
            (record.in_vecs if kind == "in" else record.out_vecs).append(vec)
        self._write(tables, _TABLES.pack(*table))                 # both tables in one write
        return in_len, out_len

    def _by_pointer(self, kind: str, i: int, v: Vec, pointed: list[tuple[int, int]],
                    record: IpcRecord) -> int | None:
        """Zero-copy: the SE address of a verified caller vector, or None to copy it (outside the
        SE's view, or overlapping a vector already passed by pointer), said in the record and trace."""
        se = self.host_view.to_se(v.base, v.len)
        end = v.base + v.len
        if se is not None and not any(a < end and v.base < b for a, b in pointed):
            pointed.append((v.base, end))
            return se
        why = "outside the SE's view of Host RAM" if se is None else "overlaps a vector passed by pointer"
        record.note = (record.note + "; " if record.note else "") + (
            f"zero-copy: {kind}[{i}] copied (Host {v.base:#010x}+{v.len} {why})")
        self.machine.events.record(self.host, "zero_copy_copied", vec=f"{kind}[{i}]", base=v.base, size=v.len,
                                   reason=why)
        return None

    def _write_back(self, out_vecs: list[Vec], record: IpcRecord, tables: int) -> list[int] | None:
        """psa_write of each output from the base and length the SE left in out_vec[] (as TF-M v1.3).

        A base that is not the one the proxy reserved is noted in the IPC record; with
        ``check_writeback`` nothing is written and None is returned (the call then fails with
        PSA_ERROR_COMMUNICATION_FAILURE). A base the Host cannot read is a proxy panic (None).
        """
        p = self.placement
        table = list(_TABLES.unpack(self._read(tables, 64)))      # as the SE left them
        in_place = {vec.index: vec.shared_se for vec in record.out_vecs if vec.by_pointer and
                    table[8 + 2 * vec.index] == vec.shared_se}   # zero-copy: the SE wrote the caller's buffer
        if p.translation:
            for j in range(0, 16, 2):
                table[j] = p.to_host(table[j])
            self._write(tables, _TABLES.pack(*table))
        reserved = {vec.index: vec.shared_host for vec in record.out_vecs}
        copies: list[tuple[Vec, int | None, int]] = []
        moved: list[str] = []
        for i, v in enumerate(out_vecs):
            addr, length = table[8 + 2 * i], table[9 + 2 * i]
            length = min(length, v.len) if v.len > 0 else 0
            copies.append((v, None if i in in_place else addr, length))
            if length and i not in in_place and addr != reserved.get(i):
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
            m = host.find(addr, length) if length and addr is not None else None
            if length and addr is not None and (m is None or m.store is None):
                self.machine.request_panic(self.host, ProtocolError(
                    f"PSA proxy: the SE's reply leaves out_vec[{i}] at Host {addr:#010x}+{length}, which is not "
                    f"Host memory; TF-M v1.3's proxy would fault reading it in psa_write (set "
                    f"PSAEMU_CHECK_WRITEBACK=1 to get PSA_ERROR_COMMUNICATION_FAILURE instead)"))
                return None
        written = []
        for v, addr, length in copies:
            if length and addr is not None:
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
