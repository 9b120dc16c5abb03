"""Unicorn *exits* of one core, shared by every part of psaemu that wants the core to stop at an
address, and the instruction counter that lets a slice go on after such a stop.

**Exits.** ``uc.ctl_set_exits([...])`` is Unicorn's list of addresses where ``emu_start``
returns with the PC on the address and its instruction not executed (also inside IT blocks,
ITSTATE intact). Exits are decided when code is translated: they cost nothing while the code
runs, unlike a ``UC_HOOK_CODE``, which Unicorn checks at *every* instruction once ``count=``
slicing is on (each range hook ~1.5-3 ns per executed instruction, whatever its range).
A Unicorn instance has one exit list, so :class:`ExitRegistry` keeps, per core, the addresses
of each *owner* (``"hint"``: the core's WFI/WFE/SEV and interrupt-recognition points;
``"breakpoint"``: the debugger's breakpoints) and pushes their union to Unicorn.

Translated code (measured and read in Unicorn 2.1.4's source):

* a block translated before an address became an exit runs through it, so adding an exit
  drops the translated code covering it (``ctl_remove_cache(a, a + 2)``);
* a block that *starts* at an exit only stops, and a block translated while an exit was lifted
  runs through it: lifting an address to execute its instruction (:meth:`ExitRegistry.lift`)
  translates a block starting there, which :meth:`ExitRegistry.unlift` drops again;
* at the end of every ``emu_start`` Unicorn itself drops the blocks that end at an exit
  (``[exit - 1, exit)``, in ``resume_all_vcpus``), so those are translated again the next time
  they run: only blocks that reach an exit, but it makes going on past an exit cost 20-80 us
  (with the lifted count=1 run and its block), which is why the core turns a hint exit it passes
  very often into a code hook (``Core._promote``).

**Instruction counter.** With ``emu_start(count=N)`` Unicorn counts executed instructions in
``uc_struct.emu_counter`` (``size_t``), which it offers no API to read. :func:`emu_counter` finds
that field once per process with a scratch instance (runs of known length and a stop at a known
exit must give exactly the expected values at one offset) and returns a ``c_size_t`` view of it
for a core's instance, or None when the probe fails (or ``PSAEMU_EMU_COUNTER=0``): the core then
keeps its hints as ``UC_HOOK_CODE`` hooks (same results, slower), since ending the slice at each
hint exit and charging it a whole quantum would change virtual time (measured: +11 % on the
regression pair, +61 % on pingpong, and the exc images never finished, SysTick firing at every
cut slice). After ``emu_start`` stopped at an exit, the counter is the number of instructions
executed; after a stop by ``count`` it is ``N + 1`` (the instruction whose count hook stopped the
run did not execute); it counts the instructions of an IT block that ``count`` runs past.
"""
from __future__ import annotations

import ctypes
import os
from typing import Iterable

from unicorn import UC_ARCH_ARM, UC_CTL_IO_WRITE, UC_CTL_UC_EXITS, UC_MODE_THUMB, Uc

from psaemu.platform.cpu import native

HINT = "hint"
BREAKPOINT = "breakpoint"


class ExitRegistry:
    """The exit list of one core's Unicorn instance: the union of every owner's addresses."""

    def __init__(self, uc: Uc) -> None:
        self.uc = uc
        self._sets: dict[str, frozenset[int]] = {}
        #: address -> owners of the exit there (sorted names)
        self._owners: dict[int, tuple[str, ...]] = {}
        #: every exit address of every owner (what Unicorn has, but for a lifted one)
        self.addresses: frozenset[int] = frozenset()
        self._enabled = False
        self._lifted: int | None = None
        self._arrays: dict[int | None, tuple[ctypes.Array, ctypes.c_size_t]] = {}

    # -- owners ---------------------------------------------------------------------------
    def set(self, owner: str, addresses: Iterable[int]) -> None:
        """Make ``addresses`` the exits of ``owner`` (replacing its previous ones)."""
        new = frozenset(a & ~1 for a in addresses)
        old = self._sets.get(owner, frozenset())
        if new == old:
            return
        if new:
            self._sets[owner] = new
        else:
            self._sets.pop(owner, None)
        owners: dict[int, list[str]] = {}
        for name in sorted(self._sets):
            for a in self._sets[name]:
                owners.setdefault(a, []).append(name)
        self._owners = {a: tuple(names) for a, names in owners.items()}
        before = self.addresses
        self.addresses = frozenset(self._owners)
        self._arrays.clear()
        self._sync(before ^ self.addresses)

    def add(self, owner: str, address: int) -> None:
        self.set(owner, self._sets.get(owner, frozenset()) | {address & ~1})

    def discard(self, owner: str, address: int) -> None:
        self.set(owner, self._sets.get(owner, frozenset()) - {address & ~1})

    def of(self, owner: str) -> frozenset[int]:
        """The exits ``owner`` has registered."""
        return self._sets.get(owner, frozenset())

    def owners(self, address: int) -> tuple[str, ...]:
        """Who registered an exit at ``address`` (empty if nobody)."""
        return self._owners.get(address, ())

    def others(self, address: int, owner: str) -> bool:
        """Whether an owner besides ``owner`` has an exit at ``address``."""
        names = self._owners.get(address, ())
        return len(names) > 1 or (len(names) == 1 and names[0] != owner)

    def __contains__(self, address: object) -> bool:
        return address in self._owners

    def __len__(self) -> int:
        return len(self._owners)

    # -- executing the instruction at an exit ----------------------------------------------
    def lift(self, address: int) -> None:
        """Take ``address`` out of Unicorn's list so the instruction there can execute (one
        ``count=1`` slice); :meth:`unlift` puts it back. One address at a time."""
        if address in self._owners:
            self._lifted = address
            self._push()

    def unlift(self) -> None:
        address, self._lifted = self._lifted, None
        if address is not None:
            self._push()
            # the block translated from the lifted address runs through it: drop it
            self.uc.ctl_remove_cache(address, address + 2)

    # -- Unicorn --------------------------------------------------------------------------
    def _push(self) -> None:
        """Give Unicorn the current list (a prebuilt array per lifted address)."""
        lifted = self._lifted
        cached = self._arrays.get(lifted)
        if cached is None:
            addrs = sorted(a for a in self._owners if a != lifted)
            arr = (ctypes.c_uint64 * max(1, len(addrs)))(*addrs)
            cached = self._arrays[lifted] = (arr, ctypes.c_size_t(len(addrs)))
        arr, count = cached
        self.uc.ctl(UC_CTL_UC_EXITS, UC_CTL_IO_WRITE, ctypes.cast(arr, ctypes.c_void_p), count)

    def _sync(self, changed: Iterable[int]) -> None:
        """Push the union to Unicorn (turning exits on or off) and drop the translated code
        at ``changed`` addresses, where blocks were cut (or not) by the old list."""
        uc = self.uc
        if self._owners:
            if not self._enabled:
                uc.ctl_exits_enabled(True)
                self._enabled = True
            self._push()
        elif self._enabled:
            uc.ctl_set_exits([])
            uc.ctl_exits_enabled(False)
            self._enabled = False
        for a in changed:
            uc.ctl_remove_cache(a, a + 2)


# =============================================================================================
# uc_struct.emu_counter
# =============================================================================================

_PROBE_BYTES = 4096            # uc_struct is far larger (64 sigjmp_bufs follow emu_counter)
_offset: int | None | bool = False      # False: not probed yet


def _probe_offset() -> int | None:
    """Offset of ``emu_counter`` in ``uc_struct`` (``emu_count`` follows it), or None."""
    from unicorn.arm_const import UC_ARM_REG_PC, UC_ARM_REG_R0, UC_CPU_ARM_CORTEX_M0
    never = 0xFFFFFFF0
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M0)
    uc.ctl_set_tcg_buffer_size(1 << 20)
    try:
        base = native.handle(uc).value
    except OSError:
        return None
    uc.mem_map(0x1000, 0x1000)
    uc.mem_write(0x1000, bytes.fromhex("0130" "00bf" "fce7"))      # 1: adds r0,#1 ; nop ; b 1b
    words = (ctypes.c_size_t * (_PROBE_BYTES // ctypes.sizeof(ctypes.c_size_t))).from_address(base)
    n = len(words)
    candidates = None
    # (start, count, exits or None, counter expected, r0 expected): two runs ended by count (the
    # counter is count + 1), three ended by the exit at the nop after 2, 0 and 1 instructions
    runs = [(0x1000, 7919, None, 7920, None), (0x1000, 104, None, 105, None),
            (0x1004, 1000, [0x1002], 2, 1), (0x1002, 1000, [0x1002], 0, 0), (0x1000, 3, [0x1002], 1, 1)]
    for start, count, exits, expected, r0 in runs:
        if exits is not None:
            uc.ctl_exits_enabled(True)
            uc.ctl_set_exits(exits)
            uc.ctl_flush_tb()                    # blocks translated before the exit run through it
        uc.reg_write(UC_ARM_REG_R0, 0)
        uc.emu_start(start | 1, never, count=count)
        if exits is not None and (uc.reg_read(UC_ARM_REG_PC) != exits[0] or uc.reg_read(UC_ARM_REG_R0) != r0):
            return None
        snapshot = list(words)
        found = {i for i in range(n - 1) if snapshot[i] == expected and snapshot[i + 1] == count}
        candidates = found if candidates is None else candidates & found
        if not candidates:
            return None
    if len(candidates) != 1:
        return None
    return candidates.pop() * ctypes.sizeof(ctypes.c_size_t)


def counter_offset() -> int | None:
    """Offset of ``emu_counter`` in this libunicorn's ``uc_struct`` (probed once), or None."""
    global _offset
    if _offset is False:
        if os.environ.get("PSAEMU_EMU_COUNTER", "1").strip().lower() in ("0", "no", "off", "false"):
            _offset = None
        else:
            try:
                _offset = _probe_offset()
            except Exception:
                _offset = None
    return _offset


def emu_counter(uc: Uc) -> ctypes.c_size_t | None:
    """A live view of ``uc``'s instruction counter (``.value``), or None if it cannot be read."""
    off = counter_offset()
    if off is None:
        return None
    try:
        return ctypes.c_size_t.from_address(native.handle(uc).value + off)
    except OSError:
        return None
