"""Full collections are rarer during a run only: the caller's thresholds come back, and
PSAEMU_GC_DEFAULT=1 leaves them alone."""
from __future__ import annotations

import gc

import pytest

from psaemu.platform.system.gcpolicy import FULL_COLLECTION_EVERY, rarer_full_collections
from psaemu.platform.system.machine import Machine


def test_thresholds_raised_inside_and_restored_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSAEMU_GC_DEFAULT", raising=False)
    before = gc.get_threshold()
    with rarer_full_collections():
        assert gc.get_threshold() == (before[0], before[1], max(before[2], FULL_COLLECTION_EVERY))
    assert gc.get_threshold() == before


def test_opt_out_keeps_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSAEMU_GC_DEFAULT", "1")
    before = gc.get_threshold()
    with rarer_full_collections():
        assert gc.get_threshold() == before


def test_a_run_gives_the_thresholds_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSAEMU_GC_DEFAULT", raising=False)
    before = gc.get_threshold()
    m = Machine()
    m.load("host", "pingpong_host")
    m.load("se", "pingpong_se")
    assert m.run().ok
    assert gc.get_threshold() == before
