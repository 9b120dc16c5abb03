"""Shared fixtures: prebuilt images and a factory for machines that capture console output."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import lief  # noqa: F401  (see below)
import pytest

from psaemu.platform.firmware import parsecache
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

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
