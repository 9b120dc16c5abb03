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
def machine(psaemu_machine_factory: Callable[..., Any]) -> Any:
    """A fresh machine from the settings and markers: images loaded, proxy attached, not run."""
    return psaemu_machine_factory()


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


@pytest.fixture(scope="session")
def psaemu_boot_cache() -> _BootCache:
    """Session-scoped store of booted machines and snapshots (one per worker process)."""
    return _BootCache()


@pytest.fixture
def booted(request: pytest.FixtureRequest, psaemu_settings: Settings, psaemu_boot_cache: _BootCache) -> Any:
    """The machine booted to "mailbox ready", restored from the session's snapshot for this test.
    The same Machine object is handed to every test with the same configuration; its state is
    restored before each test, so nothing a test does leaks into the next."""
    key = _marker_spec(request.node, psaemu_settings)
    m, snap = psaemu_boot_cache.get(key, psaemu_settings.rootpath)
    m.restore(snap)
    _track(request, m)
    return m


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
    multi = len(machines) > 1
    for i, m in enumerate(machines):
        try:
            sections = report_sections(m)
        except Exception as exc:
            sections = [("psaemu report", f"<could not build the psaemu report: {exc!r}>")]
        for title, body in sections:
            report.sections.append((f"{title} [machine {i}]" if multi else title, body))
