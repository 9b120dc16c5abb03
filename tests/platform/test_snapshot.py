"""Whole-machine snapshots: bit-identical continuation, files, refusals, flash files, extensions."""
from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from psaemu.platform.cpu.core import Block, CoreState
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.platform.testing import snapshot as snapmod
from psaemu.platform.testing.snapshot import Snapshot, SnapshotError, blockers, quiescent, register_state
from psaemu.proxy.system import attach_proxy

BUDGET = 50_000_000


def outcome(m: Machine, r, system=None) -> dict:
    """Everything a continuation must reproduce."""
    return {
        "reason": r.reason, "exit": r.exit_code, "digest": m.events.digest(), "events": len(m.events),
        "consoles": {c: m.console.text(c) for c in m.cores},
        "cycles": {n: c.cycles for n, c in m.cores.items()},
        "instructions": {n: c.instructions for n, c in m.cores.items()},
        "records": [rec.format() for rec in system.records] if system is not None else None,
        "handshake": list(system.monitor.handshake) if system is not None else None,
    }


def finish(m: Machine, system=None) -> dict:
    return outcome(m, m.run(max_instructions=BUDGET), system)


def pingpong() -> Machine:
    m = Machine()
    m.load("host", image_path("pingpong_host"))
    m.load("se", image_path("pingpong_se"))
    return m


def regression(flash_files=None):
    m = Machine(flash_files=flash_files)
    m.load("host", image_path("regression_host"))
    m.load("se", image_path("se_firmware"))
    return m, attach_proxy(m)


def boot_regression(flash_files=None, more: int = 20_000):
    """Run the regression pair until the proxy handshake is done, then ``more`` Host instructions
    further to a point between two PSA calls (no forwarded operation in flight)."""
    m, system = regression(flash_files)
    r = m.run_until(lambda m: system.proxy.ready, max_instructions=BUDGET)
    assert r.reason == "until" and system.proxy.ready
    n0 = m.host.instructions
    r = m.run_until(lambda m: m.host.instructions >= n0 + more and m.host.block is None and quiescent(m),
                    max_instructions=BUDGET)
    assert r.reason == "until" and quiescent(m)
    return m, system


def exc_host() -> Machine:
    m = Machine()
    m.load("host", image_path("exc_host"))
    return m


def store_bytes(m: Machine) -> dict[str, bytes]:
    return {name: s.buf[:s.size] for name, s in m.memory.stores.items()}


@pytest.fixture(params=["cow", "copy"])
def memory_mode(request, monkeypatch):
    """Both memory paths: kernel copy-on-write (where available) and compare-and-copy."""
    if request.param == "cow" and snapmod.memory_mode() != "cow":
        pytest.skip(f"copy-on-write memory not available here: {snapmod._os().reason}")
    monkeypatch.setenv("PSAEMU_SNAPSHOT_MEMORY", request.param)
    return request.param


# -- bit-identical continuation ------------------------------------------------------------------

@pytest.mark.parametrize("at", [1, 20_000, 60_000, 150_000])
def test_pingpong_continues_bit_identically(memory_mode, at):
    m = pingpong()
    r = m.run(max_instructions=at)
    assert r.reason == "budget"
    snap = m.snapshot()
    memory = store_bytes(m)
    first = finish(m)
    assert first["reason"] == "exit" and first["exit"] == 0
    m.restore(snap)
    assert store_bytes(m) == memory
    assert finish(m) == first
    m.restore(snap)                                  # a snapshot restores any number of times
    assert finish(m) == first


def test_regression_with_proxy_continues_bit_identically(memory_mode):
    m, system = boot_regression()
    assert system.records and m.host.state is not CoreState.BLOCKED
    snap = m.snapshot()
    first = finish(m, system)
    assert first["reason"] == "exit" and first["exit"] == 0
    assert "regression: " in first["consoles"]["host"] and " 0 failures" in first["consoles"]["host"]
    for _ in range(2):
        m.restore(snap)
        assert len(system.records) == len(snap._state["proxy"]["records"])
        assert finish(m, system) == first


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.6, 0.9])
def test_exc_host_continues_bit_identically(fraction):
    total = exc_host().run(max_instructions=BUDGET).instructions["host"]
    m = exc_host()
    assert m.run(max_instructions=int(total * fraction)).reason == "budget"
    snap = m.snapshot()
    first = finish(m)
    assert first["reason"] == "exit" and first["exit"] == 0
    assert m.host.engine.fp_frames >= 2 or fraction > 0.5
    m.restore(snap)
    assert finish(m) == first


def test_earlier_and_later_snapshots_restore_in_any_order():
    m = pingpong()
    m.run(max_instructions=30_000)
    early = m.snapshot()
    m.run(max_instructions=60_000)
    late = m.snapshot()
    end_late = finish(m)
    m.restore(early)
    end_early = finish(m)
    assert end_early == end_late                     # the same machine, the same end
    m.restore(late)                                  # the log no longer holds late's records: replaced
    assert len(m.events) == late.events
    assert finish(m) == end_late
    m.restore(early)
    assert len(m.events) == early.events and m.host.instructions == early.instructions["host"]


def test_restored_code_is_retranslated():
    """Code changed after the snapshot (and already executed) is dropped from the translation cache."""
    m = pingpong()
    m.run(max_instructions=40_000)
    snap = m.snapshot()
    first = finish(m)
    m.restore(snap)
    # Overwrite the Host's loaded image (all but its vector table) with permanently undefined
    # instructions (UDF #0), run it so the broken code is translated, then restore: the original
    # code must run again.
    image = m.host.image
    vt_end = image.vector_table + 0x200
    for seg in image.segments:
        start, end = seg.paddr, seg.paddr + len(seg.data)
        start = max(start, vt_end) if start <= image.vector_table < end else start
        if end > start:
            m.host.uc.mem_write(start, b"\x00\xde" * ((end - start) // 2))
    broken = m.run(max_instructions=200_000)
    assert broken.reason == "fault"
    m.restore(snap)
    assert finish(m) == first


def test_restore_into_another_machine_of_the_same_build():
    m1 = pingpong()
    m1.run(max_instructions=50_000)
    snap = m1.snapshot()
    first = finish(m1)
    m1_memory = store_bytes(m1)
    m2 = pingpong()
    m2.restore(snap)                                  # other Unicorn instances: the contexts are rebased
    assert finish(m2) == first
    assert store_bytes(m1) == m1_memory               # both map the same base privately: no page shared
    m1.restore(snap)
    assert finish(m1) == first


# -- files --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def regression_snapshot(tmp_path_factory):
    m, system = boot_regression()
    snap = m.snapshot()
    path = tmp_path_factory.mktemp("snap") / "regression.psnap"
    snap.save(path)
    return path, finish(m, system)


def test_file_round_trip_into_a_fresh_machine(regression_snapshot, memory_mode):
    path, first = regression_snapshot
    m = Machine.from_snapshot(path)
    assert m.psa.system.proxy.ready
    assert finish(m, m.psa.system) == first


def test_file_restores_in_another_process(regression_snapshot):
    """Nothing of this process's Unicorn instances (host pointers) travels in the file."""
    path, first = regression_snapshot
    script = (
        "import json, sys\n"
        "from psaemu.platform.system.machine import Machine\n"
        "m = Machine.from_snapshot(sys.argv[1])\n"
        "r = m.run(max_instructions=50_000_000)\n"
        "print(json.dumps([r.reason, r.exit_code, m.events.digest(), {n: c.cycles for n, c in m.cores.items()},\n"
        "                  m.console.text('host')]))\n")
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    reason, code, digest, cycles, console = json.loads(out.stdout.splitlines()[-1])
    assert (reason, code, digest, cycles, console) == (first["reason"], first["exit"], first["digest"],
                                                       first["cycles"], first["consoles"]["host"])


def test_file_restores_into_a_machine_built_by_hand(regression_snapshot):
    path, first = regression_snapshot
    m, system = regression()
    m.restore(Snapshot.load(path))
    assert finish(m, system) == first


def test_file_header_names_format_board_and_images(regression_snapshot):
    path, _ = regression_snapshot
    head = Snapshot.read_header(path)
    assert head["format"] == "psaemu-snapshot" and head["version"] == snapmod.FORMAT_VERSION
    assert head["board"]["name"] == "musca_b1"
    host = head["images"]["host"]
    assert Path(host["path"]).name == "regression_host.elf"
    assert host["sha256"] == snapmod._sha256_file(image_path("regression_host"))
    assert head["images"]["se"]["sha256"] == snapmod._sha256_file(image_path("se_firmware"))


def test_restore_refuses_a_machine_built_differently(regression_snapshot, tmp_path):
    path, _ = regression_snapshot
    snap = Snapshot.load(path)
    other = Machine()
    other.load("host", image_path("its_probe_host"))
    other.load("se", image_path("se_firmware"))
    attach_proxy(other)
    with pytest.raises(SnapshotError, match=r"core 'host' runs .*its_probe_host\.elf .*regression_host\.elf"):
        other.restore(snap)
    bare = Machine()
    bare.load("host", image_path("regression_host"))
    bare.load("se", image_path("se_firmware"))
    with pytest.raises(SnapshotError, match="attach_proxy"):
        bare.restore(snap)
    with pytest.raises(SnapshotError, match="has no image; the snapshot needs .*se_firmware"):
        m = Machine()
        m.load("host", image_path("regression_host"))
        m.restore(snap)


def test_loading_a_changed_image_is_refused(regression_snapshot, tmp_path):
    path, _ = regression_snapshot
    head = Snapshot.read_header(path)
    copy = tmp_path / "regression_host.elf"
    copy.write_bytes(Path(head["images"]["host"]["path"]).read_bytes() + b"\0")   # other bytes, same ELF
    m = Machine()
    m.load("host", copy)
    m.load("se", image_path("se_firmware"))
    attach_proxy(m)
    with pytest.raises(SnapshotError, match="sha256"):
        m.restore(Snapshot.load(path))


def test_damaged_and_foreign_files_are_refused(regression_snapshot, tmp_path):
    path, _ = regression_snapshot
    raw = Path(path).read_bytes()
    junk = tmp_path / "junk.psnap"
    junk.write_bytes(b"hello")
    with pytest.raises(SnapshotError, match="not a psaemu snapshot"):
        Snapshot.load(junk)
    cut = tmp_path / "cut.psnap"
    cut.write_bytes(raw[:-100])
    with pytest.raises(SnapshotError, match="truncated or damaged"):
        Snapshot.load(cut)
    (n,) = struct.unpack_from("<I", raw, len(snapmod.MAGIC))
    start = len(snapmod.MAGIC) + 4
    head = json.loads(raw[start:start + n])
    head["version"] = 99
    text = json.dumps(head).encode()
    newer = tmp_path / "newer.psnap"
    newer.write_bytes(snapmod.MAGIC + struct.pack("<I", len(text)) + text + raw[start + n:])
    with pytest.raises(SnapshotError, match="format version 99"):
        Snapshot.load(newer)


# -- refusals -----------------------------------------------------------------------------------

def test_snapshot_refused_while_a_python_wait_is_not_data():
    """A Python SVC handler's wait without a ``resume`` description (a closure) cannot be copied;
    forwarded PSA calls wait as data (tests/platform/test_snapshot_midcall.py)."""
    m = pingpong()
    m.run(max_instructions=10_000)
    state = m.host.state
    m.host.block, m.host.state = Block(lambda: False, lambda: None, "a test condition"), CoreState.BLOCKED
    assert not quiescent(m) and "blocked" in blockers(m)[0]
    with pytest.raises(SnapshotError, match=r"core 'host' is blocked in a Python SVC handler .*quiescent"):
        m.snapshot()
    m.host.block, m.host.state = None, state
    m.snapshot()


def test_uncovered_agent_blocks_snapshots_until_registered():
    m = pingpong()
    seen = []

    def agent():
        seen.append(1)

    m.agents.append(agent)
    with pytest.raises(SnapshotError, match="agent"):
        m.snapshot()
    register_state(m, "counter", lambda: len(seen), lambda n: seen.__setitem__(slice(None), [1] * n),
                   agents=(agent,))
    m.run(max_instructions=20_000)
    snap = m.snapshot()
    calls = len(seen)
    m.run(max_instructions=20_000)
    assert len(seen) > calls
    m.restore(snap)
    assert len(seen) == calls
    m2 = pingpong()
    with pytest.raises(SnapshotError, match="registered components"):
        m2.restore(snap)


def test_restore_takes_a_snapshot():
    with pytest.raises(SnapshotError, match="takes a Snapshot"):
        pingpong().restore("boot.psnap")


# -- flash files, debugger, coverage ------------------------------------------------------------

def test_flash_file_contents_are_restored(tmp_path):
    storage = tmp_path / "storage.bin"
    m, system = boot_regression({"se.storage": storage})
    snap = m.snapshot()
    at_snapshot = storage.read_bytes()
    first = finish(m, system)
    assert first["exit"] == 0
    assert storage.read_bytes() != at_snapshot        # ITS/PS wrote the file
    m.restore(snap)
    assert storage.read_bytes() == at_snapshot        # written back into the file
    # ITS is write-once: with the old file contents the suite would fail on its second run
    assert finish(m, system) == first
    path = tmp_path / "s.psnap"
    snap.save(path)
    storage.write_bytes(b"\xff" * len(at_snapshot))
    m2 = Machine.from_snapshot(path)
    assert storage.read_bytes() == at_snapshot
    assert finish(m2, m2.psa.system) == first


def test_breakpoints_stay_installed_across_restore():
    m = pingpong()
    m.run(max_instructions=30_000)
    snap = m.snapshot()
    plain = finish(m)
    m.restore(snap)
    bp = m.breakpoints.add("host", "main") if "main" in m.host.image.symbols else None
    target = next(s for s in ("pp_round", "check_round", "main") if s in m.host.image.symbols)
    if bp is None:
        bp = m.breakpoints.add("host", target)
    m.restore(snap)
    assert [b.id for b in m.breakpoints.list()] == [bp]
    m.breakpoints.clear()
    assert finish(m) == plain


def test_run_until_stop_state_is_part_of_the_snapshot():
    """After run_until the next run first steps over the stopped instruction; a restored machine does too."""
    m = pingpong()
    r = m.run_until(lambda m: m.host.instructions >= 25_000, max_instructions=BUDGET)
    assert r.reason == "until"
    snap = m.snapshot()
    first = finish(m)
    fresh = pingpong()
    fresh.restore(snap)
    assert finish(fresh) == first


def test_every_core_and_machine_attribute_is_classified():
    m, system = boot_regression(more=1000)
    m.snapshot()
    m.debugger                                         # created on first use
    for core in m.cores.values():
        unknown = {a for a in vars(core) if not a.startswith(snapmod.CORE_STATIC_PREFIXES)}
        unknown -= set(snapmod.CORE_DYNAMIC) | set(snapmod.CORE_STATIC)
        assert not unknown, (f"Core attributes {sorted(unknown)} are in no list of psaemu.platform.testing.snapshot: add "
                             f"each to CORE_STATIC (configuration) or to CORE_DYNAMIC and save/restore it")
    unknown = set(vars(m)) - set(snapmod.MACHINE_DYNAMIC) - set(snapmod.MACHINE_STATIC)
    assert not unknown, (f"Machine attributes {sorted(unknown)} are in no list of psaemu.platform.testing.snapshot: add "
                         f"each to MACHINE_STATIC or to MACHINE_DYNAMIC and save/restore it")


def test_a_booting_host_image_is_snapshotable_at_mailbox_ready(tmp_path):
    """A Host PSA call made before the proxy's handshake completes waits without starting, and a
    snapshot holds that wait: the regression image is snapshotable right at "mailbox ready", and
    the restored machine (same object, or built from the file) runs the suite to the same end."""
    m, system = regression()
    m.run_until(lambda m: system.proxy.ready and quiescent(m), max_instructions=BUDGET)
    assert system.proxy.ready and not system.records                # no PSA call has started
    assert m.host.state is CoreState.BLOCKED and "boot handshake" in m.host.block.what
    snap = m.snapshot()
    snap.save(tmp_path / "ready.psnap")
    first = m.run()
    assert first.reason == "exit" and first.exit_code == 0, first.message
    digest, records = m.events.digest(), len(system.records)
    m.restore(snap)
    assert m.host.state is CoreState.BLOCKED and m.host.block.resume is not None
    again = m.run()
    assert (again.exit_code, m.events.digest(), len(system.records)) == (0, digest, records)
    m2 = Machine.from_snapshot(tmp_path / "ready.psnap")
    third = m2.run()
    assert (third.exit_code, m2.events.digest()) == (0, digest)
    fresh, _ = regression()
    fresh.run()
    assert fresh.events.digest() == digest            # stopping at the snapshot point perturbs nothing
