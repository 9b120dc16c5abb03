"""--timeline FILE.svg and the failing-test pictures: a well-formed SVG sequence diagram whose
lifelines, boxes and arrows are the tracks, slices and flow steps of the JSON timeline of the same
run; mailbox slots of the JSON timeline."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from psaemu.platform.cli import main
from psaemu.platform.errors import ConfigError
from psaemu.proxy.monitor import IpcRecord
from psaemu.proxy.timeline import slots_of
from psaemu.proxy.timeline_svg import render_svg

pytest_plugins = ["pytester"]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ET.Element]:
    """The default run written both ways by two runs of the same command (the run is deterministic)."""
    tmp = tmp_path_factory.mktemp("svg")
    assert main(["run", "-q", "--timeline", str(tmp / "t.json")]) == 0
    assert main(["run", "-q", "--timeline", str(tmp / "t.svg")]) == 0
    return json.loads((tmp / "t.json").read_text()), ET.parse(tmp / "t.svg").getroot()


def flows(data: dict[str, Any]) -> list[list[dict[str, Any]]]:
    by_id: dict[int, list[dict[str, Any]]] = {}
    for e in data["traceEvents"]:
        if e["ph"] in "stf":
            by_id.setdefault(e["id"], []).append(e)
    return sorted(by_id.values(), key=lambda f: (f[0]["ts"], f[0]["id"]))


def test_cli_svg_matches_the_json_timeline(run: Any) -> None:
    data, svg = run
    names = [e["args"]["name"] for e in data["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert [n for n in texts if n in names] == ["host core", "mailbox slot 0", "se core"]   # request order
    first = flows(data)[:10]
    arrows = [ln for ln in svg.iter(f"{SVG}line") if ln.get("marker-end")]
    expected = sum(sum(a["tid"] != b["tid"] for a, b in zip(f, f[1:])) for f in first)
    assert len(arrows) == expected == 30                   # Host -> slot -> SE -> Host per transaction
    assert sum(a.get("stroke-dasharray") is not None for a in arrows) == 10    # the replies
    title = texts[0]
    assert title.startswith("psaemu musca_b1: 10 transaction(s), ")
    assert f"{first[0][0]['ts']:.1f}-{max(s['ts'] for f in first for s in f):.1f} µs" in title
    tips = [t.text for t in svg.iter(f"{SVG}title")]
    records = [e["args"]["record"] for e in data["traceEvents"] if e["ph"] == "B" and e.get("cat") == "ipc"][:10]
    assert all(any(r in tip for tip in tips) for r in records)


def test_picture_of_the_last_transactions_and_bad_arguments(run: Any) -> None:
    data, _ = run
    svg = ET.fromstring(render_svg(data, calls=3, at="end"))
    last = flows(data)[-3:]
    assert next(svg.iter(f"{SVG}text")).text.startswith("psaemu musca_b1: 3 transaction(s), "
                                                          f"{last[0][0]['ts']:.1f}-")
    with pytest.raises(ConfigError, match="at='middle'"):
        render_svg(data, at="middle")


def test_pingpong_picture_has_boxes_and_no_arrows(tmp_path: Path) -> None:
    out = tmp_path / "p.svg"
    assert main(["run", "-q", "--host", "pingpong_host", "--se", "pingpong_se", "--timeline", str(out)]) == 0
    svg = ET.parse(out).getroot()
    assert not [ln for ln in svg.iter(f"{SVG}line") if ln.get("marker-end")]
    assert len([r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) > 0


def rec(seq: int, t_req: int, t_rep: int | None, **extra: Any) -> IpcRecord:
    r = IpcRecord(seq, 2, -1, t_request_ps=t_req, t_reply_ps=t_rep)
    for k, v in extra.items():
        setattr(r, k, v)
    return r


def test_slots_replay_the_lowest_free_slot_rule() -> None:
    overlapping = [rec(1, 10, 50), rec(2, 20, 30), rec(3, 40, 60), rec(4, 55, 70), rec(5, 35, None)]
    assert slots_of(overlapping, n_slots=4) == {1: 0, 2: 1, 5: 1, 3: 2, 4: 0}
    assert slots_of(overlapping, n_slots=1) == {1: 0, 2: 0, 5: 0, 3: 0, 4: 0}
    assert slots_of([rec(1, 10, 50, slot=3), rec(2, 20, 30)], n_slots=4) == {1: 3, 2: 0}   # a record's own slot


def test_failing_test_gets_the_timeline_next_to_its_bundle(pytester: pytest.Pytester) -> None:
    pytester.makeini("""
        [pytest]
        psaemu_host = none
    """)
    pytester.makepyfile(test_inner="""
        def test_fails(booted):
            booted.psa.its_set(0x2001, b"x")
            assert booted.psa.its_get(0x2001) == b"y", "deliberate"
    """)
    r = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "--psaemu-bundle-dir", "bundles")
    r.assert_outcomes(failed=1)
    bundle = pytester.path / "bundles" / "test_inner.py_test_fails"
    r.stdout.fnmatch_lines(["*psaemu timeline*", f"{bundle / 'timeline.svg'}  (the last 10 transactions)",
                            f"{bundle / 'timeline.json'}  (open in ui.perfetto.dev)"])
    data = json.loads((bundle / "timeline.json").read_text())
    svg = ET.parse(bundle / "timeline.svg").getroot()
    calls = [e["args"]["record"] for e in data["traceEvents"] if e["ph"] == "B" and e.get("cat") == "ipc"]
    assert any("sid=0x70" in c for c in calls) and any("sid=0x71" in c for c in calls)
    assert next(svg.iter(f"{SVG}text")).text.startswith(f"psaemu musca_b1: {min(len(calls), 10)} transaction(s)")
