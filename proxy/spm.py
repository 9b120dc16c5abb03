"""The Host SPM model: TF-M v1.3 PSA client SVCs (10..14) answered in Python.

It identifies the caller (code in a Non-secure alias, or a TF-M veneer in the board's veneer
region (proxy/veneers.py), means a non-secure client, id -1; Secure code is
the partition whose code range holds the SVC), validates each call as TF-M's SPM does —
programmer errors return error codes to non-secure callers and panic the system for secure
ones — routes forwarded SIDs to the proxy and blocks the caller until the SE has replied.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

from psaemu.platform.cpu.core import Block, Core
from psaemu.platform.errors import ProtocolError
from psaemu.platform.system.machine import Machine
from psaemu.platform.testing.snapshot import register_wait
from psaemu.proxy.abi import DEFAULT_RELEASE, RELEASE_ABIS, CallParamError, ReleaseAbi
from psaemu.proxy.forwarder import Proxy
from psaemu.proxy.host_platform import HOST_SERVED, HostPlatform, host_call, host_connect, host_serves
from psaemu.proxy.mailbox_abi import SvcV13
from psaemu.proxy.operation import CALL, CLOSE, CONNECT, DONE, FORWARDED, HANDSHAKE, NEW, QUEUED, REPLY, ForwardOp, Vec
from psaemu.proxy.services import DEFAULT_NS_CLIENT_ID, Service, service_by_sid
from psaemu.proxy.status import PSA_FRAMEWORK_VERSION, PSA_VERSION_NONE, PsaStatus, status_name, to_int32
from psaemu.proxy.structs import inputs_overlap, iovec_pairs
from psaemu.proxy.veneers import VeneerRegion, install_veneers
from psaemu.proxy.waits import NonBlockingWaits

#: Host SPM connection pool. Larger than the proxy's 16 forward handles, so the 17th
#: connection is refused by the proxy (PSA_ERROR_INSUFFICIENT_MEMORY) as the proxy documents.
HOST_CONN_MAX = 32
_CLIENT_NUMBER = ("client", "number")           # the psa_svc trace record's fields (sorted)
ACCESS_CACHE_MAX = 1024                         # accessibility answers kept (then started afresh)
PARTITION_SECTION = re.compile(r"^\.tfm_sp\.(\d+)$")
SECURE_PROGRAMMER_ERRORS = (PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, PsaStatus.PSA_ERROR_CONNECTION_REFUSED)
#: The SVCs that go through the proxy: made before its boot handshake, they wait for it first.
FORWARDED_SVCS = frozenset(int(n) for n in (SvcV13.TFM_SVC_PSA_CONNECT, SvcV13.TFM_SVC_PSA_CALL,
                                            SvcV13.TFM_SVC_PSA_CLOSE))
#: The partition of a Secure caller outside every ``.tfm_sp.<id>`` section (client id 0).
OUTSIDE_PARTITIONS = "secure code outside every partition"
#: ``Block.resume`` key of that wait (snapshots hold it; see :func:`_rebuild_ready_wait`).
READY_WAIT = "host_spm.proxy_ready"
#: ``Block.resume`` key of a Host SVC waiting on its forwarded operation (:func:`_rebuild_forward_wait`).
FORWARD_WAIT = "host_spm.forward"


@dataclass(frozen=True)
class Caller:
    """Who issued an SVC: client id (negative = non-secure), the partition name, the SVC address."""

    client_id: int
    secure: bool
    pc: int
    partition: str
    scripted: bool = False         # a Python client (psaemu.proxy.client), not an SVC

    @property
    def client_origin(self) -> str:
        """Why the client id is what it is when it is not the caller's own (a Secure caller outside
        every partition gets client 0): IPC records show it next to the id; "" otherwise."""
        return f"{self.partition} at {self.pc:#010x}" if self.partition == OUTSIDE_PARTITIONS else ""

    def __str__(self) -> str:
        if self.scripted:
            return f"{self.partition} (client id {self.client_id}, scripted from Python)"
        return f"{self.partition} (client id {self.client_id}) at {self.pc:#010x}"


@dataclass
class Connection:
    handle: int
    client_id: int
    sid: int
    chunk: int                     # the proxy's forward-handle pool index
    state: str = "idle"            # idle | connect_error


@dataclass
class Partition:
    pid: int
    name: str
    start: int
    end: int


@dataclass
class HostSpm:
    """Installs the client SVC handlers on the Host core and keeps the Host's connections."""

    machine: Machine
    proxy: Proxy
    host: str = "host"
    reply_budget_cycles: int | None = None
    partitions: list[Partition] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.core: Core = self.machine.cores[self.host]
        self.connections: dict[int, Connection] = {}
        self._next_handle = 1
        self.forwarding: ForwardOp | None = None     # the forwarded operation holding the proxy
        self.forward_queue: list[ForwardOp] = []      # operations waiting for it, first come first served
        self.active: list[ForwardOp] = []             # operations holding a mailbox slot (at most n_slots)
        self.waits = NonBlockingWaits(self)           # SVCs restarted around interrupts (lifted non-blocking)
        self.ops: dict[int, ForwardOp] = {}           # every operation started and not finished, by id
        self._next_op = 1
        self.host_platform = HostPlatform()          # platform IOCTL served on the Host (platform-split)
        self._host_map = self.machine.memory.maps[self.host]
        self._access_cache: dict[tuple[bool, int, int, bool], bool] = {}     # see accessible
        self._access_version = -1
        if not self.partitions and self.core.image is not None:
            self.partitions = partitions_from_image(self.core)
        if self.core.security is not None:       # NS code calls partition code directly (psaemu images)
            entries = [(p.start, p.end) for p in self.partitions] + self._unsectioned_secure_code()
            self.core.security.add_entries(entries)
        self.veneers: VeneerRegion | None = install_veneers(self.machine, self.host)   # TF-M's NS entry points
        handlers: dict[int, Callable[[Caller], object]] = {
            SvcV13.TFM_SVC_PSA_FRAMEWORK_VERSION: self.framework_version,
            SvcV13.TFM_SVC_PSA_VERSION: self.version,
            SvcV13.TFM_SVC_PSA_CONNECT: self.connect,
            SvcV13.TFM_SVC_PSA_CALL: self.call,
            SvcV13.TFM_SVC_PSA_CLOSE: self.close,
        }
        self._handlers = {int(n): fn for n, fn in handlers.items()}
        for number in self._handlers:
            self.core.svc_handlers[number] = self._dispatch

    def _unsectioned_secure_code(self) -> list[tuple[int, int]]:
        """A Host image without a section table (HEX, BIN without --symbols) cannot say where its
        partitions are: the Secure bytes it carries count as partition code NS code may call."""
        image = self.core.image
        if image is None or image.sections:
            return []
        memory = self.machine.memory
        return [(seg.paddr, seg.paddr + len(seg.data)) for seg in image.segments
                if seg.data and memory.attribution(self.host, seg.paddr, len(seg.data)) == "secure"]

    # -- plumbing -------------------------------------------------------------------------
    def _dispatch(self, core: Core, number: int) -> bool | Block:
        again = self.waits.resume(core, number)
        if again is not None:                    # an SVC restarted after an interrupt (non-blocking)
            return again
        caller = self.identify(core.pc - 2)
        self.machine.events.put(core, "psa_svc", _CLIENT_NUMBER, (caller.client_id, number))
        if number in FORWARDED_SVCS and not self.proxy.ready:
            return self.ready_wait(core, number)
        return self._run(core, number, caller)

    def _run(self, core: Core, number: int, caller: Caller) -> bool | Block:
        result = self._handlers[number](caller)
        if isinstance(result, ForwardOp):
            return self._drive(core, result, number)
        if result is not None:
            core.set_result(result)
        return True

    def ready_wait(self, core: Core, number: int) -> Block:
        """A forwarding SVC made before the proxy's boot handshake is complete waits for it and
        only then starts (as in TF-M, where the proxy's init completes before any client runs).
        Nothing has happened yet, so a snapshot can hold this wait (``Block.resume``)."""
        def start() -> Block | None:
            result = self._run(core, number, self.identify(core.pc - 2))
            return result if isinstance(result, Block) else None
        what = f"the proxy's boot handshake (S_MAILBOX_READY) before PSA SVC {number}"
        return Block(lambda: self.proxy.handshake.settled, start, what, self.reply_budget_cycles,
                     resume=(READY_WAIT, self.host, number))

    def _drive(self, core: Core, op: ForwardOp, number: int) -> bool | Block:
        """Run a forwarded operation of an SVC: the caller blocks while it waits; r0 gets its result."""
        pending = self.pump(core, op, number)
        return pending if pending is not None else True

    def pump(self, core: Core, op: ForwardOp, number: int) -> Block | None:
        """Advance ``op`` of PSA SVC ``number``: done, r0 gets its result and None is returned; else
        the Block the caller waits in (:meth:`forward_wait`)."""
        self.advance(op)
        if op.done:
            if op.result is not None:
                core.set_result(op.result)
            return None
        return self.forward_wait(core, op.id, number)

    def forward_wait(self, core: Core, op_id: int, number: int) -> Block:
        """The Block of an SVC whose operation ``op_id`` waits; a snapshot holds it (``Block.resume``)."""
        op = self.ops[op_id]
        what = f"the SE's reply (PSA SVC {number}; see the IPC monitor's last record)"
        replied = self.proxy.replied
        if self.waits.applies(op):
            return self.waits.block(core, op, number, what, (FORWARD_WAIT, self.host, op_id, number))
        ready = (lambda: replied(op)) if op.phase == REPLY else (lambda: self.ready(op))    # the usual wait, direct
        return Block(ready, lambda: self.pump(core, op, number), what, self.reply_budget_cycles,
                     resume=(FORWARD_WAIT, self.host, op_id, number))

    # -- forwarded operations: a state machine over ForwardOp (proxy/operation.py) ----------
    def _new_op(self, kind: str, caller: Caller, **args: Any) -> ForwardOp:
        op = ForwardOp(self._next_op, kind, caller, **args)
        self._next_op += 1
        return op

    def ready(self, op: ForwardOp) -> bool:
        """What the operation waits for has happened (its turn at the proxy, the handshake, the reply)."""
        phase = op.phase
        if phase == REPLY:
            return self.proxy.replied(op)
        if phase == QUEUED:
            return len(self.active) < self.proxy.n_slots and self.forward_queue[0] is op
        if phase == HANDSHAKE:
            return self.proxy.ready
        return True

    def advance(self, op: ForwardOp) -> None:
        """Run the operation until it waits for something that has not happened yet, or ends.
        Forwarded operations hold the proxy one at a time (TF-M's proxy is one partition thread):
        a Host SVC and a scripted call never share the mailbox slot or the buffer. With N mailbox
        slots (proxy/mailbox_queue.py), up to N hold one each, with their own lane of the buffer."""
        while True:
            phase = op.phase
            if phase == NEW:
                self.ops[op.id] = op
                self.forward_queue.append(op)
                op.phase = QUEUED
            elif phase == QUEUED:
                self.forward_queue.pop(0)
                self.forwarding = op
                self.active.append(op)
                self.proxy.begin(op)
            elif phase == HANDSHAKE:
                self.proxy.send_request(op)
            elif phase == REPLY:
                self.proxy.take_reply(op)
            if op.phase == FORWARDED:
                self._finish(op)
            if op.done or not self.ready(op):
                return

    def abandon(self, op: ForwardOp) -> None:
        """The caller gives up waiting (a budget ran out): the operation releases the proxy."""
        if op.done:
            return
        if op in self.forward_queue:
            self.forward_queue.remove(op)
        if op.phase in (HANDSHAKE, REPLY):
            self.proxy.abandon(op)
            self.proxy.monitor.abandon(op.record)
        self._release(op)
        self.ops.pop(op.id, None)
        op.phase = DONE

    def _finish(self, op: ForwardOp) -> None:
        """The proxy is done: release it and do the SPM's part (connections, written lengths)."""
        self._release(op)
        self.ops.pop(op.id, None)
        op.result = {CONNECT: self._connected, CALL: self._called, CLOSE: self._closed}[op.kind](op)
        op.phase = DONE

    def _release(self, op: ForwardOp) -> None:
        """The operation no longer holds a mailbox slot (``forwarding``: the latest that does)."""
        if op in self.active:
            self.active.remove(op)
        if self.forwarding is op:
            self.forwarding = self.active[-1] if self.active else None

    # -- state (snapshots) ----------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """Connections, handles and the operations in flight, as plain data."""
        return {"connections": [(c.handle, c.client_id, c.sid, c.chunk, c.state) for c in self.connections.values()],
                "next_handle": self._next_handle, "reply_budget_cycles": self.reply_budget_cycles,
                "ops": [op.state() for op in self.ops.values()], "queue": [op.id for op in self.forward_queue],
                "forwarding": self.forwarding.id if self.forwarding is not None else None,
                "next_op": self._next_op, "active": [op.id for op in self.active], "parked": self.waits.save_state(),
                "host_platform": self.host_platform.save_state()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Put the state back (the IPC monitor first: operations in flight find their records there)."""
        self.connections = {c[0]: Connection(*c) for c in state["connections"]}
        self._next_handle = state["next_handle"]
        self.reply_budget_cycles = state["reply_budget_cycles"]
        in_flight = self.proxy.monitor.in_flight
        self.ops = {s["id"]: ForwardOp.from_state(s, in_flight.get(s["record"])) for s in state["ops"]}
        self.forward_queue = [self.ops[i] for i in state["queue"]]
        self.forwarding = self.ops[state["forwarding"]] if state["forwarding"] is not None else None
        self._next_op = state["next_op"]
        self.active = [self.ops[i] for i in state.get("active", [state["forwarding"]] if state["forwarding"] else [])]
        self.waits.restore_state(state.get("parked", []))
        self.host_platform.restore_state(state.get("host_platform", {}))

    def identify(self, pc: int) -> Caller:
        if self.veneers is not None and self.veneers.holds(pc):     # a veneer: the caller is NS code
            return Caller(DEFAULT_NS_CLIENT_ID, False, pc, "non-secure (through a veneer)")
        mapping = self.machine.memory.maps[self.host].find(pc)
        if mapping is not None and mapping.secure is False:
            return Caller(DEFAULT_NS_CLIENT_ID, False, pc, "non-secure")
        for part in self.partitions:
            if part.start <= pc < part.end:
                return Caller(part.pid, True, pc, part.name)
        return Caller(0, True, pc, OUTSIDE_PARTITIONS)

    def panic(self, caller: Caller, why: str) -> None:
        self.machine.request_panic(self.core, ProtocolError(
            f"Host SPM panic (tfm_core_panic): {why}; caller {caller}\n{self.machine.describe_cores()}"))

    def error(self, caller: Caller, status: int, why: str) -> int | None:
        """TFM_PROGRAMMER_ERROR: the status for a non-secure caller, a system panic for a secure one."""
        self.machine.events.record(self.core, "psa_error", status=status, why=why)
        if caller.secure:
            self.panic(caller, f"{why} ({status_name(status)})")
            return None
        return status

    def accessible(self, caller: Caller, addr: int, size: int, write: bool) -> bool:
        """The caller may read (or write) [addr, addr+size): NS callers only memory the board
        attributes Non-secure (IDAU alias and MPC gating, ``Memory.attribution``). Answers are
        kept (a call checks the same few ranges each time) until the Host's map changes."""
        if size == 0:
            return True
        version = self._host_map.version
        if version != self._access_version:
            self._access_cache, self._access_version = {}, version
        key = (caller.secure, addr, size, write)
        try:
            return self._access_cache[key]
        except KeyError:
            cache = self._access_cache
            if len(cache) >= ACCESS_CACHE_MAX:
                cache.clear()
            ok = cache[key] = self._accessible(caller.secure, addr, size, write)
            return ok

    def _accessible(self, secure: bool, addr: int, size: int, write: bool) -> bool:
        if addr + size > 1 << 32:
            return False
        m = self.machine.memory.maps[self.host].find(addr, size)
        if m is None or m.store is None:
            return False
        if write and m.kind != "ram":
            return False
        return secure or self.machine.memory.attribution(self.host, addr, size) == "non-secure"

    def read_caller(self, addr: int, size: int) -> bytes:
        return self.core.mem_read(addr, size)

    # -- the five client calls ------------------------------------------------------------
    def framework_version(self, caller: Caller) -> int:
        return PSA_FRAMEWORK_VERSION

    @staticmethod
    def forwarded(sid: int) -> Service | None:
        """The proxy manifest's service for ``sid`` (every SID the Host knows is forwarded)."""
        try:
            return service_by_sid(sid)
        except KeyError:
            return None

    def _service(self, caller: Caller, sid: int) -> Service | None:
        svc = self.forwarded(sid)
        if svc is None or (not caller.secure and not svc.ns_allowed):
            return None
        return svc

    # SVC entry points: the arguments come from r0-r3 of the calling context. The client_*
    # methods below are the one validation/forwarding path; scripted clients call them too.
    def version(self, caller: Caller) -> int:
        return self.client_version(caller, *self.core.args(1))

    def connect(self, caller: Caller) -> ForwardOp | int | None:
        return self.client_connect(caller, *self.core.args(2), abi=self.proxy.profile.abi)

    def call(self, caller: Caller) -> ForwardOp | int | None:
        return self.client_call(caller, *self.core.args(4), abi=self.proxy.profile.abi)

    def close(self, caller: Caller) -> ForwardOp | int | None:
        return self.client_close(caller, *self.core.args(1))

    def client_version(self, caller: Caller, sid: int) -> int:
        svc = self._service(caller, sid)
        return svc.version if svc else PSA_VERSION_NONE

    def client_connect(self, caller: Caller, sid: int, version: int,
                       abi: ReleaseAbi = RELEASE_ABIS[DEFAULT_RELEASE]) -> ForwardOp | int | None:
        svc = self.forwarded(sid)
        if svc is None:
            return self.error(caller, PsaStatus.PSA_ERROR_CONNECTION_REFUSED, f"connect to unknown SID {sid:#x}")
        stateless = abi.connect_refusal(sid)
        if stateless is not None:
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, stateless)
        if not caller.secure and not svc.ns_allowed:
            return self.error(caller, PsaStatus.PSA_ERROR_CONNECTION_REFUSED,
                              f"SID {sid:#x} ({svc.name}) does not accept non-secure clients")
        if version != svc.version:
            return self.error(caller, PsaStatus.PSA_ERROR_CONNECTION_REFUSED,
                              f"SID {sid:#x} version {version} requested, service has {svc.version} (STRICT)")
        if len(self.connections) >= HOST_CONN_MAX:
            return PsaStatus.PSA_ERROR_CONNECTION_BUSY
        if host_serves(self, sid):
            return host_connect(self, caller, sid)
        return self._new_op(CONNECT, caller, sid=sid, version=version)

    def _connected(self, op: ForwardOp) -> int | None:
        status, chunk = op.forwarded
        caller = op.caller
        if status == PsaStatus.PSA_SUCCESS:
            return self.add_connection(caller.client_id, op.sid, chunk)
        if status in (PsaStatus.PSA_ERROR_CONNECTION_REFUSED, PsaStatus.PSA_ERROR_CONNECTION_BUSY,
                      PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY):
            return status
        self.panic(caller, f"the proxy replied {status_name(status)} to a CONNECT; TF-M's SPM only accepts "
                           f"success, CONNECTION_REFUSED or CONNECTION_BUSY there")
        return None

    def new_handle(self) -> int:
        """The next connection handle (handles are never reused, as in TF-M's SPM pool)."""
        handle = self._next_handle
        self._next_handle += 1
        return handle

    def add_connection(self, client_id: int, sid: int, chunk: int) -> int:
        """Record a new connection of ``client_id`` to ``sid`` (``chunk``: its forward handle, or
        ``HOST_SERVED``) under a fresh handle, which is returned."""
        handle = self.new_handle()
        self.connections[handle] = Connection(handle, client_id, sid, chunk)
        return handle

    def _connection(self, caller: Caller, handle: int) -> Connection | None:
        conn = self.connections.get(to_int32(handle))
        return conn if conn is not None and conn.client_id == caller.client_id else None

    def client_call(self, caller: Caller, handle: int, params: int, in_addr: int, out_addr: int,
                    abi: ReleaseAbi = RELEASE_ABIS[DEFAULT_RELEASE]) -> ForwardOp | int | None:
        """``params`` is r1 as the release's client ABI sends it (``abi``; scripted clients pass
        their profile's form, ``ReleaseAbi.client_params``)."""
        def read_ctrl(addr: int) -> bytes | None:
            return self.read_caller(addr, 12) if self.accessible(caller, addr, 12, write=True) else None
        try:
            ptype, in_len, out_len = abi.call_params(params, read_ctrl)
        except CallParamError as exc:
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, str(exc))
        conn = self._connection(caller, handle)
        stateless = abi.stateless_sid(handle) if conn is None else None
        if conn is None and stateless is None:
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR,
                              f"psa_call on invalid handle {to_int32(handle)}"
                              + abi.handle_hint(handle))
        if stateless is not None and self._service(caller, stateless) is None:
            return self.error(caller, PsaStatus.PSA_ERROR_CONNECTION_REFUSED,
                              f"stateless handle {handle:#010x}: SID {stateless:#x} refuses this caller")
        if conn is not None and conn.state == "connect_error":
            return PsaStatus.PSA_ERROR_PROGRAMMER_ERROR
        if not self.accessible(caller, in_addr, 8 * in_len, write=False) or \
                not self.accessible(caller, out_addr, 8 * out_len, write=True):
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR,
                              "psa_call in_vec/out_vec array is not accessible to the caller")
        in_pairs = iovec_pairs(self.read_caller(in_addr, 8 * in_len), in_len)       # one read per array
        in_vecs = [Vec(b, n) for b, n in in_pairs]
        out_vecs = [Vec(b, n) for b, n in iovec_pairs(self.read_caller(out_addr, 8 * out_len), out_len)]
        for i, v in enumerate(in_vecs):
            if not self.accessible(caller, v.base, v.len, write=False):
                return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR,
                                  f"in_vec[{i}] {v.base:#010x}+{v.len} is not readable by the caller")
        if inputs_overlap(in_pairs):
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, "input buffers overlap")
        for i, v in enumerate(out_vecs):
            if not self.accessible(caller, v.base, v.len, write=True):
                return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR,
                                  f"out_vec[{i}] {v.base:#010x}+{v.len} is not writable by the caller")
        if conn is not None and conn.chunk == HOST_SERVED:
            return host_call(self, caller, conn, ptype, in_vecs, out_vecs, out_addr)
        if ptype > 0 and not abi.forwards_call_types:
            where = f"handle {conn.handle} (SID {conn.sid:#x})" if conn else f"stateless handle {handle:#010x}"
            self.machine.request_panic(self.core, ProtocolError(
                f"PSA proxy psa_panic(): psa_call type {ptype} on {where}; the {abi.release} proxy forwards only "
                f"PSA_IPC_CALL (type 0) and panics on any other type; caller {caller}"))
            return None
        if conn is None:                # stateless: the handle and the type go to the SE as they are
            return self._new_op(CALL, caller, handle=handle & 0xFFFFFFFF, in_vecs=in_vecs, out_vecs=out_vecs,
                                out_addr=out_addr, stateless_type=ptype if abi.forwards_call_types else 0)
        return self._new_op(CALL, caller, handle=conn.handle, chunk=conn.chunk, in_vecs=in_vecs,
                            out_vecs=out_vecs, out_addr=out_addr)

    def _called(self, op: ForwardOp) -> int | None:
        status, written = op.forwarded
        for i, v in enumerate(op.out_vecs):                      # update_caller_outvec_len
            if v.len:
                self.core.mem_write(op.out_addr + 8 * i + 4, struct.pack("<I", written[i]))
        if status == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR:
            if op.caller.secure:
                self.panic(op.caller, f"the service replied PSA_ERROR_PROGRAMMER_ERROR on handle {op.handle}")
                return None
            conn = self.connections.get(op.handle)
            if conn is not None:
                conn.state = "connect_error"
        return status

    def client_close(self, caller: Caller, handle: int) -> ForwardOp | int | None:
        handle = to_int32(handle)
        if handle == 0:
            return 0
        conn = self._connection(caller, handle)
        if conn is None:
            if caller.secure:
                self.panic(caller, f"psa_close on invalid handle {handle}")
                return None
            return 0
        if conn.chunk == HOST_SERVED:
            self.connections.pop(conn.handle)
            return 0
        return self._new_op(CLOSE, caller, handle=conn.handle, chunk=conn.chunk)

    def _closed(self, op: ForwardOp) -> int:
        self.connections.pop(op.handle, None)
        return 0


def partitions_from_image(core: Core) -> list[Partition]:
    """Secure partitions from the Host image's ``.tfm_sp.<id>`` output sections."""
    from psaemu.proxy.services import PartitionId

    parts = []
    for name, sec in core.image.sections.items():
        m = PARTITION_SECTION.match(name)
        if m:
            pid = int(m.group(1))
            label = PartitionId(pid).name if pid in PartitionId._value2member_map_ else f"partition {pid}"
            parts.append(Partition(pid, label, sec.addr, sec.addr + sec.size))
    return parts


def _rebuild_ready_wait(machine: Machine, core: Core, host: str, number: int) -> Block:
    """After a snapshot restore: the wait of a PSA SVC made before the proxy was ready."""
    system = machine.proxy_system
    if system is None or system.spm.host != host:
        raise ProtocolError(f"the snapshot has core {host!r} waiting for the PSA Proxy, which this machine lacks")
    return system.spm.ready_wait(core, number)


def _rebuild_forward_wait(machine: Machine, core: Core, host: str, op_id: int, number: int) -> Block:
    """After a snapshot restore: the wait of a PSA SVC whose forwarded operation is in flight."""
    system = machine.proxy_system
    if system is None or system.spm.host != host or op_id not in system.spm.ops:
        raise ProtocolError(f"the snapshot has core {host!r} waiting for forwarded operation #{op_id} of the "
                            f"PSA Proxy, which this machine lacks")
    return system.spm.forward_wait(core, op_id, number)


register_wait(READY_WAIT, _rebuild_ready_wait)
register_wait(FORWARD_WAIT, _rebuild_forward_wait)
