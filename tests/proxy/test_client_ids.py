"""Release profiles and the lifted ``client-ids`` limitation, end to end through the SE firmware.

With ``client-ids`` lifted the proxy puts the caller's id in the mailbox message (Host secure
partition ids mapped below ``secure_client_id_base``) and the SE owns ITS assets, crypto keys and
connections per client. Without it (TF-M v1.3 as shipped) every message carries -1 and the SE
sees one client.
"""
from __future__ import annotations

import struct

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.board import load_board
from psaemu.proxy import crypto_values as cv
from psaemu.proxy.client import PsaError, boot_se_only
from psaemu.proxy.crypto_client import KeyAttributes
from psaemu.proxy.profiles import DEFAULT_SECURE_CLIENT_ID_BASE, ProxyProfile, resolve_profile
from psaemu.proxy.status import PsaStatus as S

UID = 0x5EED
LIFTED = {"lift": ["client-ids"]}


def _boot(**options):
    m, system = boot_se_only(machine_options=options)
    return m, system


def _mailbox_ids(system) -> list[int]:
    """The client_id word of every request message the proxy wrote (read back at the doorbell)."""
    seen: list[int] = []
    proxy = system.proxy
    msg = proxy.layout.slot(0).msg

    def grab(op) -> None:
        seen.append(struct.unpack("<i", proxy.read(proxy.placement.host_base + msg + 28, 4))[0])

    proxy.points.add("after_doorbell", grab)
    return seen


def _aes_key(c) -> int:
    attrs = KeyAttributes(lifetime=0, id=0, alg=cv.PSA_ALG_CTR,
                          usage=cv.PSA_KEY_USAGE_EXPORT, bits=128, type=cv.PSA_KEY_TYPE_AES)
    return c.import_key(attrs, bytes(range(16)))


def test_lifted_two_clients_same_uid_see_separate_its_assets() -> None:
    m, system = _boot(**LIFTED)
    a, b = m.psa.as_non_secure(-1), m.psa.as_non_secure(-7)
    part = m.psa.as_partition(0x101)
    assert a.its_set(UID, b"first client") == S.PSA_SUCCESS
    with pytest.raises(PsaError) as exc:
        b.its_get(UID)
    assert exc.value.status == S.PSA_ERROR_DOES_NOT_EXIST
    assert b.its_set(UID, b"second") == S.PSA_SUCCESS
    assert part.its_set(UID, b"partition") == S.PSA_SUCCESS
    assert a.its_get(UID) == b"first client"
    assert b.its_get(UID) == b"second"
    assert part.its_get(UID) == b"partition"
    assert b.its_remove(UID) == S.PSA_SUCCESS
    assert a.its_get(UID) == b"first client"


def test_default_profile_shares_one_client() -> None:
    m, system = _boot()
    assert system.profile.name == "tfm-1.3" and not system.profile.forward_client_ids
    ids = _mailbox_ids(system)
    assert m.psa.as_non_secure(-1).its_set(UID, b"shared") == S.PSA_SUCCESS
    assert m.psa.as_non_secure(-7).its_get(UID) == b"shared"
    assert m.psa.as_partition(0x101).its_get(UID) == b"shared"
    assert ids and set(ids) == {-1}


def test_lifted_mailbox_client_id_is_the_caller_mapped() -> None:
    m, system = _boot(**LIFTED)
    ids = _mailbox_ids(system)
    m.psa.as_non_secure(-7).its_set(UID, b"x")
    m.psa.as_partition(0x101).its_set(UID, b"y")
    assert set(ids) == {-7, DEFAULT_SECURE_CLIENT_ID_BASE - 0x101}


def test_lifted_crypto_key_of_one_client_is_not_the_others() -> None:
    m, system = _boot(**LIFTED)
    owner, other = m.psa.as_non_secure(-1).crypto, m.psa.as_non_secure(-2).crypto
    key = _aes_key(owner)
    assert owner.export_key(key) == bytes(range(16))
    with pytest.raises(PsaError) as exc:
        other.export_key(key)
    assert exc.value.status == S.PSA_ERROR_NOT_PERMITTED          # -133: another client's key
    with pytest.raises(PsaError) as exc:
        m.psa.as_partition(0x101).crypto.destroy_key(key)
    assert exc.value.status == S.PSA_ERROR_NOT_PERMITTED          # -133: another client's key
    assert owner.export_key(key) == bytes(range(16))


def test_default_crypto_key_is_shared() -> None:
    m, _ = _boot()
    key = _aes_key(m.psa.as_non_secure(-1).crypto)
    assert m.psa.as_non_secure(-2).crypto.export_key(key) == bytes(range(16))


def test_configurable_secure_base_and_unmappable_ns_id_refused() -> None:
    board = load_board("musca_b1")
    board.proxy_profile = {"lift": ["client-ids"], "secure_client_id_base": -0x100}
    m, system = boot_se_only(board)
    ids = _mailbox_ids(system)
    m.psa.as_partition(0x20).its_set(UID, b"p")
    assert ids == [-0x120] * 3            # connect, call, close
    # -0x100 is inside the secure range: no mailbox id for it, CONNECT refused before the SE
    assert m.psa.as_non_secure(-0x100).its_set(UID, b"n") == S.PSA_ERROR_GENERIC_ERROR   # v1.3 client: connect failed
    assert system.records[-1].status == S.PSA_ERROR_CONNECTION_REFUSED
    assert "no mailbox client id" in system.records[-1].note
    assert ids == [-0x120] * 3            # nothing reached the mailbox


def test_se_refuses_a_forged_non_negative_client_id() -> None:
    """A Host that puts a partition-like id (>= 0) in the message gets -130 from the SE (the SE
    never takes a forwarded caller for one of its own partitions)."""
    m, system = _boot(**LIFTED)
    proxy = system.proxy
    msg = proxy.layout.slot(0).msg

    def forge(op) -> bool:
        proxy.write(proxy.placement.host_base + msg + 28, struct.pack("<i", 256))
        return True

    proxy.points.add("before_doorbell", forge)
    assert m.psa.its_set(UID, b"z") == S.PSA_ERROR_GENERIC_ERROR     # v1.3 client: connect failed
    assert system.records[-1].status == S.PSA_ERROR_CONNECTION_REFUSED   # the SE's answer


@pytest.mark.parametrize("board_keys, profile, lift, words", [
    ({}, "tfm-1.7", (), ["unknown profile 'tfm-1.7'", "tfm-1.3", "tfm-1.6"]),
    ({"profile": "tfm-9"}, None, (), ["[proxy].profile", "tfm-9", "tfm-1.3"]),
    ({}, None, ("zero-copi",), ["--lift", "unknown limitation 'zero-copi'", "client-ids"]),
    ({"lift": "client-ids"}, None, (), ["lift", "not a list"]),
    ({"secure_client_id_base": 5}, None, (), ["secure_client_id_base", "negative"]),
])
def test_resolve_profile_refuses_unknown_names(board_keys, profile, lift, words) -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_profile(board_keys, "b.toml [proxy]", profile, lift)
    for w in words:
        assert w in str(exc.value)


def test_resolve_profile_merges_board_and_run() -> None:
    p = resolve_profile({"profile": "tfm-1.3"}, "b [proxy]", None, ["client-ids"])
    assert p.forward_client_ids and p.name == "tfm-1.3+client-ids"
    assert resolve_profile({}, "b", None, ()) == ProxyProfile(source="default")
    assert p.mailbox_client_id(-1, False) == -1
    assert p.mailbox_client_id(0, True) == DEFAULT_SECURE_CLIENT_ID_BASE
    assert ProxyProfile().mailbox_client_id(0x101, True) == -1


def test_board_file_keys(tmp_path) -> None:
    from psaemu.platform.system.board import BOARDS_DIR
    text = (BOARDS_DIR / "musca_b1.toml").read_text()
    assert "[proxy]" in text
    path = tmp_path / "b.toml"
    path.write_text(text.replace("[proxy]", '[proxy]\nprofile = "tfm-1.3"\nlift = ["client-ids"]\n'
                                            'secure_client_id_base = "-0x2000"\n', 1))
    m, system = boot_se_only(str(path))
    assert system.profile.forward_client_ids and system.profile.secure_client_id_base == -0x2000
    path.write_text(text.replace("[proxy]", '[proxy]\nlifts = ["client-ids"]', 1))
    with pytest.raises(ConfigError, match="proxy.lifts: unknown key"):
        load_board(str(path))


def test_lift_refused_without_proxy() -> None:
    from psaemu.platform.system.builder import MachineSpec, build_machine
    with pytest.raises(ConfigError, match="lift"):
        build_machine(MachineSpec(proxy="off", lift=["client-ids"]))


def _cli(capsys, *args: str) -> tuple[int, str]:
    from psaemu.platform.cli import main
    try:
        status = main(list(args))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out + err


@pytest.mark.parametrize("args, message", [
    (["--profile", "tfm-1.7"], "--profile: unknown profile 'tfm-1.7' (known: tfm-1.3"),
    (["--lift", "client-ids,multi-slot"], "--lift: unknown limitation 'multi-slot' (known: client-ids"),
])
def test_cli_refuses_unknown_profile_or_limitation(capsys, args, message) -> None:
    status, text = _cli(capsys, "run", "--quiet", *args)
    assert status == 120 and message in text


def test_cli_regression_image_passes_with_client_ids_lifted(capsys) -> None:
    status, text = _cli(capsys, "run", "--quiet", "--profile", "tfm-1.3", "--lift", "client-ids")
    assert status == 0, text


def test_snapshot_keeps_the_profile() -> None:
    from psaemu.platform.system.machine import Machine
    from psaemu.platform.testing.snapshot import SnapshotError
    m, _ = _boot(**LIFTED)
    m.psa.as_non_secure(-5).its_set(UID, b"kept")
    snap = m.snapshot()
    again = Machine.from_snapshot(snap)
    assert again.proxy_system.profile.forward_client_ids
    assert again.psa.as_non_secure(-5).its_get(UID) == b"kept"
    plain, _ = _boot()
    with pytest.raises(SnapshotError, match="profile tfm-1.3 .*snapshot's is tfm-1.3\\+client-ids"):
        plain.restore(snap)
