"""The IPC timeline as a static SVG sequence diagram, for READMEs and CI artifacts.

Drawn from the Trace Event object of :mod:`psaemu.proxy.timeline` (so a saved ``.json`` file can be
drawn too): one lifeline per core and per mailbox slot (columns), virtual time going down, each
transaction's flow as arrows (request from the Host down to the slot and the SE, the reply back to
the Host dashed), exception handlers, sleeps and waits as boxes on their lifelines, doorbells and
other events as ticks. Long idle stretches are cut (a zig-zag with the time skipped) so that short
transactions stay readable. Pure Python, no dependencies; every shape has a ``<title>`` tooltip.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from psaemu.platform.errors import ConfigError
from psaemu.proxy.timeline import SLOT_TID

#: Transactions drawn by default (the first ones; ``at="end"``: the last ones).
DEFAULT_CALLS = 10
COL_W, LEFT, TOP, HEADER_H = 170, 96, 16, 34
PX_PER_US = 0.5          # scale of the time axis
GAP_PX = 34              # an idle stretch longer than this is cut to it
STEP_PX = 12             # at least this between distinct flow steps (calls in flight together stay apart)
MIN_BOX = 3              # the height of a zero-length slice
COLOURS = {"exception": "#f4a259", "sleep": "#d9d9d9", "psa": "#8ecae6", "ipc": "#90be6d"}
IPC_ALT = "#c7e3b0"      # every other transaction of a slot, so back-to-back ones stay apart
TEXT = "font-family:DejaVu Sans,Arial,sans-serif"


@dataclass
class _Slice:
    tid: int
    name: str
    cat: str
    start: float
    end: float
    depth: int
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Trace:
    """The parts of a trace the picture needs."""

    names: dict[int, str]
    slices: list[_Slice]
    instants: list[dict[str, Any]]
    flows: dict[int, list[dict[str, Any]]]
    title: str


def _parse(data: dict[str, Any]) -> _Trace:
    names: dict[int, str] = {}
    title = "psaemu"
    stacks: dict[int, list[tuple[dict[str, Any], int]]] = defaultdict(list)
    slices: list[_Slice] = []
    instants: list[dict[str, Any]] = []
    flows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in data.get("traceEvents", []):
        ph, tid = e.get("ph"), e.get("tid", 0)
        if ph == "M":
            if e.get("name") == "thread_name":
                names[tid] = e["args"]["name"]
            elif e.get("name") == "process_name":
                title = e["args"]["name"]
        elif ph == "B":
            stacks[tid].append((e, len(stacks[tid])))
        elif ph == "E" and stacks[tid]:
            b, depth = stacks[tid].pop()
            slices.append(_Slice(tid, b.get("name", ""), b.get("cat", ""), b["ts"], e["ts"], depth, b.get("args", {})))
        elif ph == "i":
            instants.append(e)
        elif ph in ("s", "t", "f"):
            flows[e["id"]].append(e)
    return _Trace(names, slices, instants, dict(flows), title)


def _window(trace: _Trace, calls: int, at: str) -> tuple[float, float, list[int]]:
    """The time window holding the chosen transactions, and their flow ids."""
    ids = sorted(trace.flows, key=lambda i: (trace.flows[i][0]["ts"], i))
    chosen = ids[:calls] if at == "start" else ids[-calls:] if calls else []
    if chosen:
        times = [s["ts"] for i in chosen for s in trace.flows[i]]
        return min(times), max(times), chosen
    ordered = sorted(trace.slices, key=lambda s: s.start)[: max(calls, 1) * 4]     # no transactions: first slices
    if not ordered:
        return 0.0, 0.0, []
    return ordered[0].start, max(s.end for s in ordered), []


class _Axis:
    """Virtual time (µs) to y: linear, with every idle stretch longer than ``GAP_PX`` cut to it."""

    def __init__(self, times: list[float], y0: float, steps: frozenset[float] = frozenset()) -> None:
        self.times = sorted(set(times))
        self.ys: list[float] = []
        self.cuts: list[tuple[float, float, float]] = []    # (y, skipped µs from, to)
        y = y0
        for i, t in enumerate(self.times):
            if i:
                dy = (t - self.times[i - 1]) * PX_PER_US
                if dy > GAP_PX:
                    self.cuts.append((y + GAP_PX / 2, self.times[i - 1], t))
                    dy = GAP_PX
                if t in steps:
                    dy = max(dy, STEP_PX)
                y += max(dy, 0.0)
            self.ys.append(y)
        self.end = y

    def y(self, t: float) -> float:
        i = bisect_right(self.times, t) - 1
        if i < 0:
            return self.ys[0] if self.ys else 0.0
        if i >= len(self.times) - 1:
            return self.ys[-1]
        t0, t1, y0, y1 = self.times[i], self.times[i + 1], self.ys[i], self.ys[i + 1]
        return y0 + (y1 - y0) * (t - t0) / (t1 - t0) if t1 > t0 else y0


def _column_order(trace: _Trace) -> list[int]:
    """Lifelines in the order a request travels: the first core (the Host), the mailbox slots, then
    the other cores (the SE)."""
    cores = sorted(t for t in trace.names if t < SLOT_TID)
    slots = sorted(t for t in trace.names if t >= SLOT_TID)
    return cores[:1] + slots + cores[1:]


def _tip(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def render_svg(data: dict[str, Any], calls: int = DEFAULT_CALLS, at: str = "start") -> str:
    """The picture of ``calls`` transactions (``at``: the run's ``start`` or ``end``) as SVG text."""
    if at not in ("start", "end"):
        raise ConfigError(f"timeline picture: at={at!r}; draw the transactions at the 'start' or the 'end' of the run")
    trace = _parse(data)
    t0, t1, chosen = _window(trace, calls, at)
    tids = _column_order(trace)
    col = {tid: LEFT + COL_W * i + COL_W // 2 for i, tid in enumerate(tids)}
    inside = [s for s in trace.slices if s.end >= t0 and s.start <= t1 and s.tid in col]
    marks = [e for e in trace.instants if t0 <= e["ts"] <= t1 and e.get("tid") in col]
    steps = [s for i in chosen for s in trace.flows[i]]
    times = [t0, t1, *(max(t0, min(t1, x)) for s in inside for x in (s.start, s.end)),
             *(e["ts"] for e in marks), *(s["ts"] for s in steps)]
    axis = _Axis(times, TOP + HEADER_H + 14, frozenset(s["ts"] for s in steps))
    width, height = LEFT + COL_W * len(tids) + 70, int(axis.end) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" style="{TEXT};font-size:11px">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="6" y="{TOP}" font-weight="bold">{escape(trace.title)}: '
           f'{len(chosen)} transaction(s), {t0:.1f}-{t1:.1f} µs virtual time</text>']
    bottom = axis.end + 10
    for tid in tids:                                    # lifelines
        x, name = col[tid], trace.names[tid]
        out.append(f'<rect x="{x - 70}" y="{TOP + 8}" width="140" height="{HEADER_H - 10}" rx="4" fill="#f1f1f1" '
                   f'stroke="#555"/><text x="{x}" y="{TOP + 8 + (HEADER_H - 10) / 2 + 4}" text-anchor="middle">'
                   f'{escape(name)}</text>')
        out.append(f'<line x1="{x}" y1="{TOP + HEADER_H}" x2="{x}" y2="{bottom}" stroke="#999" stroke-dasharray="4 3"/>')
    for y, a, b in axis.cuts:                           # cut idle stretches
        out.append(f'<path d="M{LEFT - 90},{y - 3} l6,6 l6,-6 l6,6" fill="none" stroke="#777"/>'
                   f'<text x="{LEFT - 66}" y="{y + 3}" fill="#777">{b - a:.0f} µs</text>')
    for i in chosen:                                    # time labels at each transaction's start
        ts = trace.flows[i][0]["ts"]
        out.append(f'<text x="4" y="{axis.y(ts) + 4}" fill="#333">{ts:.1f} µs</text>')
    nth = {id(s): k for tid in col for k, s in enumerate(sorted((s for s in inside if s.tid == tid and s.cat == "ipc"),
                                                                 key=lambda s: s.start))}
    for s in sorted(inside, key=lambda s: s.depth):     # boxes
        y0, y1 = axis.y(max(s.start, t0)), axis.y(min(s.end, t1))
        x, w = col[s.tid] - 9 + 5 * s.depth, 18
        fill = IPC_ALT if nth.get(id(s), 0) % 2 else COLOURS.get(s.cat, "#cdb4db")
        label = f"{s.name} ({s.start:.2f}-{s.end:.2f} µs)"
        if "record" in s.args:
            label += "\n" + str(s.args["record"])
        out.append(f'<rect x="{x}" y="{y0:.1f}" width="{w}" height="{max(y1 - y0, MIN_BOX):.1f}" '
                   f'fill="{fill}" stroke="#444" stroke-width="0.6">{_tip(label)}</rect>')
        if s.cat == "ipc":
            what = f'{s.name} {s.args.get("sid", "")}'.strip()
            out.append(f'<text x="{x - 4}" y="{y0 + 12:.1f}" text-anchor="end">{escape(what)}</text>')
            if s.args.get("status"):
                out.append(f'<text x="{x - 4}" y="{y0 + 24:.1f}" text-anchor="end" fill="#555">'
                           f'{escape(str(s.args["status"]))}</text>')
    for e in marks:                                     # instants
        x, y = col[e["tid"]], axis.y(e["ts"])
        colour = "#c1121f" if e["name"] in ("fault", "panic", "reset", "psa_error") else "#6a4c93"
        out.append(f'<line x1="{x - 13}" y1="{y:.1f}" x2="{x - 5}" y2="{y:.1f}" stroke="{colour}" stroke-width="2">'
                   f'{_tip(e["name"] + " " + str(e.get("args", "")))}</line>')
    for i in chosen:                                    # flows: arrows from step to step
        flow = trace.flows[i]
        for k, (a, b) in enumerate(zip(flow, flow[1:])):
            if a["tid"] == b["tid"]:
                continue
            back = k == len(flow) - 2
            xa, xb = col[a["tid"]], col[b["tid"]]
            xa, xb = (xa + 9, xb - 9) if xb > xa else (xa - 9, xb + 9)
            dash = ' stroke-dasharray="5 3"' if back else ""
            tip = _tip(f"{a['name']} #{i}" + (" (reply)" if back else ""))
            out.append(f'<line x1="{xa}" y1="{axis.y(a["ts"]):.1f}" x2="{xb}" y2="{axis.y(b["ts"]):.1f}" stroke="#333" '
                       f'stroke-width="1.2" marker-end="url(#arrow)"{dash}>{tip}</line>')
    legend_y = height - 14
    for k, (cat, colour) in enumerate(COLOURS.items()):
        what = {"exception": "exception handler", "sleep": "sleep (WFI/WFE)", "psa": "SVC waiting for the SE",
                "ipc": "mailbox transaction"}[cat]
        x = 6 + 160 * k
        out.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}" stroke="#444"/>'
                   f'<text x="{x + 14}" y="{legend_y}">{what}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(data: dict[str, Any], path: str | Path, calls: int = DEFAULT_CALLS, at: str = "start") -> str:
    """Write :func:`render_svg` to ``path``; returns the text written."""
    text = render_svg(data, calls, at)
    Path(path).write_text(text, encoding="utf-8")
    return text
