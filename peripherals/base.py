"""Common shape of every peripheral model: registers built from fields, one bus path, outputs, state.

Models know nothing about Unicorn: the machine maps them on a core's bus and connects their
named outputs (interrupt lines, reset controls, byte streams) to whatever consumes them.

A model declares its map once (``REGISTERS``). A register may be built from :class:`Field` s,
each with its bit range, access mode, reset value and side-effect callbacks, so a reader sees
every side effect in the declaration. Every bus access of every model goes through
:meth:`Peripheral.read` / :meth:`Peripheral.write`; :meth:`Peripheral.peek` reads without any
side effect, for sub-word write merges and for debuggers.

Handler contract:

* ``read_<NAME>()`` gives a register's current value and has no side effect (it is what
  :meth:`~Peripheral.peek` returns). Side effects of a read are declared on fields: access
  ``"rc"`` (the field clears on any read of the register) or ``on_read`` (a callback run only
  when the access returns that field's bits).
* ``write_<NAME>(value)`` gets the whole 32-bit value (sub-word writes already merged) and
  then owns the register's storage. A register with fields and no write handler stores by its
  fields' access modes and calls their ``on_write`` callbacks; without fields it is plain storage.
* Registers of a :func:`bank` (``NAME0``, ``NAME1``...) may share one handler taking the index:
  ``read_<NAME>(index)`` / ``write_<NAME>(index, value)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Callable, Iterable, Optional

#: Field access modes: r read-only (writes ignored), w write-only (reads 0, not stored; the
#: written bits go to ``on_write``), rw read/write, w1c write 1 to clear, w1s write 1 to set,
#: rc read-only and cleared by any read of the register.
ACCESS_MODES = ("r", "w", "rw", "w1c", "w1s", "rc")
_STORED_ON_WRITE = ("rw", "w1c", "w1s")
#: Modes whose written bits are actions on the stored value, not the value itself: a sub-word
#: write leaves these bits of the other bytes zero (writing back what was read would act on them).
_ACTION_ON_WRITE = ("w", "w1c", "w1s")

AccessHook = Callable[[str, str, str, int], None]


@dataclass(frozen=True)
class Field:
    """Bits ``lsb .. lsb+width-1`` of a register: access mode, reset value, side-effect callbacks.

    ``on_read`` / ``on_write`` name methods of the model: ``on_read()`` runs after a bus read
    that returns any of this field's bits; ``on_write(value)`` runs after every bus write of a
    register stored by its fields, with the field's new value (for ``"w"`` fields, the bits
    written). Callbacks run in declaration order.
    """

    name: str
    lsb: int
    width: int = 1
    access: str = "rw"
    reset: int = 0
    doc: str = ""
    on_read: Optional[str] = None
    on_write: Optional[str] = None

    def __post_init__(self) -> None:
        if self.access not in ACCESS_MODES:
            raise ValueError(f"field {self.name}: access {self.access!r} is not one of {', '.join(ACCESS_MODES)}")
        if not (0 <= self.lsb and self.width >= 1 and self.lsb + self.width <= 32):
            raise ValueError(f"field {self.name}: bits {self.lsb}+{self.width} do not fit a 32-bit register")
        if self.reset >> self.width:
            raise ValueError(f"field {self.name}: reset {self.reset:#x} does not fit {self.width} bit(s)")

    @property
    def mask(self) -> int:
        """The field's bits in the register."""
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    """One register of a peripheral's map: where it is, how it may be accessed, its reset value,
    and optionally the fields it is built from (then ``reset`` is taken from the fields)."""

    name: str
    offset: int
    access: str = "rw"          # "r", "w" or "rw"
    reset: int = 0
    doc: str = ""
    #: Sub-word writes keep the other bytes (read-modify-write through peek); False for
    #: set/clear registers, where the other bytes of a narrow write must count as zero.
    #: With fields, the bytes of ``w``/``w1c``/``w1s`` fields count as zero in any case.
    merge: bool = True
    fields: tuple[Field, ...] = ()
    #: Set by :func:`bank`: the shared name and this register's index in the bank.
    group: str = ""
    index: int = 0

    def __post_init__(self) -> None:
        if not self.fields:
            return
        used = 0
        for f in self.fields:
            if used & f.mask:
                raise ValueError(f"register {self.name}: field {f.name} overlaps another field")
            used |= f.mask
        reset = sum(f.reset << f.lsb for f in self.fields)
        if self.reset not in (0, reset):
            raise ValueError(f"register {self.name}: reset {self.reset:#x} disagrees with its fields ({reset:#x})")
        object.__setattr__(self, "reset", reset)

    def field(self, name: str) -> Field:
        """The field called ``name`` (KeyError naming the register's fields otherwise)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"register {self.name} has no field {name!r} "
                       f"(it has: {', '.join(f.name for f in self.fields) or 'none'})")

    @cached_property
    def keep_mask(self) -> int:
        """Bits a sub-word write takes from the current value (outside the bytes written); computed
        once per register, not once per machine built."""
        if not self.merge:
            return 0
        return 0xFFFFFFFF & ~sum(f.mask for f in self.fields if f.access in _ACTION_ON_WRITE)


def bank(name: str, offset: int, count: int, stride: int = 4, access: str = "rw",
         reset: int = 0, doc: str = "", merge: bool = True,
         fields: tuple[Field, ...] = ()) -> tuple[Register, ...]:
    """A run of identical registers (``NAME0``, ``NAME1``...) spaced ``stride`` bytes apart."""
    return tuple(Register(f"{name}{i}", offset + i * stride, access, reset, doc, merge, fields, name, i)
                 for i in range(count))


class _Slot:
    """One register as the bus sees it: its handlers, resolved once when the model is built."""

    __slots__ = ("reg", "name", "readable", "writable", "peek", "write", "keep", "rc_mask",
                 "rc_stored", "rc_actions", "read_actions")

    def __init__(self, reg: Register) -> None:
        self.reg = reg
        self.name = reg.name
        self.readable = "r" in reg.access
        self.writable = "w" in reg.access
        self.keep = reg.keep_mask
        self.rc_mask = sum(f.mask for f in reg.fields if f.access == "rc")
        self.rc_stored = False          # rc bits kept in ``regs`` (no read handler): cleared there
        self.peek: Callable[[], int] = lambda: 0
        self.write: Callable[[int], None] = lambda value: None
        #: callbacks of "rc" fields (run on any read) and (mask, callback) of on_read fields
        self.rc_actions: tuple[Callable[[], None], ...] = ()
        self.read_actions: tuple[tuple[int, Callable[[], None]], ...] = ()


#: id(register map) -> (map, offset -> register, name -> reset value); bounded (maps built per
#: model instance, as MHU frames may, must not pile up).
_MAP_TABLES: dict[int, tuple[tuple[Register, ...], dict[int, Register], dict[str, int]]] = {}
_MAP_TABLES_MAX = 64


def _map_tables(registers: tuple[Register, ...]) -> tuple[dict[int, Register], dict[str, int]]:
    """(offset -> register, name -> reset value) of a register map, computed once per map, not
    once per model built; callers must not change them."""
    entry = _MAP_TABLES.get(id(registers))
    if entry is None or entry[0] is not registers:
        entry = (registers, {r.offset: r for r in registers}, {r.name: r.reset for r in registers})
        if len(_MAP_TABLES) >= _MAP_TABLES_MAX:
            del _MAP_TABLES[next(iter(_MAP_TABLES))]
        _MAP_TABLES[id(registers)] = entry
    return entry[1], entry[2]


#: (model class, id of its register map) -> the map, for the maps whose field callbacks are checked.
_CHECKED: dict[tuple[type, int], tuple[Register, ...]] = {}


def _check_callbacks(cls: type, registers: tuple[Register, ...]) -> None:
    """Once per model class and register map: every field's ``on_read``/``on_write`` names a
    method of the model (a misspelt one would otherwise fail at the first access, mid-run)."""
    key = (cls, id(registers))
    if _CHECKED.get(key) is registers:
        return
    from psaemu.platform.errors import ConfigError

    for reg in registers:
        for f in reg.fields:
            for kind, method in (("on_read", f.on_read), ("on_write", f.on_write)):
                if method and not callable(getattr(cls, method, None)):
                    raise ConfigError(
                        f"peripheral model {cls.__name__} ({getattr(cls, 'TYPE', '?')}): register {reg.name} "
                        f"field {f.name} names {kind}={method!r}, which is not a method of the model; "
                        f"define {cls.__name__}.{method} or fix the name in REGISTERS")
    _CHECKED[key] = registers


def _lane_mask(offset: int, size: int) -> int:
    """The bits of the register word that a ``size``-byte access at ``offset`` covers."""
    return (((1 << (8 * size)) - 1) << ((offset & 3) * 8)) & 0xFFFFFFFF


class Peripheral:
    """Base class: subclasses declare ``REGISTERS`` (with fields where they have behaviour) and
    implement ``read_<NAME>``/``write_<NAME>`` where a register is more than storage.

    Reads of unknown offsets return 0 and writes to them are ignored; both are counted in
    ``bus_errors`` so tests and traces can see them. :meth:`peek` never counts, never acts.
    """

    TYPE = "peripheral"
    SIZE = 0x1000
    REGISTERS: tuple[Register, ...] = ()
    OUTPUTS: tuple[str, ...] = ()
    #: Called as ``(kind, model name, register name, whole-register value)`` on every bus
    #: read and write when set (models that expose it to the event trace offer ``on_access``).
    _access_hook: Optional[AccessHook] = None

    def __init__(self, name: str) -> None:
        self.name = name
        #: offset -> register of the map (shared by every model of one map); the bus slots are
        #: bound from it on first access of each register (:meth:`_bind_slot`).
        self._by_offset, self._reset_values = _map_tables(self.REGISTERS)
        _check_callbacks(type(self), self.REGISTERS)
        self._bus_slots: dict[int, _Slot] = {}
        self._outputs: dict[str, list[Callable[[Any], None]]] = {o: [] for o in self.OUTPUTS}
        self.bus_errors: list[tuple[str, int, int]] = []
        self.regs: dict[str, int] = {}
        self.reset()

    def _handler(self, kind: str, reg: Register) -> Optional[Callable[..., Any]]:
        """``<kind>_<NAME>``, else the bank's ``<kind>_<GROUP>`` bound to the register's index."""
        fn = getattr(self, f"{kind}_{reg.name}", None)
        if fn is None and reg.group:
            shared = getattr(self, f"{kind}_{reg.group}", None)
            if shared is not None:
                fn = partial(shared, reg.index)
        return fn

    def _bind_slot(self, word: int) -> Optional[_Slot]:
        """The bus slot of the register at ``word`` (an aligned offset), its handlers and field
        callbacks resolved on the first access: a model binds only the registers firmware touches
        (a System Control Space declares ~300, a boot touches ~20). None: no register there."""
        reg = self._by_offset.get(word)
        if reg is None:
            return None
        slot = _Slot(reg)
        name = reg.name
        reader = self._handler("read", reg)
        slot.peek = reader if reader is not None else (lambda n=name: self.regs[n])
        slot.rc_stored = reader is None and bool(slot.rc_mask)
        writer = self._handler("write", reg)
        if writer is not None:
            slot.write = writer
        elif reg.fields:
            slot.write = partial(self._write_fields, reg, tuple(
                (f, getattr(self, f.on_write)) for f in reg.fields if f.on_write))
        else:
            slot.write = partial(self._plain_store, name)
        slot.rc_actions = tuple(getattr(self, f.on_read) for f in reg.fields
                                if f.on_read and f.access == "rc")
        slot.read_actions = tuple((f.mask, getattr(self, f.on_read)) for f in reg.fields
                                  if f.on_read and f.access != "rc")
        self._bus_slots[word] = slot
        return slot

    # -- wiring ---------------------------------------------------------------------------
    def connect(self, output: str, sink: Callable[[Any], None]) -> None:
        """Send every change of ``output`` to ``sink``; unknown outputs are a programming error."""
        if output not in self._outputs:
            raise KeyError(f"{self.TYPE} '{self.name}' has no output '{output}' "
                           f"(it has: {', '.join(self.OUTPUTS) or 'none'})")
        self._outputs[output].append(sink)

    def emit(self, output: str, value: Any) -> None:
        """Drive an output (an IRQ level, a reset line, a byte) to everything connected to it."""
        for sink in self._outputs[output]:
            sink(value)

    def update(self) -> None:
        """Recompute the outputs from the register state and emit those that changed (models
        with outputs override this; it is the one place their levels come from)."""

    # -- state ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Return every register to its reset value."""
        self.regs = dict(self._reset_values)

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to put the model back exactly as it is now."""
        return {"regs": dict(self.regs)}

    def restore(self, state: dict[str, Any]) -> None:
        """Undo to a state taken by :meth:`snapshot`."""
        self.regs = dict(state["regs"])

    def save_state(self) -> dict[str, Any]:
        """The state protocol of every component (machine snapshots): the model's :meth:`snapshot`
        (plain data) and the bus errors counted so far."""
        return {"model": self.snapshot(), "bus_errors": list(self.bus_errors)}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Put back :meth:`save_state` (through the model's :meth:`restore`)."""
        self.restore(state["model"])
        self.bus_errors = list(state["bus_errors"])

    # -- storage by fields ----------------------------------------------------------------
    def _plain_store(self, name: str, value: int) -> None:
        self.regs[name] = value

    def _write_fields(self, reg: Register, callbacks: tuple[tuple[Field, Callable[[int], None]], ...],
                      value: int) -> None:
        """Store ``value`` into ``reg`` by its fields' access modes, then run their ``on_write``."""
        new = self.regs[reg.name]
        for f in reg.fields:
            bits = value & f.mask
            if f.access == "rw":
                new = (new & ~f.mask) | bits
            elif f.access == "w1c":
                new &= ~bits
            elif f.access == "w1s":
                new |= bits
        self.regs[reg.name] = new
        for f, callback in callbacks:
            source = value if f.access not in _STORED_ON_WRITE else new
            callback((source & f.mask) >> f.lsb)

    # -- bus ------------------------------------------------------------------------------
    def peek(self, offset: int, size: int = 4) -> int:
        """What a ``size``-byte read at ``offset`` would return, with no side effect at all: no
        FIFO pops, no read-to-clear, no access hook, no bus error (unknown or write-only: 0)."""
        slot = self._bus_slots.get(offset & ~3) or self._bind_slot(offset & ~3)
        if slot is None or not slot.readable:
            return 0
        return (slot.peek() >> ((offset & 3) * 8)) & ((1 << (8 * size)) - 1)

    def peek_bytes(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` as a debugger sees them: word by word through :meth:`peek`."""
        out = bytearray()
        for word in range(offset & ~3, offset + length, 4):
            out += self.peek(word, 4).to_bytes(4, "little")
        start = offset & 3
        return bytes(out[start:start + length])

    def read(self, offset: int, size: int) -> int:
        """Bus read of ``size`` bytes at ``offset``; sub-word reads see the containing word, and
        a field's ``on_read`` runs only if the access returns some of its bits."""
        slot = self._bus_slots.get(offset & ~3) or self._bind_slot(offset & ~3)
        if slot is None or not slot.readable:
            self.bus_errors.append(("read", offset, size))
            return 0
        value = slot.peek()
        if slot.rc_mask:
            self._read_clear(slot)
        if slot.read_actions:
            lanes = _lane_mask(offset, size)
            for mask, action in slot.read_actions:
                if lanes & mask:
                    action()
        hook = self._access_hook
        if hook is not None:
            hook("read", self.name, slot.name, value)
        if size == 4 and not offset & 3:
            return value
        return (value >> ((offset & 3) * 8)) & ((1 << (8 * size)) - 1)

    def _read_clear(self, slot: _Slot) -> None:
        """``rc`` fields: clear the stored bits (when stored here) and run their callbacks."""
        if slot.rc_stored:
            self.regs[slot.name] &= ~slot.rc_mask
        for action in slot.rc_actions:
            action()

    def write(self, offset: int, size: int, value: int) -> None:
        """Bus write; a sub-word write merges into the peeked value of the containing word (the
        register's ``keep_mask`` bits), so writing never runs a read side effect."""
        slot = self._bus_slots.get(offset & ~3) or self._bind_slot(offset & ~3)
        if slot is None or not slot.writable:
            self.bus_errors.append(("write", offset, size))
            return
        if size != 4:
            shift = (offset & 3) * 8
            mask = ((1 << (8 * size)) - 1) << shift
            if slot.keep:
                old = slot.peek() if slot.readable else self.regs.get(slot.name, 0)
                old &= slot.keep
            else:
                old = 0
            value = (old & ~mask) | ((value << shift) & mask)
        value &= 0xFFFFFFFF
        hook = self._access_hook
        if hook is not None:
            hook("write", self.name, slot.name, value)
        slot.write(value)

    def register_names(self) -> Iterable[str]:
        """Names of the declared registers, in map order."""
        return (r.name for r in sorted(self.REGISTERS, key=lambda r: r.offset))

    def register_at(self, offset: int) -> Optional[Register]:
        """The register containing ``offset``, or None."""
        slot = self._bus_slots.get(offset & ~3) or self._bind_slot(offset & ~3)
        return slot.reg if slot is not None else None
