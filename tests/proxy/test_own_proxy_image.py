"""own_proxy_host: a Host image that brings its own secure side (BL0, PSA Proxy, NS mailbox) runs
against the SE firmware with the proxy model off, and carries the markers of a TF-M v1.3 S image
built with FORWARD_PROT_MSG.

Expected values are TF-M v1.3.0 facts (psa_proxy_shared_mem_mngr.c:30-45, tfm_mailbox.h:50-133,
musca_b1 platform_multicore.h:14-22, bl0_main.c:56-98, sse_200 region_defs.h), written out here rather
than taken from psaemu's own constants; the SHA-256 oracle is hashlib.
"""
from __future__ import annotations

import hashlib
import re
import struct

import lief
import pytest

from psaemu.platform import cli
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

HOST = "own_proxy_host"
BUDGET = 5_000_000

SHARED_HOST = 0x1A408000           # PSA_PROXY_SHARED_MEMORY_BASE
SHARED_SIZE = 0x78000              # PSA_PROXY_SHARED_MEMORY_SIZE
HOST_TO_SE = 0x1DE00000            # Musca-B1 address translation
S_IMAGE_VECTOR = 0x1A260400        # the Host boot vector the SE sends (S code start)
REQ_MAGIC, REPLY_MAGIC = 0xA5CF50C6, 0xC605FC5A
MARKER_FUNCTIONS = ("psa_proxy_sp_init", "tfm_ns_mailbox_init", "tfm_ns_mailbox_client_call")

MHU_SET = re.compile(r"^\s*\S+\s+(host|se)\s+mhu\s+.*frame=(\S+) op=write reg=CH_SET0 value=(0x[0-9a-f]+)")


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """`psaemu run --host own_proxy_host.elf --se se_firmware.elf --proxy off`: exit status and event trace."""
    trace = tmp_path_factory.mktemp("own_proxy") / "events.txt"
    status = cli.main(["run", "-q", "--host", str(image_path(HOST)), "--se", str(image_path("se_firmware")),
                       "--proxy", "off", "--max-instructions", str(BUDGET), "--trace-events", str(trace)])
    return status, trace.read_text()


def test_runs_with_proxy_off_and_exits_0(cli_run):
    status, _ = cli_run
    assert status == 0


def test_mailbox_traffic_is_in_the_event_trace(cli_run):
    _, trace = cli_run
    words = [(core, int(value, 16)) for core, _, value in
             (m.groups() for m in map(MHU_SET.match, trace.splitlines()) if m)]
    # Boot: SE sends the Host boot vector (BL0 takes it), then the proxy handshake (docs/proxy.md).
    assert words[:5] == [("se", S_IMAGE_VECTOR), ("host", 0x7DADE011), ("se", 0xAE),
                         ("host", SHARED_HOST + HOST_TO_SE), ("se", 0xC3)]
    # Then ITS set, ITS get and one hash, each CONNECT -> CALL -> CLOSE: 9 doorbells, 9 replies, alternating.
    rest = words[5:]
    assert rest == [("host", REQ_MAGIC), ("se", REPLY_MAGIC)] * 9
    # The image itself released the SE through the SCC (no BL0 played by psaemu).
    assert re.search(r"\bse\s+release\s+source=scc\b", trace)


def test_shared_memory_layout_after_the_last_call():
    """Queue, in_vec[]/out_vec[] and buffer where TF-M v1.3's proxy puts them (psa_proxy_shared_mem_mngr.c:30-73)."""
    m = Machine()
    m.load("host", image_path(HOST))
    m.load("se", image_path("se_firmware"))
    r = m.run(max_instructions=BUDGET)
    assert r.reason == "exit" and r.exit_code == 0, r.message
    lines = m.console.lines("host")
    assert "own_proxy: 9 checks, 0 failures" in lines
    assert f"own_proxy: sha256(abc) {hashlib.sha256(b'abc').hexdigest()}" in lines

    host = m.cores["host"]
    queue = struct.unpack("<3I", bytes(host.uc.mem_read(SHARED_HOST, 12)))
    assert queue == (1, 0, 0)                                   # empty_slots, pend_slots, replied_slots
    call_type, params, client_id = (lambda w: (w[0], w[1:7], w[7]))(
        struct.unpack("<I6Ii", bytes(host.uc.mem_read(SHARED_HOST + 12, 32))))
    assert call_type == 5 and params[0] > 0 and client_id == -1  # the last message: CLOSE of an SE handle, client -1
    in_vec = struct.unpack("<8I", bytes(host.uc.mem_read(SHARED_HOST + 0x3C, 32)))
    out_vec = struct.unpack("<8I", bytes(host.uc.mem_read(SHARED_HOST + 0x5C, 32)))
    buffer_se = SHARED_HOST + 0x7C + HOST_TO_SE
    # The last CALL was the hash: in[0] = 44-byte crypto pack, in[1] = "abc", out[0] = 32-byte digest,
    # packed back to back in the buffer; every base in the SE view, NULL ones translated too.
    assert in_vec == (buffer_se, 44, buffer_se + 44, 3, HOST_TO_SE, 0, HOST_TO_SE, 0)
    assert out_vec == (buffer_se + 47, 32, HOST_TO_SE, 0, HOST_TO_SE, 0, HOST_TO_SE, 0)
    digest = bytes(host.uc.mem_read(SHARED_HOST + 0x7C + 47, 32))
    assert digest == hashlib.sha256(b"abc").digest()


def test_image_carries_tf_m_markers():
    """What psaemu's auto decision keys on, and the layout of a TF-M v1.3 musca_b1/sse_200 S image."""
    elf = lief.ELF.parse(str(image_path(HOST)))
    sec = elf.get_section(".PSA_PROXY_SHARED_MEMORY")
    assert sec is not None
    assert (sec.virtual_address, sec.size) == (SHARED_HOST, SHARED_SIZE)
    assert sec.type == lief.ELF.Section.TYPE.NOBITS                       # NOLOAD
    symbols = {s.name: s for s in elf.symbols if s.name}
    s_code = range(S_IMAGE_VECTOR, S_IMAGE_VECTOR + 0x30000)
    for name in MARKER_FUNCTIONS:
        sym = symbols[name]
        assert sym.type == lief.ELF.Symbol.TYPE.FUNC and sym.binding == lief.ELF.Symbol.BINDING.GLOBAL
        assert sym.value & ~1 in s_code, name
    assert (symbols["shared_mem"].value, symbols["shared_mem"].size) == (SHARED_HOST, SHARED_SIZE)
    # The Host boots BL0 in eFlash0; the S image's vector table is where the SE's boot vector points.
    assert symbols["__Vectors"].value == 0x1A000000
    assert symbols["s_image_vectors"].value == S_IMAGE_VECTOR
