"""MCUboot image headers and TLV trailers: recognise, validate and place a signed image.

Layout facts from MCUboot v1.7.2 (the release TF-M v1.3 uses),
``boot/bootutil/include/bootutil/image.h``: ``IMAGE_MAGIC`` 0x96f3b83d (line 41), TLV info
magics 0x6907 / protected 0x6908 (lines 44-45), the 32-byte ``struct image_header`` (lines
122-131: magic, load_addr, hdr_size u16, protect_tlv_size u16, img_size, flags, version
major/minor u8, revision u16, build u32), ``IMAGE_F_ENCRYPTED`` 0x04 and ``IMAGE_F_RAM_LOAD``
0x20 (lines 54, 60), ``struct image_tlv_info`` / ``struct image_tlv`` (lines 134-143, u16 type
and length) and ``IMAGE_TLV_SHA256`` 0x10 (line 79). The SHA-256 covers header, body and the
protected TLV area (``boot/bootutil/src/image_validate.c`` lines 107-113); a RAM_LOAD image is
copied whole to ``ih_load_addr`` (``boot/bootutil/src/loader.c`` line 2208), so in both cases the
vector table is at the image's start + ``ih_hdr_size``.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from psaemu.platform.errors import ImageError

MAGIC = 0x96F3B83D
MAGIC_BYTES = struct.pack("<I", MAGIC)
HEADER_SIZE = 32
TLV_INFO_MAGIC = 0x6907
TLV_PROT_INFO_MAGIC = 0x6908
TLV_SHA256 = 0x10
F_ENCRYPTED = 0x04
F_RAM_LOAD = 0x20


@dataclass(frozen=True)
class McubootImage:
    """One MCUboot image found at ``offset`` of a byte string (header + body + TLV area)."""

    offset: int
    load_addr: int
    hdr_size: int
    protect_tlv_size: int
    img_size: int
    flags: int
    version: str
    tlv_size: int                  # protected + unprotected TLV areas, with their info headers
    sha256_ok: bool | None         # None: the trailer has no SHA-256 TLV

    @property
    def size(self) -> int:
        """Bytes from the header's first byte to the end of the TLV trailer."""
        return self.hdr_size + self.img_size + self.tlv_size

    @property
    def ram_load(self) -> bool:
        return bool(self.flags & F_RAM_LOAD)

    def describe(self) -> str:
        how = f"RAM_LOAD to {self.load_addr:#010x}" if self.ram_load else "execute in place"
        sha = {True: "SHA-256 ok", False: "SHA-256 MISMATCH", None: "no SHA-256 TLV"}[self.sha256_ok]
        return f"MCUboot image v{self.version}, header {self.hdr_size:#x}, body {self.img_size:#x}, {how}, {sha}"


def has_header(data: bytes, offset: int = 0) -> bool:
    """True when ``data`` holds the MCUboot header magic at ``offset``."""
    return data[offset:offset + 4] == MAGIC_BYTES


def parse(data: bytes, where: str, offset: int = 0) -> McubootImage:
    """Validate the MCUboot image at ``offset`` of ``data``; ImageError naming ``where`` and the field."""
    if len(data) - offset < HEADER_SIZE:
        raise ImageError(f"{where}: MCUboot header truncated ({len(data) - offset} bytes, the header is "
                         f"{HEADER_SIZE}); is the file complete?")
    (magic, load_addr, hdr_size, prot_size, img_size, flags, major, minor, revision,
     build) = struct.unpack_from("<IIHHIIBBHI", data, offset)
    if magic != MAGIC:
        raise ImageError(f"{where}: no MCUboot header (magic {magic:#010x}, expected {MAGIC:#010x})")
    if hdr_size < HEADER_SIZE:
        raise ImageError(f"{where}: MCUboot ih_hdr_size {hdr_size:#x} is smaller than the {HEADER_SIZE}-byte header")
    if flags & F_ENCRYPTED:
        raise ImageError(f"{where}: MCUboot image is encrypted (ih_flags {flags:#x}); psaemu runs plain images: "
                         f"give the image before encryption (imgtool sign without --encrypt)")
    body_end = offset + hdr_size + img_size
    if body_end > len(data):
        raise ImageError(f"{where}: MCUboot ih_hdr_size {hdr_size:#x} + ih_img_size {img_size:#x} runs past the end "
                         f"of the data ({len(data) - offset:#x} bytes from the header); the file is truncated")
    tlv = body_end
    if prot_size:
        info_magic, total = _tlv_info(data, tlv, where, "protected TLV")
        if info_magic != TLV_PROT_INFO_MAGIC or total != prot_size:
            raise ImageError(f"{where}: MCUboot protected TLV area at +{tlv - offset:#x}: info {info_magic:#06x}/"
                             f"{total:#x}, expected magic {TLV_PROT_INFO_MAGIC:#06x} and ih_protect_tlv_size "
                             f"{prot_size:#x}")
        tlv += prot_size
    info_magic, total = _tlv_info(data, tlv, where, "TLV trailer")
    if info_magic != TLV_INFO_MAGIC:
        raise ImageError(f"{where}: no MCUboot TLV trailer after header+image at +{tlv - offset:#x} (magic "
                         f"{info_magic:#06x}, expected {TLV_INFO_MAGIC:#06x}); ih_img_size {img_size:#x} is wrong "
                         f"or the image was not signed")
    if tlv + total > len(data) or total < 4:
        raise ImageError(f"{where}: MCUboot TLV trailer at +{tlv - offset:#x} claims {total:#x} bytes, the data "
                         f"has {len(data) - tlv:#x}; the file is truncated")
    hashed = data[offset:body_end + prot_size]
    sha_ok = None
    for kind, value in _tlvs(data, body_end, tlv + total):
        if kind == TLV_SHA256:
            sha_ok = hashlib.sha256(hashed).digest() == value
    return McubootImage(offset, load_addr, hdr_size, prot_size, img_size, flags,
                        f"{major}.{minor}.{revision}+{build}", tlv + total - body_end, sha_ok)


def find_all(data: bytes, where: str) -> list[McubootImage]:
    """Every complete MCUboot image in ``data`` at a 4-byte aligned offset, in order.

    A magic word that does not begin a valid image (sizes, TLV magics) is ordinary data.
    """
    found: list[McubootImage] = []
    pos = data.find(MAGIC_BYTES)
    while pos >= 0:
        image = None
        if pos % 4 == 0:
            try:
                image = parse(data, f"{where} +{pos:#x}", pos)
            except ImageError:
                image = None
        if image is not None:
            found.append(image)
            pos = data.find(MAGIC_BYTES, pos + image.size)
        else:
            pos = data.find(MAGIC_BYTES, pos + 1)
    return found


def _tlv_info(data: bytes, at: int, where: str, what: str) -> tuple[int, int]:
    if at + 4 > len(data):
        raise ImageError(f"{where}: MCUboot {what} missing: the data ends at +{len(data):#x}, before the trailer; "
                         f"the file is truncated or ih_img_size is wrong")
    return struct.unpack_from("<HH", data, at)


def _tlvs(data: bytes, start: int, end: int) -> list[tuple[int, bytes]]:
    """(type, value) of every TLV entry in the areas from ``start`` (an info header) to ``end``."""
    out = []
    pos = start
    while pos + 4 <= end:
        _magic, total = struct.unpack_from("<HH", data, pos)
        area_end = min(pos + max(total, 4), end)
        pos += 4
        while pos + 4 <= area_end:
            kind, length = struct.unpack_from("<HH", data, pos)
            out.append((kind, data[pos + 4:pos + 4 + length]))
            pos += 4 + length
        pos = area_end
    return out
