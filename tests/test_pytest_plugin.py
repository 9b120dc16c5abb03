"""The psaemu pytest plugin (psaemu.platform.testing.pytest_plugin), tested through pytester runs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


def se_only_suite(pytester, source: str) -> None:
    """test_inner.py with ``source``, under an ini that drives the SE from Python (no Host image)."""
    pytester.makeini("""
        [pytest]
        psaemu_host = none
    """)
    pytester.makepyfile(test_inner=source)


def test_plugin_registered(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("psaemu")


def test_ini_keys_and_options(pytester):
    pytester.makeini("""
        [pytest]
        psaemu_board = musca_b1
        psaemu_host = none
        psaemu_se = se_firmware
        psaemu_defines =
            PSA_PROXY_ADDR_TRANSLATION=1
    """)
    pytester.makepyfile(test_ini="""
        import pytest

        def test_settings(psaemu_settings):
            assert psaemu_settings.board == "musca_b1"
            assert psaemu_settings.host is None
            assert psaemu_settings.se == "se_firmware"
            assert psaemu_settings.defines == ("PSA_PROXY_ADDR_TRANSLATION=1",)

        def test_machine(machine):
            assert machine.board.name == "musca_b1"
            assert machine.host.image is None
            assert machine.se.image.path.endswith("se_firmware.elf")
            assert machine.psa.system.config.translation is True    # no Host image: scripted set-up

        @pytest.mark.psaemu_images(host="pingpong_host", se="pingpong_se")
        def test_marker(psaemu_machine_factory):
            m = psaemu_machine_factory(defines=())
            assert m.host.image.path.endswith("pingpong_host.elf")
            assert m.__dict__.get("psa") is None                    # pingpong_host does not carry the proxy

        @pytest.mark.psaemu_board("musca_b1")
        def test_factory(psaemu_machine_factory):
            m = psaemu_machine_factory(se="none", host="idle_host", defines=())
            assert m.se.image is None and m.host.image is not None
    """)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark").assert_outcomes(passed=4)
    # command-line options override the ini keys (an image by path as well as by name)
    from psaemu.platform.firmware.images import image_path
    pytester.makepyfile(test_ini="""
        def test_options(psaemu_settings, machine):
            assert psaemu_settings.defines == ()
            assert machine.host.image.path.endswith("pingpong_host.elf")
            assert machine.se.image.path.endswith("pingpong_se.elf")
    """)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "--psaemu-host=pingpong_host",
                       f"--psaemu-se={image_path('pingpong_se')}", "--psaemu-define=").assert_outcomes(passed=1)
    # a bad define reaches the machine's configuration and is reported
    r = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "--psaemu-define=NOT_A_MACRO=1")
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*unknown macro 'NOT_A_MACRO'*"])


def test_booted_restores_between_tests(pytester):
    se_only_suite(pytester, """
        import pytest
        from psaemu.proxy.client import PsaError

        SEEN = []

        def test_write(booted):
            SEEN.append(booted)
            assert booted.psa.its_set(0x42, b"leak?") == 0
            assert booted.psa.its_get(0x42) == b"leak?"

        def test_no_leak(booted, psaemu_boot_cache):
            assert booted is SEEN[0]                 # the same Machine object...
            assert not booted.psa.system.records     # ...but not its state: IPC records rolled back
            with pytest.raises(PsaError):            # and the ITS asset is gone
                booted.psa.its_get(0x42)
            assert psaemu_boot_cache.boots == 1

        def test_arm_unfired(booted):
            booted.faults.drop_doorbell(nth=1)       # armed, never fired in this test

        def test_injection_does_not_leak(booted):
            from psaemu.proxy.client import PsaClient
            psa = PsaClient(booted.psa.system, reply_budget_s=0.05)
            assert psa.its_set(0x43, b"ok") == 0
    """)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "-p", "no:randomly").assert_outcomes(passed=4)


def test_failure_report_sections(pytester):
    se_only_suite(pytester, """
        import pytest

        def test_fails(booted):
            booted.psa.its_set(0x77, b"x")
            assert False, "deliberate"

        @pytest.mark.psaemu_images(host="fault_host", se=None)
        def test_faults(machine):
            machine.run(max_instructions=10**6)
            assert machine.faulted is None, "deliberate"

        def test_passes(booted):
            pass
    """)
    r = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark")
    r.assert_outcomes(failed=2, passed=1)
    out = r.stdout.str()
    assert out.count("psaemu console (host/se tail, last 20 lines)") == 2
    assert out.count("psaemu IPC (last 10 records)") == 1      # fault_host has no proxy
    assert out.count("psaemu fault report") == 1
    r.stdout.fnmatch_lines(["*se: mailbox ready*", "*CONNECT client=-1 sid=0x70*PSA_SUCCESS*", "*CALL client=-1*PSA_SUCCESS*",
                            "*FAULT on core 'host'*"])


@pytest.mark.skipif(not (ROOT / "examples").is_dir(), reason="examples/ not in this checkout")
def test_examples_under_xdist():
    r = subprocess.run([sys.executable, "-m", "pytest", "examples", "-n", "2", "-q", "-p", "no:cacheprovider"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "passed" in r.stdout


@pytest.mark.skipif(not (ROOT / "examples").is_dir(), reason="examples/ not in this checkout")
def test_deliberately_failing_example_replays_from_the_printed_command(tmp_path):
    """examples/failing, run from the repository root as the README says: it fails, writes a
    bundle and prints a command; that command, run from the same place, fails the same way with
    the same event digest."""
    import json
    import shlex

    def pytest_run(*args):
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    r = pytest_run("examples/failing", "--psaemu-bundle-dir", str(tmp_path / "b"))
    assert r.returncode == 1 and "the ITS value came back changed" in r.stdout, r.stdout[-3000:]
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("replay: "))
    cmd = shlex.split(line[len("replay: "):])
    assert cmd[1:3] == ["-m", "pytest"] and cmd[-3:-1] == [
        "examples/failing/test_deliberate_failure.py::test_its_value_survives_the_trip", "--psaemu-replay"]
    assert cmd[3:-3] == ["-p", "no:cacheprovider"]                       # the run's collection options
    r2 = subprocess.run(line[len("replay: "):] + f" --psaemu-bundle-dir {tmp_path / 'again'}", shell=True,
                        cwd=ROOT, capture_output=True, text=True, timeout=300)   # pasted verbatim
    assert r2.returncode == 1 and "the ITS value came back changed" in r2.stdout, r2.stdout[-3000:]
    first, = (tmp_path / "b").iterdir()
    again, = (tmp_path / "again").iterdir()
    one, two = (json.loads((d / "bundle.json").read_text()) for d in (first, again))
    assert one["machines"][0]["plugin_fault_labels"] == ["corrupt_iovec:index=1,byte_offset=none,xor=none"]
    assert one["machines"][0]["event_digest"] == two["machines"][0]["event_digest"]
    assert one["error"] == two["error"]


def test_failure_bundle_and_replay(pytester):
    """A failing test writes a reproducer bundle; the printed replay command fails the same way
    with the same event digest at the failure (also when the random choices come from a seed the
    test sets itself)."""
    import json
    import shlex

    se_only_suite(pytester, """
        def test_seeds(booted):
            booted.faults.seed(11)
            booted.faults.drop_doorbell(nth=5)          # armed, never fired: must not reach the next test

        def test_its_after_fault(booted):
            assert not booted.faults.injections and booted.faults.seed_value == 0
            booted.faults.seed(11)
            booted.faults.corrupt_iovec(index=None, byte_offset=None)    # seeded random byte
            booted.psa.its_set(0x2001, b"hello world")
            assert booted.psa.its_get(0x2001) == b"hello world", "ITS value corrupted"

        def test_machine_fails(machine):
            machine.faults.drop_doorbell()
            assert machine.faults.injections[0].kind == "nothing", "machine fixture failure"
    """)
    args = ("-p", "no:cacheprovider", "-p", "no:benchmark")
    r = pytester.runpytest(*args, "--psaemu-bundle-dir", "bundles")
    r.assert_outcomes(passed=1, failed=2)
    r.stdout.fnmatch_lines(["*psaemu reproducer*", "replay: * -m pytest * test_inner.py::test_its_after_fault "
                            "--psaemu-replay */bundles/test_inner.py_test_its_after_fault"])
    for name, message in (("test_its_after_fault", "ITS value corrupted"), ("test_machine_fails", "machine fixture failure")):
        first = pytester.path / "bundles" / f"test_inner.py_{name}"
        assert {p.name for p in first.iterdir()} >= {"snapshot.psaemu", "bundle.json", "events.txt", "console-se.txt",
                                                     "console-host.txt", "ipc.txt"}
        info = json.loads((first / "bundle.json").read_text())
        assert info["format"] == "psaemu-bundle/2"
        assert info["nodeid"] == f"test_inner.py::{name}" and info["psaemu_version"]
        entry, = info["machines"]
        assert entry["board"]["name"] == "musca_b1" and entry["images"]["se"].endswith("se_firmware.elf")
        assert entry["faults"][-1]["call"] in ("corrupt_iovec", "drop_doorbell")
        assert message in info["error"]
        line = next(ln for ln in r.outlines if ln.startswith("replay: ") and name in ln)
        cmd = shlex.split(line[len("replay: "):])
        assert cmd[1:3] == ["-m", "pytest"]
        r2 = pytester.runpytest(*args, *cmd[cmd.index(f"test_inner.py::{name}"):], "--psaemu-bundle-dir", "replayed")
        r2.assert_outcomes(failed=1)
        r2.stdout.fnmatch_lines([f"*{message}*"])
        again = json.loads((pytester.path / "replayed" / f"test_inner.py_{name}" / "bundle.json").read_text())
        replayed, = again["machines"]
        assert replayed["event_digest"] == entry["event_digest"] and replayed["events"] == entry["events"]
        assert again["error"] == info["error"] and replayed["replayed_from"] == str(first)
    its = json.loads((pytester.path / "bundles" / "test_inner.py_test_its_after_fault" / "bundle.json").read_text())
    assert its["machines"][0]["faults"][0] == {"call": "seed", "args": [11], "kwargs": {}}
    assert its["machines"][0]["fixture"] == "booted"


def test_replay_needs_a_bundle(pytester):
    pytester.makepyfile(test_inner="""
        def test_a(booted):
            pass
    """)
    r = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "--psaemu-replay", "nowhere")
    assert "not a psaemu bundle" in r.stdout.str() + r.stderr.str()


FAULT_SUITE = """
    import pytest
    from psaemu.platform.testing.pytest_plugin import fault_cases

    def fired(m):
        return [dict(e[3])["fault"] for e in m.events.of_kind("inject") if dict(e[3]).get("action") == "fire"]

    @pytest.mark.psaemu_fault("corrupt_iovec", index=1, byte_offset=0, xor=0x20)
    def test_marker(booted):
        assert booted.psa.its_set(5, b"hello") == 0
        assert booted.psa.its_get(5) == b"Hello"            # 'h' ^ 0x20 on its way to the SE
        assert fired(booted) == ["corrupt_iovec"]

    @pytest.mark.parametrize("psaemu_fault", fault_cases("duplicate_doorbell", "delay_doorbell:cycles=50000",
                                                         ("corrupt_message", {"nth": 2, "word": 0, "xor": 0x100}),
                                                         baseline=True))
    def test_param(booted, psaemu_fault):
        status = booted.psa.its_set(6, b"x")
        if psaemu_fault is not None and psaemu_fault.kind == "corrupt_message":
            assert status == -134                               # the psa_call's type corrupted: NOT_SUPPORTED
        else:
            assert status == 0
        assert fired(booted) == ([] if psaemu_fault is None else [psaemu_fault.kind])

    @pytest.mark.psaemu_seed(7)
    @pytest.mark.psaemu_fault("corrupt_iovec", index=1, byte_offset=None, xor=None)
    def test_seeded(booted):
        booted.psa.its_set(9, b"abcdefgh")
        e = [dict(e[3]) for e in booted.events.of_kind("inject") if dict(e[3]).get("action") == "fire"][0]
        assert booted.faults.seed_value == 7
        import random
        r = random.Random(7)                                    # offset in the 8-byte value, then the xor
        assert (e["byte_offset"], e["xor"]) == (r.randrange(8), r.randrange(1, 256))

    def test_machine(machine):
        assert not machine.faults.injections
"""


def test_fault_markers_and_parameters(pytester):
    """psaemu_fault markers and fault_cases parameters arm m.faults before the test body; the
    seed marker makes random choices repeatable; each case's id is the fault's text form."""
    se_only_suite(pytester, FAULT_SUITE)
    r = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "-v")
    r.assert_outcomes(passed=7)
    r.stdout.fnmatch_lines(["*test_param?no_fault? PASSED*", "*test_param?duplicate_doorbell? PASSED*",
                            "*test_param?delay_doorbell:cycles=50000? PASSED*",
                            "*test_param?corrupt_message:nth=2,word=0,xor=0x100? PASSED*"])


def test_fault_option_arms_every_test_and_bad_specs_are_reported(pytester):
    pytester.makeini("""
        [pytest]
        psaemu_host = none
        psaemu_faults =
            duplicate_doorbell:repeat=true
    """)
    pytester.makepyfile(test_inner="""
        import pytest

        def test_ini_fault(booted):
            assert booted.psa.its_set(1, b"a") == 0
            kinds = {i.kind for i in booted.faults.injections}
            assert "duplicate_doorbell" in kinds

        def test_machine_gets_it_too(machine):
            assert [i.kind for i in machine.faults.injections][:1] == ["duplicate_doorbell"]

        @pytest.mark.psaemu_fault("drop_doorbell", bogus=1)
        def test_bad_marker(booted):
            pass

        @pytest.mark.psaemu_images(host="pingpong_host", se="pingpong_se")
        def test_no_proxy(machine):
            pass
    """)
    args = ("-p", "no:cacheprovider", "-p", "no:benchmark")
    r = pytester.runpytest(*args)
    r.assert_outcomes(passed=2, errors=2)
    out = r.stdout.str()
    r.stdout.fnmatch_lines(["*test_bad_marker*psaemu_fault marker: fault 'drop_doorbell:bogus=1': got an unexpected "
                            "keyword argument 'bogus'; drop_doorbell takes (nth=1, repeat=false)*",
                            "*fault 'duplicate_doorbell:repeat=true': IPC fault injection needs the PSA Proxy*"])
    assert "Traceback" not in out and "During handling" not in out and "raise " not in out
    # the option replaces the ini key's faults; a bad option stops the session as a usage error
    r = pytester.runpytest(*args, "--psaemu-fault", "stall_se:cycles=oops", "-k", "ini_fault")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    assert "--psaemu-fault: fault 'stall_se:cycles=oops': cycles must be int, got 'oops'" in r.stderr.str()
    r = pytester.runpytest(*args, "--psaemu-fault", "nosuch:1", "-k", "ini_fault")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    assert "--psaemu-fault: fault 'nosuch:1': unknown kind; use one of drop_doorbell" in r.stderr.str()
    r = pytester.runpytest(*args, "--psaemu-seed", "seven", "-k", "ini_fault")
    assert r.ret == pytest.ExitCode.USAGE_ERROR and "--psaemu-seed" in r.stderr.str()


def test_bundle_replays_the_plugin_faults_and_factory_machines(pytester):
    """A bundle holds every machine the test used (booted and two factory machines here) and the
    faults the plugin armed; the replay needs no options and reproduces every machine's digest."""
    import json
    import shlex

    se_only_suite(pytester, """
        def test_many(booted, psaemu_machine_factory):
            booted.psa.its_set(1, b"abc")
            a = psaemu_machine_factory()
            b = psaemu_machine_factory(host="idle_host", se="se_firmware")
            b.run(max_instructions=50_000)
            assert booted.psa.its_get(1) == b"abc", "value changed"
    """)
    args = ("-p", "no:cacheprovider", "-p", "no:benchmark")
    r = pytester.runpytest(*args, "--psaemu-fault", "corrupt_iovec:index=1,byte_offset=None,xor=None",
                           "--psaemu-seed", "3", "--psaemu-bundle-dir", "bundles")
    r.assert_outcomes(failed=1)
    bundle = pytester.path / "bundles" / "test_inner.py_test_many"
    info = json.loads((bundle / "bundle.json").read_text())
    assert [(e["fixture"], e["dir"]) for e in info["machines"]] == [("booted", "."), ("factory", "machine-1"),
                                                                   ("factory", "machine-2")]
    assert info["machines"][0]["plugin_fault_labels"] == ["corrupt_iovec:index=1,byte_offset=none,xor=none"]
    assert info["machines"][0]["plugin_seed"] == 3 and info["machines"][2]["plugin_faults"] == []
    assert (bundle / "machine-2" / "snapshot.psaemu").is_file() and (bundle / "machine-2" / "console-se.txt").is_file()
    line = next(ln for ln in r.outlines if ln.startswith("replay: "))
    words = shlex.split(line[len("replay: "):])
    r2 = pytester.runpytest(*words[3:], "--psaemu-bundle-dir", "again")          # after "python -m pytest"
    r2.assert_outcomes(failed=1)
    r2.stdout.fnmatch_lines(["*value changed*"])
    again = json.loads((pytester.path / "again" / "test_inner.py_test_many" / "bundle.json").read_text())
    assert [e["event_digest"] for e in again["machines"]] == [e["event_digest"] for e in info["machines"]]
    # a bundle replayed against a test that makes more machines than it holds says so
    pytester.makepyfile(test_inner="""
        def test_many(booted, psaemu_machine_factory):
            for _ in range(3):
                psaemu_machine_factory()
    """)
    r3 = pytester.runpytest(*args, "test_inner.py::test_many", "--psaemu-replay", str(bundle))
    r3.assert_outcomes(failed=1)
    r3.stdout.fnmatch_lines(["*the bundle has 2 machine(s) from 'factory' but the test asks for another*"])


def test_booted_with_a_host_image_starts_at_mailbox_ready(pytester):
    """With a Host image that calls PSA services as soon as it boots, `booted` still starts every
    test at "mailbox ready": the handshake done and the Host's first call not yet started."""
    pytester.makeini("""
        [pytest]
        psaemu_host = regression_host
    """)
    pytester.makepyfile(test_inner="""
        def test_at_ready(booted):
            assert booted.psa.system.proxy.ready and not booted.psa.system.records
            assert "boot handshake" in booted.host.block.what
            assert "mailbox ready" in booted.console.text("se")
            assert "regression:" not in booted.console.text("host")      # the Host suite has not ended

        def test_runs_the_host_suite(booted):
            r = booted.run()
            assert r.reason == "exit" and r.exit_code == 0, r.message
            assert " 0 failures" in booted.console.text("host")

        def test_again_from_ready(booted, psaemu_boot_cache):
            assert not booted.psa.system.records and psaemu_boot_cache.boots == 1
            assert booted.psa.its_set(0x5151, b"scripted") == 0       # a scripted call beside the firmware
            assert booted.psa.its_get(0x5151) == b"scripted"
    """)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "-p", "no:randomly").assert_outcomes(passed=3)


def test_booted_tests_do_not_see_each_others_injections(pytester):
    """The fault injector of the shared `booted` machine starts fresh in every test (no injection,
    seed 0, ids from 1), so a test's event trace does not depend on the tests before it."""
    se_only_suite(pytester, """
        DIGESTS = []

        def run(booted):
            booted.faults.duplicate_doorbell()
            booted.psa.its_set(3, b"x")
            DIGESTS.append(booted.events.digest())

        def test_one(booted):
            booted.faults.seed(99)
            booted.faults.drop_doorbell(nth=7)
            run(booted)

        def test_two(booted):
            assert not booted.faults.injections and booted.faults.seed_value == 0
            run(booted)

        def test_three(booted):
            run(booted)
            assert DIGESTS[1] == DIGESTS[2] != DIGESTS[0]
    """)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "-p", "no:randomly").assert_outcomes(passed=3)


def test_replay_refuses_another_test_and_damaged_bundles(pytester):
    import json

    se_only_suite(pytester, """
        import pytest
        from psaemu.platform.testing.pytest_plugin import fault_cases

        def test_fails(booted):
            assert False, "deliberate"

        def test_other(booted):
            pass

        @pytest.mark.psaemu_fault("drop_doorbell:nth=2")             # the text form works in a marker
        def test_text_marker(booted):
            assert [(i.kind, i.nth) for i in booted.faults.injections] == [("drop_doorbell", 2)]

        @pytest.mark.parametrize("psaemu_fault", fault_cases("drop_doorbell", "explode:1"))
        def test_cases(booted, psaemu_fault):
            pass
    """)
    args = ("-p", "no:cacheprovider", "-p", "no:benchmark")
    r = pytester.runpytest(*args, "--psaemu-bundle-dir", "b")
    r.assert_outcomes(failed=1, passed=3, errors=1)       # a bad fault case fails its own set-up only
    r.stdout.fnmatch_lines(["*test_cases?explode:1?*fault 'explode:1': unknown kind*"])
    assert "Traceback" not in r.stdout.str()
    bundle = pytester.path / "b" / "test_inner.py_test_fails"
    r = pytester.runpytest(*args, "test_inner.py::test_other", "--psaemu-replay", str(bundle))
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*the bundle was written by test_inner.py::test_fails, not test_inner.py::test_other; "
                            "replay it with: * -m pytest * test_inner.py::test_fails --psaemu-replay*"])
    info = json.loads((bundle / "bundle.json").read_text())
    del info["machines"]
    (bundle / "bundle.json").write_text(json.dumps(info))
    r = pytester.runpytest(*args, "test_inner.py::test_fails", "--psaemu-replay", str(bundle))
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    assert "'machines' (a non-empty list) and 'rootid' are missing or damaged" in r.stderr.str()
    assert "Traceback" not in r.stderr.str() + r.stdout.str()


def test_a_machine_that_could_not_be_snapshotted_keeps_its_place_in_the_bundle(pytester):
    import json

    se_only_suite(pytester, """
        import psaemu.platform.testing.snapshot as snapmod

        def test_two_factory_machines(psaemu_machine_factory, monkeypatch):
            real = snapmod.quiescent
            calls = []
            def first_not_quiescent(m):
                calls.append(m)
                return len(calls) > 1 and real(m)
            monkeypatch.setattr(snapmod, "quiescent", first_not_quiescent)
            a = psaemu_machine_factory()
            b = psaemu_machine_factory()
            monkeypatch.undo()
            assert False, "deliberate"
    """)
    args = ("-p", "no:cacheprovider", "-p", "no:benchmark")
    r = pytester.runpytest(*args, "--psaemu-bundle-dir", "b")
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*note: machine(s) 0 could not be snapshotted when the test made them*"])
    bundle = pytester.path / "b" / "test_inner.py_test_two_factory_machines"
    info = json.loads((bundle / "bundle.json").read_text())
    assert [(e["dir"], e["snapshot"]) for e in info["machines"]] == [(".", False), ("machine-1", True)]
    assert not (bundle / "snapshot.psaemu").exists() and (bundle / "machine-1" / "snapshot.psaemu").is_file()
    r = pytester.runpytest(*args, "test_inner.py::test_two_factory_machines", "--psaemu-replay", str(bundle))
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*machine 0 (factory) could not be snapshotted when the test made it*"])
