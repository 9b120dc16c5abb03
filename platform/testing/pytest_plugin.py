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
``--psaemu-fault=SPEC``     ``psaemu_faults``     fault armed in every ``booted``/``machine`` test,
                                                  repeatable / one per line (``KIND[:ARG,...]``)
``--psaemu-seed=N``         ``psaemu_seed``       seed of the fault injector in those tests
``--psaemu-bundle-dir=D``   ``psaemu_bundle_dir`` write a reproducer bundle per failing test
``--psaemu-replay=BUNDLE``  --                    start the fixtures from a bundle
==========================  ====================  =================================================

Markers (per test, override the settings): ``@pytest.mark.psaemu_board("musca_b1")``,
``@pytest.mark.psaemu_images(host="regression_host", se="se_firmware")``,
``@pytest.mark.psaemu_fault("delay_doorbell", cycles=50_000)`` (repeatable; adds to
``--psaemu-fault``) and ``@pytest.mark.psaemu_seed(7)``.

Fixtures:

* ``psaemu_machine_factory`` -- ``factory(board=..., host=..., se=..., defines=..., **fields)`` builds a
  machine with ``psaemu.platform.system.builder.build_machine`` (images loaded, proxy attached when the
  Host image is a PSA client or there is no Host image; other MachineSpec fields as keywords,
  e.g. ``proxy="off"``, ``console=...``); unspecified arguments come from the test's markers,
  then the settings.
* ``machine`` -- a fresh machine from the settings/markers, not yet run.
* ``booted`` -- a machine booted to "mailbox ready" (proxy handshake done; a PSA call the Host
  firmware made before it has not started yet). The boot happens once per session (per xdist
  worker) and per distinct board/images/defines; each test then gets **the same Machine object
  restored from the snapshot** taken after the boot. Tests share the object, never its state: whatever a test
  writes (ITS data, consoles, IPC records, memory) is rolled back before the next test, and
  the fault injector starts fresh (``FaultInjector.reset(initial=True)``). Do not
  keep references to it between tests, and do not install breakpoints/watchpoints you do not
  remove (those are not part of a snapshot).
* ``psaemu_fault`` -- the fault this test case injects: parametrize it with
  ``@pytest.mark.parametrize("psaemu_fault", fault_cases("drop_doorbell", ...))`` and the
  ``booted``/``machine`` fixture arms it (after the seed, the ``--psaemu-fault`` faults and the
  markers) before the test body runs; the test gets the :class:`FaultSpec` (``None`` for the
  ``baseline=True`` case).

Fault specifications (``psaemu.platform.testing.faultspec``): text ``KIND[:ARG,...]`` such as
``delay_doorbell:cycles=50000`` or ``flip_register:se,SYMBOL,reg=r0,mask=1``, a
``(kind, {kwargs})`` pair or a ``FaultSpec``; every one arms the ``m.faults`` method of that
name and is recorded in the event trace.

When a test that used one of these fixtures fails, its report gets the sections
"psaemu console (host/se tail, last 20 lines)", "psaemu IPC (last 10 records)" and, when a core
faulted or the proxy/SPM panicked, "psaemu fault report"; with a bundle directory, "psaemu
timeline" names ``timeline.json`` and ``timeline.svg`` (the last 10 transactions) in its bundle.

Reproducers: with a bundle directory a failing test that used ``booted``, ``machine`` or the
factory gets a bundle ``DIR/<test node id, sanitized>`` (see ``psaemu.platform.testing.bundles``): the
snapshot each machine started from, the fault-injector seed, the faults the
plugin armed and every ``m.faults`` call the test made, the event digest at the failure, the
event trace, consoles and IPC records. The report section "psaemu reproducer" prints
``pytest <nodeid> --psaemu-replay <bundle dir>``; under ``--psaemu-replay`` every fixture starts
from the bundle (machines in the order the test made them; the plugin's faults from the bundle,
not from the options), so the test runs bit-identically (same event digest at the failure).
``machine`` and factory machines are snapshotted when built, only when a bundle directory is set.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from psaemu.platform.testing.bundles import Bundle, Recording, bundle_name, console_text, plain, write_bundle
from psaemu.platform.testing.faultspec import KINDS as FAULT_KINDS
from psaemu.platform.testing.faultspec import FaultSpec, fault_spec, fault_specs
from psaemu.platform.testing.rewrite import unmark_bare_names

CONSOLE_LINES = 20
IPC_RECORDS = 10
SECTION_CONSOLE = f"psaemu console (host/se tail, last {CONSOLE_LINES} lines)"
SECTION_IPC = f"psaemu IPC (last {IPC_RECORDS} records)"
SECTION_FAULT = "psaemu fault report"
SECTION_REPRO = "psaemu reproducer"
SECTION_SCHEDULE = "psaemu schedule"
SECTION_TIMELINE = "psaemu timeline"
#: Transactions drawn in the timeline picture of a failing test (the last ones).
TIMELINE_CALLS = 10
DEFAULT_SE = "se_firmware"

_MACHINES_KEY = pytest.StashKey[list]()
_RECORDINGS_KEY = pytest.StashKey[list]()
_REPLAY_TAKEN_KEY = pytest.StashKey[dict]()
_SETTINGS_KEY = pytest.StashKey["Settings"]()
#: FaultInjector methods whose calls a bundle records (the test's injections).
FAULT_METHODS = ("seed", "clear", *FAULT_KINDS)


# ------------------------------------------------------------------------------------------
# options, ini keys, markers
# ------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    unmark_bare_names(getattr(pluginmanager, "rewrite_hook", None))
    group = parser.getgroup("psaemu", "psaemu emulator fixtures")
    group.addoption("--psaemu-board", dest="psaemu_board", default=None,
                    help="board for psaemu fixtures: built-in name or board file (ini: psaemu_board)")
    group.addoption("--psaemu-host", dest="psaemu_host", default=None,
                    help="Host image: prebuilt name or ELF path; 'none' for no Host image (ini: psaemu_host)")
    group.addoption("--psaemu-se", dest="psaemu_se", default=None,
                    help=f"SE image: prebuilt name or ELF path (default {DEFAULT_SE}; ini: psaemu_se)")
    group.addoption("--psaemu-define", dest="psaemu_defines", action="append", default=None,
                    metavar="NAME=VALUE", help="PSA Proxy macro, repeatable (ini: psaemu_defines)")
    group.addoption("--psaemu-fault", dest="psaemu_faults", action="append", default=None,
                    metavar="KIND[:ARG,...]", help="arm this fault in every test using booted/machine, e.g. "
                    "delay_doorbell:cycles=50000; repeatable (ini: psaemu_faults)")
    group.addoption("--psaemu-seed", dest="psaemu_seed", default=None, metavar="N",
                    help="seed the fault injector of every booted/machine test (ini: psaemu_seed)")
    group.addoption("--psaemu-explore", dest="psaemu_explore", default=None, metavar="N",
                    help="run every psaemu test under N seeded schedules (cases [schedule-seed-0..N-1]); "
                         "the psaemu_explore marker sets it per test")
    group.addoption("--psaemu-bundle-dir", dest="psaemu_bundle_dir", default=None, metavar="DIR",
                    help="write a reproducer bundle per failing psaemu test under DIR (ini: psaemu_bundle_dir)")
    group.addoption("--psaemu-replay", dest="psaemu_replay", default=None, metavar="BUNDLE",
                    help="start the psaemu fixtures from a reproducer bundle's snapshots, seed and faults")
    parser.addini("psaemu_bundle_dir", "directory for psaemu reproducer bundles of failing tests", default="")
    parser.addini("psaemu_board", "psaemu board (built-in name or board file)", default="")
    parser.addini("psaemu_host", "psaemu Host image (prebuilt name or path; empty/none = no Host image)",
                  default="")
    parser.addini("psaemu_se", "psaemu SE image (prebuilt name or path)", default="")
    parser.addini("psaemu_defines", "psaemu PSA Proxy macros NAME=VALUE, one per line", type="linelist",
                  default=[])
    parser.addini("psaemu_faults", "psaemu faults KIND[:ARG,...] armed in every booted/machine test, one per line",
                  type="linelist", default=[])
    parser.addini("psaemu_seed", "psaemu fault-injector seed for every booted/machine test", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "psaemu_board(name): psaemu board for this test (built-in name or file)")
    config.addinivalue_line("markers", "psaemu_images(host=..., se=...): psaemu images for this test "
                                       "(prebuilt names or paths; host=None for no Host image)")
    config.addinivalue_line("markers", "psaemu_fault(kind, *args, **kwargs): arm this m.faults injection on the "
                                       "booted/machine fixture before the test (repeatable)")
    config.addinivalue_line("markers", "psaemu_seed(n): seed the fault injector of the booted/machine fixture")
    config.addinivalue_line("markers", "psaemu_explore(runs=N): run this test under N seeded schedules, one "
                                       "case per seed ([schedule-seed-S]; see psaemu.platform.testing.explore)")
    config.stash[_SETTINGS_KEY] = Settings(config)      # bad options stop the session here, as usage errors


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
        self.faults: list[FaultSpec] = _usage(lambda: fault_specs(get("psaemu_faults")), "--psaemu-fault")
        seed = get("psaemu_seed")
        self.seed: int | None = _usage(lambda: _seed(seed), "--psaemu-seed") if str(seed).strip() else None
        self.rootpath = config.rootpath
        bundle = config.getoption("psaemu_bundle_dir")
        if bundle:
            self.bundle_dir: Path | None = Path(config.invocation_params.dir, bundle).resolve()
        else:
            ini = config.getini("psaemu_bundle_dir")
            self.bundle_dir = Path(config.rootpath, ini).resolve() if ini else None
        replay = config.getoption("psaemu_replay")
        self.replay: Path | None = Path(config.invocation_params.dir, replay).resolve() if replay else None
        #: The replayed bundle (``--psaemu-replay``), or None.
        self.bundle: Bundle | None = (None if self.replay is None
                                      else _usage(lambda: Bundle(self.replay), "--psaemu-replay"))


def _usage(make: Callable[[], Any], what: str, *, in_test: bool = False) -> Any:
    """``make()``, with a psaemu error shown without a traceback, naming ``what``: a usage error
    (options, ini keys: the session stops) or, ``in_test``, a failure of the test's set-up."""
    from psaemu.platform.errors import PsaEmuError
    try:
        return make()
    except PsaEmuError as exc:
        message = f"{what}: {exc}"
    if in_test:                                     # outside the except: no chained traceback
        pytest.fail(message, pytrace=False)
    raise pytest.UsageError(message)


def _seed(value: Any) -> int:
    from psaemu.platform.errors import ConfigError
    from psaemu.platform.units import parse_number
    try:
        return parse_number(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _none(value: Any) -> str | None:
    if value is None or str(value).strip().lower() in ("", "none"):
        return None
    return str(value)


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


def fault_cases(*specs: Any, baseline: bool = False) -> list[Any]:
    """pytest parameters for ``psaemu_fault``, one per fault specification (id = its text form);
    ``baseline=True`` adds a first case ``no_fault`` (``None``)."""
    from psaemu.platform.errors import PsaEmuError
    params = [pytest.param(None, id="no_fault")] if baseline else []
    for spec in specs:
        try:
            fs = fault_spec(spec)
        except PsaEmuError:          # the case fails at set-up with the message, not the collection
            params.append(pytest.param(spec, id=str(spec)))
            continue
        params.append(pytest.param(fs, id=fs.label()))
    return params


def _marker_fault(mark: Any) -> FaultSpec:
    """``psaemu_fault("kind", *args, **kwargs)``, or the text form ``psaemu_fault("kind:arg,...")``."""
    if len(mark.args) == 1 and not mark.kwargs and isinstance(mark.args[0], str):
        return fault_spec(mark.args[0])
    return FaultSpec(mark.args[0], tuple(mark.args[1:]), tuple(mark.kwargs.items()))


def _plugin_faults(node: Any, settings: Settings) -> tuple[int | None, list[FaultSpec]]:
    """The seed and faults the plugin arms for this test: options/ini, then the markers
    (outermost first), then the ``psaemu_fault`` parameter."""
    seed = settings.seed
    mark = node.get_closest_marker("psaemu_seed")
    if mark is not None:
        seed = _usage(lambda: _seed(mark.args[0] if mark.args else mark.kwargs.get("n")),
                      f"{node.nodeid}: psaemu_seed marker", in_test=True)
    specs = list(settings.faults)
    for mark in reversed(list(node.iter_markers("psaemu_fault"))):
        if not mark.args:
            pytest.fail(f"{node.nodeid}: the psaemu_fault marker needs the fault kind as first argument, e.g. "
                        f"@pytest.mark.psaemu_fault('drop_doorbell', nth=2)", pytrace=False)
        specs.append(_usage(lambda: _marker_fault(mark), f"{node.nodeid}: psaemu_fault marker", in_test=True))
    params = getattr(getattr(node, "callspec", None), "params", {})
    if params.get("psaemu_fault") is not None:
        specs.append(_usage(lambda: fault_spec(params["psaemu_fault"]), f"{node.nodeid}: psaemu_fault parameter",
                            in_test=True))
    return seed, specs


# ------------------------------------------------------------------------------------------
# building and booting
# ------------------------------------------------------------------------------------------
#: How the builder's messages name the plugin's settings.
PLUGIN_LABELS = {"defines": "psaemu_defines", "images": "psaemu_images(host=..., se=...)",
                 "proxy": "proxy='on' (psaemu_machine_factory)"}


def machine_spec(board: str | None, host: str | None, se: str | None, defines: tuple[str, ...] = (),
                 root: Path | None = None, **options: Any) -> Any:
    """The MachineSpec of a fixture's machine: ``host``/``se`` images (None: no image on that core;
    relative paths also from ``root``), the proxy macros; ``options`` are other MachineSpec fields."""
    from psaemu.platform.system.builder import MachineSpec
    return MachineSpec(board=board, images={"host": host, "se": se}, default_images=False, defines=tuple(defines),
                       image_root=root, labels=PLUGIN_LABELS).replace(**options)


def _build(*args: Any, **options: Any) -> Any:
    """The machine of :func:`machine_spec` (``psaemu.platform.system.builder.build_machine``)."""
    from psaemu.platform.system.builder import build_machine
    return build_machine(machine_spec(*args, **options))


def boot_to_ready(m: Any) -> Any:
    """Run ``m`` to "mailbox ready": proxy handshake complete and no Python wait pending."""
    from psaemu.platform.testing.snapshot import quiescent

    system = m.proxy_system
    if system is None:
        pytest.fail("psaemu 'booted' needs the PSA Proxy: the configured Host image does not carry it (use "
                    "'machine', or a Host image built with the proxy's shared-memory reservation)", pytrace=False)
    if "host" not in m.cores or m.cores["host"].image is None:
        m.set_released("se", True, "psaemu pytest plugin")
        system.psa.wait_ready()
        if not quiescent(m):
            m.run_until(lambda mm: quiescent(mm))
    else:
        m.run_until(lambda mm: system.proxy.ready and quiescent(mm))
    if not system.proxy.ready:
        raise RuntimeError(f"psaemu: the proxy did not become ready ({m.describe_cores()})")
    return m


def _track(request: pytest.FixtureRequest, m: Any) -> None:
    machines = request.node.stash.setdefault(_MACHINES_KEY, [])
    if all(x is not m for x in machines):
        machines.append(m)


def _start_snapshot(m: Any, settings: Settings) -> Any:
    """A fresh machine's snapshot for its bundle, when bundles are on and it can be taken."""
    if settings.bundle_dir is None:
        return None
    from psaemu.platform.testing.snapshot import quiescent
    if not quiescent(m):
        return None
    try:
        return m.snapshot()
    except Exception:          # no reproducer for this machine, but the test runs
        return None


def _replay_entry(request: pytest.FixtureRequest, bundle: Bundle, fixture: str) -> int:
    """The bundle's next machine made by ``fixture`` in this test (the test makes them in the same
    order), its snapshot loaded; only the test the bundle was written for replays it."""
    if request.node.nodeid != bundle.info["rootid"]:
        pytest.fail(f"--psaemu-replay {bundle.path}: the bundle was written by {bundle.info['rootid']}, not "
                    f"{request.node.nodeid}; replay it with: {bundle.info.get('replay')}", pytrace=False)
    taken = request.node.stash.setdefault(_REPLAY_TAKEN_KEY, {})
    k = taken.get(fixture, 0)
    entries = bundle.entries(fixture)
    if k >= len(entries):
        pytest.fail(f"--psaemu-replay {bundle.path}: the bundle has {len(entries)} machine(s) from {fixture!r} but "
                    f"the test asks for another; replay the test the bundle names ({bundle.info.get('nodeid')})",
                    pytrace=False)
    taken[fixture] = k + 1
    _usage(lambda: bundle.snapshot(entries[k]), f"--psaemu-replay {bundle.path}", in_test=True)
    return entries[k]


def _machine_from_bundle(bundle: Bundle, index: int, **options: Any) -> Any:
    """Machine ``index`` of a bundle, built from its snapshot (board, images, proxy, state)."""
    from psaemu.platform.system.machine import Machine
    return _usage(lambda: Machine.from_snapshot(bundle.snapshot(index), **options), f"--psaemu-replay {bundle.path}",
                  in_test=True)


#: The fixtures whose machines run under a test case's schedule seed.
_MACHINE_FIXTURES = ("booted", "machine", "psaemu_machine_factory", "psaemu_schedule_seed")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Schedule exploration: one case per seed for a test marked ``psaemu_explore(runs=N)`` or, under
    ``--psaemu-explore N``, for every test using a psaemu machine fixture."""
    from psaemu.platform.testing.explore import explore_runs, schedule_id
    mark = metafunc.definition.get_closest_marker("psaemu_explore")
    if mark is not None:
        value, what = (mark.args[0] if mark.args else mark.kwargs.get("runs")), "psaemu_explore marker runs="
    elif metafunc.config.getoption("psaemu_explore") is not None and \
            any(f in metafunc.fixturenames for f in _MACHINE_FIXTURES):
        value, what = metafunc.config.getoption("psaemu_explore"), "--psaemu-explore"
    else:
        return
    runs = _usage(lambda: explore_runs(value, what), metafunc.definition.nodeid)
    if "psaemu_schedule_seed" not in metafunc.fixturenames:
        metafunc.fixturenames.append("psaemu_schedule_seed")
    metafunc.parametrize("psaemu_schedule_seed", range(runs), indirect=True, ids=schedule_id)


def _schedule_seed(node: Any) -> int | None:
    """The schedule seed of a test case made by schedule exploration, else None."""
    callspec = getattr(node, "callspec", None)
    return None if callspec is None else callspec.params.get("psaemu_schedule_seed")


@pytest.fixture
def psaemu_schedule_seed(request: pytest.FixtureRequest) -> int | None:
    """This case's schedule seed (``psaemu_explore``/``--psaemu-explore``), None for the default schedule;
    the booted/machine/factory machines already run under it, a test's own Machine can take it with
    ``psaemu.platform.testing.explore.set_schedule(m, seed)``."""
    return getattr(request, "param", None)


@pytest.fixture(scope="session")
def psaemu_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved psaemu settings (options over ini keys over defaults)."""
    return pytestconfig.stash[_SETTINGS_KEY]


@pytest.fixture
def psaemu_fault(request: pytest.FixtureRequest) -> FaultSpec | None:
    """The fault this test case injects: parametrize with ``fault_cases(...)`` (``None`` otherwise)."""
    param = getattr(request, "param", None)
    return None if param is None else _usage(lambda: fault_spec(param), f"{request.node.nodeid}: psaemu_fault "
                                             f"parameter", in_test=True)


@pytest.fixture
def psaemu_machine_factory(request: pytest.FixtureRequest, psaemu_settings: Settings) -> Iterator[Callable[..., Any]]:
    """``factory(board=..., host=..., se=..., defines=..., **MachineSpec fields)`` -> a new machine;
    unspecified arguments come from the test's markers, then the settings. Machines it builds
    are included in failure reports and bundles; under ``--psaemu-replay`` it returns the
    bundle's machines in order."""
    unset = object()
    recorders: list[_Recorder] = []
    bundle = psaemu_settings.bundle

    def factory(board: Any = unset, host: Any = unset, se: Any = unset, defines: Any = unset,
                **machine_options: Any) -> Any:
        if bundle is not None:
            i = _replay_entry(request, bundle, "factory")
            m = _machine_from_bundle(bundle, i, console=machine_options.get("console"))
            recorders.append(_Recorder.replayed(request, m, "factory", bundle, i))
            return m
        b, h, s, d = _marker_spec(request.node, psaemu_settings)
        d = tuple(d if defines is unset else defines)
        m = _build(b if board is unset else board, h if host is unset else _none(host),
                   s if se is unset else _none(se), d, psaemu_settings.rootpath, **machine_options)
        recorders.append(_Recorder(request, m, "factory", _start_snapshot(m, psaemu_settings), list(d)))
        return m
    yield factory
    for rec in recorders:
        rec.stop()


@pytest.fixture
def machine(request: pytest.FixtureRequest, psaemu_settings: Settings) -> Iterator[Any]:
    """A fresh machine from the settings and markers: images loaded, proxy attached, not run;
    the plugin's seed and faults armed. Under ``--psaemu-replay``: the bundle's machine."""
    bundle = psaemu_settings.bundle
    if bundle is not None:
        i = _replay_entry(request, bundle, "machine")
        m = _machine_from_bundle(bundle, i)
        rec = _Recorder.replayed(request, m, "machine", bundle, i)
    else:
        b, h, s, d = _marker_spec(request.node, psaemu_settings)
        m = _build(b, h, s, d, psaemu_settings.rootpath)
        rec = _Recorder(request, m, "machine", _start_snapshot(m, psaemu_settings), list(d),
                        *_plugin_faults(request.node, psaemu_settings))
    yield m
    rec.stop()


class _BootCache:
    """Per-session (per xdist worker) booted machines and their snapshots, by configuration."""

    def __init__(self) -> None:
        self.entries: dict[tuple, tuple[Any, Any]] = {}
        self.boots = 0

    def get(self, key: tuple, root: Path) -> tuple[Any, Any]:
        if key not in self.entries:
            m = boot_to_ready(_build(*key, root=root))
            self.entries[key] = (m, m.snapshot())
            self.boots += 1
        return self.entries[key]

    def replay_machine(self, bundle: Bundle, index: int) -> Any:
        key = ("replay", str(bundle.path), index)
        if key not in self.entries:
            self.entries[key] = (_machine_from_bundle(bundle, index), bundle.snapshot(index))
        return self.entries[key][0]


@pytest.fixture(scope="session")
def psaemu_boot_cache() -> _BootCache:
    """Session-scoped store of booted machines and snapshots (one per worker process)."""
    return _BootCache()


@pytest.fixture
def booted(request: pytest.FixtureRequest, psaemu_settings: Settings, psaemu_boot_cache: _BootCache) -> Iterator[Any]:
    """The machine booted to "mailbox ready", restored from the session's snapshot for this test,
    the plugin's seed and faults armed. The same Machine object is handed to every test with the
    same configuration; its state is restored before each test, so nothing leaks into the next."""
    bundle = psaemu_settings.bundle
    if bundle is not None:
        i = _replay_entry(request, bundle, "booted")
        m = psaemu_boot_cache.replay_machine(bundle, i)
        m.restore(bundle.snapshot(i))
        rec = _Recorder.replayed(request, m, "booted", bundle, i)
    else:
        key = _marker_spec(request.node, psaemu_settings)
        m, snap = psaemu_boot_cache.get(key, psaemu_settings.rootpath)
        m.restore(snap)
        rec = _Recorder(request, m, "booted", snap, list(key[3]), *_plugin_faults(request.node, psaemu_settings))
    yield m
    rec.stop()


# ------------------------------------------------------------------------------------------
# recording what a test starts from, for reproducer bundles
# ------------------------------------------------------------------------------------------
class _Recorder:
    """Arms the plugin's seed and faults on a machine, notes what the test starts from
    (snapshot, seed) and records its ``m.faults`` calls until :meth:`stop`."""

    def __init__(self, request: pytest.FixtureRequest, m: Any, fixture: str, snap: Any, defines: list[str],
                 seed: int | None = None, specs: list[FaultSpec] | None = None, *,
                 replay: tuple[Bundle, int] | None = None) -> None:
        _track(request, m)
        seed_s = _schedule_seed(request.node)
        if seed_s is not None:
            from psaemu.platform.testing.explore import set_schedule
            set_schedule(m, seed_s)
        inj = m.faults
        # Every test starts from a new injector (a shared `booted` machine keeps nothing of the last
        # test's): seed 0 unless the plugin seeds it, so the seed alone fixes every random choice.
        inj.reset(initial=True)
        specs = list(specs or [])
        if seed is not None:
            inj.seed(seed)
        self.rec = Recording(m, fixture, snapshot=snap, plugin_seed=seed, plugin_faults=specs, defines=defines)
        if replay is not None:
            bundle, i = replay
            self.rec.snapshot_path, self.rec.replayed_from = bundle.snapshot_path(i), str(bundle.path)
        request.node.stash.setdefault(_RECORDINGS_KEY, []).append(self.rec)
        for spec in specs:
            _usage(lambda: spec.arm(inj), f"{request.node.nodeid}", in_test=True)
        self.inj = inj
        self.wrapped: list[str] = []
        for name in FAULT_METHODS:
            method = getattr(inj, name, None)
            if method is not None:
                setattr(inj, name, self._wrap(name, method))
                self.wrapped.append(name)

    @classmethod
    def replayed(cls, request: pytest.FixtureRequest, m: Any, fixture: str, bundle: Bundle, i: int) -> "_Recorder":
        """The recorder of a machine started from bundle entry ``i``: the bundle's seed and plugin
        faults (not the current options')."""
        seed, specs = bundle.faults(i)
        return cls(request, m, fixture, bundle.snapshot(i), list(bundle.machines[i].get("macros", ())),
                   seed, specs, replay=(bundle, i))

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        calls = self.rec.faults

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append({"call": name, "args": plain(args), "kwargs": plain(kwargs)})
            return method(*args, **kwargs)
        return wrapper

    def stop(self) -> None:
        """Stop recording: the injector's own methods again."""
        for name in self.wrapped:
            self.inj.__dict__.pop(name, None)
        self.wrapped = []


def _invocation_nodeid(item: pytest.Item) -> str:
    """The test's node id with its file relative to where pytest was started (node ids are relative
    to the rootdir), so the printed replay command works from the same directory."""
    import os
    path, sep, rest = item.nodeid.partition("::")
    start = item.config.invocation_params.dir
    rel = os.path.relpath(Path(item.config.rootpath, path), start)
    return rel.replace(os.sep, "/") + sep + rest


#: Options of the original run that decide rootdir, ini file, plugins and imports: the replay
#: command repeats them so that it collects the same test (value-taking ones first).
_CARRIED = ("-c", "--config-file", "--rootdir", "-p", "-o", "--override-ini", "--import-mode", "--confcutdir")
_CARRIED_FLAGS = ("--noconftest",)


def _collection_options(config: pytest.Config) -> list[str]:
    """The original run's options among ``_CARRIED``, as given (``-p X``, ``-pX``, ``--rootdir=X``)."""
    out: list[str] = []
    args = list(config.invocation_params.args)
    i = 0
    while i < len(args):
        a = str(args[i])
        if a in _CARRIED and i + 1 < len(args):
            out += [a, str(args[i + 1])]
            i += 2
            continue
        if a in _CARRIED_FLAGS or any(a.startswith(o + "=") for o in _CARRIED if o.startswith("--")) or \
                (len(a) > 2 and a[:2] in ("-c", "-p", "-o") and not a.startswith("--")):
            out.append(a)
        i += 1
    return out


def _write_bundles(item: pytest.Item, report: pytest.TestReport) -> None:
    settings = item.config.stash[_SETTINGS_KEY]
    if settings.bundle_dir is None:
        return
    recs = item.stash.get(_RECORDINGS_KEY, [])
    missing = [i for i, r in enumerate(recs) if r.snapshot is None]
    if not recs or len(missing) == len(recs):
        if recs:
            report.sections.append((SECTION_REPRO, "<no bundle: none of this test's machines could be snapshotted "
                                                   "when it made them (a Python wait was pending)>"))
        return
    crash = getattr(report.longrepr, "reprcrash", None)
    error = crash.message if crash is not None else None
    directory = settings.bundle_dir / bundle_name(item.nodeid)
    if settings.replay is not None and directory.resolve() == settings.replay:
        directory = directory.with_name(directory.name + "-replay")
    try:
        info = write_bundle(directory, _invocation_nodeid(item), item.nodeid, recs, error,
                            _collection_options(item.config))
    except Exception as exc:
        report.sections.append((SECTION_REPRO, f"<could not write the bundle {directory}: {exc!r}>"))
        return
    digests = ", ".join(e["event_digest"][:16] for e in info["machines"])
    lines = [f"bundle: {directory}  (event digest {digests})", f"replay: {info['replay']}"]
    if missing:
        lines.append(f"note: machine(s) {', '.join(map(str, missing))} could not be snapshotted when the test made "
                     f"them; the replay stops when the test asks for them")
    report.sections.append((SECTION_REPRO, "\n".join(lines)))
    _write_timelines(item, report, directory)


def _write_timelines(item: pytest.Item, report: pytest.TestReport, directory: Path) -> None:
    """The timeline of each machine the failing test used, next to its bundle: ``timeline.json``
    (Chrome/Perfetto trace events) and ``timeline.svg`` (the last transactions as a sequence
    diagram); the section "psaemu timeline" names the files."""
    from psaemu.proxy.timeline import timeline
    from psaemu.proxy.timeline_svg import write_svg
    machines = item.stash.get(_MACHINES_KEY, [])
    lines = []
    for i, m in enumerate(machines):
        stem = "timeline" if len(machines) == 1 else f"timeline-{i}"
        try:
            data = timeline(m)
            json_path, svg_path = directory / f"{stem}.json", directory / f"{stem}.svg"
            json_path.write_text(json.dumps(data, separators=(",", ":")))
            write_svg(data, svg_path, calls=TIMELINE_CALLS, at="end")
        except Exception as exc:
            lines.append(f"<could not write the timeline of machine {i}: {exc!r}>")
            continue
        lines.append(f"{svg_path}  (the last {TIMELINE_CALLS} transactions)\n{json_path}  (open in ui.perfetto.dev)")
    if lines:
        report.sections.append((SECTION_TIMELINE, "\n".join(lines)))


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
        tail = _tail(console_text(m, name), CONSOLE_LINES)
        lines.append(f"--- {name} ---")
        lines += tail or ["<no output>"]
    out.append((SECTION_CONSOLE, "\n".join(lines)))
    system = m.proxy_system
    if system is not None:
        records = list(system.records)[-IPC_RECORDS:]
        body = "\n".join(r.format() for r in records) or "<no IPC records>"
        out.append((SECTION_IPC, f"handshake: {system.proxy.handshake.state}\n{body}"))
    faults = []
    from psaemu.platform.cpu.faults import fault_report
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
    seed = _schedule_seed(item)
    if seed is not None and report.when == "call":
        import shlex

        from psaemu.platform.testing.bundles import pytest_launcher  # a plugin-level name would read as a hook
        words = [*pytest_launcher(), *_collection_options(item.config), _invocation_nodeid(item)]
        report.sections.append((SECTION_SCHEDULE, f"fails under schedule seed {seed}; replay: {shlex.join(words)}"))
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
