"""pytest plugin for psaemu (registered through the ``pytest11`` entry point ``psaemu``).

Settings (command-line option, else ini key, else default):

==========================  ====================  =================================================
option                      ini key               meaning
==========================  ====================  =================================================
``--psaemu-board=B``        ``psaemu_board``      built-in board name or board file (default board)
``--psaemu-host=IMG``       ``psaemu_host``       Host image: prebuilt name or ELF path; ``none``
                                                  or empty = no Host image (default: none)
``--psaemu-se=IMG``         ``psaemu_se``         SE image: prebuilt name or path (``se_firmware``)
``--psaemu-define=N=V``     ``psaemu_defines``    proxy macro, repeatable / one per line (linelist)
==========================  ====================  =================================================

Markers (per test, override the settings): ``@pytest.mark.psaemu_board("musca_b1")`` and
``@pytest.mark.psaemu_images(host="regression_host", se="se_firmware")``.

Fixtures:

* ``psaemu_machine_factory`` -- ``factory(board=..., host=..., se=..., defines=...)`` builds a
  machine (images loaded, proxy attached when the Host image carries it, or with no Host image);
  unspecified arguments come from the test's markers, then the settings.
* ``machine`` -- a fresh machine from the settings/markers, not yet run.
* ``booted`` -- a machine booted to "mailbox ready" (proxy handshake done, no Python wait
  pending). The boot happens once per session (per xdist worker) and per distinct
  board/images/defines; each test then gets **the same Machine object restored from the
  snapshot** taken after the boot. Tests share the object, never its state: whatever a test
  writes (ITS data, consoles, IPC records, memory) is rolled back before the next test. Do not
  keep references to it between tests, and do not install breakpoints/watchpoints you do not
  remove (those are not part of a snapshot).

When a test that used one of these fixtures fails, its report gets the sections
"psaemu console (host/se tail, last 20 lines)", "psaemu IPC (last 10 records)" and, when a core
faulted or the proxy/SPM panicked, "psaemu fault report".

Reproducers: with ``--psaemu-bundle-dir=DIR`` (ini ``psaemu_bundle_dir``) a failing test that
used ``booted`` or ``machine`` gets a bundle directory ``DIR/<test node id, sanitized>`` holding
``snapshot.psaemu`` (the state the test started from), ``bundle.json`` (node id, fault-injector
seed and generator state, board/images/macros, psaemu version, every ``m.faults`` call the test
made, event digest and count at the failure), ``events.txt``, ``console-<core>.txt`` and
``ipc.txt``; the report section "psaemu reproducer" prints the replay command
``pytest <nodeid> --psaemu-replay <bundle dir>``. With ``--psaemu-replay=BUNDLE`` the fixtures
start from the bundle's snapshot and generator state instead of booting, so the test runs
bit-identically (same event digest at the failure). A ``machine`` is snapshotted before the test
only when a bundle directory is set (and only if it is quiescent).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

CONSOLE_LINES = 20
IPC_RECORDS = 10
SECTION_CONSOLE = f"psaemu console (host/se tail, last {CONSOLE_LINES} lines)"
SECTION_IPC = f"psaemu IPC (last {IPC_RECORDS} records)"
SECTION_FAULT = "psaemu fault report"
DEFAULT_SE = "se_firmware"

_MACHINES_KEY = pytest.StashKey[list]()
_RECORDINGS_KEY = pytest.StashKey[list]()
SECTION_REPRO = "psaemu reproducer"
BUNDLE_FORMAT = "psaemu-bundle/1"
#: FaultInjector methods whose calls a bundle records (the test's injections).
FAULT_METHODS = ("seed", "clear", "drop_doorbell", "delay_doorbell", "duplicate_doorbell", "corrupt_message",
                 "corrupt_iovec", "reset_se_during_call", "stall_se", "flip_register", "skip_instruction")


# ------------------------------------------------------------------------------------------
# options, ini keys, markers
# ------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("psaemu", "psaemu emulator fixtures")
    group.addoption("--psaemu-board", dest="psaemu_board", default=None,
                    help="board for psaemu fixtures: built-in name or board file (ini: psaemu_board)")
    group.addoption("--psaemu-host", dest="psaemu_host", default=None,
                    help="Host image: prebuilt name or ELF path; 'none' for no Host image (ini: psaemu_host)")
    group.addoption("--psaemu-se", dest="psaemu_se", default=None,
                    help=f"SE image: prebuilt name or ELF path (default {DEFAULT_SE}; ini: psaemu_se)")
    group.addoption("--psaemu-define", dest="psaemu_defines", action="append", default=None,
                    metavar="NAME=VALUE", help="PSA Proxy macro, repeatable (ini: psaemu_defines)")
    group.addoption("--psaemu-bundle-dir", dest="psaemu_bundle_dir", default=None, metavar="DIR",
                    help="write a reproducer bundle per failing psaemu test under DIR (ini: psaemu_bundle_dir)")
    group.addoption("--psaemu-replay", dest="psaemu_replay", default=None, metavar="BUNDLE",
                    help="start the psaemu fixtures from a reproducer bundle's snapshot and seed")
    parser.addini("psaemu_bundle_dir", "directory for psaemu reproducer bundles of failing tests", default="")
    parser.addini("psaemu_board", "psaemu board (built-in name or board file)", default="")
    parser.addini("psaemu_host", "psaemu Host image (prebuilt name or path; empty/none = no Host image)",
                  default="")
    parser.addini("psaemu_se", "psaemu SE image (prebuilt name or path)", default="")
    parser.addini("psaemu_defines", "psaemu PSA Proxy macros NAME=VALUE, one per line", type="linelist",
                  default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "psaemu_board(name): psaemu board for this test (built-in name or file)")
    config.addinivalue_line("markers", "psaemu_images(host=..., se=...): psaemu images for this test "
                                       "(prebuilt names or paths; host=None for no Host image)")


class Settings:
    """The resolved psaemu settings: options over ini keys over defaults."""

    def __init__(self, config: pytest.Config) -> None:
        def get(name: str) -> Any:
            value = config.getoption(name)
            return value if value not in (None, []) else config.getini(name)
        self.board: str | None = get("psaemu_board") or None
        if self.board and not Path(self.board).is_absolute() and Path(config.rootpath, self.board).exists():
            self.board = str(Path(config.rootpath, self.board))
        self.host: str | None = _none(get("psaemu_host"))
        self.se: str | None = get("psaemu_se") or DEFAULT_SE
        self.defines: tuple[str, ...] = tuple(d.strip() for d in get("psaemu_defines") if d.strip())
        self.rootpath = config.rootpath
        bundle = config.getoption("psaemu_bundle_dir")
        if bundle:
            self.bundle_dir: Path | None = Path(config.invocation_params.dir, bundle).resolve()
        else:
            ini = config.getini("psaemu_bundle_dir")
            self.bundle_dir = Path(config.rootpath, ini).resolve() if ini else None
        replay = config.getoption("psaemu_replay")
        self.replay: Path | None = Path(config.invocation_params.dir, replay).resolve() if replay else None


def _none(value: Any) -> str | None:
    if value is None or str(value).strip().lower() in ("", "none"):
        return None
    return str(value)


def resolve_image(value: str | Path, root: Path | None = None) -> Path:
    """A prebuilt image name (``se_firmware`` or ``se_firmware.elf``) or an ELF path."""
    from psaemu.platform.images import image_path
    p = Path(value)
    for candidate in ([p] if p.is_absolute() else [p, *( [root / p] if root else [])]):
        if candidate.is_file():
            return candidate.resolve()
    name = p.name[:-4] if p.name.endswith(".elf") else p.name
    return image_path(name)


def _marker_spec(node: Any, settings: Settings) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
    board, host, se = settings.board, settings.host, settings.se
    mark = node.get_closest_marker("psaemu_board") if node is not None else None
    if mark is not None:
        board = mark.args[0] if mark.args else mark.kwargs.get("name")
    mark = node.get_closest_marker("psaemu_images") if node is not None else None
    if mark is not None:
        if "host" in mark.kwargs:
            host = _none(mark.kwargs["host"])
        if "se" in mark.kwargs:
            se = _none(mark.kwargs["se"])
    return board, host, se, settings.defines


# ------------------------------------------------------------------------------------------
# building and booting
# ------------------------------------------------------------------------------------------
def build_machine(board: str | None, host: str | None, se: str | None, defines: tuple[str, ...] = (),
                  root: Path | None = None, **machine_options: Any) -> Any:
    """Machine with images loaded; the proxy attached when the Host image carries it, or when
    there is no Host image but an SE image (scripted-client set-up, as ``boot_se_only``)."""
    from psaemu.platform.machine import Machine
    from psaemu.proxy.config import parse_defines
    from psaemu.proxy.system import attach_proxy, wants_proxy

    m = Machine(board, **machine_options)
    if host is not None:
        m.load("host", resolve_image(host, root))
    if se is not None:
        m.load("se", resolve_image(se, root))
    parsed = parse_defines(list(defines))
    if (host is not None and wants_proxy(m)) or (host is None and se is not None):
        attach_proxy(m, parsed)
    elif parsed:
        from psaemu.platform.errors import PsaEmuError
        raise PsaEmuError("psaemu_defines only apply with the PSA Proxy, which this Host image does not carry")
    return m


def boot_to_ready(m: Any) -> Any:
    """Run ``m`` to "mailbox ready": proxy handshake complete and no Python wait pending."""
    from psaemu.platform.snapshot import quiescent
    from psaemu.proxy.system import ProxySystem  # noqa: F401  (import check)

    psa = m.__dict__.get("psa")
    if psa is None:
        raise pytest.UsageError("psaemu 'booted' needs the PSA Proxy: the configured Host image does not carry it")
    system = psa.system
    if "host" not in m.cores or m.cores["host"].image is None:
        m.set_released("se", True, "psaemu pytest plugin")
        psa.wait_ready()
        if not quiescent(m):
            m.run_until(lambda mm: quiescent(mm))
    else:
        m.run_until(lambda mm: system.proxy.ready and quiescent(mm))
    if not system.proxy.ready:
        raise RuntimeError(f"psaemu: the proxy did not become ready ({m.describe_cores()})")
    return m


def _track(request: pytest.FixtureRequest, m: Any) -> None:
    node = request.node
    machines = node.stash.setdefault(_MACHINES_KEY, [])
    if all(x is not m for x in machines):
        machines.append(m)


@pytest.fixture(scope="session")
def psaemu_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved psaemu settings (options over ini keys over defaults)."""
    return Settings(pytestconfig)


@pytest.fixture
def psaemu_machine_factory(request: pytest.FixtureRequest, psaemu_settings: Settings) -> Callable[..., Any]:
    """``factory(board=..., host=..., se=..., defines=..., **Machine options)`` -> a new machine;
    unspecified arguments come from the test's markers, then the settings. Machines it builds
    are included in failure reports."""
    unset = object()

    def factory(board: Any = unset, host: Any = unset, se: Any = unset, defines: Any = unset,
                **machine_options: Any) -> Any:
        b, h, s, d = _marker_spec(request.node, psaemu_settings)
        m = build_machine(b if board is unset else board, h if host is unset else _none(host),
                          s if se is unset else _none(se), tuple(d if defines is unset else defines),
                          psaemu_settings.rootpath, **machine_options)
        _track(request, m)
        return m
    return factory


@pytest.fixture
def machine(request: pytest.FixtureRequest, psaemu_settings: Settings,
            psaemu_machine_factory: Callable[..., Any]) -> Any:
    """A fresh machine from the settings and markers: images loaded, proxy attached, not run.
    Under ``--psaemu-replay``: the machine built from the bundle's snapshot."""
    if psaemu_settings.replay is not None:
        bundle = _load_bundle(psaemu_settings.replay)
        from psaemu.platform.machine import Machine
        m = Machine.from_snapshot(bundle.snapshot)
        _track(request, m)
        yield from _recording(request, m, "machine", bundle.snapshot, bundle.snapshot_path, bundle.info)
        return
    m = psaemu_machine_factory()
    snap = None
    if psaemu_settings.bundle_dir is not None:
        from psaemu.platform.snapshot import quiescent
        if quiescent(m):
            try:
                snap = m.snapshot()
            except Exception:          # no reproducer for this machine, but the test runs
                snap = None
    yield from _recording(request, m, "machine", snap, None, None)


class _BootCache:
    """Per-session (per xdist worker) booted machines and their snapshots, by configuration."""

    def __init__(self) -> None:
        self.entries: dict[tuple, tuple[Any, Any]] = {}
        self.boots = 0

    def get(self, key: tuple, root: Path) -> tuple[Any, Any]:
        if key not in self.entries:
            m = boot_to_ready(build_machine(*key, root=root))
            self.entries[key] = (m, m.snapshot())
            self.boots += 1
        return self.entries[key]

    def replay_machine(self, bundle: "_Bundle") -> Any:
        key = ("replay", str(bundle.path))
        if key not in self.entries:
            from psaemu.platform.machine import Machine
            self.entries[key] = (Machine.from_snapshot(bundle.snapshot), bundle.snapshot)
        return self.entries[key][0]


@pytest.fixture(scope="session")
def psaemu_boot_cache() -> _BootCache:
    """Session-scoped store of booted machines and snapshots (one per worker process)."""
    return _BootCache()


@pytest.fixture
def booted(request: pytest.FixtureRequest, psaemu_settings: Settings, psaemu_boot_cache: _BootCache) -> Any:
    """The machine booted to "mailbox ready", restored from the session's snapshot for this test.
    The same Machine object is handed to every test with the same configuration; its state is
    restored before each test, so nothing a test does leaks into the next."""
    if psaemu_settings.replay is not None:
        bundle = _load_bundle(psaemu_settings.replay)
        m = psaemu_boot_cache.replay_machine(bundle)
        m.restore(bundle.snapshot)
        _track(request, m)
        yield from _recording(request, m, "booted", bundle.snapshot, bundle.snapshot_path, bundle.info)
        return
    key = _marker_spec(request.node, psaemu_settings)
    m, snap = psaemu_boot_cache.get(key, psaemu_settings.rootpath)
    m.restore(snap)
    _track(request, m)
    yield from _recording(request, m, "booted", snap, None, None)


# ------------------------------------------------------------------------------------------
# reproducer bundles
# ------------------------------------------------------------------------------------------
class _Bundle:
    """A reproducer bundle read back for ``--psaemu-replay``."""

    def __init__(self, path: Path) -> None:
        import json
        from psaemu.platform.snapshot import Snapshot
        self.path = path
        self.snapshot_path = path / "snapshot.psaemu"
        info_path = path / "bundle.json"
        if not info_path.is_file() or not self.snapshot_path.is_file():
            raise pytest.UsageError(f"--psaemu-replay {path}: not a psaemu bundle (needs bundle.json and snapshot.psaemu)")
        self.info: dict[str, Any] = json.loads(info_path.read_text())
        self.snapshot = Snapshot.load(self.snapshot_path)


_BUNDLES: dict[Path, _Bundle] = {}


def _load_bundle(path: Path) -> _Bundle:
    if path not in _BUNDLES:
        _BUNDLES[path] = _Bundle(path)
    return _BUNDLES[path]


def _plain(value: Any) -> Any:
    """``value`` as JSON data (repr for anything else)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else repr(value)


def _recording(request: pytest.FixtureRequest, m: Any, fixture: str, snap: Any, snap_path: Path | None,
               replay_info: dict[str, Any] | None) -> Any:
    """Fixture body: note what the test starts from (snapshot, fault-injector seed and generator
    state) and record its ``m.faults`` calls while it runs; yields ``m``."""
    inj = m.faults
    if replay_info is not None:
        state = replay_info.get("rng_state")
        inj.seed_value = replay_info.get("seed", 0)
        if state is not None:
            inj.rng.setstate((state[0], tuple(state[1]), state[2]))
    rec: dict[str, Any] = {"machine": m, "fixture": fixture, "snapshot": snap, "snapshot_path": snap_path,
                           "seed": inj.seed_value, "rng_state": _plain(inj.rng.getstate()), "faults": [],
                           "replayed_from": None if replay_info is None else replay_info.get("bundle_dir"),
                           "defines": list(replay_info.get("macros", ())) if replay_info is not None
                           else list(_marker_spec(request.node, request.getfixturevalue("psaemu_settings"))[3])}
    request.node.stash.setdefault(_RECORDINGS_KEY, []).append(rec)
    wrapped = []
    for name in FAULT_METHODS:
        method = getattr(inj, name, None)
        if method is None:
            continue

        def wrapper(*args: Any, __name: str = name, __method: Any = method, **kwargs: Any) -> Any:
            rec["faults"].append({"call": __name, "args": _plain(args), "kwargs": _plain(kwargs)})
            return __method(*args, **kwargs)
        setattr(inj, name, wrapper)
        wrapped.append(name)
    try:
        yield m
    finally:
        for name in wrapped:
            inj.__dict__.pop(name, None)


def _bundle_name(nodeid: str) -> str:
    import re
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_") or "test"


def write_bundle(directory: Path, item: pytest.Item, rec: dict[str, Any], error: str | None) -> Path:
    """Write one reproducer bundle for ``rec`` (see the module docstring) into ``directory``."""
    import json
    import shutil
    from importlib import metadata

    m = rec["machine"]
    directory.mkdir(parents=True, exist_ok=True)
    snap_file = directory / "snapshot.psaemu"
    if rec["snapshot_path"] is not None and Path(rec["snapshot_path"]).resolve() != snap_file.resolve():
        shutil.copyfile(rec["snapshot_path"], snap_file)
    elif rec["snapshot_path"] is None:
        rec["snapshot"].save(snap_file)
    try:
        version = metadata.version("psa-proxy-emu")
    except Exception:
        version = "unknown"
    images = {name: (core.image.path if core.image is not None else None) for name, core in m.cores.items()}
    info = {
        "format": BUNDLE_FORMAT,
        "nodeid": item.nodeid,
        "fixture": rec["fixture"],
        "seed": rec["seed"],
        "rng_state": rec["rng_state"],
        "board": {"name": m.board.name, "path": str(m.board.path)},
        "images": images,
        "macros": rec["defines"],
        "psaemu_version": version,
        "faults": rec["faults"],
        "event_digest": m.events.digest(),
        "events": len(m.events),
        "error": error,
        "replayed_from": rec["replayed_from"],
        "bundle_dir": str(directory),
        "replay": replay_command(item.nodeid, directory),
    }
    (directory / "bundle.json").write_text(json.dumps(info, indent=1) + "\n")
    m.events.write(str(directory / "events.txt"))
    for name in m.cores:
        try:
            text = m.console.text(name)
        except Exception as exc:
            text = f"<console unavailable: {exc}>\n"
        (directory / f"console-{name}.txt").write_text(text)
    psa = m.__dict__.get("psa")
    system = getattr(psa, "system", None) or m.__dict__.get("proxy_system")
    lines = [] if system is None else [r.format() for r in system.records]
    (directory / "ipc.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    return directory


def replay_command(nodeid: str, directory: Path) -> str:
    import shlex
    return f"pytest {shlex.quote(nodeid)} --psaemu-replay {shlex.quote(str(directory))}"


def _write_bundles(item: pytest.Item, report: pytest.TestReport) -> None:
    settings = Settings(item.config)
    if settings.bundle_dir is None:
        return
    recs = [r for r in item.stash.get(_RECORDINGS_KEY, []) if r["snapshot"] is not None]
    if not recs:
        return
    lines = []
    error = None
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        error = crash.message
    for i, rec in enumerate(recs):
        name = _bundle_name(item.nodeid) + (f"-m{i}" if len(recs) > 1 else "")
        directory = settings.bundle_dir / name
        if settings.replay is not None and directory.resolve() == settings.replay:
            directory = directory.with_name(name + "-replay")
        try:
            write_bundle(directory, item, rec, error)
        except Exception as exc:
            lines.append(f"<could not write the bundle {directory}: {exc!r}>")
            continue
        lines.append(f"bundle: {directory}  (event digest {rec['machine'].events.digest()[:16]})")
        lines.append(f"replay: {replay_command(item.nodeid, directory)}")
    report.sections.append((SECTION_REPRO, "\n".join(lines)))


# ------------------------------------------------------------------------------------------
# failure reports
# ------------------------------------------------------------------------------------------
def _tail(text: str, n: int) -> list[str]:
    return text.splitlines()[-n:]


def report_sections(m: Any) -> list[tuple[str, str]]:
    """The failure-report sections for one machine."""
    out: list[tuple[str, str]] = []
    lines = []
    for name in m.cores:
        try:
            tail = _tail(m.console.text(name), CONSOLE_LINES)
        except Exception as exc:       # never let the report hide the failure
            tail = [f"<console unavailable: {exc}>"]
        lines.append(f"--- {name} ---")
        lines += tail or ["<no output>"]
    out.append((SECTION_CONSOLE, "\n".join(lines)))
    psa = m.__dict__.get("psa")
    system = getattr(psa, "system", None) or m.__dict__.get("proxy_system")
    if system is not None:
        records = list(system.records)[-IPC_RECORDS:]
        body = "\n".join(r.format() for r in records) or "<no IPC records>"
        out.append((SECTION_IPC, f"handshake: {getattr(getattr(system.proxy, 'handshake', None), 'state', '?')}\n{body}"))
    faults = []
    from psaemu.platform.faults import fault_report
    for core in m.cores.values():
        if core.fault is not None:
            try:
                faults.append(fault_report(core))
            except Exception as exc:
                faults.append(f"core {core.name!r} faulted ({exc})")
    if m.panic is not None:
        faults.append(f"panic: {type(m.panic).__name__}: {m.panic}")
    if faults:
        out.append((SECTION_FAULT, "\n\n".join(faults)))
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    report = outcome.get_result()
    if not report.failed or report.when == "teardown":
        return
    machines = item.stash.get(_MACHINES_KEY, None)
    if not machines:
        return
    if report.when == "call":
        try:
            _write_bundles(item, report)
        except Exception as exc:
            report.sections.append((SECTION_REPRO, f"<could not write a psaemu bundle: {exc!r}>"))
    multi = len(machines) > 1
    for i, m in enumerate(machines):
        try:
            sections = report_sections(m)
        except Exception as exc:
            sections = [("psaemu report", f"<could not build the psaemu report: {exc!r}>")]
        for title, body in sections:
            report.sections.append((f"{title} [machine {i}]" if multi else title, body))
