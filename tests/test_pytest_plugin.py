"""The psaemu pytest plugin (psaemu.platform.pytest_plugin), tested through pytester runs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


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
    from psaemu.platform.images import image_path
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
    pytester.makeini("""
        [pytest]
        psaemu_host = none
    """)
    pytester.makepyfile(test_inner="""
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
    pytester.makeini("""
        [pytest]
        psaemu_host = none
    """)
    pytester.makepyfile(test_inner="""
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


def test_failure_bundle_and_replay(pytester):
    """A failing test writes a reproducer bundle; the printed replay command fails the same way
    with the same event digest at the failure (also when the random choices come from a seed
    armed by an earlier test: the generator state is part of the bundle)."""
    import json
    import shlex

    pytester.makeini("""
        [pytest]
        psaemu_host = none
    """)
    pytester.makepyfile(test_inner="""
        def test_seeds(booted):
            booted.faults.seed(11)

        def test_its_after_fault(booted):
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
    r.stdout.fnmatch_lines(["*psaemu reproducer*", "replay: pytest test_inner.py::test_its_after_fault "
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
        assert entry["faults"][0]["call"] in ("corrupt_iovec", "drop_doorbell")
        assert message in info["error"]
        line = next(ln for ln in r.outlines if ln.startswith("replay: ") and name in ln)
        cmd = shlex.split(line[len("replay: "):])
        assert cmd[0] == "pytest"
        r2 = pytester.runpytest(*args, *cmd[1:], "--psaemu-bundle-dir", "replayed")
        r2.assert_outcomes(failed=1)
        r2.stdout.fnmatch_lines([f"*{message}*"])
        again = json.loads((pytester.path / "replayed" / f"test_inner.py_{name}" / "bundle.json").read_text())
        replayed, = again["machines"]
        assert replayed["event_digest"] == entry["event_digest"] and replayed["events"] == entry["events"]
        assert again["error"] == info["error"] and replayed["replayed_from"] == str(first)
    its = json.loads((pytester.path / "bundles" / "test_inner.py_test_its_after_fault" / "bundle.json").read_text())
    assert its["machines"][0]["seed"] == 11 and its["machines"][0]["fixture"] == "booted"


def test_replay_needs_a_bundle(pytester):
    pytester.makepyfile(test_inner="""
        def test_a(booted):
            pass
    """)
    r = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "--psaemu-replay", "nowhere")
    assert "not a psaemu bundle" in r.stdout.str() + r.stderr.str()
