"""Who plays the Host's secure side: the decision from the Host image, the line that says it,
the image choice of ``psaemu run`` and the BL0 that releases the SE."""
from __future__ import annotations

import argparse
import dataclasses

import pytest

from psaemu.platform.cli import build_parser, choose_images
from psaemu.platform.cpu.core import CoreState
from psaemu.platform.errors import ConfigError, PsaEmuError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import Image, Section, Segment, read_image
from psaemu.platform.system.board import load_board
from psaemu.platform.system.builder import decide_proxy
from psaemu.platform.system.machine import Machine
from psaemu.proxy.bl0 import BL0_SCC_WRITES
from psaemu.proxy.hostkind import OWN_PROXY_MARKERS, VENEER_SYMBOLS, classify_host, client_svcs
from psaemu.proxy.system import attach_proxy


def host_image(name: str):
    return read_image(image_path(name), "v8m", "host")


def test_svc_client_is_found_by_its_svc_instructions_and_named_by_symbol():
    kind = classify_host(host_image("regression_host"))
    assert (kind.kind, kind.python_secure) == ("svc", True)
    assert "svc #10, #11, #12, #13, #14" in kind.detected and "psa_framework_version" in kind.detected
    line = kind.describe()
    assert line.startswith("host: PSA client issuing the client SVCs itself")
    assert "Python Host secure side" in line and "override with --proxy off" in line


def test_svc_scan_reports_each_stub_at_its_symbol():
    image = host_image("regression_host")
    found = dict(client_svcs(image))
    for name, number in (("psa_framework_version", 10), ("psa_version", 11), ("psa_connect", 12),
                         ("psa_call_param_pack", 13), ("psa_close", 14)):
        assert found.get(image.address_of(name)) == number, name


def test_only_executable_sections_are_scanned():
    data = b"\x00\xbf" * 4 + b"\x0d\xdf" + b"\x70\x47"        # nop x4; svc #13; bx lr
    segment = Segment(0x0A260000, 0x0A260000, data, len(data))

    def image(flags: int | None) -> Image:
        sections = {} if flags is None else {".x": Section(".x", 0x0A260000, len(data), True, flags)}
        return Image("t.elf", 0x0A260001, [segment], sections, {}, {}, 17)

    assert client_svcs(image(0x2)) == []                          # ALLOC only: data, not code
    assert client_svcs(image(0x6)) == [(0x0A260008, 13)]          # ALLOC | EXECINSTR
    assert client_svcs(image(None)) == [(0x0A260008, 13)]         # no section table (HEX, BIN): every byte
    odd = Segment(0x0A260000, 0x0A260000, b"\x00" + data, len(data) + 1)
    assert client_svcs(Image("t.elf", 1, [odd], {}, {}, {}, 17)) == []   # not on an instruction boundary
    assert classify_host(image(0x2)).kind == "bare"


def test_reservation_alone_still_means_a_psa_client():
    kind = classify_host(host_image("idle_host"))        # parks in WFI, never calls, carries the reservation
    assert (kind.kind, kind.python_secure) == ("reservation", True)
    assert ".PSA_PROXY_SHARED_MEMORY" in kind.detected


def test_own_proxy_markers_win_over_svcs_and_reservation():
    image = host_image("regression_host")
    own = dataclasses.replace(image, symbols={**image.symbols, OWN_PROXY_MARKERS[0]: 0x1A260401})
    kind = classify_host(own)
    assert (kind.kind, kind.python_secure) == ("own-proxy", False)
    assert OWN_PROXY_MARKERS[0] in kind.detected
    assert "proxy model off" in kind.describe() and "override with --proxy on" in kind.describe()


def test_veneer_symbols_mean_a_tf_m_ns_application():
    image = host_image("pingpong_host")
    app = dataclasses.replace(image, symbols={**image.symbols, VENEER_SYMBOLS[3]: 0x1A28FC11})
    kind = classify_host(app)
    assert (kind.kind, kind.python_secure) == ("veneers", True)
    assert kind.describe().startswith("host: TF-M NS application (veneers) (calls tfm_psa_call_veneer)")


def test_bare_metal_image_keeps_the_proxy_off():
    kind = classify_host(host_image("pingpong_host"))
    assert (kind.kind, kind.python_secure) == ("bare", False)


def run_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["run", *argv])


def test_forced_decisions_say_what_was_detected_and_that_they_were_forced():
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    assert decide_proxy(m, "auto")[0] is False
    on, line = decide_proxy(m, "on")
    assert on and "bare-metal image" in line and "forced by --proxy on" in line
    m2 = Machine()
    m2.load("host", image_path("regression_host"))
    off, line = decide_proxy(m2, "off")
    assert not off and "client SVCs" in line and "forced by --proxy off" in line


def test_se_defaults_to_the_bundled_firmware_whenever_none_is_named():
    board = load_board(None)
    assert choose_images(board, run_args()) == {"host": "regression_host", "se": "se_firmware"}
    assert choose_images(board, run_args("--host", "app.elf")) == {"host": "app.elf", "se": "se_firmware"}
    assert choose_images(board, run_args("--host", "app.elf", "--se", "none")) == {"host": "app.elf"}
    assert choose_images(board, run_args("--se", "my_se.elf", "--host", "none")) == {"se": "my_se.elf"}
    assert choose_images(board, run_args("--image", "se=x.elf")) == {"host": "regression_host", "se": "x.elf"}
    with pytest.raises(PsaEmuError, match="expected CORE=IMAGE"):
        choose_images(board, run_args("--image", "se"))
    with pytest.raises(PsaEmuError, match="has no core 'aux'"):
        choose_images(board, run_args("--image", "aux=x.elf"))
    with pytest.raises(ConfigError, match="no image to run"):
        choose_images(board, run_args("--host", "none", "--se", "none"))


def scc_regs(m: Machine) -> dict[str, int]:
    return m.peripherals["scc"].regs


def test_bl0_releases_the_se_at_power_on_through_the_scc():
    m = Machine()
    m.load("host", image_path("its_probe_host"))
    m.load("se", image_path("se_firmware"))
    assert m.se.state is CoreState.OFF
    attach_proxy(m)
    assert m.se.state is CoreState.RUNNING and m.host.instructions == 0      # before any Host instruction
    final = {}
    for name, value in BL0_SCC_WRITES:
        final[name] = value
    assert {k: scc_regs(m)[k] for k in final} == final
    assert scc_regs(m)["az_cpu_vtor"] == 0xA03800                              # ROM 0x00, CODE 0x38, SYS 0xA0
    kinds = [e[2] for e in m.events]
    assert kinds.index("bl0") < kinds.index("release")
    release, = m.events.of_kind("release")
    assert dict(release[3])["source"] == "scc" and release[1] == "se" and release[0] == 0


def test_without_bl0_the_se_waits_for_the_host_image():
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("se_firmware"))
    attach_proxy(m, bl0=False)
    assert m.se.state is CoreState.OFF


def test_reset_bl0_needs_an_scc_that_controls_the_core(tmp_path):
    text = (image_path("se_firmware").parents[2] / "platform" / "system" / "boards" / "musca_b1.toml").read_text()
    board = tmp_path / "b.toml"
    board.write_text(text.replace('controls = "se"', ''))
    with pytest.raises(ConfigError, match='cores.se.reset: "bl0" needs a peripheral whose `controls` is \'se\''):
        load_board(str(board))
