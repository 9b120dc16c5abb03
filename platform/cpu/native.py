"""Native Unicorn hooks: C files compiled once with the host C compiler and loaded with ctypes.

A Python hook costs ~0.4 us per call; a C callback a few ns. The block counter of free runs
(platform/cpu/blockcount.c) and the register trace (platform/debug/regtrace.c) are such hooks.
:func:`library` compiles a C file once per source version with ``$CC`` (else ``cc``) into the
psaemu cache directory (platform/firmware/parsecache.py) and loads it; :func:`hook_add` installs
one of its functions as a Unicorn hook with a ctypes structure as user data (a :class:`Hook` that keeps
the structure alive until it is closed). When no compiler is
found, or it fails, :func:`library` returns None and :func:`why_unavailable` says why.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from psaemu.platform.firmware.parsecache import cache_dir

_libs: dict[Path, ctypes.CDLL | None] = {}
_why: dict[Path, str] = {}


def compiler() -> str:
    """The C compiler command: ``$CC``, else ``cc``."""
    return os.environ.get("CC", "").strip() or "cc"


_FLAGS = ("-O2", "-shared", "-fPIC")


def _target(source: Path, cc: str) -> Path:
    """The cached library of ``source``: its name hashes the source, the host machine, the
    compiler command and the flags, so a change of any of them builds a new one."""
    key = hashlib.sha256(source.read_bytes())
    for part in (platform.machine(), cc, *_FLAGS):
        key.update(b"\0" + part.encode())
    return cache_dir() / f"{source.stem}-{platform.machine() or 'host'}-{key.hexdigest()[:16]}.so"


def _compile(source: Path, cc: str, out: Path) -> bool:
    if shutil.which(cc.split()[0]) is None:
        _why[source] = f"no C compiler: '{cc}' is not on PATH (install gcc, or set CC)"
        return False
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
            tmp_out = Path(tmp) / out.name
            subprocess.run([*cc.split(), *_FLAGS, "-o", str(tmp_out), str(source)],
                           check=True, capture_output=True, timeout=60)
            os.replace(tmp_out, out)
    except subprocess.CalledProcessError as exc:
        first = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[:1]
        _why[source] = f"'{cc}' failed to compile {source.name}: {first[0] if first else exc}"
        return False
    except (OSError, subprocess.SubprocessError) as exc:
        _why[source] = f"cannot compile {source.name} into {out.parent}: {exc}"
        return False
    return True


def _build(source: Path) -> ctypes.CDLL | None:
    cc = compiler()
    out = _target(source, cc)
    if not out.exists() and not _compile(source, cc, out):
        return None
    try:
        return ctypes.CDLL(str(out))
    except OSError:
        pass                                 # a damaged or foreign cached file: build it once more
    if not _compile(source, cc, out):
        return None
    try:
        return ctypes.CDLL(str(out))
    except OSError as exc:
        _why[source] = f"cannot load {out} (rebuilt once): {exc}; delete it or set CC to a working compiler"
        return None


def library(source: Path) -> ctypes.CDLL | None:
    """The compiled library of C file ``source`` (built on first use), or None (see :func:`why_unavailable`)."""
    if source not in _libs:
        _libs[source] = _build(source)
    return _libs[source]


def why_unavailable(source: Path) -> str | None:
    """Why hooks from C file ``source`` cannot be used here (Unicorn's C library unreachable, no
    compiler, a failed build or load), or None when they can; builds the library on first use."""
    if uclib() is None:
        return "Unicorn's C library is not reachable from its Python binding"
    if library(source) is None:
        return _why.get(source)
    return None


def uclib() -> ctypes.CDLL | None:
    """Unicorn's own shared library as the Python binding loaded it, or None."""
    try:
        from unicorn.unicorn_py3.unicorn import uclib as lib
    except Exception:
        return None
    return lib


def address(fn: Any) -> int:
    """The address of a ctypes function (a C function pointer as an integer)."""
    return ctypes.cast(fn, ctypes.c_void_p).value or 0


def handle(uc: Any) -> ctypes.c_void_p:
    """The ``uc_engine *`` of a Python ``Uc`` (raises OSError when the binding does not expose it)."""
    uch = getattr(uc, "_uch", None)
    if not isinstance(uch, ctypes.c_void_p) or not uch.value:
        raise OSError("Unicorn's C library is not reachable from this Python binding")
    return uch


class Hook:
    """A native hook :func:`hook_add` installed. Unicorn keeps only the address of its user data,
    so the hook keeps the ctypes structure alive, and the ``Uc`` keeps the hook (in its
    ``_psaemu_native_hooks``) until :meth:`close`: an owner dropped without closing it leaves the
    hook writing live memory, never freed memory."""

    def __init__(self, uc: Any, value: int, user_data: ctypes.Structure) -> None:
        self.uc = uc
        self.value: int | None = value
        self.user_data = user_data
        uc.__dict__.setdefault("_psaemu_native_hooks", {})[value] = self

    def close(self) -> None:
        """Remove the hook (again: nothing)."""
        if self.value is None:
            return
        lib = uclib()
        if lib is not None:
            lib.uc_hook_del(handle(self.uc), ctypes.c_size_t(self.value))
        self.uc.__dict__.get("_psaemu_native_hooks", {}).pop(self.value, None)
        self.value = None


def hook_add(uc: Any, kind: int, fn: Any, user_data: ctypes.Structure, begin: int = 1, end: int = 0) -> Hook:
    """Install C function ``fn`` of a :func:`library` as a Unicorn hook of ``kind`` on ``uc``, with a
    pointer to ``user_data`` as its user data; returns the :class:`Hook` (raises OSError)."""
    lib = uclib()
    if lib is None:
        raise OSError("Unicorn's C library is not reachable from this Python binding")
    hook = ctypes.c_size_t()
    err = lib.uc_hook_add(handle(uc), ctypes.byref(hook), ctypes.c_int(kind), ctypes.c_void_p(address(fn)),
                          ctypes.c_void_p(ctypes.addressof(user_data)), ctypes.c_uint64(begin), ctypes.c_uint64(end))
    if err:
        raise OSError(f"uc_hook_add of a native hook failed with Unicorn error {err}")
    return Hook(uc, hook.value, user_data)
