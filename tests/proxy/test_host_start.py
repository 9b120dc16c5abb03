"""When the Host's NS image starts: at power-on beside psaemu's own SE, held by BL0 until the SE's
boot vector beside any other SE (proxy/bl0.py), and the regression image linked for the MCUboot slot."""
from __future__ import annotations

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.bl0 import host_start_mode
from psaemu.proxy.system import attach_proxy

#: What TF-M v1.3's SE sends (spm_hal.c tfm_spm_hal_boot_ns_cpu): slot 0x38060000 + 0x400 header, Host view.
TFM_HOST_BOOT_VECTOR = 0x1A260400
SLOT_IMAGE_VTOR = 0x0A260400          # regression_slot_host's vector table (NS alias of the same bytes)


def _machine(se: str) -> Machine:
    m = Machine()
    m.load("host", image_path("regression_slot_host"))
    m.load("se", image_path(se))
    return m


def test_slot_image_runs_the_regression_suite_with_psaemus_se():
    m = _machine("se_firmware")
    assert m.cores["host"].image.vector_table == SLOT_IMAGE_VTOR
    assert host_start_mode(m) == "power-on"
    attach_proxy(m)
    m.run(max_instructions=200_000_000)
    assert m.exit is not None and m.exit[1] == 0, m.console.text("host")[-2000:]
    assert "regression: " in m.console.text("host") and " 0 failures" in m.console.text("host")
    assert not m.events.of_kind("hold_reset", "host_start")


def test_host_waits_for_the_ses_boot_vector_and_starts_there():
    m = _machine("bootvec_se")
    assert host_start_mode(m) == "boot-vector"
    attach_proxy(m)
    m.run(max_instructions=3_000_000)
    host_start = m.events.of_kind("host_start")
    assert len(host_start) == 1
    ps, core, _, fields = host_start[0]
    assert dict(fields) == {"address": TFM_HOST_BOOT_VECTOR, "vtor": SLOT_IMAGE_VTOR}
    # the SE's first send happens after its busy delay; the Host ran nothing before it
    se_sends = [e for e in m.events.of_kind("mhu") if e[1] == "se" and dict(e[3]).get("reg") == "CH_SET0"]
    assert se_sends and se_sends[0][0] > 0 and ps >= se_sends[0][0]
    host_resets = [e for e in m.events.of_kind("reset") if e[1] == "host"]
    assert host_resets[-1][0] == ps and dict(host_resets[-1][3])["vtor"] == SLOT_IMAGE_VTOR
    assert m.cores["host"].scs.vtor == SLOT_IMAGE_VTOR
    assert "TEST client.framework_version PASS" in m.console.text("host")
    assert "se handshake done" in m.console.text("se")


def test_explicit_power_on_start_overrides_the_detection_and_bad_modes_are_refused():
    m = _machine("bootvec_se")
    assert host_start_mode(m, "power-on") == "power-on"
    attach_proxy(m, host_start="power-on")
    assert not m.events.of_kind("hold_reset")
    with pytest.raises(ConfigError, match="host start 'later'"):
        host_start_mode(m, "later")


def test_cli_host_start_option(capsys, tmp_path):
    from psaemu.platform.cli import main

    base = ["run", "--host", str(image_path("regression_slot_host")), "--se", str(image_path("bootvec_se")), "--proxy", "on",
            "--max-instructions", "2000000"]
    for mode, held in (("auto", True), ("power-on", False)):
        trace = tmp_path / f"{mode}.txt"
        main([*base, "--host-start", mode, "--trace-events", str(trace)])
        text = trace.read_text()
        assert ("host_start" in text) is held and ("hold_reset" in text) is held, mode
    capsys.readouterr()
