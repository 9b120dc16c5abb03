"""Mailbox constants, handshake magic words and client SVC numbers (TF-M v1.3.0 tfm_mailbox.h:30-45, platform_multicore.h:14-22, tfm_core_svc.h:14-56)."""
from __future__ import annotations

import pytest

from psaemu.proxy import mailbox_abi as mb
from psaemu.proxy.mailbox_abi import MailboxCallType, MailboxError, SvcV13, SvcV15


def test_call_types():
    assert {c.name: int(c) for c in MailboxCallType} == {
        "MAILBOX_PSA_FRAMEWORK_VERSION": 1, "MAILBOX_PSA_VERSION": 2, "MAILBOX_PSA_CONNECT": 3,
        "MAILBOX_PSA_CALL": 4, "MAILBOX_PSA_CLOSE": 5}
    assert (mb.MAILBOX_PSA_CONNECT, mb.MAILBOX_PSA_CALL, mb.MAILBOX_PSA_CLOSE) == (3, 4, 5)


EXPECTED_ERRORS_U32 = {
    "MAILBOX_SUCCESS": 0, "MAILBOX_QUEUE_FULL": 0x80000001, "MAILBOX_INVAL_PARAMS": 0x80000002,
    "MAILBOX_NO_PERMS": 0x80000003, "MAILBOX_NO_PEND_EVENT": 0x80000004, "MAILBOX_CHAN_BUSY": 0x80000005,
    "MAILBOX_CALLBACK_REG_ERROR": 0x80000006, "MAILBOX_INIT_ERROR": 0x80000007,
    "MAILBOX_GENERIC_ERROR": 0x80000008,
}


def test_error_codes_unsigned_and_signed():
    assert {e.name: e.u32 for e in MailboxError} == EXPECTED_ERRORS_U32
    assert int(MailboxError.MAILBOX_QUEUE_FULL) == -2147483647
    assert int(MailboxError.MAILBOX_GENERIC_ERROR) == -2147483640
    for name, u32 in EXPECTED_ERRORS_U32.items():
        signed = u32 - (1 << 32) if u32 else 0
        assert getattr(mb, name) == signed
        if u32:
            assert getattr(mb, name + "_U32") == u32


def test_error_lookup_from_either_form():
    assert MailboxError.from_raw(0x80000002) is MailboxError.MAILBOX_INVAL_PARAMS
    assert MailboxError.from_raw(-2147483646) is MailboxError.MAILBOX_INVAL_PARAMS
    assert mb.mailbox_error_name(0x80000001) == "MAILBOX_QUEUE_FULL (0x80000001)"
    assert mb.mailbox_error_name(-2147483641) == "MAILBOX_INIT_ERROR (0x80000007)"
    assert mb.mailbox_error_name(7) == "0x00000007"
    with pytest.raises(ValueError):
        MailboxError.from_raw(0x80000009)


def test_queue_configuration():
    assert mb.NUM_MAILBOX_QUEUE_SLOT == 1
    assert mb.NUM_MAILBOX_QUEUE_SLOT_MAX == 32
    assert mb.MAILBOX_MSG_NULL_HANDLE == 0
    assert mb.NON_SECURE_CLIENT_ID == -1


def test_magic_words():
    assert mb.IPC_SYNC_MAGIC == 0x7DADE011
    assert mb.NS_MAILBOX_INIT_ENABLE == 0xAE
    assert mb.S_MAILBOX_READY == 0xC3
    assert mb.PSA_CLIENT_CALL_REQ_MAGIC == 0xA5CF50C6
    assert mb.PSA_CLIENT_CALL_REPLY_MAGIC == 0xC605FC5A
    assert mb.PLATFORM_MAILBOX_SUCCESS == 0


def test_svc_numbers():
    assert [int(s) for s in SvcV13] == [10, 11, 12, 13, 14]
    assert [int(s) for s in SvcV15] == [0, 1, 2, 3, 4]
    assert SvcV13.TFM_SVC_PSA_CALL == 13 and SvcV15.TFM_SVC_PSA_CALL == 3
    assert [s.name for s in SvcV13] == [s.name for s in SvcV15] == [
        "TFM_SVC_PSA_FRAMEWORK_VERSION", "TFM_SVC_PSA_VERSION", "TFM_SVC_PSA_CONNECT",
        "TFM_SVC_PSA_CALL", "TFM_SVC_PSA_CLOSE"]
