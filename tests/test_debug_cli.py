"""``psaemu debug``: scripted sessions, batch mode from stdin, errors as one line, exit statuses."""
from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from psaemu.platform.cli import main
from psaemu.platform.firmware.images import image_path

PINGPONG = ["--host", str(image_path("pingpong_host")), "--se", str(image_path("pingpong_se"))]


def debug(tmp_path, script: str, *options: str, capsys) -> tuple[int, str, str]:
    path = tmp_path / "session.psaemu"
    path.write_text(script)
    status = main(["debug", *options, "--script", str(path)])
    out, err = capsys.readouterr()
    return status, out, err


def test_scripted_session_breaks_inspects_and_runs_to_the_end(tmp_path, capsys):
    status, out, err = debug(tmp_path, """\
# break on the SE's MHU handler while the Host runs
break se IRQ24_Handler
continue
regs se
x host pp_shared 32
disas se
translate 0x1a408000 host se
bt se
watch host pp_shared+0x140 4 w
info watch
continue
info break
delete
continue
quit
""", *PINGPONG, capsys=capsys)
    assert status == 0, out + err
    assert err == ""
    assert "(psaemu) break se IRQ24_Handler\nbreakpoint 1 at se:0x38000294 <IRQ24_Handler>" in out
    assert "breakpoint 1 hit on se at 0x38000294 <IRQ24_Handler>" in out
    assert "=> 0x38000294 <IRQ24_Handler>" in out                           # disas marks the PC
    assert "pc=0x38000294" in out and "xpsr=0x61000028" in out           # regs: in IRQ 24's handler
    assert "0x1a408000 <pp_shared> (se: 0x38208000)" in out              # x: both views
    assert "  0x1a408010 (se:0x38208010)" in out
    assert "host:0x1a408000 = se:0x38208000" in out
    assert "<exception frame: IRQ24 entered from Thread mode" in out and "<main+0x40> (interrupted here)" in out
    assert "watching host:0x0a408140, host:0x1a408140, se:0x38208140" in out
    assert ("watchpoint 2 (w): se wrote 0x00000001 (was 0x00000000) [4 byte(s)] at se:0x38208140 = "
            "host:0x1a408140") in out
    assert "[host] pingpong: host done, 0 failures" in out
    assert "host exited with status 0" in out


def test_exit_status_is_the_firmware_status_and_faults_are_explained(tmp_path, capsys):
    status, out, _ = debug(tmp_path, "break host HardFault_Handler\ncontinue\nexplain host\nbt host\ncontinue\n",
                           "--host", str(image_path("fault_handled_host")), "--fault-policy", "firmware",
                           capsys=capsys)
    assert status == 3, out
    assert "handling a HardFault" in out and "PRECISERR" in out and "<fault_read>" in out
    assert "host exited with status 3" in out
    status, out, _ = debug(tmp_path, "continue\n", "--host", str(image_path("fault_host")), capsys=capsys)
    assert status == 122
    assert "FAULT on core 'host'" in out and "backtrace:" in out and "<main+" in out


def test_script_stops_at_the_first_error_with_one_line(tmp_path, capsys):
    status, out, err = debug(tmp_path, "break se IRQ24_Handler\nbreak se no_such_function\ncontinue\n",
                             *PINGPONG, capsys=capsys)
    assert status == 125
    assert "continue" not in out and "hit" not in out
    lines = err.strip().splitlines()
    assert lines == ["error: " + lines[0][len("error: "):], lines[1]]
    assert "no symbol 'no_such_function'" in lines[0]
    assert lines[1].endswith("session.psaemu:2: break se no_such_function: stopping the script")
    assert "Traceback" not in out + err


@pytest.mark.parametrize("line, message", [
    ("frobnicate", "unknown command 'frobnicate'"),
    ("break", "usage: break CORE ADDR|SYM"),
    ("x host 0x60000000 4", "not mapped"),
    ("translate 0x30000000 host se", "se cannot see host:0x30000000"),
    ("watch host 0x52600000", "peripheral"),
    ("delete 7", "no breakpoint or watchpoint 7"),
    ("step 10 mars", "instruction count: 'mars' is not a number"),
    ("ipc", "the PSA Proxy is not attached"),
])
def test_every_error_is_one_line(tmp_path, capsys, line, message):
    status, out, err = debug(tmp_path, line + "\n", *PINGPONG, capsys=capsys)
    assert status == 125
    first = err.splitlines()[0]
    assert first.startswith("error: ") and message in first, err
    assert len(err.splitlines()) == 2 and "Traceback" not in err


def test_batch_reads_stdin_without_echoing_and_steps(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("step 5 host\ninfo cores\ntrace host %s\nstep 3\ntrace host off\n"
                                                  "quit\n" % (tmp_path / "t.txt")))
    status = main(["debug", "--batch", *PINGPONG])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    assert "(psaemu)" not in out
    assert "host stepped 5 instruction(s); pc 0x" in out
    assert "host stepped 3 instruction(s)" in out
    assert "se     off" in out                                               # info cores: the SE is not released yet
    trace = (tmp_path / "t.txt").read_text().splitlines()
    assert len(trace) == 3 and all(" host " in line for line in trace)


def test_ipc_and_until_with_the_proxy(tmp_path, capsys):
    status, out, err = debug(tmp_path, "until host psa_export_key\nipc 2\n", "--quiet", capsys=capsys)
    assert status == 0, err
    assert re.search(r"host reached 0x0a26[0-9a-f]{4} <psa_export_key>", out), out
    ipc = [line for line in out.splitlines() if line.startswith("#")]
    assert len(ipc) == 2 and all("client=" in line for line in ipc)


def test_psaemu_debug_command_line(tmp_path):
    script = tmp_path / "s.txt"
    script.write_text("break host main\nrun\nbt host\nquit\n")
    r = subprocess.run([sys.executable, "-m", "psaemu.platform.cli", "debug", "--batch", "--script", str(script),
                        *PINGPONG], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "breakpoint 1 hit on host at 0x" in r.stdout and "#0  0x" in r.stdout and "<Reset_Handler+" in r.stdout
    assert "(psaemu)" not in r.stdout
