"""Deterministic fault injection (``machine.faults``).

IPC faults act on the PSA Proxy's Host side (attached with ``attach_proxy``) through its
declared interception points (``Proxy.points``: ``packed``, ``before_doorbell``,
``after_doorbell``; see psaemu.proxy.intercept), attached the first time an IPC fault is armed,
so a machine that injects nothing runs no injector code. Core faults (a register
flip, a skipped instruction) are Unicorn code hooks at the address (a fired one-shot hook is
removed at the next arming, ``reset`` or slice boundary with a pending action). Every armed injection counts the events it matches from the moment it
is armed (``nth=1``: the next one); with ``repeat=True`` it fires at the nth and every later one.
Random choices (``random_word=True``, ``xor=None``) come from a seeded ``random.Random``
(:meth:`FaultInjector.seed`), so a run is reproducible. Every arming and every firing is
recorded in the machine's event trace as kind ``"inject"``.

Delayed doorbells, duplicate doorbells and SE stalls wait in a machine agent while they are
pending. Each pending action is plain data (what to do, and the virtual time or condition it
waits for), so the injector's ``save_state`` covers them: a snapshot taken between a fault's
trigger and its delayed action restores the action and the run goes on identically. Armed
injections, seed and generator state are part of the snapshot too; ``reset`` disarms everything.
"""
from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from unicorn import UC_HOOK_CODE

from psaemu.platform.cpu.core import CoreState
from psaemu.platform.errors import PsaEmuError
from psaemu.platform.system.machine import PS_PER_S

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core
    from psaemu.platform.system.machine import Machine

#: Words of a mailbox_msg_t: call_type, params[6], client_id.
MSG_WORDS = 8
#: Injections that are code hooks on a core (rebuilt from their data by a snapshot restore).
CORE_FAULTS = ("flip_register", "skip_instruction")
_U32 = struct.Struct("<I")


@dataclass
class Injection:
    """One armed fault: what, where it fires (``nth`` matching event), its options."""

    id: int
    kind: str
    nth: int = 1
    repeat: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0

    @property
    def done(self) -> bool:
        return self.fired > 0 and not self.repeat

    def match(self) -> bool:
        """Count one matching event; True when this injection fires on it."""
        if self.done:
            return False
        self.seen += 1
        if self.seen == self.nth or (self.repeat and self.seen > self.nth):
            self.fired += 1
            return True
        return False


class FaultInjector:
    """``machine.faults``: arm IPC and core faults; see the module docstring."""

    def __init__(self, machine: "Machine") -> None:
        self.machine = machine
        self.rng = random.Random(0)
        self.seed_value = 0
        self.injections: list[Injection] = []
        self._next_id = 1
        self._proxy: Any = None
        self._dups = 0                      # duplicate doorbells decided before the current doorbell
        self._pending: list[tuple[int, str, tuple]] = []   # (id, what, action data; see _poll)
        self._agent_on = False
        self._hooks: list[tuple["Core", int, list[bool]]] = []

    # -- common ---------------------------------------------------------------------------
    def seed(self, n: int) -> "FaultInjector":
        """Seed the generator of every random choice (recorded in the trace)."""
        self.seed_value = n
        self.rng = random.Random(n)
        self._record("seed", seed=n)
        return self

    def _core(self, name: "str | Core") -> "Core":
        if isinstance(name, str):
            if name not in self.machine.cores:
                raise PsaEmuError(f"no core named {name!r} (cores: {', '.join(self.machine.cores)})")
            return self.machine.cores[name]
        return name

    def _record(self, action: str, core: "Core | None" = None, **data: Any) -> None:
        if core is None:
            core = self._proxy.host if self._proxy is not None else next(iter(self.machine.cores.values()))
        self.machine.events.record_fields(core, "inject", {"action": action, **data})

    def _arm(self, kind: str, nth: int, repeat: bool, core: "Core | None" = None, **options: Any) -> Injection:
        if nth < 1:
            raise PsaEmuError(f"{kind}: nth must be 1 or more (got {nth})")
        inj = Injection(self._next_id, kind, nth, repeat, options)
        self._next_id += 1
        self.injections.append(inj)
        self._record("arm", core, id=inj.id, fault=kind, nth=nth, repeat=int(repeat),
                     **{k: v for k, v in options.items() if isinstance(v, (int, str)) or v is None})
        return inj

    def _fire(self, inj: Injection, core: "Core | None" = None, **data: Any) -> None:
        self._record("fire", core, id=inj.id, fault=inj.kind, n=inj.seen, **data)

    def _active(self, kind: str) -> list[Injection]:
        return [i for i in self.injections if i.kind == kind and not i.done]

    def clear(self) -> None:
        """Disarm every injection that has not fired (core hooks are removed between slices)."""
        self._disarm_all()
        self._record("clear")

    def _disarm_all(self) -> None:
        for inj in self.injections:
            if not inj.done:
                inj.repeat, inj.fired = False, max(inj.fired, 1)

    # -- machine agent (delayed doorbells, stalls, hook cleanup) --------------------------
    def _add_pending(self, inj_id: int, what: str, action: tuple) -> None:
        self._pending.append((inj_id, what, action))
        if not self._agent_on:
            self._agent_on = True
            self.machine.agents.append(self._agent)

    def _drop_fired_hooks(self, every: bool = False) -> None:
        for hook in [h for h in self._hooks if every or h[2][0]]:
            hook[0].uc.hook_del(hook[1])
            self._hooks.remove(hook)

    def reset(self, initial: bool = False) -> None:
        """Disarm everything and remove every hook and pending action (``Machine.restore`` calls
        this: injections are not part of a snapshot). ``initial``: also forget the injections,
        number them from 1 again and seed 0, as a new injector (the pytest plugin's ``booted``
        does this, so no test's injections reach the next one's event trace)."""
        self._disarm_all()
        if initial:
            self.injections, self._next_id = [], 1
            self.rng, self.seed_value = random.Random(0), 0
        self._drop_fired_hooks(every=True)
        self._pending = []
        if self._agent_on:
            self._remove_agent()

    def _agent(self) -> bool:
        acted = False
        self._drop_fired_hooks()
        if self._pending:
            keep = []
            for item in self._pending:
                if self._poll(item[0], item[2]):
                    acted = True
                else:
                    keep.append(item)
            self._pending = keep
        if not self._pending:
            self._remove_agent()
        return acted

    def _poll(self, inj_id: int, action: tuple) -> bool:
        """Carry out one pending action if its time or condition has come (True: done)."""
        kind, args = action[0], action[1:]
        if kind == "deliver":
            return self._deliver_delayed(inj_id, *args)
        if kind == "duplicate":
            return self._deliver_duplicate(*args)
        if kind == "release":
            return self._start_stall(inj_id, *args)
        return self._resume_stalled(inj_id, *args)

    def pending(self) -> list[tuple[int, str]]:
        """The delayed actions still to come: (injection id, what), in order."""
        return [(i, w) for i, w, _a in self._pending]

    @property
    def state_agents(self) -> tuple:
        """The machine agents whose state :meth:`save_state` covers (the pending actions')."""
        return (self._agent,)

    def _remove_agent(self) -> None:
        self._agent_on = False              # a new list: _deliver goes on iterating the old one
        self.machine.agents = [a for a in self.machine.agents if a != self._agent]

    def _idle(self, exclude: "Core | None" = None) -> bool:
        """No core (but ``exclude``) is running: virtual time only moves if something jumps it."""
        return not any(c.state is CoreState.RUNNING for c in self.machine.cores.values() if c is not exclude)

    # -- the proxy ------------------------------------------------------------------------
    def _bind_proxy(self) -> Any:
        if self._proxy is not None:
            return self._proxy
        system = self.machine.proxy_system
        proxy = system.proxy if system is not None else None
        if proxy is None:
            raise PsaEmuError("IPC fault injection needs the PSA Proxy: attach it first (attach_proxy / "
                              "boot_se_only)")
        self._proxy = proxy
        proxy.points.add("packed", self._packed)
        proxy.points.add("before_doorbell", self._before_doorbell)
        proxy.points.add("after_doorbell", self._after_doorbell)
        return proxy

    def _before_doorbell(self, op: Any) -> bool:
        """Corrupt the message; drop, delay or duplicate its doorbell (False: the proxy holds it)."""
        slot = op.slot
        for inj in self._active("corrupt_message"):
            if inj.match():
                self._corrupt_message(inj, slot)
        drop = delay = False
        dup = 0
        for inj in self._active("drop_doorbell"):
            if inj.match():
                self._fire(inj, slot=slot)
                drop = True
        for inj in self._active("delay_doorbell"):
            if inj.match():
                self._fire(inj, slot=slot, cycles=inj.options["cycles"])
                delay = True
                self._delay(inj)
        for inj in self._active("duplicate_doorbell"):
            if inj.match():
                self._fire(inj, slot=slot)
                dup += 1
        self._dups = dup
        return not drop and not delay

    def _after_doorbell(self, op: Any) -> None:
        """Duplicate doorbells decided before; reset the SE right after the doorbell."""
        slot, dup, self._dups = op.slot, self._dups, 0
        for _ in range(dup):
            self._duplicate(slot)
        for inj in self._active("reset_se_during_call"):
            if inj.match():
                se = self.machine.cores[self._proxy.se_name]
                self._fire(inj, se, slot=slot)
                self.machine.events.record(se, "system_reset", why="fault injection")
                se.reset()

    def _corrupt_message(self, inj: Injection, slot: int) -> None:
        proxy = self._proxy
        word = self.rng.randrange(MSG_WORDS) if inj.options.get("random_word") else inj.options["word"]
        xor = inj.options["xor"]
        if xor is None:
            xor = self.rng.randrange(1, 1 << 32)
        off = proxy.layout.slot(slot).msg + 4 * word
        before = proxy.word(off)
        proxy.set_word(off, before ^ xor)
        self._fire(inj, slot=slot, word=word, xor=xor, before=before, after=(before ^ xor) & 0xFFFFFFFF)

    def _delay(self, inj: Injection) -> None:
        m, host = self.machine, self._proxy.host
        target = m.now_ps + inj.options["cycles"] * PS_PER_S // host.clock_hz
        self._add_pending(inj.id, "delayed doorbell", ("deliver", target))

    def _deliver_delayed(self, inj_id: int, target: int) -> bool:
        m = self.machine
        if m.now_ps < target:
            if not self._idle():
                return False
            m.scheduler.sync_idle(target)  # every core waits: let virtual time pass to the delivery
        self._proxy.ring()
        self._record("deliver", id=inj_id, fault="delay_doorbell")
        return True

    def _duplicate(self, slot: int) -> None:
        """Ring again once the SE has taken the message (its pend bit is clear): a doorbell with
        nothing pending, as a glitching MHU line would give."""
        self._add_pending(0, "duplicate doorbell", ("duplicate", slot))

    def _deliver_duplicate(self, slot: int) -> bool:
        proxy = self._proxy
        if proxy.slot_pending(slot):
            return False
        proxy.ring()
        self._record("deliver", fault="duplicate_doorbell", slot=slot)
        return True

    def _packed(self, op: Any) -> None:
        """Corrupt a byte of an input as copied into the shared buffer."""
        record = op.record
        for inj in self._active("corrupt_iovec"):
            if not inj.match():
                continue
            vecs = [v for v in record.in_vecs if v.size > 0]
            o = inj.options
            if not vecs:
                self._fire(inj, note="no input vector")
                continue
            if o["index"] is None:
                vec = vecs[self.rng.randrange(len(vecs))]
            else:
                found = [v for v in vecs if v.index == o["index"]]
                if not found:
                    self._fire(inj, note=f"no input vector {o['index']}")
                    continue
                vec = found[0]
            offset = self.rng.randrange(vec.size) if o["byte_offset"] is None else o["byte_offset"]
            if not 0 <= offset < vec.size:
                self._fire(inj, note=f"byte_offset {offset} is past input vector {vec.index} ({vec.size} bytes)")
                continue
            xor = o["xor"] if o["xor"] is not None else self.rng.randrange(1, 256)
            addr = vec.shared_host + offset
            before = self._proxy.read(addr, 1)[0]
            self._proxy.write(addr, bytes([before ^ (xor & 0xFF)]))
            self._fire(inj, index=vec.index, byte_offset=offset, xor=xor & 0xFF, before=before,
                       after=before ^ (xor & 0xFF))

    # -- IPC faults: public API -----------------------------------------------------------
    def drop_doorbell(self, nth: int = 1, repeat: bool = False) -> Injection:
        """The nth Host->SE request doorbell is never rung (the message stays pending)."""
        self._bind_proxy()
        return self._arm("drop_doorbell", nth, repeat)

    def delay_doorbell(self, nth: int = 1, cycles: int = 10_000, repeat: bool = False) -> Injection:
        """The nth request doorbell rings ``cycles`` Host cycles later (virtual time jumps when every core idles)."""
        _check_cycles("delay_doorbell", cycles)
        self._bind_proxy()
        return self._arm("delay_doorbell", nth, repeat, cycles=int(cycles))

    def duplicate_doorbell(self, nth: int = 1, repeat: bool = False) -> Injection:
        """The nth request doorbell rings a second time once the SE has taken the message."""
        self._bind_proxy()
        return self._arm("duplicate_doorbell", nth, repeat)

    def corrupt_message(self, nth: int = 1, word: int = 0, xor: int | None = 0xFFFFFFFF, *,
                        random_word: bool = False, repeat: bool = False) -> Injection:
        """XOR word ``word`` (0 call_type, 1..6 params, 7 client_id) of the nth mailbox message after
        the proxy wrote it, before its doorbell. ``random_word``/``xor=None``: seeded random choices."""
        if not random_word and not 0 <= word < MSG_WORDS:
            raise PsaEmuError(f"corrupt_message: word {word} is not 0..{MSG_WORDS - 1}")
        self._bind_proxy()
        return self._arm("corrupt_message", nth, repeat, word=None if random_word else word, xor=xor,
                         random_word=random_word)

    def corrupt_iovec(self, nth: int = 1, index: int | None = 0, byte_offset: int | None = 0,
                      xor: int | None = 0xFF, *, random_word: bool = False, repeat: bool = False) -> Injection:
        """XOR one byte of the nth psa_call's input vector ``index`` as copied into the shared
        buffer. ``None`` (or ``random_word=True`` for index and offset): seeded random choices. An
        offset past the vector of the call it fires on corrupts nothing (the ``inject`` event says so)."""
        proxy = self._bind_proxy()
        if index is not None and not 0 <= index < 4:
            raise PsaEmuError(f"corrupt_iovec: index {index} is not an input vector (0..3)")
        limit = proxy.placement.buffer_size
        if byte_offset is not None and not 0 <= byte_offset < limit:
            raise PsaEmuError(f"corrupt_iovec: byte_offset {byte_offset} is outside every input vector (an input "
                              f"vector is at most SHARED_BUFFER_SIZE = {limit:#x} bytes)")
        if random_word:
            index = byte_offset = None
        return self._arm("corrupt_iovec", nth, repeat, index=index, byte_offset=byte_offset, xor=xor)

    def reset_se_during_call(self, nth: int = 1, repeat: bool = False) -> Injection:
        """Reset the SE core right after the nth request doorbell."""
        self._bind_proxy()
        return self._arm("reset_se_during_call", nth, repeat)

    def stall_se(self, cycles: int, core: str = "se") -> Injection:
        """Take the core off the scheduler now for ``cycles`` of its cycles (no reset: it then goes
        on where it was; its clock jumps over the stall). A core that is off (not released yet,
        e.g. when the fault is armed before a run) stalls from the moment it is released."""
        _check_cycles("stall_se", cycles)
        c = self._core(core)
        inj = self._arm("stall_se", 1, False, c, cycles=int(cycles), target=c.name)
        inj.seen = inj.fired = 1
        if c.state is CoreState.OFF:
            self._add_pending(inj.id, "stall (until the core is released)", ("release", c.name, int(cycles)))
        else:
            self._start_stall(inj.id, c.name, int(cycles))
        return inj

    def _start_stall(self, inj_id: int, core: str, cycles: int) -> bool:
        """Take a running core off the scheduler for ``cycles`` (False: it is not released yet)."""
        m, c = self.machine, self.machine.cores[core]
        if c.state is CoreState.OFF:
            return False
        saved, saved_reason = c.state, c.state_reason
        end_ps = m.time_ps(c) + cycles * PS_PER_S // c.clock_hz
        c.state = CoreState.OFF
        c.state_reason = f"stalled by fault injection {inj_id} (stall_se) until t={end_ps / 1e6:.1f}us"
        c.uc.emu_stop()
        self._fire(next(i for i in self.injections if i.id == inj_id), c, cycles=cycles)
        self._add_pending(inj_id, "stall", ("resume", core, end_ps, saved.name, saved_reason))
        return True

    def _resume_stalled(self, inj_id: int, core: str, end_ps: int, saved: str, saved_reason: str) -> bool:
        m, c = self.machine, self.machine.cores[core]
        others = [m.time_ps(o) for o in m.cores.values() if o is not c and o.state is not CoreState.OFF]
        if (max(others) if others else 0) < end_ps and not self._idle(c):
            return False
        c.cycles = max(c.cycles, -(-end_ps * c.clock_hz // PS_PER_S))
        c.state, c.state_reason = CoreState[saved], saved_reason
        self._record("resume", c, id=inj_id, fault="stall_se")
        return True

    # -- core faults ----------------------------------------------------------------------
    def _address(self, core: "Core", where: int | str) -> int:
        if isinstance(where, str):
            if core.image is None:
                raise PsaEmuError(f"core {core.name!r} has no image to look up {where!r} in")
            return core.image.address_of(where)
        return where & ~1

    def _hook(self, inj: Injection, core: "Core", addr: int, action: Callable[[Any, int, int], None]) -> None:
        fired = [False]

        def cb(uc: Any, address: int, size: int, _ud: Any) -> None:
            if fired[0] or not inj.match():
                return
            if not inj.repeat:
                fired[0] = True
            action(uc, address, size)
        self._drop_fired_hooks()
        h = core.uc.hook_add(UC_HOOK_CODE, cb, None, addr, addr)
        core.code_changed(addr, addr + 4)     # code translated before the hook would run past it
        self._hooks.append((core, h, fired))

    def flip_register(self, core: "str | Core", where: int | str, reg: str = "r0", mask: int | None = 1, *,
                      nth: int = 1, repeat: bool = False) -> Injection:
        """When ``core`` reaches ``where`` (symbol or address) for the nth time, XOR ``reg`` with
        ``mask`` before the instruction there executes (``mask=None``: one seeded random bit)."""
        c = self._core(core)
        addr = self._address(c, where)
        c._reg_id(reg)                                # KeyError now rather than at the address
        inj = self._arm("flip_register", nth, repeat, c, target=c.name, address=addr, reg=reg, mask=mask)
        self._install(inj)
        return inj

    def skip_instruction(self, core: "str | Core", where: int | str, *, nth: int = 1,
                         repeat: bool = False) -> Injection:
        """When ``core`` reaches ``where`` for the nth time, go on after its instruction without
        executing it (its size from capstone)."""
        from psaemu.platform.debug.disasm import decode, insn_text
        c = self._core(core)
        addr = self._address(c, where)
        insns = decode(c, addr, 0, 0)
        if not insns or insns[0].address != addr:
            raise PsaEmuError(f"skip_instruction: no instruction decodes at {c.where(addr)}")
        insn = insns[0]
        text = insn_text(insn)
        inj = self._arm("skip_instruction", nth, repeat, c, target=c.name, address=addr, size=insn.size, insn=text)
        self._install(inj)
        return inj

    def _install(self, inj: Injection) -> None:
        """The code hook of a core fault, from the injection's data (arming, or a snapshot restore)."""
        o = inj.options
        c = self._core(o["target"])
        if inj.kind == "flip_register":
            reg, mask = o["reg"], o["mask"]

            def act(_uc: Any, address: int, _size: int) -> None:
                bits = mask if mask is not None else 1 << self.rng.randrange(32)
                before = c.reg(reg)
                c.set_reg(reg, before ^ bits)
                self._fire(inj, c, address=address, reg=reg, mask=bits, before=before,
                           after=(before ^ bits) & 0xFFFFFFFF)
        else:
            size, text = o["size"], o["insn"]

            def act(uc: Any, address: int, _size: int) -> None:
                uc.emu_stop()
                c._resume_pc = address + size          # applied when emu_start returns (as the WFI hooks do)
                c.stop_requested = True
                self._fire(inj, c, address=address, size=size, insn=text)
        self._hook(inj, c, o["address"], act)

    # -- state protocol (snapshots) -------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """Armed injections with their counters, the seed, the generator's state and the pending
        delayed actions (a delayed or duplicate doorbell, a stall), all plain data."""
        return {"seed": self.seed_value, "rng": self.rng.getstate(), "next_id": self._next_id,
                "bound": self._proxy is not None, "pending": [(i, w, tuple(a)) for i, w, a in self._pending],
                "injections": [(i.id, i.kind, i.nth, i.repeat, dict(i.options), i.seen, i.fired)
                               for i in self.injections]}

    def restore_state(self, state: dict[str, Any] | None) -> None:
        """Back to :meth:`save_state`; None (a snapshot taken before the injector existed): nothing armed."""
        self.reset()
        if state is None:
            return
        self.seed_value, self._next_id = state["seed"], state["next_id"]
        self.rng.setstate(_tuples(state["rng"]))
        self.injections = [Injection(*i) for i in state["injections"]]
        if state["bound"]:
            self._bind_proxy()
        for inj in self.injections:
            if inj.kind in CORE_FAULTS and not inj.done:
                self._install(inj)
        for inj_id, what, action in state.get("pending", ()):
            self._add_pending(inj_id, what, tuple(action))


def _tuples(value: Any) -> Any:
    """Lists (a state read back from a file) as the tuples ``random.Random.setstate`` wants."""
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def _check_cycles(fault: str, cycles: int) -> None:
    if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 0:
        raise PsaEmuError(f"{fault}: cycles must be a whole number of cycles, 0 or more (got {cycles!r})")


def injector(machine: "Machine") -> FaultInjector:
    """The machine's injector, created on first use."""
    inj = machine.__dict__.get("_faults")
    if inj is None:
        inj = machine.__dict__["_faults"] = FaultInjector(machine)
    return inj
