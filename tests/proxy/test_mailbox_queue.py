"""Multi-slot mailbox queue (proxy/mailbox_queue.py): several forwarded calls in flight, one per slot,
each answered by the SE firmware and matched to its caller by slot."""
from __future__ import annotations

import struct

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.proxy.client import SID_ITS_GET, Handle, PsaClient, boot_se_only
from psaemu.proxy.mailbox_queue import check_slots, resolve_slots
from psaemu.proxy.operation import QUEUED, REPLY
from psaemu.proxy.status import PsaStatus

ASSETS = {0x100 + i: bytes([0x30 + i]) * (40 + 8 * i) for i in range(4)}


def _clients(system, n: int) -> list[PsaClient]:
    """``n`` scripted clients with their own scratch areas (their calls may be in flight together)."""
    base, size = system.psa.scratch.base, system.psa.scratch.size // (n + 1)
    return [PsaClient(system, scratch=(base + (i + 1) * size, size)) for i in range(n)]


def _start_gets(m, system, n_slots: int):
    """Store four assets, open four ITS_GET connections and start four gets without waiting."""
    for uid, data in ASSETS.items():
        assert system.psa.its_set(uid, data) == PsaStatus.PSA_SUCCESS
    clients = _clients(system, 4)
    handles = [c.connect(SID_ITS_GET) for c in clients]
    assert all(isinstance(h, Handle) for h in handles)
    ids = [c.begin_call(h, 0, [struct.pack("<Q", uid), struct.pack("<I", 0)], [len(data)])
           for c, h, (uid, data) in zip(clients, handles, ASSETS.items())]
    return clients, ids


def test_four_slots_four_calls_in_flight_matched_by_slot():
    m, system = boot_se_only(machine_options={"mailbox_slots": 4})
    assert system.proxy.n_slots == 4
    clients, ids = _start_gets(m, system, 4)
    ops = [system.spm.ops[i] for i in ids]
    assert [op.phase for op in ops] == [REPLY] * 4                 # all four hold a slot at once
    assert sorted(op.slot for op in ops) == [0, 1, 2, 3]
    lay = system.proxy.layout
    assert system.proxy.word(lay.pend_slots) == 0b1111 and system.proxy.word(lay.empty_slots) == 0
    results = [c.finish(i) for c, i in zip(clients, ids)]          # the SE serves every pending slot
    for r, data in zip(results, ASSETS.values()):
        assert r.status == PsaStatus.PSA_SUCCESS and r.outputs == [data]
    assert system.proxy.word(lay.empty_slots) == 0b1111 and not system.proxy.lanes


def test_one_slot_serialises_as_tfm_v13():
    m, system = boot_se_only()
    assert system.proxy.n_slots == 1
    clients, ids = _start_gets(m, system, 1)
    ops = [system.spm.ops[i] for i in ids]
    assert [op.phase for op in ops] == [REPLY, QUEUED, QUEUED, QUEUED]
    results = [c.finish(i) for c, i in zip(clients, ids)]
    assert [r.outputs for r in results] == [[d] for d in ASSETS.values()]


def test_slot_count_setting():
    assert resolve_slots(None, "board [proxy]") == 1
    assert resolve_slots(8, "board [proxy]") == 8
    assert resolve_slots(8, "board [proxy]", 32) == 32
    for bad in (0, 33, -1, "x", True):
        with pytest.raises(ConfigError, match=r"1 to 32"):
            check_slots(bad, "--mailbox-slots")


def test_cli_rejects_bad_slot_count(capsys):
    from psaemu.platform.cli import main

    assert main(["run", "--mailbox-slots", "33", "--max-instructions", "1000"]) != 0
    err = capsys.readouterr().err
    assert "--mailbox-slots" in err and "1 to 32" in err and "Traceback" not in err


def test_board_key_and_option_override(tmp_path):
    from psaemu.platform.system.board import BOARDS_DIR

    text = (BOARDS_DIR / "musca_b1.toml").read_text()
    path = tmp_path / "b.toml"
    path.write_text(text.replace("[proxy]", "[proxy]\nmailbox_slots = 2\n", 1))
    _m, system = boot_se_only(str(path))
    assert system.proxy.n_slots == 2 and system.proxy.layout.n_slots == 2
    _m, system = boot_se_only(str(path), machine_options={"mailbox_slots": 3})
    assert system.proxy.n_slots == 3
    path.write_text(text.replace("[proxy]", "[proxy]\nmailbox_slots = 40\n", 1))
    with pytest.raises(ConfigError, match=r"b\.toml \[proxy\]\.mailbox_slots: mailbox slot count 40"):
        boot_se_only(str(path))
