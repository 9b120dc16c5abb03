"""Scripted PSA clients: call the Host's PSA client API from Python.

A :class:`PsaClient` (``system.psa``, also ``machine.psa`` once the proxy is attached) makes the
five PSA client calls the way Host firmware makes them, through the SAME code: the Host SPM
model's ``client_*`` methods (the ones its SVC handlers call) validate the call and hand it to
the proxy, which forwards it through shared SRAM and the MHU to the SE (real firmware or a
:class:`~psaemu.proxy.se_standin.SeStandin`). Only the caller differs: a scripted client is a
non-secure client (client id -1) unless made with :meth:`PsaClient.as_partition`. It speaks the
client ABI of the machine's release profile (:attr:`PsaClient.abi`): the psa_call parameter
form, and for the typed helpers stateless handles instead of connections where the release has
them (``ReleaseAbi.route``), its crypto ids and key attributes (docs/profiles.md).

Memory: the call's control block, IOVEC arrays and buffers are written into a *scratch area* of
Host Non-secure RAM that the Host image does not use (its sections, its stack and the proxy's
shared memory are avoided; see :func:`find_scratch`), so the SPM checks them exactly as it checks
a firmware caller's memory. While an operation waits for the SE, the machine runs in bounded
chunks (``Machine.run``); every wait has a virtual-time budget, an instruction budget and a
wall-clock timeout, and a failed wait raises an error that names what it waited for.

It works with no Host firmware (:func:`boot_se_only`, or a Host core held in reset) and with
Host firmware that is idle (WFI; not after the machine has ended (a firmware
exit, a fault or a panic). Host SVCs and scripted calls take the proxy in turn, first come first
served (``HostSpm.advance``): they never share the mailbox slot or the shared buffer.

A forwarded operation can also be started without waiting (:meth:`PsaClient.begin_connect`,
:meth:`~PsaClient.begin_call`, :meth:`~PsaClient.begin_close`): it is then data in the Host SPM
(a :class:`~psaemu.proxy.operation.ForwardOp`), the machine can run, be snapshotted and restored
while it is in flight, and :meth:`PsaClient.finish` (by operation id, also on a machine restored
from a snapshot: :meth:`PsaClient.pending`) waits for it and returns what the blocking call would.
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Union

from psaemu.platform.errors import ConfigError, EmuTimeoutError, ProtocolError, PsaEmuError
from psaemu.proxy.abi import CallParamError, ReleaseAbi
from psaemu.proxy.host_platform import served_on_host
from psaemu.proxy.operation import CALL, CONNECT, ForwardOp
from psaemu.proxy.services import (
    ITS_MAX_ASSET_SIZE,
    PS_MAX_ASSET_SIZE,
    PSA_ALG_SHA_256,
    PSA_HASH_MAX_SIZE,
    PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE,
    PartitionId,
    service_by_name,
)
from psaemu.proxy.spm import Caller
from psaemu.proxy.status import PsaStatus, psa_handle_is_valid, status_name, to_int32
from psaemu.proxy.structs import PsaStorageInfo, iovec_pairs

if TYPE_CHECKING:
    from psaemu.platform.system.machine import Machine
    from psaemu.proxy.crypto_client import CryptoClient
    from psaemu.proxy.monitor import IpcRecord
    from psaemu.proxy.system import ProxySystem

__all__ = ["PsaClient", "CallResult", "Handle", "HostRef", "PsaError", "PsaPanic", "ScriptedCallError",
           "ScratchArea", "find_scratch", "boot_se_only", "as_status",
           "SID_ITS_SET", "SID_ITS_GET", "SID_ITS_GET_INFO", "SID_ITS_REMOVE", "SID_PS_SET", "SID_PS_GET",
           "SID_PS_GET_INFO", "SID_PS_REMOVE", "SID_PS_GET_SUPPORT", "SID_CRYPTO", "SID_ATTEST_GET_TOKEN",
           "SID_ATTEST_GET_TOKEN_SIZE", "SID_ATTEST_GET_PUBLIC_KEY"]

SID_CRYPTO = service_by_name("TFM_CRYPTO").sid
SID_ATTEST_GET_TOKEN = service_by_name("TFM_ATTEST_GET_TOKEN").sid
SID_ATTEST_GET_TOKEN_SIZE = service_by_name("TFM_ATTEST_GET_TOKEN_SIZE").sid
SID_ATTEST_GET_PUBLIC_KEY = service_by_name("TFM_ATTEST_GET_PUBLIC_KEY").sid
SID_ITS_SET, SID_ITS_GET, SID_ITS_GET_INFO, SID_ITS_REMOVE = (
    service_by_name(f"TFM_ITS_{n}").sid for n in ("SET", "GET", "GET_INFO", "REMOVE"))
SID_PS_SET, SID_PS_GET, SID_PS_GET_INFO, SID_PS_REMOVE, SID_PS_GET_SUPPORT = (
    service_by_name(f"TFM_PS_{n}").sid for n in ("SET", "GET", "GET_INFO", "REMOVE", "GET_SUPPORT"))

#: Instructions per ``Machine.run`` chunk while an operation waits.
DEFAULT_CHUNK = 50_000
#: Default budgets of one wait: Host-side virtual time, instructions executed, wall clock.
DEFAULT_REPLY_BUDGET_S = 10.0
DEFAULT_MAX_INSTRUCTIONS = 500_000_000
DEFAULT_TIMEOUT_S = 120.0
#: ``Machine.run`` calls in a row that end with nothing able to run ("deadlock") before a wait
#: gives up (the machine already lets Python agents answer each other before it says so).
IDLE_ROUNDS = 2
SCRATCH_ALIGN = 64
_ALIGN = 8


# --------------------------------------------------------------------------------------------
# Values
class Handle(int):
    """A connection handle returned by :meth:`PsaClient.connect`. ``call`` takes a ``Handle`` as
    a handle and a plain ``int`` as a SID; wrap any number (``Handle(1234)``) to pass it as a
    handle, valid or not."""

    def __repr__(self) -> str:
        return f"Handle({int(self)})"


@dataclass(frozen=True)
class HostRef:
    """An IOVEC that points at Host memory as it is (nothing is copied into the scratch area):
    ``inputs=[HostRef(0x0A260000, 16)]``, ``output_sizes=[HostRef(addr, 32)]``. The SPM checks it
    like any other caller buffer, so it is also how to hand the SPM a bad pointer."""

    addr: int
    len: int

    def __len__(self) -> int:
        return self.len


def as_status(value: int) -> PsaStatus | int:
    """A ``PsaStatus`` when the value is one, else the plain int (positive platform statuses,
    unknown codes)."""
    try:
        return PsaStatus(to_int32(value))
    except ValueError:
        return to_int32(value)


@dataclass
class CallResult:
    """What ``psa_call`` returned and what the caller's output buffers hold afterwards.

    ``outputs[i]`` is ``out_vec[i].base[0:out_vec[i].len]`` read after the call, as a C caller
    would see it: on ``PSA_SUCCESS`` the bytes the SE wrote; after a forwarded error the SPM
    reports 0 bytes; when the SPM rejects the call before forwarding it leaves the lengths as
    given. ``connect_status``: with a SID, what ``psa_connect`` returned (a handle when > 0; when
    it failed, ``status`` is that error and no call was made). ``records``: the IPC monitor
    records of the whole operation.
    """

    status: PsaStatus | int
    outputs: list[bytes]
    connect_status: int | None = None
    records: list["IpcRecord"] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == PsaStatus.PSA_SUCCESS

    def check(self) -> "CallResult":
        """Raise :class:`PsaError` unless the status is ``PSA_SUCCESS``."""
        if not self.ok:
            raise PsaError(self.status, "psa_call", self)
        return self


class PsaError(PsaEmuError):
    """A typed helper's service call did not return ``PSA_SUCCESS``; ``status`` says what it did."""

    def __init__(self, status: int, what: str, result: CallResult | None = None) -> None:
        self.status = as_status(status)
        self.result = result
        super().__init__(f"{what} returned {status_name(int(status))}")


class PsaPanic(ProtocolError):
    """The Host SPM or the proxy panicked on a scripted call (a secure caller's programmer error,
    a ``psa_call`` type > 0...). The machine is stopped, as after a firmware panic: ``Machine.run``
    returns reason ``panic``."""


class ScriptedCallError(PsaEmuError):
    """A scripted operation could not complete: the machine ended (exit, fault), a debugger stop
    interrupted the wait, or the call does not fit the scratch area."""


# --------------------------------------------------------------------------------------------
# Scratch memory
@dataclass(frozen=True)
class ScratchArea:
    """Host Non-secure RAM the scripted client may use: ``[base, base + size)`` (Host addresses)."""

    base: int
    size: int
    origin: str = ""

    @property
    def end(self) -> int:
        return self.base + self.size

    def __str__(self) -> str:
        return f"Host {self.base:#010x}..{self.end - 1:#010x} ({self.size:#x} bytes{', ' + self.origin if self.origin else ''})"


def _reserved(machine: "Machine", host: str, placement: Any) -> dict[str, list[tuple[int, int, str]]]:
    """Bytes of each Host store that the Host image or the proxy uses: (start, end, what) as
    store offsets, so every alias of the same bytes is covered."""
    amap = machine.memory.maps[host]
    out: dict[str, list[tuple[int, int, str]]] = {}

    def add(addr: int, size: int, what: str) -> None:
        while size > 0:
            m = amap.find(addr)
            if m is None or m.store is None:
                return
            n = min(size, m.end - addr)
            off = m.offset + addr - m.base
            out.setdefault(m.store.name, []).append((off, off + n, what))
            addr, size = addr + n, size - n

    core = machine.cores[host]
    image = core.image
    if image is not None:
        name = Path(image.path).name
        for sname, sec in image.sections.items():
            if sec.size:
                add(sec.addr, sec.size, f"section {sname} of {name}")
        syms = image.symbols
        if "__StackLimit" in syms and "__StackTop" in syms and syms["__StackTop"] > syms["__StackLimit"]:
            add(syms["__StackLimit"], syms["__StackTop"] - syms["__StackLimit"], f"the stack of {name}")
        elif image.vector_table is not None:
            # no stack symbols: everything from the highest used byte below the initial MSP up to it
            msp = core.read_word(image.vector_table) & ~7
            m = amap.find(msp - 1)
            if m is not None and m.store is not None:
                top = m.offset + msp - m.base
                below = [e for s, e, _ in out.get(m.store.name, []) if e <= top]
                start = max(below, default=m.offset)
                add(m.base + start - m.offset, top - start, f"the stack of {name} (initial MSP {msp:#010x})")
    if placement is not None:
        add(placement.host_base, placement.region_size, "the PSA Proxy's shared memory")
    return out


def _free(lo: int, hi: int, used: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    spans, cur = [], lo
    for s, e, _ in sorted(used):
        if e <= cur or s >= hi:
            continue
        if s > cur:
            spans.append((cur, s))
        cur = max(cur, e)
    if cur < hi:
        spans.append((cur, hi))
    return spans


def non_secure_ram(machine: "Machine", host: str) -> list[tuple[Any, int, int]]:
    """(mapping, start, end store offsets) of the Host's Non-secure RAM: RAM mappings of a
    Non-secure alias, less the parts the board's MPCs keep Secure."""
    out = []
    spans = machine.memory.security[host]
    for m in machine.memory.maps[host].mappings:
        if m.store is None or m.kind != "ram" or m.secure is not False:
            continue
        parts = [(max(m.base, sp.base), min(m.end, sp.end)) for sp in spans
                 if not sp.secure and sp.base < m.end and m.base < sp.end] if spans else [(m.base, m.end)]
        out += [(m, m.offset + lo - m.base, m.offset + hi - m.base) for lo, hi in parts if lo < hi]
    return out


def find_scratch(machine: "Machine", host: str = "host", placement: Any = None, *,
                 size: int | None = None, scratch: tuple[int, int] | None = None) -> ScratchArea:
    """The scratch area of a scripted client.

    With ``scratch=(base, size)``: that range, checked to be Host Non-secure RAM the Host image
    (sections, stack) and the proxy's shared memory do not use. Otherwise the top of the largest
    unused range of Host Non-secure RAM (Musca-B1 without Host firmware: the 256 KiB of the SRAM's
    Non-secure alias its MPC leaves Non-secure, 0x20040000..), or, with ``size``, the top ``size`` bytes of the highest unused range
    that holds them. ConfigError when nothing fits.
    """
    amap = machine.memory.maps[host]
    reserved = _reserved(machine, host, placement)
    if scratch is not None:
        base, length = scratch
        m = amap.find(base, length)
        if length <= 0 or m is None or m.store is None or m.kind != "ram" or m.secure is not False or \
                machine.memory.attribution(host, base, length) == "secure":
            raise ConfigError(f"scratch area {base:#010x}+{length:#x} is not inside one Non-secure RAM region of "
                              f"core {host!r} (a scripted client is a non-secure client: its buffers must be "
                              f"Non-secure memory)\n{amap.describe()}")
        off = m.offset + base - m.base
        clash = [what for s, e, what in reserved.get(m.store.name, []) if s < off + length and off < e]
        if clash:
            raise ConfigError(f"scratch area {base:#010x}+{length:#x} overlaps {', '.join(sorted(set(clash)))}; "
                              f"choose Host Non-secure RAM the Host image does not use")
        return ScratchArea(base, length, "given")
    best: tuple[int, int, int] | None = None                     # (length, base, region end)
    for m, lo, hi in non_secure_ram(machine, host):
        for s, e in _free(lo, hi, reserved.get(m.store.name, [])):
            base = m.base + s - m.offset
            end = m.base + e - m.offset
            base = (base + SCRATCH_ALIGN - 1) & ~(SCRATCH_ALIGN - 1)
            if end - base <= 0:
                continue
            if size is not None:
                if end - base < size:
                    continue
                start = (end - size) & ~(SCRATCH_ALIGN - 1)
                cand = (end - start, start, end)
                if best is None or cand[1] > best[1]:
                    best = cand
            else:
                cand = (end - base, base, end)
                if best is None or cand > best:
                    best = cand
    if best is None:
        want = f"{size:#x} bytes of " if size else ""
        raise ConfigError(f"no {want}Host Non-secure RAM is free for the scripted client's scratch area (the Host "
                          f"image and the proxy use it all); pass scratch=(base, size)\n{amap.describe()}")
    length, base, _ = best
    return ScratchArea(base, length if size is None else size, "unused Host Non-secure RAM")


# --------------------------------------------------------------------------------------------
# The client
@dataclass
class _Settings:
    scratch_spec: tuple[int, int] | None
    scratch_size: int | None
    chunk: int
    reply_budget_s: float
    max_instructions: int
    timeout_s: float | None
    scratch: ScratchArea | None = None


Vector = Union[bytes, bytearray, memoryview, HostRef, None]
OutSpec = Union[int, HostRef]


class PsaClient:
    """A scripted PSA client of the Host (see the module docstring). Statuses are ``PsaStatus``."""

    def __init__(self, system: "ProxySystem", caller: Caller | None = None, *,
                 scratch: tuple[int, int] | None = None, scratch_size: int | None = None,
                 chunk_instructions: int = DEFAULT_CHUNK, reply_budget_s: float = DEFAULT_REPLY_BUDGET_S,
                 max_instructions: int = DEFAULT_MAX_INSTRUCTIONS, timeout_s: float | None = DEFAULT_TIMEOUT_S,
                 _settings: _Settings | None = None) -> None:
        self.system = system
        self.machine: "Machine" = system.machine
        self.spm = system.spm
        self.caller = caller or Caller(-1, False, 0, "scripted non-secure client", scripted=True)
        self.settings = _settings or _Settings(scratch, scratch_size, chunk_instructions, reply_budget_s,
                                               max_instructions, timeout_s)
        self._records: list["IpcRecord"] | None = None     # collects the records of one call()

    def __repr__(self) -> str:
        return f"<PsaClient {self.caller}>"

    # -- identity ---------------------------------------------------------------------------
    def as_partition(self, pid: int | PartitionId) -> "PsaClient":
        """The same client calling as secure partition ``pid`` (positive client id): programmer
        errors panic the system instead of returning an error, as for firmware partitions."""
        pid = int(pid)
        if pid <= 0:
            raise ValueError(f"a secure partition id is positive; {pid} would be a non-secure client id")
        name = PartitionId(pid).name if pid in PartitionId._value2member_map_ else f"partition {pid}"
        return PsaClient(self.system, Caller(pid, True, 0, f"scripted {name}", scripted=True),
                         _settings=self.settings)

    def as_non_secure(self, client_id: int = -1) -> "PsaClient":
        """The same client as a non-secure caller (negative client id, -1 by default)."""
        if client_id >= 0:
            raise ValueError(f"a non-secure client id is negative, got {client_id}")
        return PsaClient(self.system, Caller(client_id, False, 0, "scripted non-secure client", scripted=True),
                         _settings=self.settings)

    @property
    def abi(self) -> ReleaseAbi:
        """The client ABI of the machine's release profile (``--profile``): how this client passes
        psa_call parameters, which services it calls on stateless handles, the crypto function
        ids and key-attribute layout it sends (psaemu.proxy.abi)."""
        return self.system.proxy.profile.abi

    @property
    def scratch(self) -> ScratchArea:
        """The scratch area (chosen on first use)."""
        s = self.settings
        if s.scratch is None:
            s.scratch = find_scratch(self.machine, self.spm.host, self.system.placement, size=s.scratch_size,
                                     scratch=s.scratch_spec)
        return s.scratch

    # -- the PSA client API -----------------------------------------------------------------
    def framework_version(self) -> int:
        """``psa_framework_version()``: 0x0101."""
        self._event("framework_version")
        return int(self.spm.framework_version(self.caller))

    def version(self, sid: int) -> int:
        """``psa_version(sid)``: the service's version, 0 (``PSA_VERSION_NONE``) when it is unknown
        or refuses this caller."""
        self._event("version", sid=sid)
        return int(self.spm.client_version(self.caller, sid & 0xFFFFFFFF))

    def connect(self, sid: int, version: int = 1) -> Handle | PsaStatus | int:
        """``psa_connect(sid, version)``: a :class:`Handle`, or the error status."""
        self._event("connect", sid=sid, version=version)
        value = self._complete(self.spm.client_connect(self.caller, sid & 0xFFFFFFFF, version & 0xFFFFFFFF,
                                                       abi=self.abi), f"psa_connect(SID {sid:#x})")
        value = to_int32(value)
        return Handle(value) if psa_handle_is_valid(value) else as_status(value)

    def close(self, handle: int) -> None:
        """``psa_close(handle)``."""
        self._event("close", handle=int(handle))
        self._complete(self.spm.client_close(self.caller, int(handle) & 0xFFFFFFFF), f"psa_close({int(handle)})",
                       void=True)

    def call(self, target: int, type: int = 0, inputs: Iterable[Vector] = (),
             output_sizes: Iterable[OutSpec] = ()) -> CallResult:
        """``psa_call``. ``target``: a :class:`Handle` (an open connection, or a stateless handle
        such as ``Handle(0x40000100)`` under ``tfm-1.4`` and later) or a SID, for which the call is
        connect -> call -> close as TF-M v1.3's client library does it. ``inputs``:
        bytes (copied into the scratch area), :class:`HostRef` or None (NULL, length 0).
        ``output_sizes``: buffer sizes (zero-filled scratch buffers) or :class:`HostRef`."""
        inputs, outs = list(inputs), list(output_sizes)
        outer, self._records = self._records, []
        try:
            result = self._call(target, type, inputs, outs)
            result.records = self._records
        finally:
            if outer is not None:
                outer.extend(self._records)
            self._records = outer
        return result

    def _call(self, target: int, type: int, inputs: list[Vector], outs: list[OutSpec]) -> CallResult:
        if isinstance(target, Handle):
            result = self._call_handle(int(target), type, inputs, outs)
        else:
            sid = int(target)
            handle = self.connect(sid)
            if not isinstance(handle, Handle):
                result = CallResult(handle, [b""] * len(outs), int(handle))
            else:
                result = self._call_handle(int(handle), type, inputs, outs)
                result.connect_status = int(handle)
                self.close(handle)
        return result

    # -- typed helpers: Internal Trusted Storage / Protected Storage ------------------------
    # Each goes through _request (the profile's route) and mirrors the TF-M v1.3 client function
    # (wire format: TF-M v1.3.0 ``interface/src/tfm_its_ipc_api.c``, ``tfm_ps_ipc_api.c``): a
    # failed connect gives PSA_ERROR_GENERIC_ERROR. A helper whose C function only returns a status
    # returns it; a helper that returns data raises PsaError for any status but PSA_SUCCESS.
    def its_set(self, uid: int, data: bytes, flags: int = 0) -> PsaStatus | int:
        return self._storage_set(SID_ITS_SET, uid, data, flags)

    def its_get(self, uid: int, offset: int = 0, size: int = ITS_MAX_ASSET_SIZE) -> bytes:
        return self._storage_get(SID_ITS_GET, "psa_its_get", uid, offset, size)

    def its_get_info(self, uid: int) -> PsaStorageInfo:
        return self._storage_info(SID_ITS_GET_INFO, "psa_its_get_info", uid)

    def its_remove(self, uid: int) -> PsaStatus | int:
        return self._request(SID_ITS_REMOVE, [_u64(uid)], []).status

    def ps_set(self, uid: int, data: bytes, flags: int = 0) -> PsaStatus | int:
        return self._storage_set(SID_PS_SET, uid, data, flags)

    def ps_get(self, uid: int, offset: int = 0, size: int = PS_MAX_ASSET_SIZE) -> bytes:
        return self._storage_get(SID_PS_GET, "psa_ps_get", uid, offset, size)

    def ps_get_info(self, uid: int) -> PsaStorageInfo:
        return self._storage_info(SID_PS_GET_INFO, "psa_ps_get_info", uid)

    def ps_remove(self, uid: int) -> PsaStatus | int:
        return self._request(SID_PS_REMOVE, [_u64(uid)], []).status

    def ps_get_support(self) -> int:
        """``psa_ps_get_support()``: the flags (0 when the call fails, as the C function)."""
        r = self._request(SID_PS_GET_SUPPORT, [], [4])
        return struct.unpack("<I", r.outputs[0])[0] if r.ok and len(r.outputs[0]) == 4 else 0

    def _storage_set(self, sid: int, uid: int, data: bytes, flags: int) -> PsaStatus | int:
        return self._request(sid, [_u64(uid), bytes(data), struct.pack("<I", flags & 0xFFFFFFFF)], []).status

    def _storage_get(self, sid: int, what: str, uid: int, offset: int, size: int) -> bytes:
        r = self._request(sid, [_u64(uid), struct.pack("<I", offset & 0xFFFFFFFF)], [size])
        return _data(r, f"{what}(uid {uid:#x})")[0]

    def _storage_info(self, sid: int, what: str, uid: int) -> PsaStorageInfo:
        r = self._request(sid, [_u64(uid)], [PsaStorageInfo.SIZE])
        out = _data(r, f"{what}(uid {uid:#x})")[0]
        return PsaStorageInfo.unpack(out.ljust(PsaStorageInfo.SIZE, b"\0"))

    # -- typed helpers: Crypto (docs/crypto-wire.md; every family in psaemu.proxy.crypto_client) --
    @property
    def crypto(self) -> "CryptoClient":
        """The PSA Crypto API of the client library (:class:`~psaemu.proxy.crypto_client.CryptoClient`)."""
        from psaemu.proxy.crypto_client import CryptoClient
        return CryptoClient(self)

    def hash_compute(self, alg: int, data: bytes | HostRef, hash_size: int = PSA_HASH_MAX_SIZE) -> bytes:
        """``psa_hash_compute`` (= ``crypto.hash_compute``)."""
        return self.crypto.hash_compute(alg, data, hash_size)

    def hash_sha256(self, data: bytes) -> bytes:
        """SHA-256 of ``data`` computed by the SE's Crypto service."""
        return self.crypto.hash_compute(PSA_ALG_SHA_256, data, 32)

    def generate_random(self, n: int) -> bytes:
        """``psa_generate_random`` (= ``crypto.generate_random``)."""
        return self.crypto.generate_random(n)

    # -- typed helpers: Initial Attestation (docs/attestation.md) ----------------------------
    def attest_token(self, challenge: bytes, token_buf_size: int = PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE) -> bytes:
        """``psa_initial_attest_get_token``: the token (COSE_Sign1, or COSE_Mac0 on a board whose
        engine says ``attestation = "symmetric"``; check it with
        :func:`psaemu.proxy.attestation.verify_token` and :meth:`attest_public_key`)."""
        r = self._request(SID_ATTEST_GET_TOKEN, [bytes(challenge)], [token_buf_size], connect_error=None)
        return _data(r, f"psa_initial_attest_get_token({len(challenge)}-byte challenge)")[0]

    def attest_token_size(self, challenge_size: int) -> int:
        """``psa_initial_attest_get_token_size``."""
        r = self._request(SID_ATTEST_GET_TOKEN_SIZE, [struct.pack("<I", challenge_size)], [4], connect_error=None)
        return struct.unpack("<I", _data(r, f"psa_initial_attest_get_token_size({challenge_size})")[0])[0]

    def attest_public_key(self, key_buf_size: int = 65) -> bytes:
        """``tfm_initial_attest_get_public_key`` (TF-M v1.3, SID 0x22): the IAK public key
        0x04 || X || Y (the curve output must say PSA_ECC_FAMILY_SECP_R1, the length output the
        key's length; PsaError otherwise, e.g. PSA_ERROR_NOT_SUPPORTED with a symmetric IAK)."""
        r = self._request(SID_ATTEST_GET_PUBLIC_KEY, [], [key_buf_size, 1, 4], connect_error=None)
        key, curve, length = _data(r, "tfm_initial_attest_get_public_key")
        if curve != b"\x12" or length != struct.pack("<I", len(key)):
            raise ProtocolError(f"tfm_initial_attest_get_public_key: curve {curve.hex()} and length "
                                f"{length.hex()} do not describe the {len(key)}-byte P-256 key returned")
        return key

    def _request(self, sid: int, inputs: list[Vector], outs: list[OutSpec],
                 connect_error: int | None = PsaStatus.PSA_ERROR_GENERIC_ERROR) -> CallResult:
        """One service request as the profile's client library makes it: on the release's stateless
        handle with the function's type (``ReleaseAbi.route``), else connect -> call -> close on
        ``sid``, where a failed connect gives ``connect_error`` (None: the connect result itself, as
        the attestation client)."""
        route = self.abi.route(sid)
        if route is not None:
            return self.call(Handle(route[0]), route[1], inputs, outs)
        r = self.call(sid, 0, inputs, outs)
        if r.connect_status is not None and not psa_handle_is_valid(r.connect_status) and connect_error is not None:
            r.status = as_status(connect_error)
        return r

    # -- waiting ----------------------------------------------------------------------------
    def wait_ready(self) -> None:
        """Run the machine until the proxy's boot handshake with the SE is complete."""
        proxy = self.system.proxy
        if not proxy.ready:
            self._run_until(lambda: proxy.ready, lambda: self._what("the handshake"))

    def _what(self, op: str) -> str:
        proxy, spm = self.system.proxy, self.spm
        if not proxy.ready:
            return (f"the PSA Proxy's boot handshake with the SE (Host side in state "
                    f"{proxy.handshake.state!r}) before {op}")
        if spm.forwarding is not None and not spm.forwarding.caller.scripted:
            return f"the Host firmware's PSA call ({spm.forwarding.caller}) to finish before {op}"
        return f"the SE's reply to {op} (see the IPC monitor's last record)"

    def _complete(self, result: Any, op: str, void: bool = False) -> Any:
        """Drive an SPM operation to its end: run the machine while it waits for a condition."""
        if isinstance(result, ForwardOp):
            fop, spm, monitor = result, self.spm, self.system.monitor
            mine = self._records if self._records is not None else []
            try:
                while not fop.done:
                    if fop.waiting and not spm.ready(fop):
                        self._run_until(lambda: spm.ready(fop), lambda: self._what(op))
                    n = monitor.opened
                    try:
                        spm.advance(fop)        # the operation's steps run here, Host SVCs inside run()
                    finally:
                        mine.extend(monitor.since(n))
            except BaseException:
                spm.abandon(fop)            # releases the proxy
                raise
            result = fop.result
        if self.machine.panic is not None:
            raise PsaPanic(f"{op} by {self.caller}: {self.machine.panic}")
        if result is None and not void:
            raise PsaPanic(f"{op} by {self.caller} ended without a result")
        return result

    def _check_machine(self, what: Callable[[], str]) -> None:
        m = self.machine
        if m.panic is not None:
            raise PsaPanic(f"the machine has panicked; cannot wait for {what()}: {m.panic}")
        if m.faulted is not None or m.exit is not None:
            state = (f"core {m.faulted.name!r} faulted" if m.faulted is not None
                     else f"{m.exit[0].name} exited with status {m.exit[1]} ({m.exit[2]})")
            raise ScriptedCallError(f"the machine has ended ({state}); it cannot run to give {what()}. Scripted "
                                    f"calls need a machine that can still run (Host firmware idle, parked or "
                                    f"absent)")

    def _run_until(self, cond: Callable[[], bool], what: Callable[[], str]) -> None:
        """Run the machine in chunks until ``cond()``; raise an error naming ``what()`` otherwise."""
        m = self.machine
        met_at: list[int] = []

        def watch() -> bool:                  # a machine agent: when (virtual time) ``cond`` came true
            if not met_at and cond():
                met_at.append(m.now_ps)
            return False
        m.agents.append(watch)
        try:
            self._run_chunks(cond, what, met_at)
        finally:
            m.agents.remove(watch)

    def _run_chunks(self, cond: Callable[[], bool], what: Callable[[], str], met_at: list[int]) -> None:
        """The loop of :meth:`_run_until`; ``met_at`` gets the virtual time ``cond`` came true (an agent
        sees it after every slice and time jump), so a reply after the budget is late even when one
        chunk jumped over the whole budget."""
        m, s = self.machine, self.settings
        t0, start_ps = time.monotonic(), m.now_ps
        budget_ps = s.reply_budget_s * 1e12
        executed, idle = 0, 0
        while not cond():
            self._check_machine(what)
            left = None if s.timeout_s is None else s.timeout_s - (time.monotonic() - t0)
            if left is not None and left <= 0:
                raise EmuTimeoutError(f"waited {s.timeout_s} s of wall-clock time for {what()}; nothing "
                                      f"answered:\n{m.describe_cores()}")
            before = sum(c.instructions for c in m.cores.values())
            r = m.run(max_instructions=min(s.chunk, s.max_instructions - executed), timeout=left)
            ran = sum(c.instructions for c in m.cores.values()) - before
            executed += ran
            if cond():
                waited_ps = (met_at[0] if met_at else m.now_ps) - start_ps
                if waited_ps > budget_ps:
                    raise EmuTimeoutError(f"waited {waited_ps / 1e6:.0f} us of virtual time for {what()} (budget "
                                          f"{s.reply_budget_s} s); the answer came too late:\n{m.describe_cores()}")
                return
            if r.reason in ("exit", "fault", "panic"):
                if r.reason == "panic":
                    raise PsaPanic(f"the machine panicked while waiting for {what()}: {r.message}")
                raise ScriptedCallError(f"the machine ended ({r.reason}) while waiting for {what()}: {r.message}")
            if r.reason == "timeout":
                raise EmuTimeoutError(f"timed out waiting for {what()}: {r.message}")
            if r.reason == "deadlock":
                idle = idle + 1 if ran == 0 else 1
                if idle >= IDLE_ROUNDS:
                    raise EmuTimeoutError(f"timed out waiting for {what()}: nothing can run any more: {r.message}")
            elif r.reason != "budget":
                raise ScriptedCallError(f"the machine stopped ({r.reason}) while a scripted call waited for "
                                        f"{what()}: {r.message}; the call was abandoned")
            else:
                idle = 0
            waited_ps = m.now_ps - start_ps
            if waited_ps > budget_ps:
                raise EmuTimeoutError(f"waited {waited_ps / 1e6:.0f} us of virtual time for {what()} (budget "
                                      f"{s.reply_budget_s} s); nothing answered:\n{m.describe_cores()}")
            if executed >= s.max_instructions:
                raise EmuTimeoutError(f"waited {executed} instructions for {what()} (budget {s.max_instructions}); "
                                      f"nothing answered:\n{m.describe_cores()}")

    # -- psa_call on a handle ---------------------------------------------------------------
    def _call_handle(self, handle: int, ptype: int, inputs: list[Vector], outs: list[OutSpec]) -> CallResult:
        try:
            params, in_arr, out_arr, out_vecs = self._lay_out(ptype, inputs, outs)
        except CallParamError:          # the v1.4+ client library returns this without a call
            return CallResult(PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, [b""] * len(outs))
        self._event("call", handle=handle, type=ptype)
        op = self.spm.client_call(self.caller, handle & 0xFFFFFFFF, params, in_arr, out_arr, abi=self.abi)
        # a call the Host SPM refused wrote nothing back; one it served itself (platform-split) did
        forwarded = isinstance(op, ForwardOp) or (isinstance(op, int) and served_on_host(self.spm, handle))
        status = self._complete(op, f"psa_call(handle {to_int32(handle)}, type {ptype})")
        outputs = self._outputs(out_arr, out_vecs) if forwarded else [b""] * len(out_vecs)
        return CallResult(as_status(status), outputs)

    def _outputs(self, out_arr: int, out_vecs: list[tuple[int, int]]) -> list[bytes]:
        """The caller's output buffers after a forwarded call, up to the lengths the SPM wrote back."""
        core = self.machine.cores[self.spm.host]
        outputs = [b""] * len(out_vecs)
        if out_vecs:
            written = iovec_pairs(core.mem_read(out_arr, 8 * len(out_vecs)), len(out_vecs))
            for i, ((base, size), (_base, n)) in enumerate(zip(out_vecs, written)):
                n = min(n, size)                # the SPM never reports more than the buffer holds
                outputs[i] = core.mem_read(base, n) if n else b""
        return outputs

    # -- operations that do not wait (snapshots in the middle of a forwarded call) ------------
    def begin_connect(self, sid: int, version: int = 1) -> int:
        """Start ``psa_connect`` and return without waiting: the operation's id for :meth:`finish`."""
        self._event("connect", sid=sid, version=version)
        return self._begin(self.spm.client_connect(self.caller, sid & 0xFFFFFFFF, version & 0xFFFFFFFF,
                                                   abi=self.abi), f"psa_connect(SID {sid:#x})")

    def begin_call(self, handle: int, type: int = 0, inputs: Iterable[Vector] = (),
                   output_sizes: Iterable[OutSpec] = ()) -> int:
        """Start ``psa_call`` on an open connection and return without waiting (the operation's id)."""
        params, in_arr, out_arr, _out_vecs = self._lay_out(type, list(inputs), list(output_sizes))
        self._event("call", handle=int(handle), type=type)
        return self._begin(self.spm.client_call(self.caller, int(handle) & 0xFFFFFFFF, params, in_arr, out_arr,
                                                abi=self.abi),
                           f"psa_call(handle {to_int32(int(handle))}, type {type})")

    def begin_close(self, handle: int) -> int:
        """Start ``psa_close`` and return without waiting (the operation's id)."""
        self._event("close", handle=int(handle))
        return self._begin(self.spm.client_close(self.caller, int(handle) & 0xFFFFFFFF), f"psa_close({int(handle)})")

    def _begin(self, op: Any, what: str) -> int:
        if not isinstance(op, ForwardOp):
            detail = f"machine panic: {self.machine.panic}" if self.machine.panic is not None else \
                f"it returned {status_name(to_int32(op)) if op is not None else None}"
            raise ScriptedCallError(f"{what} was not forwarded: the Host SPM answered it at once ({detail}); "
                                    f"make the blocking call instead")
        self.spm.advance(op)
        return op.id

    def pending(self) -> list[int]:
        """Ids of the scripted operations in flight (also after a snapshot restore)."""
        return [op.id for op in self.spm.ops.values() if op.caller.scripted]

    def finish(self, op_id: int) -> "Handle | PsaStatus | int | CallResult | None":
        """Wait for a started operation and return what the blocking call returns (connect: a
        Handle or the status; call: a CallResult; close: None)."""
        op = self.spm.ops.get(op_id)
        if op is None or not op.caller.scripted:
            raise ScriptedCallError(f"no scripted operation #{op_id} is in flight (in flight: {self.pending()})")
        what = op.describe()
        if op.kind == CONNECT:
            value = to_int32(self._complete(op, what))
            return Handle(value) if psa_handle_is_valid(value) else as_status(value)
        if op.kind == CALL:
            out_vecs = [(v.base, v.len) for v in op.out_vecs]
            status = self._complete(op, what)
            return CallResult(as_status(status), self._outputs(op.out_addr, out_vecs))
        self._complete(op, what, void=True)
        return None

    def _lay_out(self, ptype: int, inputs: list[Vector], outs: list[OutSpec]
                 ) -> tuple[int, int, int, list[tuple[int, int]]]:
        """Write IOVEC arrays, buffers and (v1.3) the control block into the scratch area: (psa_call's
        r1 as the profile's client passes it, in_vec and out_vec array addresses, out_vec pairs).
        CallParamError: the packed parameter word cannot hold the values (nothing written)."""
        params = self.abi.client_params(ptype, len(inputs), len(outs))
        area = self.scratch
        cursor = area.base
        writes: list[tuple[int, bytes]] = []

        def take(n: int) -> int:
            nonlocal cursor
            addr = cursor
            cursor = (cursor + n + _ALIGN - 1) & ~(_ALIGN - 1)
            return addr

        ctrl = take(12) if isinstance(params, bytes) else 0
        in_arr, out_arr = take(8 * len(inputs)), take(8 * len(outs))
        in_vecs: list[tuple[int, int]] = []
        for i, v in enumerate(inputs):
            if v is None:
                in_vecs.append((0, 0))
            elif isinstance(v, HostRef):
                in_vecs.append((v.addr, v.len))
            elif isinstance(v, (bytes, bytearray, memoryview)):
                data = bytes(v)
                addr = take(len(data))
                writes.append((addr, data))
                in_vecs.append((addr, len(data)))
            else:
                raise TypeError(f"inputs[{i}]: expected bytes, HostRef or None, got {type(v).__name__}")
        out_vecs: list[tuple[int, int]] = []
        for i, o in enumerate(outs):
            if isinstance(o, HostRef):
                out_vecs.append((o.addr, o.len))
            elif isinstance(o, int) and not isinstance(o, bool) and o >= 0:
                addr = take(o)
                writes.append((addr, bytes(o)))
                out_vecs.append((addr, o))
            else:
                raise TypeError(f"output_sizes[{i}]: expected a size >= 0 or a HostRef, got {o!r}")
        if cursor > area.end:
            raise ScriptedCallError(f"this psa_call needs {cursor - area.base:#x} bytes of Host memory but the "
                                    f"scripted client's scratch area is {area}; give the client a larger "
                                    f"scratch=(base, size) or pass big buffers as HostRef")
        if isinstance(params, bytes):   # v1.3: r1 is the address of the control block
            writes.append((ctrl, params))
            params = ctrl
        writes.append((in_arr, b"".join(struct.pack("<II", a & 0xFFFFFFFF, n & 0xFFFFFFFF) for a, n in in_vecs)))
        writes.append((out_arr, b"".join(struct.pack("<II", a & 0xFFFFFFFF, n & 0xFFFFFFFF) for a, n in out_vecs)))
        core = self.machine.cores[self.spm.host]
        for addr, data in writes:
            core.mem_write(addr, data)
        return params, in_arr, out_arr, out_vecs

    def _event(self, call: str, **data: Any) -> None:
        self.machine.events.record(self.machine.cores[self.spm.host], "psa_scripted", call=call,
                                   client=self.caller.client_id, **data)


def _u64(uid: int) -> bytes:
    return struct.pack("<Q", uid & 0xFFFFFFFFFFFFFFFF)


def _data(r: CallResult, what: str) -> list[bytes]:
    if not r.ok:
        raise PsaError(r.status, what, r)
    return r.outputs


# --------------------------------------------------------------------------------------------
def boot_se_only(board: Any = None, se_image: str | Path | None = None, *,
                 defines: Mapping[str, int | None] | None = None, flash_files: Mapping[str, Any] | None = None,
                 host: str = "host", se: str = "se", machine_options: Mapping[str, Any] | None = None,
                 **client_options: Any) -> tuple["Machine", "ProxySystem"]:
    """A machine with only the SE firmware: load it, attach the proxy, release the SE and run
    until the boot handshake is complete. Drive the SE with ``system.psa`` (= ``machine.psa``).

    ``machine_options`` are further :class:`~psaemu.platform.system.builder.MachineSpec` fields;
    ``client_options`` go to :class:`PsaClient` (scratch, budgets)."""
    from psaemu.platform.firmware.images import DEFAULT_IMAGES
    from psaemu.platform.system.builder import MachineSpec, build_machine

    spec = MachineSpec(board=board, images={host: None, se: se_image if se_image is not None else DEFAULT_IMAGES["se"]},
                       default_images=False, proxy="on", defines=dict(defines or {}), host=host, se=se,
                       flash_files=flash_files).replace(**dict(machine_options or {}))
    m = build_machine(spec)
    system = m.proxy_system
    if client_options:
        system.psa = PsaClient(system, **client_options)
        m.psa = system.psa
    m.set_released(se, True, "boot_se_only")
    system.psa.wait_ready()
    return m, system

