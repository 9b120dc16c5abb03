"""Common shape of every peripheral model: a declared register map, bus access, outputs, state.

Models know nothing about Unicorn: the machine maps them on a core's bus and connects their
named outputs (interrupt lines, reset controls, byte streams) to whatever consumes them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Register:
    """One register of a peripheral's map: where it is, how it may be accessed, its reset value."""

    name: str
    offset: int
    access: str = "rw"          # "r", "w" or "rw"
    reset: int = 0
    doc: str = ""
    #: Sub-word writes keep the other bytes (read-modify-write); False for set/clear registers,
    #: where the other bytes of a narrow write must count as zero.
    merge: bool = True


def bank(name: str, offset: int, count: int, stride: int = 4, access: str = "rw",
         reset: int = 0, doc: str = "", merge: bool = True) -> tuple[Register, ...]:
    """A run of identical registers (``NAME0``, ``NAME1``...) spaced ``stride`` bytes apart."""
    return tuple(Register(f"{name}{i}", offset + i * stride, access, reset, doc, merge) for i in range(count))


class Peripheral:
    """Base class: subclasses declare ``REGISTERS`` and implement ``read_<NAME>``/``write_<NAME>``.

    Registers without a handler are plain storage. Reads of unknown offsets return 0 and writes
    to them are ignored; both are counted in ``bus_errors`` so tests and traces can see them.
    """

    TYPE = "peripheral"
    SIZE = 0x1000
    REGISTERS: tuple[Register, ...] = ()
    OUTPUTS: tuple[str, ...] = ()

    def __init__(self, name: str) -> None:
        self.name = name
        self._by_offset = {r.offset: r for r in self.REGISTERS}
        # register handlers, resolved once here rather than by name at every bus access
        self._readers: dict[str, Callable[[], int]] = {}
        self._writers: dict[str, Callable[[int], None]] = {}
        self._bind_register_handlers()
        self._outputs: dict[str, list[Callable[[Any], None]]] = {o: [] for o in self.OUTPUTS}
        self.bus_errors: list[tuple[str, int, int]] = []
        self.regs: dict[str, int] = {}
        self.reset()

    def _bind_register_handlers(self) -> None:
        """``read_<NAME>``/``write_<NAME>`` of each declared register into ``_readers``/``_writers``."""
        for reg in self.REGISTERS:
            rd = getattr(self, "read_" + reg.name, None)
            wr = getattr(self, "write_" + reg.name, None)
            if rd:
                self._readers[reg.name] = rd
            if wr:
                self._writers[reg.name] = wr

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

    # -- state ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Return every register to its reset value."""
        self.regs = {r.name: r.reset for r in self.REGISTERS}

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to put the model back exactly as it is now."""
        return {"regs": dict(self.regs)}

    def restore(self, state: dict[str, Any]) -> None:
        """Undo to a state taken by :meth:`snapshot`."""
        self.regs = dict(state["regs"])

    # -- bus ------------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        """Bus read of ``size`` bytes at ``offset``; sub-word reads see the containing word."""
        word_off = offset & ~3
        reg = self._by_offset.get(word_off)
        if reg is None or "r" not in reg.access:
            self.bus_errors.append(("read", offset, size))
            return 0
        handler = self._readers.get(reg.name)
        value = handler() if handler else self.regs[reg.name]
        shift = (offset & 3) * 8
        return (value >> shift) & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        """Bus write; sub-word writes merge into the containing word before the handler sees it."""
        word_off = offset & ~3
        reg = self._by_offset.get(word_off)
        if reg is None or "w" not in reg.access:
            self.bus_errors.append(("write", offset, size))
            return
        handler = self._writers.get(reg.name)
        if size != 4:
            shift = (offset & 3) * 8
            mask = ((1 << (8 * size)) - 1) << shift
            if reg.merge:
                reader = self._readers.get(reg.name)
                old = reader() if reader and "r" in reg.access else self.regs.get(reg.name, 0)
            else:
                old = 0
            value = (old & ~mask) | ((value << shift) & mask)
        if handler:
            handler(value & 0xFFFFFFFF)
        else:
            self.regs[reg.name] = value & 0xFFFFFFFF

    def register_names(self) -> Iterable[str]:
        """Names of the declared registers, in map order."""
        return (r.name for r in sorted(self.REGISTERS, key=lambda r: r.offset))
