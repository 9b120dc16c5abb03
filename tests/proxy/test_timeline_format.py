"""The JSON timeline against the Trace Event Format (the "JSON Object Format" that chrome://tracing
and ui.perfetto.dev load): the fields each phase must and may have, with their types.

The ``perfetto`` Python package would load the file with its trace processor, but that package
fetches the trace processor binary at run time, which this project's machines cannot do; this
check is written from the format's documentation instead (field names, phases, scopes, metadata
names, flow binding points, ``displayTimeUnit``)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from psaemu.platform.cli import main

#: Phases psaemu writes and the fields each must have (besides ``ph``, ``pid``, ``tid``).
REQUIRED = {"B": {"ts", "name", "cat"}, "E": {"ts"}, "i": {"ts", "name", "cat", "s"},
            "s": {"ts", "name", "cat", "id"}, "t": {"ts", "name", "cat", "id"}, "f": {"ts", "name", "cat", "id"},
            "M": {"name", "args"}}
#: Every field the format defines for these phases.
ALLOWED = {"name", "cat", "ph", "ts", "tts", "pid", "tid", "args", "s", "id", "bp", "cname", "dur", "tdur"}
METADATA = {"process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"}


def check_trace_event_format(data: Any) -> None:
    """Raise AssertionError naming the first event that breaks the format."""
    assert isinstance(data, dict) and set(data) <= {"traceEvents", "displayTimeUnit", "otherData",
                                                      "systemTraceEvents", "stackFrames", "samples"}
    assert data.get("displayTimeUnit", "ms") in ("ms", "ns")
    assert isinstance(data.get("otherData", {}), dict)
    flows: dict[Any, set[tuple[str, str]]] = {}
    for i, e in enumerate(data["traceEvents"]):
        where = f"event {i}: {e}"
        assert isinstance(e, dict) and e.get("ph") in REQUIRED, where
        assert REQUIRED[e["ph"]] | {"ph", "pid", "tid"} <= set(e) <= ALLOWED, where
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int), where
        if "ts" in e:
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, where
        if "name" in e:
            assert isinstance(e["name"], str) and e["name"], where
        if "args" in e:
            assert isinstance(e["args"], dict), where
            json.dumps(e["args"])
        if e["ph"] == "i":
            assert e["s"] in ("g", "p", "t"), where
        if e["ph"] in "stf":
            assert isinstance(e["id"], (int, str)) and e.get("bp", "e") == "e", where
            flows.setdefault(e["id"], set()).add((e["name"], e["cat"]))
        if e["ph"] == "M":
            assert e["name"] in METADATA, where
            key = "sort_index" if e["name"].endswith("sort_index") else "name"
            assert set(e["args"]) == {key}, where
    assert all(len(v) == 1 for v in flows.values()), "a flow's steps must share name and category"


@pytest.mark.parametrize("options", [(), ("--host", "pingpong_host", "--se", "pingpong_se"),
                                     ("--lift", "platform-split", "--mailbox-slots", "2")],
                         ids=["default", "pingpong", "split-2-slots"])
def test_timeline_follows_the_trace_event_format(tmp_path: Path, options: tuple[str, ...]) -> None:
    out = tmp_path / "t.json"
    assert main(["run", "-q", "--timeline", str(out), *options]) in (0, 2)
    data = json.loads(out.read_text())
    check_trace_event_format(data)
    assert data["traceEvents"]


def test_the_check_catches_a_broken_trace() -> None:
    good = {"traceEvents": [{"ph": "i", "pid": 1, "tid": 1, "ts": 1.0, "name": "x", "cat": "c", "s": "t"}]}
    check_trace_event_format(good)
    for broken in ({"ph": "i", "pid": 1, "tid": 1, "ts": 1.0, "name": "x", "cat": "c", "s": "q"},
                   {"ph": "B", "pid": 1, "tid": 1, "name": "x", "cat": "c"},
                   {"ph": "M", "pid": 1, "tid": 1, "name": "thread_title", "args": {"name": "a"}},
                   {"ph": "X", "pid": 1, "tid": 1, "ts": 0, "name": "x"}):
        with pytest.raises(AssertionError):
            check_trace_event_format({"traceEvents": [broken]})
