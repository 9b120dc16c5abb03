"""Board files: the default board's facts, and every validation error as ``file: key: problem``."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.board import builtin_board_path, builtin_boards, load_board

MUSCA = builtin_board_path("musca_b1").read_text()


def write_variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    assert MUSCA.count(old) >= 1, f"fixture text not in musca_b1.toml: {old!r}"
    path = tmp_path / "variant.toml"
    path.write_text(MUSCA.replace(old, new, count))
    return path


def load_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_board(path)
    return str(info.value)


def test_default_board_has_musca_b1_maps():
    b = load_board()
    assert b.name == "musca_b1" and "musca_b1" in builtin_boards()
    host, se = b.cores["host"], b.cores["se"]
    assert (host.cpu, se.cpu) == ("cortex-m33", "cortex-m0plus")
    assert {r.name: (r.base, r.size, r.ns_alias) for r in host.regions}["code_sram"] == (0x1A400000, 0x80000, 0x0A400000)
    windows = {w.name: w.bases for w in b.windows}
    assert windows["code_sram"] == {"host": 0x1A400000, "se": 0x38200000}
    assert windows["code"]["se"] - windows["code"]["host"] == 0x1DE00000
    irqs = {p.name: p.params["irqs"] for p in b.peripherals}
    assert irqs["se_to_host_receiver"]["msg0"] == 87 and irqs["se_to_host_receiver"]["comb"] == 89
    assert irqs["host_to_se_receiver"]["msg0"] == 24 and irqs["host_to_se_receiver"]["comb"] == 23
    bases = {p.name: p.base for p in b.peripherals}
    assert bases["host_to_se_sender"] == 0x52600000 and bases["se_to_host_receiver"] == 0x52700000
    assert bases["se_to_host_sender"] == 0x50003000 and bases["host_to_se_receiver"] == 0x50004000
    assert b.proxy["PSA_PROXY_SHARED_MEMORY_BASE"] == 0x1A408000


@pytest.mark.parametrize("old,new,key,problem", [
    ('name = "sram"\nbase = 0x30000000\nns_alias = 0x20000000\nsize = "512K"',
     'name = "sram"\nbase = 0x1A470000\nns_alias = 0x20000000\nsize = "512K"',
     r"cores\.host\.regions\[4\]", r"overlaps cores\.host\.regions\[3\] \(code_sram\)"),
    ('host = 0x1A400000\nse = 0x38200000', 'host = 0x1A400000',
     r"windows\[2\]", r"no base for core\(s\) se"),
    ('type = "pl011"\ncore = "host"', 'type = "pl012"\ncore = "host"',
     r"peripherals\[0\]\.type", r"unknown peripheral type 'pl012'"),
    ('size = "64K"', 'size = "64Q"', r"cores\.se\.regions\[0\]\.size", r"expected a number"),
    ('base = 0x1A200000\nns_alias = 0x0A200000', 'base = 0x1A200100\nns_alias = 0x0A200000',
     r"cores\.host\.regions\[2\]\.base", r"not aligned to 0x400"),
    ('clock_hz = 32_000_000', 'clock_hz = 32_000_000\nclock = 5', r"cores\.se\.clock", r"unknown key"),
    ('cpu = "cortex-m0plus"', 'cpu = "cortex-m7"', r"cores\.se\.cpu", r"'cortex-m7' is not one of"),
    ('irqs = { comb = 23, msg0 = 24, msg1 = 25 }', 'irqs = { comb = 23, msg0 = 44 }',
     r"peripherals\[3\]\.irqs\.msg0", r"IRQ 44 does not exist on core 'se'"),
    ('irqs = { comb = 23, msg0 = 24, msg1 = 25 }', 'irqs = { comb = 23, doorbell = 24 }',
     r"peripherals\[3\]\.irqs\.doorbell", r"has no output 'doorbell'"),
    ('link = "se_to_host"\nirqs = { nr2r = 21, r2nr = 22 }', 'link = "se_to_hots"\nirqs = { nr2r = 21, r2nr = 22 }',
     r"peripherals", r"MHU link 'se_to_hots' has no receiver"),
    ('controls = "se"', 'controls = "enclave"', r"peripherals\[1\]\.controls", r"no core named 'enclave'"),
    ('name = "rom"                   # SE ROM remap: SE MCUBoot image in Host eFlash0\nsize = "128K"',
     'name = "rom"\nsize = "4M"', r"windows\[0\]\.host", r"runs past the end of region 'eflash0'"),
    ('PSA_PROXY_ADDR_TRANSLATION = 1', 'PSA_PROXY_ADDR_TRANSLATION = "yes"',
     r"proxy\.PSA_PROXY_ADDR_TRANSLATION", r"expected a number"),
])
def test_board_errors_name_file_key_and_problem(tmp_path, old, new, key, problem):
    msg = load_error(write_variant(tmp_path, old, new))
    assert re.search(rf"variant\.toml: {key}: .*{problem}", msg), msg


def test_peripheral_overlapping_a_region_is_reported(tmp_path):
    msg = load_error(write_variant(tmp_path, "base = 0x5000A000", "base = 0x30004000"))
    assert re.search(r"variant\.toml: peripherals\[\d\]: .*se_uart.* overlaps cores\.se\.regions\[0\]", msg), msg


def test_all_problems_are_reported_together(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(MUSCA.replace('cpu = "cortex-m0plus"', 'cpu = "z80"').replace('size = "64K"', 'size = -1'))
    msg = load_error(path)
    assert "cores.se.cpu" in msg and "cores.se.regions[0].size" in msg


def test_missing_and_malformed_files(tmp_path):
    assert "board file not found" in str(pytest.raises(ConfigError, load_board, tmp_path / "nope.toml").value)
    bad = tmp_path / "bad.toml"
    bad.write_text("[cores.host\ncpu = 1")
    assert re.search(r"bad\.toml: not valid TOML", str(pytest.raises(ConfigError, load_board, bad).value))


def test_builtin_name_is_accepted():
    assert load_board("musca_b1").name == "musca_b1"
