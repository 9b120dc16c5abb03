"""Validated boards kept in the parse cache (platform/firmware/parsecache.py), keyed by the board
file's text, its path and the code that validates it, so a start with a board seen before skips
the TOML parse and the checks (which build every peripheral model once).

The cache holds the board as plain JSON data; every load gets fresh objects (callers may change
the board they get). A board whose plain form does not come back equal (a TOML value JSON cannot
hold) is simply not cached. Errors are never cached: a bad file is reported afresh every time.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

from psaemu.platform.firmware import parsecache

from .board import Board, CoreSpec, PeripheralSpec, Region, Slot, Window

#: Entries of this kind in the parse cache.
KIND = "board"
_ROOT = Path(__file__).resolve().parents[2]
#: The code a validated board depends on: the board loader and the peripheral models it builds.
_CODE_DIRS = (_ROOT / "platform" / "system", _ROOT / "peripherals")
_CODE_FILES = ("board.py", "boardcache.py")


class _Uncacheable(Exception):
    """The parsed board has no faithful plain form; ``board`` is the parse result."""

    def __init__(self, board: Board) -> None:
        super().__init__("board not representable as JSON")
        self.board = board


def code_stamp() -> tuple[tuple[str, int, int], ...]:
    """(file, mtime, size) of the code that validates a board: editing it invalidates the entries."""
    stamp = []
    system, periph = _CODE_DIRS
    paths = [system / f for f in _CODE_FILES] + sorted(periph.glob("*.py"))
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        stamp.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(stamp)


def load(path: str, text: str, parse: Callable[[str, str], Board]) -> Board:
    """The board ``parse(path, text)`` gives, from the cache when the same text, path and code
    gave it before."""
    try:
        plain = parsecache.cached(KIND, text.encode("utf-8", "surrogatepass"), (path, code_stamp()),
                                  _plain_board, path, text, parse)
    except _Uncacheable as exc:
        return exc.board
    return from_plain(plain)


def _plain_board(path: str, text: str, parse: Callable[[str, str], Board]) -> Any:
    """The cache entry: ``parse``'s board as JSON data, checked to come back equal."""
    board = parse(path, text)
    try:
        plain = json.loads(json.dumps(to_plain(board)))
    except (TypeError, ValueError):
        raise _Uncacheable(board) from None
    if from_plain(plain) != board:
        raise _Uncacheable(board)
    return plain


def to_plain(board: Board) -> dict[str, Any]:
    """``board`` as JSON-able data (:func:`from_plain` gives it back)."""
    return {"path": board.path, "name": board.name, "description": board.description,
            "cores": [_plain_core(c) for c in board.cores.values()],
            "windows": [[w.name, w.size, w.bases] for w in board.windows],
            "peripherals": [[p.name, p.type, p.core, p.base, p.ns_alias, p.params, p.key] for p in board.peripherals],
            "mhu": board.mhu, "proxy": board.proxy, "proxy_profile": board.proxy_profile}


def _plain_core(c: CoreSpec) -> dict[str, Any]:
    return {"name": c.name, "cpu": c.cpu, "clock_hz": c.clock_hz, "priority_bits": c.priority_bits,
            "num_irqs": c.num_irqs, "reset": c.reset,
            "regions": [[r.core, r.name, r.base, r.size, r.kind, r.ns_alias, r.mpc_secure] for r in c.regions],
            "veneer_region": c.veneer_region,
            "slots": [[s.name, s.base, s.size, s.primary] for s in c.slots],
            "enforce_security": c.enforce_security}


def from_plain(d: dict[str, Any]) -> Board:
    """A new :class:`Board` (no object shared with ``d``) from :func:`to_plain` data."""
    cores = {c["name"]: _core(c) for c in d["cores"]}
    windows = [Window(name, size, dict(bases)) for name, size, bases in d["windows"]]
    periphs = [PeripheralSpec(name, ptype, core, base, alias, _copy(params), key)
               for name, ptype, core, base, alias, params, key in d["peripherals"]]
    return Board(d["path"], d["name"], d["description"], cores, windows, periphs,
                 _copy(d["mhu"]), _copy(d["proxy"]), _copy(d["proxy_profile"]))


def _core(c: dict[str, Any]) -> CoreSpec:
    regions = [Region(core, name, base, size, kind, alias, tuple(tuple(p) for p in gated))
               for core, name, base, size, kind, alias, gated in c["regions"]]
    veneer = c["veneer_region"]
    return CoreSpec(c["name"], c["cpu"], c["clock_hz"], c["priority_bits"], c["num_irqs"], c["reset"],
                    regions, tuple(veneer) if veneer is not None else None,
                    [Slot(*s) for s in c["slots"]], c["enforce_security"])


def _copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts and lists; the rest is immutable)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
