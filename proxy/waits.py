"""The non-blocking wait of a Host SVC whose forwarded call waits for the SE (lifted ``non-blocking``).

TF-M v1.3's PSA Proxy blocks its caller: psaemu models it as a core-wide :class:`Block`, during
which the Host core executes nothing and takes no interrupt. With ``non-blocking`` lifted, the
wait is the caller's only: the core wakes for the SE->Host MHU interrupt (the reply doorbell,
which the proxy then takes from the receiver) and for any exception that may preempt the caller.
For the latter the SVC is restarted: the PC goes back to the SVC instruction and the core runs
on, so the exception is taken with the SVC as its return address; its handler runs, returns,
and the SVC executes again, which finds its operation here (by SVC address and stack pointer)
and waits again, or finishes when the reply is in.

The handler may make forwarded calls of its own while the preempted call is parked. Its wait
then also takes the replies of parked calls as they come in (:meth:`NonBlockingWaits.finish_parked`):
their slots come free, so a handler waiting for a slot held by the call it preempted (one slot,
or every slot busy) does not wait forever, and the parked SVC, when executed again, returns the
result kept for it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from psaemu.platform.cpu.core import Block, Core
from psaemu.proxy.operation import QUEUED, REPLY, ForwardOp
from psaemu.proxy.status import PsaStatus

if TYPE_CHECKING:
    from psaemu.proxy.spm import HostSpm


class NonBlockingWaits:
    """The parked SVCs of the Host core: (SVC address, SP) -> (operation id, SVC number)."""

    def __init__(self, spm: "HostSpm") -> None:
        self.spm = spm
        self.parked: dict[tuple[int, int], tuple[int, int]] = {}
        #: Results of parked SVCs whose operation finished while they were parked, by operation id.
        self.results: dict[int, int | None] = {}
        #: Exceptions taken by the Host core while one of its SVCs waited (for reports and tests).
        self.preemptions = 0

    def applies(self, op: ForwardOp) -> bool:
        """This operation's caller waits without blocking its core."""
        return self.spm.proxy.profile.non_blocking and op.phase in (QUEUED, REPLY) \
            and not op.caller.scripted

    def resume(self, core: Core, number: int) -> "Block | bool | None":
        """An SVC executed again after the exception it let in: its wait (or its result); None
        when the SVC is a new one."""
        if not self.parked:
            return None
        key = (core.pc - 2, core.reg("sp"))
        parked = self.parked.pop(key, None)
        if parked is None:
            return None
        op_id, number = parked
        if op_id in self.results:                # finished while parked: the SVC returns its result
            result = self.results.pop(op_id)
            if result is not None:
                core.set_result(result)
            return True
        spm = self.spm
        op = spm.ops.get(op_id)
        if op is None:                           # abandoned meanwhile: the SVC reports the lost call
            core.set_result(PsaStatus.PSA_ERROR_COMMUNICATION_FAILURE & 0xFFFFFFFF)
            return True
        if not spm.ready(op):
            return spm.forward_wait(core, op_id, number)
        pending = spm.pump(core, op, number)
        return pending if pending is not None else True

    def parked_due(self) -> bool:
        """A parked SVC's operation can go on (its turn at the proxy has come, or its reply is in)."""
        ops, ready = self.spm.ops, self.spm.ready
        return any((op := ops.get(op_id)) is not None and not op.done and ready(op)
                   for op_id, _number in self.parked.values())

    def finish_parked(self) -> None:
        """Advance the parked SVCs' operations whose SVC is not running: a queued one whose turn has
        come starts (else the calls queued behind it would wait for it forever), and one whose reply
        is in finishes (the slot comes free); each result waits for its SVC to execute again
        (:meth:`resume`)."""
        spm = self.spm
        for op_id, _number in list(self.parked.values()):
            op = spm.ops.get(op_id)
            if op is not None and not op.done and spm.ready(op):
                spm.advance(op)
                if op.done:
                    self.results[op_id] = op.result
                    spm.core.trace("svc_parked_done", op=op_id)

    def block(self, core: Core, op: ForwardOp, number: int, what: str, resume: tuple) -> Block:
        """The caller's wait: ready on the reply doorbell interrupt, on a preempting exception or
        when what the operation waits for has happened (its slot, its reply)."""
        spm, proxy = self.spm, self.spm.proxy
        irq, pending = proxy.reply_irq, core.nvic.pending

        def ready() -> bool:
            return irq in pending or core.preempting() is not None or spm.ready(op) \
                or (bool(self.parked) and self.parked_due())

        def step() -> Block | None:
            if irq in pending:
                proxy.take_reply_doorbell()
            if self.parked:
                self.finish_parked()
            if spm.ready(op):
                return spm.pump(core, op, number)
            if core.preempting() is not None:
                svc = core.pc - 2
                self.parked[(svc, core.reg("sp"))] = (op.id, number)
                core.set_reg("pc", svc | 1)
                self.preemptions += 1
                core.trace("svc_restart", op=op.id, pc=svc)
                return None
            return self.block(core, op, number, what, resume)
        return Block(ready, step, what, spm.reply_budget_cycles, resume=resume)

    def save_state(self) -> dict:
        """``parked``: ``[svc, sp, op id, SVC number]`` per parked SVC, ``+ [result]`` when its
        operation finished; ``preemptions``: the count so far."""
        return {"parked": [[svc, sp, op_id, number] + ([self.results[op_id]] if op_id in self.results else [])
                           for (svc, sp), (op_id, number) in self.parked.items()],
                "preemptions": self.preemptions}

    def restore_state(self, state: "dict | list") -> None:
        """Put back what :meth:`save_state` gave (a bare list of parked SVCs: a snapshot from before
        the preemption count was kept, which restores it as 0)."""
        entries = state if isinstance(state, list) else state.get("parked", [])
        self.preemptions = 0 if isinstance(state, list) else int(state.get("preemptions", 0))
        self.parked = {(e[0], e[1]): (e[2], e[3]) for e in entries}
        self.results = {e[2]: e[4] for e in entries if len(e) > 4}
