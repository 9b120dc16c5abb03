"""Fault specifications: one injection described as data (``"drop_doorbell:nth=2"``), so the
pytest plugin's markers, parameters and options and ``psaemu run --fault`` arm faults through
the same :class:`~psaemu.platform.testing.faultinject.FaultInjector` methods a test would call.

Text form: ``KIND[:ARG,...]`` where each ARG is ``key=value`` or a positional value, e.g.
``delay_doorbell:cycles=50000``, ``corrupt_message:nth=2,word=1,xor=0x100``,
``flip_register:se,spm_check_iovec,reg=r0,mask=1``. Values are numbers (``0x`` allowed),
``true``/``false``, ``none`` or text (symbols, core and register names).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from psaemu.platform.errors import ConfigError, PsaEmuError
from psaemu.platform.units import parse_number

if TYPE_CHECKING:
    from psaemu.platform.testing.faultinject import FaultInjector, Injection

#: What each injector argument accepts (``None`` where the method takes it as "seeded random").
ARG_TYPES: dict[str, tuple[type | None, ...]] = {
    "nth": (int,), "cycles": (int,), "word": (int,), "xor": (int, None), "mask": (int, None),
    "index": (int, None), "byte_offset": (int, None), "repeat": (bool,), "random_word": (bool,),
    "core": (str,), "reg": (str,), "where": (int, str),
}
#: The injector methods a specification may name (each arms one fault).
KINDS = ("drop_doorbell", "delay_doorbell", "duplicate_doorbell", "corrupt_message", "corrupt_iovec",
         "reset_se_during_call", "stall_se", "flip_register", "skip_instruction")


def _coerce(text: str, types: tuple[type | None, ...]) -> Any:
    """A text value as the argument's type: ``none`` where None is accepted, ``true``/``false``
    (``yes``/``no``) where a bool is, a number where an int is, else the text itself."""
    raw = text.strip()
    low = raw.lower()
    if None in types and low == "none":
        return None
    if bool in types and low in ("true", "yes", "false", "no"):
        return low in ("true", "yes")
    if int in types:
        try:
            return parse_number(raw)
        except ValueError:
            pass
    return raw


def _accepts(types: tuple[type | None, ...], value: Any) -> bool:
    if value is None:
        return None in types
    if isinstance(value, bool):
        return bool in types or object in types
    return any(t is not None and t is not bool and isinstance(value, t) for t in types)


#: Arguments written in hex in the text form (addresses and bit masks).
HEX_ARGS = ("where", "mask", "xor")


def _text(value: Any, name: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, int) and name in HEX_ARGS:
        return hex(value)
    return str(value)


@dataclass(frozen=True)
class FaultSpec:
    """One fault to arm: an injector method name with its positional and keyword arguments."""

    kind: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    #: The text it was parsed from (error messages quote what the user wrote).
    source: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"fault {self.source or self.kind!r}: unknown kind; use one of {', '.join(KINDS)}")
        names = [k for k, _ in self.kwargs]
        twice = sorted({k for k in names if names.count(k) > 1})
        if twice:
            raise ConfigError(f"fault {self.name()!r}: {', '.join(twice)} given more than once")
        try:
            bound = self.signature().bind(*self.args, **dict(self.kwargs))
        except TypeError as exc:
            raise ConfigError(f"fault {self.name()!r}: {exc}; {self.kind} takes {self.usage()}") from None
        for name, value in bound.arguments.items():
            if not _accepts(ARG_TYPES.get(name, (object,)), value):
                want = " or ".join("none" if t is None else t.__name__ for t in ARG_TYPES[name])
                raise ConfigError(f"fault {self.name()!r}: {name} must be {want}, got {value!r}")

    def name(self) -> str:
        """How error messages quote this fault: the text it came from, else its label."""
        return self.source if self.source is not None else self.label()

    def signature(self) -> inspect.Signature:
        """The injector method's signature without ``self``."""
        return _signature(self.kind)

    def usage(self) -> str:
        """The accepted arguments, for error messages (``core, where, reg=r0, ...``)."""
        parts = []
        for p in self.signature().parameters.values():
            parts.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={_text(p.default)}")
        return "(" + ", ".join(parts) + ")"

    def label(self) -> str:
        """The text form; also the pytest parameter id."""
        names = list(self.signature().parameters)
        items = [_text(a, n) for a, n in zip(self.args, names)] + [f"{k}={_text(v, k)}" for k, v in self.kwargs]
        return self.kind + (":" + ",".join(items) if items else "")

    __str__ = label

    def arm(self, injector: "FaultInjector") -> "Injection":
        """Arm this fault on ``injector`` (recorded in the event trace like any injection); a
        refusal (bad value, no proxy to act on) is a ConfigError naming the specification."""
        try:
            return getattr(injector, self.kind)(*self.args, **dict(self.kwargs))
        except ConfigError:
            raise
        except (PsaEmuError, KeyError) as exc:
            reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise ConfigError(f"fault {self.name()!r}: {reason}") from None

    def as_data(self) -> dict[str, Any]:
        """JSON-ready form (bundles); :func:`fault_spec` reads it back."""
        return {"kind": self.kind, "args": list(self.args), "kwargs": dict(self.kwargs)}

    @classmethod
    def parse(cls, text: str) -> "FaultSpec":
        """``KIND[:ARG,...]`` (see the module docstring); each value takes its argument's type."""
        source = str(text).strip()
        kind, _, rest = source.partition(":")
        kind = kind.strip()
        args: list[str] = []
        kwargs: list[tuple[str, str]] = []
        for item in (x for x in rest.split(",") if x.strip()):
            key, eq, value = item.partition("=")
            if eq:
                if not key.strip().isidentifier():
                    raise ConfigError(f"fault {source!r}: {key.strip()!r} is not an argument name")
                kwargs.append((key.strip(), value))
            elif kwargs:
                raise ConfigError(f"fault {source!r}: positional value {item.strip()!r} after key=value arguments")
            else:
                args.append(item)
        if kind in KINDS:                      # else the constructor reports the kind
            params = list(_signature(kind).parameters)
            args = [_coerce(a, ARG_TYPES.get(n, (str,))) for a, n in zip(args, params)] + args[len(params):]
            kwargs = [(k, _coerce(v, ARG_TYPES.get(k, (str,)))) for k, v in kwargs]
        return cls(kind, tuple(args), tuple(kwargs), source)


@lru_cache(maxsize=None)
def _signature(kind: str) -> inspect.Signature:
    """The signature of the injector method ``kind`` without ``self``."""
    from psaemu.platform.testing.faultinject import FaultInjector
    sig = inspect.signature(getattr(FaultInjector, kind))
    return sig.replace(parameters=list(sig.parameters.values())[1:])


def fault_spec(value: Any) -> FaultSpec:
    """A :class:`FaultSpec` from a spec, its text form, ``(kind, {kwargs})``, ``(kind, *args)``
    or a mapping ``{"kind": ..., "args": [...], "kwargs": {...}}``."""
    if isinstance(value, FaultSpec):
        return value
    if isinstance(value, str):
        return FaultSpec.parse(value)
    if isinstance(value, Mapping):
        extra = set(value) - {"kind", "args", "kwargs"}
        args, kwargs = value.get("args", ()), value.get("kwargs", {})
        if "kind" not in value or extra or not isinstance(args, (list, tuple)) or not isinstance(kwargs, Mapping):
            raise ConfigError(f"fault {dict(value)!r}: expected the keys kind, args (a list), kwargs (a mapping)")
        return FaultSpec(str(value["kind"]), tuple(args), tuple(kwargs.items()))
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], str):
        if len(value) == 2 and isinstance(value[1], Mapping):
            return FaultSpec(value[0], (), tuple(dict(value[1]).items()))
        return FaultSpec(value[0], tuple(value[1:]))
    raise ConfigError(f"fault {value!r}: expected 'KIND[:ARG,...]', (kind, {{kwargs}}) or a FaultSpec")


def fault_specs(values: Iterable[Any]) -> list[FaultSpec]:
    """:func:`fault_spec` over ``values`` (``None`` entries and blank text skipped)."""
    return [fault_spec(v) for v in values if v is not None and not (isinstance(v, str) and not v.strip())]
