"""Security attribution enforced on a core: Non-secure code cannot touch Secure memory.

Unicorn cannot run TrustZone (the core always executes Secure), so the core's security state
follows the code it executes, as the board's attribution says (IDAU aliases + MPC gating,
``Memory.security``). Unicorn's page protections carry it, with no per-access hook:

* Secure state: everything is readable and writable; Non-secure memory is not executable.
* Non-secure state: Secure memory has no access at all; Non-secure memory is executable.

So every S<->NS transition surfaces as a fetch-protection error: :meth:`SecurityGuard.on_fetch`
switches the state (the protections, and a flush of translated code, which Unicorn would
otherwise reuse without checking the new protections) and the core re-executes. A data access
protection error, or a fetch that is no legal transition, is the fault the hardware gives:
SecureFault for a Secure alias (IDAU), BusFault for a Non-secure alias an MPC keeps Secure.

Once the firmware has entered Non-secure state with BXNS/BLXNS, the architectural transitions
apply instead (:mod:`psaemu.platform.cpu.trustzone`: banked registers, SG clears LR bit 0,
FNC_RETURN, exception entry/return by security state) and a plain Secure -> Non-secure branch is
a SecureFault (INVTRAN). Before that (psaemu's bundled images):

Where nothing is enforced (a Host image with its own secure side), the first BXNS/BLXNS turns on
*tracking* (:meth:`SecurityGuard.track`): only the fetch protections, so the transitions are seen
while every data access is allowed.

Legal Non-secure -> Secure transitions: a target holding SG, inside the core's NSC veneer
region, or inside a registered entry range (the Host partitions' code, which psaemu's bundled
Non-secure images call directly). Secure -> Non-secure is always allowed (returns from those
calls are plain branches). Python's own accesses (``mem_read``/``mem_write``: SPM, exception
engine, MMIO models) ignore the protections.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from unicorn import UC_MEM_WRITE_PROT, UC_PROT_ALL, UC_PROT_NONE, UC_PROT_READ, UC_PROT_WRITE, Uc

from psaemu.platform.cpu.nvic import BUSFAULT, SECUREFAULT
from psaemu.platform.cpu.scs import SFSR_AUVIOL, SFSR_INVEP, SFSR_INVTRAN, SFSR_SFARVALID
from psaemu.platform.system.memory import SecuritySpan

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core
    from psaemu.platform.cpu.trustzone import TrustZone

SECURE, NON_SECURE = "secure", "non-secure"


def secure_fault(core: "Core", sfsr: int, what: str, *, pc: int, address: int | None = None,
                 sfar: int | None = None) -> None:
    """Raise a SecureFault on ``core`` with its cause in SAU->SFSR (``sfsr``: one SFSR_* bit) and,
    given ``sfar``, the faulting address in SFAR with SFARVALID (Armv8-M ARM D1.2.225-226)."""
    regs = core.scs.regs
    regs["SFSR"] |= sfsr
    if sfar is not None:
        regs["SFAR"] = sfar
        regs["SFSR"] |= SFSR_SFARVALID
    core.raise_fault(SECUREFAULT, 0, what, pc=pc, address=address)

#: SG, the Secure gateway instruction (two identical halfwords).
SG = b"\x7f\xe9\x7f\xe9"
_PERMS = {SECURE: {True: UC_PROT_ALL, False: UC_PROT_READ | UC_PROT_WRITE},
          NON_SECURE: {True: UC_PROT_NONE, False: UC_PROT_ALL}}
#: Transition tracking without enforcement (:meth:`SecurityGuard.track`): only fetches across the
#: attribution fault, so every S<->NS transition is still seen; data accesses are all allowed.
_PERMS_TRACK = {SECURE: {True: UC_PROT_ALL, False: UC_PROT_READ | UC_PROT_WRITE},
                NON_SECURE: {True: UC_PROT_READ | UC_PROT_WRITE, False: UC_PROT_ALL}}


def _pieces(uc: Uc, spans: list[SecuritySpan]) -> list[tuple[int, int, bool]]:
    """(base, size, secure) of every mapped part of ``spans``, adjacent equal parts merged."""
    regions = sorted((b, e + 1) for b, e, _p in uc.mem_regions())
    out: list[list[Any]] = []
    for span in spans:
        for rb, re_ in regions:
            lo, hi = max(span.base, rb), min(span.end, re_)
            if lo >= hi:
                continue
            if out and out[-1][0] + out[-1][1] == lo and out[-1][2] == span.secure:
                out[-1][1] += hi - lo
            else:
                out.append([lo, hi - lo, span.secure])
    return [(b, s, sec) for b, s, sec in sorted(out)]


class SecurityGuard:
    """The security state of one core and the Unicorn protections that enforce it."""

    def __init__(self, core: "Core", spans: list[SecuritySpan], enabled: bool = True) -> None:
        self.core = core
        self.spans = spans
        self.enabled = False
        #: Fetch protections on while enforcement is off (an image that enters Non-secure state itself).
        self.tracking = False
        self.state = SECURE
        self.switches = 0
        #: (start, end) ranges NS code may branch into (besides SG and the veneer region).
        self.entries: list[tuple[int, int]] = []
        veneer = core.spec.veneer_region
        if veneer:
            self.entries.append((veneer[0], veneer[0] + veneer[1]))
        self._pieces: list[tuple[int, int, bool]] = []
        self.set_enabled(enabled)
        #: BXNS/BLXNS/SG/FNC_RETURN and the banked registers (Armv8-M cores only).
        self.tz: "TrustZone | None" = None
        if core.v8m:
            from psaemu.platform.cpu.trustzone import TrustZone
            self.tz = TrustZone(self)

    # -- queries --------------------------------------------------------------------------
    def span(self, addr: int) -> SecuritySpan | None:
        for s in self.spans:
            if s.base <= addr < s.end:
                return s
        return None

    def is_entry(self, addr: int) -> bool:
        """NS code may enter Secure code at ``addr``: SG there, or an entry range holds it."""
        if any(lo <= addr < hi for lo, hi in self.entries):
            return True
        try:
            return bytes(self.core.uc.mem_read(addr, 4)) == SG
        except Exception:
            return False

    # -- control --------------------------------------------------------------------------
    def set_enabled(self, on: bool) -> None:
        """Turn enforcement on (protections follow the state) or off (everything accessible)."""
        if (on or self.tracking) and not self._pieces:
            self._pieces = _pieces(self.core.uc, self.spans)
        self.enabled = on
        if on or self.tracking:
            self._apply()
        else:
            for base, size, _sec in self._pieces:
                self.core.uc.mem_protect(base, size, UC_PROT_ALL)
            self.core.uc.ctl_flush_tb()

    def track(self, on: bool) -> None:
        """Keep fetch protections while enforcement is off, so that the transitions of an image
        that enters Non-secure state itself (BXNS, SG, exception returns) still surface as
        fetch-protection errors; its data accesses stay unchecked (its own SAU/MPC decide them)."""
        if on == self.tracking:
            return
        self.tracking = on
        if not self.enabled:
            self.set_enabled(False)

    def save_state(self) -> tuple[Any, ...]:
        """Enforcement, state, tracking and the Security Extension's state (snapshots)."""
        return (self.enabled, self.state, self.tracking,
                None if self.tz is None else self.tz.save_state())

    def restore(self, enabled: bool, state: str, tracking: bool = False, tz: Any = None) -> None:
        """A snapshot's enforcement and state (Unicorn's protections are not in its context)."""
        self.state = state
        self.tracking = tracking
        if self.tz is not None and tz is not None:
            self.tz.restore_state(tz)
        self.set_enabled(enabled)

    def add_entries(self, ranges: list[tuple[int, int]]) -> None:
        """Secure code ranges that NS code may branch into (e.g. partition code sections)."""
        self.entries.extend(r for r in ranges if r not in self.entries)

    def reset(self, pc: int) -> None:
        """At a core reset: the state of the code at the reset vector."""
        span = self.span(pc & ~1)
        if self.tz is not None:
            self.tz.reset()
        self.track(False)
        self.switch(NON_SECURE if span is not None and not span.secure else SECURE)

    def switch(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        self.switches += 1
        if self.enabled or self.tracking:
            self._apply()

    def _apply(self) -> None:
        uc = self.core.uc
        perms = (_PERMS if self.enabled else _PERMS_TRACK)[self.state]
        for base, size, secure in self._pieces:
            uc.mem_protect(base, size, perms[secure])
        uc.ctl_flush_tb()          # translated blocks are reused without a protection check

    # -- protection errors ----------------------------------------------------------------
    def on_fetch(self, pc: int) -> str | None:
        """A fetch-protection error at ``pc``: "switch" (a state transition: execute again),
        "fault" (raised on the core) or None (not an attribution matter)."""
        span = self.span(pc)
        if span is None or not (self.enabled or self.tracking):
            return None
        tz = self.tz
        if tz is not None and tz.active and tz.expected(pc):      # after a BXNS, FNC_RETURN, exception
            self.switch(NON_SECURE if self.state == SECURE else SECURE)
            return "switch"
        if self.state == SECURE:
            if not span.secure:
                if tz is not None and tz.active:
                    secure_fault(self.core, SFSR_INVTRAN, f"Secure code branched to Non-secure {pc:#010x} "
                                 f"without BXNS/BLXNS (INVTRAN)", pc=pc, address=pc)
                    return "fault"
                self.switch(NON_SECURE)
                return "switch"
            self.core.raise_fault(BUSFAULT, 1 << 8, f"instruction fetch by Secure code from {pc:#010x}: "
                                  f"{span.what}, attribution secure", pc=pc, address=pc)
            return "fault"
        if not span.secure:                      # NS state, NS memory: not a protection matter
            return None
        if not span.mpc and self.is_entry(pc):
            if tz is not None and tz.active:
                tz.secure_gateway(pc)
            self.switch(SECURE)
            return "switch"
        self.fault("fetch", pc, 2, span, pc=pc)
        return "fault"

    def on_data(self, access: int, addr: int, size: int, value: int, pc: int) -> bool:
        """A data protection error: Non-secure code read or wrote Secure memory. True when
        the fault was raised."""
        span = self.span(addr)
        if span is None or not self.enabled:
            return False
        write = access == UC_MEM_WRITE_PROT
        self.fault("write" if write else "read", addr, size, span, pc=pc, value=value if write else None)
        return True

    def fault(self, verb: str, addr: int, size: int, span: SecuritySpan, *, pc: int,
              value: int | None = None) -> None:
        """SecureFault for a Secure alias (IDAU: INVEP for a fetch, AUVIOL with SFAR for data), BusFault
        for an MPC-gated Non-secure alias."""
        what = (f"Non-secure code {verb} of {size} byte(s) at {addr:#010x}"
                + (f" (value {value:#x})" if value is not None else "")
                + f": {span.what}, attribution secure")
        if verb == "fetch" and not span.mpc:
            what += " (not an entry point: no SG there)"
        if not span.mpc and verb == "fetch":        # a branch to Secure code that is not an SG
            secure_fault(self.core, SFSR_INVEP, what, pc=pc, address=addr)
        elif not span.mpc:                          # a data access to Secure memory
            secure_fault(self.core, SFSR_AUVIOL, what, pc=pc, address=addr, sfar=addr)
        elif verb == "fetch":
            self.core.raise_fault(BUSFAULT, 1 << 8, what, pc=pc, address=addr)
        else:
            self.core.raise_fault(BUSFAULT, (1 << 9) | (1 << 15), what, pc=pc, address=addr, bfar=addr)

