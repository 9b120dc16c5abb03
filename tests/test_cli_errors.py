"""Bad command lines: every one is a one-line error with the exit status docs/cli.md lists (120 for a
configuration or option error), found before the machine runs; no traceback, no OverflowError."""
from __future__ import annotations

import time

import pytest

from psaemu.platform.cli import main
from psaemu.platform.firmware.images import image_path

PINGPONG = ["--host", str(image_path("pingpong_host")), "--se", str(image_path("pingpong_se"))]


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    try:
        status = main(list(args))
    except SystemExit as exc:                   # argparse's own exits (usage errors, --help)
        status = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


@pytest.mark.parametrize("args, message", [
    (["run", "--quantum", "0"], "--quantum: 0 is out of range; give 1.."),
    (["run", "--quantum", "-5"], "--quantum: -5 is out of range"),
    (["run", "--max-instructions", "-1"], "--max-instructions: -1 is out of range"),
    (["run", "--max-instructions", "0"], "--max-instructions: 0 is out of range"),
    (["run", "--timeout", "-1"], "--timeout: '-1': give a finite number of seconds above 0"),
    (["run", "--timeout", "nan"], "--timeout: 'nan'"),
    (["run", "--timeout", "inf"], "--timeout: 'inf'"),
    (["run", "--timeout", "soon"], "--timeout: 'soon' is not a number of seconds"),
    (["run", "--fault-seed", "-1"], "--fault-seed: -1 is out of range"),
    (["gdb", "--port", "99999"], "--port: 99999 is out of range; give 0..65535"),
    (["gdb", "--port", "-1"], "--port: -1 is out of range"),
    (["gdb", "--port-per-core", "70000"], "--port-per-core: 70000 is out of range"),
    (["gdb", "--port-per-core", "65535"], "the 2 cores need ports up to 65536"),
    (["run", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["run", "--proxy", "maybe"], "invalid choice: 'maybe'"),
    (["run", "--image", "se"], "--image 'se': expected CORE=IMAGE"),
    (["run", "--image", "mars=x.elf"], "has no core 'mars'"),
    (["run", "--symbols", "host"], "--symbols 'host': expected CORE=ELF"),
    (["run", "--flash", "se.storage"], "--flash 'se.storage': expected CORE.REGION=FILE"),
    (["run", "-D", "SHARED_BUFFER_SIZE"], "no value; write SHARED_BUFFER_SIZE=VALUE to set it, or SHARED_BUFFER_SIZE="),
    (["run", "-D", "PSAEMU_CHECK_WRITEBACK=2"], "give 0 or 1"),
    (["run", "-D", "SHARED_BUFFER_SIZE=-4"], "out of range"),
    (["run", *PINGPONG, "--proxy", "off", "-D", "SHARED_BUFFER_SIZE=64"], "--define only applies with the PSA Proxy"),
    (["run", "-D", "SHARED_BUFFER_SIZE=0"], "undefine the other with --define NAME= (or -D -NAME)"),
    (["run", "--host", "none", "-D", "PSA_PROXY_SHARED_MEMORY_BASE=0x1A408002"], "is not 4-byte aligned"),
    (["run", "--fault", "corrupt_iovec:byte_offset=0x100000"], "byte_offset 1048576 is outside every input vector"),
    (["run", "--fault", "corrupt_iovec:index=7"], "index 7 is not an input vector"),
])
def test_option_errors_exit_120_before_running(capsys, args, message):
    t0 = time.monotonic()
    status, out, err = run_cli(capsys, *args, "--quiet")
    assert status == 120, (status, err)
    assert message in err, err
    assert "[host]" not in out and "[se]" not in out                   # nothing ran
    assert time.monotonic() - t0 < 20


def test_shared_buffer_size_error_names_the_define(capsys):
    _, _, err = run_cli(capsys, "run", "-D", "SHARED_BUFFER_SIZE=0", "--quiet")
    assert "with the defines SHARED_BUFFER_SIZE=0x0" in err


def test_undefine_form_dash_name_is_accepted(capsys):
    status, out, err = run_cli(capsys, "run", "--host", "none", "-D", "-PSA_PROXY_SHARED_MEMORY_BASE",
                               "-D", "-PSA_PROXY_SHARED_MEMORY_SIZE", "-D", "SHARED_BUFFER_SIZE=0x400", "--quiet")
    assert status == 120 and "no Host image is loaded" in err           # BASE really is undefined now


@pytest.mark.parametrize("option", ["--trace-events", "--trace-ipc"])
def test_trace_file_in_a_missing_directory_or_a_directory(capsys, tmp_path, option):
    for where, message in ((tmp_path / "nowhere" / "t.jsonl", "does not exist"), (tmp_path, "is a directory")):
        t0 = time.monotonic()
        status, out, err = run_cli(capsys, "run", option, str(where), "--quiet")
        assert status == 120 and f"{option} {where}" in err and message in err, err
        assert time.monotonic() - t0 < 10                               # refused before the run


def test_flash_file_that_is_a_directory(capsys, tmp_path):
    status, _, err = run_cli(capsys, "run", "--flash", f"se.storage={tmp_path}", "--quiet")
    assert status == 120 and "is a directory; give the flash file" in err and "delete it" not in err


def test_host_image_that_is_a_directory(capsys, tmp_path):
    status, _, err = run_cli(capsys, "run", "--host", str(tmp_path), "--quiet")
    assert status == 121 and "is a directory" in err and "not found" not in err


@pytest.mark.parametrize("line, message", [
    ("continue -5", "instruction count: -5 is out of range"),
    ("run 0", "instruction count: 0 is out of range"),
    ("step -1", "instruction count: -1 is out of range"),
    ("watch host 0x30000000 0", "size: 0 is out of range"),
    ("delete -3", "id: -3 is out of range"),
])
def test_debug_prompt_number_ranges(tmp_path, capsys, line, message):
    script = tmp_path / "s.psaemu"
    script.write_text(line + "\n")
    status, _, err = run_cli(capsys, "debug", *PINGPONG, "--script", str(script))
    assert status == 125 and message in err.splitlines()[0], err


def test_closed_stdout_is_an_exit_status_not_a_traceback():
    import os
    import subprocess
    import sys
    read_end, write_end = os.pipe()
    os.close(read_end)                              # the reader is gone before psaemu writes
    try:
        r = subprocess.run([sys.executable, "-m", "psaemu.platform.cli", "check"], stdout=write_end,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert r.returncode == 141 and r.stderr == "", r.stderr
