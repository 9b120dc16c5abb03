"""The parse cache gives the same images and hints as a fresh parse, survives corrupt entries,
can be turned off, and keeps LIEF (and the other heavy libraries) out of start-up."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from psaemu.platform.cpu.core import scan_hints
from psaemu.platform.firmware import parsecache
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import read_image

IMAGES = [("regression_host", "v8m", "host"), ("se_firmware", "v6m", "se")]
HEAVY = ("lief", "capstone", "cryptography", "intelhex", "hypothesis")


def _fields(img) -> tuple:
    return (img.entry, img.segments, img.sections, list(img.symbols.items()), img.symbol_sizes,
            img.cpu_arch, img.vector_table)


def _fresh(name: str, arch: str, core: str, monkeypatch: pytest.MonkeyPatch) -> tuple:
    monkeypatch.setenv("PSAEMU_NO_CACHE", "1")
    try:
        return _fields(read_image(image_path(name), arch, core))
    finally:
        monkeypatch.delenv("PSAEMU_NO_CACHE")


@pytest.mark.parametrize("name,arch,core", IMAGES)
def test_cached_image_equals_fresh_parse(cache: Path, monkeypatch: pytest.MonkeyPatch, name, arch, core) -> None:
    fresh = _fresh(name, arch, core, monkeypatch)
    assert _fields(read_image(image_path(name), arch, core)) == fresh        # computed, written
    assert list(cache.glob("elf-*.json"))
    parsecache.clear_memory()
    assert _fields(read_image(image_path(name), arch, core)) == fresh        # read back from disk


def test_corrupt_entries_are_parsed_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name, arch, core = IMAGES[0]
    fresh = _fresh(name, arch, core, monkeypatch)
    read_image(image_path(name), arch, core)
    for i, entry in enumerate(cache.glob("*.json")):
        entry.write_bytes([b"", b"{not json", b'{"key": "other", "value": 1}', b"\xff\xfe"][i % 4])
    parsecache.clear_memory()
    assert _fields(read_image(image_path(name), arch, core)) == fresh
    parsecache.clear_memory()
    assert _fields(read_image(image_path(name), arch, core)) == fresh


def test_opt_out_writes_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSAEMU_NO_CACHE", "1")
    read_image(image_path("se_firmware"), "v6m", "se")
    assert not cache.exists()


def test_unwritable_cache_dir_only_costs_the_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PSAEMU_CACHE_DIR", str(blocker / "cache"))
    parsecache.clear_memory()
    fresh = _fresh("se_firmware", "v6m", "se", monkeypatch)
    assert _fields(read_image(image_path("se_firmware"), "v6m", "se")) == fresh


def test_cached_hints_equal_the_scan(cache: Path) -> None:
    img = read_image(image_path("se_firmware"), "v6m", "se")
    for seg in img.segments:
        want = scan_hints(seg.data, seg.vaddr)
        parsecache.cached("hints", seg.data, seg.vaddr, scan_hints, seg.data, seg.vaddr)
        parsecache.clear_memory()
        got = parsecache.cached("hints", seg.data, seg.vaddr, scan_hints, seg.data, seg.vaddr)
        assert [tuple(h) for h in got] == want


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_help_and_warm_builds_load_no_heavy_library(tmp_path: Path) -> None:
    env = {**os.environ, "PSAEMU_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PSAEMU_NO_CACHE", None)
    helped = _python("import sys\nfrom psaemu.platform.cli import main\n"
                     "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
                     f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))", env)
    assert helped.stdout.strip().splitlines()[-1] == "[]", helped.stderr
    build = ("import sys\nfrom psaemu.platform.system.builder import MachineSpec, build_machine\n"
             "build_machine(MachineSpec())\nprint('lief' in sys.modules)")
    assert _python(build, env).stdout.strip() == "True"       # first build parses with LIEF
    assert _python(build, env).stdout.strip() == "False"      # the next one reads the cache


def test_disk_and_memory_entries_are_bounded(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsecache, "DISK_ENTRIES", 5)
    monkeypatch.setattr(parsecache, "MEMORY_ENTRIES", 3)
    computed: list[int] = []

    def compute(n: int) -> int:
        computed.append(n)
        return n

    for i in range(12):
        parsecache.cached("t", bytes([i]), None, compute, i)
    assert len(list(cache.glob("*.json"))) == 5
    assert len(parsecache._memory) == 3
    computed.clear()
    assert parsecache.cached("t", bytes([11]), None, compute, 11) == 11 and computed == []   # in memory
    parsecache.clear_memory()
    assert parsecache.cached("t", bytes([10]), None, compute, 10) == 10 and computed == []   # on disk
    assert parsecache.cached("t", bytes([0]), None, compute, 0) == 0 and computed == [0]     # pruned: again
