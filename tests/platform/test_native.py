"""Native hooks (platform/cpu/native.py): the compiled-library cache, hook lifetimes, and the
block counter's queries (platform/cpu/blockcount.c) leaving the last stop's fields alone."""
from __future__ import annotations

import ctypes
import gc
import platform
import shutil
import sys
from array import array
from pathlib import Path

import pytest
from conftest import ITETE, bare_m33

from psaemu.platform.cpu import blockcount, native
from psaemu.platform.debug.regtrace import host_words
from psaemu.platform.debug.tracefile import write_section

pytestmark = pytest.mark.skipif(shutil.which(native.compiler().split()[0]) is None, reason="no C compiler")



def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("PSAEMU_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(native, "_libs", {})
    monkeypatch.setattr(native, "_why", {})
    return tmp_path


def test_cached_library_name_follows_machine_compiler_and_flags(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    _fresh(monkeypatch, tmp_path)
    src = Path(blockcount.__file__).with_name("blockcount.c")
    base = native._target(src, "cc")
    assert platform.machine() in base.name
    assert native._target(src, "cc -m32") != base
    monkeypatch.setattr(native, "_FLAGS", (*native._FLAGS, "-g"))
    assert native._target(src, "cc") != base


def test_a_damaged_cached_library_is_rebuilt_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fresh(monkeypatch, tmp_path)
    src = Path(blockcount.__file__).with_name("blockcount.c")
    out = native._target(src, native.compiler())
    out.write_bytes(b"not a shared library")
    lib = native.library(src)
    assert lib is not None and hasattr(lib, "psaemu_block"), native.why_unavailable(src)
    assert out.read_bytes()[:4] != b"not "


def test_a_hook_keeps_its_user_data_until_closed() -> None:
    uc = bare_m33(bytes.fromhex("0521013101310131fee7"))     # movs r1,#5; adds r1,#1 x3; b .
    counter = blockcount.counter_for(uc)
    if counter is None:
        pytest.skip(blockcount.why_unavailable() or "free runs unavailable")
    counter.arm(1 << 40)
    counter.attach()
    hook = counter.hook
    ref = ctypes.addressof(counter.state)
    del counter                            # the owner goes without detaching its hook
    gc.collect()
    assert hook.user_data is not None and ctypes.addressof(hook.user_data) == ref
    uc.emu_start(1, 8)                     # the hook writes the structure it was given, still alive
    assert hook.user_data.count == 4
    assert uc._psaemu_native_hooks[hook.value] is hook
    hook.close()
    hook.close()
    assert hook.value is None and not uc._psaemu_native_hooks


def test_cut_leaves_the_need_fields_of_the_last_stop() -> None:
    uc = bare_m33(ITETE)
    counter = blockcount.counter_for(uc)
    if counter is None:
        pytest.skip(blockcount.why_unavailable() or "free runs unavailable")
    s = counter.state
    s.need_it, s.need_last = 0x1234, 0x5678
    assert counter.cut(0, len(ITETE), 0) > 0
    assert (s.need_it, s.need_last) == (0x1234, 0x5678)


def test_register_words_are_written_little_endian() -> None:
    import io

    words = [1, 0x12345678, 0xFFFFFFFF]
    data = array("I", words).tobytes()          # host byte order, as the C buffer holds them
    out = io.BytesIO()
    write_section(out, b"REGS", host_words(data))
    assert out.getvalue()[-12:] == b"".join(w.to_bytes(4, "little") for w in words)
    assert sys.byteorder != "little" or host_words(data).tobytes() == data
