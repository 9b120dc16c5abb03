"""Fewer full garbage collections while a machine runs.

A long run keeps bounded windows of records (the event log, the IPC monitor's records) whose
objects live long; with CPython's default thresholds each few thousand survivors trigger a full
collection that rescans every one of them (about a quarter of the time of a forwarded call in a
20,000-call run). While the scheduler runs, full collections are made ten times rarer; young
collections are unchanged, so reference cycles are still reclaimed, and the caller's thresholds
come back when the run ends. ``PSAEMU_GC_DEFAULT=1`` keeps the thresholds as they are.
"""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from typing import Iterator

#: Full collections happen after this many middle-generation ones (CPython's default: 10).
FULL_COLLECTION_EVERY = 100


@contextmanager
def rarer_full_collections() -> Iterator[None]:
    """Raise the third generation's threshold to :data:`FULL_COLLECTION_EVERY` for the block."""
    if os.environ.get("PSAEMU_GC_DEFAULT", "") not in ("", "0"):
        yield
        return
    saved = gc.get_threshold()
    gc.set_threshold(saved[0], saved[1], max(saved[2], FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        now = gc.get_threshold()
        if now[2] == max(saved[2], FULL_COLLECTION_EVERY):     # nobody changed it meanwhile
            gc.set_threshold(now[0], now[1], saved[2])
