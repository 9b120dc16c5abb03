"""Block traces: expanded, they equal the per-instruction trace (the oracle) of the same run."""
from __future__ import annotations

import io

import pytest
from conftest import bundled_machine as build

import psaemu.platform.cpu.core as coremod
from psaemu.platform.cli import main as cli_main
from psaemu.platform.debug.blocktrace import MAGIC, BlockTrace, dump_trace, read_trace
from psaemu.platform.errors import PsaEmuError


def traces(name: str, core: str, quantum: int, budget: int, path) -> tuple[list[int], list[int], str]:
    """(addresses of the text trace, addresses expanded from the block trace, how the run ended)
    of two runs of the same machine (the emulator is deterministic)."""
    oracle = build(name, quantum)
    out = io.StringIO()
    oracle.trace_instructions(core, out)
    r1 = oracle.run(max_instructions=budget, timeout=60)
    oracle.stop_tracing(core)
    m = build(name, quantum)
    m.trace_blocks(core, str(path))
    r2 = m.run(max_instructions=budget, timeout=60)
    m.stop_tracing(core)
    assert r1.reason == r2.reason
    want = [int(line.split()[2], 16) for line in out.getvalue().splitlines()]
    return want, list(read_trace(path)), r2.reason


@pytest.mark.parametrize("quantum", [7, 10_000])
@pytest.mark.parametrize("name,core", [("pingpong", "host"), ("pingpong", "se"), ("crc", "host"), ("crc", "se")])
def test_expanded_block_trace_equals_the_instruction_trace(name, core, quantum, tmp_path):
    # quantum 7 cuts blocks at nearly every slice end; pingpong runs to its exit, crc to the budget
    want, got, reason = traces(name, core, quantum, 300_000, tmp_path / "t.bt")
    assert reason == ("exit" if name == "pingpong" else "budget")
    assert len(want) > 1000 and got == want


def test_it_blocks_with_failed_conditions_and_python_completed_hints(tmp_path):
    want, got, _ = traces("regression", "host", 13, 300_000, tmp_path / "t.bt")
    assert len(want) > 50_000 and got == want
    blocks = list(BlockTrace(tmp_path / "t.bt").blocks())
    assert any(n == 1 for _a, n in blocks)                       # a WFI/SEV or a run of one


def test_a_fault_cuts_the_block_at_the_faulting_instruction(tmp_path):
    want, got, reason = traces("fault_host", "host", 5, 1_000_000, tmp_path / "t.bt")
    assert reason == "fault" and got == want


def test_hook_mode_gives_the_same_trace(monkeypatch, tmp_path):
    monkeypatch.setattr(coremod, "emu_counter", lambda uc: None)      # hints as code hooks, no exits
    want, got, _ = traces("pingpong", "se", 13, 300_000, tmp_path / "t.bt")
    assert got == want


def test_file_header_dump_and_cli(tmp_path, capsys):
    m = build("pingpong", 10_000)
    path = tmp_path / "host.bt"
    m.trace_blocks("host", str(path))
    m.run(max_instructions=50)
    m.stop_tracing("host")
    assert path.read_bytes()[:8] == MAGIC
    t = BlockTrace(path)
    assert (t.version, t.core, t.isa) == (1, "host", m.host.arch) and len(t) == 50
    reset = m.host.lookup("Reset_Handler")
    first = m.host.disassemble(reset, count=3)
    text = io.StringIO()
    assert dump_trace(path, text) == 50
    lines = text.getvalue().splitlines()
    assert lines[0].startswith("# host")
    for line, insn in zip(lines[1:], first):
        assert line == f"{insn.address:#010x} {insn.mnemonic} {insn.op_str}".rstrip()
    assert cli_main(["trace-dump", str(path), "--blocks"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert sum(int(line.split()[1]) for line in out[1:]) == 50
    assert not m.debugger.tracing()


def test_bad_files_are_reported_not_raised(tmp_path, capsys):
    bad = tmp_path / "bad.bt"
    bad.write_bytes(b"hello")
    with pytest.raises(PsaEmuError, match="not a psaemu block trace"):
        BlockTrace(bad)
    good = tmp_path / "good.bt"
    m = build("pingpong", 10_000)
    m.trace_blocks("host", str(good))
    m.run(max_instructions=20)
    m.stop_tracing()
    data = good.read_bytes()
    (tmp_path / "cut.bt").write_bytes(data[:-3])
    with pytest.raises(PsaEmuError, match="truncated"):
        BlockTrace(tmp_path / "cut.bt")
    assert cli_main(["trace-dump", str(tmp_path / "missing.bt")]) != 0
    assert "cannot read the block trace" in capsys.readouterr().err
    with pytest.raises(PsaEmuError, match="cannot write"):
        m.trace_blocks("host", str(tmp_path / "no" / "dir.bt"))


def test_debugger_command_records_a_block_trace(tmp_path, capsys):
    script = tmp_path / "s.txt"
    path = tmp_path / "d.bt"
    script.write_text(f"trace host {path} blocks\nstep 40 host\ntrace host off\nquit\n")
    assert cli_main(["debug", "--script", str(script)]) == 0
    assert "tracing host blocks to" in capsys.readouterr().out
    assert len(BlockTrace(path)) == 40
