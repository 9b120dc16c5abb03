"""Crypto service through the PSA Proxy: hashing against hashlib, random generation."""
import hashlib

import pytest


@pytest.mark.parametrize("data", [b"", b"abc", bytes(range(256)) * 3], ids=["empty", "abc", "768B"])
def test_sha256_matches_hashlib(booted, data):
    assert booted.psa.hash_sha256(data) == hashlib.sha256(data).digest()


def test_random(booted):
    a = booted.psa.generate_random(32)
    b = booted.psa.generate_random(32)
    assert len(a) == len(b) == 32
    assert a != b
