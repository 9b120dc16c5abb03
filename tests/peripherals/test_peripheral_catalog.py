"""Peripheral catalog: building models from board entries, key checks, shared MHU links."""
from __future__ import annotations

import pathlib

import pytest
import tomllib

from psaemu.peripherals import catalog
from psaemu.peripherals.mhuv2 import MhuV2Receiver, MhuV2Sender
from psaemu.peripherals.pl011 import Pl011
from psaemu.peripherals.scc import MuscaB1Scc

BOARD = pathlib.Path(__file__).resolve().parents[2] / "platform" / "system" / "boards" / "musca_b1.toml"
MHU = {"channels": 1, "revision": "2.0"}


def test_unknown_type_is_a_key_error_naming_known_types():
    with pytest.raises(KeyError) as info:
        catalog.create("uart16550", "u", {}, {}, MHU)
    assert info.value.key == "type"
    assert "uart16550" in str(info.value) and "pl011" in str(info.value)


def test_types_and_allowed_keys_agree():
    assert set(catalog.PERIPHERAL_TYPES) == set(catalog.ALLOWED_KEYS)


def test_builds_each_type():
    links: dict = {}
    assert isinstance(catalog.create("pl011", "u", {"base": 0}, links, MHU), Pl011)
    assert isinstance(catalog.create("musca_b1_scc", "s", {"controls": "se"}, links, MHU), MuscaB1Scc)
    snd = catalog.create("mhuv2_sender", "a", {"link": "l"}, links, MHU)
    rcv = catalog.create("mhuv2_receiver", "b", {"link": "l"}, links, MHU)
    assert isinstance(snd, MhuV2Sender) and isinstance(rcv, MhuV2Receiver)


def test_frames_of_one_link_share_it():
    links: dict = {}
    snd = catalog.create("mhuv2_sender", "a", {"link": "h2s"}, links, {"channels": 2, "revision": "2.1"})
    rcv = catalog.create("mhuv2_receiver", "b", {"link": "h2s"}, links, {"channels": 2, "revision": "2.1"})
    other = catalog.create("mhuv2_receiver", "c", {"link": "s2h"}, links, {"channels": 2, "revision": "2.1"})
    assert snd.link is rcv.link is links["h2s"]
    assert other.link is links["s2h"] and other.link is not snd.link
    assert links["h2s"].channels == 2 and links["h2s"].revision == "2.1"
    snd.write(0x0C, 4, 0xAE)                       # behaviour really goes through the shared link
    assert rcv.read(0x00, 4) == 0xAE
    assert other.read(0x00, 4) == 0
    assert catalog.link_problems(links) == ["MHU link 's2h' has no sender"]


def test_second_sender_on_a_link_rejected():
    links: dict = {}
    catalog.create("mhuv2_sender", "a", {"link": "l"}, links, MHU)
    with pytest.raises(ValueError) as info:
        catalog.create("mhuv2_sender", "b", {"link": "l"}, links, MHU)
    assert info.value.key == "link" and "already has a sender" in str(info.value)


@pytest.mark.parametrize("type_name,params,key", [
    ("pl011", {"link": "x"}, "link"),
    ("musca_b1_scc", {"link": "l"}, "link"),
    ("musca_b1_scc", {"irqs": {"comb": 3}}, "irqs.comb"),
    ("mhuv2_sender", {"link": "l", "controls": "se"}, "controls"),
    ("mhuv2_sender", {}, "link"),
    ("mhuv2_receiver", {"link": 3}, "link"),
    ("mhuv2_receiver", {"link": "l", "irqs": {"msg124": 25}}, "irqs.msg124"),
    ("mhuv2_receiver", {"link": "l", "irqs": {"nr2r": 25}}, "irqs.nr2r"),
    ("mhuv2_sender", {"link": "l", "irqs": {"nr2r": -1}}, "irqs.nr2r"),
    ("mhuv2_sender", {"link": "l", "irqs": [85]}, "irqs"),
    ("pl011", {"irqs": {"rx": 3}}, "irqs.rx"),
    ("musca_b1_scc", {"controls": 7}, "controls"),
])
def test_bad_parameters_name_the_key(type_name, params, key):
    links: dict = {}
    with pytest.raises(ValueError) as info:
        catalog.create(type_name, "p", params, links, MHU)
    assert info.value.key == key
    for link in links.values():                    # a rejected entry leaves no frame behind
        assert link.sender is None and link.receiver is None


@pytest.mark.parametrize("mhu,key", [
    ({"channels": 0}, "mhu.channels"), ({"channels": 125}, "mhu.channels"),
    ({"channels": True}, "mhu.channels"), ({"revision": "2.2"}, "mhu.revision"),
    ({"chanels": 2}, "mhu.chanels")])
def test_bad_mhu_config(mhu, key):
    with pytest.raises(ValueError) as info:
        catalog.create("mhuv2_sender", "a", {"link": "l"}, {}, mhu)
    assert info.value.key == key


def test_every_type_takes_an_irqs_table():
    links: dict = {}
    for type_name in catalog.PERIPHERAL_TYPES:
        params = {"link": "l"} if "mhu" in type_name else {}
        if type_name == "mpc_sie200":
            params = {"size": 0x20000, "block_size": 0x1000}
        model = catalog.create(type_name, type_name, {**params, "irqs": {}}, links, MHU)
        assert "irqs" in catalog.ALLOWED_KEYS[type_name]
        assert model.TYPE == type_name


def test_mhu_config_defaults():
    assert catalog.validate_mhu_config({}) == (1, "2.0")


def test_musca_b1_board_entries_build_and_wire():
    board = tomllib.loads(BOARD.read_text())
    links: dict = {}
    models = {}
    for entry in board["peripherals"]:
        models[entry["name"]] = catalog.create(entry["type"], entry["name"], entry, links, board["mhu"])
    assert catalog.link_problems(links) == []
    assert set(links) == {"host_to_se", "se_to_host"}
    for entry in board["peripherals"]:             # every irq named in the board is an output
        for output in entry.get("irqs", {}):
            assert output in models[entry["name"]].OUTPUTS
    host_tx = models["host_to_se_sender"]
    se_rx = models["host_to_se_receiver"]
    seen: list[int] = []
    se_rx.connect("msg0", seen.append)
    host_tx.write(0x0C, 4, 0x7DADE011)
    assert seen == [1]
    assert models["se_to_host_receiver"].levels()["msg0"] == 0
