"""A deliberately failing test, to see a reproducer bundle and its replay (not part of the green
suite: ``pytest.ini`` keeps this folder out of a plain ``pytest`` run).

    pytest failing --psaemu-bundle-dir bundles      # fails; the report prints "replay: pytest ..."
    pytest <that node id> --psaemu-replay bundles/<that bundle>   # fails the same way
"""
import pytest


@pytest.mark.psaemu_seed(11)
@pytest.mark.psaemu_fault("corrupt_iovec", index=1, byte_offset=None, xor=None)   # seeded random byte
def test_its_value_survives_the_trip(booted):
    booted.psa.its_set(0x2001, b"hello world")
    assert booted.psa.its_get(0x2001) == b"hello world", "the ITS value came back changed"
