"""Register traces: the registers before every instruction equal what a Python per-instruction
hook reading them with ``uc.reg_read`` sees in a run of the same machine (the oracle)."""
from __future__ import annotations

import pytest
from conftest import bundled_machine as build
from unicorn import UC_HOOK_CODE
from unicorn import arm_const as A

import psaemu.platform.cpu.core as coremod
from psaemu.platform.cli import main as cli_main
from psaemu.platform.debug.regtrace import MAGIC, REGS, RegTrace, why_unavailable
from psaemu.platform.errors import PsaEmuError

pytestmark = pytest.mark.skipif(why_unavailable() is not None, reason=f"no native hooks: {why_unavailable()}")
IDS = [getattr(A, f"UC_ARM_REG_{n.upper()}") for n in REGS]


def oracle_run(name: str, core: str, quantum: int, budget: int) -> tuple[list[tuple[int, ...]], str]:
    """Registers before each instruction as a Python UC_HOOK_CODE reads them (plus the WFI/WFE/SEV
    Python completes, as the core reports them), and how the run ended."""
    m = build(name, quantum)
    c = m.cores[core]
    seen: list[tuple[int, ...]] = []

    def regs(pc: int) -> tuple[int, ...]:
        return (pc, *(c.uc.reg_read(r) for r in IDS[1:]))

    c.uc.hook_add(UC_HOOK_CODE, lambda uc, address, size, _ud: seen.append(regs(uc.reg_read(A.UC_ARM_REG_PC))))
    c.on_skip = lambda address, size: seen.append(regs(address))
    c.on_break = lambda started: None
    c.uc.ctl_flush_tb()
    return seen, m.run(max_instructions=budget, timeout=120).reason


def traced_run(name: str, core: str, quantum: int, budget: int, path, machine: list | None = None
               ) -> tuple[list[tuple[int, ...]], str]:
    m = build(name, quantum)
    m.trace_registers(core, str(path))
    reason = m.run(max_instructions=budget, timeout=120).reason
    m.stop_tracing(core)
    if machine is not None:
        machine.append(m)
    return list(RegTrace(path)), reason


@pytest.mark.parametrize("name,core,quantum", [("crc", "host", 10_000), ("crc", "se", 7), ("exc", "host", 13),
                                               ("exc", "host", 10_000), ("pingpong", "host", 7),
                                               ("pingpong", "se", 10_000)])
def test_recorded_registers_equal_the_python_hook_oracle(name, core, quantum, tmp_path):
    want, r1 = oracle_run(name, core, quantum, 200_000)
    got, r2 = traced_run(name, core, quantum, 200_000, tmp_path / "t.rt")
    assert r1 == r2
    assert len(want) > 1000 and got == want
    if name == "exc":
        assert any(r[16] & 0x1FF for r in got)                 # registers inside exception handlers


def test_exceptions_it_blocks_hints_and_flushes(monkeypatch, tmp_path):
    import psaemu.platform.debug.regtrace as rt

    monkeypatch.setattr(rt, "FLUSH_WORDS", 64)                 # many REGS sections, cut between runs
    want, _ = oracle_run("exc", "host", 13, 300_000)
    ms: list = []
    got, _ = traced_run("exc", "host", 13, 300_000, tmp_path / "t.rt", ms)
    assert len(want) > 50_000 and got == want
    host = ms[0].cores["host"]
    ops = {pc: host.mem_read(pc, 2) for pc in {r[0] for r in got}}
    assert any(op[1] == 0xBF and op[0] & 0x0F for op in ops.values())                   # IT instructions
    assert any(op[1] == 0xBF and op[0] in (0x20, 0x30, 0x40) for op in ops.values())    # WFE/WFI/SEV
    assert any(r[16] & 0x1FF for r in got)                                              # handlers


def test_forwarded_svcs(tmp_path):
    want, _ = oracle_run("regression", "host", 1000, 300_000)
    got, _ = traced_run("regression", "host", 1000, 300_000, tmp_path / "t.rt")
    assert len(want) > 50_000 and got == want


def test_a_fault_and_hook_mode(monkeypatch, tmp_path):
    want, r1 = oracle_run("fault_host", "host", 5, 1_000_000)
    got, r2 = traced_run("fault_host", "host", 5, 1_000_000, tmp_path / "t.rt")
    assert r1 == r2 == "fault" and got == want
    monkeypatch.setattr(coremod, "emu_counter", lambda uc: None)      # hints as code hooks, no exits
    want, _ = oracle_run("pingpong", "se", 13, 100_000)
    got, _ = traced_run("pingpong", "se", 13, 100_000, tmp_path / "h.rt")
    assert got == want


def test_delta_records_are_compact_and_dump_and_debugger_work(tmp_path, capsys):
    path = tmp_path / "t.rt"
    got, _ = traced_run("crc", "host", 10_000, 100_000, path)
    data = path.read_bytes()
    assert data[:8] == MAGIC and len(data) < 16 * len(got)     # full records would take 68 bytes each
    assert cli_main(["trace-dump", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "# " + " ".join(REGS) and len(lines) == len(got) + 2
    assert [int(v, 16) for v in lines[2].split()] == list(got[0])
    script = tmp_path / "s.txt"
    script.write_text(f"trace host {tmp_path / 'd.rt'} regs\nstep 40 host\ntrace host off\nquit\n")
    assert cli_main(["debug", "--script", str(script)]) == 0
    assert "tracing host registers to" in capsys.readouterr().out
    assert len(RegTrace(tmp_path / "d.rt")) == 40


def test_bad_files_are_reported(tmp_path):
    bad = tmp_path / "bad.rt"
    bad.write_bytes(b"PSAERTRC" + b"\x01\x00\x2c\x00" + b"\0" * 32 + b"REGS\x08\x00\x00\x00" + b"\xff\xff\x01\x00\0\0\0\0")
    with pytest.raises(PsaEmuError, match="cut short"):
        list(RegTrace(bad))
    bad.write_bytes(b"junk")
    with pytest.raises(PsaEmuError, match="not a psaemu register trace"):
        RegTrace(bad)
