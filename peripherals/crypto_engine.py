"""Crypto engine: a descriptor-driven cryptographic accelerator on the SE bus (psaemu model).

The SE firmware builds a descriptor in its RAM, writes its address to ``DESC`` and sets
``CTRL.START``; the engine reads the descriptor and the input buffers through its bus-master
port (DMA), runs the command at once (no busy time is modelled), writes the outputs and their
lengths, and sets ``RESULT`` (a PSA status) and ``STATUS``. The math is the ``cryptography``
package and hashlib/hmac (modules ``crypto_ops``, ``crypto_keys``, ``crypto_contexts``).

Register map (offsets from the base; all 32-bit):

====== ========= ===== ===========================================================================
Offset Name      Acc.  Meaning
====== ========= ===== ===========================================================================
0x000  ID        r     0x31454350 ("PCE1")
0x004  CTRL      rw    bit0 START (run the descriptor at DESC), bit1 RESET (wipe every key slot and
                       context, reseed the DRBG from the seed); reads 0
0x008  STATUS    r     bit0 DONE, bit1 ERROR (RESULT is not PSA_SUCCESS), bit2 BUS_ERROR (a DMA
                       transfer failed: RESULT = PSA_ERROR_COMMUNICATION_FAILURE), bit3 BAD_COMMAND
                       (unknown command code: RESULT = PSA_ERROR_NOT_SUPPORTED)
0x00C  DESC      rw    SE address of the descriptor
0x010  RESULT    r     PSA status of the last command (two's complement)
0x014  SLOTS     r     number of key slots (board key ``slots``, default 40)
0x018  CONTEXTS  r     number of multipart contexts (board key ``contexts``, default 10)
0x01C  COUNT     r     commands run since reset
0x020  ATTEST    r     the Initial Attestation token the device is provisioned for (board key
                       ``attestation``): 0 asymmetric (COSE_Sign1, ES256 with the ECC P-256 IAK,
                       the default), 1 symmetric (COSE_Mac0, HMAC-SHA256)
====== ========= ===== ===========================================================================

Descriptor (88 bytes, little-endian words): +0 command, +4 key slot, +8 algorithm, +12 context,
+16..+28 aux[0..3], +32..+63 four input buffers (address, length), +64..+79 two output buffers
(address, size), +80/+84 bytes written to output 0/1 (set by the engine). An output given as
(0, 0) is not wanted: what the command would write there is dropped. Inputs are read and
outputs written in SE memory (RAM, the shared windows; flash is read-only); a transfer is at
most 64 KiB. Commands (``CMD_*`` below) and their operands are documented in the README
("Crypto engine"). Key slots hold volatile key material (type, bits, PSA export format);
persistence is the firmware's job, with KEY_BLOB_EXPORT/KEY_BLOB_IMPORT.

The DRBG is HMAC_DRBG (SP 800-90A, SHA-256) over the library's HMAC, seeded from the board's
``seed`` string: every run from reset gives the same random bytes, keys and deterministic
signatures. Randomised ECDSA, RSA-PSS, RSA encryption and RSA key generation draw on OpenSSL's
RNG and differ from run to run.
"""
from __future__ import annotations

import hmac as hmac_mod
import struct
from typing import Any, Callable

from . import crypto_algs as A
from . import crypto_contexts as C
from . import crypto_keys as K
from . import crypto_ops as ops
from .base import Field, Peripheral, Register
from .crypto_algs import PsaFailure, fail

ID_VALUE = 0x31454350
CTRL_START, CTRL_RESET = 1 << 0, 1 << 1
ST_DONE, ST_ERROR, ST_BUS_ERROR, ST_BAD_COMMAND = 1 << 0, 1 << 1, 1 << 2, 1 << 3
COMMUNICATION_FAILURE = -145
DESC_SIZE = 88
DEFAULT_SLOTS = 40
DEFAULT_CONTEXTS = 10
#: Values of the ATTEST register, by board name (index = register value).
ATTESTATION_KINDS = ("asymmetric", "symmetric")
DEFAULT_ATTESTATION = "asymmetric"
DEFAULT_SEED = "psaemu crypto engine seed v1"
NO_SLOT = 0xFFFFFFFF

CMD_RANDOM = 0x01
CMD_KEY_IMPORT, CMD_KEY_GENERATE, CMD_KEY_EXPORT, CMD_KEY_EXPORT_PUBLIC = 0x10, 0x11, 0x12, 0x13
CMD_KEY_DESTROY, CMD_KEY_COPY, CMD_KEY_INFO, CMD_KEY_BLOB_EXPORT, CMD_KEY_BLOB_IMPORT = 0x14, 0x15, 0x16, 0x17, 0x18
CMD_HASH_COMPUTE, CMD_HASH_COMPARE, CMD_HASH_SETUP, CMD_HASH_UPDATE = 0x20, 0x21, 0x22, 0x23
CMD_HASH_FINISH, CMD_HASH_VERIFY, CMD_HASH_CLONE, CMD_CTX_ABORT = 0x24, 0x25, 0x26, 0x2F
CMD_MAC_COMPUTE, CMD_MAC_VERIFY, CMD_MAC_SETUP, CMD_MAC_UPDATE = 0x30, 0x31, 0x32, 0x33
CMD_MAC_SIGN_FINISH, CMD_MAC_VERIFY_FINISH = 0x34, 0x35
CMD_CIPHER_ENCRYPT, CMD_CIPHER_DECRYPT, CMD_CIPHER_SETUP, CMD_CIPHER_GENERATE_IV = 0x40, 0x41, 0x42, 0x43
CMD_CIPHER_SET_IV, CMD_CIPHER_UPDATE, CMD_CIPHER_FINISH = 0x44, 0x45, 0x46
CMD_AEAD_ENCRYPT, CMD_AEAD_DECRYPT, CMD_AEAD_SETUP, CMD_AEAD_GENERATE_NONCE = 0x50, 0x51, 0x52, 0x53
CMD_AEAD_SET_NONCE, CMD_AEAD_SET_LENGTHS, CMD_AEAD_UPDATE_AD, CMD_AEAD_UPDATE = 0x54, 0x55, 0x56, 0x57
CMD_AEAD_FINISH, CMD_AEAD_VERIFY = 0x58, 0x59
CMD_SIGN_HASH, CMD_VERIFY_HASH, CMD_ASYM_ENCRYPT, CMD_ASYM_DECRYPT = 0x60, 0x61, 0x62, 0x63
CMD_RAW_AGREEMENT = 0x70
CMD_KDF_SETUP, CMD_KDF_INPUT_BYTES, CMD_KDF_INPUT_KEY, CMD_KDF_KEY_AGREEMENT = 0x80, 0x81, 0x82, 0x83
CMD_KDF_SET_CAPACITY, CMD_KDF_GET_CAPACITY, CMD_KDF_OUTPUT_BYTES, CMD_KDF_OUTPUT_KEY = 0x84, 0x85, 0x86, 0x87


class Drbg:
    """HMAC_DRBG (NIST SP 800-90A, SHA-256, no reseed counter limit) as plain state."""

    def __init__(self, seed: bytes) -> None:
        self.key, self.v = b"\0" * 32, b"\1" * 32
        self._update(seed)

    def _hmac(self, key: bytes, data: bytes) -> bytes:
        return hmac_mod.new(key, data, "sha256").digest()

    def _update(self, data: bytes) -> None:
        self.key = self._hmac(self.key, self.v + b"\0" + data)
        self.v = self._hmac(self.key, self.v)
        if data:
            self.key = self._hmac(self.key, self.v + b"\1" + data)
            self.v = self._hmac(self.key, self.v)

    def generate(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            self.v = self._hmac(self.key, self.v)
            out += self.v
        self._update(b"")
        return out[:n]


class Descriptor:
    """One decoded descriptor and its buffers (inputs read eagerly, outputs by size)."""

    def __init__(self, raw: bytes, addr: int) -> None:
        w = struct.unpack("<22I", raw)
        self.addr = addr
        self.cmd, self.slot, self.alg, self.ctx = w[0], w[1], w[2], w[3]
        self.aux = list(w[4:8])
        self.ins = [(w[8 + 2 * i], w[9 + 2 * i]) for i in range(4)]
        self.outs = [(w[16 + 2 * i], w[17 + 2 * i]) for i in range(2)]
        self.data: list[bytes] = []

    def out_size(self, i: int) -> int:
        return self.outs[i][1]


class CryptoEngine(Peripheral):
    """The engine: registers, key slots, contexts, DRBG; commands run on ``CTRL.START``."""

    TYPE = "crypto_engine"
    REGISTERS = (
        Register("ID", 0x000, "r", ID_VALUE, "identification 'PCE1'"),
        Register("CTRL", 0x004, "rw", doc="commands to the engine (reads 0)", fields=(
            Field("RESET", 1, 1, "w", doc="wipe key slots and contexts, reseed the DRBG",
                  on_write="_ctrl_reset"),
            Field("START", 0, 1, "w", doc="run the descriptor at DESC (after a RESET written with it)",
                  on_write="_ctrl_start"),
        )),
        Register("STATUS", 0x008, "r", doc="outcome of the last command", fields=(
            Field("DONE", 0, 1, "r", doc="a command has completed"),
            Field("ERROR", 1, 1, "r", doc="RESULT is not PSA_SUCCESS"),
            Field("BUS_ERROR", 2, 1, "r", doc="a DMA transfer failed"),
            Field("BAD_COMMAND", 3, 1, "r", doc="unknown command code"),
        )),
        Register("DESC", 0x00C, "rw", 0, "SE address of the descriptor"),
        Register("RESULT", 0x010, "r", 0, "PSA status of the last command"),
        Register("SLOTS", 0x014, "r", 0, "number of key slots"),
        Register("CONTEXTS", 0x018, "r", 0, "number of multipart contexts"),
        Register("COUNT", 0x01C, "r", 0, "commands run since reset"),
        Register("ATTEST", 0x020, "r", 0, "attestation token kind: 0 asymmetric, 1 symmetric"),
    )

    def __init__(self, name: str, slots: int = DEFAULT_SLOTS, contexts: int = DEFAULT_CONTEXTS,
                 seed: str = DEFAULT_SEED, attestation: str = DEFAULT_ATTESTATION) -> None:
        self.num_slots, self.num_contexts, self.seed = slots, contexts, seed
        self.attestation = attestation
        self.bus: Any = None                   # psaemu.platform.system.busmaster.BusMaster, set by the machine
        self.keys: list[K.Key | None] = []
        self.contexts: list[C.Context | None] = []
        self.drbg = Drbg(seed.encode())
        super().__init__(name)
        #: command -> handler, built on the first command (most machines built never run one).
        self._commands: dict[int, Callable[[Descriptor], list[bytes] | None]] | None = None

    def attach_bus_master(self, port: Any) -> None:
        """Called by the machine: the DMA port into this core's memory."""
        self.bus = port

    # -- state ----------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self.regs["SLOTS"], self.regs["CONTEXTS"] = self.num_slots, self.num_contexts
        self.keys = [None] * self.num_slots
        self.contexts = [None] * self.num_contexts
        self.drbg = Drbg(self.seed.encode())

    def snapshot(self) -> dict[str, Any]:
        return {"regs": dict(self.regs),
                "keys": [k.as_state() if k else None for k in self.keys],
                "contexts": [[c.kind, c.state()] if c else None for c in self.contexts],
                "drbg": [self.drbg.key, self.drbg.v], "attestation": self.attestation}

    def restore(self, state: dict[str, Any]) -> None:
        self.regs = dict(state["regs"])
        self.keys = [K.Key.from_state(k) if k else None for k in state["keys"]]
        self.contexts = [C.CONTEXT_KINDS[c[0]].from_state(dict(c[1])) if c else None for c in state["contexts"]]
        self.drbg.key, self.drbg.v = bytes(state["drbg"][0]), bytes(state["drbg"][1])
        self.attestation = state.get("attestation", self.attestation)

    @property
    def attestation(self) -> str:
        """The attestation token kind the SE firmware reads from ATTEST ("asymmetric"/"symmetric");
        set it before the SE boots (or between calls) to choose the token of a run."""
        return self._attestation

    @attestation.setter
    def attestation(self, kind: str) -> None:
        if kind not in ATTESTATION_KINDS:
            from psaemu.platform.errors import ConfigError
            raise ConfigError(f"crypto engine: attestation {kind!r} is not one of "
                              f"{', '.join(repr(k) for k in ATTESTATION_KINDS)}")
        self._attestation = kind

    # -- registers ------------------------------------------------------------------------
    def read_ATTEST(self) -> int:
        return ATTESTATION_KINDS.index(self._attestation)

    def _ctrl_reset(self, bit: int) -> None:
        if bit:
            self.reset()

    def _ctrl_start(self, bit: int) -> None:
        if bit:
            self._start()

    def _start(self) -> None:
        status, flags = self._run(self.regs["DESC"])
        self.regs["RESULT"] = status & 0xFFFFFFFF
        self.regs["STATUS"] = ST_DONE | flags | (ST_ERROR if status else 0)
        self.regs["COUNT"] = (self.regs["COUNT"] + 1) & 0xFFFFFFFF

    def _run(self, addr: int) -> tuple[int, int]:
        from psaemu.platform.system.busmaster import BusMasterError
        if self.bus is None:
            return COMMUNICATION_FAILURE, ST_BUS_ERROR
        try:
            d = Descriptor(self.bus.read(addr, DESC_SIZE), addr)
            if self._commands is None:
                self._commands = self._command_table()
            handler = self._commands.get(d.cmd)
            if handler is None:
                return A.NOT_SUPPORTED, ST_BAD_COMMAND
            d.data = [self.bus.read(a, n) if n else b"" for a, n in d.ins]
            try:
                outs = handler(d) or []
                status = A.SUCCESS
            except PsaFailure as exc:
                outs, status = [], exc.status
            lens = [0, 0]
            outs = [b"" if d.outs[i] == (0, 0) else data for i, data in enumerate(outs)]   # not asked for
            for i, data in enumerate(outs):
                if len(data) > d.out_size(i):
                    outs, status, lens = [], A.BUFFER_TOO_SMALL, [0, 0]
                    break
                lens[i] = len(data)
            for i, data in enumerate(outs):
                self.bus.write(d.outs[i][0], data)
            self.bus.write(addr + 80, struct.pack("<II", *lens))
            return status, 0
        except BusMasterError:
            return COMMUNICATION_FAILURE, ST_BUS_ERROR

    # -- slots and contexts ---------------------------------------------------------------
    def key(self, slot: int) -> K.Key:
        if slot >= self.num_slots or self.keys[slot] is None:
            raise fail(A.INVALID_HANDLE, f"key slot {slot} is empty")
        return self.keys[slot]

    def _free_slot(self, slot: int) -> int:
        if slot >= self.num_slots:
            raise fail(A.INVALID_HANDLE, f"no key slot {slot}")
        if self.keys[slot] is not None:
            raise fail(A.ALREADY_EXISTS, f"key slot {slot} is in use")
        return slot

    def _store(self, slot: int, key: K.Key) -> list[bytes]:
        self.keys[slot] = key
        return [struct.pack("<II", key.type, key.bits)]

    def ctx(self, d: Descriptor, cls: type | None = None) -> C.Context:
        c = self.contexts[d.ctx] if d.ctx < self.num_contexts else None
        if c is None or (cls is not None and not isinstance(c, cls)):
            raise fail(A.BAD_STATE, f"context {d.ctx} is not an active {cls.kind if cls else ''} operation")
        return c

    def _new_ctx(self, d: Descriptor, make: Callable[[], C.Context]) -> None:
        if d.ctx >= self.num_contexts:
            raise fail(A.INSUFFICIENT_MEMORY, f"no context {d.ctx}")
        if self.contexts[d.ctx] is not None:
            raise fail(A.BAD_STATE, f"context {d.ctx} is in use")
        self.contexts[d.ctx] = make()

    def _end(self, d: Descriptor) -> None:
        self.contexts[d.ctx] = None

    def _finishing(self, d: Descriptor, fn: Callable[[], list[bytes]]) -> list[bytes]:
        """Run the last step of an operation: the context ends whatever happens."""
        try:
            return fn()
        finally:
            self._end(d)

    def _aead_step(self, d: Descriptor, fn: Callable[[], list[bytes] | None]) -> list[bytes] | None:
        """An AEAD step: a failure ends the context (PSA: the operation must then be aborted;
        Mbed TLS 3.1 aborts it at once, so later steps are BAD_STATE)."""
        try:
            return fn()
        except PsaFailure:
            self._end(d)
            raise

    # -- commands -------------------------------------------------------------------------
    def _command_table(self) -> dict[int, Callable[[Descriptor], list[bytes] | None]]:
        return {
            CMD_RANDOM: lambda d: [self.drbg.generate(d.out_size(0))],
            CMD_KEY_IMPORT: lambda d: self._store(self._free_slot(d.slot), K.import_key(d.aux[0], d.aux[1], d.data[0])),
            CMD_KEY_GENERATE: lambda d: self._store(self._free_slot(d.slot),
                                                    K.generate(d.aux[0], d.aux[1], self.drbg.generate)),
            CMD_KEY_EXPORT: lambda d: [self.key(d.slot).data],
            CMD_KEY_EXPORT_PUBLIC: lambda d: [K.export_public(self.key(d.slot))],
            CMD_KEY_DESTROY: self._destroy,
            CMD_KEY_COPY: lambda d: self._store(self._free_slot(d.aux[0]), self.key(d.slot)),
            CMD_KEY_INFO: lambda d: [struct.pack("<II", self.key(d.slot).type, self.key(d.slot).bits)],
            CMD_KEY_BLOB_EXPORT: lambda d: [K.to_blob(self.key(d.slot))],
            CMD_KEY_BLOB_IMPORT: lambda d: self._store(self._free_slot(d.slot), K.from_blob(d.data[0])),
            CMD_HASH_COMPUTE: lambda d: [ops.digest(d.alg, b"".join(d.data))],
            CMD_HASH_COMPARE: lambda d: self._compare(ops.digest(d.alg, d.data[0]), d.data[1]),
            CMD_HASH_SETUP: lambda d: self._new_ctx(d, lambda: C.HashCtx(d.alg)),
            CMD_HASH_UPDATE: lambda d: self.ctx(d, C.HashCtx).update(d.data[0]),
            CMD_HASH_FINISH: lambda d: self._finishing(d, lambda: [self.ctx(d, C.HashCtx).finish()]),
            CMD_HASH_VERIFY: lambda d: self._finishing(
                d, lambda: self._compare(self.ctx(d, C.HashCtx).finish(), d.data[0])),
            CMD_HASH_CLONE: self._clone,
            CMD_CTX_ABORT: lambda d: self._end(d) if d.ctx < self.num_contexts else None,
            CMD_MAC_COMPUTE: lambda d: [ops.mac(self.key(d.slot), d.alg, b"".join(d.data))],
            CMD_MAC_VERIFY: lambda d: self._compare(ops.mac(self.key(d.slot), d.alg, d.data[0]), d.data[1]),
            CMD_MAC_SETUP: lambda d: self._new_ctx(d, lambda: C.MacCtx(self.key(d.slot), d.alg, bool(d.aux[0]))),
            CMD_MAC_UPDATE: lambda d: self.ctx(d, C.MacCtx).update(d.data[0]),
            CMD_MAC_SIGN_FINISH: lambda d: self._finishing(d, lambda: self._mac_finish(d, False)),
            CMD_MAC_VERIFY_FINISH: lambda d: self._finishing(d, lambda: self._mac_finish(d, True)),
            CMD_CIPHER_ENCRYPT: lambda d: self._cipher_oneshot(d, False),
            CMD_CIPHER_DECRYPT: lambda d: self._cipher_oneshot(d, True),
            CMD_CIPHER_SETUP: lambda d: self._new_ctx(d, lambda: C.CipherCtx(self.key(d.slot), d.alg, bool(d.aux[0]))),
            CMD_CIPHER_GENERATE_IV: self._generate_iv,
            CMD_CIPHER_SET_IV: lambda d: self.ctx(d, C.CipherCtx).set_iv(d.data[0]),
            CMD_CIPHER_UPDATE: lambda d: [self.ctx(d, C.CipherCtx).update(d.data[0], d.out_size(0))],
            CMD_CIPHER_FINISH: lambda d: self._finishing(d, lambda: [self.ctx(d, C.CipherCtx).finish(d.out_size(0))]),
            CMD_AEAD_ENCRYPT: lambda d: self._aead(d, False),
            CMD_AEAD_DECRYPT: lambda d: self._aead(d, True),
            CMD_AEAD_SETUP: lambda d: self._new_ctx(d, lambda: C.AeadCtx(self.key(d.slot), d.alg, bool(d.aux[0]))),
            CMD_AEAD_GENERATE_NONCE: lambda d: self._aead_step(d, lambda: self._generate_nonce(d)),
            CMD_AEAD_SET_NONCE: lambda d: self._aead_step(d, lambda: self.ctx(d, C.AeadCtx).set_nonce(d.data[0])),
            CMD_AEAD_SET_LENGTHS: lambda d: self._aead_step(
                d, lambda: self.ctx(d, C.AeadCtx).set_lengths(d.aux[0], d.aux[1])),
            CMD_AEAD_UPDATE_AD: lambda d: self._aead_step(d, lambda: self.ctx(d, C.AeadCtx).update_ad(d.data[0])),
            CMD_AEAD_UPDATE: lambda d: self._aead_step(
                d, lambda: [self.ctx(d, C.AeadCtx).update(d.data[0], d.out_size(0))]),
            CMD_AEAD_FINISH: lambda d: self._finishing(d, lambda: list(self.ctx(d, C.AeadCtx).finish(d.out_size(1)))),
            CMD_AEAD_VERIFY: lambda d: self._finishing(d, lambda: [self.ctx(d, C.AeadCtx).verify(d.data[0])]),
            CMD_SIGN_HASH: lambda d: [ops.sign_hash(self.key(d.slot), d.alg, d.data[0], d.out_size(0))],
            CMD_VERIFY_HASH: lambda d: ops.verify_hash(self.key(d.slot), d.alg, d.data[0], d.data[1]),
            CMD_ASYM_ENCRYPT: lambda d: [ops.asym_crypt(self.key(d.slot), d.alg, d.data[0], d.data[1], False,
                                                        d.out_size(0))],
            CMD_ASYM_DECRYPT: lambda d: [ops.asym_crypt(self.key(d.slot), d.alg, d.data[0], d.data[1], True,
                                                        d.out_size(0))],
            CMD_RAW_AGREEMENT: self._raw_agreement,
            CMD_KDF_SETUP: lambda d: self._new_ctx(d, lambda: C.KdfCtx(d.alg)),
            CMD_KDF_INPUT_BYTES: lambda d: self.ctx(d, C.KdfCtx).input(d.aux[0], d.data[0]),
            CMD_KDF_INPUT_KEY: lambda d: self.ctx(d, C.KdfCtx).input(d.aux[0], self.key(d.slot).data,
                                                                     self.key(d.slot).type),
            CMD_KDF_KEY_AGREEMENT: self._kdf_agreement,
            CMD_KDF_SET_CAPACITY: lambda d: self.ctx(d, C.KdfCtx).set_capacity(d.aux[0]),
            CMD_KDF_GET_CAPACITY: lambda d: [struct.pack("<I", min(self.ctx(d, C.KdfCtx).capacity, 0xFFFFFFFF))],
            CMD_KDF_OUTPUT_BYTES: lambda d: [self.ctx(d, C.KdfCtx).output(d.out_size(0))],
            CMD_KDF_OUTPUT_KEY: self._kdf_output_key,
        }

    def _destroy(self, d: Descriptor) -> None:
        self.key(d.slot)
        self.keys[d.slot] = None

    @staticmethod
    def _compare(actual: bytes, expected: bytes) -> None:
        if len(actual) != len(expected) or not ops.equal(actual, expected):
            raise fail(A.INVALID_SIGNATURE, "value does not match")

    def _clone(self, d: Descriptor) -> None:
        src = self.ctx(d, C.HashCtx)
        dst = d.aux[0]
        if dst >= self.num_contexts or self.contexts[dst] is not None:
            raise fail(A.BAD_STATE, f"target context {dst} is not free")
        self.contexts[dst] = C.clone(src)

    def _mac_finish(self, d: Descriptor, verify: bool) -> list[bytes]:
        c = self.ctx(d, C.MacCtx)
        if c.verify != verify:
            raise fail(A.BAD_STATE, "MAC operation set up for the other direction")
        m = c.finish()
        if verify:
            self._compare(m, d.data[0])
            return []
        ops.need(d.out_size(0), len(m))
        return [m]

    def _cipher_oneshot(self, d: Descriptor, decrypt: bool) -> list[bytes]:
        """One-shot cipher: encryption generates the IV and prepends it; decryption takes it."""
        key = self.key(d.slot)
        iv_size = ops.cipher_iv_size(key, d.alg)
        if decrypt:
            if len(d.data[0]) < iv_size:
                raise fail(A.INVALID_ARGUMENT, "input shorter than the IV")
            return [ops.cipher_oneshot(key, d.alg, d.data[0][:iv_size], d.data[0][iv_size:], True)]
        iv = self.drbg.generate(iv_size)
        return [iv + ops.cipher_oneshot(key, d.alg, iv, d.data[0], False)]

    def _generate_iv(self, d: Descriptor) -> list[bytes]:
        c = self.ctx(d, C.CipherCtx)
        if c.iv is not None or not c.iv_size:
            raise fail(A.BAD_STATE, "IV already set or not used by this cipher")
        ops.need(d.out_size(0), c.iv_size)
        iv = self.drbg.generate(c.iv_size)
        c.set_iv(iv)
        return [iv]

    def _generate_nonce(self, d: Descriptor) -> list[bytes]:
        c = self.ctx(d, C.AeadCtx)
        if c.decrypt or c.nonce is not None:
            raise fail(A.BAD_STATE, "nonce already set, or a decryption (which takes the sender's)")
        size = C.AeadCtx.NONCE_SIZE[c.base]
        ops.need(d.out_size(0), size)
        nonce = self.drbg.generate(size)
        c.set_nonce(nonce)
        return [nonce]

    def _aead(self, d: Descriptor, decrypt: bool) -> list[bytes]:
        out = ops.aead(self.key(d.slot), d.alg, d.data[0], d.data[1], d.data[2], decrypt)
        ops.need(d.out_size(0), len(out))
        return [out]

    def _raw_agreement(self, d: Descriptor) -> list[bytes]:
        if A.category(d.alg) == A.CAT_KA and d.alg & ~A.KA_MASK & 0xFFFF:
            raise fail(A.INVALID_ARGUMENT, "raw key agreement takes a key agreement without KDF")
        out = ops.raw_agreement(self.key(d.slot), d.alg, d.data[0])
        ops.need(d.out_size(0), len(out))
        return [out]

    def _kdf_agreement(self, d: Descriptor) -> None:
        c = self.ctx(d, C.KdfCtx)
        if not c.agreement:
            raise fail(A.INVALID_ARGUMENT, "the derivation has no key agreement")
        secret = ops.raw_agreement(self.key(d.slot), c.alg & A.KA_MASK, d.data[0])
        c.input(d.aux[0], secret, agreed=True)

    def _kdf_output_key(self, d: Descriptor) -> list[bytes]:
        c = self.ctx(d, C.KdfCtx)
        slot, key_type, bits = self._free_slot(d.aux[0]), d.aux[1], d.aux[2]
        if not A.is_symmetric_category(key_type):
            raise fail(A.NOT_SUPPORTED, "only symmetric keys can be derived")
        if not bits or bits % 8:
            raise fail(A.INVALID_ARGUMENT, "derived key sizes are whole bytes")
        K.import_key(key_type, bits, b"\0" * (bits // 8))          # type/size check before output
        return self._store(slot, K.import_key(key_type, bits, c.output(bits // 8)))
