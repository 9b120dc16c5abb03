"""Flash helpers shared by the flash controller model tests."""
from __future__ import annotations

from psaemu.platform.system.memory import Store


def erased_store(name: str, size: int) -> Store:
    """A flash store as a new part comes: every byte 0xFF."""
    s = Store(name, size)
    s.fill(0, s.size, 0xFF)
    return s
