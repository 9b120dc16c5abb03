"""Host firmware (images/sse200/host.c) programs the SSE-200 control blocks of the Musca-B1 board
the way TF-M's sse_200 secure boot does and reads them back; the models hold what it wrote."""
from __future__ import annotations

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine


def test_host_firmware_programs_sse200_blocks() -> None:
    lines: list[str] = []
    m = Machine(console=lambda core, line: lines.append(line))
    m.load("host", image_path("sse200_host"))
    result = m.run(max_instructions=2_000_000)
    assert result.reason == "exit", result.message
    assert result.exit_code == 0, "\n".join(lines)
    assert lines[:3] == ["PASS control", "PASS sau", "PASS mpc"]
    assert m.peripherals["mpc_eflash1"].ns_blocks() == [(0x90000, 0x50000)]     # TF-M's NS partition
    assert m.peripherals["mpc_sram2"].ns_blocks() == [(0, 0x20000)]
    assert m.cores["host"].scs.sau_regions()[2] == (0x1A28F4A0, 0x1A28F7FF, True)
    for name in ("host_cpu_identity", "host_sysctrl", "host_spctrl", "host_nspctrl", "mpc_eflash1", "mpc_sram2"):
        assert m.peripherals[name].bus_errors == [], name
