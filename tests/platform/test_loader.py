"""ELF loading: placement, vector table, and clear errors for wrong, truncated or misplaced images."""
from __future__ import annotations

import shutil
import struct

import pytest

from psaemu.platform.errors import ImageError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import read_image
from psaemu.platform.system.machine import Machine


def test_segments_symbols_and_vectors():
    img = read_image(image_path("pingpong_host"), "v8m", "host")
    assert img.vector_table == 0x1A260000
    assert img.address_of("main") == img.symbols["main"] & ~1
    assert img.symbolize(img.address_of("main") + 4) == "main+0x4"
    assert ".shared" in img.sections and not img.sections[".shared"].loaded
    assert img.cpu_arch == 17                                  # Armv8-M.mainline


def test_machine_sets_msp_and_pc_from_vector_table():
    m = Machine()
    img = m.load("host", image_path("pingpong_host"))
    msp, reset = struct.unpack("<II", m.host.uc.mem_read(0x1A260000, 8))
    assert m.host.reg("msp") == msp
    assert m.host.pc == reset & ~1 == img.address_of("Reset_Handler")
    assert m.host.scs.vtor == 0x1A260000


def test_data_is_loaded_at_its_load_address():
    m = Machine()
    img = m.load("host", image_path("crc_host"))
    lma = [s for s in img.segments if s.vaddr != s.paddr]
    assert lma, "crc_host has initialised data copied from flash"
    seg = lma[0]
    assert bytes(m.host.uc.mem_read(seg.paddr, len(seg.data))) == seg.data


def test_wrong_architecture_for_core():
    with pytest.raises(ImageError, match=r"pingpong_host\.elf: built for Armv8-M\.mainline, but the se core is Armv6-M"):
        Machine().load("se", image_path("pingpong_host"))


def test_non_arm_elf(tmp_path):
    bad = tmp_path / "x86.elf"
    data = bytearray(image_path("pingpong_host").read_bytes())
    data[18:20] = struct.pack("<H", 3)                          # e_machine = EM_386
    bad.write_bytes(data)
    with pytest.raises(ImageError, match=r"x86\.elf: built for .*not Arm"):
        Machine().load("host", bad)


def test_truncated_elf(tmp_path):
    cut = tmp_path / "cut.elf"
    cut.write_bytes(image_path("pingpong_host").read_bytes()[:0x200])
    with pytest.raises(ImageError, match=r"cut\.elf: (truncated ELF|LIEF cannot parse)"):
        Machine().load("host", cut)
    tiny = tmp_path / "tiny.elf"
    tiny.write_bytes(b"\x7fELF\x01\x01")
    with pytest.raises(ImageError, match="truncated ELF"):
        Machine().load("host", tiny)


def test_not_an_elf_and_missing(tmp_path):
    binf = tmp_path / "fw.bin"
    binf.write_bytes(b"\x00" * 64)
    with pytest.raises(ImageError, match=r"fw\.bin: raw binary .* no load address; give it as .*fw\.bin@ADDRESS"):
        Machine().load("host", binf)
    with pytest.raises(ImageError, match="image file not found"):
        Machine().load("host", tmp_path / "missing.elf")


def test_segment_outside_core_map_names_segment_and_map():
    with pytest.raises(ImageError) as info:
        Machine().load("host", image_path("pingpong_se"))
    msg = str(info.value)
    assert "segment at 0x38000000" in msg and "outside the memory of core 'host'" in msg
    assert "memory map of core 'host'" in msg and "0x1a400000" in msg


def test_two_images_may_not_share_bytes(tmp_path):
    other = tmp_path / "copy.elf"
    shutil.copy(image_path("pingpong_host"), other)
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    m.load("host", image_path("pingpong_host"))                # reloading the same image is fine
    with pytest.raises(ImageError, match=r"copy\.elf: segment at host:0x1a260000 overlaps the image"):
        m.load("host", other)


def test_unknown_core():
    with pytest.raises(ImageError, match="no core named 'dsp'"):
        Machine().load("dsp", image_path("pingpong_host"))
