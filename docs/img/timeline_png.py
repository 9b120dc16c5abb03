"""Draw a `psaemu run --timeline FILE.json` window as a Gantt chart PNG (the picture in the docs).

    psaemu run -q --timeline run.json
    python3 docs/img/timeline_png.py run.json docs/img/timeline.png --from 0 --to 3500

Needs matplotlib (``pip install matplotlib``). It draws exactly the slices, instants and flows of
the JSON file: one lane per track, slices coloured by category, flows as arrows.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Any

COLOURS = {"sleep": "#c8d6e5", "exception": "#ee5253", "psa": "#feca57", "ipc": "#54a0ff"}


def slices(events: list[dict[str, Any]]) -> dict[int, list[tuple[float, float, str, str]]]:
    """Each track's slices as (start, end, name, category), from its B/E pairs."""
    out: dict[int, list[tuple[float, float, str, str]]] = defaultdict(list)
    stacks: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e["ph"] == "B":
            stacks[e["tid"]].append(e)
        elif e["ph"] == "E":
            b = stacks[e["tid"]].pop()
            out[e["tid"]].append((b["ts"], e["ts"], b["name"], b["cat"]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json")
    ap.add_argument("png")
    ap.add_argument("--from", dest="t0", type=float, default=0.0, help="window start (µs)")
    ap.add_argument("--to", dest="t1", type=float, default=3500.0, help="window end (µs)")
    args = ap.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    data = json.load(open(args.json))
    events = data["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    order = sorted(names, key=lambda t: (t != 1, t < 100, t))        # host, mailbox slots, then the SE
    lane = {tid: len(order) - 1 - i for i, tid in enumerate(order)}
    t0, t1 = args.t0, args.t1
    min_w = (t1 - t0) / 250                                          # zero-time handlers stay visible

    fig, ax = plt.subplots(figsize=(10, 2.8), dpi=80)
    for tid, items in slices(events).items():
        for start, end, name, cat in items:
            if end < t0 or start > t1:
                continue
            ax.broken_barh([(start, max(end - start, min_w))], (lane[tid] - 0.35, 0.7),
                           facecolors=COLOURS.get(cat, "#999999"), edgecolor="white", linewidth=0.6,
                           zorder=1 if cat == "sleep" else 2)
            if cat == "ipc" and end - start > (t1 - t0) / 12:
                ax.text((start + min(end, t1)) / 2, lane[tid], name, ha="center", va="center", fontsize=7)
    steps: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e["ph"] in "stf":
            steps[e["id"]].append(e)
    for chain in steps.values():
        for a, b in zip(chain, chain[1:]):
            if t0 <= a["ts"] <= t1 and t0 <= b["ts"] <= t1:
                ax.annotate("", xy=(b["ts"], lane[b["tid"]]), xytext=(a["ts"], lane[a["tid"]]),
                            arrowprops={"arrowstyle": "->", "color": "#222222", "lw": 0.6}, zorder=3)
    ax.set_yticks([lane[t] for t in order], [names[t] for t in order])
    ax.set_xlim(t0, t1)
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.set_xlabel("virtual time (µs)")
    ax.legend(handles=[Patch(color=c, label=k) for k, c in COLOURS.items()], loc="upper center",
              bbox_to_anchor=(0.5, 1.22), ncol=4, fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(args.png)


if __name__ == "__main__":
    main()
