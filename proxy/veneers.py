"""The TF-M v1.3 Non-secure veneers of the Python Host secure side.

TF-M's NS applications never issue PSA SVCs themselves: they call five veneers in the secure
image's Non-secure callable (CMSE veneer) region, each ``SVC n; BXNS LR``, and TF-M's SPM treats
an SVC whose address lies in that region as a Non-secure call (``tfm_core_svcalls_ipc.c``).
psaemu gives the Host the same entry points: the board names the region
(``cores.<host>.veneer_region``), each veneer has a fixed 8-byte slot there (the size of a GNU
``sg; b.w`` stub), and the bundled import library (``images/veneers/s_veneers.S``) names the same
addresses. Unicorn cannot change TrustZone state, so a slot holds ``svc #n; bx lr`` and the rest
of the region ``udf #0``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from psaemu.platform.errors import ConfigError, ImageError
from psaemu.platform.system.machine import Machine
from psaemu.proxy.mailbox_abi import SvcV13

#: The veneers in slot order (``tfm_psa_api_veneers.c`` order) with the SVC each one issues.
VENEERS: tuple[tuple[str, SvcV13], ...] = (
    ("tfm_psa_framework_version_veneer", SvcV13.TFM_SVC_PSA_FRAMEWORK_VERSION),
    ("tfm_psa_version_veneer", SvcV13.TFM_SVC_PSA_VERSION),
    ("tfm_psa_connect_veneer", SvcV13.TFM_SVC_PSA_CONNECT),
    ("tfm_psa_call_veneer", SvcV13.TFM_SVC_PSA_CALL),
    ("tfm_psa_close_veneer", SvcV13.TFM_SVC_PSA_CLOSE),
)
SLOT = 8
THUMB_SVC = 0xDF00          # svc #imm8
THUMB_BX_LR = 0x4770        # bx lr
THUMB_UDF = 0xDE00          # udf #0: a call into an unused slot is a UsageFault


def veneer_code(number: int) -> bytes:
    """One slot: ``svc #number; bx lr`` and ``udf #0`` padding."""
    return struct.pack("<4H", THUMB_SVC | number, THUMB_BX_LR, THUMB_UDF, THUMB_UDF)


@dataclass(frozen=True)
class VeneerRegion:
    """The Host's veneer region and the veneer slots in it."""

    base: int
    size: int

    def holds(self, addr: int) -> bool:
        return self.base <= addr < self.base + self.size

    def addresses(self) -> dict[str, int]:
        """Veneer name -> entry address (Thumb bit clear; the import library's symbols have it set)."""
        return {name: self.base + SLOT * i for i, (name, _n) in enumerate(VENEERS)}

    def code(self) -> bytes:
        """The bytes of the whole region."""
        slots = b"".join(veneer_code(int(n)) for _name, n in VENEERS)
        return slots + struct.pack("<H", THUMB_UDF) * ((self.size - len(slots)) // 2)


def veneer_region(machine: Machine, host: str = "host") -> VeneerRegion | None:
    """The board's veneer region of core ``host`` (None when the board declares none)."""
    spec = machine.board.cores[host].veneer_region
    if spec is None:
        return None
    region = VeneerRegion(*spec)
    if region.size < SLOT * len(VENEERS):
        raise ConfigError(f"{machine.board.path}: cores.{host}.veneer_region: {region.size:#x} bytes cannot hold "
                          f"the {len(VENEERS)} veneers ({SLOT} bytes each); make it at least "
                          f"{SLOT * len(VENEERS):#x}")
    return region


def install_veneers(machine: Machine, host: str = "host") -> VeneerRegion | None:
    """Write the veneers into the Host's veneer region (the Python Host secure side owns it).

    A Host image with bytes there brings its own secure side (a TF-M S image has its veneers
    there): refuse rather than overwrite them."""
    region = veneer_region(machine, host)
    if region is None:
        return None
    core = machine.cores[host]
    image = core.image
    for seg in image.segments if image is not None else ():
        if seg.data and seg.paddr < region.base + region.size and region.base < seg.paddr + len(seg.data):
            raise ImageError(
                f"{image.path}: segment at {seg.paddr:#010x}..{seg.paddr + len(seg.data) - 1:#010x} overlaps the "
                f"veneer region {region.base:#010x}+{region.size:#x} (cores.{host}.veneer_region of "
                f"{machine.board.path}), where psaemu's Host secure side puts its veneers. An image with code "
                f"there brings its own secure side: run it with --proxy off")
    core.write(region.base, region.code())
    return region
