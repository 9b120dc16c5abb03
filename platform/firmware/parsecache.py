"""A cache of image parse results keyed by content hash, so a run of an image seen before skips
LIEF (and its 0.3 s import) and the Python hint scan.

Entries are JSON files under ``$PSAEMU_CACHE_DIR``, else ``$XDG_CACHE_HOME/psaemu``, else
``~/.cache/psaemu``. The key covers the bytes parsed, the caller's extra key, and the bytecode
of the function that computes the result (so changing the parser invalidates its entries).
A missing, unreadable or corrupt entry is parsed again and rewritten; an unwritable cache
directory only costs the parse. ``PSAEMU_NO_CACHE=1`` turns the cache off. Both the directory
(``DISK_ENTRIES``, oldest entries pruned when one is written) and the in-process copy
(``MEMORY_ENTRIES``, least recently used dropped) are bounded.
"""
from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

#: Bumped when the entry layout changes.
FORMAT = 1
#: Entries kept in the cache directory; writing one more prunes the oldest.
DISK_ENTRIES = 256
#: Results kept in this process (several machines built from the same images, as tests do).
MEMORY_ENTRIES = 64
_memory: dict[str, Any] = {}


def enabled() -> bool:
    """False when ``PSAEMU_NO_CACHE`` is set to anything but empty or ``0``."""
    return os.environ.get("PSAEMU_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    """Where entries live (created on the first write)."""
    explicit = os.environ.get("PSAEMU_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "psaemu"


def _fingerprint(fn: Callable[..., Any]) -> bytes:
    code = getattr(fn, "__code__", None)
    return marshal.dumps(code) if code is not None else repr(fn).encode()


def key_of(kind: str, data: bytes, extra: Any, fn: Callable[..., Any]) -> str:
    """The entry name of ``fn``'s result for ``data`` (sha256 over every input of the result)."""
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{kind}\0{extra!r}\0{sys.version_info[:2]}\0".encode())
    h.update(_fingerprint(fn))
    h.update(data)
    return f"{kind}-{h.hexdigest()}"


def cached(kind: str, data: bytes, extra: Any, compute: Callable[..., Any], *args: Any) -> Any:
    """``compute(*args)`` (a JSON-able value computed from ``data`` and ``extra``), or the value it
    gave before for the same inputs; the result is shared, callers must not change it.

    Exceptions of ``compute`` propagate and store nothing, so errors are always reported afresh.
    """
    if not enabled():
        return compute(*args)
    key = key_of(kind, data, extra, compute)
    if key in _memory:
        value = _memory.pop(key)                  # re-inserted below: most recently used last
    else:
        path = cache_dir() / f"{key}.json"
        value = _read(path, key)
        if value is None:
            value = compute(*args)
            _write(path, key, value)
    _memory[key] = value
    while len(_memory) > MEMORY_ENTRIES:
        del _memory[next(iter(_memory))]
    return value


def _read(path: Path, key: str) -> Any:
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key or "value" not in entry:
        return None
    return entry["value"]


def _write(path: Path, key: str, value: Any) -> None:
    """Write atomically (a temporary file renamed over the entry); give up quietly on any OS error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"key": key, "value": value}, f, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        _prune(path.parent)
    except OSError:
        pass


def _prune(folder: Path) -> None:
    """Keep the newest ``DISK_ENTRIES`` entries of ``folder`` (entries another process removes
    meanwhile are skipped)."""
    entries = []
    for p in folder.glob("*.json"):
        try:
            entries.append((p.stat().st_mtime_ns, p))
        except OSError:
            continue
    entries.sort()
    for _mtime, p in entries[:max(0, len(entries) - DISK_ENTRIES)]:
        try:
            p.unlink()
        except OSError:
            pass


def clear_memory() -> None:
    """Forget the results kept in this process (tests that change the cache directory)."""
    _memory.clear()
