"""Host SPM: a non-secure caller's psa_call control block, IOVEC arrays and buffers must lie in
memory the board attributes Non-secure (TF-M: PSA_ERROR_PROGRAMMER_ERROR, -129, for NS callers).

Oracle: TF-M v1.3 Musca-B1 attribution (platform/system/boards/musca_b1.toml): the proxy's shared memory
0x1A408000 and its NS alias 0x0A408000 (Code SRAM, secure-only MPC), Secure SRAM 0x30000000 and
its NS alias 0x20000000 are Secure; 0x20040000.. is Non-secure.
"""
from __future__ import annotations

import struct

import pytest

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.spm import Caller
from psaemu.proxy.status import PsaStatus
from psaemu.proxy.system import attach_proxy

NS = Caller(-1, False, 0x0A260100, "non-secure")
SECURE = Caller(268, True, 0x1A280000, "TFM_SP_PS_TEST")
NS_RAM = 0x20070000                     # inside regression_host's NS RAM, above its data
SECURE_ADDRS = [0x0A408000, 0x1A408000, 0x30000000, 0x20000000, 0x0A000000, 0x50102000]


@pytest.fixture(scope="module")
def spm():
    m = Machine()
    m.load("host", image_path("regression_host"))
    m.load("se", image_path("se_firmware"))
    return attach_proxy(m).spm


@pytest.mark.parametrize("addr", SECURE_ADDRS)
def test_ns_caller_cannot_name_secure_memory(spm, addr):
    assert not spm.accessible(NS, addr, 16, write=False)
    assert spm.accessible(SECURE, addr, 16, write=False) == (addr != 0x50102000)   # MMIO is no buffer


def test_ns_caller_may_name_ns_memory(spm):
    assert spm.accessible(NS, NS_RAM, 64, write=True)
    assert not spm.accessible(NS, 0x2003FFF0, 0x20, write=False)      # straddles S/NS data


def call(spm, ctrl, in_vec, out_vec):
    return spm.client_call(NS, 1, ctrl, in_vec, out_vec)


@pytest.mark.parametrize("addr", [0x0A408000, 0x30000000])
def test_ns_ctrl_block_in_secure_memory(spm, addr):
    assert call(spm, addr, NS_RAM, NS_RAM + 0x40) == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR


@pytest.mark.parametrize("where", ["in_array", "out_array", "in_buffer", "out_buffer"])
@pytest.mark.parametrize("addr", [0x0A408000, 0x30000000])
def test_ns_iovecs_in_secure_memory(spm, where, addr):
    """A valid connection of the NS client is in place, so with accessible IOVECs the call
    would be forwarded (a ForwardOp), never -129."""
    mem = spm.machine.memory
    assert mem.attribution("host", addr, 8) == "secure"
    ctrl, in_arr, out_arr, buf = NS_RAM, NS_RAM + 0x20, NS_RAM + 0x40, NS_RAM + 0x80
    spm.connections[1] = type("C", (), {"handle": 1, "client_id": -1, "sid": 0, "chunk": 0, "state": "idle"})()
    try:
        write = spm.core.mem_write
        write(ctrl, struct.pack("<iII", 0, 1, 1))
        in_base = addr if where == "in_buffer" else buf
        out_base = addr if where == "out_buffer" else buf + 0x10
        write(in_arr, struct.pack("<II", in_base, 8))
        write(out_arr, struct.pack("<II", out_base, 8))
        args = (ctrl, addr if where == "in_array" else in_arr, addr if where == "out_array" else out_arr)
        assert call(spm, *args) == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR
    finally:
        spm.connections.pop(1, None)
