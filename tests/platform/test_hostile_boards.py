"""Hostile board files: every value of a wrong type, sign or size is a ``file: key: problem``
ConfigError (exit 120 from the CLI), never a TypeError at parse time or a UcError at build time."""
from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from psaemu.platform.cli import main
from psaemu.platform.errors import ConfigError
from psaemu.platform.system.board import _BoardParser, builtin_board_path, load_board
from psaemu.platform.system.machine import Machine

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TINY = Path(__file__).resolve().parents[1] / "boards" / "tiny.toml"
SCC = '''
[[peripherals]]
name = "scc"
type = "musca_b1_scc"
core = "main"
base = 0x40020000
controls = "aux"
'''


def tiny_text(extra: str = SCC) -> str:
    return TINY.read_text() + extra


def board_file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "board.toml"
    p.write_text(text)
    return p


def problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_board(board_file(tmp_path, text))
    return str(info.value)


@pytest.mark.parametrize("value", ['["pl011"]', '{ kind = "pl011" }', "7"])
def test_peripheral_type_of_the_wrong_type(tmp_path, value):
    msg = problems(tmp_path, tiny_text(SCC.replace('type = "musca_b1_scc"', f"type = {value}")))
    assert "peripherals[6].type" in msg and "unknown peripheral type" in msg


@pytest.mark.parametrize("value", ['["aux"]', '{ core = "aux" }', "1"])
def test_scc_controls_of_the_wrong_type(tmp_path, value):
    msg = problems(tmp_path, tiny_text(SCC.replace('controls = "aux"', f"controls = {value}")))
    assert "peripherals[6].controls" in msg and "is not a core name" in msg


@pytest.mark.parametrize("old,new,key", [
    ('base = 0x40004000', 'base = -4096', "peripherals[0].base"),
    ('base = 0x40004000', 'base = 0x40004000\nns_alias = -4096', "peripherals[0].ns_alias"),
    ('base = 0x20000000\nsize = "128K"', 'base = -1024\nsize = "128K"', "cores.main.regions[1].base"),
    ('base = 0x20000000\nsize = "128K"\nkind = "ram"', 'base = 0x20000000\nsize = "128K"\nkind = "ram"\n'
     'ns_alias = -1024', "cores.main.regions[1].ns_alias"),
    ('main = 0x21000000', 'main = -1024', "windows[0].main"),
])
def test_negative_addresses_are_refused_at_load(tmp_path, old, new, key):
    text = tiny_text()
    assert old in text
    msg = problems(tmp_path, text.replace(old, new, 1))
    assert f"{key}: " in msg and "below the minimum" in msg


def test_ns_alias_running_past_4_gib(tmp_path):
    text = tiny_text().replace('base = 0x20000000\nsize = "128K"\nkind = "ram"',
                               'base = 0x20000000\nsize = "128K"\nkind = "ram"\nns_alias = 0xFFFF0000', 1)
    assert "runs past the 4 GiB address space" in problems(tmp_path, text)


def test_core_without_memory_regions_is_refused(tmp_path, capsys):
    text = '[cores.lonely]\ncpu = "cortex-m33"\nclock_hz = 1_000_000\n'
    msg = problems(tmp_path, text)
    assert "cores.lonely.regions" in msg and "no memory" in msg
    assert main(["check", str(tmp_path / "board.toml")]) == 120
    assert "OK" not in capsys.readouterr().out


def _leaves(obj: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, path + (i,))
    else:
        yield path


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    out = copy.deepcopy(doc)
    node = out
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return out


HOSTILE = [[1], {"x": 1}, -1, -0x400, "junk", 1 << 40, True, 1.5, ""]


def test_every_key_of_a_board_with_hostile_values():
    """Each leaf of tiny.toml (+ an SCC) replaced by each hostile value: a ConfigError or a board
    that builds; never another exception."""
    doc = tomllib.loads(tiny_text())
    cases = errors = 0
    for path in _leaves(doc):
        for value in HOSTILE:
            cases += 1
            try:
                board = _BoardParser("hostile.toml", _replace(doc, path, value)).parse()
            except ConfigError as exc:
                assert "hostile.toml: " in str(exc)
                errors += 1
                continue
            Machine(board, trace_events=False)                  # whatever validates must build
    assert cases > 500 and errors > cases // 2


def test_veneer_region_on_a_core_with_a_bad_cpu_reports_the_cpu(tmp_path):
    text = builtin_board_path("musca_b1").read_text().replace('cpu = "cortex-m33"', 'cpu = "cortex-m4"', 1)
    board = tmp_path / "b.toml"
    board.write_text(text)
    with pytest.raises(ConfigError, match=r"cores\.host\.cpu: 'cortex-m4' is not one of"):
        load_board(str(board))
