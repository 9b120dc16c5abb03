"""One machine builder: ``build_machine(MachineSpec(...))`` and the rules every front end gets from
it (images per core, who plays the Host's secure side, security enforcement, proxy macros), the
CLI, pytest plugin, scripted client and snapshot restore building through it.

Expected values come from the images' own content (read with LIEF, not psaemu's loader) and the
board's core names, not from the builder's tables."""
from __future__ import annotations

import lief
import pytest

from psaemu.platform import cli
from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.builder import MachineSpec, build_machine
from psaemu.platform.testing.pytest_plugin import machine_spec as plugin_spec
from psaemu.platform.testing.snapshot import quiescent, snapshot_spec
from psaemu.proxy.client import boot_se_only

OWN_PROXY = "own_proxy_host"


def entry(name: str) -> int:
    """The ELF's entry point as LIEF reads it (an oracle independent of psaemu's loader)."""
    return lief.parse(str(image_path(name))).header.entrypoint & ~1


def test_defaults_load_the_bundled_pair_and_attach_the_proxy():
    lines: list[str] = []
    m = build_machine(MachineSpec(announce=lines.append))
    assert m.cores["host"].image.path == str(image_path("regression_host"))
    assert m.cores["se"].image.path == str(image_path("se_firmware"))
    assert m.proxy_system is not None and m.psa is m.proxy_system.psa
    assert len(lines) == 1 and lines[0].startswith("host: PSA client issuing the client SVCs itself")


def test_none_leaves_a_core_empty_and_unnamed_cores_get_defaults_only_when_asked():
    m = build_machine(MachineSpec(images={"host": "none"}))
    assert m.cores["host"].image is None and m.cores["se"].image is not None
    assert m.proxy_system is not None                  # no Host image: scripted clients drive the SE
    m = build_machine(MachineSpec(images={"se": "pingpong_se", "host": "pingpong_host"}))
    assert m.proxy_system is None                      # bare metal: no proxy model
    m = build_machine(MachineSpec(images={"se": "se_firmware"}, default_images=False))
    assert m.cores["host"].image is None
    with pytest.raises(ConfigError, match=r"no image to run.*images=\{CORE: IMAGE\}"):
        build_machine(MachineSpec(images={"host": None, "se": "none"}))
    with pytest.raises(ConfigError, match="has no core 'dsp'"):
        build_machine(MachineSpec(images={"dsp": "pingpong_se"}))


def test_an_image_with_its_own_secure_side_runs_without_proxy_or_enforcement_in_every_front_end():
    """The same rule whichever front end builds: the CLI, the pytest plugin's spec, the Python API."""
    args = cli.build_parser().parse_args(["run", "-q", "--host", OWN_PROXY])
    for spec in (cli.machine_spec(args), plugin_spec(None, OWN_PROXY, "se_firmware"),
                 MachineSpec(images={"host": OWN_PROXY})):
        m = build_machine(spec)
        assert m.proxy_system is None
        assert m.cores["host"].security is not None and not m.cores["host"].security.enabled
        assert m.cores["host"].pc == entry(OWN_PROXY)
    forced = build_machine(MachineSpec(images={"host": OWN_PROXY}, proxy="on"))
    assert forced.proxy_system is not None and forced.cores["host"].security.enabled


def test_defines_without_the_proxy_are_refused_naming_the_option_as_written():
    with pytest.raises(ConfigError, match=r"^defines only applies with the PSA Proxy, which is off; add proxy='on'"):
        build_machine(MachineSpec(proxy="off", defines=["SHARED_BUFFER_SIZE=64"]))
    args = cli.build_parser().parse_args(["run", "-q", "--host", "pingpong_host", "-D", "SHARED_BUFFER_SIZE=64"])
    with pytest.raises(ConfigError, match=r"^--define only applies .* this Host image does not use; add --proxy on"):
        build_machine(cli.machine_spec(args))
    with pytest.raises(ConfigError, match="psaemu_defines only applies"):
        build_machine(plugin_spec(None, "pingpong_host", "pingpong_se", ("SHARED_BUFFER_SIZE=64",)))


def test_machine_options_quantum_faults_and_seed_come_from_the_spec():
    m = build_machine(MachineSpec(quantum=777, fault_policy="firmware", event_limit=500,
                                  faults=["drop_doorbell:nth=2"], fault_seed=9))
    assert m.quantum == 777 and all(c.fault_policy == "firmware" for c in m.cores.values())
    assert m.events.limit == 500
    injected = [m.events.format(e) for e in m.events.of_kind("inject")]
    assert len(injected) == 2 and "seed=9" in injected[0] and "fault=drop_doorbell" in injected[1]
    with pytest.raises(ConfigError, match="MachineSpec has no field 'quantom'"):
        MachineSpec().replace(quantom=1)


def test_boot_se_only_builds_through_the_spec():
    m, system = boot_se_only(machine_options={"quantum": 2000})
    assert m.quantum == 2000 and m.cores["host"].image is None and system is m.proxy_system
    assert system.proxy.ready


def test_a_snapshot_derives_the_spec_of_its_machine():
    m = build_machine(MachineSpec(images={"host": "none"}, quantum=3000,
                                  defines={"PSA_PROXY_ADDR_TRANSLATION": 1}))
    m.set_released("se", True, "test")
    m.psa.wait_ready()
    assert quiescent(m)
    spec = snapshot_spec(m.snapshot())
    assert spec.proxy == "on" and spec.quantum == 3000 and spec.default_images is False
    assert set(spec.images) == {"se"} and spec.defines["PSA_PROXY_ADDR_TRANSLATION"] == 1
    again = build_machine(spec)
    assert again.proxy_system.placement == m.proxy_system.placement
    bare = build_machine(MachineSpec(images={"host": "pingpong_host", "se": "pingpong_se"}))
    assert snapshot_spec(bare.snapshot()).proxy == "off"
