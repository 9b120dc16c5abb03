"""Hostile ELF files and fault vectors: every one ends in a named error or a fault report, never a
Python exception from inside the loader or Unicorn, and never a hang.

The ELFs are made by editing a prebuilt image's bytes at offsets this file finds itself from the
ELF32 headers (an oracle independent of LIEF and of psaemu's loader).
"""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from psaemu.platform.errors import ImageError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import cpu_arch_of, read_image
from psaemu.platform.system.machine import Machine


def _sections(raw: bytes) -> dict[str, tuple[int, int, int, int]]:
    """name -> (header offset, type, file offset, size) from the ELF32 section headers."""
    shoff, = struct.unpack_from("<I", raw, 32)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", raw, 46)
    heads = [struct.unpack_from("<IIIIII", raw, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = heads[shstrndx][4]
    out = {}
    for i, (name, stype, _flags, _addr, off, size) in enumerate(heads):
        end = raw.index(b"\0", strtab_off + name)
        out[raw[strtab_off + name:end].decode()] = (shoff + i * shentsize, stype, off, size)
    return out


def _write(tmp_path: Path, name: str, raw: bytes | bytearray) -> Path:
    p = tmp_path / name
    p.write_bytes(bytes(raw))
    return p


def _with_attributes(tmp_path: Path, content: bytes) -> Path:
    """pingpong_host.elf with its .ARM.attributes section holding ``content`` (same size or less)."""
    raw = bytearray(image_path("pingpong_host").read_bytes())
    head, _t, off, size = _sections(raw)[".ARM.attributes"]
    assert len(content) <= size
    raw[off:off + size] = content.ljust(size, b"\0")
    struct.pack_into("<I", raw, head + 20, len(content))          # sh_size
    return _write(tmp_path, "attrs.elf", raw)


def test_attributes_without_nul_after_the_vendor_name(tmp_path):
    content = b"A" + struct.pack("<I", 12) + b"aeabiXXX"          # no NUL ends the vendor name
    assert cpu_arch_of(content) is None
    img = read_image(_with_attributes(tmp_path, content), "v8m", "host")
    assert img.cpu_arch is None and img.vector_table == 0x1A260000


def test_attributes_with_zero_size_subsubsection_do_not_loop(tmp_path):
    content = b"A" + struct.pack("<I", 16) + b"aeabi\0" + b"\x01" + struct.pack("<I", 0)
    assert cpu_arch_of(content) is None                            # used to loop for ever
    m = Machine()
    assert m.load("host", _with_attributes(tmp_path, content)).cpu_arch is None


@pytest.mark.parametrize("content", [
    b"A" + struct.pack("<I", 0xFFFFFFF0) + b"aeabi\0\x01" + struct.pack("<I", 0xFFFFFFF0) + b"\x06",
    b"A" + struct.pack("<I", 30) + b"aeabi\0\x01" + struct.pack("<I", 20) + b"\x05abc",   # string with no NUL
    b"A" + struct.pack("<I", 30) + b"aeabi\0\x01" + struct.pack("<I", 20) + b"\x06" + b"\xff" * 12,  # endless ULEB
    b"A" + struct.pack("<I", 3),
    b"A\x00\x00\x00\x00",
])
def test_malformed_attributes_are_unreadable_not_errors(content):
    assert cpu_arch_of(content) is None


def test_attributes_parser_still_reads_a_real_tag():
    assert read_image(image_path("pingpong_se"), "v6m", "se").cpu_arch in (11, 12)
    assert read_image(image_path("pingpong_host"), "v8m", "host").cpu_arch == 17


def test_non_utf8_symbol_name(tmp_path):
    raw = bytearray(image_path("pingpong_host").read_bytes())
    _h, _t, off, size = _sections(raw)[".strtab"]
    at = raw.index(b"main\0", off, off + size)
    raw[at:at + 4] = b"m\xffi\xfe"
    img = read_image(_write(tmp_path, "sym.elf", raw), "v8m", "host")
    bad = [n for n in img.symbols if n.startswith("m\\x")]
    assert bad and isinstance(bad[0], str)                         # named, printable, not bytes
    m = Machine()
    m.load("host", tmp_path / "sym.elf")
    assert m.host.where(img.symbols[bad[0]] & ~1)


def test_elf_with_no_loadable_bytes_and_no_vector_table(tmp_path):
    raw = bytearray(image_path("pingpong_host").read_bytes())
    phoff, = struct.unpack_from("<I", raw, 28)
    phentsize, phnum = struct.unpack_from("<HH", raw, 42)
    for i in range(phnum):                                        # every PT_LOAD: p_filesz = 0
        struct.pack_into("<I", raw, phoff + i * phentsize + 16, 0)
    for name, (head, _t, _o, _s) in _sections(raw).items():       # no symbol or section names the vectors
        if name == ".symtab":
            struct.pack_into("<I", raw, head + 4, 8)              # SHT_NOBITS: no symbols to read
        elif name in (".vectors", ".isr_vector"):
            struct.pack_into("<I", raw, head + 8, 0)              # sh_flags: not allocated
    path = _write(tmp_path, "empty.elf", raw)
    with pytest.raises(ImageError, match=r"empty\.elf: .*no loadable bytes"):
        Machine().load("host", path)


def test_truncated_program_headers(tmp_path):
    raw = image_path("pingpong_host").read_bytes()
    phoff, = struct.unpack_from("<I", raw, 28)
    path = _write(tmp_path, "cut.elf", raw[:phoff + 8])
    with pytest.raises(ImageError, match=r"cut\.elf: truncated ELF"):
        read_image(path, "v8m", "host")


def _pingpong_with_bad_fault_vectors(handler: int) -> Machine:
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    vt = m.host.scs.vtor
    for exc in (3, 4, 5, 6):                                      # HardFault, MemManage, BusFault, UsageFault
        m.host.uc.mem_write(vt + 4 * exc, struct.pack("<I", handler))
    return m


@pytest.mark.parametrize("policy", ["report", "firmware"])
def test_fault_whose_handler_vector_is_unmapped(policy):
    m = _pingpong_with_bad_fault_vectors(0x0DEAD001)
    for c in m.cores.values():
        c.fault_policy = policy
    m.host.set_reg("pc", 0x0DEAD000 | 1)                          # fetch from unmapped memory
    r = m.run(max_instructions=1000)
    assert r.reason == "fault" and r.exit_code == 122
    assert "unmapped" in r.message
    if policy == "firmware":
        assert "0x0dead000" in r.error.report and "not mapped" in r.error.report


def test_vector_table_moved_to_unmapped_memory_is_a_fault_report():
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    for c in m.cores.values():
        c.fault_policy = "firmware"
    m.host.scs.regs["VTOR"] = 0x0DEAD000                          # every vector fetch fails
    m.host.nvic.set_pending(14)                                   # PendSV
    r = m.run(max_instructions=1000)
    assert r.reason == "fault" and r.exit_code == 122
    assert "vector" in r.message.lower()
