"""Faults: the report the emulator prints (policy "report") and delivery to the firmware's own
HardFault handler (policy "firmware"), with the fault_host / fault_handled_host images.

Both images print one line and then read 0x60000000, where the Host has no memory. BusFault is
not enabled in SHCSR, so the precise bus error escalates to HardFault with HFSR.FORCED.
"""
from __future__ import annotations

import re

from psaemu.platform.errors import FaultError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

FIRST_LINE = "fault: reading unmapped address 0x60000000"
CFSR_PRECISERR, CFSR_BFARVALID, HFSR_FORCED = 1 << 9, 1 << 15, 1 << 30


def run(image: str, policy: str):
    m = Machine(fault_policy=policy)
    m.load("host", image_path(image))
    r = m.run(max_instructions=1_000_000, timeout=10)
    return m, r


def test_report_policy_stops_with_a_decoded_report():
    m, r = run("fault_host", "report")
    assert r.reason == "fault" and r.exit_code == FaultError.exit_code
    assert isinstance(r.error, FaultError)
    assert m.console.lines("host") == [FIRST_LINE]
    report = r.error.report
    for text in ("BusFault", "escalated to HardFault", "PRECISERR", "BFARVALID", "FORCED",
                 "BFAR=0x60000000", "<fault_read>", "outside every mapping"):
        assert text in report, (text, report)
    marked = [line for line in report.splitlines() if line.strip().startswith("=>")]
    assert len(marked) == 1 and "fault_read" in marked[0] and "ldr" in marked[0], marked
    pc = m.host.image.address_of("fault_read")
    assert f"{pc:#010x}" in marked[0]
    assert "read of 4 byte(s) at unmapped address 0x60000000" in r.message
    assert m.host.scs.regs["CFSR"] == CFSR_PRECISERR | CFSR_BFARVALID
    assert m.host.scs.regs["HFSR"] == HFSR_FORCED
    assert m.host.scs.regs["BFAR"] == 0x60000000


def test_report_policy_ignores_the_firmware_handler():
    _, r = run("fault_handled_host", "report")
    assert r.reason == "fault" and "PRECISERR" in r.error.report


def test_firmware_policy_runs_the_hardfault_handler():
    m, r = run("fault_handled_host", "firmware")
    assert r.reason == "exit" and r.exit_code == 3, r.message
    lines = m.console.lines("host")
    assert lines[0] == FIRST_LINE
    match = re.fullmatch(r"hardfault handled CFSR=0x([0-9a-f]{8})", lines[1])
    assert match, lines
    cfsr = int(match.group(1), 16)
    assert cfsr & CFSR_PRECISERR and cfsr & CFSR_BFARVALID
    detail = dict(item.split("=") for item in lines[2].split())
    assert int(detail["HFSR"], 16) & HFSR_FORCED
    assert int(detail["BFAR"], 16) == 0x60000000
    assert int(detail["PC"], 16) == m.host.image.address_of("fault_read")     # stacked PC
    assert int(detail["EXC_RETURN"], 16) == 0xFFFFFFF9                       # Thread, MSP, no FP
    faults = [dict(e[3]) for e in m.events.of_kind("fault")]
    assert [(f["name"], f["pc"]) for f in faults] == [("HardFault", m.host.image.address_of("fault_read"))]


def test_firmware_policy_with_a_spinning_handler_still_reports():
    m, r = run("fault_host", "firmware")
    assert r.reason == "fault"
    assert "spins on itself" in r.error.report and "PRECISERR" in r.error.report
    assert m.console.lines("host") == [FIRST_LINE]
