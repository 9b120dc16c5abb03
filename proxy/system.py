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
from psaemu.proxy.bl0 import play_bl0
from psaemu.proxy.client import DEFAULT_REPLY_BUDGET_S, PsaClient
from psaemu.proxy.config import Placement, ProxyConfig, resolve_placement
from psaemu.proxy.forwarder import Proxy
from psaemu.proxy.hostkind import HostKind, classify_host
from psaemu.proxy.monitor import DEFAULT_IPC_LIMIT, IpcMonitor, IpcRecord
from psaemu.proxy.profiles import ProxyProfile, resolve_profile
from psaemu.proxy.spm import HostSpm

#: Symbol of the SE firmware's platform configuration block (see images/se/platform_config.h).
SE_CONFIG_SYMBOL = "se_platform_config"
SE_CONFIG_MAGIC = 0x53455043
#: Block version 2 adds the ``flags`` word (index 9); bit 0: use the mailbox message's client_id.
SE_CONFIG_FLAGS_VERSION = 2
SE_CONFIG_FORWARD_CLIENT_IDS = 1 << 0


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
                 lift: Sequence[str] = ()) -> ProxySystem:
    """Resolve the macros, place and zero the shared memory, install the Host SPM and the proxy;
    with ``bl0``, play the Host BL0, which releases the cores the board marks ``reset = "bl0"``.
    The IPC monitor keeps the last ``ipc_limit`` records (``on_record`` sees every one); ``profile``
    and ``lift`` select the release profile and lifted limitations over the board's (proxy/profiles.py)."""
    for name in (host, se):
        if name not in machine.cores:
            raise ConfigError(f"{machine.board.path}: the PSA Proxy needs cores {host!r} and {se!r}; "
                              f"this board has {', '.join(machine.cores)}")
    config = ProxyConfig.from_board(machine.board.proxy, f"{machine.board.path} [proxy]", defines)
    chosen = resolve_profile(machine.board.proxy_profile, f"{machine.board.path} [proxy]", profile, lift)
    host_core = machine.cores[host]
    placement = resolve_placement(config, machine.memory, host_core.image, host, se)
    proxy = Proxy(machine, placement, host, se, IpcMonitor(on_record, on_handshake, ipc_limit))
    proxy.check_writeback = config.check_writeback
    proxy.profile = chosen
    budget = int(reply_budget_s * host_core.clock_hz) if reply_budget_s else None
    spm = HostSpm(machine, proxy, host, budget)
    machine.agents.append(proxy.poll)
    _configure_se(machine, placement, host, se, chosen)
    machine.events.record(host_core, "proxy_attach", base=placement.host_base, se_base=placement.se_base,
                          size=placement.region_size, mode=placement.mode, translation=int(placement.translation))
    system = ProxySystem(machine, config, placement, proxy, spm)
    system.psa = machine.psa = PsaClient(system)
    machine.proxy_system = system
    if bl0:
        play_bl0(machine, host)
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
        flags = struct.unpack("<I", se_core.mem_read(addr + 36, 4))[0]
        se_core.mem_write(addr + 36, struct.pack("<I", flags | SE_CONFIG_FORWARD_CLIENT_IDS))
