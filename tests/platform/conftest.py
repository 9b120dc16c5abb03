"""Fixtures shared by the platform tests."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from psaemu.platform.firmware import parsecache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty parse cache of this test's own (on disk and in memory), enabled whatever the environment says."""
    monkeypatch.setenv("PSAEMU_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PSAEMU_NO_CACHE", raising=False)
    parsecache.clear_memory()
    yield tmp_path / "cache"
    parsecache.clear_memory()
