"""Host security attribution: the board's IDAU aliases + MPC gating, and its enforcement on code.

Oracle: TF-M v1.3's Musca-B1 FORWARD_PROT_MSG configuration (sse_200/target_cfg.c mpc_init_cfg,
region_defs.h; cited in platform/system/boards/musca_b1.toml): Code SRAM secure-only, SRAM S data
0x30000000+256K / NS data 0x20040000+256K, eFlash0/QSPI secure-only; Secure aliases Secure.
Firmware is assembled here with arm-none-eabi-gcc; each probe ends with semihosting SYS_EXIT.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.board import load_board
from psaemu.platform.system.machine import Machine
from psaemu.platform.system.memory import Memory

NS_CODE, S_CODE = 0x0A260000, 0x1A270000          # eFlash1: NS-gated alias / Secure alias
NS_STACK = 0x20080000

needs_gcc = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")


@pytest.mark.parametrize("addr,size,expected", [
    (0x0A408000, 16, "secure"),        # Code SRAM NS alias: the proxy's shared memory, MPC secure-only
    (0x1A408000, 16, "secure"),        # its Secure alias
    (0x30000000, 4, "secure"),         # SRAM S data
    (0x20000000, 4, "secure"),         # NS alias of S data: MPC keeps it Secure
    (0x20040000, 0x40000, "non-secure"),   # NS data
    (0x2003FFFC, 8, "secure"),         # straddles S and NS data: any Secure byte makes it Secure
    (0x0A000000, 4, "secure"),         # eFlash0 NS alias, secure-only
    (0x0A290000, 0x50000, "non-secure"),   # TF-M's NS partition in eFlash1
    (0x50102000, 4, "secure"),         # UART Secure alias
    (0x40102000, 4, "non-secure"),     # UART NS alias
    (0x5010B000, 4, "secure"),         # SCC (Secure only)
    (0x60000000, 4, None),             # unmapped
])
def test_musca_b1_attribution(addr, size, expected):
    assert Memory(load_board()).attribution("host", addr, size) == expected


def test_se_has_no_attribution():
    assert Memory(load_board()).attribution("se", 0x30000000, 4) is None


def write_board(tmp_path: Path, region_extra: str, core_extra: str = "") -> Path:
    p = tmp_path / "b.toml"
    p.write_text(f"""[board]
name = "t"
[cores.main]
cpu = "cortex-m33"
clock_hz = 1000000
{core_extra}
[[cores.main.regions]]
name = "ram"
base = 0x30000000
size = "64K"
{region_extra}
""")
    return p


@pytest.mark.parametrize("region_extra,core_extra,message", [
    ("ns_alias = 0x20000000\nmpc_secure = [{ offset = 0xF000, size = 0x2000 }]", "",
     "cores.main.regions[0].mpc_secure[0]: 0xf000+0x2000 runs past the end of the region"),
    ("mpc_secure = [{ offset = 0, size = 0x400 }]", "",
     "cores.main.regions[0].mpc_secure: the region has no ns_alias"),
    ("ns_alias = 0x20000000\nmpc_secure = [{ offset = 0, size = 0x800 }, { offset = 0x400, size = 0x400 }]", "",
     "cores.main.regions[0].mpc_secure[1]: 0x400+0x400 overlaps the part 0x0+0x800"),
    ("ns_alias = 0x20000000\nmpc_secure = [{ offset = 0x100, size = 0x400 }]", "",
     "cores.main.regions[0].mpc_secure[0].offset: 0x100 is not aligned"),
    ("ns_alias = 0x20000000", 'enforce_security = "yes"', "cores.main.enforce_security: expected true or false"),
])
def test_board_errors(tmp_path, region_extra, core_extra, message):
    with pytest.raises(ConfigError) as err:
        load_board(write_board(tmp_path, region_extra, core_extra))
    assert f"{tmp_path / 'b.toml'}: {message}" in str(err.value)


# -- firmware probes ------------------------------------------------------------------------
EXIT = """
exit_ok:
    movs r0, #0x18
    ldr  r1, =0x20026
    bkpt 0xab
    b .
"""


def build(tmp_path: Path, ns_body: str, s_body: str = "bx lr") -> Path:
    """An image: vector table + NS code at NS_CODE, a Secure function at S_CODE (starts with SG)."""
    src = tmp_path / "probe.S"
    src.write_text(f"""
    .syntax unified
    .thumb
    .section .vectors, "a"
    .word {NS_STACK:#x}
    .word ns_main + 1
    .fill 14, 4, 0
    .text
    .thumb_func
ns_main:
{ns_body}
{EXIT}
    .ltorg
    .section .secure, "ax"
    .thumb_func
s_entry:
    sg
{s_body}
    .ltorg
    .thumb_func
s_plain:
    bx lr
""")
    elf = tmp_path / "probe.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m33", "-mthumb", "-nostdlib", "-nostartfiles",
                    f"-Wl,--section-start=.vectors={NS_CODE:#x}", f"-Wl,--section-start=.secure={S_CODE:#x}",
                    f"-Wl,-Ttext={NS_CODE + 0x100:#x}", "-Wl,--entry=ns_main", "-o", str(elf), str(src)],
                   check=True, capture_output=True)
    return elf


def run(tmp_path: Path, ns_body: str, s_body: str = "bx lr", enforce: bool = True):
    m = Machine()
    m.load("host", build(tmp_path, ns_body, s_body))
    if not enforce:
        m.enforce_security("host", False)
    return m, m.run(max_instructions=10_000)


@needs_gcc
@pytest.mark.parametrize("body,fault,needle", [
    ("ldr r0, =0x30000000\n ldr r1, [r0]", "SecureFault", "read of 4 byte(s) at 0x30000000: Secure alias of 'sram'"),
    ("ldr r0, =0x1A408000\n str r0, [r0]", "SecureFault", "write of 4 byte(s) at 0x1a408000"),
    ("ldr r0, =0x1A270009\n blx r0", "SecureFault", "fetch of 2 byte(s) at 0x1a270008: Secure alias of 'eflash1'"),
    ("ldr r0, =0x0A408000\n ldr r1, [r0]", "BusFault",
     "read of 4 byte(s) at 0x0a408000: Non-secure alias of 'code_sram', kept Secure by its MPC"),
    ("ldr r0, =0x0A408000\n movs r1, #7\n str r1, [r0]", "BusFault", "write of 4 byte(s) at 0x0a408000 (value 0x7)"),
    ("ldr r0, =0x20000000\n ldrb r1, [r0]", "BusFault", "read of 1 byte(s) at 0x20000000"),
    ("ldr r0, =0x0A400001\n blx r0", "BusFault", "fetch of 2 byte(s) at 0x0a400000"),
    ("ldr r0, =0x5010B000\n ldr r1, [r0]", "SecureFault", "Secure alias of peripheral 'scc'"),
])
def test_non_secure_code_faults_on_secure_memory(tmp_path, body, fault, needle):
    m, r = run(tmp_path, body)
    assert r.reason == "fault", r.message
    assert fault in r.message and needle in r.message and "attribution secure" in r.message, r.message
    assert m.host.fault.exception == fault


@needs_gcc
def test_secure_entry_and_return(tmp_path):
    """NS code calls a Secure function starting with SG (a transition), which reads Secure SRAM and
    returns; NS code goes on in NS state (its next Secure read still faults)."""
    body = """
    ldr r0, =0x1A270001
    blx r0
    mov r4, r0
    ldr r0, =0x30000000
    ldr r1, [r0]
    """
    m, r = run(tmp_path, body, "ldr r0, =0x30000010\n ldr r0, [r0]\n bx lr")
    assert r.reason == "fault" and "read of 4 byte(s) at 0x30000000" in r.message, r.message
    assert m.host.security.switches >= 2


@needs_gcc
def test_secure_code_accesses_everything(tmp_path):
    """Code running at a Secure alias reads and writes Secure and Non-secure memory, then exits."""
    body = """
    ldr r0, =0x1A270001
    blx r0
    b exit_ok
    """
    s_body = """
    ldr r0, =0x0A408000
    ldr r1, [r0]
    str r1, [r0]
    ldr r0, =0x30000000
    str r1, [r0]
    ldr r0, =0x20040000
    str r1, [r0]
    ldr r0, =0x5010B000
    ldr r1, [r0]
    bx lr
    """
    m, r = run(tmp_path, body, s_body)
    assert r.ok, r.message


@needs_gcc
def test_enforcement_off(tmp_path):
    """``Machine.enforce_security(core, False)`` (images that bring their own secure side): a Secure
    read and a branch into Secure code past its SG run."""
    m, r = run(tmp_path, "ldr r0, =0x30000000\n ldr r1, [r0]\n ldr r0, =0x1A270005\n blx r0\n b exit_ok",
               enforce=False)
    assert r.ok, r.message


def test_enforce_security_on_unattributed_core_is_refused():
    with pytest.raises(ConfigError, match="core 'se' .* declares no security attribution"):
        Machine().enforce_security("se", True)


@needs_gcc
@pytest.mark.parametrize("body,sfsr,sfar", [
    ("ldr r0, =0x30000000\n ldr r1, [r0]", 0x48, 0x30000000),          # AUVIOL | SFARVALID
    ("ldr r0, =0x1A408000\n str r0, [r0]", 0x48, 0x1A408000),
    ("ldr r0, =0x5010B000\n ldr r1, [r0]", 0x48, 0x5010B000),
    ("ldr r0, =0x1A270009\n blx r0", 0x01, None),                        # INVEP: no SG at the target
    ("ldr r0, =0x0A408000\n ldr r1, [r0]", 0x00, None),                  # a BusFault: SFSR untouched
])
def test_secure_faults_set_sfsr_and_sfar_as_the_architecture_defines(tmp_path, body, sfsr, sfar):
    from psaemu.platform.cpu.faults import fault_report

    """Armv8-M ARM D1.2.226: a Non-secure data access to Secure memory is AUVIOL with the address in
    SFAR (SFARVALID); a Non-secure branch to Secure code that is not an SG is INVEP (SFAR not valid).
    CFSR stays 0 for a SecureFault; the report names the SFSR bits and SFAR; SCS state carries them."""
    m, r = run(tmp_path, body)
    regs = m.host.scs.regs
    assert regs["SFSR"] == sfsr
    assert r.reason == "fault", r.message
    report = fault_report(m.host)
    if sfsr:
        assert regs["CFSR"] == 0
        assert f"SFSR={sfsr:#010x} " + ("AUVIOL" if sfsr & 8 else "INVEP") in report, report
        assert regs["SFAR"] == (sfar or 0)
        assert ("SFAR=" in report) == (sfar is not None), report
        assert sfar is None or f"SFAR={sfar:#010x}" in report
    else:
        assert "SFSR=" not in report
    state = m.host.scs.snapshot()
    assert state["regs"]["SFSR"] == sfsr and state["regs"]["SFAR"] == (sfar or 0)
    m.host.scs.regs["SFSR"] = 0
    m.host.scs.restore(state)
    assert m.host.scs.regs["SFSR"] == sfsr
