"""Reproducer bundles: what a failing test started from (one snapshot per machine, fault-injector
seed, the faults armed) and what it saw (event trace, consoles, IPC records),
written to a directory that ``pytest NODEID --psaemu-replay DIR`` replays bit-identically.

Layout of a bundle directory: ``bundle.json`` (format ``psaemu-bundle/2``: node id, error,
psaemu version, the replay command and one entry per machine under ``"machines"``; a bundle of
``psaemu explore`` adds ``"explore"``, see :mod:`psaemu.platform.testing.explore`); machine 0's
``snapshot.psaemu``, ``events.txt``, ``console-<core>.txt`` and ``ipc.txt`` at the top, machine
*i* > 0's in ``machine-<i>/``.
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psaemu.platform.errors import ConfigError
from psaemu.platform.testing.faultspec import FaultSpec, fault_spec

BUNDLE_FORMAT = "psaemu-bundle/2"
#: The fixtures whose machines a bundle holds.
FIXTURES = ("booted", "machine", "factory")
SNAPSHOT_FILE = "snapshot.psaemu"


@dataclass
class Recording:
    """One machine a test used: where it started and the faults it got (the bundle's entry)."""

    machine: Any
    fixture: str                                  # "booted", "machine" or "factory"
    snapshot: Any = None                          # the state the test started from (None: no bundle)
    snapshot_path: Path | None = None             # set when that state came from a bundle file
    plugin_seed: int | None = None                # seeded by the plugin (option, ini, marker); else 0
    plugin_faults: list[FaultSpec] = field(default_factory=list)   # armed by the plugin
    faults: list[dict[str, Any]] = field(default_factory=list)     # the test's own m.faults calls
    defines: list[str] = field(default_factory=list)
    replayed_from: str | None = None


def plain(value: Any) -> Any:
    """``value`` as JSON data (bytes as ``{"bytes": hex}``, enums by name, else repr)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, FaultSpec):
        return plain(value.as_data())
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else repr(value)


def bundle_name(nodeid: str) -> str:
    """A directory name for a test node id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_") or "test"


def pytest_launcher() -> list[str]:
    """How to start pytest with the interpreter running now: ``python3 -m pytest`` when that name on
    PATH is this interpreter, else its full path (a bare ``pytest`` may be another Python's, or absent)."""
    exe = Path(sys.executable).resolve()
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found and Path(found).resolve() == exe:
            return [name, "-m", "pytest"]
    return [sys.executable, "-m", "pytest"]


def replay_command(nodeid: str, directory: Path, options: list[str] | tuple[str, ...] = ()) -> str:
    """The one-line command that replays the bundle in ``directory``, run from where the test run
    started; ``options`` are the run's options that decide what is collected (``-c``, ``-p``...)."""
    words = [*pytest_launcher(), *options, nodeid, "--psaemu-replay", str(directory)]
    return " ".join(shlex.quote(w) for w in words)


def _version() -> str:
    from importlib import metadata
    try:
        return metadata.version("psa-proxy-emu")
    except Exception:
        return "unknown"


def console_text(m: Any, core: str) -> str:
    """A core's console output, or a line saying why it cannot be read (a failure report or a
    bundle must never hide the test's own failure behind another exception)."""
    try:
        return m.console.text(core)
    except Exception as exc:
        return f"<console unavailable: {exc}>\n"


def _machine_files(directory: Path, rec: Recording) -> None:
    """The snapshot, event trace, consoles and IPC records of one machine into ``directory``."""
    m = rec.machine
    directory.mkdir(parents=True, exist_ok=True)
    snap_file = directory / SNAPSHOT_FILE
    if rec.snapshot_path is not None:
        if Path(rec.snapshot_path).resolve() != snap_file.resolve():
            shutil.copyfile(rec.snapshot_path, snap_file)
    elif rec.snapshot is not None:
        rec.snapshot.save(snap_file)
    m.events.write(str(directory / "events.txt"))
    for name in m.cores:
        (directory / f"console-{name}.txt").write_text(console_text(m, name))
    system = m.proxy_system
    lines = [] if system is None else [f"# {note}" for note in [system.monitor.dropped_note()] if note] + \
        [r.format() for r in system.records]
    (directory / "ipc.txt").write_text("\n".join(lines) + ("\n" if lines else ""))


def _machine_entry(rec: Recording, rel: str) -> dict[str, Any]:
    m = rec.machine
    return {
        "fixture": rec.fixture,
        "dir": rel,
        "snapshot": rec.snapshot is not None,
        "plugin_seed": rec.plugin_seed,
        "plugin_faults": [s.as_data() for s in rec.plugin_faults],
        "plugin_fault_labels": [s.label() for s in rec.plugin_faults],
        "faults": rec.faults,
        "board": {"name": m.board.name, "path": str(m.board.path)},
        "images": {name: (c.image.path if c.image is not None else None) for name, c in m.cores.items()},
        "macros": rec.defines,
        "event_digest": m.events.digest(),
        "events": len(m.events),
        "events_dropped": m.events.dropped,
        "ipc_dropped": m.proxy_system.monitor.dropped if m.proxy_system is not None else 0,
        "replayed_from": rec.replayed_from,
    }


def write_bundle(directory: Path, nodeid: str, rootid: str, recs: list[Recording],
                 error: str | None, options: list[str] | tuple[str, ...] = (), *,
                 replay: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the bundle of a failing test that used the machines ``recs``; ``nodeid`` is the test
    as the replay command names it, ``rootid`` as pytest does (relative to the rootdir). A machine
    without a snapshot keeps its place (``"snapshot": false``) and cannot be replayed. ``replay``
    replaces the pytest replay command (a bundle ``psaemu explore`` writes) and ``extra`` adds
    top-level keys. Returns what ``bundle.json`` holds."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, rec in enumerate(recs):
        rel = "." if i == 0 else f"machine-{i}"
        _machine_files(directory / rel, rec)
        entries.append(_machine_entry(rec, rel))
    info = {
        "format": BUNDLE_FORMAT,
        "nodeid": nodeid,
        "rootid": rootid,
        "error": error,
        "psaemu_version": _version(),
        "bundle_dir": str(directory),
        "replay": replay if replay is not None else replay_command(nodeid, directory, options),
        "machines": entries,
        **(extra or {}),
    }
    (directory / "bundle.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


class Bundle:
    """A bundle read back for replay: its machines' entries and snapshots, taken in order per fixture."""

    def __init__(self, path: Path) -> None:
        self.path = path
        info_path = path / "bundle.json"
        if not info_path.is_file():
            raise ConfigError(f"{path}: not a psaemu bundle (no bundle.json); give the directory a failing "
                              f"test's report names after 'bundle:'")
        try:
            self.info: dict[str, Any] = json.loads(info_path.read_text())
        except ValueError as exc:
            raise ConfigError(f"{info_path}: not valid JSON ({exc})") from None
        if not isinstance(self.info, dict) or self.info.get("format") != BUNDLE_FORMAT:
            found = self.info.get("format") if isinstance(self.info, dict) else None
            raise ConfigError(f"{info_path}: format {found!r}; this psaemu replays {BUNDLE_FORMAT!r} bundles "
                              f"(write the bundle again with this version)")
        machines = self.info.get("machines")
        if not isinstance(machines, list) or not machines or not isinstance(self.info.get("rootid"), str):
            raise ConfigError(f"{info_path}: 'machines' (a non-empty list) and 'rootid' are missing or damaged")
        for i, e in enumerate(machines):
            if not (isinstance(e, dict) and e.get("fixture") in FIXTURES and isinstance(e.get("dir"), str)):
                raise ConfigError(f"{info_path}: machines[{i}] is damaged (needs fixture one of "
                                  f"{', '.join(FIXTURES)} and dir)")
            if e.get("snapshot") and not (path / e["dir"] / SNAPSHOT_FILE).is_file():
                raise ConfigError(f"{path / e['dir'] / SNAPSHOT_FILE}: missing; the bundle is incomplete")
        self.machines: list[dict[str, Any]] = machines
        self._snapshots: dict[int, Any] = {}

    def entries(self, fixture: str) -> list[int]:
        """Indexes of the machines a fixture kind made, in the order the test made them."""
        return [i for i, e in enumerate(self.machines) if e["fixture"] == fixture]

    def snapshot_path(self, index: int) -> Path:
        return (self.path / self.machines[index]["dir"] / SNAPSHOT_FILE).resolve()

    def snapshot(self, index: int) -> Any:
        """Machine ``index``'s snapshot (loaded once); ConfigError for a machine the bundle could
        not snapshot."""
        if not self.machines[index].get("snapshot"):
            raise ConfigError(f"{self.path}: machine {index} ({self.machines[index]['fixture']}) could not be "
                              f"snapshotted when the test made it (a Python wait was pending), so the bundle "
                              f"cannot replay it")
        if index not in self._snapshots:
            from psaemu.platform.testing.snapshot import Snapshot
            self._snapshots[index] = Snapshot.load(self.snapshot_path(index))
        return self._snapshots[index]

    def faults(self, index: int) -> tuple[int | None, list[FaultSpec]]:
        """The plugin's seed and faults for machine ``index``."""
        e = self.machines[index]
        return e.get("plugin_seed"), [fault_spec(d) for d in e.get("plugin_faults", [])]
