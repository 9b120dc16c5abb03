"""One way to build a machine: a :class:`MachineSpec` says what the machine is, :func:`build_machine`
makes it. The CLI, the pytest plugin, the scripted client (``boot_se_only``), reproducer bundles
and snapshot restore all build through here, so the rules below hold everywhere:

* **Images per core.** ``images`` maps a core to an image (file, ``FILE@ADDRESS`` or bundled
  name); ``None`` or ``"none"`` leaves the core empty. With ``default_images`` a ``host`` or
  ``se`` core not named gets its bundled default (:data:`~psaemu.platform.firmware.images.DEFAULT_IMAGES`),
  and a machine left with no image at all is refused (nothing would run).
* **Who plays the Host's secure side** (``proxy``): ``"auto"`` decides from the Host image (a PSA
  client, or no Host image: the Python Host SPM + PSA Proxy + BL0; an image with its own secure
  side, or bare metal: none), ``"on"``/``"off"`` force it. The decision is one line, handed to
  ``announce`` as soon as it is taken.
* Without the Python secure side, a Host image's **security attribution is not enforced**: the
  image programs its own SAU/MPC, which psaemu does not model. Proxy macros (``defines``) are refused
  then, since nothing would read them.
* Then the attestation kind, the fault injector's seed and the faults, in that order.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware.images import DEFAULT_IMAGES, NO_IMAGE, find_image
from psaemu.platform.system.board import Board, load_board
from psaemu.platform.system.events import DEFAULT_EVENT_LIMIT
from psaemu.platform.system.machine import DEFAULT_QUANTUM, Machine
from psaemu.proxy.client import DEFAULT_REPLY_BUDGET_S
from psaemu.proxy.monitor import DEFAULT_IPC_LIMIT

if TYPE_CHECKING:
    from psaemu.proxy.monitor import IpcRecord

#: ``MachineSpec.proxy`` values.
PROXY_MODES = ("auto", "on", "off")
#: How messages name a spec field when the spec does not say (``MachineSpec.labels``).
DEFAULT_LABELS = {"images": "images={CORE: IMAGE}", "symbols": "symbols", "defines": "defines",
                  "proxy": "proxy='on'"}


@dataclass
class MachineSpec:
    """Everything that decides how a machine is built (not how it runs)."""

    #: Board file, built-in board name, a loaded Board, or None for the default board.
    board: Board | str | Path | None = None
    #: Core -> image (path, ``FILE@ADDRESS`` or bundled name); None/"none": no image on that core.
    images: Mapping[str, str | Path | None] = field(default_factory=dict)
    #: A ``host``/``se`` core missing from ``images`` gets its bundled default image.
    default_images: bool = True
    #: Core -> ELF giving the symbols of a HEX/binary image (default: FILE.elf beside it).
    symbols: Mapping[str, str | Path] = field(default_factory=dict)
    #: Relative image paths not found from the working directory are looked up here too.
    image_root: Path | None = None
    #: Python Host secure side (Host SPM, PSA Proxy, BL0): "auto" (from the Host image), "on", "off".
    proxy: str = "auto"
    #: Proxy macros: ``{NAME: value or None}`` or ``["NAME=VALUE", "-NAME", ...]``.
    defines: Mapping[str, int | None] | Sequence[str] = ()
    #: Release profile (None: the board's, else ``tfm-1.3``) and limitations lifted on top of the
    #: board's (e.g. ``["client-ids"]``); see psaemu.proxy.profiles.
    profile: str | None = None
    lift: Sequence[str] = ()
    #: Mailbox queue slots (None: the board's ``[proxy] mailbox_slots``, else 1); proxy/mailbox_queue.py.
    mailbox_slots: int | None = None
    #: When the Host image starts with the proxy: auto, power-on or boot-vector (proxy/bl0.py).
    host_start: str = "auto"
    #: The cores the proxy joins.
    host: str = "host"
    se: str = "se"
    #: Proxy options: play BL0, the SE reply budget (seconds of Host time), the IPC monitor.
    bl0: bool = True
    reply_budget_s: float = DEFAULT_REPLY_BUDGET_S
    on_record: Callable[["IpcRecord"], None] | None = None
    on_handshake: Callable[[int, str, int], None] | None = None
    ipc_limit: int = DEFAULT_IPC_LIMIT
    #: Memory region ("core.region") -> file backing it.
    flash_files: Mapping[str, str | Path] | None = None
    quantum: int = DEFAULT_QUANTUM
    #: Run a lone core without count= slices when nothing else can happen (Scheduler.free_run);
    #: None: as ``PSAEMU_FREE_RUN`` says.
    free_run: bool | None = None
    fault_policy: str = "report"
    trace_events: bool = True
    event_limit: int = DEFAULT_EVENT_LIMIT
    #: Faults armed before the run (``KIND[:ARG,...]`` text, ``(kind, kwargs)`` or FaultSpec) and the seed.
    faults: Sequence[Any] = ()
    fault_seed: int | None = None
    #: Initial Attestation token kind ("asymmetric"/"symmetric"); None: the board's.
    attestation: str | None = None
    #: Called with (core, line) for each console line.
    console: Callable[[str, str], None] | None = None
    #: Called with the one line that says what was decided about the Host's secure side.
    announce: Callable[[str], None] | None = None
    #: How messages name fields, as the user wrote them (the CLI: ``{"defines": "--define"}``).
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, name: str) -> str:
        return self.labels.get(name, DEFAULT_LABELS.get(name, name))

    def replace(self, **changes: Any) -> "MachineSpec":
        """A copy with ``changes``; ConfigError naming an unknown field."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"MachineSpec has no field {', '.join(map(repr, unknown))} "
                              f"(fields: {', '.join(sorted(known))})")
        return replace(self, **changes)


def choose_images(board: Board, spec: MachineSpec) -> dict[str, str | Path]:
    """Core -> image to load: the named ones, the defaults of unnamed ``host``/``se`` cores; a core
    named with no image stays empty. ConfigError for a core the board lacks or nothing to run."""
    images: dict[str, str | Path] = {}
    named = dict(spec.images)
    if spec.default_images:
        for core, name in DEFAULT_IMAGES.items():
            if core in board.cores:
                named.setdefault(core, name)
    for core, path in named.items():
        if path is None:
            continue
        if core not in board.cores:
            raise ConfigError(f"board {board.name!r} has no core {core!r} (cores: {', '.join(board.cores)})")
        if str(path) != NO_IMAGE:
            images[core] = path
    if not images and spec.default_images:      # a board whose cores have no default images (host/se only)
        raise ConfigError(f"{board.path}: no image to run: the default images are for cores "
                          f"{', '.join(DEFAULT_IMAGES)}; name one per core with {spec.label('images')} "
                          f"(cores of {board.name!r}: {', '.join(board.cores)})")
    return images


def decide_proxy(machine: Machine, mode: str, host: str = "host") -> tuple[bool, str | None]:
    """Whether psaemu plays the Host's secure side (SPM, PSA Proxy, BL0), and the line that says
    what it detected: ``auto`` decides from the Host image, ``on``/``off`` force it."""
    if mode not in PROXY_MODES:
        raise ConfigError(f"proxy mode {mode!r}: choose one of {', '.join(PROXY_MODES)}")
    if host not in machine.cores:
        return mode == "on", None
    from psaemu.proxy.system import host_kind

    kind = host_kind(machine, host)
    if mode == "auto":
        return kind.python_secure, kind.describe()
    return mode == "on", kind.describe(forced=mode)


def build_machine(spec: MachineSpec | None = None) -> Machine:
    """The machine ``spec`` describes: board, images loaded, the Host's secure side decided (and
    the PSA Proxy attached: ``m.proxy_system``), attestation, faults armed. Not run."""
    spec = spec if spec is not None else MachineSpec()
    board = spec.board if isinstance(spec.board, Board) else load_board(spec.board)
    images = choose_images(board, spec)
    _check_symbols(board, spec)
    defines = _defines(spec.defines)
    machine = Machine(board, quantum=spec.quantum, fault_policy=spec.fault_policy, console=spec.console,
                      trace_events=spec.trace_events, event_limit=spec.event_limit,
                      flash_files=dict(spec.flash_files) if spec.flash_files else None)
    if spec.free_run is not None:
        machine.scheduler.free_run = spec.free_run
    if machine.scheduler.free_run:
        machine.scheduler.check_free_run()            # no C compiler: one warning now, not silence
    if spec.attestation is not None:
        from psaemu.proxy.attestation import select_token
        select_token(machine, spec.attestation)
    for core, path in images.items():
        if machine.cores[core].image is not None and path == DEFAULT_IMAGES.get(core):
            continue        # a multi-core file given for another core already loaded this core's part
        machine.load(core, _rooted(path, spec.image_root), symbols=dict(spec.symbols) or None)
    # nothing loaded (a spec that asks for no image at all): nothing to decide from
    python_secure, decision = decide_proxy(machine, spec.proxy, spec.host) if images else (spec.proxy == "on", None)
    if decision and spec.announce is not None:
        spec.announce(decision)
    if python_secure:
        from psaemu.proxy.system import attach_proxy
        attach_proxy(machine, defines, host=spec.host, se=spec.se, reply_budget_s=spec.reply_budget_s,
                     on_record=spec.on_record, on_handshake=spec.on_handshake, bl0=spec.bl0,
                     ipc_limit=spec.ipc_limit, profile=spec.profile, lift=spec.lift,
                     mailbox_slots=spec.mailbox_slots, host_start=spec.host_start)
    else:
        for given, key in ((defines, "defines"), (spec.profile, "profile"), (spec.lift, "lift"),
                           (spec.mailbox_slots, "mailbox_slots")):
            if given:
                raise ConfigError(f"{spec.label(key)} only applies with the PSA Proxy, which "
                                  f"{'is off' if spec.proxy == 'off' else 'this Host image does not use'}; "
                                  f"add {spec.label('proxy')}")
        host = machine.cores.get(spec.host)
        if host is not None and host.image is not None and host.security is not None:
            machine.enforce_security(spec.host, False)      # the image's own secure side sets SAU/MPC up
    _arm_faults(machine, spec)
    return machine


def _check_symbols(board: Board, spec: MachineSpec) -> None:
    for core, path in spec.symbols.items():
        if core not in board.cores:
            raise ConfigError(f"{spec.label('symbols')} {f'{core}={path}'!r}: board {board.name!r} has no core "
                              f"{core!r} (cores: {', '.join(board.cores)})")


def _defines(defines: Mapping[str, int | None] | Sequence[str]) -> dict[str, int | None]:
    """Proxy macros as a dict (``NAME=VALUE`` text parsed, unknown names refused)."""
    if isinstance(defines, Mapping):
        return dict(defines)
    from psaemu.proxy.config import parse_defines
    return parse_defines([str(d) for d in defines])


def _rooted(image: str | Path, root: Path | None) -> str | Path:
    """``image`` (``FILE[@ADDRESS]``) with FILE taken relative to ``root`` when it is not found as given."""
    if root is None:
        return image
    from psaemu.platform.firmware.imagefile import split_list

    files = split_list(image)
    if len(files) > 1:
        return ",".join(str(_rooted(f, root)) for f in files)
    text = str(image)
    head, sep, tail = text.rpartition("@")
    if not (sep and head):
        head, sep, tail = text, "", ""
    p = Path(head)
    if p.is_absolute() or p.exists() or not (Path(root) / p).is_file():
        return image
    return f"{find_image(p, Path(root)).resolve()}{sep}{tail}"


def _arm_faults(machine: Machine, spec: MachineSpec) -> None:
    if spec.fault_seed is None and not spec.faults:
        return
    from psaemu.platform.testing.faultspec import fault_specs
    specs = fault_specs(spec.faults)
    if spec.fault_seed is not None:
        machine.faults.seed(spec.fault_seed)
    for fs in specs:
        fs.arm(machine.faults)


__all__ = ["MachineSpec", "build_machine", "choose_images", "decide_proxy", "PROXY_MODES"]
