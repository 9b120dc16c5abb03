"""What a Non-secure application needs to link against psaemu's Host secure side.

TF-M's secure build hands NS developers an import library (``s_veneers.o``: the veneer
addresses) and the client headers; psaemu ships the same things as package data of
``psaemu.images``: ``prebuilt/s_veneers.o`` (the five veneers at the addresses of the board's
veneer region, see ``psaemu.proxy.veneers``), a PSA client API over the veneers
(``veneers/psa_ns_api.c``), the headers, and the linker script of the bundled example
(``ns_app/ns_app.ld``, TF-M's NS code and data addresses). ``images/host/README.md`` ("Linking
an NS application") gives the arm-none-eabi-gcc command.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from psaemu.platform.errors import ImageError
from psaemu.platform.firmware.images import prebuilt_dir

#: Compiler flags of the bundled NS application (a Cortex-M33 with the FPU, as TF-M builds it).
NS_ARCH_FLAGS = ("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16")


@dataclass(frozen=True)
class NsSdk:
    """Paths of the NS application SDK."""

    veneer_library: Path          # the import library: link it into the NS image
    ns_api_source: Path           # psa_framework_version/version/connect/call/close over the veneers
    include_dirs: tuple[Path, ...]
    linker_script: Path           # NS code at 0x0A290400 (vector table), NS data at 0x20040000
    linker_dirs: tuple[Path, ...]  # where the linker script's INCLUDE is found (-L)

    def gcc_args(self) -> list[str]:
        """The compile-and-link arguments (after the app's sources) of the documented command."""
        return [*NS_ARCH_FLAGS, *(f"-I{d}" for d in self.include_dirs), str(self.ns_api_source),
                str(self.veneer_library), "-nostdlib", *(f"-L{d}" for d in self.linker_dirs),
                "-T", str(self.linker_script)]


def _root() -> Path:
    return prebuilt_dir().parent


def _existing(path: Path) -> Path:
    if not path.exists():
        raise ImageError(f"{path}: part of the psaemu NS application SDK is missing; reinstall psa-proxy-emu "
                         f"(or run 'make -C images' in a source checkout)")
    return path


def veneer_library() -> Path:
    """The veneer import library (``s_veneers.o``)."""
    return _existing(prebuilt_dir() / "s_veneers.o")


def ns_sdk() -> NsSdk:
    """Every path of the SDK, each checked to exist."""
    root = _root()
    return NsSdk(
        veneer_library=veneer_library(),
        ns_api_source=_existing(root / "veneers" / "psa_ns_api.c"),
        include_dirs=tuple(_existing(root / d) for d in ("veneers/include", "host/include", "common")),
        linker_script=_existing(root / "ns_app" / "ns_app.ld"),
        linker_dirs=(_existing(root / "common"),),
    )
