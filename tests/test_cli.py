"""The psaemu command line, run as users run it: output, exit codes, errors without tracebacks."""
from __future__ import annotations

import shutil
import subprocess
import sys

from psaemu.platform.firmware.images import image_path

PSAEMU = [sys.executable, "-m", "psaemu.platform.cli"]


def psaemu(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*PSAEMU, *args], capture_output=True, text=True, timeout=timeout)


def test_console_script_is_installed():
    assert shutil.which("psaemu"), "pip install -e . should install the psaemu console script"


def test_default_run_is_the_regression_suite_over_the_proxy():
    r = psaemu("run")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[se] se: boot" in r.stdout
    assert "[proxy] handshake host->se 0x7dade011 IPC_SYNC_MAGIC" in r.stdout
    assert "[proxy] handshake se->host 0x000000c3 S_MAILBOX_READY" in r.stdout
    assert "[host] TEST its.set_get PASS" in r.stdout
    assert "[host] regression: " in r.stdout and " 0 failures" in r.stdout
    assert "FAIL" not in r.stdout and "Traceback" not in r.stderr


def test_run_pingpong_pair_streams_both_cores_with_stats():
    r = psaemu("run", "--host", str(image_path("pingpong_host")), "--se", str(image_path("pingpong_se")),
               "--stats", "--quantum", "2000")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[host] pingpong: host up" in r.stdout and "[se] pingpong: se round 8" in r.stdout
    assert "[host] pingpong: host done, 0 failures" in r.stdout
    assert "[proxy]" not in r.stdout                      # no proxy reservation in this image: proxy off
    assert "instructions; virtual" in r.stderr


def test_version_and_help():
    r = psaemu("--version")
    assert r.returncode == 0 and r.stdout.startswith("psaemu ")
    r = psaemu("run", "--help")
    assert r.returncode == 0 and "--max-instructions" in r.stdout and "124" in r.stdout


def test_bad_board_file_is_a_clean_error(tmp_path):
    bad = tmp_path / "b.toml"
    bad.write_text("[cores.host]\ncpu = 'cortex-m4'\nclock_hz = 1000000\n")
    r = psaemu("run", "--board", str(bad))
    assert r.returncode == 120
    assert "b.toml: cores.host.cpu: 'cortex-m4' is not one of" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_image_is_a_clean_error():
    r = psaemu("run", "--host", str(image_path("pingpong_se")))
    assert r.returncode == 121 and "outside the memory of core 'host'" in r.stderr
    assert "Traceback" not in r.stderr


def test_budget_exit_code_and_report():
    r = psaemu("run", "--max-instructions", "30000")
    assert r.returncode == 124 and "instruction budget" in r.stderr and "host" in r.stderr


def test_trace_events_file(tmp_path):
    out = tmp_path / "ev.txt"
    r = psaemu("run", "--trace-events", str(out), "-q")
    assert r.returncode == 0 and "[host]" not in r.stdout
    text = out.read_text()
    assert "exception_entry" in text and "CH_SET0" in text and "release" in text


def test_boards_and_check():
    r = psaemu("boards")
    assert r.returncode == 0 and "musca_b1" in r.stdout
    r = psaemu("check")
    assert r.returncode == 0 and "window code_sram: 512K seen by host@0x1a400000, se@0x38200000" in r.stdout


def test_trace_ipc_prints_and_writes_records(tmp_path):
    r = psaemu("run", "-q", "--trace-ipc")
    assert r.returncode == 0
    lines = [l for l in r.stdout.splitlines() if l.startswith("[ipc] ")]
    assert any(" CONNECT client=-1 sid=0x70" in l for l in lines)
    assert any(" CALL " in l and "@host 0x1a40807c/se 0x3820807c" in l for l in lines)
    out = tmp_path / "ipc.jsonl"
    r = psaemu("run", "-q", "--trace-ipc", str(out))
    assert r.returncode == 0
    import json
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(recs) == len(lines) and {"call_type_name", "latency_ps", "in_vecs"} <= set(recs[0])


def test_define_overrides_and_misconfiguration_errors():
    r = psaemu("run", "-q", "-D", "PSA_PROXY_SHARED_MEMORY_BASE=", "-D", "PSA_PROXY_ADDR_TRANSLATION=1")
    assert r.returncode == 0, r.stderr
    r = psaemu("run", "-q", "-D", "PSA_PROXY_SHARED_MEMORY_SIZE=", "-D", "PSA_PROXY_SHARED_MEMORY_BASE=")
    assert r.returncode == 120 and "neither PSA_PROXY_SHARED_MEMORY_SIZE nor SHARED_BUFFER_SIZE" in r.stderr
    r = psaemu("run", "-q", "-D", "PSA_PROXY_SHARED_MEMORY_BASE=0x30000000")
    assert r.returncode == 120 and "does not match the proxy macros" in r.stderr
    r = psaemu("run", "-q", "-D", "BOGUS=1")
    assert r.returncode == 120 and "unknown macro 'BOGUS'" in r.stderr
    assert "Traceback" not in r.stderr


def test_flash_file_persists_its_between_runs(tmp_path):
    flash = tmp_path / "se.bin"
    probe = ["--host", str(image_path("its_probe_host")), "--se", str(image_path("se_firmware"))]
    r = psaemu("run", "--flash", f"se.storage={flash}", *probe)
    assert r.returncode == 0 and "DATA its_persist MISSING" in r.stdout
    assert psaemu("run", "-q", "--flash", f"se.storage={flash}").returncode == 0
    r = psaemu("run", "--flash", f"se.storage={flash}", *probe)
    assert "DATA its_persist " + b"psaemu-its-5EED!".hex() in r.stdout
    r = psaemu("run", "--flash", f"se.nowhere={flash}")
    assert r.returncode == 120 and "no such region" in r.stderr


def test_sysreset_ends_in_a_report_not_a_hang():
    r = psaemu("run", "--host", str(image_path("sysreset_host")), "--se", str(image_path("se_firmware")),
               "--timeout", "60")
    assert r.returncode == 124 and "waiting for the SE's reply" in r.stderr


def test_run_with_faults_armed_from_the_command_line(tmp_path):
    """--fault arms m.faults before the run: a repeated delay slows the regression suite in
    virtual time only; seeded random corruption makes its ITS tests fail, identically per seed."""
    plain = psaemu("run", "-q", "--stats")
    delayed = psaemu("run", "-q", "--stats", "--fault", "delay_doorbell:cycles=100000,repeat=true")
    assert plain.returncode == delayed.returncode == 0, delayed.stderr

    def virtual_ms(r):
        return float(r.stderr.split("virtual ")[1].split(" ms")[0])
    assert virtual_ms(delayed) > virtual_ms(plain) + 500       # 80+ calls, each 100k Host cycles later
    runs = []
    for _ in range(2):
        events = tmp_path / "ev.txt"
        r = psaemu("run", "--fault", "corrupt_iovec:nth=3,index=none,byte_offset=none,xor=none,repeat=true",
                   "--fault-seed", "4", "--trace-events", str(events))
        fails = [ln for ln in r.stdout.splitlines() if " FAIL " in ln]
        assert r.returncode == len(fails) > 5, r.stdout[-2000:]
        assert "[host] TEST its.set_get FAIL" in r.stdout
        text = events.read_text()
        assert "inject           action=seed seed=4" in text and "action=fire" in text
        runs.append((r.stdout, text))
    assert runs[0] == runs[1]


def test_bad_fault_options_are_clean_errors():
    for spec, message in (("bogus", "fault 'bogus': unknown kind; use one of drop_doorbell"),
                          ("drop_doorbell:foo=1",
                           "unexpected keyword argument 'foo'; drop_doorbell takes (nth=1, repeat=false)"),
                          ("corrupt_message:word=9", "fault 'corrupt_message:word=9': corrupt_message: word 9 is not 0..7"),
                          ("flip_register:host,no_such_symbol", "no symbol 'no_such_symbol'"),
                          ("flip_register:host,main,reg=r99", "core 'host' has no register 'r99'")):
        r = psaemu("run", "-q", "--fault", spec)
        assert r.returncode == 120, (spec, r.stderr)
        assert message in r.stderr and "Traceback" not in r.stderr, r.stderr
