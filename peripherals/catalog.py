"""Board ``type`` strings to peripheral models: the one table the board loader builds models from.

Errors carry ``key`` (the offending key of the board entry, or ``mhu.<key>`` for the board's
``[mhu]`` table) and a message that states only the problem, so the loader can report
``file: key: problem``.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from .base import Peripheral
from .crypto_engine import (
    ATTESTATION_KINDS,
    DEFAULT_ATTESTATION,
    DEFAULT_CONTEXTS,
    DEFAULT_SEED,
    DEFAULT_SLOTS,
    CryptoEngine,
)
from .gfc100 import Gfc100EFlash
from .mhuv2 import AIDR_BY_REVISION, MAX_CHANNELS, MhuLink, MhuV2Receiver, MhuV2Sender
from .mpc_sie200 import MpcSie200
from .pl011 import Pl011
from .qspi_ip6514e import QspiIp6514e
from .scc import MuscaB1Scc
from .scs_ns import ScsNonSecureAlias
from .sse200 import Sse200CpuIdentity, Sse200NsPCtrl, Sse200SpCtrl, Sse200SysCtrl

Factory = Callable[[str, Mapping[str, Any], dict[str, MhuLink], Mapping[str, Any]], Peripheral]

COMMON_KEYS = frozenset({"name", "type", "core", "base", "ns_alias"})
ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "pl011": frozenset({"irqs"}),
    "musca_b1_scc": frozenset({"controls", "irqs"}),
    "mhuv2_sender": frozenset({"link", "irqs"}),
    "mhuv2_receiver": frozenset({"link", "irqs"}),
    "crypto_engine": frozenset({"slots", "contexts", "seed", "attestation", "irqs"}),
    "gfc100_eflash": frozenset({"flash", "irqs"}),
    "qspi_ip6514e": frozenset({"flash", "irqs"}),
    "mpc_sie200": frozenset({"size", "block_size", "irqs"}),
    "sse200_cpu_identity": frozenset({"irqs"}), "sse200_sysctrl": frozenset({"irqs"}),
    "sse200_spctrl": frozenset({"irqs"}), "sse200_nspctrl": frozenset({"irqs"}),
    "v8m_scs_ns": frozenset({"irqs"}),
}
MHU_DEFAULTS = {"channels": 1, "revision": "2.0"}


class PeripheralConfigError(ValueError):
    """A board entry's parameter is wrong; ``key`` names it, the message says what is wrong."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


class UnknownPeripheralType(KeyError):
    """A board entry names a ``type`` that no model implements."""

    key = "type"

    def __str__(self) -> str:
        return str(self.args[0])


def validate_mhu_config(mhu_config: Mapping[str, Any]) -> tuple[int, str]:
    """Check the board's ``[mhu]`` table and return (channels, revision), defaults filled in."""
    unknown = sorted(set(mhu_config) - set(MHU_DEFAULTS))
    if unknown:
        raise PeripheralConfigError(f"mhu.{unknown[0]}", f"unknown key (allowed: {', '.join(MHU_DEFAULTS)})")
    channels = mhu_config.get("channels", MHU_DEFAULTS["channels"])
    revision = mhu_config.get("revision", MHU_DEFAULTS["revision"])
    if isinstance(channels, bool) or not isinstance(channels, int) or not 1 <= channels <= MAX_CHANNELS:
        raise PeripheralConfigError("mhu.channels", f"must be an integer 1..{MAX_CHANNELS}, got {channels!r}")
    if revision not in AIDR_BY_REVISION:
        raise PeripheralConfigError("mhu.revision",
                                    f"must be one of {', '.join(map(repr, AIDR_BY_REVISION))}, got {revision!r}")
    return channels, revision


def check_keys(type_name: str, params: Mapping[str, Any]) -> None:
    """Reject keys that the type does not take (common keys are always allowed)."""
    allowed = COMMON_KEYS | ALLOWED_KEYS[type_name]
    for key in sorted(params):
        if key not in allowed:
            raise PeripheralConfigError(key, f"not a key of a '{type_name}' peripheral "
                                             f"(allowed: {', '.join(sorted(allowed))})")


def _check_irqs(type_name: str, outputs: tuple[str, ...], irqs: Any) -> None:
    """``irqs`` must map outputs of the model to non-negative interrupt numbers."""
    if not isinstance(irqs, Mapping):
        raise PeripheralConfigError("irqs", f"must be a table of output = irq number, got {irqs!r}")
    for output, number in irqs.items():
        if output not in outputs:
            raise PeripheralConfigError(f"irqs.{output}", f"'{type_name}' has no output '{output}' "
                                                          f"(it has: {', '.join(outputs)})")
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise PeripheralConfigError(f"irqs.{output}", f"must be a non-negative integer, got {number!r}")


def _link_for(params: Mapping[str, Any], links: dict[str, MhuLink], mhu_config: Mapping[str, Any]) -> MhuLink:
    """The shared link named by ``params['link']``, created on first use."""
    name = params.get("link")
    if not isinstance(name, str) or not name:
        raise PeripheralConfigError("link", f"an MHU frame needs a link name (a non-empty string), got {name!r}")
    if name not in links:
        channels, revision = validate_mhu_config(mhu_config)
        links[name] = MhuLink(name, channels, revision)
    return links[name]


def _mhu_frame(cls: type[MhuV2Sender] | type[MhuV2Receiver]) -> Factory:
    """Factory for one MHU frame class: finds or creates its link, then attaches a new frame."""
    def build(name: str, params: Mapping[str, Any], links: dict[str, MhuLink],
              mhu_config: Mapping[str, Any]) -> Peripheral:
        link = _link_for(params, links, mhu_config)
        current = getattr(link, cls.KIND)
        if current is not None:
            raise PeripheralConfigError("link", f"link '{link.name}' already has a {cls.KIND} ('{current.name}')")
        if "irqs" in params:        # before attaching, so a bad entry leaves the link untouched
            _check_irqs(cls.TYPE, cls.outputs_for(link.channels), params["irqs"])
        return cls(name, link)
    return build


def _scc(name: str, params: Mapping[str, Any], links: dict[str, MhuLink], mhu_config: Mapping[str, Any]) -> Peripheral:
    controls = params.get("controls")
    if controls is not None and (not isinstance(controls, str) or not controls):
        raise PeripheralConfigError("controls", f"must name a core (a non-empty string), got {controls!r}")
    return MuscaB1Scc(name)


def _pl011(name: str, params: Mapping[str, Any], links: dict[str, MhuLink], mhu_config: Mapping[str, Any]) -> Peripheral:
    return Pl011(name)


def _count(params: Mapping[str, Any], key: str, default: int, limit: int) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise PeripheralConfigError(key, f"must be an integer 1..{limit}, got {value!r}")
    return value


def _crypto_engine(name: str, params: Mapping[str, Any], links: dict[str, MhuLink],
                   mhu_config: Mapping[str, Any]) -> Peripheral:
    seed = params.get("seed", DEFAULT_SEED)
    if not isinstance(seed, str):
        raise PeripheralConfigError("seed", f"must be a string (the DRBG seed), got {seed!r}")
    attestation = params.get("attestation", DEFAULT_ATTESTATION)
    if attestation not in ATTESTATION_KINDS:
        raise PeripheralConfigError("attestation", f"got {attestation!r}; the Initial Attestation token must be "
                                                   f"one of {', '.join(map(repr, ATTESTATION_KINDS))} "
                                                   "(the SE reads it from the ATTEST register)")
    return CryptoEngine(name, _count(params, "slots", DEFAULT_SLOTS, 255),
                        _count(params, "contexts", DEFAULT_CONTEXTS, 255), seed, attestation)


def flash_region(params: Mapping[str, Any]) -> str | None:
    """The ``flash`` key of a flash controller entry: the ``CORE.REGION`` whose store it drives
    (the same names as ``--flash``), checked for shape here and for existence by the board
    loader. Without it the controller has no flash behind it and every command fails."""
    region = params.get("flash")
    if region is None:
        return None
    if not isinstance(region, str) or region.count(".") != 1 or "" in region.split("."):
        raise PeripheralConfigError("flash", f"must name the flash region the controller drives as "
                                             f"\"CORE.REGION\" (e.g. \"host.eflash0\"), got {region!r}")
    return region


def _flash_controller(cls: type[Gfc100EFlash] | type[QspiIp6514e]) -> Factory:
    """Factory for a flash controller; the machine attaches the store named by ``flash``."""
    def build(name: str, params: Mapping[str, Any], links: dict[str, MhuLink],
              mhu_config: Mapping[str, Any]) -> Peripheral:
        flash_region(params)
        return cls(name)
    return build


def _mpc(name: str, params: Mapping[str, Any], links: dict[str, MhuLink], mhu_config: Mapping[str, Any]) -> Peripheral:
    for key in ("size", "block_size"):
        value = params.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise PeripheralConfigError(key, f"an MPC needs the gated memory's {key} in bytes "
                                             f"(a positive integer), got {value!r}")
    try:
        return MpcSie200(name, params["size"], params["block_size"])
    except ValueError as exc:
        raise PeripheralConfigError("block_size", str(exc)) from None


def _plain(cls: type[Peripheral]) -> Factory:
    """Factory for a model that takes no parameter."""
    def build(name: str, params: Mapping[str, Any], links: dict[str, MhuLink],
              mhu_config: Mapping[str, Any]) -> Peripheral:
        return cls(name)
    return build


def model_size(type_name: str) -> int:
    """Bytes of address space a model of ``type_name`` decodes (4 KiB unless it says more)."""
    factory_class = {"gfc100_eflash": Gfc100EFlash, "qspi_ip6514e": QspiIp6514e}.get(type_name)
    return factory_class.SIZE if factory_class is not None else Peripheral.SIZE


PERIPHERAL_TYPES: dict[str, Factory] = {
    "pl011": _pl011,
    "musca_b1_scc": _scc,
    "mhuv2_sender": _mhu_frame(MhuV2Sender),
    "mhuv2_receiver": _mhu_frame(MhuV2Receiver),
    "crypto_engine": _crypto_engine,
    "gfc100_eflash": _flash_controller(Gfc100EFlash),
    "qspi_ip6514e": _flash_controller(QspiIp6514e),
    "mpc_sie200": _mpc,
    "sse200_cpu_identity": _plain(Sse200CpuIdentity),
    "sse200_sysctrl": _plain(Sse200SysCtrl),
    "sse200_spctrl": _plain(Sse200SpCtrl),
    "sse200_nspctrl": _plain(Sse200NsPCtrl),
    "v8m_scs_ns": _plain(ScsNonSecureAlias),
}


def create(type_name: str, name: str, params: Mapping[str, Any], links: dict[str, MhuLink],
           mhu_config: Mapping[str, Any]) -> Peripheral:
    """Build the model for one board ``[[peripherals]]`` entry; ``links`` is shared across calls."""
    factory = PERIPHERAL_TYPES.get(type_name)
    if factory is None:
        raise UnknownPeripheralType(f"unknown peripheral type {type_name!r} "
                                    f"(known: {', '.join(sorted(PERIPHERAL_TYPES))})")
    check_keys(type_name, params)
    model = factory(name, params, links, mhu_config)
    if "irqs" in params:
        _check_irqs(type_name, model.OUTPUTS, params["irqs"])
    return model


def link_problems(links: Mapping[str, MhuLink]) -> list[str]:
    """Links that lack a sender or a receiver, as messages (empty when every link is complete)."""
    problems = []
    for name, link in sorted(links.items()):
        missing = [kind for kind in ("sender", "receiver") if getattr(link, kind) is None]
        if missing:
            problems.append(f"MHU link '{name}' has no {' and no '.join(missing)}")
    return problems
