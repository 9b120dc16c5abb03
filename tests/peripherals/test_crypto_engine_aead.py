"""Multipart AEAD contexts of the crypto engine against `cryptography`'s one-shot AEADs."""
from __future__ import annotations

import marshal

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from test_crypto_engine import Driver

from psaemu.peripherals import crypto_algs as A
from psaemu.peripherals import crypto_engine as E

KEY16, KEY32 = bytes(range(16)), bytes(range(32))
PT, AD = bytes(range(100)), b"associated data!" * 3


@pytest.fixture
def d():
    drv = Driver()
    drv.key(0, A.KEY_TYPE_AES, KEY16)
    drv.key(1, A.KEY_TYPE_CHACHA20, KEY32)
    return drv


def seal(d, slot, alg, nonce, chunks, lengths=None, ctx=2):
    d.ok(E.CMD_AEAD_SETUP, slot=slot, alg=alg, ctx=ctx)
    if lengths:
        d.ok(E.CMD_AEAD_SET_LENGTHS, ctx=ctx, aux=lengths)
    d.ok(E.CMD_AEAD_SET_NONCE, ctx=ctx, ins=[nonce])
    d.ok(E.CMD_AEAD_UPDATE_AD, ctx=ctx, ins=[AD[:10]])
    d.ok(E.CMD_AEAD_UPDATE_AD, ctx=ctx, ins=[AD[10:]])
    out = b""
    for c in chunks:
        part = d.ok(E.CMD_AEAD_UPDATE, ctx=ctx, ins=[c], outs=[len(c)])[0]
        assert len(part) == len(c)                     # PSA_AEAD_UPDATE_OUTPUT_SIZE = input length
        out += part
    rest, tag = d.ok(E.CMD_AEAD_FINISH, ctx=ctx, outs=[16, 16])
    return out + rest + tag


CASES = [(0, A.GCM, bytes(12), lambda n: AESGCM(KEY16).encrypt(n, PT, AD)),
         (0, A.CCM, bytes(13), lambda n: AESCCM(KEY16).encrypt(n, PT, AD)),
         (1, A.CHACHA20_POLY1305, bytes(12), lambda n: ChaCha20Poly1305(KEY32).encrypt(n, PT, AD))]


@pytest.mark.parametrize("slot,alg,nonce,oracle", CASES)
def test_multipart_seal_and_open_match_the_one_shot_oracle(d, slot, alg, nonce, oracle):
    chunks = [PT[:1], PT[1:17], PT[17:60], PT[60:]]
    sealed = seal(d, slot, alg, nonce, chunks, (len(AD), len(PT)))
    assert sealed == oracle(nonce)
    d.ok(E.CMD_AEAD_SETUP, slot=slot, alg=alg, ctx=3, aux=(1,))
    d.ok(E.CMD_AEAD_SET_LENGTHS, ctx=3, aux=(len(AD), len(PT)))
    d.ok(E.CMD_AEAD_SET_NONCE, ctx=3, ins=[nonce])
    d.ok(E.CMD_AEAD_UPDATE_AD, ctx=3, ins=[AD])
    opened = d.ok(E.CMD_AEAD_UPDATE, ctx=3, ins=[sealed[:50]], outs=[50])[0]
    opened += d.ok(E.CMD_AEAD_UPDATE, ctx=3, ins=[sealed[50:-16]], outs=[64])[0]
    opened += d.ok(E.CMD_AEAD_VERIFY, ctx=3, ins=[sealed[-16:]], outs=[16])[0]
    assert opened == PT and d.e.contexts[3] is None
    d.ok(E.CMD_AEAD_SETUP, slot=slot, alg=alg, ctx=3, aux=(1,))
    d.ok(E.CMD_AEAD_SET_LENGTHS, ctx=3, aux=(len(AD), len(PT)))
    d.ok(E.CMD_AEAD_SET_NONCE, ctx=3, ins=[nonce])
    d.ok(E.CMD_AEAD_UPDATE_AD, ctx=3, ins=[AD])
    d.ok(E.CMD_AEAD_UPDATE, ctx=3, ins=[sealed[:-16]], outs=[128])
    bad = bytes([sealed[-16] ^ 1]) + sealed[-15:]
    assert d.run(E.CMD_AEAD_VERIFY, ctx=3, ins=[bad], outs=[16])[0] == A.INVALID_SIGNATURE
    assert d.e.contexts[3] is None


def test_gcm_without_lengths_and_generated_nonce(d):
    d.ok(E.CMD_AEAD_SETUP, slot=0, alg=A.GCM, ctx=2)
    nonce = d.ok(E.CMD_AEAD_GENERATE_NONCE, ctx=2, outs=[16])[0]
    assert len(nonce) == 12
    d.ok(E.CMD_AEAD_UPDATE_AD, ctx=2, ins=[AD])
    ct = d.ok(E.CMD_AEAD_UPDATE, ctx=2, ins=[PT], outs=[100])[0]
    _, tag = d.ok(E.CMD_AEAD_FINISH, ctx=2, outs=[0, 16])
    assert ct + tag == AESGCM(KEY16).encrypt(nonce, PT, AD)


def fresh(d, alg=A.CCM, decrypt=False, nonce=None, lengths=None, ctx=2):
    """A new AEAD context at ``ctx``; optional nonce and lengths already given."""
    d.e.contexts[ctx] = None
    d.ok(E.CMD_AEAD_SETUP, slot=0, alg=alg, ctx=ctx, aux=(int(decrypt),))
    if lengths:
        d.ok(E.CMD_AEAD_SET_LENGTHS, ctx=ctx, aux=lengths)
    if nonce is not None:
        d.ok(E.CMD_AEAD_SET_NONCE, ctx=ctx, ins=[nonce])


@pytest.mark.parametrize("setup,step,expected", [
    (dict(alg=A.GCM), (E.CMD_AEAD_UPDATE, dict(ins=[b"x"], outs=[4])), A.BAD_STATE),          # no nonce
    (dict(alg=A.GCM), (E.CMD_AEAD_UPDATE_AD, dict(ins=[b"x"])), A.BAD_STATE),
    (dict(nonce=bytes(13)), (E.CMD_AEAD_SET_NONCE, dict(ins=[bytes(13)])), A.BAD_STATE),     # nonce twice
    (dict(nonce=bytes(13)), (E.CMD_AEAD_UPDATE, dict(ins=[b"x"], outs=[4])), A.BAD_STATE),   # CCM: lengths
    (dict(nonce=bytes(13)), (E.CMD_AEAD_UPDATE_AD, dict(ins=[b"x"])), A.BAD_STATE),
    (dict(nonce=bytes(13), lengths=(0, 2)), (E.CMD_AEAD_UPDATE, dict(ins=[b"xyz"], outs=[4])),
     A.INVALID_ARGUMENT),                                                                    # > declared
    (dict(nonce=bytes(13), lengths=(1, 2)), (E.CMD_AEAD_UPDATE, dict(ins=[b"x"], outs=[4])),
     A.INVALID_ARGUMENT),                                                                    # AD missing
    (dict(nonce=bytes(13), lengths=(0, 2)), (E.CMD_AEAD_FINISH, dict(outs=[0, 16])), A.INVALID_ARGUMENT),
    (dict(nonce=bytes(13), lengths=(0, 2)), (E.CMD_AEAD_SET_LENGTHS, dict(aux=(0, 2))), A.BAD_STATE),
    (dict(nonce=bytes(13), lengths=(0, 0)), (E.CMD_AEAD_VERIFY, dict(ins=[bytes(16)])), A.BAD_STATE),
    (dict(nonce=bytes(13), lengths=(0, 0)), (E.CMD_AEAD_FINISH, dict(outs=[0, 8])), A.BUFFER_TOO_SMALL),
    (dict(alg=A.GCM, decrypt=True), (E.CMD_AEAD_GENERATE_NONCE, dict(outs=[16])), A.BAD_STATE),
    (dict(alg=A.GCM, nonce=bytes(12)), (E.CMD_AEAD_UPDATE, dict(ins=[b"abcd"], outs=[3])), A.BUFFER_TOO_SMALL),
    (dict(alg=A.GCM, nonce=bytes(12)), (E.CMD_AEAD_VERIFY, dict(ins=[bytes(16)])), A.BAD_STATE),  # encrypting
    (dict(alg=A.GCM), (E.CMD_AEAD_SET_NONCE, dict(ins=[b""])), A.INVALID_ARGUMENT),
    (dict(), (E.CMD_AEAD_SET_NONCE, dict(ins=[bytes(6)])), A.INVALID_ARGUMENT),
])
def test_state_errors_end_the_context(d, setup, step, expected):
    fresh(d, **setup)
    cmd, kw = step
    assert d.run(cmd, ctx=2, **kw)[0] == expected
    assert d.e.contexts[2] is None                       # the operation must be aborted now
    assert d.run(E.CMD_AEAD_UPDATE_AD, ctx=2, ins=[b"x"])[0] == A.BAD_STATE


def test_setup_errors(d):
    assert d.run(E.CMD_AEAD_SETUP, slot=1, alg=A.GCM, ctx=5)[0] == A.NOT_SUPPORTED        # ChaCha20 key
    assert d.run(E.CMD_AEAD_SETUP, slot=0, alg=A.CHACHA20_POLY1305, ctx=5)[0] == A.NOT_SUPPORTED
    fresh(d, alg=A.GCM, ctx=4)
    assert d.run(E.CMD_AEAD_SETUP, slot=0, alg=A.GCM, ctx=4)[0] == A.BAD_STATE            # context in use


def test_snapshot_rebuilds_the_streaming_object(d):
    nonce = bytes(range(12))
    d.ok(E.CMD_AEAD_SETUP, slot=0, alg=A.GCM, ctx=2)
    d.ok(E.CMD_AEAD_SET_NONCE, ctx=2, ins=[nonce])
    d.ok(E.CMD_AEAD_UPDATE_AD, ctx=2, ins=[AD])
    first = d.ok(E.CMD_AEAD_UPDATE, ctx=2, ins=[PT[:40]], outs=[40])[0]
    state = marshal.loads(marshal.dumps(d.e.snapshot()))
    d.e.write(0x04, 4, E.CTRL_RESET)
    d.e.restore(state)
    rest = d.ok(E.CMD_AEAD_UPDATE, ctx=2, ins=[PT[40:]], outs=[60])[0]
    _, tag = d.ok(E.CMD_AEAD_FINISH, ctx=2, outs=[0, 16])
    assert first + rest + tag == AESGCM(KEY16).encrypt(nonce, PT, AD)
