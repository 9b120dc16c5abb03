"""TF-M v1.3 NS veneers of the Python Host secure side (psaemu.proxy.veneers), the import library
(psaemu.platform.firmware.sdk) and the bundled veneer-linked NS application (ns_app_host).

Oracles: LIEF reads the import library's symbols, capstone decodes the veneer bytes, and
arm-none-eabi-gcc links a C file against the documented command line.
"""
from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import capstone
import lief
import pytest

from psaemu.platform import cli
from psaemu.platform.errors import ConfigError, ImageError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.firmware.loader import Segment, read_image
from psaemu.platform.firmware.sdk import ns_sdk, veneer_library
from psaemu.platform.system.board import load_board
from psaemu.platform.system.machine import Machine
from psaemu.proxy.mailbox_abi import SvcV13
from psaemu.proxy.status import PsaStatus
from psaemu.proxy.system import attach_proxy
from psaemu.proxy.veneers import VENEERS

#: TF-M v1.3 musca_b1/sse_200 region_defs.h with FORWARD_PROT_MSG: CMSE_VENEER_REGION_START/SIZE.
TFM_VENEER_START, TFM_VENEER_SIZE = 0x1A28F4A0, 0x360
SECURE_SRAM = 0x30001000
SHN_ABS = 0xFFF1                   # ELF section index of absolute symbols
NS_APP_LINES = [f"TEST ns_app.{name} PASS" for name in (
    "framework_version", "version_its", "version_unknown_sid", "call_invalid_handle", "its_round_trip",
    "ps_round_trip", "sha256_abc", "attest_token_32")] + ["ns_app: 8 tests, 0 failures"]


def ns_app_machine() -> tuple[Machine, object]:
    m = Machine()
    m.load("host", image_path("ns_app_host"))
    m.load("se", image_path("se_firmware"))
    return m, attach_proxy(m)


@dataclass(frozen=True)
class Sym:
    value: int
    shndx: int
    type: object
    binding: object


def implib_symbols() -> dict[str, Sym]:
    """The import library's tfm_* symbols, copied out of LIEF's objects (they die with the binary)."""
    obj = lief.parse(str(veneer_library()))
    return {s.name: Sym(s.value, s.shndx, s.type, s.binding) for s in obj.symbols if s.name.startswith("tfm_")}


# --------------------------------------------------------------------------------------------
def test_board_veneer_region_is_tfm_cmse_veneer_region():
    assert load_board().cores["host"].veneer_region == (TFM_VENEER_START, TFM_VENEER_SIZE)
    assert load_board().cores["se"].veneer_region is None


def test_import_library_symbols_match_the_veneers_psaemu_writes():
    m, system = ns_app_machine()
    syms = implib_symbols()
    assert sorted(syms) == sorted(name for name, _ in VENEERS)
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    addresses = system.spm.veneers.addresses()
    for name, number in VENEERS:
        sym = syms[name]
        assert sym.shndx == SHN_ABS                                 # an absolute symbol
        assert sym.type == lief.ELF.Symbol.TYPE.FUNC and sym.binding == lief.ELF.Symbol.BINDING.GLOBAL
        assert sym.value == addresses[name] | 1                      # a Thumb function address
        addr = sym.value & ~1
        assert TFM_VENEER_START <= addr < TFM_VENEER_START + TFM_VENEER_SIZE
        insns = [(i.mnemonic, i.op_str) for i in md.disasm(m.host.read(addr, 4), addr)]
        assert insns == [("svc", f"#{int(number):#x}"), ("bx", "lr")]
    # the rest of the region is udf: a call to no veneer faults
    assert m.host.read(TFM_VENEER_START + 8 * len(VENEERS), 2) == struct.pack("<H", 0xDE00)


def test_ns_app_calls_only_veneers_and_is_linked_like_a_tfm_ns_image():
    image = read_image(image_path("ns_app_host"), "v8m", "host")
    assert image.vector_table == 0x0A290400
    syms = implib_symbols()
    for name, _ in VENEERS:
        assert image.symbols[name] == syms[name].value                # resolved from the import library
    assert ".PSA_PROXY_SHARED_MEMORY" not in image.sections
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    text = image.sections[".text"]
    elf = lief.parse(str(image_path("ns_app_host")))
    code = bytes(elf.get_section(".text").content)
    assert not [i for i in md.disasm(code, text.addr) if i.mnemonic == "svc"]


def test_veneer_call_is_a_non_secure_call_and_follows_ns_rules():
    m, system = ns_app_machine()
    res = m.run_until("psa_its_set", "host", max_instructions=20_000_000)    # after the forwarded calls
    assert res.reason == "until" and system.proxy.ready
    host = m.host
    saved = {r: host.reg(r) for r in ("r0", "r1", "r2", "r3", "lr", "pc", "sp")}
    call = system.spm.veneers.addresses()["tfm_psa_call_veneer"]
    mark = len(m.events)

    def veneer_call(ctrl: int, handle: int) -> int:
        for r, v in (("r0", handle), ("r1", ctrl), ("r2", 0), ("r3", 0), ("lr", saved["pc"] | 1),
                     ("pc", call | 1)):
            host.set_reg(r, v)
        stop = m.step("host", 2)                                     # svc #13, bx lr
        assert stop.reason == "step" and host.pc == saved["pc"]       # back in the NS caller
        return struct.unpack("<i", struct.pack("<I", host.reg("r0")))[0]

    # control block in a Secure alias (Secure SRAM): rejected for an NS caller, no panic
    assert veneer_call(SECURE_SRAM, 0x7FFF) == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR == -129
    # control block on the NS stack: accepted, so the invalid handle is what is rejected
    ns_ctrl = saved["sp"] - 64
    host.write(ns_ctrl, struct.pack("<iII", 0, 0, 0))
    assert veneer_call(ns_ctrl, 0x7FFF) == -129
    events = m.events.since(mark)
    svcs = [dict(f) for _, _, kind, f in events if kind == "psa_svc"]
    assert svcs == [{"client": -1, "number": int(SvcV13.TFM_SVC_PSA_CALL)}] * 2
    whys = [dict(f)["why"] for _, _, kind, f in events if kind == "psa_error"]
    assert f"control block at {SECURE_SRAM:#010x} is not accessible" in whys[0]
    assert "invalid handle 32767" in whys[1]
    assert system.spm.identify(call).partition == "non-secure (through a veneer)"
    # the application goes on unharmed
    for r, v in saved.items():
        host.set_reg(r, v | 1 if r == "pc" else v)
    result = m.run(max_instructions=200_000_000)
    assert (result.reason, result.exit_code) == ("exit", 0), result.message
    assert m.console.lines("host") == NS_APP_LINES


def test_direct_svc_clients_still_work_beside_the_veneers():
    m = Machine()
    m.load("host", image_path("its_probe_host"))
    m.load("se", image_path("se_firmware"))
    system = attach_proxy(m)
    assert system.spm.veneers is not None
    result = m.run(max_instructions=50_000_000)
    assert (result.reason, result.exit_code) == ("exit", 0), result.message
    assert m.console.lines("host")[-1].startswith("DATA its_persist")


def test_image_with_bytes_in_the_veneer_region_is_refused():
    """A Host image with code in the veneer region (as a TF-M S image has) keeps its bytes."""
    m = Machine()
    m.load("host", image_path("ns_app_host"))
    m.host.image.segments.append(Segment(TFM_VENEER_START + 0x10, TFM_VENEER_START + 0x10, b"\x70\x47", 2))
    before = m.host.read(TFM_VENEER_START, TFM_VENEER_SIZE)
    with pytest.raises(ImageError, match=r"overlaps the veneer region 0x1a28f4a0\+0x360.*--proxy off"):
        attach_proxy(m)
    assert m.host.read(TFM_VENEER_START, TFM_VENEER_SIZE) == before


def test_board_veneer_region_errors(tmp_path):
    text = Path(load_board().path).read_text()
    bad = tmp_path / "b.toml"
    for value, msg in (("{ base = 0x0A28F4A0, size = 0x360 }", "not inside the Secure alias"),
                       ("{ base = 0x1A28F4A4, size = 0x360 }", "not aligned to 0x20"),
                       ("{ base = 0x1A28F4A0 }", "veneer_region.size: missing")):
        bad.write_text(text.replace("{ base = 0x1A28F4A0, size = 0x360 }", value))
        with pytest.raises(ConfigError, match=msg):
            load_board(bad)


def test_ns_app_runs_with_the_proxy_forced_on(capsys):
    rc = cli.main(["run", "--host", str(image_path("ns_app_host")), "--se", str(image_path("se_firmware")),
                   "--proxy", "on"])
    out = capsys.readouterr().out
    assert rc == 0
    assert [line.removeprefix("[host] ") for line in out.splitlines() if line.startswith("[host] ")] == NS_APP_LINES


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
def test_documented_link_command_links_a_c_file_against_the_import_library(tmp_path):
    app = tmp_path / "app.c"
    app.write_text(
        '#include "psa/client.h"\n'
        "extern unsigned __StackTop[];\n"
        "void Reset_Handler(void);\n"
        '__attribute__((section(".vectors"), used)) const void *const __Vectors[2] = {__StackTop, Reset_Handler};\n'
        "volatile unsigned result;\n"
        "void Reset_Handler(void) { result = psa_framework_version(); for (;;) { } }\n")
    out = tmp_path / "app.elf"
    cmd = ["arm-none-eabi-gcc", "-O2", str(app), *ns_sdk().gcc_args(), "-o", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    image = read_image(out, "v8m", "host")
    assert image.symbols["tfm_psa_framework_version_veneer"] & ~1 == TFM_VENEER_START
    assert image.vector_table == 0x0A290400
