"""Several image files for one core (``A,B``): combined by the loader, symbols from the ELFs,
overlaps refused. Inputs are cut with arm-none-eabi-objcopy from the bundled own_proxy_host
(its BL0 at 0x1A000000 and its Secure image at 0x1A260400) the way TF-M ships a boot loader ELF
beside a signed image; the oracle is the whole ELF."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from psaemu.platform.cli import main
from psaemu.platform.errors import ImageError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import read_image
from psaemu.platform.system.machine import Machine
from tests.platform.test_image_formats import HDR, mcuboot

OBJCOPY = shutil.which("arm-none-eabi-objcopy")
pytestmark = pytest.mark.skipif(OBJCOPY is None, reason="needs arm-none-eabi-objcopy")
OWN = image_path("own_proxy_host")
S_IMAGE = 0x1A260400                # .s_image of own_proxy_host
SLOT = S_IMAGE - HDR                # the Host's primary slot 0x1A260000


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("multi")
    out = {"bl0": d / "bl0.elf", "s": d / "s.bin", "signed": d / "s_signed.bin"}
    subprocess.run([OBJCOPY, "-R", ".s_image", OWN, out["bl0"]], check=True)
    subprocess.run([OBJCOPY, "-O", "binary", "-j", ".s_image", OWN, out["s"]], check=True)
    out["signed"].write_bytes(mcuboot(out["s"].read_bytes()))
    return out


def test_elf_plus_binary_is_the_whole_elf(files):
    m = Machine()
    image = m.load("host", f"{files['bl0']},{files['s']}@{S_IMAGE:#x}")
    whole = read_image(OWN, "v8m", "host")
    for seg in whole.segments:
        if seg.data:
            assert bytes(m.host.uc.mem_read(seg.paddr, len(seg.data))) == seg.data
    assert image.vector_table == whole.vector_table == 0x1A000000       # the ELF boots, not the binary
    assert image.symbols["Reset_Handler"] == whole.symbols["Reset_Handler"]
    assert image.source == f"{files['bl0'].resolve()},{files['s'].resolve()}@{S_IMAGE:#x}"
    again = Machine()                                                    # what a snapshot reloads
    assert again.load("host", image.source).segments == image.segments


@pytest.mark.parametrize("second", ["s", "signed"])
def test_boot_loader_elf_and_image_run_like_the_elf(files, second):
    addr = S_IMAGE if second == "s" else SLOT
    assert main(["run", "-q", "--proxy", "off", "--host", f"{files['bl0']},{files[second]}@{addr:#x}"]) == 0


def test_signed_image_is_reported_and_booted_through_the_elf(files):
    m = Machine()
    m.load("host", f"{files['bl0']},{files['signed']}@{SLOT:#x}")
    event = [dict(f) for _t, c, k, f in m.events.of_kind("load") if c == "host"][-1]
    assert event["format"] == "elf+mcuboot"
    assert "s_signed.bin: 0x1a260000 MCUboot image" in event["notes"]
    assert m.host.image.vector_table == 0x1A000000


def test_overlapping_files_are_refused_naming_both(files):
    with pytest.raises(ImageError, match=r"bl0\.elf and .*s\.bin both write core 'host' at 0x1a000100\.\.0x"):
        Machine().load("host", f"{files['bl0']},{files['s']}@0x1A000100")
    reg = image_path("regression_host")           # NS code at 0x0A260000, the alias of 0x1A260000
    with pytest.raises(ImageError, match=r"regression_host\.elf and .*s\.bin both write core 'host' at 0x1a260000"):
        Machine().load("host", f"{reg},{files['s']}@0x1A260000")


def test_bad_lists(files, tmp_path):
    with pytest.raises(ImageError, match="empty file name"):
        Machine().load("host", f"{files['bl0']},")
    with pytest.raises(ImageError, match="raw binary .* no load address"):
        Machine().load("host", f"{files['bl0']},{files['s']}")
    with pytest.raises(ImageError, match="an ELF carries its own load addresses"):
        Machine().load("host", f"{files['s']}@{S_IMAGE:#x},{files['bl0']}@0x0")
    assert main(["run", "-q", "--host", f"{files['bl0']},{tmp_path / 'missing.bin'}@0x0"]) != 0
