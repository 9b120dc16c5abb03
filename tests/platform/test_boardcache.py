"""Validated boards come from the parse cache: the cached board equals a fresh parse and builds
the same machine (same event trace to mailbox ready), editing the file invalidates its entry,
errors are never cached, and a warm start skips the TOML parser and the model checks."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware import parsecache
from psaemu.platform.system import boardcache
from psaemu.platform.system.board import builtin_board_path, builtin_boards, load_board, parse_board
from psaemu.platform.system.builder import MachineSpec, build_machine
from psaemu.platform.testing.snapshot import quiescent

TINY = Path(__file__).resolve().parent.parent / "boards" / "tiny.toml"


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"{boardcache.KIND}-*.json"))


@pytest.mark.parametrize("path", [*(builtin_board_path(n) for n in builtin_boards()), TINY],
                         ids=lambda p: p.stem)
def test_cached_board_equals_a_fresh_parse(cache, path):
    fresh = parse_board(str(path), path.read_text())
    first = load_board(path)                 # parsed and stored
    parsecache.clear_memory()
    from_disk = load_board(path)             # read back from the cache directory
    again = load_board(path)                 # from this process's copy
    assert len(_entries(cache)) == 1
    assert first == from_disk == again == fresh
    assert from_disk is not again and from_disk.peripherals[0].params is not again.peripherals[0].params


def _boot_trace(board) -> tuple[str, list[str]]:
    m = build_machine(MachineSpec(board=board))
    system = m.proxy_system
    m.run_until(lambda mm: system.proxy.ready and quiescent(mm))
    assert system.proxy.ready
    return m.events.digest(), sorted(m.peripherals)


def test_cached_board_builds_the_same_machine(cache):
    path = builtin_board_path("musca_b1")
    fresh = parse_board(str(path), path.read_text())
    load_board(path)
    parsecache.clear_memory()
    cached = load_board(path)
    assert _entries(cache)
    assert _boot_trace(cached) == _boot_trace(fresh)


def test_a_change_to_the_board_gets_the_changed_board(cache):
    cached = load_board()
    cached.cores["host"].clock_hz = 1
    cached.peripherals[0].params["irqs"]["changed"] = 1
    assert load_board() == parse_board(str(builtin_board_path("musca_b1")), builtin_board_path("musca_b1").read_text())


def test_editing_the_board_file_invalidates_its_entry(cache, tmp_path):
    path = tmp_path / "board.toml"
    text = TINY.read_text()
    assert "clock_hz = 100_000_000" in text
    path.write_text(text)
    assert load_board(path).cores["main"].clock_hz == 100_000_000
    path.write_text(text.replace("clock_hz = 100_000_000", "clock_hz = 25_000_000"))
    assert load_board(path).cores["main"].clock_hz == 25_000_000
    parsecache.clear_memory()
    assert load_board(path).cores["main"].clock_hz == 25_000_000      # from disk: the edited entry
    assert len(_entries(cache)) == 2
    path.write_text(text.replace("clock_hz = 100_000_000", "clock_hz = 100"))
    with pytest.raises(ConfigError, match=r"board\.toml: cores\.main\.clock_hz: 0x64 is below the minimum"):
        load_board(path)
    with pytest.raises(ConfigError):                  # errors are reported afresh, never cached
        load_board(path)
    assert len(_entries(cache)) == 2


def test_the_same_text_at_another_path_names_that_path(cache, tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(TINY.read_text())
    b.write_text(TINY.read_text())
    assert load_board(a).path == str(a) and load_board(b).path == str(b)


def test_no_cache_parses_every_time(cache, monkeypatch):
    monkeypatch.setenv("PSAEMU_NO_CACHE", "1")
    assert load_board() == load_board()
    assert not _entries(cache)


def test_warm_start_skips_the_toml_parser_and_the_model_checks(cache):
    code = ("import sys; from psaemu.platform.system.board import load_board; b = load_board(); "
            "print(len(b.peripherals), 'tomllib' in sys.modules, 'psaemu.peripherals.catalog' in sys.modules)")
    env = {"PSAEMU_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    count = len(load_board().peripherals)
    assert cold.stdout.split() == [str(count), "True", "True"]
    assert warm.stdout.split() == [str(count), "False", "False"]
