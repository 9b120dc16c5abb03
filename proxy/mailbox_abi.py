"""Constants of the TF-M dual-core mailbox, its MHU handshake and the PSA client SVC numbers.

Values (TF-M v1.3.0): ``interface/include/multi_core/tfm_mailbox.h:30-45``,
``tfm_mailbox_config.h.in:19``, the Musca-B1 glue magic words
(``secure_enclave/mailbox/platform_multicore.h:14-22``) and ``tfm_svc_number_t``
(``secure_fw/include/tfm/tfm_core_svc.h:14-56``).
"""
from __future__ import annotations

from enum import IntEnum

from .status import to_int32

__all__ = [
    "MailboxCallType", "MailboxError", "mailbox_error_name",
    "MAILBOX_PSA_FRAMEWORK_VERSION", "MAILBOX_PSA_VERSION", "MAILBOX_PSA_CONNECT",
    "MAILBOX_PSA_CALL", "MAILBOX_PSA_CLOSE",
    "MAILBOX_SUCCESS", "MAILBOX_QUEUE_FULL", "MAILBOX_INVAL_PARAMS", "MAILBOX_NO_PERMS",
    "MAILBOX_NO_PEND_EVENT", "MAILBOX_CHAN_BUSY", "MAILBOX_CALLBACK_REG_ERROR",
    "MAILBOX_INIT_ERROR", "MAILBOX_GENERIC_ERROR",
    "MAILBOX_QUEUE_FULL_U32", "MAILBOX_INVAL_PARAMS_U32", "MAILBOX_NO_PERMS_U32",
    "MAILBOX_NO_PEND_EVENT_U32", "MAILBOX_CHAN_BUSY_U32", "MAILBOX_CALLBACK_REG_ERROR_U32",
    "MAILBOX_INIT_ERROR_U32", "MAILBOX_GENERIC_ERROR_U32",
    "NUM_MAILBOX_QUEUE_SLOT", "NUM_MAILBOX_QUEUE_SLOT_MAX", "MAILBOX_MSG_NULL_HANDLE",
    "NON_SECURE_CLIENT_ID",
    "IPC_SYNC_MAGIC", "NS_MAILBOX_INIT_ENABLE", "S_MAILBOX_READY",
    "PSA_CLIENT_CALL_REQ_MAGIC", "PSA_CLIENT_CALL_REPLY_MAGIC", "PLATFORM_MAILBOX_SUCCESS",
    "SvcV13", "SvcV15",
]


class MailboxCallType(IntEnum):
    """``mailbox_msg_t.call_type``: which PSA client call a mailbox message carries."""

    MAILBOX_PSA_FRAMEWORK_VERSION = 0x1
    MAILBOX_PSA_VERSION = 0x2
    MAILBOX_PSA_CONNECT = 0x3
    MAILBOX_PSA_CALL = 0x4
    MAILBOX_PSA_CLOSE = 0x5


MAILBOX_PSA_FRAMEWORK_VERSION = MailboxCallType.MAILBOX_PSA_FRAMEWORK_VERSION
MAILBOX_PSA_VERSION = MailboxCallType.MAILBOX_PSA_VERSION
MAILBOX_PSA_CONNECT = MailboxCallType.MAILBOX_PSA_CONNECT
MAILBOX_PSA_CALL = MailboxCallType.MAILBOX_PSA_CALL
MAILBOX_PSA_CLOSE = MailboxCallType.MAILBOX_PSA_CLOSE

_INT32_MIN = -(1 << 31)


class MailboxError(IntEnum):
    """Mailbox library results (int32, signed values); ``.u32`` gives the register image."""

    MAILBOX_SUCCESS = 0
    MAILBOX_QUEUE_FULL = _INT32_MIN + 1
    MAILBOX_INVAL_PARAMS = _INT32_MIN + 2
    MAILBOX_NO_PERMS = _INT32_MIN + 3
    MAILBOX_NO_PEND_EVENT = _INT32_MIN + 4
    MAILBOX_CHAN_BUSY = _INT32_MIN + 5
    MAILBOX_CALLBACK_REG_ERROR = _INT32_MIN + 6
    MAILBOX_INIT_ERROR = _INT32_MIN + 7
    MAILBOX_GENERIC_ERROR = _INT32_MIN + 8

    @property
    def u32(self) -> int:
        """The value as an unsigned 32-bit word (e.g. 0x80000001 for MAILBOX_QUEUE_FULL)."""
        return int(self) & 0xFFFFFFFF

    @classmethod
    def from_raw(cls, value: int) -> "MailboxError":
        """Look up a result given signed (int32) or unsigned (register) form."""
        return cls(to_int32(value))


def mailbox_error_name(value: int) -> str:
    """``"MAILBOX_QUEUE_FULL (0x80000001)"``; unknown values in hex."""
    try:
        err = MailboxError.from_raw(value)
    except ValueError:
        return f"{value & 0xFFFFFFFF:#010x}"
    return f"{err.name} ({err.u32:#010x})"


# Signed (as the C int32_t constants compare) ...
MAILBOX_SUCCESS = int(MailboxError.MAILBOX_SUCCESS)
MAILBOX_QUEUE_FULL = int(MailboxError.MAILBOX_QUEUE_FULL)
MAILBOX_INVAL_PARAMS = int(MailboxError.MAILBOX_INVAL_PARAMS)
MAILBOX_NO_PERMS = int(MailboxError.MAILBOX_NO_PERMS)
MAILBOX_NO_PEND_EVENT = int(MailboxError.MAILBOX_NO_PEND_EVENT)
MAILBOX_CHAN_BUSY = int(MailboxError.MAILBOX_CHAN_BUSY)
MAILBOX_CALLBACK_REG_ERROR = int(MailboxError.MAILBOX_CALLBACK_REG_ERROR)
MAILBOX_INIT_ERROR = int(MailboxError.MAILBOX_INIT_ERROR)
MAILBOX_GENERIC_ERROR = int(MailboxError.MAILBOX_GENERIC_ERROR)
# ... and unsigned (as they appear in a register or in memory).
MAILBOX_QUEUE_FULL_U32 = MailboxError.MAILBOX_QUEUE_FULL.u32
MAILBOX_INVAL_PARAMS_U32 = MailboxError.MAILBOX_INVAL_PARAMS.u32
MAILBOX_NO_PERMS_U32 = MailboxError.MAILBOX_NO_PERMS.u32
MAILBOX_NO_PEND_EVENT_U32 = MailboxError.MAILBOX_NO_PEND_EVENT.u32
MAILBOX_CHAN_BUSY_U32 = MailboxError.MAILBOX_CHAN_BUSY.u32
MAILBOX_CALLBACK_REG_ERROR_U32 = MailboxError.MAILBOX_CALLBACK_REG_ERROR.u32
MAILBOX_INIT_ERROR_U32 = MailboxError.MAILBOX_INIT_ERROR.u32
MAILBOX_GENERIC_ERROR_U32 = MailboxError.MAILBOX_GENERIC_ERROR.u32

# --- Queue configuration ------------------------------------------------------------------
NUM_MAILBOX_QUEUE_SLOT = 1        # cmake default; forced to 1 for the bare-metal proxy
NUM_MAILBOX_QUEUE_SLOT_MAX = 32   # valid range 1..32 (#error otherwise)
MAILBOX_MSG_NULL_HANDLE = 0       # SE-side mailbox_msg_handle_t; handle = slot index + 1
NON_SECURE_CLIENT_ID = -1         # client_id the proxy puts in every message

# --- MHU channel-0 words of the Musca-B1 handshake and doorbells -------------------------
IPC_SYNC_MAGIC = 0x7DADE011               # Host -> SE: Host TF-M is up
NS_MAILBOX_INIT_ENABLE = 0xAE             # SE -> Host: send the queue address
S_MAILBOX_READY = 0xC3                    # SE -> Host: SPE mailbox ready
PSA_CLIENT_CALL_REQ_MAGIC = 0xA5CF50C6    # Host -> SE doorbell, one per request
PSA_CLIENT_CALL_REPLY_MAGIC = 0xC605FC5A  # SE -> Host doorbell, one per reply
PLATFORM_MAILBOX_SUCCESS = 0


# --- SVC numbers of the PSA client calls --------------------------------------------------
class SvcV13(IntEnum):
    """``tfm_svc_number_t`` client entries of TF-M v1.3 (IPC model; independent of log level)."""

    TFM_SVC_PSA_FRAMEWORK_VERSION = 10
    TFM_SVC_PSA_VERSION = 11
    TFM_SVC_PSA_CONNECT = 12
    TFM_SVC_PSA_CALL = 13
    TFM_SVC_PSA_CLOSE = 14


class SvcV15(IntEnum):
    """Client SVC numbers of TF-M v1.5 (``svc_num.h``; used only when ``TFM_LVL`` > 1)."""

    TFM_SVC_PSA_FRAMEWORK_VERSION = 0x0
    TFM_SVC_PSA_VERSION = 0x1
    TFM_SVC_PSA_CONNECT = 0x2
    TFM_SVC_PSA_CALL = 0x3
    TFM_SVC_PSA_CLOSE = 0x4
