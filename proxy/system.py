"""Attach the PSA Proxy to a machine: configuration, Host SPM, proxy agent, IPC monitor.

Call :func:`attach_proxy` after the images are loaded: the BSS placement needs the Host image
and the SE's platform configuration block is filled in from the resolved placement.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from psaemu.platform.errors import ConfigError
from psaemu.platform.system.machine import Machine
from psaemu.proxy.bl0 import hold_host_until_boot_vector, host_start_mode, play_bl0
from psaemu.proxy.client import DEFAULT_REPLY_BUDGET_S, PsaClient
from psaemu.proxy.config import Placement, ProxyConfig, resolve_placement
from psaemu.proxy.forwarder import Proxy
from psaemu.proxy.hostkind import HostKind, classify_host
from psaemu.proxy.mailbox_queue import BOARD_KEY as SLOTS_KEY
from psaemu.proxy.mailbox_queue import resolve_slots
from psaemu.proxy.monitor import DEFAULT_IPC_LIMIT, IpcMonitor, IpcRecord
from psaemu.proxy.profiles import ProxyProfile, resolve_profile
from psaemu.proxy.spm import HostSpm
from psaemu.proxy.zerocopy import SE_VIEW_RANGES, HostView, require_view

#: Symbol of the SE firmware's platform configuration block (see images/se/platform_config.h).
SE_CONFIG_SYMBOL = "se_platform_config"
SE_CONFIG_MAGIC = 0x53455043
#: Block version 2 adds the ``flags`` word (index 9); bit 0: use the mailbox message's client_id.
SE_CONFIG_FLAGS_VERSION = 2
SE_CONFIG_FORWARD_CLIENT_IDS = 1 << 0
#: Byte offsets in that block of the words set at attach, with the block version that added each:
#: ``flags`` 2, ``mailbox_slots`` 3, ``tfm_release`` 4, ``host_view`` (the SE_VIEW_RANGES ranges) 5.
SE_CONFIG_WORDS = {"flags": 36, "mailbox_slots": 40, "tfm_release": 44, "host_view": 48}


@dataclass
class ProxySystem:
    """Everything the PSA Proxy adds to a machine."""

    machine: Machine
    config: ProxyConfig
    placement: Placement
    proxy: Proxy
    spm: HostSpm
    #: Scripted PSA client (``psaemu.proxy.client``), also ``machine.psa``.
    psa: PsaClient | None = field(default=None, repr=False)

    @property
    def profile(self) -> ProxyProfile:
        """The release profile and lifted limitations (psaemu.proxy.profiles)."""
        return self.proxy.profile

    @property
    def monitor(self) -> IpcMonitor:
        return self.proxy.monitor

    @property
    def records(self) -> list[IpcRecord]:
        return self.proxy.monitor.records

    # -- state protocol (snapshots) -------------------------------------------------------
    @property
    def state_agents(self) -> tuple:
        """The machine agents whose state :meth:`save_state` covers (the handshake's)."""
        return (self.proxy.poll,)

    def save_state(self) -> dict[str, Any]:
        """The proxy (handshake, pool), the Host SPM (connections, operations in flight) and the
        IPC monitor (records, handshake words), with the macros and cores the proxy was attached with."""
        return {"placement": self.placement, "config": self.config, "host": self.proxy.host.name,
                "se": self.proxy.se_name, **self.monitor.save_state(), "proxy": self.proxy.save_state(),
                "spm": self.spm.save_state(), "profile": self.proxy.profile}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.proxy.restore_state(state["proxy"])
        self.monitor.restore_state(state)          # before the SPM: its operations find their records
        self.spm.restore_state(state["spm"])

    def check_state(self, state: dict[str, Any]) -> str | None:
        """Why ``state`` cannot be restored into this proxy (None when it can)."""
        if self.placement != state["placement"]:
            return (f"the proxy's shared memory is placed at {self.placement}, the snapshot's at "
                    f"{state['placement']} (other proxy macros)")
        theirs = state.get("profile", ProxyProfile())
        mine = self.proxy.profile
        if (mine.name, mine.secure_client_id_base) != (theirs.name, theirs.secure_client_id_base):
            return (f"the proxy runs profile {mine.name} ({mine.describe_mapping()}), the snapshot's is "
                    f"{theirs.name} ({theirs.describe_mapping()}); use the same --profile/--lift")
        return None


def host_kind(machine: Machine, host: str = "host") -> HostKind:
    """What the Host image is, and so whether psaemu plays the Host's secure side (``--proxy auto``)."""
    return classify_host(machine.cores[host].image if host in machine.cores else None)


def wants_proxy(machine: Machine, host: str = "host") -> bool:
    """Auto mode: psaemu models the Host's secure side for this Host image (see :mod:`psaemu.proxy.hostkind`)."""
    return host_kind(machine, host).python_secure


def attach_proxy(machine: Machine, defines: Mapping[str, int | None] | None = None, *, host: str = "host",
                 se: str = "se", reply_budget_s: float = DEFAULT_REPLY_BUDGET_S,
                 on_record: Callable[[IpcRecord], None] | None = None,
                 on_handshake: Callable[[int, str, int], None] | None = None, bl0: bool = True,
                 ipc_limit: int = DEFAULT_IPC_LIMIT, profile: str | None = None,
                 lift: Sequence[str] = (), mailbox_slots: int | None = None,
                 host_start: str = "auto") -> ProxySystem:
    """Resolve the macros, place and zero the shared memory, install the Host SPM and the proxy;
    with ``bl0``, play the Host BL0, which releases the cores the board marks ``reset = "bl0"``.
    The IPC monitor keeps the last ``ipc_limit`` records (``on_record`` sees every one); ``profile``
    and ``lift`` select the release profile and lifted limitations over the board's (proxy/profiles.py);
    ``mailbox_slots`` the queue's slot count over the board's (proxy/mailbox_queue.py); ``host_start`` when
    the Host image starts (proxy/bl0.py ``HOST_START_MODES``: at power-on, or held by BL0 until the
    SE's boot vector; ``auto`` holds it for an SE image that is not psaemu's own firmware)."""
    for name in (host, se):
        if name not in machine.cores:
            raise ConfigError(f"{machine.board.path}: the PSA Proxy needs cores {host!r} and {se!r}; "
                              f"this board has {', '.join(machine.cores)}")
    config = ProxyConfig.from_board(machine.board.proxy, f"{machine.board.path} [proxy]", defines)
    chosen = resolve_profile(machine.board.proxy_profile, f"{machine.board.path} [proxy]", profile, lift)
    host_core = machine.cores[host]
    n_slots = resolve_slots(machine.board.proxy_profile.get(SLOTS_KEY), f"{machine.board.path} [proxy]", mailbox_slots)
    placement = resolve_placement(config, machine.memory, host_core.image, host, se, n_slots)
    proxy = Proxy(machine, placement, host, se, IpcMonitor(on_record, on_handshake, ipc_limit), n_slots)
    proxy.check_writeback = config.check_writeback
    proxy.profile = chosen
    budget = int(reply_budget_s * host_core.clock_hz) if reply_budget_s else None
    spm = HostSpm(machine, proxy, host, budget)
    machine.agents.append(proxy.poll)
    _configure_se(machine, placement, host, se, chosen)
    _configure_se_slots(machine, se, n_slots)
    _configure_se_release(machine, se, chosen)
    if chosen.zero_copy:
        proxy.host_view = require_view(machine, placement, chosen.source, host, se)
        _configure_se_view(machine, se, proxy.host_view, chosen.source)
    machine.events.record(host_core, "proxy_attach", base=placement.host_base, se_base=placement.se_base,
                          size=placement.region_size, mode=placement.mode, translation=int(placement.translation))
    system = ProxySystem(machine, config, placement, proxy, spm)
    system.psa = machine.psa = PsaClient(system)
    machine.proxy_system = system
    start = host_start_mode(machine, host_start, se)
    if bl0:
        if play_bl0(machine, host) and start == "boot-vector":
            hold_host_until_boot_vector(machine, proxy, host)
    return system


def _configure_se(machine: Machine, placement: Placement, host: str, se: str,
                  profile: ProxyProfile | None = None) -> None:
    """Tell the SE firmware where the Host's non-secure data (the shared region) and image are,
    and (block version 2) whether it takes the mailbox message's client_id as the caller."""
    se_core = machine.cores[se]
    image = se_core.image
    forward = profile is not None and profile.forward_client_ids
    if image is None or SE_CONFIG_SYMBOL not in image.symbols:
        if forward:
            raise ConfigError(f"{profile.source}: lifting client-ids needs an SE image with the {SE_CONFIG_SYMBOL} "
                              f"block (version {SE_CONFIG_FLAGS_VERSION}) to learn the mode; "
                              f"{image.path if image else 'no SE image'} has none (TF-M's SE ignores "
                              f"msg.client_id); use the bundled SE image or drop the lift")
        return
    addr = image.address_of(SE_CONFIG_SYMBOL)
    words = list(struct.unpack("<9I", se_core.mem_read(addr, 36)))
    if words[0] != SE_CONFIG_MAGIC:
        raise ConfigError(f"{image.path}: {SE_CONFIG_SYMBOL} at {addr:#010x} does not start with the magic "
                          f"{SE_CONFIG_MAGIC:#x}; rebuild the SE image")
    words[2], words[3] = placement.se_base, placement.region_size
    host_image = machine.cores[host].image
    if host_image is not None and host_image.vector_table is not None:
        words[6] = host_image.vector_table
    se_core.mem_write(addr, struct.pack("<9I", *words))
    if forward:
        if words[1] < SE_CONFIG_FLAGS_VERSION:
            raise ConfigError(f"{image.path}: {SE_CONFIG_SYMBOL} is version {words[1]}, which has no flags word; "
                              f"lifting client-ids needs version {SE_CONFIG_FLAGS_VERSION}: rebuild the SE image "
                              f"(make -C images)")
        flags_addr = addr + SE_CONFIG_WORDS["flags"]
        flags = struct.unpack("<I", se_core.mem_read(flags_addr, 4))[0]
        se_core.mem_write(flags_addr, struct.pack("<I", flags | SE_CONFIG_FORWARD_CLIENT_IDS))


def _write_se_config(machine: Machine, se: str, min_version: int, word: str, data: bytes, why: str,
                     instead: str) -> None:
    """Write ``data`` at the ``word`` (a :data:`SE_CONFIG_WORDS` name) of the SE firmware's
    configuration block, which must be ``min_version`` or later; ``why`` names what needs it and
    ``instead`` the way out without it (both for the ConfigError)."""
    se_core = machine.cores[se]
    image = se_core.image
    if image is None or SE_CONFIG_SYMBOL not in image.symbols:
        raise ConfigError(f"{why} needs an SE image with the {SE_CONFIG_SYMBOL} block (version {min_version}, "
                          f"its {word} word); {image.path if image else 'no SE image'} has none: use the bundled "
                          f"SE image (make -C images) or {instead}")
    addr = image.address_of(SE_CONFIG_SYMBOL)
    version = struct.unpack("<I", se_core.mem_read(addr + 4, 4))[0]
    if version < min_version:
        raise ConfigError(f"{image.path}: {SE_CONFIG_SYMBOL} is version {version}, which has no {word} word; "
                          f"{why} needs version {min_version}: rebuild the SE image (make -C images) or {instead}")
    se_core.mem_write(addr + SE_CONFIG_WORDS[word], data)


#: Block version 3 adds ``mailbox_slots`` (index 10): the Host's queue slot count.
SE_CONFIG_SLOTS_VERSION = 3


def _configure_se_slots(machine: Machine, se: str, n_slots: int) -> None:
    """Tell the SE firmware the queue's slot count (block version 3); one slot needs nothing."""
    if n_slots == 1:
        return
    _write_se_config(machine, se, SE_CONFIG_SLOTS_VERSION, "mailbox_slots", struct.pack("<I", n_slots),
                     f"--mailbox-slots {n_slots} (TF-M's SE is built with NUM_MAILBOX_QUEUE_SLOT)", "use one slot")


#: Block version 5 adds ``host_view`` (indices 12..15): the Host RAM the SE accepts IOVECs in (zero-copy).
SE_CONFIG_VIEW_VERSION = 5


def _configure_se_view(machine: Machine, se: str, view: HostView, source: str) -> None:
    """Tell the SE firmware which Host RAM (SE view) zero-copy IOVECs may be in (block version 5)."""
    ranges = (view.se_ranges() + [(0, 0)] * SE_VIEW_RANGES)[:SE_VIEW_RANGES]
    _write_se_config(machine, se, SE_CONFIG_VIEW_VERSION, "host_view",
                     struct.pack(f"<{2 * SE_VIEW_RANGES}I", *(w for r in ranges for w in r)),
                     f"{source}: lifting zero-copy (the SE accepts IOVECs in Host RAM)", "drop the lift")


#: Block version 4 adds ``tfm_release`` (index 11): the TF-M release whose SE services the firmware models.
SE_CONFIG_RELEASE_VERSION = 4


def _configure_se_release(machine: Machine, se: str, profile: ProxyProfile) -> None:
    """Tell the SE firmware the profile's release (block version 4); TF-M v1.3 needs nothing."""
    image = machine.cores[se].image
    if profile.abi.se_release == 13 or image is None:     # no SE firmware: the SE stand-in speaks the profile
        return
    _write_se_config(machine, se, SE_CONFIG_RELEASE_VERSION, "tfm_release", struct.pack("<I", profile.abi.se_release),
                     f"{profile.source}: profile {profile.release} (the SE serves that release's stateless handles)",
                     "use --profile tfm-1.3")
