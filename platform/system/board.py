"""Board description: a TOML file naming the cores, their memory, shared windows and peripherals.

``load_board`` parses and validates the whole file and reports every problem as
``file: key: problem`` so users can fix board files without reading the emulator's code.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psaemu.platform.errors import ConfigError
from psaemu.platform.units import parse_number

#: Unicorn maps memory in 1 KiB pages on Arm; every region and window must respect them.
PAGE = 0x400
#: The System Control Space every Cortex-M core has; regions may not cover it.
SCS_BASE, SCS_SIZE = 0xE000E000, 0x1000
CPUS = {"cortex-m33": "v8m", "cortex-m0plus": "v6m", "cortex-m0": "v6m"}
REGION_KINDS = ("flash", "ram", "rom")
RESET_MODES = ("run", "held", "bl0")
MAX_IRQS = {"v8m": 480, "v6m": 32}
#: SAU regions (and so TF-M's veneer region) have a 32-byte granule.
VENEER_ALIGN = 0x20
PROXY_MACROS = ("SHARED_BUFFER_SIZE", "PSA_PROXY_SHARED_MEMORY_BASE",
                "PSA_PROXY_SHARED_MEMORY_SIZE", "PSA_PROXY_ADDR_TRANSLATION",
                "PSAEMU_CHECK_WRITEBACK")      # psaemu's own: refuse out_vec bases the SE moved
#: [proxy] keys of the release profile and lifted limitations (see psaemu.proxy.profiles).
PROXY_PROFILE_KEYS = ("profile", "lift", "secure_client_id_base", "mailbox_slots")
DEFAULT_BOARD = "musca_b1"


@dataclass(frozen=True)
class Region:
    """A memory region of one core, optionally with a Non-secure alias of the same store."""

    core: str
    name: str
    base: int
    size: int
    kind: str
    ns_alias: int | None = None
    #: (offset, size) parts whose Non-secure alias an MPC gates Secure (security attribution).
    mpc_secure: tuple[tuple[int, int], ...] = ()

    @property
    def end(self) -> int:
        return self.base + self.size

    def view_base(self, addr: int) -> int | None:
        """The start of the view of this region holding ``addr``: its base, its Non-secure alias, or None."""
        if self.base <= addr < self.end:
            return self.base
        if self.ns_alias is not None and self.ns_alias <= addr < self.ns_alias + self.size:
            return self.ns_alias
        return None


@dataclass(frozen=True)
class Window:
    """One backing store seen by several cores, each at its own base address."""

    name: str
    size: int
    bases: dict[str, int]


@dataclass(frozen=True)
class PeripheralSpec:
    """A peripheral instance on one core's bus, with its type-specific parameters."""

    name: str
    type: str
    core: str
    base: int
    ns_alias: int | None
    params: dict[str, Any]
    key: str


@dataclass(frozen=True)
class Slot:
    """A firmware image slot of one core (its own address view): where a part of a multi-image
    file goes, and where an MCUboot image given without an address is placed (``primary``)."""

    name: str
    base: int
    size: int
    primary: bool = False


@dataclass
class CoreSpec:
    """A CPU of the board: its model, clock, interrupt controller size and memory."""

    name: str
    cpu: str
    clock_hz: int
    priority_bits: int
    num_irqs: int
    reset: str
    regions: list[Region] = field(default_factory=list)
    #: TF-M's CMSE veneer (NSC) region, (base, size): where psaemu writes the secure veneers.
    veneer_region: tuple[int, int] | None = None
    slots: list[Slot] = field(default_factory=list)
    #: Fault Non-secure code's accesses to Secure memory (platform/cpu/security.py); None: on when
    #: any region has a Non-secure alias (the board declares an attribution).
    enforce_security: bool | None = None

    @property
    def attributed(self) -> bool:
        """The board declares which memory of this core is Secure and which Non-secure."""
        return any(r.ns_alias is not None for r in self.regions)

    @property
    def arch(self) -> str:
        return CPUS[self.cpu]


@dataclass
class Board:
    """A validated board description."""

    path: str
    name: str
    description: str
    cores: dict[str, CoreSpec]
    windows: list[Window]
    peripherals: list[PeripheralSpec]
    mhu: dict[str, Any]
    proxy: dict[str, int]
    #: ``[proxy]`` profile, lift, secure_client_id_base as given (empty: TF-M v1.3 as shipped).
    proxy_profile: dict[str, Any] = field(default_factory=dict)


#: Board files shipped with psaemu (package data beside this module).
BOARDS_DIR = Path(__file__).resolve().parent / "boards"


def builtin_board_path(name: str) -> Path:
    """Path of a board file shipped with psaemu (``musca_b1``)."""
    return BOARDS_DIR / f"{name}.toml"


def builtin_boards() -> list[str]:
    """Names of the board files shipped with psaemu."""
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def load_board(path: str | Path | None = None) -> Board:
    """Load and validate a board file; a bare name selects a built-in board."""
    if path is None:
        path = builtin_board_path(DEFAULT_BOARD)
    p = Path(path)
    if not p.exists() and not p.suffix and str(p.name) in builtin_boards():
        p = builtin_board_path(str(p))
    if not p.exists():
        raise ConfigError(f"{p}: board file not found (built-in boards: {', '.join(builtin_boards())})")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read board file: {exc}") from None
    from psaemu.platform.system import boardcache

    return boardcache.load(str(p), text, parse_board)


def parse_board(path: str, text: str) -> Board:
    """Parse and validate the text of the board file ``path`` (no cache)."""
    if sys.version_info >= (3, 11):         # imported here: a cached board needs no TOML parser
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _BoardParser(path, data).parse()


class _BoardParser:
    """Walks the TOML document, collecting ``key: problem`` errors before raising them together."""

    def __init__(self, path: str, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self.errors: list[str] = []

    # -- helpers --------------------------------------------------------------------------
    def err(self, key: str, problem: str) -> None:
        self.errors.append(f"{self.path}: {key}: {problem}")

    def table(self, obj: Any, key: str) -> dict[str, Any]:
        if not isinstance(obj, dict):
            self.err(key, f"expected a table, got {type(obj).__name__}")
            return {}
        return obj

    def keys(self, obj: dict[str, Any], key: str, allowed: set[str] | tuple[str, ...]) -> None:
        for k in obj:
            if k not in allowed:
                self.err(f"{key}.{k}" if key else k, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def number(self, obj: dict[str, Any], name: str, key: str, *, required: bool = True,
               minimum: int | None = None, maximum: int | None = None, align: int | None = None) -> int | None:
        full = f"{key}.{name}"
        if name not in obj:
            if required:
                self.err(full, "missing")
            return None
        try:
            value = parse_number(obj[name])
        except ValueError as exc:
            self.err(full, str(exc))
            return None
        if minimum is not None and value < minimum:
            self.err(full, f"{value:#x} is below the minimum {minimum:#x}")
            return None
        if maximum is not None and value > maximum:
            self.err(full, f"{value:#x} is above the maximum {maximum:#x}")
            return None
        if align and value % align:
            self.err(full, f"{value:#x} is not aligned to {align:#x} (Unicorn maps memory in {PAGE:#x}-byte pages)")
            return None
        return value

    def address(self, obj: dict[str, Any], name: str, key: str, *, required: bool = True,
                align: int | None = None) -> int | None:
        """A 32-bit address: 0..0xFFFFFFFF (a negative one is refused here, not by Unicorn at build)."""
        return self.number(obj, name, key, required=required, minimum=0, maximum=0xFFFFFFFF, align=align)

    def choice(self, obj: dict[str, Any], name: str, key: str, choices: tuple[str, ...] | list[str],
               default: str | None = None) -> str | None:
        value = obj.get(name, default)
        if value is None:
            self.err(f"{key}.{name}", f"missing (one of: {', '.join(choices)})")
            return None
        if not isinstance(value, str) or value not in choices:
            self.err(f"{key}.{name}", f"{value!r} is not one of: {', '.join(choices)}")
            return None
        return value

    def string(self, obj: dict[str, Any], name: str, key: str) -> str | None:
        value = obj.get(name)
        if not isinstance(value, str) or not value:
            self.err(f"{key}.{name}", "missing or not a non-empty string")
            return None
        return value

    # -- sections -------------------------------------------------------------------------
    def parse(self) -> Board:
        d = self.data
        self.keys(d, "", {"board", "cores", "windows", "peripherals", "mhu", "proxy"})
        meta = self.table(d.get("board", {}), "board")
        self.keys(meta, "board", {"name", "description"})
        name = meta.get("name") or Path(self.path).stem
        cores = self.parse_cores(self.table(d.get("cores", {}), "cores"))
        windows = self.parse_windows(d.get("windows", []), cores)
        mhu = self.parse_mhu(self.table(d.get("mhu", {}), "mhu"))
        peripherals = self.parse_peripherals(d.get("peripherals", []), cores, mhu)
        proxy = self.parse_proxy(self.table(d.get("proxy", {}), "proxy"))
        proxy_profile = self.parse_proxy_profile(self.table(d.get("proxy", {}), "proxy"))
        self.check_bl0(cores, peripherals)
        if not self.errors:
            self.check_layout(cores, windows, peripherals)
        if self.errors:
            raise ConfigError("\n".join(self.errors))
        return Board(self.path, str(name), str(meta.get("description", "")), cores, windows,
                     peripherals, mhu, proxy, proxy_profile)

    def parse_cores(self, cores_tab: dict[str, Any]) -> dict[str, CoreSpec]:
        if not cores_tab:
            self.err("cores", "a board needs at least one core ([cores.<name>] tables)")
        cores: dict[str, CoreSpec] = {}
        for cname, ctab in cores_tab.items():
            key = f"cores.{cname}"
            ctab = self.table(ctab, key)
            self.keys(ctab, key, {"cpu", "clock_hz", "priority_bits", "num_irqs", "reset", "regions",
                                  "veneer_region", "slots", "enforce_security"})
            cpu = self.choice(ctab, "cpu", key, list(CPUS))
            arch = CPUS.get(cpu or "", "v8m")
            clock = self.number(ctab, "clock_hz", key, minimum=1000)
            pbits = self.number(ctab, "priority_bits", key, required=False, minimum=2,
                                maximum=8 if arch == "v8m" else 2)
            nirq = self.number(ctab, "num_irqs", key, required=False, minimum=1, maximum=MAX_IRQS[arch])
            reset = self.choice(ctab, "reset", key, RESET_MODES, default="run")
            spec = CoreSpec(cname, cpu or "", clock or 0, pbits or (3 if arch == "v8m" else 2),
                            nirq or 32, reset or "run")
            regions = ctab.get("regions", [])
            if not isinstance(regions, list):
                self.err(f"{key}.regions", "expected an array of tables ([[cores.NAME.regions]])")
                regions = []
            seen: set[str] = set()
            for i, rtab in enumerate(regions):
                rkey = f"{key}.regions[{i}]"
                rtab = self.table(rtab, rkey)
                self.keys(rtab, rkey, {"name", "base", "size", "kind", "ns_alias", "mpc_secure"})
                rname = self.string(rtab, "name", rkey)
                if rname in seen:
                    self.err(f"{rkey}.name", f"region name {rname!r} is used twice on core {cname!r}")
                seen.add(rname or "")
                base = self.address(rtab, "base", rkey, align=PAGE)
                size = self.number(rtab, "size", rkey, align=PAGE, minimum=PAGE)
                kind = self.choice(rtab, "kind", rkey, REGION_KINDS, default="ram")
                alias = self.address(rtab, "ns_alias", rkey, required=False, align=PAGE)
                if None not in (rname, base, size, kind):
                    if base + size > 1 << 32:
                        self.err(f"{rkey}.size", f"region {rname!r} runs past the 4 GiB address space")
                    elif alias is not None and alias + size > 1 << 32:
                        self.err(f"{rkey}.ns_alias", f"the Non-secure alias of region {rname!r} ({alias:#x}+"
                                                     f"{size:#x}) runs past the 4 GiB address space")
                    else:
                        gated = self.parse_mpc_secure(rtab, rkey, size, alias)
                        spec.regions.append(Region(cname, rname, base, size, kind, alias, gated))
            if "enforce_security" in ctab:
                if not isinstance(ctab["enforce_security"], bool):
                    self.err(f"{key}.enforce_security", "expected true or false")
                else:
                    spec.enforce_security = ctab["enforce_security"]
            if "veneer_region" in ctab:
                spec.veneer_region = self.parse_veneer_region(ctab["veneer_region"], f"{key}.veneer_region", spec)
            spec.slots = self.parse_slots(ctab.get("slots", []), f"{key}.slots")
            if not spec.regions and not any(e.startswith(f"{self.path}: {key}.regions") for e in self.errors):
                self.err(f"{key}.regions", f"core {cname!r} has no memory; give it at least one "
                                           f"[[cores.{cname}.regions]] table (flash or RAM to run from)")
            cores[cname] = spec
        return cores

    def parse_mpc_secure(self, rtab: dict[str, Any], rkey: str, size: int,
                         alias: int | None) -> tuple[tuple[int, int], ...]:
        """``mpc_secure = [{ offset = .., size = .. }, ..]``: parts of a region whose Non-secure
        alias an MPC keeps Secure; page aligned, inside the region, not overlapping."""
        entries = rtab.get("mpc_secure", [])
        if not isinstance(entries, list):
            self.err(f"{rkey}.mpc_secure", "expected an array of { offset = .., size = .. } tables")
            return ()
        if entries and alias is None:
            self.err(f"{rkey}.mpc_secure", "the region has no ns_alias, so no MPC can gate one; remove the key "
                                           "or give the region its Non-secure alias")
            return ()
        parts: list[tuple[int, int]] = []
        for i, etab in enumerate(entries):
            ekey = f"{rkey}.mpc_secure[{i}]"
            etab = self.table(etab, ekey)
            self.keys(etab, ekey, {"offset", "size"})
            off = self.number(etab, "offset", ekey, align=PAGE, minimum=0)
            length = self.number(etab, "size", ekey, align=PAGE, minimum=PAGE)
            if off is None or length is None:
                continue
            if off + length > size:
                self.err(ekey, f"{off:#x}+{length:#x} runs past the end of the region ({size:#x} bytes)")
                continue
            clash = next((p for p in parts if off < p[0] + p[1] and p[0] < off + length), None)
            if clash:
                self.err(ekey, f"{off:#x}+{length:#x} overlaps the part {clash[0]:#x}+{clash[1]:#x}")
                continue
            parts.append((off, length))
        return tuple(sorted(parts))

    def parse_slots(self, entries: Any, key: str) -> list[Slot]:
        """``[[cores.NAME.slots]]``: name, base, size (the core's own addresses), primary."""
        if not isinstance(entries, list):
            self.err(key, "expected an array of tables ([[cores.NAME.slots]])")
            return []
        out: list[Slot] = []
        for i, tab in enumerate(entries):
            skey = f"{key}[{i}]"
            tab = self.table(tab, skey)
            self.keys(tab, skey, {"name", "base", "size", "primary"})
            name = self.string(tab, "name", skey)
            base = self.address(tab, "base", skey)
            size = self.number(tab, "size", skey, minimum=1)
            primary = tab.get("primary", False)
            if not isinstance(primary, bool):
                self.err(f"{skey}.primary", f"expected true or false, got {primary!r}")
            elif None not in (name, base, size):
                out.append(Slot(str(name), base, size, primary))
        if sum(s.primary for s in out) > 1:
            self.err(key, "more than one slot has primary = true; mark the one an MCUboot image without an "
                          "address goes to")
        return out

    def parse_veneer_region(self, tab: Any, key: str, spec: CoreSpec) -> tuple[int, int] | None:
        """The NSC veneer region: 32-byte granules (SAU) inside the Secure alias of a region with
        a Non-secure alias, on an Armv8-M core."""
        tab = self.table(tab, key)
        self.keys(tab, key, {"base", "size"})
        base = self.address(tab, "base", key, align=VENEER_ALIGN)
        size = self.number(tab, "size", key, align=VENEER_ALIGN, minimum=VENEER_ALIGN)
        if base is None or size is None:
            return None
        if spec.cpu not in CPUS:
            return None                      # the cpu key has its own error already
        if spec.arch != "v8m":
            self.err(key, f"core {spec.name!r} is {spec.cpu}, which has no TrustZone: only an Armv8-M core has "
                          f"a veneer region; remove the key")
            return None
        if not any(r.ns_alias is not None and r.base <= base and base + size <= r.end for r in spec.regions):
            self.err(key, f"{base:#x}+{size:#x} is not inside the Secure alias of one region of core "
                          f"{spec.name!r} that has an ns_alias; put it in Secure code memory")
            return None
        return base, size

    def parse_windows(self, windows: Any, cores: dict[str, CoreSpec]) -> list[Window]:
        out: list[Window] = []
        if not isinstance(windows, list):
            self.err("windows", "expected an array of tables ([[windows]])")
            return out
        for i, wtab in enumerate(windows):
            key = f"windows[{i}]"
            wtab = self.table(wtab, key)
            self.keys(wtab, key, {"name", "size", *cores})
            name = self.string(wtab, "name", key)
            size = self.number(wtab, "size", key, align=PAGE, minimum=PAGE)
            bases = {}
            for cname in cores:
                if cname in wtab:
                    b = self.address(wtab, cname, key, align=PAGE)
                    if b is not None and size is not None and b + size > 1 << 32:
                        self.err(f"{key}.{cname}", f"window {name!r} ({b:#x}+{size:#x}) runs past the 4 GiB "
                                                   f"address space")
                    elif b is not None:
                        bases[cname] = b
            missing = [c for c in cores if c not in wtab]
            if missing and len(cores) > 1:
                self.err(key, f"window {name!r} has no base for core(s) {', '.join(missing)}: a shared "
                              f"window needs the address at which every core sees it")
            if name and size and len(bases) == len(cores):
                out.append(Window(name, size, bases))
        return out

    def parse_mhu(self, tab: dict[str, Any]) -> dict[str, Any]:
        self.keys(tab, "mhu", {"channels", "revision"})
        channels = self.number(tab, "channels", "mhu", required=False, minimum=1, maximum=124)
        revision = self.choice(tab, "revision", "mhu", ("2.0", "2.1"), default="2.0")
        return {"channels": channels or 1, "revision": revision or "2.0"}

    def parse_peripherals(self, entries: Any, cores: dict[str, CoreSpec],
                          mhu: dict[str, Any]) -> list[PeripheralSpec]:
        from psaemu.peripherals.catalog import ALLOWED_KEYS

        out: list[PeripheralSpec] = []
        if not isinstance(entries, list):
            self.err("peripherals", "expected an array of tables ([[peripherals]])")
            return out
        names: set[str] = set()
        for i, ptab in enumerate(entries):
            key = f"peripherals[{i}]"
            ptab = self.table(ptab, key)
            name = self.string(ptab, "name", key)
            if name in names:
                self.err(f"{key}.name", f"peripheral name {name!r} is used twice")
            names.add(name or "")
            ptype = ptab.get("type")
            if not isinstance(ptype, str) or ptype not in ALLOWED_KEYS:
                self.err(f"{key}.type", f"unknown peripheral type {ptype!r} (known: {', '.join(sorted(ALLOWED_KEYS))})")
                continue
            common = {"name", "type", "core", "base", "ns_alias", "irqs"}
            self.keys(ptab, key, common | set(ALLOWED_KEYS[ptype]))
            core = self.choice(ptab, "core", key, list(cores))
            base = self.address(ptab, "base", key, align=PAGE)
            alias = self.address(ptab, "ns_alias", key, required=False, align=PAGE)
            params = {k: v for k, v in ptab.items() if k not in common}
            irqs = self.table(ptab.get("irqs", {}), f"{key}.irqs")
            parsed_irqs: dict[str, int] = {}
            for out_name in irqs:
                n = self.number(irqs, out_name, f"{key}.irqs", minimum=0)
                if n is not None and core in cores and n >= cores[core].num_irqs:
                    self.err(f"{key}.irqs.{out_name}", f"IRQ {n} does not exist on core {core!r} "
                                                       f"(num_irqs = {cores[core].num_irqs})")
                elif n is not None:
                    parsed_irqs[out_name] = n
            params["irqs"] = parsed_irqs
            controls = params.get("controls")
            if "controls" in params and (not isinstance(controls, str) or controls not in cores):
                what = f"no core named {controls!r}" if isinstance(controls, str) else f"{controls!r} is not a core name"
                self.err(f"{key}.controls", f"{what} (cores: {', '.join(cores)})")
                params.pop("controls")
            self.check_flash_region(params, cores, key)
            if None not in (name, core, base):
                out.append(PeripheralSpec(name, ptype, core, base, alias, params, key))
        self.check_models(out, mhu)
        return out

    def check_flash_region(self, params: dict[str, Any], cores: dict[str, CoreSpec], key: str) -> None:
        """A flash controller's ``flash = "CORE.REGION"`` must name a flash region of the board."""
        region = params.get("flash")
        if not isinstance(region, str) or "." not in region:
            return                       # its shape is the model catalog's to report
        cname, _, rname = region.partition(".")
        spec = cores.get(cname)
        found = spec is not None and any(r.name == rname and r.kind == "flash" for r in spec.regions)
        if not found:
            known = [f"{c.name}.{r.name}" for c in cores.values() for r in c.regions if r.kind == "flash"]
            self.err(f"{key}.flash", f"no flash region {region!r} (flash regions: {', '.join(known) or 'none'})")

    def check_bl0(self, cores: dict[str, CoreSpec], peripherals: list[PeripheralSpec]) -> None:
        """A core that BL0 releases (``reset = "bl0"``) needs an SCC that ``controls`` it."""
        controlled = {p.params.get("controls") for p in peripherals}
        for cname, spec in cores.items():
            if spec.reset == "bl0" and cname not in controlled:
                self.err(f"cores.{cname}.reset", f'"bl0" needs a peripheral whose `controls` is {cname!r} '
                                                 f'(the SCC BL0 writes to release it); add one or use "held"')

    def check_models(self, specs: list[PeripheralSpec], mhu: dict[str, Any]) -> None:
        """Build each model once so type-specific parameters and MHU pairing are checked now."""
        from psaemu.peripherals.catalog import create, link_problems

        links: dict[str, Any] = {}
        for spec in specs:
            try:
                create(spec.type, spec.name, spec.params, links, mhu)
            except (KeyError, ValueError) as exc:
                self.err(f"{spec.key}.{getattr(exc, 'key', 'type')}", str(exc).strip("'\""))
        for problem in link_problems(links):
            self.err("peripherals", problem + ": every MHU link needs one mhuv2_sender and one mhuv2_receiver")

    def parse_proxy(self, tab: dict[str, Any]) -> dict[str, int]:
        self.keys(tab, "proxy", PROXY_MACROS + PROXY_PROFILE_KEYS)
        out = {}
        for macro in PROXY_MACROS:
            v = self.number(tab, macro, "proxy", required=False, minimum=0, maximum=0xFFFFFFFF)
            if v is not None:
                out[macro] = v
        return out

    def parse_proxy_profile(self, tab: dict[str, Any]) -> dict[str, Any]:
        """The release profile keys of ``[proxy]`` as given (proxy/profiles.py checks the names)."""
        out: dict[str, Any] = {k: tab[k] for k in ("profile", "lift", "mailbox_slots") if k in tab}
        base = self.number(tab, "secure_client_id_base", "proxy", required=False,
                           minimum=-0x7FFFFFFF, maximum=-2)
        if base is not None:
            out["secure_client_id_base"] = base
        return out

    # -- cross checks ---------------------------------------------------------------------
    def check_layout(self, cores: dict[str, CoreSpec], windows: list[Window],
                     peripherals: list[PeripheralSpec]) -> None:
        """No two things may claim the same address on one core; windows must fit their stores."""
        spans: dict[str, list[tuple[int, int, str]]] = {c: [(SCS_BASE, SCS_SIZE, "the System Control Space")]
                                                         for c in cores}
        for c in cores.values():
            for i, r in enumerate(c.regions):
                spans[c.name].append((r.base, r.size, f"cores.{c.name}.regions[{i}] ({r.name})"))
                if r.ns_alias is not None:
                    spans[c.name].append((r.ns_alias, r.size, f"cores.{c.name}.regions[{i}].ns_alias ({r.name})"))
        for i, w in enumerate(windows):
            owners = []
            for cname, base in w.bases.items():
                holder = next((r for r in cores[cname].regions if r.view_base(base) is not None), None)
                if holder is None:
                    spans[cname].append((base, w.size, f"windows[{i}] ({w.name})"))
                    continue
                if base + w.size > holder.view_base(base) + holder.size:
                    self.err(f"windows[{i}].{cname}", f"window {w.name!r} ({base:#x}+{w.size:#x}) runs past the end "
                                                      f"of region {holder.name!r} on core {cname!r}")
                owners.append(cname)
            if len(owners) > 1:
                self.err(f"windows[{i}]", f"window {w.name!r} falls inside regions of several cores "
                                          f"({', '.join(owners)}): only one core may own the backing store")
        from psaemu.peripherals.catalog import model_size

        for p in peripherals:
            size = model_size(p.type)
            spans[p.core].append((p.base, size, f"{p.key} ({p.name})"))
            if p.ns_alias is not None:
                spans[p.core].append((p.ns_alias, size, f"{p.key}.ns_alias ({p.name})"))
        for cname, items in spans.items():
            items.sort()
            for (b1, s1, n1), (b2, s2, n2) in zip(items, items[1:]):
                if b2 < b1 + s1:
                    self.err(n2.split(" ")[0], f"{n2} at {b2:#x} overlaps {n1} ({b1:#x}..{b1 + s1 - 1:#x}) "
                                               f"on core {cname!r}")
