"""Fault specifications (psaemu.platform.testing.faultspec): the text/data form of m.faults calls."""
from __future__ import annotations

import json

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.testing.faultinject import FaultInjector
from psaemu.platform.testing.faultspec import KINDS, FaultSpec, fault_spec, fault_specs
from psaemu.proxy.client import boot_se_only


def test_every_kind_is_an_injector_method():
    assert all(callable(getattr(FaultInjector, k, None)) for k in KINDS)


@pytest.mark.parametrize("text, kind, args, kwargs", [
    ("drop_doorbell", "drop_doorbell", (), {}),
    ("delay_doorbell:cycles=50000", "delay_doorbell", (), {"cycles": 50000}),
    ("corrupt_message:nth=2, word=1 ,xor=0x100", "corrupt_message", (), {"nth": 2, "word": 1, "xor": 0x100}),
    ("corrupt_iovec:index=none,byte_offset=None,xor=none,repeat=true", "corrupt_iovec", (),
     {"index": None, "byte_offset": None, "xor": None, "repeat": True}),
    ("flip_register:se,spm_check,reg=r1,mask=0x80000000", "flip_register", ("se", "spm_check"),
     {"reg": "r1", "mask": 0x80000000}),
    ("skip_instruction:host,0x10000400,nth=3", "skip_instruction", ("host", 0x10000400), {"nth": 3}),
    ("stall_se:4K", "stall_se", (4096,), {}),
])
def test_parse(text, kind, args, kwargs):
    spec = FaultSpec.parse(text)
    assert (spec.kind, spec.args, dict(spec.kwargs)) == (kind, args, kwargs)
    assert FaultSpec.parse(spec.label()) == spec                 # the label is parseable text
    assert fault_spec(json.loads(json.dumps(spec.as_data()))) == spec


def test_words_that_look_like_values_stay_text_where_text_is_wanted():
    spec = FaultSpec.parse("flip_register:se,yes,reg=r2,mask=none")     # a symbol named "yes"
    assert spec.args == ("se", "yes") and dict(spec.kwargs) == {"reg": "r2", "mask": None}
    assert FaultSpec.parse("skip_instruction:host,0x100").args == ("host", 0x100)
    with pytest.raises(ConfigError, match=r"fault 'flip_register:se,true,mask=maybe': mask must be int or none"):
        FaultSpec.parse("flip_register:se,true,mask=maybe")            # quoted as written


def test_other_forms():
    assert fault_spec(("delay_doorbell", {"cycles": 5})) == FaultSpec("delay_doorbell", (), (("cycles", 5),))
    assert fault_spec(("stall_se", 100)) == FaultSpec("stall_se", (100,))
    assert fault_specs(["drop_doorbell", None, "  "]) == [FaultSpec("drop_doorbell")]
    assert FaultSpec("corrupt_message", (), (("word", 0), ("xor", 0x100))).label() == "corrupt_message:word=0,xor=0x100"


@pytest.mark.parametrize("value, message", [
    ("explode", "fault 'explode': unknown kind; use one of drop_doorbell, delay_doorbell"),
    ("drop_doorbell:cycles=5", "unexpected keyword argument 'cycles'; drop_doorbell takes (nth=1, repeat=false)"),
    ("stall_se", "missing a required argument: 'cycles'; stall_se takes (cycles, core=se)"),
    ("stall_se:cycles=lots", "cycles must be int, got 'lots'"),
    ("drop_doorbell:repeat=1", "repeat must be bool, got '1'"),
    ("drop_doorbell:nth=true", "nth must be int, got 'true'"),
    ("drop_doorbell:nth=2,nth=3", "fault 'drop_doorbell:nth=2,nth=3': nth given more than once"),
    (("drop_doorbell", {"repeat": 1}), "repeat must be bool, got 1"),
    ({"kind": "drop_doorbell", "args": 5}, "args (a list)"),
    ("delay_doorbell:cycles=5,7", "positional value '7' after key=value arguments"),
    ("delay_doorbell:5x=1", "'5x' is not an argument name"),
    (42, "expected 'KIND[:ARG,...]'"),
    ({"kind": "drop_doorbell", "when": 1}, "expected the keys kind, args (a list), kwargs (a mapping)"),
])
def test_bad_specifications_name_the_problem(value, message):
    with pytest.raises(ConfigError) as exc:
        fault_spec(value)
    assert message in str(exc.value)


def test_arm_goes_through_the_injector_and_refusals_name_the_spec():
    m, _ = boot_se_only(reply_budget_s=0.05)
    inj = fault_spec("corrupt_iovec:index=1,byte_offset=1,xor=0x20").arm(m.faults)
    assert inj.kind == "corrupt_iovec" and m.faults.injections == [inj]
    assert m.psa.its_set(3, b"hello") == 0 and m.psa.its_get(3) == b"hEllo"
    with pytest.raises(ConfigError, match=r"fault 'corrupt_message:word=8': corrupt_message: word 8 is not 0..7"):
        fault_spec("corrupt_message:word=8").arm(m.faults)
    with pytest.raises(ConfigError, match=r"fault 'flip_register:se,nowhere': .*no symbol 'nowhere'"):
        fault_spec("flip_register:se,nowhere").arm(m.faults)
