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
from typing import Callable, Generator

import unicorn.arm_const as A

from psaemu.platform.core import Block, Core
from psaemu.platform.errors import ProtocolError
from psaemu.platform.machine import Machine
from psaemu.platform.snapshot import register_wait
from psaemu.proxy.forwarder import Proxy, Vec
from psaemu.proxy.mailbox import SvcV13
from psaemu.proxy.services import DEFAULT_NS_CLIENT_ID, Service, service_by_sid
from psaemu.proxy.structs import inputs_overlap, iovec_counts_ok, iovec_pairs
from psaemu.proxy.status import PSA_FRAMEWORK_VERSION, PSA_MAX_IOVEC, PSA_VERSION_NONE, PsaStatus, status_name, to_int32
from psaemu.proxy.veneers import VeneerRegion, install_veneers

#: Host SPM connection pool. Larger than the proxy's 16 forward handles, so the 17th
#: connection is refused by the proxy (PSA_ERROR_INSUFFICIENT_MEMORY) as the proxy documents.
HOST_CONN_MAX = 32
PARTITION_SECTION = re.compile(r"^\.tfm_sp\.(\d+)$")
SECURE_PROGRAMMER_ERRORS = (PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, PsaStatus.PSA_ERROR_CONNECTION_REFUSED)
#: The SVCs that go through the proxy: made before its boot handshake, they wait for it first.
FORWARDED_SVCS = frozenset(int(n) for n in (SvcV13.TFM_SVC_PSA_CONNECT, SvcV13.TFM_SVC_PSA_CALL,
                                            SvcV13.TFM_SVC_PSA_CLOSE))
#: The partition of a Secure caller outside every ``.tfm_sp.<id>`` section (client id 0).
OUTSIDE_PARTITIONS = "secure code outside every partition"
#: ``Block.resume`` key of that wait (snapshots hold it; see :func:`_rebuild_ready_wait`).
READY_WAIT = "host_spm.proxy_ready"


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


@dataclass(eq=False)
class Forwarding:
    """The caller whose forwarded operation holds the proxy (``HostSpm.forwarding``)."""

    caller: Caller


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
        self._fast = self.core.fast                   # raw Unicorn accessors of the Host core
        self._rd_args = self._fast.reader((A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3))
        self.connections: dict[int, Connection] = {}
        self._next_handle = 1
        self.forwarding: Forwarding | None = None    # the forwarded operation holding the proxy
        self.forward_queue: list[Forwarding] = []     # operations waiting for it, first come first served
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
        caller = self.identify(core.pc - 2)
        self.machine.events.record(core, "psa_svc", number=number, client=caller.client_id)
        if number in FORWARDED_SVCS and not self.proxy.ready:
            return self.ready_wait(core, number)
        return self._run(core, number, caller)

    def _run(self, core: Core, number: int, caller: Caller) -> bool | Block:
        result = self._handlers[number](caller)
        if isinstance(result, Generator):
            return self._drive(core, result, number)
        if result is not None:
            self._set_r0(core, result)
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

    @staticmethod
    def _set_r0(core: Core, value: int) -> None:
        """The status for the caller: r0 is not privilege-checked, so no Handler-mode borrow is needed."""
        core.fast.reg_write(A.UC_ARM_REG_R0, int(value) & 0xFFFFFFFF)

    def _drive(self, core: Core, op: Generator, number: int) -> bool | Block:
        """Run a blocking operation: each yielded condition blocks the caller until it holds."""
        what = f"the SE's reply (PSA SVC {number}; see the IPC monitor's last record)"

        def pump() -> Block | None:
            try:
                while True:
                    cond = op.send(None)
                    if not cond():
                        return Block(cond, pump, what, self.reply_budget_cycles)
            except StopIteration as stop:
                if stop.value is not None:
                    self._set_r0(core, stop.value)
                return None

        pending = pump()
        return pending if pending is not None else True

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

    def reg(self, n: int) -> int:
        return self._fast.reg_read(A.UC_ARM_REG_R0 + n)

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
        attributes Non-secure (IDAU alias and MPC gating, ``Memory.attribution``)."""
        if size == 0:
            return True
        if addr + size > 1 << 32:
            return False
        m = self.machine.memory.maps[self.host].find(addr, size)
        if m is None or m.store is None:
            return False
        if write and m.kind != "ram":
            return False
        return caller.secure or self.machine.memory.attribution(self.host, addr, size) == "non-secure"

    def read_caller(self, addr: int, size: int) -> bytes:
        return self._fast.mem_read(addr, size) if size else b""

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
        return self.client_version(caller, self.reg(0))

    def connect(self, caller: Caller) -> Generator | int | None:
        return self.client_connect(caller, self.reg(0), self.reg(1))

    def call(self, caller: Caller) -> Generator | int | None:
        return self.client_call(caller, *self._rd_args())

    def close(self, caller: Caller) -> Generator | int | None:
        return self.client_close(caller, self.reg(0))

    def _forward(self, caller: Caller, op: Generator) -> Generator:
        """Forwarded operations hold the proxy one at a time (TF-M's proxy is one partition
        thread): a Host SVC and a scripted call never share the mailbox slot or the buffer."""
        token = Forwarding(caller)
        queue = self.forward_queue
        queue.append(token)
        try:
            while self.forwarding is not None or queue[0] is not token:
                yield lambda: self.forwarding is None and queue[0] is token
            queue.pop(0)
            self.forwarding = token
            return (yield from op)
        finally:
            if token in queue:
                queue.remove(token)
            if self.forwarding is token:
                self.forwarding = None

    def client_version(self, caller: Caller, sid: int) -> int:
        svc = self._service(caller, sid)
        return svc.version if svc else PSA_VERSION_NONE

    def client_connect(self, caller: Caller, sid: int, version: int) -> Generator | int | None:
        svc = self.forwarded(sid)
        if svc is None:
            return self.error(caller, PsaStatus.PSA_ERROR_CONNECTION_REFUSED, f"connect to unknown SID {sid:#x}")
        if not caller.secure and not svc.ns_allowed:
            return self.error(caller, PsaStatus.PSA_ERROR_CONNECTION_REFUSED,
                              f"SID {sid:#x} ({svc.name}) does not accept non-secure clients")
        if version != svc.version:
            return self.error(caller, PsaStatus.PSA_ERROR_CONNECTION_REFUSED,
                              f"SID {sid:#x} version {version} requested, service has {svc.version} (STRICT)")
        if len(self.connections) >= HOST_CONN_MAX:
            return PsaStatus.PSA_ERROR_CONNECTION_BUSY
        return self._connect_op(caller, sid, version)

    def _connect_op(self, caller: Caller, sid: int, version: int) -> Generator:
        status, chunk = yield from self._forward(caller, self.proxy.connect(sid, version, caller.client_id,
                                                                              origin=caller.client_origin))
        if status == PsaStatus.PSA_SUCCESS:
            handle = self._next_handle
            self._next_handle += 1
            self.connections[handle] = Connection(handle, caller.client_id, sid, chunk)
            return handle
        if status in (PsaStatus.PSA_ERROR_CONNECTION_REFUSED, PsaStatus.PSA_ERROR_CONNECTION_BUSY,
                      PsaStatus.PSA_ERROR_INSUFFICIENT_MEMORY):
            return status
        self.panic(caller, f"the proxy replied {status_name(status)} to a CONNECT; TF-M's SPM only accepts "
                           f"success, CONNECTION_REFUSED or CONNECTION_BUSY there")
        return None

    def _connection(self, caller: Caller, handle: int) -> Connection | None:
        conn = self.connections.get(to_int32(handle))
        return conn if conn is not None and conn.client_id == caller.client_id else None

    def client_call(self, caller: Caller, handle: int, ctrl_addr: int, in_addr: int,
                    out_addr: int) -> Generator | int | None:
        if not self.accessible(caller, ctrl_addr, 12, write=True):
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR,
                              f"psa_call control block at {ctrl_addr:#010x} is not accessible to the caller")
        ptype, in_len, out_len = struct.unpack("<iII", self.read_caller(ctrl_addr, 12))
        if ptype < 0:
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, f"psa_call type {ptype} < 0")
        if not iovec_counts_ok(in_len, out_len):
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR,
                              f"psa_call in_len {in_len} + out_len {out_len} exceeds {PSA_MAX_IOVEC}")
        conn = self._connection(caller, handle)
        if conn is None:
            return self.error(caller, PsaStatus.PSA_ERROR_PROGRAMMER_ERROR,
                              f"psa_call on invalid handle {to_int32(handle)}")
        if conn.state == "connect_error":
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
        if ptype > 0:
            self.machine.request_panic(self.core, ProtocolError(
                f"PSA proxy psa_panic(): psa_call type {ptype} on handle {conn.handle} (SID {conn.sid:#x}); the "
                f"TF-M v1.3 proxy forwards only PSA_IPC_CALL (type 0) and panics on any other type; caller {caller}"))
            return None
        return self._call_op(caller, conn, in_vecs, out_vecs, out_addr)

    def _call_op(self, caller: Caller, conn: Connection, in_vecs: list[Vec], out_vecs: list[Vec],
                 out_addr: int) -> Generator:
        status, written = yield from self._forward(
            caller, self.proxy.call(conn.chunk, in_vecs, out_vecs, caller.client_id, conn.handle,
                                    origin=caller.client_origin))
        for i, v in enumerate(out_vecs):                         # update_caller_outvec_len
            if v.len:
                self._fast.mem_write(out_addr + 8 * i + 4, struct.pack("<I", written[i]))
        if status == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR:
            if caller.secure:
                self.panic(caller, f"the service replied PSA_ERROR_PROGRAMMER_ERROR on handle {conn.handle}")
                return None
            conn.state = "connect_error"
        return status

    def client_close(self, caller: Caller, handle: int) -> Generator | int | None:
        handle = to_int32(handle)
        if handle == 0:
            return 0
        conn = self._connection(caller, handle)
        if conn is None:
            if caller.secure:
                self.panic(caller, f"psa_close on invalid handle {handle}")
                return None
            return 0
        return self._close_op(caller, conn)

    def _close_op(self, caller: Caller, conn: Connection) -> Generator:
        yield from self._forward(caller, self.proxy.close(conn.chunk, caller.client_id, conn.handle,
                                                          origin=caller.client_origin))
        del self.connections[conn.handle]
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


register_wait(READY_WAIT, _rebuild_ready_wait)
