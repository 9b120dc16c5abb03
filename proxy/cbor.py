"""A small CBOR (RFC 8949) decoder and a deterministic encoder, enough for attestation tokens.

Decoding covers major types 0-7 with definite lengths: integers, byte and text strings, arrays
(Python lists), maps (dicts), tags (:class:`Tag`), simple values (False/True/None,
:data:`UNDEFINED`, :class:`Simple`) and half/single/double floats. Indefinite lengths are rejected
with :class:`CBORDecodeError`. Encoding follows the core deterministic rules of RFC 8949 §4.2.1:
shortest heads, definite lengths, map keys sorted by their encoded bytes, floats in the shortest
form that keeps the value.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

__all__ = ["CBORError", "CBORDecodeError", "CBOREncodeError", "Tag", "Simple", "UNDEFINED",
           "loads", "decode_item", "dumps", "MAX_DEPTH"]

MAX_DEPTH = 64   # nesting limit of arrays, maps and tags when decoding

_MAJOR_NAMES = ("unsigned integer", "negative integer", "byte string", "text string",
                "array", "map", "tag", "simple/float")


class CBORError(ValueError):
    """Base of the CBOR errors."""


class CBORDecodeError(CBORError):
    """The input is not well-formed (or uses a feature this decoder rejects)."""

    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} (at byte {offset})")
        self.offset = offset


class CBOREncodeError(CBORError):
    """The value cannot be encoded."""


@dataclass(frozen=True)
class Tag:
    """A tagged item: tag ``number`` applied to ``value``."""

    number: int
    value: Any


@dataclass(frozen=True)
class Simple:
    """A simple value without a Python equivalent (0..19 or 32..255)."""

    value: int


class _Undefined:
    """The CBOR ``undefined`` simple value (0xF7)."""

    _instance = None

    def __new__(cls) -> "_Undefined":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


# --- decoding -----------------------------------------------------------------------------
class _Decoder:
    """Recursive-descent decoder over one buffer."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        """The next ``n`` bytes; error if the input ends first."""
        if n > len(self.data) - self.pos:
            raise CBORDecodeError(f"truncated input: {n} bytes needed, {len(self.data) - self.pos} left", self.pos)
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def head(self) -> tuple[int, int, int, int]:
        """(major, additional info, argument, offset of the head) of the next item."""
        start = self.pos
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, info, start
        if info <= 27:
            return major, info, int.from_bytes(self.take(1 << (info - 24)), "big"), start
        if info == 31:
            if major in (2, 3, 4, 5):
                raise CBORDecodeError(f"indefinite-length {_MAJOR_NAMES[major]} is not supported "
                                      "(only definite lengths are accepted)", start)
            if major == 7:
                raise CBORDecodeError("unexpected 'break' stop code (0xFF) outside an indefinite-length item",
                                      start)
        raise CBORDecodeError(f"malformed head 0x{initial:02x}: additional information {info} "
                              f"is not valid for a {_MAJOR_NAMES[major]}", start)

    def count(self, n: int, per_item: int, start: int) -> int:
        """Reject item counts that cannot fit in the rest of the input (before allocating)."""
        if n * per_item > len(self.data) - self.pos:
            raise CBORDecodeError(f"truncated input: {n} items announced, only {len(self.data) - self.pos} "
                                  "bytes left", start)
        return n

    def item(self, depth: int) -> Any:
        """Decode one data item."""
        if depth > MAX_DEPTH:
            raise CBORDecodeError(f"nesting deeper than {MAX_DEPTH}", self.pos)
        major, info, arg, start = self.head()
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major == 2:
            return bytes(self.take(arg))
        if major == 3:
            raw = self.take(arg)
            try:
                return bytes(raw).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CBORDecodeError(f"text string is not valid UTF-8: {exc.reason}", start) from None
        if major == 4:
            return [self.item(depth + 1) for _ in range(self.count(arg, 1, start))]
        if major == 5:
            result: dict[Any, Any] = {}
            for _ in range(self.count(arg, 2, start)):
                key_pos = self.pos
                key = self.item(depth + 1)
                try:
                    duplicate = key in result
                except TypeError:
                    raise CBORDecodeError(f"map key of type {type(key).__name__} cannot be a dict key",
                                          key_pos) from None
                if duplicate:
                    raise CBORDecodeError(f"duplicate map key {key!r}", key_pos)
                result[key] = self.item(depth + 1)
            return result
        if major == 6:
            return Tag(arg, self.item(depth + 1))
        return self.simple_or_float(info, arg, start)

    def simple_or_float(self, info: int, arg: int, start: int) -> Any:
        """Major type 7."""
        if info == 25:
            return struct.unpack(">e", arg.to_bytes(2, "big"))[0]
        if info == 26:
            return struct.unpack(">f", arg.to_bytes(4, "big"))[0]
        if info == 27:
            return struct.unpack(">d", arg.to_bytes(8, "big"))[0]
        if info == 24 and arg < 32:
            raise CBORDecodeError(f"simple value {arg} must use the one-byte form", start)
        if 20 <= arg <= 23:
            return (False, True, None, UNDEFINED)[arg - 20]
        return Simple(arg)


def decode_item(data: bytes, offset: int = 0) -> tuple[Any, int]:
    """Decode one item at ``offset``; returns (value, offset just past it)."""
    dec = _Decoder(bytes(data))
    if not 0 <= offset <= len(dec.data):
        raise CBORDecodeError("offset outside the input", offset)
    dec.pos = offset
    return dec.item(0), dec.pos


def loads(data: bytes) -> Any:
    """Decode exactly one CBOR item; trailing bytes are an error."""
    if not data:
        raise CBORDecodeError("empty input", 0)
    value, end = decode_item(data)
    if end != len(data):
        raise CBORDecodeError(f"{len(data) - end} trailing bytes after the item", end)
    return value


# --- encoding -----------------------------------------------------------------------------
def _head(major: int, arg: int) -> bytes:
    """The shortest head for ``major`` with argument ``arg``."""
    if arg < 24:
        return bytes([(major << 5) | arg])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * size):
            return bytes([(major << 5) | info]) + arg.to_bytes(size, "big")
    raise CBOREncodeError(f"argument {arg} does not fit in 64 bits")


def _float(value: float) -> bytes:
    """Shortest of half/single/double that round-trips the value (NaN as 0xF97E00)."""
    if math.isnan(value):
        return b"\xf9\x7e\x00"
    for info, fmt in ((25, ">e"), (26, ">f")):
        try:
            packed = struct.pack(fmt, value)
        except OverflowError:
            continue
        if struct.unpack(fmt, packed)[0] == value:
            return bytes([0xE0 | info]) + packed
    return b"\xfb" + struct.pack(">d", value)


def _encode(obj: Any, out: bytearray) -> None:
    """Append the encoding of ``obj``."""
    if obj is False or obj is True or obj is None:
        out.append({False: 0xF4, True: 0xF5, None: 0xF6}[obj])
    elif obj is UNDEFINED:
        out.append(0xF7)
    elif isinstance(obj, int):
        if obj >= 0:
            out += _head(0, obj)
        else:
            out += _head(1, -1 - obj)
    elif isinstance(obj, float):
        out += _float(obj)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        raw = bytes(obj)
        out += _head(2, len(raw)) + raw
    elif isinstance(obj, str):
        raw = obj.encode("utf-8")
        out += _head(3, len(raw)) + raw
    elif isinstance(obj, (list, tuple)):
        out += _head(4, len(obj))
        for item in obj:
            _encode(item, out)
    elif isinstance(obj, dict):
        pairs = sorted((dumps(k), dumps(v)) for k, v in obj.items())
        for (a, _), (b, _) in zip(pairs, pairs[1:]):
            if a == b:
                raise CBOREncodeError(f"two map keys encode to the same bytes {a.hex()}")
        out += _head(5, len(pairs))
        for k, v in pairs:
            out += k + v
    elif isinstance(obj, Tag):
        if not isinstance(obj.number, int) or obj.number < 0:
            raise CBOREncodeError(f"tag number must be a non-negative int, got {obj.number!r}")
        out += _head(6, obj.number)
        _encode(obj.value, out)
    elif isinstance(obj, Simple):
        if not (0 <= obj.value <= 19 or 32 <= obj.value <= 255):
            raise CBOREncodeError(f"simple value {obj.value} is reserved or out of range")
        out += _head(7, obj.value)
    else:
        raise CBOREncodeError(f"cannot encode a {type(obj).__name__} as CBOR")


def dumps(obj: Any) -> bytes:
    """Deterministic (canonical) CBOR encoding of ``obj``."""
    out = bytearray()
    _encode(obj, out)
    return bytes(out)
