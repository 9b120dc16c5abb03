"""The repository layout keeps the standard library's ``platform`` usable from the root."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    r = run_in_root("import psaemu.platform.machine, psaemu.peripherals.mhuv2; print('ok')")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_python_m_pytest_collects_from_root():
    r = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/test_layout.py"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "test_platform_folder_is_not_a_regular_package" in r.stdout
