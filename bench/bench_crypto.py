#!/usr/bin/env python3
"""Crypto benchmark: PSA Crypto operations per second through the PSA Proxy (scripted client ->
Host SPM -> proxy -> SE firmware -> crypto engine), against a baseline measured in the same run.

    python bench/bench_crypto.py [--ops N] [--repeat K]

Operations: SHA-256 of 1 KiB (``psa_hash_compute``), AES-128-GCM encryption of 1 KiB
(``psa_aead_encrypt``, 12-byte nonce, no additional data), ECDSA P-256 signature of a SHA-256
hash (``psa_sign_hash``). Each is one v1.3 client call: connect -> psa_call -> close.

Baseline, per operation: a forwarded crypto ``psa_call`` with the same iovec sizes whose
``sfn_id`` is out of range (``TFM_CRYPTO_SID_MAX``), so the SE's Crypto partition reads the
44-byte pack and answers at once: everything but the cryptography (connect, proxy copies of the
same bytes, mailbox, SE dispatch, close). ``x base`` = operation time / baseline time. Figures:
wall-clock operations per second (median of K runs of N operations, GC off while timing), and
SE virtual time per operation. ``native`` is the same operation in this process with the
``cryptography`` package, for scale. See bench/README.md.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from psaemu.proxy import crypto_values as cv
from psaemu.proxy.client import PsaError, boot_se_only
from psaemu.proxy.crypto_client import CryptoClient, KeyAttributes
from psaemu.proxy.services import TFM_CRYPTO_SID_MAX

KIB = 1024


@dataclass
class Case:
    name: str
    op: Callable[[], object]
    baseline: Callable[[], object]
    native: Callable[[], object]


@dataclass
class Figure:
    ops_s: float
    virtual_us: float


def measure(m, fn: Callable[[], object], ops: int, repeat: int) -> Figure:
    """Median wall-clock ops/s over ``repeat`` runs of ``ops`` calls; virtual µs per call."""
    rates, virtual = [], []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0, v0 = time.perf_counter(), m.now_ps
            for _ in range(ops):
                fn()
            wall, vps = time.perf_counter() - t0, m.now_ps - v0
        finally:
            gc.enable()
        rates.append(ops / wall)
        virtual.append(vps / ops / 1e6)
    return Figure(statistics.median(rates), statistics.median(virtual))


def native_rate(fn: Callable[[], object], ops: int) -> float:
    t0 = time.perf_counter()
    for _ in range(ops):
        fn()
    return ops / (time.perf_counter() - t0)


def cases(crypto: CryptoClient) -> list[Case]:
    data, nonce, digest = os.urandom(KIB), os.urandom(12), hashlib.sha256(b"bench").digest()
    aes_key = os.urandom(16)
    priv = ec.generate_private_key(ec.SECP256R1())

    def junk(in_sizes: list[int], out_size: int) -> Callable[[], object]:
        inputs = [os.urandom(n) for n in in_sizes]
        return lambda: crypto.call(TFM_CRYPTO_SID_MAX, inputs, [out_size])

    out: list[Case] = [Case("SHA-256 1 KiB", lambda: crypto.hash_compute(cv.PSA_ALG_SHA_256, data, 32),
                            junk([KIB], 32), lambda: hashlib.sha256(data).digest())]
    try:
        k = crypto.import_key(KeyAttributes(type=cv.PSA_KEY_TYPE_AES, usage=cv.PSA_KEY_USAGE_ENCRYPT,
                                            alg=cv.PSA_ALG_GCM), aes_key)
        aead = AESGCM(aes_key)
        out.append(Case("AES-128-GCM 1 KiB", lambda: crypto.aead_encrypt(k, cv.PSA_ALG_GCM, nonce, data),
                        junk([KIB], KIB + 16), lambda: aead.encrypt(nonce, data, None)))
    except PsaError as e:
        out.append(Case(f"AES-128-GCM 1 KiB ({e.status.name} importing the key)", None, None, None))
    try:
        scalar = priv.private_numbers().private_value.to_bytes(32, "big")
        e_key = crypto.import_key(KeyAttributes(type=cv.PSA_KEY_TYPE_ECC_KEY_PAIR_SECP_R1,
                                                usage=cv.PSA_KEY_USAGE_SIGN_HASH, alg=cv.PSA_ALG_ECDSA_SHA_256), scalar)
        out.append(Case("ECDSA P-256 sign", lambda: crypto.sign_hash(e_key, cv.PSA_ALG_ECDSA_SHA_256, digest, 64),
                        junk([32], 64), lambda: priv.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))))
    except PsaError as e:
        out.append(Case(f"ECDSA P-256 sign ({e.status.name} importing the key)", None, None, None))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=200, help="operations per timed run (default 200)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per figure; median reported")
    args = ap.parse_args(argv)
    m, _ = boot_se_only()
    crypto = m.psa.crypto
    print(f"bench_crypto: {args.ops} operations x {args.repeat} runs, median; SE firmware through the proxy")
    print(f"{'operation':<34} {'ops/s':>9} {'base ops/s':>11} {'x base':>7} {'SE us/op':>9} {'base us':>8} "
          f"{'native ops/s':>13}")
    for c in cases(crypto):
        if c.op is None:
            print(f"{c.name:<34} {'-':>9}")
            continue
        try:
            c.op()
        except PsaError as e:
            print(f"{c.name:<34} {'-':>9}  the SE answers {e.status.name}")
            continue
        op = measure(m, c.op, args.ops, args.repeat)
        base = measure(m, c.baseline, args.ops, args.repeat)
        native = native_rate(c.native, max(args.ops, 1000))
        print(f"{c.name:<34} {op.ops_s:>9.0f} {base.ops_s:>11.0f} {base.ops_s / op.ops_s:>7.2f} "
              f"{op.virtual_us:>9.1f} {base.virtual_us:>8.1f} {native:>13.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
