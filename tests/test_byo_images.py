"""Images users bring, run as users run them: nothing on the command line but the image(s);
psaemu decides who plays the Host's secure side, says so in one line, and the run ends with
the application's own exit status."""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys

import pytest

PSAEMU = [sys.executable, "-m", "psaemu.platform.cli"]


def psaemu(*args: str, cwd=None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*PSAEMU, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def decision(r: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("psaemu: host: ")]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_plain_svc_client_runs_with_the_python_secure_side_and_bl0():
    r = psaemu("run", "--host", "svc_app_host")          # a bundled image's name works as a path does
    assert r.returncode == 0, r.stdout + r.stderr
    line = decision(r)
    assert "PSA client issuing the client SVCs itself (svc #10, #11, #12, #13, #14" in line
    assert "Python Host secure side" in line and "--proxy off" in line
    assert "[se] se: boot" in r.stdout                    # the default SE firmware, released by BL0
    assert "[host] ns_app: 8 tests, 0 failures" in r.stdout


def test_veneer_linked_ns_application_runs():
    r = psaemu("run", "--host", "ns_app_host")
    assert r.returncode == 0, r.stdout + r.stderr
    assert decision(r).startswith("psaemu: host: TF-M NS application (veneers) (calls tfm_psa_framework_version_veneer")
    assert "[host] TEST ns_app.attest_token_32 PASS" in r.stdout


def test_image_with_its_own_proxy_keeps_the_proxy_model_off():
    r = psaemu("run", "--host", "own_proxy_host")
    assert r.returncode == 0, r.stdout + r.stderr
    line = decision(r)
    assert "image with its own secure side and PSA proxy (symbols psa_proxy_sp_init" in line
    assert "proxy model off" in line and "override with --proxy on" in line
    assert "[proxy]" not in r.stdout                       # nobody ate the SE's boot vector
    assert "[host] own_proxy: 9 checks, 0 failures" in r.stdout


def test_forcing_the_proxy_on_an_own_proxy_image_is_said_and_breaks_visibly():
    r = psaemu("run", "--host", "own_proxy_host", "--proxy", "on", "--max-instructions", "3000000")
    assert "forced by --proxy on" in decision(r)
    assert r.returncode != 0


def test_se_none_runs_without_an_se_and_the_report_says_why(tmp_path):
    r = psaemu("run", "--host", "svc_app_host", "--se", "none", "--max-instructions", "2000000")
    assert r.returncode == 124, r.stdout + r.stderr
    assert "no image loaded" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
def test_an_app_built_with_the_printed_sdk_command_runs_with_its_own_status(tmp_path):
    (tmp_path / "app.c").write_text(APP)
    sdk = psaemu("sdk")
    assert sdk.returncode == 0, sdk.stderr
    build = next(ln.strip() for ln in sdk.stdout.splitlines() if ln.strip().startswith("arm-none-eabi-gcc"))
    cc = subprocess.run(shlex.split(build), cwd=tmp_path, capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    r = psaemu("run", "--host", "app.elf", cwd=tmp_path)
    assert "TF-M NS application (veneers)" in decision(r)
    assert "[host] app: framework 0x101, ITS version 1" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 7                               # the application's own status


# A user's own NS application: its own vector table and start-up, the PSA client API of the SDK
# (over the veneers), a UART print and a semihosting exit with status 7.
APP = r"""
#include <stdint.h>
#include "psa/client.h"

extern uint32_t __StackTop;
void Reset_Handler(void);
__attribute__((section(".vectors"), used)) const void *const __Vectors[16] = { &__StackTop, (void *)Reset_Handler };

#define UART_DR (*(volatile uint32_t *)0x40102000u)     /* Host UART1 (PL011), Non-secure alias */
#define UART_CR (*(volatile uint32_t *)0x40102030u)
static void put(const char *s) { while (*s) UART_DR = (uint32_t)*s++; }
static void hex(uint32_t v) { put("0x"); int z = 1; for (int i = 28; i >= 0; i -= 4) { uint32_t d = (v >> i) & 15;
    if (d || !z || i == 0) { UART_DR = d < 10 ? '0' + d : 'a' + d - 10; z = 0; } } }

static void semihost_exit(uint32_t code)
{
    static uint32_t block[2];
    block[0] = 0x20026u; block[1] = code;                 /* ADP_Stopped_ApplicationExit, status */
    register uint32_t r0 __asm__("r0") = 0x20u;           /* SYS_EXIT_EXTENDED */
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) { }
}

void Reset_Handler(void)
{
    UART_CR = 0x301u;                                      /* UARTEN | TXE | RXE */
    uint32_t fw = psa_framework_version();
    uint32_t its = psa_version(0x70u);                     /* ITS set */
    put("app: framework "); hex(fw); put(", ITS version "); UART_DR = '0' + (its & 7); put("\n");
    semihost_exit(fw == 0x101u && its == 1u ? 7u : 1u);
}
"""
