"""Multipart operation contexts of the crypto engine (hash, MAC, cipher, AEAD, key derivation).

A context is plain data (so the engine snapshots as data): hash and MAC contexts keep the
message fed so far (bounded by :data:`MAX_CONTEXT_BYTES`) and compute at finish; a cipher
context keeps its key, IV and the input given to the cipher so far, and rebuilds the
``cryptography`` object by replaying it after a restore; a key-derivation context keeps its
inputs and how much output it has produced (HKDF and the TLS 1.2 PRF are prefix-stable).
"""
from __future__ import annotations

import hmac as hmac_mod
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from . import crypto_algs as A
from . import crypto_ops as ops
from .crypto_algs import fail
from .crypto_keys import Key

#: Input a hash/MAC/cipher context may hold (the engine keeps the message for its snapshot).
MAX_CONTEXT_BYTES = 1 << 20


class Context:
    """Base: ``kind`` names the class in a snapshot."""

    kind = ""

    def state(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    @classmethod
    def from_state(cls, s: dict[str, Any]) -> "Context":
        obj = cls.__new__(cls)
        obj.__dict__.update(s)
        obj._init_live()
        return obj

    def _init_live(self) -> None:
        pass

    def _grow(self, attr: str, data: bytes) -> None:
        cur = getattr(self, attr)
        if len(cur) + len(data) > MAX_CONTEXT_BYTES:
            raise fail(A.INSUFFICIENT_MEMORY, f"a multipart context holds at most {MAX_CONTEXT_BYTES} bytes")
        setattr(self, attr, cur + bytes(data))


class HashCtx(Context):
    kind = "hash"

    def __init__(self, alg: int) -> None:
        A.hash_of(alg)
        self.alg, self.data = alg, b""

    def update(self, data: bytes) -> None:
        self._grow("data", data)

    def finish(self) -> bytes:
        return ops.digest(self.alg, self.data)


class MacCtx(Context):
    kind = "mac"

    def __init__(self, key: Key, alg: int, verify: bool) -> None:
        A.mac_alg(alg, key.type, key.bits)
        self.key, self.alg, self.verify, self.data = key.as_state(), alg, verify, b""

    def update(self, data: bytes) -> None:
        self._grow("data", data)

    def finish(self) -> bytes:
        return ops.mac(Key.from_state(self.key), self.alg, self.data)


class CipherCtx(Context):
    """Streaming cipher: block modes buffer partial blocks; decryption with PKCS#7 holds back
    the last block until finish."""

    kind = "cipher"

    def __init__(self, key: Key, alg: int, decrypt: bool) -> None:
        self.iv_size = ops.cipher_iv_size(key, alg)
        self.key, self.alg, self.decrypt = key.as_state(), alg, decrypt
        self.iv: bytes | None = None if self.iv_size else b""
        self.fed = b""            # bytes given to the cipher object
        self.pending = b""        # bytes not yet given (partial block / held-back block)
        self._init_live()

    def _init_live(self) -> None:
        self._obj = None
        if self.iv is not None:
            self._obj = ops.cipher_object(Key.from_state(self.key), self.alg, self.iv, self.decrypt)
            if self.fed:
                self._obj.update(self.fed)

    def set_iv(self, iv: bytes) -> None:
        if self.iv is not None or not self.iv_size:
            raise fail(A.BAD_STATE, "IV already set or not used by this cipher")
        if len(iv) != self.iv_size:
            raise fail(A.INVALID_ARGUMENT, f"IV of {len(iv)} bytes, the cipher needs {self.iv_size}")
        self.iv = bytes(iv)
        self._init_live()

    def _split(self, data: bytes, final: bool) -> tuple[bytes, bytes]:
        """(bytes to process now, bytes to keep) of pending + data."""
        buf = self.pending + data
        if not ops.block_mode(self.alg):
            return buf, b""
        n = len(buf) - len(buf) % 16
        if self.alg == A.CBC_PKCS7 and self.decrypt and not final and n == len(buf) and n:
            n -= 16                                   # keep the last block for unpadding
        return buf[:n], buf[n:]

    def update(self, data: bytes, out_size: int) -> bytes:
        if self.iv is None:
            raise fail(A.BAD_STATE, "the IV is not set")
        now, keep = self._split(bytes(data), False)
        ops.need(out_size, len(now))
        if len(self.fed) + len(now) > MAX_CONTEXT_BYTES:
            raise fail(A.INSUFFICIENT_MEMORY, f"a cipher context processes at most {MAX_CONTEXT_BYTES} bytes")
        out = self._obj.update(now) if now else b""
        self.fed += now
        self.pending = keep
        return out

    def finish(self, out_size: int) -> bytes:
        if self.iv is None:
            raise fail(A.BAD_STATE, "the IV is not set")
        rest = self.pending
        if ops.block_mode(self.alg):
            if self.alg == A.CBC_PKCS7 and not self.decrypt:
                rest = ops.pkcs7_pad(rest)
            elif len(rest) % 16:
                raise fail(A.INVALID_ARGUMENT, "input is not a whole number of blocks")
        out = self._obj.update(rest) + self._obj.finalize() if rest else self._obj.finalize()
        if self.alg == A.CBC_PKCS7 and self.decrypt:
            if not rest:
                raise fail(A.INVALID_PADDING, "no padded block")
            out = ops.pkcs7_unpad(out)
        ops.need(out_size, len(out))
        return out


class KdfCtx(Context):
    """HKDF, TLS 1.2 PRF and TLS 1.2 PSK-to-MS, optionally behind ECDH (key agreement)."""

    kind = "kdf"

    def __init__(self, alg: int) -> None:
        cat = A.category(alg)
        kdf = alg
        if cat == A.CAT_KA:
            if alg & A.KA_MASK != A.ECDH:
                raise fail(A.NOT_SUPPORTED, f"key agreement {alg:#010x} is not supported")
            kdf = (alg & ~A.KA_MASK & 0xFFFF) | A.CAT_KDF
        elif cat != A.CAT_KDF:
            raise fail(A.INVALID_ARGUMENT, f"{alg:#010x} is not a key derivation algorithm")
        if not A.is_kdf_alg(kdf):
            raise fail(A.NOT_SUPPORTED, f"key derivation {alg:#010x} is not supported")
        size = A.hash_of(A.hash_in(kdf))[1]
        if kdf & ~A.HASH_MASK != A.HKDF_BASE and A.hash_in(kdf) not in (0x02000009, 0x0200000A):
            raise fail(A.NOT_SUPPORTED, "the TLS 1.2 PRF runs with SHA-256 or SHA-384")
        self.alg, self.kdf, self.agreement = alg, kdf, cat == A.CAT_KA
        self.capacity = 255 * size
        self.inputs: dict[int, bytes] = {}
        self.produced = 0

    def state(self) -> dict[str, Any]:
        s = super().state()
        s["inputs"] = [[k, v] for k, v in sorted(self.inputs.items())]
        return s

    @classmethod
    def from_state(cls, s: dict[str, Any]) -> "Context":
        s = dict(s)
        s["inputs"] = {int(k): bytes(v) for k, v in s["inputs"]}
        return super().from_state(s)

    def _order(self) -> tuple[int, ...]:
        base = self.kdf & ~A.HASH_MASK
        return (A.STEP_SALT, A.STEP_SECRET, A.STEP_INFO) if base == A.HKDF_BASE else \
            (A.STEP_SEED, A.STEP_SECRET, A.STEP_LABEL)

    def input(self, step: int, data: bytes, from_key_type: int | None = None, agreed: bool = False) -> None:
        """Give input ``step``: bytes (``from_key_type`` None), a key's material, or (``agreed``)
        the shared secret of a key agreement."""
        order = self._order()
        if step not in order:
            raise fail(A.INVALID_ARGUMENT, f"step {step:#06x} is not an input of this algorithm")
        if from_key_type is not None:
            ok = from_key_type == A.KEY_TYPE_DERIVE if step == A.STEP_SECRET else \
                from_key_type in (A.KEY_TYPE_RAW_DATA, A.KEY_TYPE_DERIVE)
            if not ok:
                raise fail(A.INVALID_ARGUMENT, f"key type {from_key_type:#06x} cannot be step {step:#06x}")
        if step == A.STEP_SECRET and self.agreement != agreed:
            raise fail(A.INVALID_ARGUMENT, "the secret comes from the key agreement exactly when the algorithm has one")
        if self.produced or step in self.inputs:
            raise fail(A.BAD_STATE, "input after output started or given twice")
        hkdf = order[0] == A.STEP_SALT
        if hkdf and step == A.STEP_INFO:
            pass                                       # info: any time before output
        elif any(later in self.inputs for later in order[order.index(step) + 1:]
                 if not (hkdf and later == A.STEP_INFO)):
            raise fail(A.BAD_STATE, "inputs out of order")
        elif not hkdf and any(earlier not in self.inputs for earlier in order[:order.index(step)]):
            raise fail(A.BAD_STATE, "inputs out of order")
        if step == A.STEP_SECRET and self.kdf & ~A.HASH_MASK == A.TLS12_PSK_TO_MS_BASE and len(data) > A.TLS12_PSK_MAX:
            raise fail(A.INVALID_ARGUMENT, "PSK longer than 64 bytes")
        self.inputs[step] = bytes(data)

    def set_capacity(self, n: int) -> None:
        if n > self.capacity:
            raise fail(A.INVALID_ARGUMENT, "capacity can only shrink")
        self.capacity = n

    def _stream(self, n: int) -> bytes:
        name = A.hash_of(A.hash_in(self.kdf))[0]
        base = self.kdf & ~A.HASH_MASK
        if base == A.HKDF_BASE:
            if A.STEP_SECRET not in self.inputs or A.STEP_INFO not in self.inputs:
                raise fail(A.BAD_STATE, "HKDF needs the secret and the info before output")
            salt = self.inputs.get(A.STEP_SALT) or bytes(A.hash_of(A.hash_in(self.kdf))[1])
            prk = hmac_mod.new(salt, self.inputs[A.STEP_SECRET], name).digest()
            return HKDFExpand(ops.chash(A.hash_in(self.kdf)), n, self.inputs[A.STEP_INFO]).derive(prk) if n else b""
        if A.STEP_LABEL not in self.inputs:
            raise fail(A.BAD_STATE, "the TLS 1.2 PRF needs seed, secret and label before output")
        secret = self.inputs[A.STEP_SECRET]
        if base == A.TLS12_PSK_TO_MS_BASE:
            L = len(secret).to_bytes(2, "big")
            secret = L + bytes(len(secret)) + L + secret
        seed = self.inputs[A.STEP_LABEL] + self.inputs[A.STEP_SEED]
        out, a = b"", seed
        while len(out) < n:                            # RFC 5246 P_hash over the library's HMAC
            a = hmac_mod.new(secret, a, name).digest()
            out += hmac_mod.new(secret, a + seed, name).digest()
        return out[:n]

    def output(self, n: int) -> bytes:
        if n > self.capacity:
            self.capacity = 0
            raise fail(A.INSUFFICIENT_DATA, "not enough capacity left")
        data = self._stream(self.produced + n)[self.produced:]
        self.produced += n
        self.capacity -= n
        return data


class AeadCtx(Context):
    """Multipart AEAD (PSA Crypto 1.0 psa_aead_*): output as the input comes (GCM through its
    streaming object, CCM and ChaCha20-Poly1305 through their keystream), the tag at the end.
    The additional data and the input are kept (for the CCM/ChaCha20-Poly1305 tag and to
    rebuild the live object after a restore), at most :data:`MAX_CONTEXT_BYTES` each."""

    kind = "aead"
    #: PSA_AEAD_NONCE_LENGTH of each base algorithm (what generate_nonce makes).
    NONCE_SIZE = {A.GCM: 12, A.CCM: 13, A.CHACHA20_POLY1305: 12}

    def __init__(self, key: Key, alg: int, decrypt: bool) -> None:
        self.base, self.tag = ops.aead_params(key, alg)
        self.key, self.alg, self.decrypt = key.as_state(), alg, decrypt
        self.nonce: bytes | None = None
        self.lengths: list[int] | None = None
        self.ad, self.data, self.started = b"", b"", False
        self._obj: Any = None

    def _init_live(self) -> None:
        self._obj = None
        if self.nonce is None:
            return
        self._obj = ops.aead_stream(Key.from_state(self.key).data, self.base, self.nonce, self.decrypt)
        if self.base == A.GCM and self.ad:
            self._obj.authenticate_additional_data(self.ad)
        if self.data:
            self._obj.update(self.data)

    def set_nonce(self, nonce: bytes) -> None:
        if self.nonce is not None:
            raise fail(A.BAD_STATE, "the nonce is already set")
        ops.aead_check_nonce(self.base, nonce)
        self.nonce = bytes(nonce)
        self._init_live()

    def set_lengths(self, ad_length: int, plaintext_length: int) -> None:
        if self.lengths is not None or self.ad or self.started:
            raise fail(A.BAD_STATE, "lengths set twice or after input")
        self.lengths = [ad_length, plaintext_length]

    def _ready(self) -> None:
        if self.nonce is None:
            raise fail(A.BAD_STATE, "the nonce is not set")
        if self.base == A.CCM and self.lengths is None:
            raise fail(A.BAD_STATE, "CCM needs psa_aead_set_lengths before input")

    def update_ad(self, data: bytes) -> None:
        self._ready()
        if self.started:
            raise fail(A.BAD_STATE, "additional data after the first update")
        if self.lengths is not None and len(self.ad) + len(data) > self.lengths[0]:
            raise fail(A.INVALID_ARGUMENT, "more additional data than set_lengths declared")
        self._grow("ad", data)
        if self.base == A.GCM:
            self._obj.authenticate_additional_data(bytes(data))

    def update(self, data: bytes, out_size: int) -> bytes:
        self._ready()
        if self.lengths is not None and (len(self.ad) != self.lengths[0]
                                         or len(self.data) + len(data) > self.lengths[1]):
            raise fail(A.INVALID_ARGUMENT, "input does not match the lengths set_lengths declared")
        ops.need(out_size, len(data))
        self._grow("data", data)
        self.started = True
        return self._obj.update(bytes(data))

    def _complete(self, decrypt: bool) -> None:
        if self.decrypt != decrypt:
            raise fail(A.BAD_STATE, "AEAD operation set up for the other direction")
        self._ready()
        if self.lengths is not None and [len(self.ad), len(self.data)] != self.lengths:
            raise fail(A.INVALID_ARGUMENT, "less input than set_lengths declared")

    def finish(self, tag_size: int) -> tuple[bytes, bytes]:
        """(rest of the ciphertext, tag) of an encryption."""
        self._complete(False)
        ops.need(tag_size, self.tag)
        if self.base == A.GCM:
            rest = self._obj.finalize()
            return rest, self._obj.tag[:self.tag]
        sealed = ops.aead(Key.from_state(self.key), self.alg, self.nonce, self.data, self.ad, False)
        return b"", sealed[-self.tag:]

    def verify(self, tag: bytes) -> bytes:
        """Rest of the plaintext of a decryption whose tag is ``tag`` (INVALID_SIGNATURE if not)."""
        self._complete(True)
        if len(tag) != self.tag:
            raise fail(A.INVALID_SIGNATURE, f"tag of {len(tag)} bytes, the algorithm has {self.tag}")
        if self.base != A.GCM:
            ops.aead(Key.from_state(self.key), self.alg, self.nonce, self.data + bytes(tag), self.ad, True)
            return b""
        try:
            return self._obj.finalize_with_tag(bytes(tag))
        except InvalidTag:
            raise fail(A.INVALID_SIGNATURE, "AEAD authentication failed") from None


CONTEXT_KINDS = {c.kind: c for c in (HashCtx, MacCtx, CipherCtx, KdfCtx, AeadCtx)}


def clone(ctx: Context) -> Context:
    return type(ctx).from_state(ctx.state())
