"""ELF images through LIEF (imported only when the parse cache misses): loadable segments at their load addresses, symbols, sections.

``read_image`` checks that the file is a 32-bit little-endian Arm ELF built for the core's
architecture and is complete; the machine then checks every segment against the core's map.
"""
from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psaemu.platform.errors import ImageError
from psaemu.platform.firmware.parsecache import cached

#: Tag_CPU_arch values of the Arm build attributes (ELF for the Arm Architecture, "aeabi").
CPU_ARCH_NAMES = {1: "Armv4T", 2: "Armv5T", 6: "Armv6", 10: "Armv7", 11: "Armv6-M", 12: "Armv6S-M",
                  13: "Armv7E-M", 14: "Armv8-A", 16: "Armv8-M.baseline", 17: "Armv8-M.mainline",
                  21: "Armv8.1-M.mainline"}
#: Which builds each core architecture can run.
ACCEPTED_ARCH = {"v6m": {11, 12}, "v8m": {10, 11, 12, 13, 16, 17}}
VECTOR_SYMBOLS = ("__Vectors", "__isr_vector", "g_pfnVectors", "__vector_table", "_vectors", "vector_table")
VECTOR_SECTIONS = (".vectors", ".isr_vector", ".vector_table")


@dataclass(frozen=True)
class Segment:
    paddr: int
    vaddr: int
    data: bytes
    memsz: int


@dataclass(frozen=True)
class Section:
    name: str
    addr: int
    size: int
    loaded: bool      # False for NOLOAD/NOBITS sections
    flags: int


@dataclass
class Image:
    """A parsed firmware image: what to load and how to name addresses."""

    path: str
    entry: int
    segments: list[Segment]
    sections: dict[str, Section]
    symbols: dict[str, int]
    symbol_sizes: dict[str, int]
    cpu_arch: int | None
    vector_table: int | None = None
    #: How to load it again (an absolute image spec, ``FILE@ADDRESS`` for raw binaries) and the
    #: symbols ELF it took its names from; snapshots keep both.
    source: str | None = None
    symbols_source: str | None = None
    _sorted: list[tuple[int, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._sorted = sorted((a & ~1, n) for n, a in self.symbols.items())
        self._keys = [a for a, _ in self._sorted]

    def symbolize(self, addr: int) -> str | None:
        """``name+0x12`` for the symbol at or below ``addr`` (within its size when known).

        Only addresses inside one of the image's sections are named.
        """
        if not any(s.addr <= addr < s.addr + s.size for s in self.sections.values()):
            return None
        i = bisect.bisect_right(self._keys, addr) - 1
        if i < 0:
            return None
        base, name = self._sorted[i]
        size = self.symbol_sizes.get(name, 0)
        if size and addr >= base + size:
            return None
        return name if addr == base else f"{name}+{addr - base:#x}"

    def address_of(self, name: str) -> int:
        """Address of a symbol (Thumb bit cleared); ImageError naming near misses if absent."""
        if name in self.symbols:
            return self.symbols[name] & ~1
        close = [s for s in self.symbols if name.lower() in s.lower()][:5]
        hint = f" (similar: {', '.join(close)})" if close else ""
        raise ImageError(f"{self.path}: no symbol {name!r}{hint}")


def _uleb(data: bytes, i: int, end: int) -> tuple[int, int] | None:
    """A ULEB128 at ``data[i]``, ending before ``end``: (value, next index), or None if it runs over."""
    value = shift = 0
    while i < end and shift < 64:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i
    return None


def _past_nul(data: bytes, i: int, end: int) -> int | None:
    """The index after the NUL that ends the string at ``data[i]`` before ``end``, or None."""
    j = data.find(b"\0", i, end)
    return None if j < 0 else j + 1


def _file_tag_arch(attributes: bytes, k: int, end: int) -> int | None:
    """Tag_CPU_arch in one File-attributes sub-subsection ``attributes[k:end]``."""
    while k < end:
        got = _uleb(attributes, k, end)
        if got is None:
            return None
        t, k = got
        if t in (4, 5, 67) or (t > 32 and t % 2 == 1):       # NUL-terminated string values
            nxt = _past_nul(attributes, k, end)
        elif t == 32:                                      # Tag_compatibility: ULEB then a string
            got = _uleb(attributes, k, end)
            nxt = None if got is None else _past_nul(attributes, got[1], end)
        else:
            got = _uleb(attributes, k, end)
            if got is not None and t == 6:
                return got[0]
            nxt = None if got is None else got[1]
        if nxt is None:
            return None
        k = nxt
    return None


def cpu_arch_of(attributes: bytes) -> int | None:
    """Tag_CPU_arch from an ``.ARM.attributes`` section, or None when absent or unreadable.

    Every step advances and stays inside the lengths the section declares (and the section), so
    a malformed section ends the walk instead of looping or reading past it.
    """
    if not attributes or attributes[0] != 0x41:
        return None
    size = len(attributes)
    i = 1
    while i + 4 <= size:
        length = int.from_bytes(attributes[i:i + 4], "little")
        if length < 5:
            return None
        end = min(i + length, size)
        j = _past_nul(attributes, i + 4, end)
        if j is None:
            return None
        if attributes[i + 4:j - 1] == b"aeabi":
            while j + 5 <= end:
                tag, sub = attributes[j], int.from_bytes(attributes[j + 1:j + 5], "little")
                if sub < 5:
                    return None
                sub_end = min(j + sub, end)
                if tag == 1:                      # File attributes
                    arch = _file_tag_arch(attributes, j + 5, sub_end)
                    if arch is not None:
                        return arch
                j = sub_end
        i = end
    return None


def _text(name: str | bytes) -> str:
    """A symbol or section name as text: bytes that are not UTF-8 become ``\\xNN`` escapes."""
    if isinstance(name, bytes):
        return name.decode("utf-8", "backslashreplace")
    return name


#: ELF32 program header: p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz (the first 24 bytes).
_PHDR = struct.Struct("<6I")
PT_LOAD = 1


def load_segments(raw: bytes, p: Path) -> list[Segment]:
    """The PT_LOAD segments, read from the ELF32 program headers themselves (not through LIEF,
    whose versions differ on truncated files); ImageError for headers or bytes past the file."""
    phoff = int.from_bytes(raw[28:32], "little")
    phentsize, phnum = struct.unpack_from("<HH", raw, 42)
    if phnum and phentsize < _PHDR.size:
        raise ImageError(f"{p}: corrupt ELF: program header entries of {phentsize} bytes (an ELF32 one has 32)")
    if phoff + phnum * phentsize > len(raw):
        raise ImageError(f"{p}: truncated ELF: {phnum} program headers at {phoff:#x} run past the end of the "
                         f"file ({len(raw):#x} bytes)")
    segments: list[Segment] = []
    for n in range(phnum):
        ptype, offset, vaddr, paddr, filesz, memsz = _PHDR.unpack_from(raw, phoff + n * phentsize)
        if ptype != PT_LOAD or filesz == 0 and memsz == 0:
            continue
        if offset + filesz > len(raw):
            raise ImageError(f"{p}: truncated ELF: segment at {paddr:#010x} needs file bytes "
                             f"{offset:#x}..{offset + filesz:#x} but the file has {len(raw):#x}")
        if paddr + filesz > 1 << 32:
            raise ImageError(f"{p}: corrupt ELF: segment at {paddr:#010x} ({filesz:#x} bytes) runs past the "
                             f"32-bit address space")
        segments.append(Segment(paddr, vaddr, raw[offset:offset + filesz], memsz))
    return segments


def parse_elf(path: str) -> dict[str, Any]:
    """What LIEF tells of the ELF at ``path``, as plain JSON-able data (cached by content hash):
    machine, entry, allocated sections, the .ARM.attributes bytes and the named symbols."""
    # 0.3 s to import: only when the cache misses
    import lief

    lief.logging.disable()
    p = Path(path)
    elf = lief.ELF.parse(path)
    if elf is None:
        raise ImageError(f"{p}: LIEF cannot parse this ELF (corrupt or truncated file)")
    machine = elf.header.machine_type
    sections: list[list[Any]] = []
    attributes = b""
    for s in elf.sections:
        name = _text(s.name)
        if not name:
            continue
        if name == ".ARM.attributes":
            attributes = bytes(s.content)
        if s.flags & lief.ELF.Section.FLAGS.ALLOC.value:
            sections.append([name, s.virtual_address, s.size, s.type != lief.ELF.Section.TYPE.NOBITS, int(s.flags)])
    symbols: dict[str, list[int]] = {}
    for sym in elf.symbols:
        name = _text(sym.name)
        if not name or sym.type not in (lief.ELF.Symbol.TYPE.FUNC, lief.ELF.Symbol.TYPE.OBJECT,
                                        lief.ELF.Symbol.TYPE.NOTYPE):
            continue
        if sym.shndx == 0 or name.startswith("$"):
            continue
        if name not in symbols or sym.binding == lief.ELF.Symbol.BINDING.GLOBAL:
            symbols[name] = [sym.value, sym.size]
    return {"arm": machine == lief.ELF.ARCH.ARM, "machine": str(machine).split(".")[-1], "entry": elf.header.entrypoint,
            "sections": sections, "attributes": attributes.hex(),
            "symbols": [[name, v, size] for name, (v, size) in symbols.items()]}


def read_image(path: str | Path, arch: str, core: str) -> Image:
    """Parse ``path`` for a core of architecture ``arch`` ("v8m" or "v6m")."""
    p = Path(path)
    if not p.is_file():
        raise ImageError(f"{p}: image file not found (give the path of an ELF built for the {core} core)")
    raw = p.read_bytes()
    if raw[:4] != b"\x7fELF":
        raise ImageError(f"{p}: not an ELF file (starts with {raw[:4]!r}); give the .elf the linker produced, "
                         f"not a .bin or .hex")
    if len(raw) < 52:
        raise ImageError(f"{p}: truncated ELF ({len(raw)} bytes, shorter than an ELF header)")
    if raw[4] != 1 or raw[5] != 1:
        raise ImageError(f"{p}: is a {'64' if raw[4] == 2 else '?'}-bit/"
                         f"{'big' if raw[5] == 2 else 'little'}-endian ELF; the {core} core needs a 32-bit "
                         f"little-endian Arm ELF")
    segments = load_segments(raw, p)
    parsed = cached("elf", raw, None, parse_elf, str(p))
    if not parsed["arm"]:
        raise ImageError(f"{p}: built for {parsed['machine']}, not Arm; the {core} core needs an image "
                         f"built with arm-none-eabi-gcc")
    if not segments:
        raise ImageError(f"{p}: has no loadable segments (PT_LOAD); is it an object file rather than a linked image?")
    sections = {name: Section(name, addr, size, loaded, flags) for name, addr, size, loaded, flags in parsed["sections"]}
    symbols = {name: value for name, value, _ in parsed["symbols"]}
    sizes = {name: size for name, _, size in parsed["symbols"]}
    attributes = bytes.fromhex(parsed["attributes"])
    arch_tag = cpu_arch_of(attributes)
    if arch_tag is not None and arch_tag not in ACCEPTED_ARCH[arch]:
        need = "Armv6-M (-mcpu=cortex-m0plus)" if arch == "v6m" else "Armv8-M.mainline (-mcpu=cortex-m33)"
        raise ImageError(f"{p}: built for {CPU_ARCH_NAMES.get(arch_tag, f'Tag_CPU_arch {arch_tag}')}, but the "
                         f"{core} core is {need}; rebuild it for that core")
    image = Image(str(p), parsed["entry"], segments, sections, symbols, sizes, arch_tag)
    image.vector_table = _vector_table(image)
    return image


def _vector_table(image: Image) -> int:
    for name in VECTOR_SYMBOLS:
        if name in image.symbols:
            return image.symbols[name]
    for name in VECTOR_SECTIONS:
        if name in image.sections:
            return image.sections[name].addr
    loaded = [s.paddr for s in image.segments if s.data]
    if not loaded:
        raise ImageError(f"{image.path}: has no loadable bytes (every PT_LOAD segment is zero-initialised "
                         f"memory) and no vector table symbol or section ({', '.join(VECTOR_SECTIONS)}); link "
                         f"the vector table and code into a loadable (PROGBITS) section")
    return min(loaded)
