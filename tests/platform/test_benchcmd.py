"""``psaemu bench --quick --check``: every scenario runs, the JSON carries each figure, and no
figure is grossly off (the CI smoke run: it fails only on a regression of several times)."""
from __future__ import annotations

import json

import pytest

from psaemu.platform.cli import main
from psaemu.platform.testing.benchcmd import CEILINGS, FLOORS, failures


def test_quick_bench_json_has_every_figure_and_passes_the_floors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json", "--check"]) == 0, capsys.readouterr().err
    fig = json.loads(capsys.readouterr().out)
    for key in ("ipc_calls_per_s", "crc_raw_s", "crc_psaemu_s", "crc_vs_raw", "help_s", "run_s"):
        assert fig[key] > 0, key
    assert fig["crc_vs_raw"] == pytest.approx(fig["crc_raw_s"] / fig["crc_psaemu_s"])
    assert fig["calls"] == 200


def test_check_names_the_figure_that_regressed() -> None:
    good = {**{k: v * 4 for k, v in FLOORS.items()}, **{k: v / 4 for k, v in CEILINGS.items()}}
    assert failures(good) == []
    bad = failures({**good, "ipc_calls_per_s": 10.0, "run_s": 60.0})
    assert len(bad) == 2 and bad[0].startswith("ipc_calls_per_s 10") and bad[1].startswith("run_s 60")
