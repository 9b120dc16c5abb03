"""The container shared by psaemu's binary trace files (block traces, register traces).

Layout (little-endian)::

    header   char[8] magic | u16 version | u16 header bytes (44) | char[16] core | char[16] isa
    sections each: char[4] tag | u32 payload bytes | payload

The magic names the kind of trace; a reader skips header bytes it does not know.
"""
from __future__ import annotations

import struct
import sys
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator

from psaemu.platform.errors import PsaEmuError

HEADER = struct.Struct("<8sHH16s16s")
SECTION = struct.Struct("<4sI")


def open_trace(path: str | Path, magic: bytes, version: int, core: str, isa: str, what: str) -> IO[bytes]:
    """Create trace file ``path`` and write its header (``what`` names the trace in errors)."""
    try:
        out: IO[bytes] = open(path, "wb")
    except OSError as exc:
        raise PsaEmuError(f"{path}: cannot write the {what}: {exc.strerror}") from None
    out.write(HEADER.pack(magic, version, HEADER.size, core.encode()[:16], isa.encode()[:16]))
    return out


def write_section(out: IO[bytes], tag: bytes, payload: bytes | array) -> None:
    """Append one section; an ``array`` of words is written little-endian."""
    if isinstance(payload, array):
        if sys.byteorder != "little":
            payload = array(payload.typecode, payload)
            payload.byteswap()
        payload = payload.tobytes()
    out.write(SECTION.pack(tag, len(payload)) + payload)


def words(payload: bytes) -> array:
    """A section payload of little-endian u32 words as an ``array('I')``."""
    out = array("I", payload)
    if sys.byteorder != "little":
        out.byteswap()
    return out


@dataclass
class TraceFile:
    """A trace file read: header fields and its sections (tag, payload, file offset) in order."""
    path: str
    version: int
    core: str
    isa: str
    sections: list[tuple[bytes, bytes, int]] = field(default_factory=list)


def read_trace_file(path: str | Path, magic: bytes, version: int, what: str, how: str) -> TraceFile:
    """Read and check the header and section framing of a ``magic`` trace file.

    ``what`` names the kind in errors ("block trace"); ``how`` says how to record one."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PsaEmuError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    if len(data) < HEADER.size or data[:8] != magic:
        raise PsaEmuError(f"{path}: not a psaemu {what} (no {magic.decode()} header); record one with {how}")
    _magic, got, hlen, core, isa = HEADER.unpack_from(data)
    if got != version:
        raise PsaEmuError(f"{path}: {what} version {got}; this psaemu reads version {version}")
    trace = TraceFile(str(path), got, core.rstrip(b"\0").decode(errors="replace"),
                      isa.rstrip(b"\0").decode(errors="replace"))
    pos = max(hlen, HEADER.size)
    while pos < len(data):
        if pos + SECTION.size > len(data):
            raise PsaEmuError(f"{path}: truncated section header at byte {pos}")
        tag, size = SECTION.unpack_from(data, pos)
        pos += SECTION.size
        payload = data[pos:pos + size]
        if len(payload) != size:
            raise PsaEmuError(f"{path}: section {tag!r} at byte {pos - 8} is truncated")
        trace.sections.append((tag, payload, pos - SECTION.size))
        pos += size
    return trace


def sections(trace: TraceFile, tag: bytes) -> Iterator[tuple[bytes, int]]:
    """(payload, file offset) of each ``tag`` section, in file order."""
    for t, payload, at in trace.sections:
        if t == tag:
            yield payload, at
