"""The PSA Proxy configuration macros and where they put the shared-memory structure.

``SHARED_BUFFER_SIZE``, ``PSA_PROXY_SHARED_MEMORY_BASE``, ``PSA_PROXY_SHARED_MEMORY_SIZE`` and
``PSA_PROXY_ADDR_TRANSLATION`` keep their TF-M meaning. They come from the board's ``[proxy]``
table and may be overridden per run. ``resolve_placement`` turns them, the Host image and the
board's windows into one :class:`Placement`, or a :class:`ConfigError` that says what to change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware.loader import Image
from psaemu.platform.system.memory import Memory
from psaemu.platform.units import parse_number
from psaemu.proxy.structs import header_size as shared_header_size

MACROS = ("SHARED_BUFFER_SIZE", "PSA_PROXY_SHARED_MEMORY_BASE", "PSA_PROXY_SHARED_MEMORY_SIZE",
          "PSA_PROXY_ADDR_TRANSLATION", "PSAEMU_CHECK_WRITEBACK")
#: psaemu's own switches among the macros (TF-M has no such macro); 0 or 1.
FLAGS = ("PSA_PROXY_ADDR_TRANSLATION", "PSAEMU_CHECK_WRITEBACK")
#: Output section of TF-M's GCC linker script when PSA_PROXY_SHARED_MEMORY_BASE is defined.
SECTION = ".PSA_PROXY_SHARED_MEMORY"
#: Symbol a Host image may use to reserve the structure itself (BSS placement).
SYMBOL = "psa_proxy_shared_memory"
#: End-of-BSS symbols tried when the structure must be carved after the image's BSS.
BSS_END_SYMBOLS = ("__bss_end__", "_ebss", "__bss_end", "__end__", "_end", "end")


def parse_defines(pairs: list[str] | tuple[str, ...]) -> dict[str, int | None]:
    """``NAME=VALUE`` strings (``--define``) to a dict; ``NAME=`` or ``-NAME`` undefines a macro."""
    out: dict[str, int | None] = {}
    for text in pairs:
        undefine = text.startswith("-")
        name, sep, value = text.lstrip("-").partition("=")
        if name not in MACROS:
            raise ConfigError(f"--define {text!r}: unknown macro {name!r} (known: {', '.join(MACROS)})")
        if undefine and sep:
            raise ConfigError(f"--define {text!r}: -NAME undefines a macro and takes no value; write -{name} "
                              f"(or {name}=) to undefine it, {name}=VALUE to set it")
        if undefine or (sep and value == ""):
            out[name] = None
            continue
        if not sep:
            raise ConfigError(f"--define {text!r}: no value; write {name}=VALUE to set it, or {name}= (or "
                              f"-{name}) to undefine it")
        try:
            number = parse_number(value)
        except ValueError as exc:
            raise ConfigError(f"--define {text!r}: {exc}") from None
        top = 1 if name == "PSAEMU_CHECK_WRITEBACK" else 0xFFFFFFFF
        if not 0 <= number <= top:
            raise ConfigError(f"--define {text!r}: {number} is out of range; give 0..{top:#x}"
                              if top > 1 else f"--define {text!r}: give 0 or 1")
        out[name] = number
    return out


@dataclass(frozen=True)
class ProxyConfig:
    """The macros as the proxy sees them (None = not defined)."""

    shared_buffer_size: int | None
    base: int | None
    size: int | None
    translation: bool
    source: str
    #: PSAEMU_CHECK_WRITEBACK: refuse replies whose out_vec bases the SE moved (TF-M v1.3 copies from them).
    check_writeback: bool = False

    @classmethod
    def from_board(cls, board_proxy: Mapping[str, int], source: str,
                   overrides: Mapping[str, int | None] | None = None) -> "ProxyConfig":
        macros: dict[str, int | None] = dict(board_proxy)
        macros.update(overrides or {})
        if overrides:
            given = ", ".join(f"{k}=" if v is None else f"{k}={v:#x}" for k, v in overrides.items())
            source = f"{source} with the defines {given}"
        return cls(macros.get("SHARED_BUFFER_SIZE"), macros.get("PSA_PROXY_SHARED_MEMORY_BASE"),
                   macros.get("PSA_PROXY_SHARED_MEMORY_SIZE"), bool(macros.get("PSA_PROXY_ADDR_TRANSLATION") or 0),
                   source, bool(macros.get("PSAEMU_CHECK_WRITEBACK") or 0))

    def buffer_size(self, n_slots: int = 1) -> int:
        """SHARED_BUFFER_SIZE as shared_mem_mngr.c computes it (SIZE minus the header when SIZE is set)."""
        header = shared_header_size(n_slots)
        if self.size is not None:
            if self.size <= header:
                raise ConfigError(f"{self.source}: PSA_PROXY_SHARED_MEMORY_SIZE: {self.size:#x} is not larger than "
                                  f"the {header}-byte header (queue + in_vec[4] + out_vec[4])")
            derived = self.size - header
            if self.shared_buffer_size is not None and self.shared_buffer_size != derived:
                raise ConfigError(f"{self.source}: SHARED_BUFFER_SIZE: {self.shared_buffer_size:#x} contradicts "
                                  f"PSA_PROXY_SHARED_MEMORY_SIZE {self.size:#x} (which gives {derived:#x}); "
                                  f"define only one of them: undefine the other with --define NAME= (or -D -NAME)")
            return derived
        if self.shared_buffer_size is None:
            raise ConfigError(f"{self.source}: neither PSA_PROXY_SHARED_MEMORY_SIZE nor SHARED_BUFFER_SIZE is "
                              f"defined; the proxy needs one of them (TF-M stops the build with #error here). "
                              f"Set PSA_PROXY_SHARED_MEMORY_BASE/SIZE, e.g. --define "
                              f"PSA_PROXY_SHARED_MEMORY_SIZE=0x78000")
        return self.shared_buffer_size


@dataclass(frozen=True)
class Placement:
    """Where the shared structure is, in both views, and how big everything is."""

    host_base: int           # Host address of shared_mem_t (the queue comes first)
    se_base: int             # the SE's address of the same byte
    region_size: int         # bytes zero-filled at boot (SIZE, or header + buffer in BSS mode)
    buffer_size: int         # SHARED_BUFFER_SIZE
    header_size: int
    mode: str                # "base" (BASE/SIZE macros) or "bss" (the Host image's BSS)
    translation: bool
    offset: int              # SE address - Host address, applied as plain arithmetic when translating

    def to_se(self, addr: int) -> int:
        """translate_addr_from_host_to_se: byte arithmetic, no range check (NULL moves too)."""
        return (addr + self.offset) & 0xFFFFFFFF if self.translation else addr

    def to_host(self, addr: int) -> int:
        return (addr - self.offset) & 0xFFFFFFFF if self.translation else addr


def _section_problems(image: Image, cfg: ProxyConfig) -> list[str]:
    sec = image.sections.get(SECTION)
    if sec is None or cfg.base is None:
        return []
    problems = []
    if sec.addr != cfg.base:
        problems.append(f"address {sec.addr:#010x} != PSA_PROXY_SHARED_MEMORY_BASE {cfg.base:#010x}")
    if cfg.size is not None and sec.size != cfg.size:
        problems.append(f"size {sec.size:#x} != PSA_PROXY_SHARED_MEMORY_SIZE {cfg.size:#x}")
    if sec.loaded:
        problems.append("it has contents in the ELF; it must be NOLOAD (the region is zero-filled at boot)")
    return problems


def _bss_reservation(image: Image, needed: int) -> tuple[int, str]:
    """The Host address the structure gets without BASE: the image's reservation, else after its BSS."""
    if SYMBOL in image.symbols:
        addr = image.symbols[SYMBOL] & ~1
        size = image.symbol_sizes.get(SYMBOL, 0)
        if size and size < needed:
            raise ConfigError(f"{image.path}: symbol {SYMBOL} reserves {size:#x} bytes but the proxy needs "
                              f"{needed:#x} (header + SHARED_BUFFER_SIZE)")
        return addr, f"symbol {SYMBOL}"
    if SECTION in image.sections:
        return image.sections[SECTION].addr, f"section {SECTION}"
    for name in BSS_END_SYMBOLS:
        if name in image.symbols:
            return (image.symbols[name] + 7) & ~7, f"after the image's BSS ({name})"
    bss = image.sections.get(".bss")
    if bss is not None:
        return (bss.addr + bss.size + 7) & ~7, "after the image's .bss section"
    raise ConfigError(f"{image.path}: PSA_PROXY_SHARED_MEMORY_BASE is not defined, so the proxy's shared memory "
                      f"lives in the Host image's BSS, but the image has no {SYMBOL} symbol, no {SECTION} section "
                      f"and no BSS end symbol; set PSA_PROXY_SHARED_MEMORY_BASE/SIZE")


def resolve_placement(cfg: ProxyConfig, memory: Memory, host_image: Image | None,
                      host: str = "host", se: str = "se", n_slots: int = 1) -> Placement:
    """Apply the macros: check the Host image's section against them and the SE's view of the region."""
    buffer_size = cfg.buffer_size(n_slots)
    header = shared_header_size(n_slots)
    needed = header + buffer_size
    if cfg.base is not None:
        if cfg.base % 4:
            raise ConfigError(f"{cfg.source}: PSA_PROXY_SHARED_MEMORY_BASE {cfg.base:#010x} is not 4-byte aligned; "
                              f"the mailbox queue and IOVEC tables are 32-bit words (TF-M's linker region is "
                              f"aligned), so give an aligned address")
        if cfg.size is None:
            raise ConfigError(f"{cfg.source}: PSA_PROXY_SHARED_MEMORY_BASE is defined without "
                              f"PSA_PROXY_SHARED_MEMORY_SIZE; the linker region needs both")
        if host_image is not None:
            problems = _section_problems(host_image, cfg)
            if problems:
                raise ConfigError(f"{host_image.path}: section {SECTION} does not match the proxy macros: "
                                  + "; ".join(problems) + f" (macros from {cfg.source})")
        host_base, region, mode, origin = cfg.base, cfg.size, "base", "PSA_PROXY_SHARED_MEMORY_BASE"
    else:
        if host_image is None:
            raise ConfigError(f"{cfg.source}: PSA_PROXY_SHARED_MEMORY_BASE is not defined, so the shared memory "
                              f"must come from the Host image's BSS, but no Host image is loaded")
        host_base, origin = _bss_reservation(host_image, needed)
        region, mode = needed, "bss"
    hmap = memory.maps[host].find(host_base, region)
    if hmap is None or hmap.store is None or hmap.kind not in ("ram", "window"):
        raise ConfigError(f"the proxy's shared memory at Host {host_base:#010x}..{host_base + region - 1:#010x} "
                          f"({origin}) is not inside one Host RAM region; set PSA_PROXY_SHARED_MEMORY_BASE/SIZE "
                          f"to memory both cores can see")
    se_first = memory.translate(host_base, host, se)
    se_last = memory.translate(host_base + region - 1, host, se)
    if se_first is None or se_last is None or se_last - se_first != region - 1:
        raise ConfigError(f"the SE cannot see the proxy's shared memory at Host {host_base:#010x}..."
                          f"{host_base + region - 1:#010x} ({origin}); set PSA_PROXY_SHARED_MEMORY_BASE/SIZE "
                          f"to a region inside a shared window (board windows: "
                          + ", ".join(f"{w.name} host {w.bases.get(host, 0):#x}+{w.size:#x}" for w in memory.board.windows)
                          + ")")
    if not cfg.translation and se_first != host_base:
        raise ConfigError(f"PSA_PROXY_ADDR_TRANSLATION is 0 but the SE sees Host {host_base:#010x} at "
                          f"{se_first:#010x}; define PSA_PROXY_ADDR_TRANSLATION=1 or use a board whose windows "
                          f"have the same address on both cores")
    return Placement(host_base, se_first, region, buffer_size, header, mode, cfg.translation,
                     (se_first - host_base) & 0xFFFFFFFF)
