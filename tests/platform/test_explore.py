"""Schedule exploration (psaemu explore, --schedule-seed, the psaemu_explore marker) on the
deliberately racy two-slot mailbox images (images/race)."""
from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from psaemu.platform.cli import main
from psaemu.platform.testing.explore import replay_words

pytest_plugins = ["pytester"]

RACE = ["--host", "race_host", "--se", "race_se"]


def test_the_default_schedule_passes_the_racy_image(capsys):
    assert main(["run", "-q", *RACE]) == 0
    assert "16 rounds ok" not in capsys.readouterr().out      # -q: nothing streamed


def test_explore_finds_the_race_within_100_seeds_and_its_replay_reproduces_it(tmp_path, capsys):
    found = tmp_path / "found.jsonl"
    assert main(["explore", "--runs", "100", *RACE, "--trace-events", str(found), "--bundle-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    m = re.search(r"seed (\d+) fails \(run \d+ of 100\): exit status (\d+), expected 0", out)
    assert m, out
    seed, status = int(m.group(1)), int(m.group(2))
    assert seed < 100 and status in (1, 2)          # RACE_LOST or RACE_STALE (images/race/shared.h)
    replay = re.search(r"replay: (.*)", out).group(1)
    words = shlex.split(replay)
    assert words[:2] == ["psaemu", "run"] and words[-2:] == ["--schedule-seed", str(seed)]
    again = tmp_path / "again.jsonl"
    words[words.index(str(found))] = str(again)
    proc = subprocess.run([sys.executable, "-m", "psaemu.platform.cli", *words[1:]], capture_output=True, text=True)
    assert proc.returncode == status, proc.stderr
    assert again.read_bytes() == found.read_bytes()


def _explore_bundle(tmp_path, capsys) -> tuple[int, int, Path, Path]:
    """Explore the race images: the failing seed, its exit status, its bundle and its event trace."""
    found = tmp_path / "found.txt"
    assert main(["explore", "--runs", "100", *RACE, "-q", "--trace-events", str(found),
                 "--bundle-dir", str(tmp_path / "bundles")]) == 1
    out = capsys.readouterr().out
    m = re.search(r"seed (\d+) fails \(run \d+ of 100\): exit status (\d+)", out)
    seed, status = int(m.group(1)), int(m.group(2))
    directory = tmp_path / "bundles" / f"explore-seed-{seed}"
    assert f"replay it with: psaemu replay {directory}" in out
    return seed, status, directory, found


def test_explore_writes_a_bundle_that_psaemu_replay_reproduces(tmp_path, capsys):
    seed, status, directory, found = _explore_bundle(tmp_path, capsys)
    info = json.loads((directory / "bundle.json").read_text())
    ex = info["explore"]
    assert (ex["seed"], ex["status"], ex["expect"]) == (seed, status, 0)
    assert ex["argv"][:5] == [*RACE, "-q"] and "--runs" not in ex["argv"] and "--bundle-dir" not in ex["argv"]
    machine = info["machines"][0]
    assert machine["board"]["name"] == "musca_b1" and machine["snapshot"] is True
    assert Path(machine["images"]["host"]).name == "race_host.elf"
    assert ex["image_sha256"]["host"] == hashlib.sha256(Path(machine["images"]["host"]).read_bytes()).hexdigest()
    assert machine["event_digest"] == ex["event_digest"]
    assert (directory / "snapshot.psaemu").is_file() and (directory / "events.txt").is_file()
    again = tmp_path / "again.txt"
    assert main(["replay", str(directory), "-q", "--trace-events", str(again)]) == status
    out = capsys.readouterr().out
    assert f"schedule seed {seed} reproduced: exit status {status}, event digest {ex['event_digest']}" in out
    assert again.read_bytes() == found.read_bytes()


def test_the_bundle_start_snapshot_runs_the_same_failure(tmp_path, capsys):
    from psaemu.platform.system.machine import Machine
    from psaemu.platform.testing.explore import set_schedule
    from psaemu.platform.testing.snapshot import Snapshot

    seed, status, directory, _found = _explore_bundle(tmp_path, capsys)
    m = Machine.from_snapshot(Snapshot.load(directory / "snapshot.psaemu"))
    set_schedule(m, seed)
    assert m.run().exit_code == status


def test_replay_refuses_changed_images_and_reports_divergence(tmp_path, capsys):
    _seed, _status, directory, _found = _explore_bundle(tmp_path, capsys)
    path = directory / "bundle.json"
    info = json.loads(path.read_text())
    good = json.dumps(info)
    info["explore"]["image_sha256"]["se"] = "0" * 64
    path.write_text(json.dumps(info))
    assert main(["replay", str(directory), "-q"]) == 120
    assert "core se's image" in capsys.readouterr().err
    info = json.loads(good)
    info["explore"]["event_digest"] = "f" * 64
    path.write_text(json.dumps(info))
    assert main(["replay", str(directory), "-q"]) == 125
    assert "diverged" in capsys.readouterr().err
    del info["explore"]
    path.write_text(json.dumps(info))
    assert main(["replay", str(directory), "-q"]) == 120
    assert "not of 'psaemu explore'" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "nowhere"), "-q"]) == 120
    assert "not a psaemu bundle" in capsys.readouterr().err


def test_explore_reports_success_when_every_seed_passes(capsys):
    assert main(["explore", "--runs", "3", "--host", "pingpong_host", "--se", "pingpong_se"]) == 0
    assert "all 3 seeds (0..2) gave exit status 0" in capsys.readouterr().out


def test_explore_rejects_zero_runs(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["explore", "--runs", "0", *RACE])
    assert exc.value.code == 120
    assert "argument --runs: 0 is out of range" in capsys.readouterr().err


def test_replay_words_drop_the_explore_options():
    argv = ["explore", "--runs", "7", "--expect=3", "--host", "h.elf", "--first-seed", "2", "-q"]
    assert replay_words(argv, 9) == ["psaemu", "run", "--host", "h.elf", "-q", "--schedule-seed", "9"]


def test_the_marker_runs_a_test_per_seed_and_names_the_replay(pytester):
    pytester.makepyfile(test_race="""
        import pytest

        @pytest.mark.psaemu_images(host="race_host", se="race_se")
        @pytest.mark.psaemu_explore(runs=40)
        def test_race(machine, psaemu_schedule_seed):
            result = machine.run(max_instructions=20_000_000)
            assert result.exit_code == 0, result.message
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", "-x")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1 and outcomes.get("passed", 0) < 40
    text = result.stdout.str()
    seed = int(re.search(r"fails under schedule seed (\d+)", text).group(1))
    assert f"test_race[schedule-seed-{seed}]" in text
    assert outcomes.get("passed", 0) == seed                    # -x: every earlier seed passed
    again = pytester.runpytest("-p", "no:cacheprovider", f"test_race.py::test_race[schedule-seed-{seed}]")
    again.assert_outcomes(failed=1)


def test_the_option_explores_every_machine_test(pytester):
    pytester.makepyfile(test_pp="""
        import pytest

        @pytest.mark.psaemu_images(host="pingpong_host", se="pingpong_se")
        def test_pingpong(machine, psaemu_schedule_seed):
            assert machine.scheduler.policy.seed == psaemu_schedule_seed
            assert machine.run().ok
    """)
    pytester.runpytest("-p", "no:cacheprovider", "--psaemu-explore", "3").assert_outcomes(passed=3)


@pytest.mark.parametrize("bad", ["0", "x"])
def test_a_bad_explore_count_is_a_usage_error(pytester, bad):
    pytester.makepyfile(test_bad="""
        def test_x(machine):
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", "--psaemu-explore", bad)
    assert result.ret != 0
    assert "--psaemu-explore" in result.stdout.str() + result.stderr.str()
