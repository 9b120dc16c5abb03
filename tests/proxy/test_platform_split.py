"""The lifted ``platform-split`` limitation: platform IOCTL served on the Host, system reset and NV
counters still forwarded to the SE firmware; TF-M v1.3 (everything forwarded) stays the default."""
from __future__ import annotations

import re
import struct

import pytest

from psaemu.platform.errors import ConfigError, EmuTimeoutError
from psaemu.proxy import host_platform as hp
from psaemu.proxy.client import boot_se_only
from psaemu.proxy.status import PsaStatus as S

SPLIT = {"lift": ["platform-split"]}
REQ_GPIO = struct.pack("<i", hp.IOCTL_GPIO_SERVICE)
REQ_PIN = struct.pack("<i", hp.IOCTL_PIN_SERVICE)


def gpio(psa, kind: int, pin: int, value: int = 0):
    """One GPIO service IOCTL: (status, result, data)."""
    r = psa.call(hp.PLATFORM_IOCTL_SID, 0, [REQ_GPIO, struct.pack("<III", kind, pin, value)], [hp.GPIO_OUT_SIZE])
    result, data = struct.unpack("<II", r.outputs[0]) if r.outputs[0] else (None, None)
    return r.status, result, data


def sids(system) -> list[int]:
    return [r.sid for r in system.records if r.sid is not None]


def test_gpio_service_is_served_on_the_host_and_nothing_reaches_the_mailbox() -> None:
    m, system = boot_se_only(machine_options=SPLIT)
    psa = m.psa
    assert gpio(psa, hp.GPIO_PIN_CONFIG, 3, 1) == (0, hp.RESULT_OK, 0)
    assert gpio(psa, hp.GPIO_PIN_WRITE, 3, 1) == (0, hp.RESULT_OK, 0)
    assert gpio(psa, hp.GPIO_PIN_READ, 3) == (0, hp.RESULT_OK, 1)
    system.spm.host_platform.set_input(5, True)                  # pin 5 is an input driven from outside
    assert gpio(psa, hp.GPIO_PORT_READ, 0xFFFF) == (0, hp.RESULT_OK, (1 << 3) | (1 << 5))
    assert gpio(psa, hp.GPIO_PIN_READ, 16) == (0, hp.RESULT_INVALID_ARG, 0)     # no pin 16
    assert gpio(psa, 99, 0) == (0, hp.RESULT_INVALID_ARG, 0)                    # unknown GPIO type
    assert not system.records                                     # no transaction in the mailbox
    kinds = [k for _, core, k, _ in m.events.records if k == "host_platform"]
    assert kinds and all(core == "host" for _, core, k, _ in m.events.records if k == "host_platform")


def test_pin_service_and_unknown_requests() -> None:
    m, system = boot_se_only(machine_options=SPLIT)
    args = struct.pack("<I4xI4xQ", hp.PIN_SET_ALTFUNC, 2, 0b1010)        # struct tfm_pin_service_args_t (24 bytes)
    r = m.psa.call(0x41, 0, [REQ_PIN, args], [4])
    assert (r.status, r.outputs) == (0, [struct.pack("<I", hp.RESULT_OK)])
    assert system.spm.host_platform.altfunc == {1: 2, 3: 2}
    r = m.psa.call(0x41, 0, [struct.pack("<i", 7), bytes(12)], [8])         # a request Musca-B1 does not have
    assert r.status == hp.TFM_PLATFORM_ERR_NOT_SUPPORTED and r.outputs == [bytes(8)]
    r = m.psa.call(0x41, 0, [REQ_GPIO, bytes(4)], [8])                      # wrong argument size
    assert r.status == hp.TFM_PLATFORM_ERR_INVALID_PARAM
    r = m.psa.call(0x41, 0, [REQ_GPIO, bytes(65)], [8])                     # over the partition's 64-byte buffer
    assert r.status == S.PSA_ERROR_PROGRAMMER_ERROR
    r = m.psa.call(0x41, 0, [], [8])                                        # no request vector
    assert r.status == hp.TFM_PLATFORM_ERR_SYSTEM_ERROR
    notes = [dict(f)["what"] for _, _, k, f in m.events.records if k == "host_platform" and dict(f)["op"] == "ioctl"]
    assert "request 7 is not supported (the Host serves pin service 0, GPIO service 1)" in notes


def test_default_profile_still_forwards_the_ioctl_to_the_se() -> None:
    m, system = boot_se_only()
    r = m.psa.call(0x41, 0, [REQ_GPIO, bytes(12)], [8])
    assert r.status == hp.TFM_PLATFORM_ERR_NOT_SUPPORTED                   # the SE HAL's answer
    assert 0x41 in sids(system)


def test_nv_counters_and_reset_still_go_to_the_se() -> None:
    m, system = boot_se_only(machine_options=SPLIT, reply_budget_s=0.02)
    # the SE refuses the NV counter service to every forwarded (non-secure) caller, as in v1.3
    r = m.psa.as_partition(268).call(0x42, 0, [struct.pack("<I", 0)], [4])
    assert r.status < 0 and 0x42 in sids(system)
    with pytest.raises(EmuTimeoutError):                                    # the SE resets and never replies
        m.psa.call(0x40)
    assert 0x40 in sids(system)
    assert any(k == "reset" and core == "se" for _, core, k, _ in m.events.records)


def test_snapshot_keeps_the_pins() -> None:
    m, system = boot_se_only(machine_options=SPLIT)
    gpio(m.psa, hp.GPIO_PORT_CONFIG, 0xF0, 1)
    snap = m.snapshot()
    gpio(m.psa, hp.GPIO_PORT_CONFIG, 0xF0, 0)
    m.restore(snap)
    assert system.spm.host_platform.direction == 0xF0


def test_regression_image_ioctl_is_answered_by_the_host_hal(capsys) -> None:
    """The regression suite's two IOCTL calls (pin service with a 4-byte argument, and with none)
    get the Musca-B1 Host HAL's INVALID_PARAM (2) instead of the SE's NOT_SUPPORTED (3); its NV
    counter test still goes to the SE and passes."""
    from psaemu.platform.cli import main
    status = main(["run", "--lift", "platform-split"])
    out = capsys.readouterr().out
    assert "TEST platform.ioctl_not_supported FAIL tfm_platform_ioctl(0, 4-byte in, 4-byte out): expected 3 got 2" \
        in out
    assert "TEST platform.ioctl_no_buffers FAIL tfm_platform_ioctl(0, NULL, NULL): expected 3 got 2" in out
    assert "TEST platform.nv_counter_read_secure PASS" in out
    assert re.search(r"regression: \d+ tests, 2 failures", out) and status == 2


def test_driving_a_pin_that_does_not_exist_is_a_named_error() -> None:
    _m, system = boot_se_only(machine_options=SPLIT)
    with pytest.raises(ConfigError, match=rf"GPIO pin {hp.GPIO_PINS} does not exist.*0\.\.{hp.GPIO_PINS - 1}"):
        system.spm.host_platform.set_input(hp.GPIO_PINS, True)
