"""Armv8-M Security Extension transitions (platform/cpu/trustzone.py), checked against the Armv8-M
Architecture Reference Manual with project firmware (images/tz/host.c), and what Unicorn 2.1.4
itself does with BXNS/BLXNS/SG (the reason psaemu carries them out in Python)."""
from __future__ import annotations

import struct

import unicorn.arm_const as A
from unicorn import UC_ARCH_ARM, UC_HOOK_INTR, UC_MODE_THUMB, Uc, UcError

from psaemu.platform.cpu.trustzone import BLXNS, BXNS, FNC_RETURN, MRS_NS, MSR_NS, NON_SECURE, SECURE, scan
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

NS_MSP_TOP = 0x20042000
NS_RES = 0x20043000


def _unicorn_run(code: bytes, **regs: int) -> tuple[list[int], Uc]:
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M33)
    uc.mem_map(0x10000000, 0x10000)
    uc.mem_map(0x20000000, 0x10000)
    uc.mem_map(0x00200000, 0x1000)
    uc.mem_write(0x10000000, code + b"\x00\xbf" * 4)
    uc.mem_write(0x00200000, b"\x00\xbf" * 8)
    uc.reg_write(A.UC_ARM_REG_MSP, 0x20001000)
    for name, value in regs.items():
        uc.reg_write(getattr(A, f"UC_ARM_REG_{name.upper()}"), value)
    intr: list[int] = []
    uc.hook_add(UC_HOOK_INTR, lambda u, n, _d: (intr.append(n), u.emu_stop()))
    try:
        uc.emu_start(0x10000001, 0xFFFFFFF0, count=3)
    except UcError:
        intr.append(-1)
    return intr, uc


def test_unicorn_bxns_blxns_sg_as_psaemu_found_them() -> None:
    # BXNS r0 / BLXNS r0 to a Non-secure target (bit 0 clear): Unicorn switches its own state and
    # faults at the target (interrupt 3, prefetch abort): its SAU makes all memory Secure.
    intr, uc = _unicorn_run(b"\x04\x47", r0=0x00200000)
    assert intr == [3] and uc.reg_read(A.UC_ARM_REG_PC) == 0x00200000
    intr, uc = _unicorn_run(b"\x84\x47", r0=0x00200000)
    assert intr == [3] and uc.reg_read(A.UC_ARM_REG_LR) == FNC_RETURN
    assert uc.reg_read(A.UC_ARM_REG_MSP) == 0            # its Non-secure bank, which psaemu cannot read
    # SG executes as a NOP and leaves LR alone
    intr, uc = _unicorn_run(b"\x7f\xe9\x7f\xe9", lr=0x10000041)
    assert intr == [] and uc.reg_read(A.UC_ARM_REG_LR) == 0x10000041
    # a branch to FNC_RETURN is an exception-return interrupt (8) at 0xFEFFFFFE
    intr, uc = _unicorn_run(b"\x70\x47", lr=FNC_RETURN)
    assert intr == [8] and uc.reg_read(A.UC_ARM_REG_PC) == 0xFEFFFFFE


def test_scan_finds_the_encodings() -> None:
    code = struct.pack("<H", 0x4704 | 3 << 3) + struct.pack("<H", 0x4784 | 14 << 3) \
        + struct.pack("<HH", 0xF385, 0x8888) + struct.pack("<HH", 0xF3EF, 0x8194) + struct.pack("<H", 0x4770)
    assert scan(code, 0x1000) == [(0x1000, BXNS, 3, 0), (0x1002, BLXNS, 14, 0), (0x1004, MSR_NS, 5, 0x88),
                                  (0x1008, MRS_NS, 1, 0x94)]


def _run_tz() -> tuple[Machine, list[str]]:
    lines: list[str] = []
    m = Machine(console=lambda core, line: lines.append(line), fault_policy="firmware")   # its SecureFault handler
    m.load("host", image_path("tz_host"))
    result = m.run(max_instructions=2_000_000)
    assert result.reason == "exit", result.message
    assert result.exit_code == 0, "\n".join(lines)
    return m, lines


def test_tz_host_blxns_sg_bxns_ns_svc_fnc_return() -> None:
    m, lines = _run_tz()
    assert lines == ["PASS banked", "PASS blxns", "PASS sg", "PASS ns svc", "PASS secure exception from ns",
                     "PASS securefault", "tz_host: 6 checks, 0 failed"]
    core = m.cores["host"]
    sym = core.image.symbols
    # what the Non-secure code saw (Non-secure SRAM), read by Python: B3.14, B3.19 of the manual
    ns = struct.unpack("<10I", core.mem_read(NS_RES, 40))
    assert ns[0] == NS_MSP_TOP                              # MSP_NS as MSR MSP_NS set it
    assert ns[2] == FNC_RETURN                              # LR after BLXNS
    assert ns[3] == 42                                      # the gateway's result (BXNS LR back)
    assert ns[4] == 11 and ns[5] == 0xFFFFFFB8              # SVCall, EXC_RETURN S=0 DCRS=1 Thread MSP ES=0
    assert ns[6] == NS_MSP_TOP - 8 - 32                     # basic frame on the Non-secure MSP
    assert ns[7] == 1 and ns[8] == 1                       # after the SVC; after the Secure SysTick
    assert ns[9] == 0x5AFE                                  # resumed past the load the SecureFault handler skipped
    # SFSR/SFAR as the handler found them (D1.2.225-226): AUVIOL | SFARVALID, the Secure variable
    assert core.mem_read(sym["sf_sfsr"], 4) == (0x48).to_bytes(4, "little")
    assert int.from_bytes(core.mem_read(sym["sf_sfar"], 4), "little") == sym["tz_secret"]
    assert core.scs.regs["SFSR"] == 0                       # the handler cleared it (write one to clear)
    tz = core.security.tz
    states = [s for s, _pc in tz.transitions]
    # BLXNS, SG, BXNS, SG, BXNS, Secure SysTick entry, its return, SecureFault entry, its return, FNC_RETURN
    assert states == [NON_SECURE, SECURE] * 5
    assert tz.transitions[0][1] == sym["ns_reset"] & ~1
    assert tz.transitions[1][1] == sym["s_gateway"] & ~1
    assert tz.transitions[3][1] == sym["s_arm_tick"] & ~1
    assert tz.transitions[5][1] == sym["SysTick_Handler"] & ~1      # through the Secure table (VTOR_S)
    assert core.security.state == SECURE
    assert tz.bank[NON_SECURE]["msp"] == NS_MSP_TOP        # NS stack balanced when it returned
    # the SVC was vectored through the Non-secure table, at VTOR_NS
    assert m.peripherals["host_scs_ns"].regs["VTOR"] == sym["ns_vectors"] == 0x0A2A0000


def test_images_without_security_instructions_are_unchanged() -> None:
    m = Machine()
    m.load("host", image_path("sse200_host"))
    tz = m.cores["host"].security.tz
    assert tz.sites == {} and tz.hooks == [] and not tz.active
