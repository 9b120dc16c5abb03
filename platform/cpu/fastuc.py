"""Cheap register and memory access to one ``Uc`` through raw ctypes calls into libunicorn.

The Python binding of Unicorn 2.1 spends most of a ``reg_read`` (~1.5 us) choosing a value
type, building ctypes objects and converting arguments; the C call itself is a fraction of it
(measured in docs/benchmarks.md). :class:`FastUc` calls the library's exported ``uc_reg_read``,
``uc_reg_write``, ``uc_reg_read_batch``, ``uc_reg_write_batch``, ``uc_mem_read`` and
``uc_mem_write`` directly, through private function objects of the already-loaded library
(the binding's own prototypes are left alone), with preallocated argument objects:

* :meth:`reg_read` / :meth:`reg_write`: one 32-bit register (~0.25 us);
* :meth:`reader` / :meth:`writer`: a batch function for a fixed list of registers, built once
  with its ctypes arrays (8 registers in ~0.5 us). Batches run in list order, exactly as the
  same single calls would: the order-sensitive sequences of the exception engine
  (unicorn 2.1.4's privilege-checked registers and hflags refresh, tests/platform/test_fastuc.py) keep their meaning;
* :meth:`mem_read` (into a reusable buffer) / :meth:`mem_write` / :meth:`read_u32`.

They are the same C functions the binding calls, so values and side effects are identical;
errors raise the binding's ``UcError`` with the same ``errno``. Only registers whose value is
32 bits take the raw path (others would not fit the value slots); any other register id goes
through the binding. If the binding's internals are not as expected (``unicorn_py3.unicorn``
without ``uclib``, no ``Uc._uch`` handle, a missing export, a self-check that disagrees, run
on the first engine of the process), or ``PSAEMU_FASTUC=0`` is set, every method falls back to
the high-level binding with the same results, only slower: ``FastUc.raw`` tells which one is in use.

Like the ``Uc`` it wraps, a FastUc is used from one thread: it reuses its argument buffers (a
read made from an MMIO callback during another read gets a buffer of its own).
"""
from __future__ import annotations

import ctypes
import os
import struct
from typing import Any, Callable, Sequence

import unicorn.arm_const as A
from unicorn import Uc, UcError

from psaemu.platform.cpu import native

#: Register ids the raw path handles: every Cortex-M/AArch32 register Unicorn returns as 32 bits.
_NAMES32 = ([f"R{i}" for i in range(16)] + ["SP", "LR", "PC", "IP", "FP", "SB", "SL"] +
            [f"S{i}" for i in range(32)] +
            ["APSR", "APSR_NZCV", "APSR_NZCVQ", "APSR_G", "APSR_NZCVQG", "CPSR", "SPSR",
             "XPSR", "XPSR_NZCVQ", "XPSR_G", "XPSR_NZCVQG", "IPSR", "EPSR", "IEPSR",
             "IAPSR", "IAPSR_NZCVQ", "IAPSR_G", "IAPSR_NZCVQG", "EAPSR", "EAPSR_NZCVQ", "EAPSR_G",
             "EAPSR_NZCVQG", "MSP", "PSP", "PRIMASK", "BASEPRI", "BASEPRI_MAX", "FAULTMASK", "CONTROL",
             "MSPLIM", "PSPLIM", "MSP_NS", "PSP_NS", "MSPLIM_NS", "PSPLIM_NS", "PRIMASK_NS",
             "BASEPRI_NS", "FAULTMASK_NS", "CONTROL_NS", "SP_NS", "FPSCR", "FPEXC", "FPSID",
             "MVFR0", "MVFR1", "C1_C0_2", "C13_C0_3"])
REGS32 = frozenset(getattr(A, f"UC_ARM_REG_{n}") for n in _NAMES32 if hasattr(A, f"UC_ARM_REG_{n}"))

_WORDS = {n: struct.Struct(f"<{n}I") for n in range(1, 33)}
#: ids of the loaded libunicorn whose raw path passed the self-check in this process: the check
#: is about the binding and library (the same for every engine), so it runs once, not per core.
_VERIFIED: set[int] = set()


def _enabled_by_env() -> bool:
    return os.environ.get("PSAEMU_FASTUC", "1").strip().lower() not in ("0", "no", "off", "false")


def _raw_lib(uc: Uc):
    """(library, engine handle) if the binding looks like 2.1.x's, else None."""
    uclib = native.uclib()
    try:
        handle = native.handle(uc)
    except OSError:
        return None
    if not isinstance(uclib, ctypes.CDLL):
        return None
    for name in ("uc_reg_read", "uc_reg_write", "uc_reg_read_batch", "uc_reg_write_batch",
                 "uc_mem_read", "uc_mem_write"):
        if not hasattr(uclib, name):
            return None
    return uclib, handle.value


class FastUc:
    """Fast accessors bound to one ``Uc``; ``raw`` is False when the high-level binding is used."""

    def __init__(self, uc: Uc, raw: bool | None = None) -> None:
        self.uc = uc
        want = _enabled_by_env() if raw is None else raw
        lib = _raw_lib(uc) if want else None
        self.raw = False
        if lib is not None:
            try:
                self._bind_raw(*lib)
                self.raw = id(lib[0]) in _VERIFIED or self._self_check()
            except Exception:
                self.raw = False
            if self.raw:
                _VERIFIED.add(id(lib[0]))
        if not self.raw:
            self._bind_api()

    # -- raw ctypes -----------------------------------------------------------------------
    def _bind_raw(self, lib: ctypes.CDLL, handle_value: int) -> None:
        uc = self.uc
        h = ctypes.c_void_p(handle_value)
        fn = {}
        for name in ("uc_reg_read", "uc_reg_write", "uc_reg_read_batch", "uc_reg_write_batch",
                     "uc_mem_read", "uc_mem_write"):
            f = lib[name]                 # a new function object: the binding's prototypes stay as they are
            f.restype = ctypes.c_int      # no argtypes: arguments below are already ctypes objects or C ints
            fn[name] = f
        c_read, c_write = fn["uc_reg_read"], fn["uc_reg_write"]
        c_read_batch, c_write_batch = fn["uc_reg_read_batch"], fn["uc_reg_write_batch"]
        c_mem_read, c_mem_write = fn["uc_mem_read"], fn["uc_mem_write"]
        self._c_read_batch, self._c_write_batch, self._h = c_read_batch, c_write_batch, h
        regs32 = REGS32
        slow_read, slow_write = uc.reg_read, uc.reg_write
        val = ctypes.c_uint64(0)
        val_ref = ctypes.byref(val)
        wval = ctypes.c_uint64(0)
        wval_ref = ctypes.byref(wval)

        def reg_read(reg_id: int) -> int:
            if reg_id not in regs32:
                return slow_read(reg_id)
            status = c_read(h, reg_id, val_ref)
            if status:
                raise UcError(status, reg_id)
            return val.value

        def reg_write(reg_id: int, value: int) -> None:
            if reg_id not in regs32:
                return slow_write(reg_id, value)
            wval.value = value
            status = c_write(h, reg_id, wval_ref)
            if status:
                raise UcError(status, reg_id)

        addr64, size64 = ctypes.c_uint64(0), ctypes.c_uint64(0)
        waddr64, wsize64 = ctypes.c_uint64(0), ctypes.c_uint64(0)
        shared = ctypes.create_string_buffer(256)
        busy = False
        new_buffer = ctypes.create_string_buffer

        def read_into(address: int, size: int):
            """A buffer holding the ``size`` bytes at ``address`` (the shared one when it can)."""
            nonlocal busy
            addr64.value = address
            size64.value = size
            # A large read, or one made by an MMIO callback during a read, gets its own buffer.
            buf = new_buffer(size) if busy or size > 256 else shared
            busy = True
            status = c_mem_read(h, addr64, buf, size64)
            busy = False
            if status:
                raise UcError(status, address, size)
            return buf

        def mem_read(address: int, size: int) -> bytes:
            if size <= 0:
                return b""
            return read_into(address, size).raw[:size]

        def mem_write(address: int, data: bytes) -> None:
            if type(data) is not bytes:
                data = bytes(data)
            waddr64.value = address
            wsize64.value = len(data)
            status = c_mem_write(h, waddr64, data, wsize64)
            if status:
                raise UcError(status, address, len(data))

        unpack1 = _WORDS[1].unpack_from

        def read_u32(address: int) -> int:
            return unpack1(read_into(address, 4))[0]

        def read_words(address: int, count: int) -> tuple[int, ...]:
            st = _WORDS.get(count) or struct.Struct(f"<{count}I")
            return st.unpack_from(read_into(address, 4 * count))

        self.reg_read, self.reg_write = reg_read, reg_write
        self.mem_read, self.mem_write = mem_read, mem_write
        self.read_u32, self.read_words = read_u32, read_words

    def _self_check(self) -> bool:
        """The raw path reads what the binding reads (PC, and R0 after a write through each)."""
        uc = self.uc
        if self.reg_read(A.UC_ARM_REG_PC) != uc.reg_read(A.UC_ARM_REG_PC):
            return False
        r0 = uc.reg_read(A.UC_ARM_REG_R0)
        try:
            self.reg_write(A.UC_ARM_REG_R0, 0x5AA5F00F)
            ok = uc.reg_read(A.UC_ARM_REG_R0) == 0x5AA5F00F
            uc.reg_write(A.UC_ARM_REG_R0, 0x0FF0A55A)
            ok = ok and self.reg_read(A.UC_ARM_REG_R0) == 0x0FF0A55A
            both = self.reader([A.UC_ARM_REG_R0, A.UC_ARM_REG_PC])()
            ok = ok and list(both) == [0x0FF0A55A, uc.reg_read(A.UC_ARM_REG_PC)]
        finally:
            uc.reg_write(A.UC_ARM_REG_R0, r0)
        return ok

    # -- high-level fallback --------------------------------------------------------------
    def _bind_api(self) -> None:
        uc = self.uc
        self.reg_read, self.reg_write = uc.reg_read, uc.reg_write

        def mem_read(address: int, size: int) -> bytes:
            return bytes(uc.mem_read(address, size)) if size > 0 else b""

        def mem_write(address: int, data: bytes) -> None:
            uc.mem_write(address, bytes(data))

        def read_u32(address: int) -> int:
            return struct.unpack("<I", uc.mem_read(address, 4))[0]

        def read_words(address: int, count: int) -> tuple[int, ...]:
            return struct.unpack(f"<{count}I", uc.mem_read(address, 4 * count))

        self.mem_read, self.mem_write = mem_read, mem_write
        self.read_u32, self.read_words = read_u32, read_words

    # -- batches --------------------------------------------------------------------------
    def reader(self, reg_ids: Sequence[int]) -> Callable[[], list[int]]:
        """A function returning the values of ``reg_ids`` (read in that order) as a list."""
        ids = list(reg_ids)
        if not self.raw or not ids or any(r not in REGS32 for r in ids):
            rd = self.reg_read
            return lambda: [rd(r) for r in ids]
        n, id_arr, vals, ptrs = _batch_arrays(ids)
        f, h = self._c_read_batch, self._h

        def read() -> list[int]:
            status = f(h, id_arr, ptrs, n)
            if status:
                raise UcError(status)
            return vals[:]
        return read

    def writer(self, reg_ids: Sequence[int]) -> Callable[..., None]:
        """A function ``write(v0, v1, ...)`` writing ``reg_ids`` in that order in one call."""
        ids = list(reg_ids)
        if not self.raw or not ids or any(r not in REGS32 for r in ids):
            wr = self.reg_write

            def write_each(*values: int) -> None:
                if len(values) != len(ids):
                    raise ValueError(f"{len(ids)} register values expected, got {len(values)}")
                for r, v in zip(ids, values):
                    wr(r, v)
            return write_each
        n, id_arr, vals, ptrs = _batch_arrays(ids)
        f, h = self._c_write_batch, self._h

        def write(*values: int) -> None:
            vals[:] = values              # ValueError unless exactly n values; wraps like c_uint64(v)
            status = f(h, id_arr, ptrs, n)
            if status:
                raise UcError(status)
        return write


def _batch_arrays(ids: list[int]) -> tuple[int, Any, Any, Any]:
    """The ctypes arguments of ``uc_reg_read_batch``/``uc_reg_write_batch`` for ``ids``: the count,
    the register ids, the 64-bit value slots and the array of pointers to them."""
    n = len(ids)
    id_arr = (ctypes.c_int * n)(*ids)
    vals = (ctypes.c_uint64 * n)()
    base = ctypes.addressof(vals)
    return n, id_arr, vals, (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])
