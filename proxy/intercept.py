"""Declared interception points on the proxy's forwarding path (``Proxy.points``).

Observers and fault injection attach handlers here instead of replacing the proxy's methods.
Each handler gets the :class:`~psaemu.proxy.operation.ForwardOp` in progress (its ``slot``,
``record``, vectors). The points, in the order a forwarded operation passes them:

``packed``
    a psa_call's inputs are in the shared buffer and the IOVEC tables are written (the
    record's ``in_vecs`` say where); the message is not written yet.
``before_doorbell``
    the message is in its slot and the slot is pending; the doorbell is next. A handler that
    returns False holds the doorbell: it then rings it itself (``Proxy.ring``) or never.
``after_doorbell``
    the doorbell was rung (or held).
``on_reply``
    the SE's reply bit was seen and its ``return_val`` read (``op.value``); the slot is free.
``before_write_back``
    a successful psa_call's outputs are about to be copied from the shared buffer to the caller.

Handlers run in the order they were added. With none attached a point costs one list test.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from psaemu.proxy.operation import ForwardOp

POINTS = ("packed", "before_doorbell", "after_doorbell", "on_reply", "before_write_back")
Handler = Callable[["ForwardOp"], "bool | None"]


class InterceptionPoints:
    """Handlers per point; :meth:`add` returns a function that removes the handler again."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {p: [] for p in POINTS}

    def add(self, point: str, handler: Handler) -> Callable[[], None]:
        if point not in self._handlers:
            from psaemu.platform.errors import PsaEmuError
            raise PsaEmuError(f"the proxy has no interception point {point!r} (points: {', '.join(POINTS)})")
        self._handlers[point].append(handler)
        return lambda: self.remove(point, handler)

    def remove(self, point: str, handler: Handler) -> None:
        handlers = self._handlers.get(point, [])
        if handler in handlers:
            handlers.remove(handler)

    def handlers(self, point: str) -> list[Handler]:
        return list(self._handlers[point])

    def fire(self, point: str, op: "ForwardOp") -> bool:
        """Run the point's handlers; False when one of them returned False (``before_doorbell``: hold)."""
        handlers = self._handlers[point]
        if not handlers:
            return True
        go = True
        for handler in list(handlers):
            if handler(op) is False:
                go = False
        return go
