"""Shared fixtures: prebuilt images and a factory for machines that capture console output."""
from __future__ import annotations

from pathlib import Path

import pytest

from psaemu.platform.images import image_path
from psaemu.platform.machine import Machine

TESTS = Path(__file__).resolve().parent
BOARDS = TESTS / "boards"


@pytest.fixture
def pingpong_machine() -> Machine:
    """The default board with the pingpong pair loaded, not yet run."""
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    return m
