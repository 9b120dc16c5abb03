"""The SE drives the board's flash controllers (GFC-100 eFlash0, Cadence QSPI + MT25QL) from
firmware (images/flash/se.c) through its SYS remap window; what it programs is what the Host
sees in its eFlash0 and QSPI flash, and a file given with --flash keeps it."""
from __future__ import annotations

from pathlib import Path

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine


def run_flash_se(flash_files: dict[str, str | Path] | None = None) -> tuple[Machine, list[str]]:
    lines: list[str] = []
    m = Machine(console=lambda core, line: lines.append(f"{core}: {line}"), flash_files=flash_files)
    m.load("se", image_path("flash_se"))
    m.set_released("se", True)
    result = m.run(max_instructions=2_000_000)
    assert result.reason == "exit", result.message
    assert result.exit_code == 0, "\n".join(lines)
    return m, lines


def test_se_firmware_drives_both_flash_controllers() -> None:
    m, lines = run_flash_se()
    assert "se: flash_se: 0 failures" in lines
    assert sum("ok" in line for line in lines) == 14
    host = m.cores["host"]
    assert host.read_word(0x1A040000) == 0x5E1F1A55                   # eFlash0 ITS area, Host view
    assert host.mem_read(0x10000000, 8) == b"psaemu-q"              # QSPI flash, direct access
    assert m.peripherals["se_qspi"].flash.ignored == 1                # the program without WREN
    assert m.peripherals["se_eflash0"].commands == 5


def test_flash_files_keep_what_the_se_programmed(tmp_path: Path) -> None:
    files = {"host.eflash0": tmp_path / "eflash0.bin", "host.qspi_flash": tmp_path / "qspi.bin"}
    m, _ = run_flash_se(files)
    m.flush()
    eflash0 = files["host.eflash0"].read_bytes()
    assert eflash0[0x40000:0x40004] == (0x5E1F1A55).to_bytes(4, "little")
    assert files["host.qspi_flash"].read_bytes()[:8] == b"psaemu-q"


def test_board_names_a_missing_flash_region(tmp_path: Path) -> None:
    import pytest

    from psaemu.platform.errors import ConfigError
    from psaemu.platform.system.board import load_board

    src = Path(image_path("flash_se")).parents[2] / "platform" / "system" / "boards" / "musca_b1.toml"
    bad = tmp_path / "bad.toml"
    bad.write_text(src.read_text().replace('flash = "host.eflash1"', 'flash = "host.eflash9"')
                   .replace('flash = "host.qspi_flash"', 'flash = "qspi"'))
    with pytest.raises(ConfigError) as err:
        load_board(bad)
    assert "flash: no flash region 'host.eflash9' (flash regions: host.qspi_flash, host.eflash0" in str(err.value)
    assert 'must name the flash region the controller drives as "CORE.REGION"' in str(err.value)
