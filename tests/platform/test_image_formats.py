"""Image formats: Intel HEX, raw binaries at an address, MCUboot images, unified multi-core files,
symbols from an ELF. Inputs are made with arm-none-eabi-objcopy from the prebuilt ELFs and with
MCUboot headers built from MCUboot v1.7.2's documented layout; the oracle is the ELF itself."""
from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from intelhex import IntelHex

from psaemu.platform.cli import main
from psaemu.platform.errors import ImageError
from psaemu.platform.firmware.imagefile import detect_format, parse_spec
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import read_image
from psaemu.platform.system.machine import Machine

OBJCOPY = shutil.which("arm-none-eabi-objcopy")
pytestmark = pytest.mark.skipif(OBJCOPY is None, reason="needs arm-none-eabi-objcopy")
REG = image_path("regression_host")
SE = image_path("se_firmware")
#: regression_host's NS code (.vectors/.text/.rodata at 0x0A260000) moved to its Secure alias so
#: that it and the partition code at 0x1A280000 form one binary from 0x1A260000.
REG_BIN_BASE = 0x1A260000
HDR = 0x400                       # TF-M's BL2_HEADER_SIZE


def objcopy(*args: str | Path) -> None:
    subprocess.run([OBJCOPY, *map(str, args)], check=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("formats")
    out = {"hex": d / "reg.hex", "bin": d / "reg.bin", "se_bin": d / "se.bin"}
    objcopy("-O", "ihex", REG, out["hex"])
    ns = [a for s in (".vectors", ".text", ".rodata") for a in ("--change-section-lma", f"{s}+0x10000000")]
    objcopy("-O", "binary", "-j", ".vectors", "-j", ".text", "-j", ".rodata", "-j", ".tfm_sp.268", *ns, REG, out["bin"])
    objcopy("-O", "binary", "-j", ".vectors", "-j", ".text", "-j", ".rodata", "-j", ".se_platform_config", SE,
            out["se_bin"])
    return out


def mcuboot(body: bytes, *, load_addr: int = 0, flags: int = 0, hdr_size: int = HDR, sha: bytes | None = None,
            protected: bytes = b"", tlv_magic: int = 0x6907) -> bytes:
    """An MCUboot image: 32-byte header (image.h struct image_header), body, TLV trailer with SHA-256."""
    prot = struct.pack("<HH", 0x6908, 4 + len(protected)) + protected if protected else b""
    header = struct.pack("<IIHHIIBBHII", 0x96F3B83D, load_addr, hdr_size, len(prot), len(body), flags,
                         1, 2, 3, 4, 0).ljust(hdr_size, b"\0")
    digest = sha if sha is not None else hashlib.sha256(header + body + prot).digest()
    tlvs = struct.pack("<HH", 0x10, 32) + digest
    return header + body + prot + struct.pack("<HH", tlv_magic, 4 + len(tlvs)) + tlvs


def write_hex(path: Path, pieces: list[tuple[int, bytes]]) -> Path:
    ih = IntelHex()
    for addr, data in pieces:
        ih.puts(addr, data)
    ih.write_hex_file(str(path))
    return path


def run(*args: str | Path, symbols: Path | None = REG) -> int:
    """``psaemu run`` in-process; the Host's symbols from ``symbols`` (its secure partition sections
    are what make the partition code Secure-callable for the regression image)."""
    extra = ["--symbols", f"host={symbols}"] if symbols is not None else []
    return main(["run", "-q", *map(str, args), *extra])


def read(m: Machine, core: str, addr: int, size: int) -> bytes:
    return bytes(m.cores[core].uc.mem_read(addr, size))


def load_event(m: Machine, core: str) -> dict:
    return [dict(f) for _t, c, _k, f in m.events.of_kind("load") if c == core][-1]


# -- Intel HEX and raw binaries ------------------------------------------------------------------
def test_hex_loads_the_elf_bytes_and_runs_like_the_elf(files):
    m = Machine()
    image = m.load("host", files["hex"])
    elf = read_image(REG, "v8m", "host")
    for seg in elf.segments:
        if seg.data:
            assert read(m, "host", seg.paddr, len(seg.data)) == seg.data
    assert image.vector_table == elf.vector_table == 0x0A260000
    assert load_event(m, "host")["format"] == "ihex"
    assert run("--host", REG, symbols=None) == 0
    assert run("--host", files["hex"]) == 0


def test_bin_at_address_runs_like_the_elf(files):
    assert run("--host", f"{files['bin']}@0x1A260000") == 0
    m = Machine()
    m.load("host", f"{files['bin']}@{REG_BIN_BASE}")            # decimal works too
    assert read(m, "host", 0x1A280000, 0x10) == read_image(REG, "v8m", "host").segments[1].data[:0x10]
    assert m.host.image.vector_table == REG_BIN_BASE


def test_symbols_come_from_the_elf_bytes_from_the_binary(files):
    m = Machine()
    image = m.load("host", f"{files['bin']}@0x1A260000", symbols=REG)
    assert image.vector_table == 0x0A260000 and "__Vectors" in image.symbols
    assert image.segments[0].paddr == REG_BIN_BASE
    assert "symbols from" in load_event(m, "host")["notes"]
    with pytest.raises(ImageError, match=r"pingpong_host\.elf: symbols ELF does not match .*reg\.hex"):
        Machine().load("host", files["hex"], symbols=image_path("pingpong_host"))


def test_elf_beside_the_hex_gives_symbols_when_it_matches(files, tmp_path):
    hexf = tmp_path / "fw.hex"
    hexf.write_bytes(files["hex"].read_bytes())
    (tmp_path / "fw.elf").write_bytes(REG.read_bytes())
    assert "__Vectors" in Machine().load("host", hexf).symbols
    (tmp_path / "fw.elf").write_bytes(image_path("pingpong_host").read_bytes())
    m = Machine()
    assert m.load("host", hexf).symbols == {}
    assert "differs" in load_event(m, "host")["notes"]


def test_format_comes_from_the_content(files, tmp_path):
    disguised = tmp_path / "really_hex.bin"
    disguised.write_bytes(files["hex"].read_bytes())
    assert detect_format(disguised.read_bytes()) == "ihex"
    assert Machine().load("host", disguised).vector_table == 0x0A260000
    assert detect_format(REG.read_bytes()) == "elf"
    assert detect_format(mcuboot(b"\0" * 8)) == "mcuboot"


def test_spec_addresses_and_bundled_names(files):
    assert parse_spec(f"{files['bin']}@0x1A260000").address == 0x1A260000
    assert parse_spec(f"{files['bin']}@4096").address == 4096
    assert parse_spec(f"{files['bin']}@128K").address == 128 * 1024
    assert parse_spec("regression_host").path == REG and parse_spec("regression_host").address is None


def test_bad_hex_and_bin_files(files, tmp_path):
    lines = files["hex"].read_text().splitlines()
    bad_sum = tmp_path / "sum.hex"
    bad_sum.write_text("\n".join(lines[:2] + [lines[2][:-2] + "00"] + lines[3:]) + "\n")
    with pytest.raises(ImageError, match=r"sum\.hex: bad Intel HEX: .*line 3.*checksum"):
        Machine().load("host", bad_sum)
    bad_rec = tmp_path / "rec.hex"
    bad_rec.write_text(lines[0] + "\n:10zz\n")
    with pytest.raises(ImageError, match=r"rec\.hex: bad Intel HEX: .*line 2"):
        Machine().load("host", bad_rec)
    empty = tmp_path / "empty.hex"
    empty.write_text(":00000001FF\n")
    with pytest.raises(ImageError, match=r"empty\.hex: Intel HEX file has no data records"):
        Machine().load("host", empty)
    with pytest.raises(ImageError, match=r"gone\.hex: image file not found"):
        Machine().load("host", tmp_path / "gone.hex")
    with pytest.raises(ImageError, match=r"carries its own addresses; drop '@0x1a260000'"):
        Machine().load("host", f"{files['hex']}@0x1A260000")
    with pytest.raises(ImageError, match=r"an ELF carries its own load addresses"):
        Machine().load("host", f"{REG}@0x1A260000")
    with pytest.raises(ImageError, match=r"reg\.bin: raw binary .*give it as .*reg\.bin@ADDRESS"):
        Machine().load("host", files["bin"])
    with pytest.raises(ImageError, match=r"'zz' after '@' is not an address"):
        Machine().load("host", f"{files['bin']}@zz")
    with pytest.raises(ImageError, match=r"segment at 0x60000000\.\..* is outside the memory of core 'host'"):
        Machine().load("host", f"{files['bin']}@0x60000000")
    (tmp_path / "zero.bin").write_bytes(b"")
    with pytest.raises(ImageError, match=r"zero\.bin: the file is empty"):
        Machine().load("host", f"{tmp_path / 'zero.bin'}@0x1A260000")


# -- MCUboot images -----------------------------------------------------------------------------
def test_mcuboot_image_executes_in_place_at_its_slot(files, tmp_path):
    signed = tmp_path / "reg_signed.bin"
    signed.write_bytes(mcuboot(files["bin"].read_bytes()))
    slot = REG_BIN_BASE - HDR                   # the body (linked at 0x1A260000) follows the header
    assert run("--host", f"{signed}@{slot:#x}") == 0
    m = Machine()
    image = m.load("host", f"{signed}@{slot:#x}")
    assert image.vector_table == REG_BIN_BASE
    assert read(m, "host", slot, 4) == b"\x3d\xb8\xf3\x96"
    notes = load_event(m, "host")["notes"]
    assert "MCUboot image v1.2.3+4" in notes and "SHA-256 ok" in notes


def test_mcuboot_without_address_goes_to_the_primary_slot(files, tmp_path):
    signed = tmp_path / "app_signed.bin"
    body = files["bin"].read_bytes()
    signed.write_bytes(mcuboot(body))
    m = Machine()
    assert m.load("host", signed).vector_table == 0x1A260000 + HDR     # musca_b1 host slot tfm_s_ns
    assert read(m, "host", 0x1A260000 + HDR, 64) == body[:64]


def test_mcuboot_ram_load_goes_to_its_load_address(files, tmp_path):
    signed = tmp_path / "ram.bin"
    signed.write_bytes(mcuboot(files["bin"].read_bytes(), flags=0x20, load_addr=REG_BIN_BASE - HDR))
    assert run("--host", signed) == 0
    m = Machine()
    assert m.load("host", signed).vector_table == REG_BIN_BASE
    assert "RAM_LOAD to 0x1a25fc00" in load_event(m, "host")["notes"]


def test_mcuboot_sha_mismatch_is_a_warning(files, tmp_path):
    signed = tmp_path / "badsha.bin"
    signed.write_bytes(mcuboot(files["bin"].read_bytes(), sha=b"\0" * 32))
    m = Machine()
    m.load("host", f"{signed}@{REG_BIN_BASE - HDR:#x}")
    assert "warning: SHA-256 TLV does not match" in load_event(m, "host")["notes"]


def test_mcuboot_protected_tlvs(files, tmp_path):
    signed = tmp_path / "prot.bin"
    signed.write_bytes(mcuboot(files["bin"].read_bytes(), protected=struct.pack("<HH", 0x50, 4) + b"\1\0\0\0"))
    m = Machine()
    m.load("host", f"{signed}@{REG_BIN_BASE - HDR:#x}")
    assert "SHA-256 ok" in load_event(m, "host")["notes"]


@pytest.mark.parametrize("image, message", [
    (lambda b: mcuboot(b)[:20], r"MCUboot header truncated"),
    (lambda b: mcuboot(b, hdr_size=16), r"ih_hdr_size 0x10 is smaller than the 32-byte header"),
    (lambda b: mcuboot(b)[:HDR + 100], r"ih_img_size 0x[0-9a-f]+ runs past the end"),
    (lambda b: mcuboot(b, tlv_magic=0x1234), r"no MCUboot TLV trailer after header\+image .*0x1234"),
    (lambda b: mcuboot(b)[:-8], r"TLV trailer .* claims 0x28 bytes"),
    (lambda b: mcuboot(b, flags=0x04), r"MCUboot image is encrypted"),
    (lambda b: (lambda i: i[:10] + b"\x08\0" + i[12:])(mcuboot(b)), r"protected TLV area .* expected magic 0x6908"),
])
def test_bad_mcuboot_images(files, tmp_path, image, message):
    f = tmp_path / "bad_signed.bin"
    f.write_bytes(image(files["bin"].read_bytes()))
    with pytest.raises(ImageError, match=r"bad_signed\.bin: .*" + message):
        Machine().load("host", f"{f}@0x1A25FC00")


# -- unified files ------------------------------------------------------------------------------
def unified(tmp_path: Path, files: dict[str, Path], se_part: bytes) -> Path:
    """TF-M's musca_b1.hex layout: BL0 @0x1A000000, SE part @0x1A200000, Host image @0x1A260000."""
    bl0 = b"BL0 stand-in, loaded, never run".ljust(64, b"\xff")
    return write_hex(tmp_path / "musca_b1.hex", [(0x1A000000, bl0), (0x1A200000, se_part),
                                                  (REG_BIN_BASE, files["bin"].read_bytes())])


def test_unified_hex_is_split_between_the_cores_and_runs(files, tmp_path):
    hexf = unified(tmp_path, files, files["se_bin"].read_bytes())
    m = Machine()
    host = m.load("host", hexf)
    assert host.vector_table == REG_BIN_BASE                 # the part in the Host's primary slot
    assert m.se.image is not None and m.se.image.vector_table == 0x38000000     # SE view of 0x1A200000
    assert [s.paddr for s in m.se.image.segments] == [0x38000000]
    assert [s.paddr for s in host.segments] == [0x1A000000, REG_BIN_BASE]
    assert read(m, "se", 0x38000000, 0x100) == files["se_bin"].read_bytes()[:0x100]
    assert m.load("se", hexf) is m.se.image                  # naming it for the SE too is the same load
    assert run("--host", hexf) == 0                           # no default SE image on top of the SE part
    assert run("--host", hexf, "--se", hexf) == 0


def test_unified_hex_boots_the_se_mcuboot_image_at_its_se_address(files, tmp_path):
    hexf = unified(tmp_path, files, mcuboot(files["se_bin"].read_bytes()))
    m = Machine()
    m.load("host", hexf)
    assert m.se.image.vector_table == 0x38000000 + HDR
    assert "MCUboot image" in load_event(m, "se")["notes"]


def test_a_part_only_another_core_runs_is_refused(files, tmp_path):
    only_se = write_hex(tmp_path / "se_only.hex", [(0x1A200000, files["se_bin"].read_bytes())])
    with pytest.raises(ImageError, match=r"nothing in it is for core 'host': .*core 'se' \(0x38000000\)"):
        Machine().load("host", only_se)
    m = Machine()
    m.load("se", SE)
    with pytest.raises(ImageError, match=r"holds a part for core 'se' .*already has .*se_firmware\.elf"):
        m.load("host", unified(tmp_path, files, files["se_bin"].read_bytes()))


def test_a_snapshot_of_a_binary_image_rebuilds_its_machine(files, tmp_path):
    m = Machine()
    m.load("host", f"{files['bin']}@0x1A260000")
    m.load("se", SE)
    m.run(max_instructions=200_000)
    path = tmp_path / "bin.snap"
    m.snapshot().save(path)
    again = Machine.from_snapshot(path)
    assert again.host.image.source == f"{files['bin'].resolve()}@0x1a260000"
    assert again.host.image.vector_table == 0x1A260000
    assert again.host.pc == m.host.pc and again.host.registers() == m.host.registers()
