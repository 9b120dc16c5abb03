"""``psaemu bench --quick --check``: every scenario runs, the JSON carries each figure, and no
figure is grossly off (the CI smoke run: it fails only on a regression of several times)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from psaemu.platform.cli import main
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.platform.testing.benchcmd import (
    CEILINGS,
    COMPUTE_QUICK,
    FLOORS,
    compute_figures,
    failures,
    patch_word,
    raw_host_run,
)


def test_quick_bench_json_has_every_figure_and_passes_the_floors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json", "--check"]) == 0, capsys.readouterr().err
    fig = json.loads(capsys.readouterr().out)
    for key in ("ipc_calls_per_s", "crc_raw_s", "crc_psaemu_s", "crc_vs_raw", "help_s", "run_s",
                "compute_vs_raw", "compute_counted_vs_raw", "compute_instructions", "boot_ready_ms",
                "help_nocache_s", "help_cached_s", "run_nocache_s", "run_cached_s"):
        assert fig[key] > 0, key
    assert fig["compute_iterations"] == COMPUTE_QUICK
    assert fig["crc_vs_raw"] == pytest.approx(fig["crc_raw_s"] / fig["crc_psaemu_s"])
    assert fig["calls"] == 200


def test_check_names_the_figure_that_regressed() -> None:
    good = {**{k: v * 4 for k, v in FLOORS.items()}, **{k: v / 4 for k, v in CEILINGS.items()}}
    assert failures(good) == []
    bad = failures({**good, "ipc_calls_per_s": 10.0, "run_s": 60.0})
    assert len(bad) == 2 and bad[0].startswith("ipc_calls_per_s 10") and bad[1].startswith("run_s 60")


# ---- the compute scenario ------------------------------------------------------------------
def _compute_oracle(iterations: int) -> int:
    """images/compute/work.c re-done in Python: a stable sort by key (sorted), the first key >= the
    wanted one, the matrix product, the token classes, and binascii's CRC-CCITT."""
    import binascii

    mask = 0xFFFFFFFF

    def mix(acc: int, v: int) -> int:
        return ((acc ^ (v & mask)) * 16777619) & mask

    acc = 2166136261
    for it in range(iterations):
        x = ((it + 1) * 0x9E3779B9) & mask

        def lcg() -> int:
            nonlocal x
            x = (x * 1664525 + 1013904223) & mask
            return x

        keys = [lcg() >> 22 for _ in range(48)]
        order = sorted(range(48), key=lambda i: keys[i])
        for _ in range(8):
            want = lcg() >> 22
            acc = mix(acc, next((i for i in order if keys[i] >= want), 0xFFFF))
        for i in order:
            acc = mix(acc, i)
        a, b = [[0] * 8 for _ in range(8)], [[0] * 8 for _ in range(8)]
        for i in range(8):
            for j in range(8):
                a[i][j], b[i][j] = (lcg() >> 24) - 128, (lcg() >> 24) - 128
        for i in range(8):
            for j in range(8):
                acc = mix(acc, sum(a[i][k] * b[k][j] for k in range(8)))
        text = "".join("0123456789+-. ,e"[lcg() >> 28] for _ in range(96))
        counts = {"int": 0, "dec": 0, "bad": 0}
        changes = 0
        for tok in re.split(r"[ ,]", text):
            if not tok:
                continue
            # a token's class, and the state changes inside it plus its end (back to start)
            states = _token_states(tok)
            changes += sum(1 for p, q in zip(["start", *states], states) if p != q) + 1
            counts[{"int": "int", "frac": "dec", "exp": "dec"}.get(states[-1], "bad")] += 1
        for v in (counts["int"], counts["dec"], counts["bad"], changes):
            acc = mix(acc, v)
        acc = mix(acc, binascii.crc_hqx(text.encode(), 0xFFFF))
    return acc


def _token_states(tok: str) -> list[str]:
    """The state after each character of a token: a number is [+-]digits[.digits][e[+-digits]*]."""
    states, st = [], "start"
    for c in tok:
        cl = "digit" if c.isdigit() else "sign" if c in "+-" else "dot" if c == "." else "e"
        st = {("start", "digit"): "int", ("start", "sign"): "sign", ("start", "dot"): "frac",
              ("sign", "digit"): "int", ("sign", "dot"): "frac",
              ("int", "digit"): "int", ("int", "dot"): "frac", ("int", "e"): "exp",
              ("frac", "digit"): "frac", ("frac", "e"): "exp",
              ("exp", "digit"): "exp", ("exp", "sign"): "exp"}.get((st, cl), "bad")
        states.append(st)
    return states


@pytest.mark.parametrize("iterations", [0, 1, 7])
def test_compute_checksum_matches_the_python_oracle_on_psaemu_and_bare_unicorn(iterations: int,
                                                                                 tmp_path: Path) -> None:
    elf = tmp_path / "compute.elf"
    patch_word(image_path("compute_host"), elf, "compute_iterations", iterations)
    raw = raw_host_run(elf, count=True)
    assert raw.output == f"compute: {iterations} {_compute_oracle(iterations):08x}\n"
    m = Machine()
    m.load("host", elf)
    result = m.run()
    assert result.ok and m.console.lines("host") == [raw.output.strip()]
    # psaemu charges whole quanta of Unicorn's count; the native count leaves out what count= does
    # (the condition-failed instructions of IT blocks)
    charged = result.instructions["host"]
    assert raw.instructions is not None and charged - m.quantum < raw.instructions <= charged


def test_bench_compute_scenario_quick(tmp_path: Path) -> None:
    fig = compute_figures(COMPUTE_QUICK, 1, qemu=shutil.which("qemu-system-arm") is not None)
    assert fig["compute_checksum"] == f"{_compute_oracle(COMPUTE_QUICK):08x}"
    assert fig["compute_instructions"] > 1_000_000
    assert fig["compute_vs_raw"] == pytest.approx(fig["compute_raw_s"] / fig["compute_psaemu_s"])
    if shutil.which("qemu-system-arm") is None:
        assert "compute_qemu_s" not in fig
    else:
        assert fig["compute_qemu_mips"] > 0 and fig["compute_psaemu_vs_qemu"] > 0


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm is not installed")
def test_qemu_an505_link_prints_the_same_checksum() -> None:
    # the same objects linked for mps2-an505: the default iteration count, checksum from the oracle
    from psaemu.platform.testing.benchcmd import COMPUTE_ITERATIONS, _qemu_wall
    assert _qemu_wall(image_path("compute_an505"), COMPUTE_ITERATIONS) > 0
    # (the line itself is checked inside _qemu_wall); the oracle agrees with the built-in default
    raw = raw_host_run(image_path("compute_host"))
    assert raw.output == f"compute: {COMPUTE_ITERATIONS} {_compute_oracle(COMPUTE_ITERATIONS):08x}\n"
