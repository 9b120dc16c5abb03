"""Parsing of the numbers users write in board files and on the command line."""
from __future__ import annotations

_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_number(value: object) -> int:
    """Accept an int, a decimal/hex/binary string, or a size with a K/M/G suffix ("512K").

    Raises ValueError with a message saying what was expected.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        scale = 1
        if text[-1:].upper() in _UNITS:
            scale = _UNITS[text[-1].upper()]
            text = text[:-1]
        try:
            return int(text, 0) * scale
        except ValueError:
            pass
    raise ValueError(f"expected a number such as 0x1A200000, 4096 or \"512K\", got {value!r}")


def fmt_size(size: int) -> str:
    """Human size: 512K, 2M, or bytes in hex when not a whole unit."""
    for unit in ("G", "M", "K"):
        scale = _UNITS[unit]
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size:#x}"
