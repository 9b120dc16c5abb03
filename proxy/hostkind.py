"""What kind of Host image this is, and so who plays the Host's secure side.

A Host image either *is* a Non-secure PSA client (it calls TF-M's secure veneers, or issues the
client SVCs itself), and then psaemu plays the Host's secure side in Python (SPM, PSA Proxy and
the BL0 that releases the SE), or it *brings* its own secure side (a TF-M S image built with
``FORWARD_PROT_MSG``: its own BL0, SPM, proxy and mailbox code), and then psaemu must stay out of
the way. The decision is taken from the image's content and said in one line.
"""
from __future__ import annotations

from dataclasses import dataclass

from psaemu.platform.firmware.loader import Image
from psaemu.proxy.config import SECTION, SYMBOL
from psaemu.proxy.mailbox_abi import SvcV13
from psaemu.proxy.veneers import VENEERS

#: Functions that only an image carrying TF-M's own Host-side proxy and mailbox has
#: (TF-M v1.3 secure_fw/partitions/psa_proxy/psa_proxy.c, interface/src/multi_core/tfm_ns_mailbox.c).
OWN_PROXY_MARKERS = ("psa_proxy_sp_init", "tfm_ns_mailbox_init", "tfm_ns_mailbox_client_call")
#: TF-M v1.3's NS client veneers, which an NS application links against.
VENEER_SYMBOLS = tuple(name for name, _number in VENEERS)
#: Thumb ``SVC #n`` of the five PSA client calls, as little-endian halfwords.
CLIENT_SVCS = {bytes((int(n), 0xDF)): int(n) for n in (
    SvcV13.TFM_SVC_PSA_FRAMEWORK_VERSION, SvcV13.TFM_SVC_PSA_VERSION, SvcV13.TFM_SVC_PSA_CONNECT,
    SvcV13.TFM_SVC_PSA_CALL, SvcV13.TFM_SVC_PSA_CLOSE)}
SHF_EXECINSTR = 0x4


@dataclass(frozen=True)
class HostKind:
    """The decision for one Host image: ``python_secure`` = psaemu plays the Host's secure side."""

    kind: str            # veneers | svc | reservation | own-proxy | bare | none
    python_secure: bool
    detected: str        # what in the image decided it

    def describe(self, forced: str | None = None) -> str:
        """The one line ``psaemu run`` prints: what was detected, what psaemu does, how to override."""
        what = {
            "veneers": "TF-M NS application (veneers)",
            "svc": "PSA client issuing the client SVCs itself",
            "reservation": "image with the proxy's shared-memory reservation",
            "own-proxy": "image with its own secure side and PSA proxy",
            "bare": "bare-metal image",
            "none": "no image",
        }[self.kind]
        if forced is None:
            does = ("Python Host secure side (SPM + PSA proxy, BL0 releases the SE); override with --proxy off"
                    if self.python_secure else "proxy model off: the image drives the SE and the mailbox itself; override with "
                                               "--proxy on")
        else:
            does = (f"Python Host secure side (SPM + PSA proxy, BL0 releases the SE), forced by --proxy {forced}"
                    if forced == "on" else f"proxy model off, forced by --proxy {forced}")
        return f"host: {what} ({self.detected}) -> {does}"


def client_svcs(image: Image) -> list[tuple[int, int]]:
    """(address, number) of the PSA client ``SVC`` instructions in the image's code (executable
    sections; every loaded byte when the image has no section table, as HEX and BIN files)."""
    spans = [(s.addr, s.size) for s in image.sections.values() if s.flags & SHF_EXECINSTR and s.loaded]
    found: list[tuple[int, int]] = []
    for seg in image.segments:
        if not seg.data:
            continue
        ranges = [(max(a, seg.vaddr), min(a + n, seg.vaddr + len(seg.data))) for a, n in spans] \
            if image.sections else [(seg.vaddr, seg.vaddr + len(seg.data))]
        for lo, hi in ranges:
            if lo >= hi:
                continue
            code = seg.data[lo - seg.vaddr:hi - seg.vaddr]
            for pattern, number in CLIENT_SVCS.items():
                at = code.find(pattern)
                while at >= 0:
                    if (lo + at) % 2 == 0:
                        found.append((lo + at, number))
                    at = code.find(pattern, at + 1)
    return sorted(found)


def classify_host(image: Image | None) -> HostKind:
    """Who plays the Host's secure side for ``image`` (None: no Host image)."""
    if image is None:
        return HostKind("none", True, "scripted clients only")
    own = [s for s in OWN_PROXY_MARKERS if s in image.symbols]
    if own:
        return HostKind("own-proxy", False, "symbols " + ", ".join(own))
    veneers = [s for s in VENEER_SYMBOLS if s in image.symbols]
    if veneers:
        return HostKind("veneers", True, "calls " + ", ".join(veneers))
    svcs = client_svcs(image)
    if svcs:
        numbers = sorted({n for _, n in svcs})
        where = image.symbolize(svcs[0][0]) or f"{svcs[0][0]:#010x}"
        return HostKind("svc", True, f"svc #{', #'.join(map(str, numbers))}, first at {where}")
    if SECTION in image.sections or SYMBOL in image.symbols:
        return HostKind("reservation", True, f"section {SECTION}" if SECTION in image.sections else f"symbol {SYMBOL}")
    return HostKind("bare", False, "no veneer calls, no client SVCs, no proxy markers")
