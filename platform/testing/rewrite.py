"""Keep pytest's assertion rewriting off other projects' modules that share a name with one of ours.

pytest marks for rewriting the top-level names it derives from the installed files of every
distribution with a ``pytest11`` entry point. psaemu is a namespace package (no
``psaemu/__init__.py``), so pytest's heuristic strips the path down to bare module names --
``cli``, ``config``, ``status``, ``system`` ... -- and would rewrite (or warn about) any module of
that name in the user's project. psaemu's plugin modules contain no ``assert`` of their own, so
nothing of ours needs rewriting: the plugin drops those bare names again when it registers.
"""
from __future__ import annotations

from importlib import metadata
from pathlib import PurePosixPath
from typing import Any, Iterable

DISTRIBUTION = "psa-proxy-emu"


def bare_names(files: Iterable[str]) -> set[str]:
    """Every bare module or package name of the distribution's files under ``psaemu/``."""
    names = set()
    for f in files:
        p = PurePosixPath(f)
        if p.parts[:1] != ("psaemu",) or p.suffix != ".py":
            continue
        names.add(p.parent.name if p.name == "__init__.py" else p.stem)
    names.discard("psaemu")
    return names


def unmark_bare_names(hook: Any, files: Iterable[str] | None = None) -> set[str]:
    """Remove our bare names from pytest's assertion-rewrite hook; return the names removed."""
    must = getattr(hook, "_must_rewrite", None)
    if not isinstance(must, set):
        return set()                   # no rewrite hook (--assert=plain) or a pytest that keeps it elsewhere
    if files is None:
        try:
            files = [str(f) for f in metadata.distribution(DISTRIBUTION).files or ()]
        except metadata.PackageNotFoundError:
            return set()
    removed = must & bare_names(files)
    must -= removed
    cache = getattr(hook, "_marked_for_rewrite_cache", None)
    if removed and isinstance(cache, dict):
        cache.clear()
    return removed
