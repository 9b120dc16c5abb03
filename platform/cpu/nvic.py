"""Exception state of one Cortex-M core: NVIC and system-exception priorities, pending/active sets.

Pure bookkeeping with no Unicorn in it: the exception engine asks which exception to take and
tells this model when one is entered or returns; the System Control Space registers read and
write it. Interrupt lines are level-sensitive as on real NVIC inputs.
"""
from __future__ import annotations

from typing import Any, Iterable

NMI, HARDFAULT, MEMMANAGE, BUSFAULT, USAGEFAULT, SECUREFAULT = 2, 3, 4, 5, 6, 7
SVCALL, DEBUGMON, PENDSV, SYSTICK = 11, 12, 14, 15
IRQ0 = 16
EXCEPTION_NAMES = {1: "Reset", NMI: "NMI", HARDFAULT: "HardFault", MEMMANAGE: "MemManage",
                   BUSFAULT: "BusFault", USAGEFAULT: "UsageFault", SECUREFAULT: "SecureFault",
                   SVCALL: "SVCall", DEBUGMON: "DebugMonitor", PENDSV: "PendSV", SYSTICK: "SysTick"}
#: Lowest execution priority: Thread mode with nothing active or masked.
THREAD_PRIORITY = 256
_FIXED = {NMI: -2, HARDFAULT: -1}
#: SHCSR enable bits of the configurable faults (v8-M); disabled faults escalate to HardFault.
_FAULT_ENABLE_BIT = {MEMMANAGE: 16, BUSFAULT: 17, USAGEFAULT: 18, SECUREFAULT: 19}


def exception_name(exc: int) -> str:
    """``SVCall``, ``IRQ24``...: the name reports and traces print for an exception number."""
    return EXCEPTION_NAMES.get(exc, f"IRQ{exc - IRQ0}" if exc >= IRQ0 else f"exception {exc}")


def exception_label(exc: int) -> str:
    """An exception number as reports print it, unambiguous next to IRQ numbers: ``IRQ 87`` for an
    external interrupt (exception 16 + 87), ``SysTick (exception 15)`` for a system exception."""
    if exc >= IRQ0:
        return f"IRQ {exc - IRQ0}"
    return f"{EXCEPTION_NAMES.get(exc, 'reserved')} (exception {exc})"


def exception_list(excs: Iterable[int]) -> str:
    """Exception numbers as one list of :func:`exception_label` labels, system exceptions first; ``none``."""
    return ", ".join(exception_label(e) for e in sorted(set(excs))) or "none"


class Nvic:
    """Priorities, enables, pending and active state, masking and preemption decisions."""

    def __init__(self, num_irqs: int, priority_bits: int, v8m: bool) -> None:
        self.num_irqs = num_irqs
        self.priority_bits = priority_bits
        self.v8m = v8m
        self.prio_mask = (0xFF << (8 - priority_bits)) & 0xFF
        self.reset()

    def reset(self) -> None:
        """Power-on state: nothing enabled, pending or active; all priorities 0; PRIGROUP 0."""
        self.priority = [0] * (IRQ0 + self.num_irqs)
        self.enabled: set[int] = set()          # external IRQ numbers (0-based)
        self.pending: set[int] = set()          # exception numbers
        self.active: list[int] = []             # exception numbers, in entry order
        self.lines: set[int] = set()            # external IRQ inputs that are asserted
        self.prigroup = 0
        self.shcsr = 0

    # -- priorities -----------------------------------------------------------------------
    def set_priority(self, exc: int, value: int) -> None:
        """Write the priority field of a configurable exception (unimplemented low bits read 0)."""
        if exc not in _FIXED and 0 < exc < len(self.priority):
            self.priority[exc] = value & self.prio_mask

    def exc_priority(self, exc: int) -> int:
        return _FIXED.get(exc, self.priority[exc] if exc < len(self.priority) else 0)

    def group(self, prio: int) -> int:
        """Group (preempting) part of a priority under the current PRIGROUP."""
        if prio < 0:
            return prio
        return prio & ~((2 << self.prigroup) - 1) & 0xFF if self.v8m else prio

    def execution_priority(self, primask: int, faultmask: int = 0, basepri: int = 0) -> int:
        """The priority an exception must beat (be numerically lower than) to preempt now."""
        prio = THREAD_PRIORITY
        for exc in self.active:
            prio = min(prio, self.group(self.exc_priority(exc)))
        if basepri & self.prio_mask and self.v8m:
            prio = min(prio, self.group(basepri & self.prio_mask))
        if primask & 1:
            prio = min(prio, 0)
        if faultmask & 1:
            prio = min(prio, -1)
        return prio

    # -- pending / enable -----------------------------------------------------------------
    def is_enabled(self, exc: int) -> bool:
        if exc >= IRQ0:
            return (exc - IRQ0) in self.enabled
        bit = _FAULT_ENABLE_BIT.get(exc)
        return bit is None or bool(self.shcsr & (1 << bit))

    def set_pending(self, exc: int) -> None:
        self.pending.add(exc)

    def clear_pending(self, exc: int) -> None:
        """Clear a pending bit; a still-asserted, inactive level input pends again at once."""
        self.pending.discard(exc)
        if exc >= IRQ0 and (exc - IRQ0) in self.lines and exc not in self.active:
            self.pending.add(exc)

    def set_line(self, irq: int, level: bool) -> None:
        """Drive an external interrupt input; a rising level makes the interrupt pending."""
        if level:
            if irq not in self.lines:
                self.lines.add(irq)
                self.pending.add(IRQ0 + irq)
        else:
            self.lines.discard(irq)

    def best_pending(self) -> int | None:
        """The pending, enabled exception that would be taken first, by priority then number."""
        pending = self.pending
        if not pending:
            return None
        best = None
        best_key = None
        enabled, priority = self.enabled, self.priority
        for exc in pending:
            if exc >= IRQ0:                       # is_enabled and exc_priority, inlined (per slice)
                if exc - IRQ0 not in enabled:
                    continue
                key = (priority[exc] if exc < len(priority) else 0, exc)
            elif not self.is_enabled(exc):
                continue
            else:
                key = (self.exc_priority(exc), exc)
            if best_key is None or key < best_key:
                best, best_key = exc, key
        return best

    def can_preempt(self, exc: int, exec_prio: int) -> bool:
        return self.group(self.exc_priority(exc)) < exec_prio

    def would_take(self, primask: int, faultmask: int = 0, basepri: int = 0) -> bool:
        """A pending exception would preempt under these mask values (WFI passes PRIMASK 0)."""
        exc = self.best_pending()
        return exc is not None and self.can_preempt(exc, self.execution_priority(primask, faultmask, basepri))

    # -- entry / return -------------------------------------------------------------------
    def activate(self, exc: int) -> None:
        self.pending.discard(exc)
        self.active.append(exc)

    def deactivate(self, exc: int) -> None:
        """Exception return: the handler is no longer active; a held level input pends again."""
        if exc in self.active:
            self.active.remove(exc)
        if exc >= IRQ0 and (exc - IRQ0) in self.lines:
            self.pending.add(exc)

    def describe(self) -> str:
        """Enabled, pending and active exceptions in one line, every number labelled the same way
        (``enabled`` holds IRQ numbers, ``pending``/``active`` exception numbers): the one place
        fault and deadlock reports take this from."""
        return (f"enabled: {exception_list(IRQ0 + irq for irq in self.enabled)}; "
                f"pending: {exception_list(self.pending)}; active: {exception_list(self.active)}")

    # -- snapshots ------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {"priority": list(self.priority), "enabled": sorted(self.enabled),
                "pending": sorted(self.pending), "active": list(self.active),
                "lines": sorted(self.lines), "prigroup": self.prigroup, "shcsr": self.shcsr}

    def restore(self, s: dict[str, Any]) -> None:
        self.priority = list(s["priority"])
        self.enabled, self.pending = set(s["enabled"]), set(s["pending"])
        self.active, self.lines = list(s["active"]), set(s["lines"])
        self.prigroup, self.shcsr = s["prigroup"], s["shcsr"]
