"""Scripted PSA clients (psaemu.proxy.client) and the scripted SE stand-in (psaemu.proxy.se_standin).

A scripted client goes through the same Host SPM validation, proxy forwarding and SE firmware
as Host firmware calls; the stand-in answers the Host's mailbox from Python.
"""
from __future__ import annotations

import hashlib
import re
import struct

import pytest

from psaemu.platform.cpu.core import CoreState
from psaemu.platform.errors import ConfigError, EmuTimeoutError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.attestation import verify_token
from psaemu.proxy.client import (
    SID_ITS_GET,
    SID_ITS_SET,
    CallResult,
    Handle,
    HostRef,
    PsaClient,
    PsaError,
    PsaPanic,
    ScriptedCallError,
    boot_se_only,
    find_scratch,
)
from psaemu.proxy.mailbox_abi import (
    IPC_SYNC_MAGIC,
    MAILBOX_PSA_CALL,
    MAILBOX_PSA_CLOSE,
    MAILBOX_PSA_CONNECT,
    NS_MAILBOX_INIT_ENABLE,
    S_MAILBOX_READY,
)
from psaemu.proxy.se_standin import SeStandin, StandinHandlerError
from psaemu.proxy.services import PSA_ALG_SHA_256, PSA_STORAGE_FLAG_WRITE_ONCE, TFM_SP_PS_TEST
from psaemu.proxy.status import PSA_FRAMEWORK_VERSION, PsaStatus
from psaemu.proxy.system import attach_proxy

BUDGET = 50_000_000
S = PsaStatus


@pytest.fixture
def se():
    """Only the SE firmware, handshake done: (machine, system)."""
    return boot_se_only()


def host_and_se(host: str):
    m = Machine()
    m.load("host", image_path(host))
    m.load("se", image_path("se_firmware"))
    return m, attach_proxy(m)


# --------------------------------------------------------------------------------------------
# SE-only boot and the PSA client API
def test_boot_se_only_completes_the_handshake_without_host_firmware(se):
    m, system = se
    assert system.proxy.ready and m.host.state is CoreState.OFF and m.host.image is None
    assert m.console.lines("se") == ["se: boot", "se: mailbox ready queue=0x38208000"]
    assert [d for _, d, _ in system.monitor.handshake] == ["se->host", "host->se", "se->host", "host->se",
                                                           "se->host"]
    assert m.psa is system.psa and isinstance(m.psa, PsaClient)
    # no Host image: the scratch area is the whole Non-secure SRAM alias
    assert (m.psa.scratch.base, m.psa.scratch.size) == (0x20040000, 0x40000)   # the NS half of SRAM


def test_framework_version_and_version(se):
    m, _ = se
    psa = m.psa
    assert psa.framework_version() == PSA_FRAMEWORK_VERSION
    assert psa.version(0x70) == 1 and psa.version(0x1234) == 0
    assert psa.version(0x42) == 0                                   # NV counters: not for NS clients
    assert psa.as_partition(TFM_SP_PS_TEST).version(0x42) == 1


def test_its_set_get_round_trip(se):
    m, _ = se
    psa = m.psa
    data = bytes(range(40))
    assert psa.its_set(0x1001, data) is S.PSA_SUCCESS
    assert psa.its_get(0x1001) == data
    assert psa.its_get(0x1001, offset=30, size=4) == data[30:34]
    info = psa.its_get_info(0x1001)
    assert (info.capacity, info.size, info.flags) == (40, 40, 0)
    assert psa.its_set(0x1001, b"shorter") is S.PSA_SUCCESS
    assert psa.its_get(0x1001) == b"shorter"
    assert psa.its_remove(0x1001) is S.PSA_SUCCESS
    with pytest.raises(PsaError, match="PSA_ERROR_DOES_NOT_EXIST") as err:
        psa.its_get(0x1001)
    assert err.value.status is S.PSA_ERROR_DOES_NOT_EXIST
    assert psa.its_remove(0x1001) is S.PSA_ERROR_DOES_NOT_EXIST
    assert psa.its_set(0, b"x") is S.PSA_ERROR_INVALID_ARGUMENT
    # PS is a separate store
    assert psa.ps_set(0x1001, b"ps") is S.PSA_SUCCESS and psa.ps_get(0x1001) == b"ps"
    assert psa.its_remove(0x1001) is S.PSA_ERROR_DOES_NOT_EXIST
    assert psa.ps_get_support() == 0


def test_its_write_once_is_refused(se):
    m, _ = se
    psa = m.psa
    assert psa.its_set(0x2002, b"locked", PSA_STORAGE_FLAG_WRITE_ONCE) is S.PSA_SUCCESS
    assert psa.its_set(0x2002, b"again") is S.PSA_ERROR_NOT_PERMITTED
    assert psa.its_remove(0x2002) is S.PSA_ERROR_NOT_PERMITTED
    assert psa.its_get(0x2002) == b"locked"
    assert psa.its_get_info(0x2002).flags == PSA_STORAGE_FLAG_WRITE_ONCE


@pytest.mark.parametrize("size", [0, 1, 64, 4096])
def test_hash_sha256_equals_hashlib(se, size):
    m, _ = se
    data = bytes((i * 7 + 3) & 0xFF for i in range(size))
    assert m.psa.hash_sha256(data) == hashlib.sha256(data).digest()


def test_input_larger_than_the_shared_buffer_is_insufficient_memory(se):
    m, system = se
    # > SHARED_BUFFER_SIZE (0x77F84), more than the Host's Non-secure RAM: Non-secure eFlash1 as it is
    big = HostRef(0x0A260000, system.placement.buffer_size + 1)
    with pytest.raises(PsaError) as err:
        m.psa.hash_compute(PSA_ALG_SHA_256, big, 32)
    assert err.value.status is S.PSA_ERROR_INSUFFICIENT_MEMORY
    call = next(r for r in err.value.result.records if r.call_type == MAILBOX_PSA_CALL)
    assert "SHARED_BUFFER_SIZE" in call.note and call.t_reply_ps is None      # never reached the SE
    assert m.psa.hash_sha256(b"abc") == hashlib.sha256(b"abc").digest()      # the proxy is fine after it


def test_generate_random(se):
    m, system = se
    psa = m.psa
    for n in (1, 16, 100, 1000):
        assert len(psa.generate_random(n)) == n
    assert psa.generate_random(32) != psa.generate_random(32)
    before = len(system.records)
    assert psa.generate_random(0) == b""                              # v1.3 client: no call at all
    assert len(system.records) == before


@pytest.mark.parametrize("size", [32, 48, 64])
def test_attest_token_verifies_with_the_se_key(se, size):
    m, _ = se
    challenge = bytes((0xA0 + i) & 0xFF for i in range(size))
    token = m.psa.attest_token(challenge)
    claims = verify_token(token, m.psa.attest_public_key())
    assert claims.challenge == challenge and claims.client_id == -1
    assert m.psa.attest_token_size(size) == len(token)
    with pytest.raises(PsaError) as err:
        m.psa.attest_token(bytes(20))                                 # not 32/48/64
    assert err.value.status is S.PSA_ERROR_INVALID_ARGUMENT


def test_connect_to_nv_counter_sid_as_non_secure_is_refused(se):
    m, system = se
    before = len(system.records)
    assert m.psa.connect(0x42) is S.PSA_ERROR_CONNECTION_REFUSED      # by the Host SPM: nothing forwarded
    assert len(system.records) == before
    r = m.psa.call(0x42, 0, [struct.pack("<I", 0)], [4])
    assert r.status is S.PSA_ERROR_CONNECTION_REFUSED and r.connect_status == -130 and r.records == []
    # a secure partition may connect on the Host; the SE refuses it (every forwarded caller is NS there)
    secure = m.psa.as_partition(TFM_SP_PS_TEST)
    assert secure.connect(0x42) is S.PSA_ERROR_CONNECTION_REFUSED
    assert system.records[-1].call_type == MAILBOX_PSA_CONNECT and system.records[-1].client_id == 268
    assert system.records[-1].status == S.PSA_ERROR_CONNECTION_REFUSED


def test_programmer_errors_are_statuses_for_non_secure_callers(se):
    m, system = se
    psa = m.psa
    assert psa.call(Handle(0x7777)).status is S.PSA_ERROR_PROGRAMMER_ERROR          # invalid handle
    h = psa.connect(SID_ITS_GET)
    assert isinstance(h, Handle)
    five = psa.call(h, 0, [b"a", b"b", b"c"], [1, 1])                               # 3 + 2 > PSA_MAX_IOVEC
    assert five.status is S.PSA_ERROR_PROGRAMMER_ERROR
    secure_mem = psa.call(h, 0, [HostRef(0x30000000, 8), bytes(4)], [8])           # Secure SRAM: not for NS
    assert secure_mem.status is S.PSA_ERROR_PROGRAMMER_ERROR
    assert psa.call(h, -1).status is S.PSA_ERROR_PROGRAMMER_ERROR                  # type < 0
    psa.close(h)
    psa.close(Handle(0x7777))                                                        # no effect for NS
    assert m.run(max_instructions=1000).reason == "deadlock"                         # no panic


def test_programmer_error_panics_for_a_secure_caller(se):
    m, _ = se
    secure = m.psa.as_partition(TFM_SP_PS_TEST)
    with pytest.raises(PsaPanic, match="invalid handle 30583"):
        secure.call(Handle(0x7777))
    r = m.run(max_instructions=1000)
    assert r.reason == "panic" and r.exit_code == 123 and "Host SPM panic" in r.message
    assert "scripted TFM_SP_PS_TEST (client id 268, scripted from Python)" in r.message
    with pytest.raises(PsaPanic, match="panicked"):
        m.psa.its_get(1)


def test_call_type_above_zero_is_the_proxys_panic(se):
    m, _ = se
    with pytest.raises(PsaPanic, match="psa_panic"):
        m.psa.call(SID_ITS_GET, 1, [bytes(8), bytes(4)], [8])


def test_ipc_monitor_records_scripted_calls(se):
    m, system = se
    psa = m.psa
    r = psa.call(SID_ITS_SET, 0, [struct.pack("<Q", 0x77), b"hello", struct.pack("<I", 0)], [])
    assert r.status is S.PSA_SUCCESS and r.connect_status > 0 and r.outputs == []
    assert [x.call_type for x in r.records] == [MAILBOX_PSA_CONNECT, MAILBOX_PSA_CALL, MAILBOX_PSA_CLOSE]
    assert all(x in system.records for x in r.records) and all(x.client_id == -1 for x in r.records)
    connect, call, _ = r.records
    assert connect.sid == SID_ITS_SET and call.host_handle == r.connect_status
    assert [v.size for v in call.in_vecs] == [8, 5, 4]
    area = psa.scratch
    assert all(area.base <= v.caller < area.end for v in call.in_vecs)
    assert all(v.shared_se == v.shared_host + 0x1DE00000 for v in call.in_vecs)
    assert call.status == S.PSA_SUCCESS and call.latency_ps > 0
    got = psa.call(SID_ITS_GET, 0, [struct.pack("<Q", 0x77), struct.pack("<I", 1)], [16])
    assert got.outputs == [b"ello"] and got.records[1].out_vecs[0].written == 4
    assert any(e[2] == "psa_scripted" for e in m.events.records)


def test_calls_on_one_connection(se):
    m, _ = se
    psa = m.psa
    assert psa.its_set(0x55, b"0123456789") is S.PSA_SUCCESS
    h = psa.connect(SID_ITS_GET)
    outs = [psa.call(h, 0, [struct.pack("<Q", 0x55), struct.pack("<I", off)], [3]) for off in (0, 3, 6, 9)]
    assert [o.outputs[0] for o in outs] == [b"012", b"345", b"678", b"9"]
    assert all(o.connect_status is None for o in outs)
    psa.close(h)
    assert psa.call(h, 0, [struct.pack("<Q", 0x55), bytes(4)], [3]).status is S.PSA_ERROR_PROGRAMMER_ERROR
    assert isinstance(CallResult(S.PSA_SUCCESS, []).check(), CallResult)


def test_se_that_never_replies_is_a_timeout_naming_the_wait(se):
    m, _ = se
    with pytest.raises(EmuTimeoutError, match=r"the SE's reply to psa_call\(handle \d+, type 0\)"):
        m.psa.call(0x40)                              # platform system reset: the SE resets, no reply
    assert m.console.lines("se").count("se: boot") == 2


def test_waiting_for_a_handshake_that_never_comes_times_out():
    m = Machine()
    m.load("se", image_path("se_firmware"))           # never released: no Host firmware, no SCC write,
    attach_proxy(m, bl0=False)                        # and no BL0 either
    with pytest.raises(EmuTimeoutError, match="boot handshake with the SE"):
        m.psa.its_get(1)


# --------------------------------------------------------------------------------------------
# With Host firmware
def test_scripted_calls_while_the_host_firmware_idles_in_wfi():
    m, system = host_and_se("idle_host")
    psa = m.psa
    assert psa.its_set(0x1D1E, b"host parked") is S.PSA_SUCCESS
    assert psa.its_get(0x1D1E) == b"host parked"
    assert psa.hash_sha256(b"abc") == hashlib.sha256(b"abc").digest()
    assert m.host.state is CoreState.SLEEPING and m.host.symbolize(m.host.pc).startswith("main")
    assert m.console.lines("host") == ["idle: host parked in WFI"]
    # the scratch area avoids the image: between its .bss and its stack
    syms = m.host.image.symbols
    assert syms["__bss_end__"] <= psa.scratch.base and psa.scratch.end <= syms["__StackLimit"]


def test_scripted_call_waits_for_the_host_firmwares_call_and_both_complete():
    m, system = host_and_se("regression_host")
    while not (m.host.state is CoreState.BLOCKED and system.spm.forwarding is not None):
        m.run(max_instructions=2000)
    host_op = system.records[-1]
    assert host_op.t_reply_ps is None                             # the Host's call is in flight
    r = m.psa.call(SID_ITS_SET, 0, [struct.pack("<Q", 0xABC0DE), b"scripted", bytes(4)], [])
    assert r.status is S.PSA_SUCCESS
    assert r.records[0].seq > host_op.seq and r.records[0].t_request_ps >= host_op.t_reply_ps
    assert m.psa.its_get(0xABC0DE) == b"scripted" and m.psa.its_remove(0xABC0DE) is S.PSA_SUCCESS
    result = m.run(max_instructions=BUDGET)
    assert result.exit_code == 0 and re.fullmatch(r"regression: \d+ tests, 0 failures", m.console.lines("host")[-1])


def test_default_scratch_avoids_the_host_image_and_the_proxy_memory():
    m, system = host_and_se("regression_host")
    area = m.psa.scratch
    image = m.host.image
    phys = lambda a: a & ~0x10000000                                # NS alias and Secure address: same SRAM
    for sec in image.sections.values():
        if sec.size:
            assert phys(sec.addr) >= phys(area.end) or phys(sec.addr + sec.size) <= phys(area.base), sec
    assert area.end <= image.symbols["__StackLimit"]
    assert m.memory.maps["host"].find(area.base, area.size).secure is False
    with pytest.raises(ConfigError, match=r"overlaps section \.bss"):
        find_scratch(m, "host", system.placement, scratch=(0x20040000, 0x100))
    with pytest.raises(ConfigError, match="stack"):
        find_scratch(m, "host", system.placement, scratch=(0x2007F000, 0x100))
    with pytest.raises(ConfigError, match="Non-secure RAM"):
        find_scratch(m, "host", system.placement, scratch=(0x30010000, 0x100))      # Secure alias
    with pytest.raises(ConfigError, match="Non-secure RAM"):                         # kept Secure by the MPC
        find_scratch(m, "host", system.placement, scratch=(0x0A408000, 0x100))
    small = PsaClient(system, scratch=(0x20070000, 0x100))
    with pytest.raises(ScriptedCallError, match="scratch area"):
        small.hash_sha256(bytes(0x200))


def test_a_machine_that_has_ended_refuses_scripted_calls():
    m, _ = host_and_se("its_probe_host")
    assert m.run(max_instructions=BUDGET).exit_code == 0
    with pytest.raises(ScriptedCallError, match="has ended .*exited with status 0"):
        m.psa.its_get(0x5EED)


# --------------------------------------------------------------------------------------------
# The SE stand-in
def standin_machine(host: str | None):
    m = Machine()
    if host:
        m.load("host", image_path(host))
    system = attach_proxy(m)
    return m, system, SeStandin(m, system, boot="release" if host else "now").install()


def test_its_probe_host_against_a_standin_its():
    m, system, standin = standin_machine("its_probe_host")
    its = standin.serve_its({0x5EED: b"psaemu-its-5EED!"})
    assert standin.state == "off"                                 # until the Host releases the SE
    r = m.run(max_instructions=BUDGET)
    assert r.reason == "exit" and r.exit_code == 0, r.message
    assert m.console.lines("host") == ["DATA its_persist " + b"psaemu-its-5EED!".hex()]
    assert m.se.state is CoreState.OFF and m.se.image is None    # no SE firmware ever ran
    assert [x.call_type for x in standin.messages] == [MAILBOX_PSA_CONNECT, MAILBOX_PSA_CALL, MAILBOX_PSA_CLOSE]
    call = standin.messages[1]
    assert call.sid == 0x71 and call.in_sizes == [8, 4] and call.written == [16]
    words = [w for _, _, w in system.monitor.handshake]
    assert words == [m.host.image.vector_table, IPC_SYNC_MAGIC, NS_MAILBOX_INIT_ENABLE, 0x38208000, S_MAILBOX_READY]
    assert "se-standin: mailbox ready queue=0x38208000" in m.console.lines("se")
    assert its.data(0x5EED) == b"psaemu-its-5EED!"


def test_regression_host_storage_suites_pass_against_standin_dicts():
    m, _, standin = standin_machine("regression_host")
    its, ps = standin.serve_its(), standin.serve_ps()
    r = m.run(max_instructions=BUDGET)
    assert r.reason == "exit", r.message
    tests = [l for l in m.console.lines("host") if l.startswith("TEST ")]
    ours = [l for l in tests if l.split()[1].split(".")[0] in ("client", "its", "ps")]
    assert len(ours) >= 40 and not [l for l in ours if " FAIL" in l]
    assert [l for l in tests if l.startswith("TEST crypto.") and " FAIL" in l]     # nobody serves crypto
    assert its.data(0x5EED) == b"psaemu-its-5EED!"                                # its.persist stored it
    assert all(flags & PSA_STORAGE_FLAG_WRITE_ONCE for _, flags in ps.assets.values())   # only write-once left


def test_scripted_client_against_a_standin_without_any_firmware():
    m, system, standin = standin_machine(None)
    seen = []

    def echo(call_type, handle, ptype, inputs, output_sizes):
        seen.append((call_type, handle, ptype, inputs, output_sizes))
        joined = b"".join(inputs)
        return S.PSA_SUCCESS, [joined[::-1][:output_sizes[0]]]

    standin.service(0x80, echo)
    r = m.psa.call(0x80, 0, [b"abc", b"", b"de"], [4])
    assert r.status is S.PSA_SUCCESS and r.outputs == [b"edcb"]
    (ct, handle, ptype, inputs, sizes), = seen
    assert (ct, ptype, inputs, sizes) == (MAILBOX_PSA_CALL, 0, [b"abc", b"", b"de"], [4])
    assert handle == r.records[0].se_handle and handle & 0xF == 0          # seq << 4 | slot, as the SE firmware
    assert m.psa.connect(0x70) is S.PSA_ERROR_CONNECTION_REFUSED           # no handler: the "SE" refuses
    assert system.records[-1].call_type == MAILBOX_PSA_CONNECT and standin.messages[-1].status == -130
    assert m.host.state is CoreState.OFF and m.se.state is CoreState.OFF


def test_standin_handler_results_and_errors():
    m, _, standin = standin_machine(None)
    standin.service(0x70, lambda *a: S.PSA_ERROR_PROGRAMMER_ERROR)
    h = m.psa.connect(0x70)
    assert m.psa.call(h, 0, [b"x"]).status is S.PSA_ERROR_PROGRAMMER_ERROR
    assert m.psa.call(h, 0, [b"x"]).status is S.PSA_ERROR_PROGRAMMER_ERROR     # connection now in error
    assert standin.messages[-1].call_type == MAILBOX_PSA_CALL
    m.psa.close(h)
    refused = []
    standin.service(0x71, lambda ct, *a: refused.append(ct) or (S.PSA_ERROR_CONNECTION_REFUSED
                                                                if ct == MAILBOX_PSA_CONNECT else None),
                    connect_close=True)
    assert m.psa.connect(0x71) is S.PSA_ERROR_CONNECTION_REFUSED and refused == [MAILBOX_PSA_CONNECT]
    standin.service(0x72, lambda *a: (S.PSA_SUCCESS, [bytes(13)]))
    with pytest.raises(StandinHandlerError, match="13 bytes for out_vec\\[0\\], which holds 12"):
        m.psa.its_get_info(1)


def test_standin_refuses_a_core_with_firmware():
    m = Machine()
    m.load("se", image_path("se_firmware"))
    with pytest.raises(ConfigError, match="replaces the SE firmware"):
        SeStandin(m)
