"""Struct sizes, offsets and codecs against TF-M v1.3.0 (sources listed in psaemu.proxy.structs)."""
from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest

from psaemu.proxy import structs as st
from psaemu.proxy.cstruct import U8, U32, CStruct, cfield, cstruct
from psaemu.proxy.structs import (
    CallParams,
    CloseParams,
    ConnectParams,
    MailboxMsg,
    MailboxReply,
    NsMailboxQueue,
    NsMailboxSlot,
    PsaClientParams,
    PsaInvec,
    PsaOutvec,
    SharedMemHeader,
    VersionParams,
)

# (class, SIZE, OFFSETS), numbers copied from the reference tables.
LAYOUTS = [
    (st.PsaInvec, 8, {"base": 0, "len": 4}),
    (st.PsaOutvec, 8, {"base": 0, "len": 4}),
    (st.TfmControlParameter, 12, {"type": 0, "in_len": 4, "out_len": 8}),
    (st.PsaMsg, 48, {"type": 0, "handle": 4, "client_id": 8, "rhandle": 12, "in_size": 16, "out_size": 32}),
    (st.VersionParams, 4, {"sid": 0}),
    (st.ConnectParams, 8, {"sid": 0, "version": 4}),
    (st.CallParams, 24, {"handle": 0, "type": 4, "in_vec": 8, "in_len": 12, "out_vec": 16, "out_len": 20}),
    (st.CloseParams, 4, {"handle": 0}),
    (st.PsaClientParams, 24, {"raw": 0, "psa_version_params": 0, "psa_connect_params": 0,
                              "psa_call_params": 0, "psa_close_params": 0}),
    (st.MailboxMsg, 32, {"call_type": 0, "params": 4, "client_id": 28}),
    (st.MailboxReply, 16, {"return_val": 0, "owner": 4, "reply": 8, "is_woken": 12}),
    (st.NsMailboxSlot, 48, {"msg": 0, "reply": 32}),
    (st.NsMailboxQueue, 60, {"empty_slots": 0, "pend_slots": 4, "replied_slots": 8, "queue": 12}),
    (st.SharedMemHeader, 124, {"ns_mailbox_queue": 0x00, "in_vec": 0x3C, "out_vec": 0x5C, "buffer": 0x7C}),
    (st.CryptoPackIovec, 44, {"sfn_id": 0, "step": 4, "key_id": 8, "alg": 12, "op_handle": 16,
                              "capacity": 20, "nonce": 24, "nonce_length": 40}),
    (st.KeyAttributesV13, 24, {"lifetime": 0, "id": 4, "alg": 8, "usage": 12, "bits": 16, "type": 20}),
    (st.KeyAttributesV15, 20, {"type": 0, "bits": 2, "lifetime": 4, "id": 8, "usage": 12, "alg": 16}),
    (st.PsaStorageInfo, 12, {"capacity": 0, "size": 4, "flags": 8}),
]


@pytest.mark.parametrize("cls, size, offsets", LAYOUTS, ids=[c.__name__ for c, _, _ in LAYOUTS])
def test_size_and_offsets(cls, size, offsets):
    assert cls.SIZE == size
    assert cls.OFFSETS == offsets
    assert len(cls().pack()) == size


def test_union_size():
    assert st.PSA_CLIENT_PARAMS_SIZE == 24


def test_nested_member_offsets():
    q = NsMailboxQueue
    assert q.offset_of("queue[0].msg") == 12
    assert q.offset_of("queue[0].msg.params") == 16
    assert q.offset_of("queue[0].msg.client_id") == 40
    assert q.offset_of("queue[0].reply") == 44
    assert q.offset_of("queue[0].reply.return_val") == 44
    s = SharedMemHeader
    assert s.offset_of("in_vec[0]") == 0x3C
    assert s.offset_of("in_vec[3].len") == 0x3C + 3 * 8 + 4
    assert s.offset_of("out_vec[2].base") == 0x5C + 16
    assert s.offset_of("buffer") == 0x7C
    assert st.PsaMsg.offset_of("out_size[3]") == 44
    with pytest.raises(KeyError):
        q.offset_of("queue[1]")
    with pytest.raises(KeyError):
        q.offset_of("nothing")


@pytest.mark.parametrize("n", [1, 2, 4, 32])
def test_queue_for_n_slots(n):
    q = st.ns_mailbox_queue_type(n)
    assert q.SIZE == 12 + 48 * n
    assert q.N_SLOTS == n
    for i in range(n):
        assert q.offset_of(f"queue[{i}].msg") == 12 + 48 * i
        assert q.offset_of(f"queue[{i}].reply") == 12 + 48 * i + 32
    assert st.header_size(n) == 12 + 48 * n + 64
    assert st.shared_mem_type(n).OFFSETS["buffer"] == st.header_size(n)
    assert st.shared_mem_type(n).OFFSETS["in_vec"] == 12 + 48 * n
    assert len(q().queue) == n


def test_header_size_and_buffer_size():
    assert st.header_size() == 124 == st.header_size(1)
    assert st.ns_mailbox_queue_type(1) is NsMailboxQueue
    assert st.shared_mem_type(1) is SharedMemHeader
    assert st.PSA_PROXY_SHARED_MEMORY_BASE == 0x1A408000
    assert st.PSA_PROXY_SHARED_MEMORY_BASE_SE == 0x38208000
    assert st.PSA_PROXY_SHARED_MEMORY_SIZE == 0x78000
    assert st.SHARED_BUFFER_SIZE == 0x77F84 == 491396
    assert st.shared_buffer_size(0x1000) == 0x1000 - 124
    with pytest.raises(ValueError):
        st.shared_buffer_size(100)
    for bad in (0, 33):
        with pytest.raises(ValueError):
            st.ns_mailbox_queue_type(bad)


def test_invec_pack_bytes():
    assert PsaInvec(0x3820807C, 8).pack() == bytes.fromhex("7c802038" "08000000")
    assert PsaOutvec.unpack(bytes.fromhex("0000000010000000")) == PsaOutvec(0, 16)


def test_mailbox_msg_bytes_and_views():
    call = CallParams(handle=0x41, type=0, in_vec=0x3820803C, in_len=2, out_vec=0x3820805C, out_len=1)
    msg = MailboxMsg(call_type=4, params=call.to_bytes(), client_id=-1)
    raw = msg.pack()
    expected = struct.pack("<I", 4) + struct.pack("<iiIIII", 0x41, 0, 0x3820803C, 2, 0x3820805C, 1) + \
        struct.pack("<i", -1)
    assert raw == expected
    back = MailboxMsg.unpack(raw)
    assert back == msg
    assert CallParams.from_bytes(back.params) == call
    assert back.params_view() == call
    assert MailboxMsg(call_type=1).params_view() is None


def test_params_union_keeps_fill_bytes():
    junk = bytes(range(0xA0, 0xB8))        # uninitialised stack bytes (TF-M v1.3.0 psa_proxy.c:167)
    raw = ConnectParams(sid=0x70, version=1).to_bytes(fill=junk)
    assert raw[:8] == bytes.fromhex("70000000" "01000000") and raw[8:] == junk[8:]
    assert ConnectParams.from_bytes(raw) == ConnectParams(0x70, 1)
    u = PsaClientParams.of(CloseParams(handle=0x101), fill=junk)
    assert u.close.handle == 0x101 and u.raw[4:] == junk[4:]
    assert u.version == VersionParams(sid=0x101)
    assert PsaClientParams.unpack(u.pack()) == u
    with pytest.raises(ValueError):
        CallParams.from_bytes(bytes(8))


def test_queue_round_trip():
    q = NsMailboxQueue(empty_slots=0, pend_slots=1, replied_slots=0)
    q.queue[0] = NsMailboxSlot(MailboxMsg(3, ConnectParams(0x80, 1).to_bytes(), -1),
                               MailboxReply(return_val=-130, owner=0, reply=0, is_woken=0))
    raw = q.pack()
    assert len(raw) == 60
    assert raw[4:8] == b"\x01\x00\x00\x00"
    assert struct.unpack_from("<I", raw, 12)[0] == 3
    assert struct.unpack_from("<i", raw, 44)[0] == -130
    assert NsMailboxQueue.unpack(raw) == q


def test_shared_mem_header_round_trip_and_unpack_from_offset():
    hdr = SharedMemHeader()
    hdr.ns_mailbox_queue.empty_slots = 1
    hdr.in_vec[0] = PsaInvec(0x3820807C, 12)
    hdr.out_vec[1] = PsaOutvec(0x38208088, 64)
    raw = hdr.pack()
    assert len(raw) == 124
    assert struct.unpack_from("<II", raw, 0x3C) == (0x3820807C, 12)
    assert struct.unpack_from("<II", raw, 0x5C + 8) == (0x38208088, 64)
    memory = bytes(16) + raw + b"\xEE" * 32
    assert SharedMemHeader.unpack(memory, 16) == hdr


def test_multi_slot_queue_round_trip():
    q4 = st.ns_mailbox_queue_type(4)
    q = q4(empty_slots=0xE, pend_slots=1)
    q.queue[3].reply.return_val = 7
    assert q4.unpack(q.pack()) == q
    big = st.shared_mem_type(4)()
    assert len(big.pack()) == st.header_size(4)
    # A 4-slot queue cannot be packed where the 1-slot layout is expected.
    with pytest.raises(ValueError):
        SharedMemHeader(ns_mailbox_queue=q).pack()


def test_other_round_trips():
    msg = st.PsaMsg(type=0, handle=9, client_id=-1, rhandle=0x30001000, in_size=[44, 12, 0, 0], out_size=[32, 0, 0, 0])
    assert st.PsaMsg.unpack(msg.pack()) == msg
    iov = st.CryptoPackIovec(sfn_id=35, step=0x102, key_id=0x7FFFFFE0, alg=0x05500200, nonce=bytes(range(16)),
                             nonce_length=12)
    raw = iov.pack()
    assert raw[6:8] == b"\x00\x00"                      # padding after step
    assert st.CryptoPackIovec.unpack(raw) == iov
    attrs = st.KeyAttributesV13(lifetime=0, id=0, alg=0x03800009, usage=0x3000, bits=256, type=0x1100)
    assert st.KeyAttributesV13.unpack(attrs.pack()).type == 0x1100
    ctrl = st.TfmControlParameter(type=1010, in_len=1, out_len=1)
    assert ctrl.pack() == bytes.fromhex("f2030000" "01000000" "01000000")


def test_pack_rejects_bad_values():
    with pytest.raises(ValueError, match=r"MailboxMsg\.call_type"):
        MailboxMsg(call_type=-1).pack()
    with pytest.raises(ValueError, match="params"):
        MailboxMsg(params=b"short").pack()
    with pytest.raises(ValueError, match="in_size"):
        st.PsaMsg(in_size=[1, 2, 3]).pack()
    with pytest.raises(ValueError, match="needs 32 bytes"):
        MailboxMsg.unpack(bytes(31))


def test_generic_helper_lays_out_padding():
    @cstruct
    @dataclass
    class Pair(CStruct):
        tag: int = cfield(U8)
        value: int = cfield(U32)

    assert Pair.SIZE == 8 and Pair.OFFSETS == {"tag": 0, "value": 4}
    assert Pair(1, 2).pack() == bytes.fromhex("01000000" "02000000")
    with pytest.raises(TypeError):
        cstruct(int)  # type: ignore[arg-type]
