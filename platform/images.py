"""Where the prebuilt firmware images live (package data of ``psaemu.images``)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from psaemu.platform.errors import ImageError

#: The images ``psaemu run`` loads when no image is named: the PSA client regression suite on
#: the Host and the Secure Enclave firmware.
DEFAULT_IMAGES = {"host": "regression_host", "se": "se_firmware"}


def prebuilt_dir() -> Path:
    """The installed ``prebuilt`` folder (``images/prebuilt`` in a source checkout)."""
    spec = importlib.util.find_spec("psaemu.images")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "prebuilt"
        if candidate.is_dir():
            return candidate
    raise ImageError("the psaemu.images package data is missing; reinstall psa-proxy-emu")


def image_path(name: str) -> Path:
    """Path of a prebuilt image by name (``pingpong_host``); ImageError listing the others if absent."""
    path = prebuilt_dir() / f"{name}.elf"
    if not path.is_file():
        have = sorted(p.stem for p in prebuilt_dir().glob("*.elf"))
        raise ImageError(f"no prebuilt image {name!r} in {prebuilt_dir()} (have: {', '.join(have) or 'none'}); "
                         f"rebuild with 'make -C images'")
    return path
