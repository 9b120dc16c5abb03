"""README.md and docs/ stay true to the code: options named exist, links and anchors resolve,
module paths import."""
from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path

import pytest

from psaemu.platform.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _prose_lines(page: Path) -> list[str]:
    """The page's lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in page.read_text().splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[`*]", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for line in _prose_lines(page):
        anchors.update(_HTML_ANCHOR.findall(line))
        m = _HEADING.match(line)
        if m:
            slug = _slug(m.group(1))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _links(page: Path):
    for number, line in enumerate(page.read_text().splitlines(), 1):
        for target in _LINK.findall(line):
            if not re.match(r"[a-z]+:", target):
                yield number, target


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path):
    broken = []
    for number, target in _links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{page.name}:{number}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{page.name}:{number}: {target} (no heading '#{anchor}' in {dest.name})")
    assert not broken, "\n".join(broken)


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    names = set()
    for action in parser._actions:
        names.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                names |= _option_strings(sub)
    return names


def test_every_option_in_the_command_line_page_exists():
    known = _option_strings(build_parser())
    named = set()
    for m in re.finditer(r"--(\[no-\])?([a-z][a-z0-9-]*[a-z0-9])", (ROOT / "docs" / "cli.md").read_text()):
        named.add("--" + m.group(2))
        if m.group(1):
            named.add("--no-" + m.group(2))
    assert named - known == set()


def test_every_subcommand_in_the_command_line_page_exists():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    named = set(re.findall(r"^psaemu ([a-z][a-z-]*)", (ROOT / "docs" / "cli.md").read_text(), re.M))
    assert named and named - set(sub.choices) == set()


def _module_exists(dotted: str) -> bool:
    """``dotted`` names a module, or an attribute of the longest module prefix it has."""
    parts = dotted.split(".")
    for end in range(len(parts), 1, -1):
        name = ".".join(parts[:end])
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            if end == len(parts):
                return True
            module = importlib.import_module(name)
            return hasattr(module, parts[end])
    return False


def test_every_module_path_in_the_docs_exists():
    missing = []
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for dotted in re.findall(r"\bpsaemu(?:\.[A-Za-z_]\w*)+", line):
                if not _module_exists(dotted):
                    missing.append(f"{page.name}:{number}: {dotted}")
    assert not missing, "\n".join(missing)


# Repository paths the pages name in code spans; `platform/ext/...` is TF-M's tree, not this one.
_REPO_PATH = re.compile(r"`((?:tests|images|bench|platform|proxy|peripherals|examples|docs)/[\w./*-]+?)"
                        r"(?:::[\w\[\]-]+)?`")


def test_every_repository_path_in_the_docs_exists():
    missing = []
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for path in _REPO_PATH.findall(line):
                path = path.rstrip("/")
                if path.startswith("platform/ext/"):
                    continue
                found = list(ROOT.glob(path)) if "*" in path else [ROOT / path] if (ROOT / path).exists() else []
                if not found:
                    missing.append(f"{page.name}:{number}: {path}")
    assert not missing, "\n".join(missing)


_FIRMWARE_SYMBOLS = {"test_app"}             # TF-M's NS test thread, named in docs/real-tfm.md


def test_every_test_the_docs_name_exists():
    tests = set(_FIRMWARE_SYMBOLS)
    for source in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("examples/**/*.py")]:
        tests.add(source.stem)
        tests.update(re.findall(r"^\s*def (test_\w+)", source.read_text(), re.M))
    missing = []
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for name in re.findall(r"(?<![\w.+])(test_\w+)(?=\W*(?:`|\.py|::|\(|\[))", line):
                if name not in tests and not any(t.startswith(name + "_") for t in tests):
                    missing.append(f"{page.name}:{number}: {name}")
    assert not missing, "\n".join(missing)


def test_every_import_in_the_docs_resolves():
    missing = []
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for module, names in re.findall(r"from (psaemu[\w.]+) import ([\w, ]+)", line):
                imported = importlib.import_module(module)
                missing += [f"{page.name}:{number}: {module}.{n.strip()}" for n in names.split(",")
                            if n.strip() and not hasattr(imported, n.strip())]
    assert not missing, "\n".join(missing)


def test_every_pytest_setting_in_the_docs_exists():
    plugin = (ROOT / "platform" / "testing" / "pytest_plugin.py").read_text()
    missing = []
    for page in [*PAGES, ROOT / "examples" / "README.md"]:
        for name in set(re.findall(r"--psaemu-[a-z-]*[a-z]", page.read_text())):
            if f'"{name}"' not in plugin:
                missing.append(f"{page.name}: {name}")
    assert not missing, "\n".join(missing)


def test_every_machine_spec_field_is_documented():
    import dataclasses

    from psaemu.platform.system.builder import MachineSpec
    text = (ROOT / "README.md").read_text() + (ROOT / "docs" / "python-api.md").read_text()
    missing = [f.name for f in dataclasses.fields(MachineSpec)
               if not re.search(rf"`{f.name}`|\b{f.name}=|`{f.name}/|/{f.name}`", text)]
    assert not missing, f"MachineSpec fields not in README.md or docs/python-api.md: {missing}"
