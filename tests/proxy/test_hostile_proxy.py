"""Hostile SE replies at the proxy and misuse of the scripted client: every case ends in a PSA
status, a named PsaEmuError or a reported panic, never a UcError/TypeError, and leaves the proxy
usable (slots and handles released)."""
from __future__ import annotations

import struct
import time

import pytest

from psaemu.platform.errors import EmuTimeoutError
from psaemu.platform.system.machine import Machine
from psaemu.proxy.client import HostRef, PsaPanic, boot_se_only
from psaemu.proxy.se_standin import SeStandin
from psaemu.proxy.status import PsaStatus as S
from psaemu.proxy.system import attach_proxy

SECRET = b"secure-sram-secret!!"
SECRET_AT = 0x30000100                      # Host Secure SRAM (Musca-B1), never a caller's buffer


def standin(defines=None):
    m = Machine()
    system = attach_proxy(m, defines)
    return m, system, SeStandin(m, system, boot="now").install()


def moving_handler(m, system, host_addr):
    """A service that answers 4 bytes but leaves out_vec[0].base pointing at ``host_addr``."""
    p = system.placement

    def handler(call_type, handle, ptype, inputs, out_sizes):
        m.host.write(p.host_base + system.proxy.layout.out_vec, struct.pack("<I", p.to_se(host_addr)))
        return S.PSA_SUCCESS, [b"good"]
    return handler


def test_out_vec_moved_to_secure_memory_is_copied_faithfully_and_recorded():
    m, system, se = standin()
    m.host.write(SECRET_AT, SECRET)
    se.service(0x80, moving_handler(m, system, SECRET_AT))
    r = m.psa.call(0x80, 0, [b"x"], [len(SECRET)])
    assert r.status is S.PSA_SUCCESS and r.outputs == [SECRET[:4]]          # the SE reported 4 bytes
    call = r.records[1]                                                     # connect, call, close
    assert "out_vec[0]" in call.note and "Secure memory" in call.note and "as TF-M v1.3" in call.note


def test_out_vec_moved_is_refused_in_checking_mode():
    m, system, se = standin({"PSAEMU_CHECK_WRITEBACK": 1})
    m.host.write(SECRET_AT, SECRET)
    se.service(0x80, moving_handler(m, system, SECRET_AT))
    r = m.psa.call(0x80, 0, [b"x"], [len(SECRET)])
    assert r.status is S.PSA_ERROR_COMMUNICATION_FAILURE and r.outputs == [b""]
    assert "refused (PSAEMU_CHECK_WRITEBACK)" in r.records[1].note
    se.service(0x80, lambda *a: (S.PSA_SUCCESS, [b"fine"]))                # an honest reply still works
    assert m.psa.call(0x80, 0, [b"x"], [4]).outputs == [b"fine"]


def test_out_vec_moved_to_unmapped_memory_is_a_proxy_panic_not_a_uc_error():
    m, system, se = standin()
    se.service(0x80, moving_handler(m, system, 0x0DEAD000))
    with pytest.raises(PsaPanic, match=r"out_vec\[0\] at Host 0x0dead000\+4, which is not Host memory"):
        m.psa.call(0x80, 0, [b"x"], [4])
    assert m.panic is not None and m.panic.exit_code == 123


def test_out_vec_moved_to_unmapped_memory_in_checking_mode():
    m, system, se = standin({"PSAEMU_CHECK_WRITEBACK": 1})
    se.service(0x80, moving_handler(m, system, 0x0DEAD000))
    r = m.psa.call(0x80, 0, [b"x"], [4])
    assert r.status is S.PSA_ERROR_COMMUNICATION_FAILURE and "not Host memory" in r.records[1].note
    assert m.panic is None


def test_checking_mode_from_the_board_file_and_define(tmp_path):
    from psaemu.platform.system.board import builtin_board_path
    from psaemu.proxy.config import parse_defines
    assert parse_defines(["PSAEMU_CHECK_WRITEBACK=1"]) == {"PSAEMU_CHECK_WRITEBACK": 1}
    text = builtin_board_path("musca_b1").read_text().replace("[proxy]", "[proxy]\nPSAEMU_CHECK_WRITEBACK = 1", 1)
    board = tmp_path / "checked.toml"
    board.write_text(text)
    m = Machine(board)
    assert attach_proxy(m).proxy.check_writeback is True


def test_se_reply_of_zero_to_connect_then_call_is_a_reported_panic():
    m, system, se = standin()
    se.service(0x80, lambda *a: (S.PSA_SUCCESS, []))
    se._connect = lambda sid, version: 0                    # a hostile SE: "handle" 0
    h = m.psa.connect(0x80)
    assert h > 0                                            # TF-M v1.3: PSA_SUCCESS without an SE handle
    assert "SE replied 0" in system.records[-1].note
    with pytest.raises(PsaPanic, match="dereferences a NULL rhandle"):
        m.psa.call(h, 0, [b"x"], [])
    assert system.proxy.pool.count(None) == len(system.proxy.pool)          # no forward handle leaked


def test_timed_out_call_releases_the_slot_and_the_next_call_works():
    m, system = boot_se_only(reply_budget_s=0.05)
    m.faults.drop_doorbell()
    with pytest.raises(EmuTimeoutError, match="the SE's reply to psa_connect"):
        m.psa.its_set(4, b"x")
    assert "abandoned" in system.records[-1].note
    assert system.proxy.pool.count(None) == len(system.proxy.pool)
    assert m.psa.its_set(5, b"y") is S.PSA_SUCCESS                          # no panic, no stale slot
    assert m.psa.its_get(5) == b"y"


def test_reply_budget_holds_when_virtual_time_jumps():
    m, system = boot_se_only(reply_budget_s=0.1)
    m.faults.stall_se(cycles=5 * m.se.clock_hz)                             # 5 s of SE time, in one jump
    with pytest.raises(EmuTimeoutError, match=r"virtual time .*budget 0\.1 s"):
        m.psa.its_set(6, b"late")
    m2, _ = boot_se_only(reply_budget_s=10)
    m2.faults.stall_se(cycles=m2.se.clock_hz // 100)                        # 10 ms: inside a 10 s budget
    assert m2.psa.its_set(6, b"ok") is S.PSA_SUCCESS


@pytest.mark.parametrize("ref", [HostRef(0x0DEAD000, 16), HostRef(0x20000000, 0x8FFF0000)])
def test_outputs_are_not_read_after_the_host_spm_rejects_the_call(ref):
    m, _ = boot_se_only()
    t0 = time.monotonic()
    r = m.psa.call(0x70, 0, [struct.pack("<Q", 1), struct.pack("<II", 0, 4)], [ref])
    assert r.status is S.PSA_ERROR_PROGRAMMER_ERROR and r.outputs == [b""]
    assert time.monotonic() - t0 < 5                                        # no multi-GB read


def test_corrupt_iovec_offset_past_the_vector_corrupts_nothing_and_says_so():
    m, _ = boot_se_only()
    m.faults.corrupt_iovec(index=1, byte_offset=99999)     # valid for the buffer, past this call's vector
    assert m.psa.its_set(8, b"intact") is S.PSA_SUCCESS and m.psa.its_get(8) == b"intact"
    fired = [e for e in m.events.of_kind("inject") if "past input vector" in str(m.events.format(e))]
    assert fired
