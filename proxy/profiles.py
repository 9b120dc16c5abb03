"""Release profiles and lifted limitations: which TF-M release the PSA Proxy behaves as, and which
of the integration guide's limitations psaemu lifts on top of it.

A profile is named by its release (``tfm-1.3``, the default: TF-M v1.3.0 as shipped). A lifted
limitation is named by a short key (``client-ids``) and is independent of the release. Both come
from the board's ``[proxy]`` table (``profile = "tfm-1.3"``, ``lift = ["client-ids"]``,
``secure_client_id_base = -0x10000000``) and from the run (``--profile``, ``--lift``). Later
releases and limitations are new entries of :data:`PROFILES` and :data:`LIMITATIONS`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from psaemu.platform.errors import ConfigError
from psaemu.platform.units import parse_number
from psaemu.proxy.abi import RELEASE_ABIS, ReleaseAbi
from psaemu.proxy.mailbox_abi import NON_SECURE_CLIENT_ID

#: Release profiles psaemu implements: name -> what it is.
PROFILES: dict[str, str] = {
    "tfm-1.3": "TF-M v1.3.0 as shipped (v1.3 client ABI, connection-based services, client_id -1)",
    "tfm-1.4": "TF-M v1.4.0 Host client (packed psa_call parameters, stateless crypto handle 0x40000100, "
               "crypto sfn ids with SIGN/VERIFY_MESSAGE, 20-byte key attributes)",
    "tfm-1.5": "TF-M v1.5.0 Host client (as tfm-1.4, plus stateless PS/ITS/attestation handles "
               "0x40000101..0x40000103, domain-parameter sfn ids removed)",
    "tfm-1.6": "TF-M v1.6.0 Host client (the tfm-1.5 client ABI; the last release with the PSA Proxy)",
}
DEFAULT_PROFILE = "tfm-1.3"
#: Limitations of the PSA Proxy integration guide psaemu can lift: key -> what lifting does.
LIMITATIONS: dict[str, str] = {
    "client-ids": "the real caller's client id goes in the mailbox message; the SE owns ITS/PS assets, crypto "
                  "keys and connections per client",
    "non-blocking": "a Host caller waiting for the SE's reply keeps its core taking interrupts (SysTick, other "
                    "IRQs); the reply is taken on the SE->Host MHU interrupt",
    "platform-split": "the Host serves platform IOCTL (Musca-B1 pin and GPIO services) itself; system reset and "
                      "NV counters still go to the SE",
    "zero-copy": "IOVECs in Host Non-secure RAM the SE sees through a board window go to the SE by translated "
                 "pointer after the Host SPM verified them (no copy into the shared buffer); others are copied",
}
CLIENT_IDS = "client-ids"
NON_BLOCKING = "non-blocking"
PLATFORM_SPLIT = "platform-split"
ZERO_COPY = "zero-copy"
#: Host secure partition id p is sent as ``secure_client_id_base - p``; NS ids above the base pass as they are.
DEFAULT_SECURE_CLIENT_ID_BASE = -0x10000000
#: The ``[proxy]`` keys this module reads (the rest of the table is the proxy macros).
BOARD_KEYS = ("profile", "lift", "secure_client_id_base")
_INT32_MIN = -0x80000000


@dataclass(frozen=True)
class ProxyProfile:
    """The release the proxy behaves as, the limitations lifted, and the client id mapping."""

    release: str = DEFAULT_PROFILE
    lifted: frozenset[str] = frozenset()
    secure_client_id_base: int = DEFAULT_SECURE_CLIENT_ID_BASE
    source: str = "default"

    @property
    def forward_client_ids(self) -> bool:
        """The real caller id goes to the SE (``client-ids`` lifted)."""
        return CLIENT_IDS in self.lifted

    @property
    def non_blocking(self) -> bool:
        """A Host caller waiting for the SE keeps taking interrupts (``non-blocking`` lifted, proxy/waits.py)."""
        return NON_BLOCKING in self.lifted

    @property
    def host_platform_ioctl(self) -> bool:
        """The Host serves platform IOCTL (SID 0x41) itself (``platform-split`` lifted)."""
        return PLATFORM_SPLIT in self.lifted

    @property
    def zero_copy(self) -> bool:
        """Caller IOVECs the SE can see go by pointer (``zero-copy`` lifted, proxy/zerocopy.py)."""
        return ZERO_COPY in self.lifted

    @property
    def abi(self) -> ReleaseAbi:
        """The Host client ABI of the release (psa_call parameters, stateless handles, crypto ids)."""
        return RELEASE_ABIS[self.release]

    @property
    def name(self) -> str:
        """``tfm-1.3`` or ``tfm-1.3+client-ids``: the profile with its lifted limitations."""
        return "+".join([self.release, *sorted(self.lifted)])

    def mailbox_client_id(self, client_id: int, secure: bool) -> int | None:
        """The ``client_id`` of the mailbox message for a Host caller; None when the mapping has no
        room for it (an NS id at or below the secure base, a partition id past INT32_MIN)."""
        if not self.forward_client_ids:
            return NON_SECURE_CLIENT_ID
        base = self.secure_client_id_base
        if secure:
            mapped = base - client_id
            return mapped if client_id >= 0 and mapped >= _INT32_MIN else None
        return client_id if base < client_id < 0 else None

    def describe_mapping(self) -> str:
        """The mapping in words, for error messages and docs."""
        return (f"non-secure ids {self.secure_client_id_base + 1}..-1 as they are, Host secure partition id p "
                f"as {self.secure_client_id_base} - p")


def _names(given: Sequence[str], known: Mapping[str, str], what: str, where: str) -> list[str]:
    """Split comma lists, check each name against ``known``; a ConfigError lists the known ones."""
    out: list[str] = []
    for text in given:
        if not isinstance(text, str):
            raise ConfigError(f"{where}: {what} {text!r} is not a string (known: {', '.join(known)})")
        for name in (n.strip() for n in text.split(",")):
            if name not in known:
                raise ConfigError(f"{where}: unknown {what} {name!r} (known: "
                                  + "; ".join(f"{k}: {v}" for k, v in known.items()) + ")")
            out.append(name)
    return out


def resolve_profile(board_proxy: Mapping[str, Any], source: str, profile: str | None = None,
                    lift: Sequence[str] = ()) -> ProxyProfile:
    """The profile of a run: the board's ``[proxy]`` keys, then ``--profile`` (replaces the board's)
    and ``--lift`` (adds to the board's ``lift``)."""
    release = profile if profile is not None else board_proxy.get("profile", DEFAULT_PROFILE)
    where = "--profile" if profile is not None else f"{source}.profile"
    _names([release], PROFILES, "profile", where)
    board_lift = board_proxy.get("lift", [])
    if isinstance(board_lift, str) or not isinstance(board_lift, (list, tuple)):
        raise ConfigError(f"{source}.lift: {board_lift!r} is not a list of names; write lift = [\"client-ids\"]")
    lifted = _names(list(board_lift), LIMITATIONS, "limitation", f"{source}.lift") + _names(
        list(lift), LIMITATIONS, "limitation", "--lift")
    base = board_proxy.get("secure_client_id_base", DEFAULT_SECURE_CLIENT_ID_BASE)
    try:
        base = parse_number(base) if isinstance(base, str) else base
    except ValueError as exc:
        raise ConfigError(f"{source}.secure_client_id_base: {exc}") from None
    if not isinstance(base, int) or not _INT32_MIN < base < -1:
        raise ConfigError(f"{source}.secure_client_id_base: {base!r} must be a negative number between "
                          f"{_INT32_MIN + 1} and -2 (Host secure partition id p is sent as base - p; "
                          f"non-secure ids above the base pass as they are)")
    given = [s for s, v in ((f"{source}", board_proxy.keys() & set(BOARD_KEYS)), ("--profile", profile),
                            ("--lift", lift)) if v]
    return ProxyProfile(release, frozenset(lifted), base, " and ".join(given) or "default")
