"""The bundled firmware images (package data of ``psaemu.images``) and how image names resolve.

Anywhere psaemu takes an image file it also takes the name of a bundled image
(``regression_host``, ``se_firmware.elf``): :func:`find_image` turns either into a path.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from psaemu.platform.errors import ImageError

#: The images ``psaemu run`` loads on a core when none is named for it: the PSA client
#: regression suite on the Host and the Secure Enclave firmware.
DEFAULT_IMAGES = {"host": "regression_host", "se": "se_firmware"}
#: The word that says "no image on this core" where an image may be given (``--se none``).
NO_IMAGE = "none"


@lru_cache(maxsize=1)          # where the package is installed does not change in a process
def prebuilt_dir() -> Path:
    """The installed ``prebuilt`` folder (``images/prebuilt`` in a source checkout)."""
    spec = importlib.util.find_spec("psaemu.images")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "prebuilt"
        if candidate.is_dir():
            return candidate
    raise ImageError("the psaemu.images package data is missing; reinstall psa-proxy-emu")


def bundled_names() -> list[str]:
    """Names of the bundled firmware images, sorted."""
    return sorted(p.stem for p in prebuilt_dir().glob("*.elf"))


def image_path(name: str) -> Path:
    """Path of a prebuilt image by name (``pingpong_host``); ImageError listing the others if absent."""
    path = prebuilt_dir() / f"{name}.elf"
    if not path.is_file():
        raise ImageError(f"no prebuilt image {name!r} in {prebuilt_dir()} (have: {', '.join(bundled_names()) or 'none'}); "
                         f"rebuild with 'make -C images'")
    return path


def find_image(text: str | Path, root: Path | None = None) -> Path:
    """An image file: ``text`` as a path (relative to ``root`` too, when given), else the bundled
    image of that name (with or without ``.elf``). ImageError naming both when neither exists."""
    p = Path(text)
    candidates = [p] if p.is_absolute() or root is None else [p, root / p]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    name = p.name[:-4] if p.name.endswith(".elf") else p.name
    if p.parent == Path(".") and (prebuilt_dir() / f"{name}.elf").is_file():
        return prebuilt_dir() / f"{name}.elf"
    if p.is_dir():
        raise ImageError(f"{p}: is a directory, not an image file")
    raise ImageError(f"{p}: image file not found, and no bundled image has that name (bundled: "
                     f"{', '.join(bundled_names())}; list them with 'psaemu images')")


@dataclass(frozen=True)
class BundledImage:
    """One bundled image as ``psaemu images`` lists it."""

    name: str
    arch: str          # the architecture its build attributes name, e.g. "Armv8-M.mainline"
    path: Path
    size: int


def bundled_images() -> list[BundledImage]:
    """Every bundled image with the architecture it was built for (its ELF build attributes)."""
    from psaemu.platform.firmware.loader import CPU_ARCH_NAMES, read_image

    out = []
    for name in bundled_names():
        path = prebuilt_dir() / f"{name}.elf"
        tag = read_image(path, "v8m", "host").cpu_arch
        out.append(BundledImage(name, CPU_ARCH_NAMES.get(tag, "?") if tag is not None else "?", path,
                                path.stat().st_size))
    return out
