"""The repository layout keeps the standard library's ``platform`` usable from the root."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:                     # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def run_in_root(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_platform_folder_is_not_a_regular_package():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_works_from_repository_root():
    r = run_in_root("import platform; print(platform.machine()); print(platform.__file__)")
    assert r.returncode == 0, r.stderr
    machine, origin = r.stdout.split()
    assert machine
    assert not origin.startswith(str(ROOT)), f"stdlib platform shadowed by {origin}"


def test_psaemu_packages_import_from_repository_root():
    r = run_in_root("import psaemu.platform.system.machine, psaemu.peripherals.mhuv2; print('ok')")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_python_m_pytest_collects_from_root():
    r = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/test_layout.py"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "test_platform_folder_is_not_a_regular_package" in r.stdout


def installed_files() -> list[str]:
    """The ``.py`` files a wheel of this project holds, as ``psaemu/...`` paths (from pyproject.toml)."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs = tool["package-dir"]
    files = []
    for package in tool["packages"]:
        top = next(k for k in dirs if package == k or package.startswith(k + "."))
        folder = ROOT / dirs[top] / Path(*package[len(top) + 1:].split(".")) if package != top else ROOT / dirs[top]
        files += [package.replace(".", "/") + "/" + f.name for f in sorted(folder.glob("*.py"))]
    return files


def test_every_python_folder_is_a_listed_package():
    packages = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    for init in (ROOT / "platform").rglob("__init__.py"):
        dotted = "psaemu." + ".".join(init.parent.relative_to(ROOT).parts)
        assert dotted in packages, f"{init.parent} is a package missing from pyproject.toml"


def test_no_module_named_after_the_standard_library():
    shadows = [f for f in installed_files() if Path(f).stem in sys.stdlib_module_names
               or (Path(f).name == "__init__.py" and Path(f).parent.name in sys.stdlib_module_names)]
    assert not shadows


def test_plugin_leaves_other_projects_modules_unrewritten():
    # pytest's own derivation of rewrite names from a distribution's files is the oracle
    from _pytest.assertion.rewrite import AssertionRewritingHook
    from _pytest.config import _iter_rewritable_modules

    from psaemu.platform.testing.rewrite import unmark_bare_names
    files = installed_files() + ["psa_proxy_emu-0.1.0.dist-info/METADATA"]
    marked = set(_iter_rewritable_modules(files))
    assert {"cli", "config", "system"} <= marked             # what pytest marks for a namespace package
    hook = AssertionRewritingHook.__new__(AssertionRewritingHook)
    hook._must_rewrite, hook._marked_for_rewrite_cache = {"xdist", *marked}, {"cli": True}
    unmark_bare_names(hook, files)
    assert hook._must_rewrite == {"xdist"} and hook._marked_for_rewrite_cache == {}


# Reference notes that are not part of the repository; a citation must name a TF-M source file:line,
# a Unicorn release behaviour or a docs/ page instead. Built from parts so this file does not match.
_OUTSIDE_NOTES = re.compile("|".join(["tfm-" + "facts", "tfm-client-" + "abi", "client-" + "abi §", "unicorn-" + "notes",
                                      r"\bDESIGN" + r"\.md", r"\bSTYLE" + r"\.md"]))
_CITING_SUFFIXES = (".py", ".c", ".h", ".S", ".ld", ".toml", ".md", ".rst", ".txt", "Makefile")


def test_no_citation_of_notes_outside_the_repository():
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True).stdout.split()
    hits = []
    for name in listed:
        path = ROOT / name
        if name.startswith("build/") or not name.endswith(_CITING_SUFFIXES) or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if _OUTSIDE_NOTES.search(line):
                hits.append(f"{name}:{number}: {line.strip()}")
    assert not hits, "cite the TF-M file:line or a docs/ page instead:\n" + "\n".join(hits)
