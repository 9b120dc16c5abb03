"""Mailbox queue settings beyond TF-M v1.3 as shipped: the slot count (the non-blocking wait is a
lifted limitation, proxy/profiles.py, served by proxy/waits.py).

TF-M builds the NS mailbox with ``NUM_MAILBOX_QUEUE_SLOT`` slots (1..32; the bare-metal PSA Proxy
of v1.3 forces 1). psaemu takes the count from the board (``[proxy] mailbox_slots``) or the
command line (``--mailbox-slots``) and tells the SE firmware through its configuration block.
With more than one slot, several Host callers have calls in flight at once, one per slot; each
takes its own share of the shared buffer (see :func:`lane_span`).
"""
from __future__ import annotations

from typing import Any

from psaemu.platform.errors import ConfigError
from psaemu.proxy.mailbox_abi import NUM_MAILBOX_QUEUE_SLOT, NUM_MAILBOX_QUEUE_SLOT_MAX

#: The ``[proxy]`` key of the slot count.
BOARD_KEY = "mailbox_slots"
#: Bytes of a lane's in_vec[4] + out_vec[4] tables (multi-slot: each lane has its own).
TABLES_SIZE = 64


def check_slots(value: Any, where: str) -> int:
    """A slot count as given (int or decimal string) checked against TF-M's range 1..32."""
    try:
        n = int(value, 0) if isinstance(value, str) else value
    except ValueError:
        n = None
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= NUM_MAILBOX_QUEUE_SLOT_MAX:
        raise ConfigError(f"{where}: mailbox slot count {value!r} must be a whole number from 1 to "
                          f"{NUM_MAILBOX_QUEUE_SLOT_MAX} (TF-M's NUM_MAILBOX_QUEUE_SLOT range; 1 is TF-M v1.3 "
                          f"as shipped)")
    return n


def resolve_slots(board_value: Any, source: str, cli_value: Any = None) -> int:
    """The slot count: ``--mailbox-slots`` over the board's ``mailbox_slots`` over 1."""
    if cli_value is not None:
        return check_slots(cli_value, "--mailbox-slots")
    if board_value is not None:
        return check_slots(board_value, f"{source}.{BOARD_KEY}")
    return NUM_MAILBOX_QUEUE_SLOT


def lane_span(buffer_size: int, n_slots: int, lane: int) -> tuple[int, int]:
    """(offset in the shared buffer, size) of lane ``lane``'s tables + data when ``n_slots`` > 1:
    the buffer cut in ``n_slots`` equal 8-aligned parts, each starting with its vector tables."""
    part = (buffer_size // n_slots) & ~7
    if part <= TABLES_SIZE:
        raise ConfigError(f"the shared buffer ({buffer_size} bytes) is too small for {n_slots} mailbox slots: "
                          f"each slot needs more than {TABLES_SIZE} bytes; use fewer slots or a larger "
                          f"PSA_PROXY_SHARED_MEMORY_SIZE")
    return lane * part, part
