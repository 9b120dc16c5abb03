"""The scheduler's free runs are on by default (``--free-run``, the spec); ``--no-free-run``,
``PSAEMU_FREE_RUN=0`` or the spec turn them off; without a C compiler psaemu warns once, and why,
and runs counted."""
from __future__ import annotations

import pytest

from psaemu.platform.cli import main as cli_main
from psaemu.platform.cpu import native
from psaemu.platform.system.builder import MachineSpec, build_machine


def test_default_flag_and_spec(monkeypatch, capsys):
    monkeypatch.delenv("PSAEMU_FREE_RUN", raising=False)
    assert build_machine(MachineSpec(images={"host": "crc_host", "se": "none"})).scheduler.free_run
    assert not build_machine(MachineSpec(images={"host": "crc_host", "se": "none"}, free_run=False)).scheduler.free_run
    for how in (["--free-run"], ["--no-free-run"], []):
        assert cli_main(["run", *how, "--host", "crc_host", "--se", "none", "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err
    monkeypatch.setenv("PSAEMU_FREE_RUN", "0")
    assert not build_machine(MachineSpec(images={"host": "crc_host", "se": "none"})).scheduler.free_run
    assert build_machine(MachineSpec(images={"host": "crc_host", "se": "none"}, free_run=True)).scheduler.free_run


@pytest.mark.parametrize("how", [["--free-run"], []])
def test_no_compiler_gives_one_warning(how, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PSAEMU_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    monkeypatch.setattr(native, "_libs", {})
    monkeypatch.setattr(native, "_why", {})
    monkeypatch.delenv("PSAEMU_FREE_RUN", raising=False)
    assert cli_main(["run", *how, "--host", "crc_host", "--se", "none", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: free runs are off") == 1
    assert "no C compiler" in err and "no-such-cc" in err
    assert cli_main(["run", "--no-free-run", "--host", "crc_host", "--se", "none", "--quiet"]) == 0
    monkeypatch.setenv("PSAEMU_FREE_RUN", "0")
    assert cli_main(["run", "--host", "crc_host", "--se", "none", "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err
