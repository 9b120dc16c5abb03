"""Storage durability: a power cut before any store of an ITS or PS write leaves the asset with
its old or its new value (absent or new for a first write, present or gone for a remove), never
torn, and every other asset intact, after the SE boots again from that flash.

One traced write (``psaemu.platform.testing.powercut.record_stores``) gives every cut point; each cut is
checked on the machine restored to power-on with the cut flash image, so a cut costs ~4 ms and
every store of every case runs in CI. ``--fuzz-deep`` adds the largest assets and removes.
"""
from __future__ import annotations

import pytest
from conftest import deep

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.platform.testing.powercut import record_stores, write_region
from psaemu.proxy.client import PsaError
from psaemu.proxy.services import ITS_MAX_ASSET_SIZE, PS_MAX_ASSET_SIZE
from psaemu.proxy.system import attach_proxy

OTHERS = {("its", 0x21): b"its neighbour " * 3, ("ps", 0x31): b"ps neighbour " * 9}
TARGET = {"its": 0x22, "ps": 0x32}


def _cases():
    cases = [("its", "update", 40), ("its", "create", 40), ("ps", "update", 100), ("ps", "create", 100)]
    if deep():
        cases += [("its", "update", ITS_MAX_ASSET_SIZE), ("ps", "update", PS_MAX_ASSET_SIZE),
                  ("its", "remove", 40), ("ps", "remove", 100), ("its", "update", 1), ("ps", "create", 1)]
    return cases


@pytest.fixture(scope="module")
def cold():
    """A machine with the SE firmware at power-on, and its snapshot."""
    m = Machine()
    m.load("se", image_path("se_firmware"))
    attach_proxy(m)
    return m, m.snapshot()


def _boot(m, snap, flash: bytes | None = None):
    m.restore(snap)
    if flash is not None:
        write_region(m, "se", "storage", flash)
    m.set_released("se", True, "power back")
    m.psa.wait_ready()
    return m.psa


def _get(psa, area: str, uid: int) -> bytes | None:
    try:
        return psa.its_get(uid) if area == "its" else psa.ps_get(uid)
    except PsaError as exc:
        assert "DOES_NOT_EXIST" in str(exc), exc
        return None


def _set(psa, area: str, uid: int, data: bytes) -> int:
    return psa.its_set(uid, data) if area == "its" else psa.ps_set(uid, data)


@pytest.mark.parametrize("area,op,size", _cases())
def test_power_cut_before_every_store(cold, area, op, size):
    m, snap = cold
    psa = _boot(m, snap)
    for (a, uid), data in OTHERS.items():
        assert _set(psa, a, uid, data) == 0
    uid, old, new = TARGET[area], bytes([0xA5]) * size, bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    if op != "create":
        assert _set(psa, area, uid, old) == 0
    if op == "remove":
        write = (lambda: psa.its_remove(uid)) if area == "its" else (lambda: psa.ps_remove(uid))
        after = None
    else:
        write, after = (lambda: _set(psa, area, uid, new)), new
    before = None if op == "create" else old
    trace = record_stores(m, "se", "storage", write)
    assert trace.result == 0 and len(trace.stores) >= (1 if op == "remove" else 4)   # a remove is one store
    seen = set()
    for k in range(len(trace.stores) + 1):
        psa = _boot(m, snap, trace.image_after(k))
        value = _get(psa, area, uid)
        assert value in (before, after), f"cut before store {k} of {len(trace.stores)}: torn value {value!r:.60}"
        seen.add(value)
        for (a, other), data in OTHERS.items():
            assert _get(psa, a, other) == data, f"cut before store {k}: asset {a} {other:#x} damaged"
    assert seen == {before, after}                  # the cut points cover both sides of the commit
