"""The assertion-rewrite guard: the installed pytest still has the private set psaemu edits, and a
pytest without it gives a named error (strict) or a warning, never an AttributeError."""
from __future__ import annotations

import pytest

from psaemu.platform.testing.rewrite import RewriteHookChanged, rewrite_sets, unmark_bare_names

FILES = ["psaemu/platform/cli.py", "psaemu/platform/system/__init__.py"]


class ReorganisedHook:
    """A rewrite hook as a future pytest might shape it: the marked names kept elsewhere."""

    def __init__(self) -> None:
        self.marked = {"cli"}


def test_installed_pytest_keeps_the_set_psaemu_edits(pytestconfig: pytest.Config) -> None:
    # canary: fails on a pytest release that moved the private attribute
    hook = pytestconfig.pluginmanager.rewrite_hook
    if pytestconfig.getoption("assertmode") != "rewrite":
        pytest.skip("assertion rewriting is off")
    must, cache = rewrite_sets(hook)
    assert isinstance(must, set) and (cache is None or isinstance(cache, dict))


def test_plain_assert_mode_is_not_an_error() -> None:
    assert rewrite_sets(None) is None
    assert unmark_bare_names(None, FILES, strict=True) == set()


def test_changed_hook_raises_a_named_error_when_strict() -> None:
    with pytest.raises(RewriteHookChanged, match=rf"pytest {pytest.__version__}: ReorganisedHook has no '_must_rewrite'"):
        unmark_bare_names(ReorganisedHook(), FILES, strict=True)


def test_changed_hook_warns_and_leaves_the_names_marked() -> None:
    hook = ReorganisedHook()
    with pytest.warns(pytest.PytestConfigWarning, match="cannot unmark its bare module names"):
        assert unmark_bare_names(hook, FILES) == set()
    assert hook.marked == {"cli"}


def test_unmarks_only_our_bare_names() -> None:
    hook = ReorganisedHook()
    hook._must_rewrite, hook._marked_for_rewrite_cache = {"cli", "system", "xdist"}, {"cli": True}
    assert unmark_bare_names(hook, FILES) == {"cli", "system"}
    assert hook._must_rewrite == {"xdist"} and hook._marked_for_rewrite_cache == {}
