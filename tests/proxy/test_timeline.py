"""--timeline FILE.json: Chrome/Perfetto trace events that are well formed and agree with the
event trace and the IPC monitor's records written by the same run."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from psaemu.platform.cli import main


def run_cli(tmp_path: Path, *options: str) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    """Run psaemu with --timeline, --trace-events and (when given --trace-ipc) the IPC records;
    returns the timeline, the event trace lines and the IPC records."""
    timeline, events = tmp_path / "t.json", tmp_path / "events.txt"
    argv = ["run", "-q", "--timeline", str(timeline), "--trace-events", str(events), *options]
    assert main(argv) == 0
    ipc_path = next((Path(o) for o in options if o.endswith(".jsonl")), None)
    ipc = [json.loads(line) for line in ipc_path.read_text().splitlines()] if ipc_path else []
    return json.loads(timeline.read_text()), events.read_text().splitlines(), ipc


def check_structure(data: dict[str, Any]) -> dict[tuple[int, int], list[tuple[float, float]]]:
    """Every B has its E on the same track, times never go back on a track, and every flow step lies
    in a slice of its track; returns each track's slices as (start, end)."""
    assert isinstance(data["traceEvents"], list) and data["otherData"]["clock"].startswith("virtual")
    last: dict[tuple[int, int], float] = {}
    stacks: dict[tuple[int, int], list[float]] = defaultdict(list)
    slices: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    flows = []
    for e in data["traceEvents"]:
        assert {"ph", "pid", "tid"} <= set(e)
        if e["ph"] == "M":
            continue
        key = (e["pid"], e["tid"])
        if e["ph"] in "stf":
            flows.append(e)
            continue
        assert e["ts"] >= last.get(key, 0.0), f"time goes back on track {key}: {e}"
        last[key] = e["ts"]
        if e["ph"] == "B":
            stacks[key].append(e["ts"])
        elif e["ph"] == "E":
            assert stacks[key], f"E without B on track {key} at {e['ts']}"
            slices[key].append((stacks[key].pop(), e["ts"]))
        else:
            assert e["ph"] == "i"
    assert not any(stacks.values()), "B without E"
    by_id: dict[int, list[str]] = defaultdict(list)
    for f in flows:
        by_id[f["id"]].append(f["ph"])
        assert any(s <= f["ts"] <= t for s, t in slices[(f["pid"], f["tid"])]), f"flow step outside a slice: {f}"
    for phases in by_id.values():
        assert phases[0] == "s" and phases[-1] == "f" and set(phases[1:-1]) <= {"t"}
    return slices


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("timeline")
    return run_cli(tmp, "--trace-ipc", str(tmp / "ipc.jsonl"))


def test_default_run_timeline_is_well_formed(default_run: Any) -> None:
    data, _, _ = default_run
    check_structure(data)
    names = {e["args"]["name"] for e in data["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {"host core", "se core", "mailbox slot 0"}


def test_default_run_has_one_slot_slice_and_one_flow_per_ipc_record(default_run: Any) -> None:
    data, _, ipc = default_run
    slots = [e for e in data["traceEvents"] if e["ph"] == "B" and e["cat"] == "ipc"]
    assert len(ipc) == data["otherData"]["ipc_records"] > 800
    refused = {r["seq"] for r in ipc if r["t_request_ps"] == 0 and r["t_reply_ps"] is None}
    assert {r["seq"] for r in data["otherData"]["ipc_not_sent"]} == refused
    ipc = [r for r in ipc if r["seq"] not in refused]      # never reached the mailbox
    assert len(slots) == len(ipc)
    by_name = Counter(e["name"] for e in slots)
    assert by_name["psa_call"] == sum(r["call_type_name"] == "CALL" for r in ipc)
    assert by_name["psa_connect"] == sum(r["call_type_name"] == "CONNECT" for r in ipc)
    assert [e["args"]["seq"] for e in slots] == [r["seq"] for r in ipc]
    assert [e["ts"] for e in slots] == [r["t_request_ps"] / 1e6 for r in ipc]
    flows = Counter(e["id"] for e in data["traceEvents"] if e["ph"] in "stf")
    assert set(flows) == {r["seq"] for r in ipc}
    # Host wait -> slot -> SE handler -> Host: four steps for every call that reached the SE
    assert Counter(flows.values())[4] >= len(ipc) - 2


def test_core_slices_match_the_event_trace(default_run: Any) -> None:
    data, lines, _ = default_run
    kinds = Counter(line.split()[2] for line in lines if not line.startswith("#"))
    begins = Counter((e["tid"], e["cat"]) for e in data["traceEvents"] if e["ph"] == "B")
    host, se = 1, 2
    assert begins[(se, "sleep")] == sum(1 for line in lines if line.split()[1:2] == ["se"]
                                        and line.split()[2] in ("wfi", "wfe"))
    assert begins[(se, "exception")] == kinds["exception_entry"] + kinds["tail_chain"]
    assert begins[(host, "psa")] == kinds["svc_block"]
    assert data["otherData"]["events_kept"] == len(lines) and data["otherData"]["events_dropped"] == 0


def test_pingpong_timeline_without_the_proxy(tmp_path: Path) -> None:
    data, lines, _ = run_cli(tmp_path, "--host", "pingpong_host", "--se", "pingpong_se")
    slices = check_structure(data)
    assert data["otherData"]["ipc_records"] == 0
    assert not [e for e in data["traceEvents"] if e["ph"] in "stf" or e.get("cat") == "ipc"]
    entries = Counter(line.split()[1] for line in lines if line.split()[2] == "exception_entry")
    sleeps = Counter(line.split()[1] for line in lines if line.split()[2] in ("wfi", "wfe"))
    begins = Counter((e["tid"], e["cat"]) for e in data["traceEvents"] if e["ph"] == "B")
    assert begins[(1, "exception")] == entries["host"] > 0 and begins[(2, "exception")] == entries["se"] > 0
    assert begins[(1, "sleep")] == sleeps["host"] and begins[(2, "sleep")] == sleeps["se"]
    assert sum(len(v) for v in slices.values()) == sum(begins.values())


def test_dropped_events_are_counted(tmp_path: Path) -> None:
    data, lines, _ = run_cli(tmp_path, "--event-limit", "20")
    check_structure(data)
    other = data["otherData"]
    assert other["events_dropped"] > 0 and other["events_kept"] == len(lines) - 1
    assert str(other["events_dropped"]) in lines[0] and other["notes"]


@pytest.mark.parametrize("name, message", [("t.png", "ending in one of them"), ("missing/t.json", "does not exist")])
def test_unwritable_or_wrong_timeline_file_is_refused_before_the_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, message: str) -> None:
    assert main(["run", "-q", "--timeline", str(tmp_path / name)]) == 120
    err = capsys.readouterr().err
    assert "--timeline" in err and message in err and "Traceback" not in err
