#!/usr/bin/env python3
"""Zero-copy benchmark: forwarded calls with IOVECs copied through the shared buffer (TF-M v1.3)
vs passed by pointer (``--lift zero-copy``), for 64-byte and 4 KiB payloads.

    python bench/bench_zerocopy.py [--calls N] [--repeat K]

Each call is a scripted client's SHA-256 hash of the payload on the SE firmware (in: 44-byte
parameters + the payload, out: 32-byte digest), on Musca-B1 plus a window through which the SE
sees Host SRAM (written to a temporary board file: the default board has none). Figures: calls
per wall second (median of K runs), calls per virtual second, and the proxy's own Python time
per call (packing + write-back, where the copies are).
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

from psaemu.platform.system.board import BOARDS_DIR
from psaemu.proxy.client import boot_se_only

WINDOW = '\n[[windows]]\nname = "host_sram"\nsize = "512K"\nhost = 0x30000000\nse = 0x60000000\n'


def board_with_window(directory: str) -> str:
    """Musca-B1 plus the Host SRAM window, as a board file in ``directory``."""
    path = Path(directory) / "musca_b1_host_window.toml"
    path.write_text((BOARDS_DIR / "musca_b1.toml").read_text() + WINDOW)
    return str(path)


def run(board: str, lift: list[str], size: int, calls: int) -> tuple[float, float, float]:
    """(calls per wall second, calls per virtual second, proxy µs per call) of ``calls`` hashes."""
    m, system = boot_se_only(board, machine_options={"lift": lift})
    proxy, psa = system.proxy, system.psa
    spent = [0.0]
    for name in ("_pack", "_write_back"):                # time the proxy's packing and write-back
        inner = getattr(proxy, name)

        def timed(*a, _inner=inner):
            t = time.perf_counter()
            try:
                return _inner(*a)
            finally:
                spent[0] += time.perf_counter() - t
        setattr(proxy, name, timed)
    data = bytes(i & 0xFF for i in range(size))
    want = hashlib.sha256(data).digest()
    assert psa.hash_sha256(data) == want               # warm-up (connection, translation caches)
    spent[0] = 0.0
    t0, v0 = time.perf_counter(), m.now_ps
    for _ in range(calls):
        assert psa.hash_sha256(data) == want
    wall, virtual = time.perf_counter() - t0, (m.now_ps - v0) / 1e12
    if lift:
        assert all(v.by_pointer for r in system.records[-2:] for v in r.in_vecs + r.out_vecs)
    return calls / wall, calls / virtual, spent[0] / calls * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        board = board_with_window(tmp)
        print(f"{'payload':>8} {'mode':>10} {'calls/s wall':>13} {'calls/s virtual':>16} {'proxy us/call':>14}")
        for size in (64, 4096):
            for mode, lift in (("copy", []), ("zero-copy", ["zero-copy"])):
                runs = [run(board, lift, size, args.calls) for _ in range(args.repeat)]
                wall = statistics.median(r[0] for r in runs)
                proxy_us = statistics.median(r[2] for r in runs)
                print(f"{size:>8} {mode:>10} {wall:>13.0f} {runs[0][1]:>16.0f} {proxy_us:>14.1f}")


if __name__ == "__main__":
    main()
