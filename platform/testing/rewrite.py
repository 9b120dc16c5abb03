"""Keep pytest's assertion rewriting off other projects' modules that share a name with one of ours.

pytest marks for rewriting the top-level names it derives from the installed files of every
distribution with a ``pytest11`` entry point. psaemu is a namespace package (no
``psaemu/__init__.py``), so pytest's heuristic strips the path down to bare module names --
``cli``, ``config``, ``status``, ``system`` ... -- and would rewrite (or warn about) any module of
that name in the user's project. psaemu's plugin modules contain no ``assert`` of their own, so
nothing of ours needs rewriting: the plugin drops those bare names again when it registers.

Why a private attribute: pytest's public API can only *add* names to rewrite
(``pytest.register_assert_rewrite``), and no hook lets a plugin veto a name pytest marked itself
(``_pytest.config.Config._mark_plugins_for_rewrite`` adds the entry-point distributions' names to
``AssertionRewritingHook._must_rewrite`` before any plugin code runs). So this module edits that
set, and :func:`rewrite_sets` checks its shape first: a pytest whose hook no longer has it gives
:class:`RewriteHookChanged`, naming the pytest version, instead of an ``AttributeError``. The
plugin turns that into a warning (the names then simply stay marked, as without this module);
``tests/platform/test_rewrite.py`` fails on such a pytest so the change is noticed.
"""
from __future__ import annotations

import warnings
from importlib import metadata
from pathlib import PurePosixPath
from typing import Any, Iterable

import pytest

from psaemu.platform.errors import ConfigError

DISTRIBUTION = "psa-proxy-emu"


class RewriteHookChanged(ConfigError):
    """pytest's assertion-rewrite hook no longer keeps its marked names where this module edits them."""


def rewrite_sets(hook: Any) -> tuple[set[str], dict | None] | None:
    """The hook's marked-name set and name cache, or None without a hook (``--assert=plain``).

    Raises :class:`RewriteHookChanged` when a hook is there but its private ``_must_rewrite`` set
    is not (a pytest release that reorganised it)."""
    if hook is None:
        return None
    must = getattr(hook, "_must_rewrite", None)
    if not isinstance(must, set):
        raise RewriteHookChanged(
            f"pytest {pytest.__version__}: {type(hook).__name__} has no '_must_rewrite' set (found "
            f"{type(must).__name__}); psaemu cannot unmark its bare module names (cli, config, "
            "system ...) for assertion rewriting. Tests still run; a project module with one of those names may be "
            "rewritten or warned about. Use a pytest release psaemu supports (see pyproject.toml) or "
            "report the pytest version.")
    cache = getattr(hook, "_marked_for_rewrite_cache", None)
    return must, cache if isinstance(cache, dict) else None



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


def unmark_bare_names(hook: Any, files: Iterable[str] | None = None, strict: bool = False) -> set[str]:
    """Remove our bare names from pytest's assertion-rewrite hook; return the names removed.

    A changed hook raises :class:`RewriteHookChanged` when ``strict``, else warns with its message."""
    try:
        sets = rewrite_sets(hook)
    except RewriteHookChanged as e:
        if strict:
            raise
        warnings.warn(pytest.PytestConfigWarning(str(e)), stacklevel=2)
        return set()
    if sets is None:
        return set()
    must, cache = sets
    if files is None:
        try:
            files = [str(f) for f in metadata.distribution(DISTRIBUTION).files or ()]
        except metadata.PackageNotFoundError:
            return set()
    removed = must & bare_names(files)
    must -= removed
    if removed and cache is not None:
        cache.clear()
    return removed
