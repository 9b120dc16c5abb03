"""Zero-copy IOVECs (``--lift zero-copy``, proxy/zerocopy.py) end to end through the SE firmware,
and the mailbox slot in IPC records."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.board import BOARDS_DIR
from psaemu.proxy.client import boot_se_only
from psaemu.proxy.mailbox_abi import MAILBOX_PSA_CALL
from psaemu.proxy.monitor import IpcRecord
from psaemu.proxy.timeline import slots_of

DATA = bytes(range(256)) * 16             # 4 KiB


def _board(tmp_path: Path, host: int = 0x30000000, size: str = "512K") -> Path:
    """Musca-B1 plus a window through which the SE sees Host SRAM (its NS alias 0x20000000 too)."""
    path = tmp_path / "musca_b1_host_window.toml"
    path.write_text((BOARDS_DIR / "musca_b1.toml").read_text()
                    + f'\n[[windows]]\nname = "host_sram"\nsize = "{size}"\nhost = {host:#x}\nse = 0x60000000\n')
    return path


def _boot(board: Path, lift: list[str], **client):
    return boot_se_only(str(board), machine_options={"lift": lift}, **client)


@pytest.mark.parametrize("lift", [[], ["zero-copy"]])
def test_its_and_hash_match_copying_and_hashlib(tmp_path: Path, lift: list[str]) -> None:
    m, system = _boot(_board(tmp_path), lift)
    psa = system.psa
    assert psa.its_set(7, b"zero-copy asset" * 4) == 0
    assert psa.its_get(7) == b"zero-copy asset" * 4
    for data in (b"x" * 64, DATA):
        assert psa.hash_sha256(data) == hashlib.sha256(data).digest()
    call = [r for r in system.records if r.call_type == MAILBOX_PSA_CALL][-1]          # the last hash call
    vecs = call.in_vecs + call.out_vecs
    assert all(v.by_pointer for v in vecs) == bool(lift)
    assert not any(v.by_pointer for v in vecs) == (not lift)
    if lift:                                                             # the SE's own view of the caller
        view = system.proxy.host_view
        assert all(v.shared_host == v.caller and v.shared_se == view.to_se(v.caller, v.size) for v in vecs)
        assert all(0x60000000 <= v.shared_se < 0x60080000 for v in vecs)


def test_se_writes_land_in_host_memory_not_the_shared_buffer(tmp_path: Path) -> None:
    m, system = _boot(_board(tmp_path), ["zero-copy"])
    p, proxy = system.placement, system.proxy
    data_area = p.host_base + proxy.layout.buffer
    proxy.write(data_area, b"\xa5" * 8192)
    digest = system.psa.hash_sha256(DATA)
    assert digest == hashlib.sha256(DATA).digest()
    out = next(r for r in reversed(system.records) if r.call_type == MAILBOX_PSA_CALL).out_vecs[0]
    assert out.by_pointer and out.written == 32
    assert m.cores["host"].mem_read(out.caller, 32) == digest                  # in the caller's Host buffer
    assert m.cores["se"].mem_read(out.shared_se, 32) == digest                 # the same bytes, SE view
    assert proxy.read(data_area, 8192) == b"\xa5" * 8192                       # nothing copied through


def test_vector_outside_the_view_is_copied_and_said(tmp_path: Path) -> None:
    # The window shows only 4 KiB of Host SRAM: 0x30040000 (NS alias 0x20040000).
    m, system = _boot(_board(tmp_path, 0x30040000, "4K"), ["zero-copy"], scratch=(0x20040000, 0x8000))
    assert system.psa.hash_sha256(DATA) == hashlib.sha256(DATA).digest()
    call = next(r for r in reversed(system.records) if r.call_type == MAILBOX_PSA_CALL)
    assert call.in_vecs[0].by_pointer                                   # the 44-byte parameters: in view
    assert not call.in_vecs[1].by_pointer and not call.out_vecs[0].by_pointer
    assert "zero-copy: in[1] copied (Host 0x" in call.note and "outside the SE's view" in call.note
    assert "zero-copy: out[0] copied" in call.note
    copied = {dict(fields)["vec"] for _, _, kind, fields in m.events.records if kind == "zero_copy_copied"}
    assert copied >= {"in[1]", "out[0]"}


def test_board_without_a_host_ram_window_refuses_the_lift() -> None:
    with pytest.raises(ConfigError) as exc:
        boot_se_only(machine_options={"lift": ["zero-copy"]})
    text = str(exc.value)
    for word in ("zero-copy", "musca_b1.toml", "code_sram", "[[windows]]", "drop the lift"):
        assert word in text


def test_records_carry_the_mailbox_slot(tmp_path: Path) -> None:
    m, system = _boot(_board(tmp_path), [])
    system.psa.its_set(1, b"a")
    rec = system.records[-1]
    assert rec.slot == 0 and " slot=0 " in rec.format() and json.loads(rec.to_json())["slot"] == 0
    # the record's own slot wins over replaying the lowest-free-slot rule
    r = IpcRecord(1, MAILBOX_PSA_CALL, -1, t_request_ps=5, t_reply_ps=9, slot=3)
    assert slots_of([r], 4) == {1: 3}
