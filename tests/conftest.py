"""Shared fixtures: prebuilt images and a factory for machines that capture console output."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import lief  # noqa: F401  (see below)
import pytest
from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
from unicorn.arm_const import UC_CPU_ARM_CORTEX_M33

from psaemu.platform.firmware import parsecache
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.system import attach_proxy

# lief is imported here, before any test: pytester's in-process runs restore sys.modules afterwards,
# dropping a module first imported inside them, and lief's C extension aborts the process when it is
# imported a second time (a parse-cache miss inside a pytester run imports it).
TESTS = Path(__file__).resolve().parent
BOARDS = TESTS / "boards"


@pytest.fixture
def pingpong_machine() -> Machine:
    """The default board with the pingpong pair loaded, not yet run."""
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    return m


#: Thumb code with an ITETE block: 0: movs r1,#5  2: cmp r1,#5  4: itete eq  6: moveq r2,#1
#: 8: movne r2,#2 (fails)  a: moveq r3,#3  c: movne r4,#4 (fails)  e..12: adds r1,#1 x3  14: b .
ITETE = bytes.fromhex("052105290bbf0122022203230424013101310131fee7")


def bare_m33(code: bytes) -> Uc:
    """A bare Cortex-M33 Unicorn with ``code`` at address 0 (for tests of Unicorn's own behaviour)."""
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M33)
    uc.mem_map(0, 0x1000)
    uc.mem_write(0, code)
    return uc


def bundled_machine(name: str, quantum: int) -> Machine:
    """A machine of bundled images, console silenced: ``regression`` (with the proxy), a pair
    (``pingpong``, ``crc``, ``exc``: NAME_host + NAME_se), or one Host image by name."""
    m = Machine(console=lambda core, line: None, quantum=quantum)
    if name == "regression":
        m.load("host", image_path("regression_host"))
        m.load("se", image_path("se_firmware"))
        attach_proxy(m)
    elif name in ("pingpong", "crc", "exc"):
        m.load("host", image_path(f"{name}_host"))
        m.load("se", image_path(f"{name}_se"))
    else:
        m.load("host", image_path(name))
    return m


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty parse cache of this test's own (on disk and in memory), enabled whatever the environment says."""
    monkeypatch.setenv("PSAEMU_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PSAEMU_NO_CACHE", raising=False)
    parsecache.clear_memory()
    yield tmp_path / "cache"
    parsecache.clear_memory()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-deep", action="store_true",
                     help="long fuzzing and every power-cut variant (also: PSAEMU_FUZZ_DEEP=1)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--fuzz-deep"):
        os.environ["PSAEMU_FUZZ_DEEP"] = "1"


def deep() -> bool:
    """The long mode of the fuzz and power-cut tests (``--fuzz-deep`` or ``PSAEMU_FUZZ_DEEP=1``)."""
    return os.environ.get("PSAEMU_FUZZ_DEEP", "") not in ("", "0")
