"""Firmware files of every format, and how one file is split between the cores.

An image spec is ``FILE`` or ``FILE@ADDRESS`` (``tfm_s_ns_signed.bin@0x1A260000``); FILE is a
path or a bundled image name. The format comes from the content, not the extension: ELF
(``\\x7fELF``), MCUboot image (header magic 0x96F3B83D), Intel HEX (``:`` records, read with
the ``intelhex`` package), else a raw binary, which needs ``@ADDRESS``.

A HEX or binary file is cut into *parts*: every MCUboot image in it (header + body + TLV
trailer) and the plain byte ranges around them. Addresses in the file are those of the core it
is given to. **Split rule**: a part that lies inside an image slot the board declares for
another core (``[[cores.NAME.slots]]``, in that core's own addresses, reached through the
shared windows) goes to that core; every other part stays on the core the file was given to.
So TF-M's unified ``musca_b1.hex`` given to the Host puts BL0 and the combined S+NS image on
the Host and BL2 and the SE TF-M image on the SE.

Each core boots one of its parts: the one in its primary slot (an MCUboot image first), else
its first MCUboot image, else its lowest part. An MCUboot image boots at its start +
``ih_hdr_size``, as MCUboot hands over; a plain part at its start. psaemu thus stands in for the
boot loaders (BL0, BL2): their parts are loaded but not run. An MCUboot image flagged
RAM_LOAD is placed at its ``ih_load_addr`` (in the view of the core it goes to).

Several files for one core: ``FILE[@ADDRESS],FILE[@ADDRESS],...`` (``bl2.elf,tfm_s_signed.bin@0x38000000``)
loads them together as that core's image, each read as above (an ELF's loadable segments are
its parts and stay on the named core). Two files writing the same address of a core are
refused, naming both files and the range. The symbols and sections of every ELF in the list
are merged; the core boots the first ELF's vector table (the boot loader that takes over the
other files, as TF-M's BL2 does), else its part by the boot rule above.

Symbols: an ELF given with ``symbols=`` (or the ``FILE.elf`` beside a HEX/binary, when its
loadable bytes match) supplies the vector table, sections and symbols; the bytes still come
from the HEX/binary, and the ELF's loadable bytes must equal what was loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from psaemu.platform.errors import ImageError
from psaemu.platform.firmware import mcuboot
from psaemu.platform.firmware.images import find_image
from psaemu.platform.firmware.loader import Image, Segment, read_image
from psaemu.platform.system.board import CoreSpec, Slot
from psaemu.platform.units import parse_number

if TYPE_CHECKING:
    from psaemu.platform.system.machine import Machine

FORMATS = ("elf", "ihex", "mcuboot", "bin")


@dataclass(frozen=True)
class ImageSpec:
    """``FILE[@ADDRESS]`` as given, the file it names and the address (None when not given)."""

    text: str
    path: Path
    address: int | None

    def absolute(self) -> str:
        """The spec with the file's absolute path, to load the same image from anywhere."""
        where = f"@{self.address:#x}" if self.address is not None else ""
        return f"{self.path.resolve()}{where}"


@dataclass(frozen=True)
class Part:
    """A contiguous piece of a file at an address of some core; ``boot`` is its MCUboot header."""

    addr: int
    data: bytes
    boot: mcuboot.McubootImage | None = None

    @property
    def end(self) -> int:
        return self.addr + len(self.data)


@dataclass
class LoadPlan:
    """What one image spec loads: an Image per core (the named core first) and what to report."""

    spec: ImageSpec
    format: str
    images: dict[str, Image]
    notes: dict[str, list[str]] = field(default_factory=dict)
    #: ELF images to check against the loaded bytes: core -> (elf image, explicit?)
    symbols: dict[str, tuple[Image, bool]] = field(default_factory=dict)
    #: The further files of a multi-file spec (``A,B``), after ``spec``.
    more: list[ImageSpec] = field(default_factory=list)

    def source(self) -> str:
        """How to load the same files again from anywhere (absolute paths, comma-separated)."""
        return ",".join(s.absolute() for s in [self.spec, *self.more])


def split_list(text: str | Path) -> list[str]:
    """The file specs of ``FILE[@ADDRESS][,FILE[@ADDRESS]...]``; a path that exists as given is one spec."""
    text = str(text)
    if "," not in text or Path(text).exists():
        return [text]
    specs = text.split(",")
    if any(not s.strip() for s in specs):
        raise ImageError(f"{text}: empty file name in the list; write FILE[@ADDRESS],FILE[@ADDRESS]")
    return [s.strip() for s in specs]


def parse_spec(text: str | Path) -> ImageSpec:
    """Split ``FILE@ADDRESS`` (hex, decimal or K/M suffixed) and find FILE (path or bundled name)."""
    text = str(text)
    head, sep, tail = text.rpartition("@")
    address = None
    if sep and head:
        try:
            address = parse_number(tail)
        except ValueError:
            if not Path(text).exists():
                raise ImageError(f"{text}: {tail!r} after '@' is not an address; write FILE@0x1A260000 "
                                 f"(hex, decimal or with a K/M suffix)") from None
            head = text
        else:
            if not 0 <= address < 1 << 32:
                raise ImageError(f"{text}: address {address:#x} is outside the 32-bit address space")
    else:
        head = text
    return ImageSpec(text, find_image(head), address)


def detect_format(raw: bytes) -> str:
    """The file's format from its content: elf, mcuboot, ihex or bin."""
    if raw[:4] == b"\x7fELF":
        return "elf"
    if mcuboot.has_header(raw):
        return "mcuboot"
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b":":
        return "ihex"
    return "bin"


def read_hex(path: Path) -> list[tuple[int, bytes]]:
    """(address, bytes) of every contiguous range of an Intel HEX file; ImageError naming the line."""
    from intelhex import IntelHex, IntelHexError

    ih = IntelHex()
    try:
        ih.loadhex(str(path))
    except IntelHexError as exc:
        raise ImageError(f"{path}: bad Intel HEX: {exc}; re-export it (arm-none-eabi-objcopy -O ihex)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ImageError(f"{path}: not a text Intel HEX file ({exc}); give the .hex objcopy -O ihex wrote") from None
    ranges = [(start, ih.tobinstr(start, end - 1)) for start, end in ih.segments()]
    if not ranges:
        raise ImageError(f"{path}: Intel HEX file has no data records; is it the right file?")
    if ranges[-1][0] + len(ranges[-1][1]) > 1 << 32:
        raise ImageError(f"{path}: Intel HEX data runs past the 32-bit address space")
    return ranges


def cut(addr: int, data: bytes, where: str) -> list[Part]:
    """One address range as parts: each MCUboot image in it, and the bytes around them."""
    parts: list[Part] = []
    pos = 0
    for img in mcuboot.find_all(data, where):
        if img.offset > pos:
            parts.append(Part(addr + pos, data[pos:img.offset]))
        parts.append(Part(addr + img.offset, data[img.offset:img.offset + img.size], img))
        pos = img.offset + img.size
    if pos < len(data):
        parts.append(Part(addr + pos, data[pos:]))
    return parts


def file_parts(spec: ImageSpec, fmt: str, raw: bytes, primary: Slot | None, core: str) -> list[Part]:
    """The parts of a HEX, MCUboot or raw binary file, at addresses of ``core``."""
    p = spec.path
    if fmt == "ihex":
        if spec.address is not None:
            raise ImageError(f"{spec.text}: an Intel HEX file carries its own addresses; drop '@{spec.address:#x}'")
        return [part for addr, data in read_hex(p) for part in cut(addr, data, f"{p} @{addr:#010x}")]
    if not raw:
        raise ImageError(f"{p}: the file is empty")
    if fmt == "mcuboot":
        img = mcuboot.parse(raw, str(p))
        addr = spec.address
        if addr is None and not img.ram_load:
            if primary is None:
                raise ImageError(f"{p}: MCUboot image without an address, and core {core!r} has no primary slot "
                                 f"on this board; give the slot address: {p}@ADDRESS")
            addr = primary.base
        return [Part(addr if addr is not None else img.load_addr, raw[:img.size], img)]
    if spec.address is None:
        raise ImageError(f"{p}: raw binary (no ELF, Intel HEX or MCUboot header) and no load address; give it "
                         f"as {p}@ADDRESS, e.g. {p}@0x1A260000")
    return cut(spec.address, raw, str(p))


def _canonical(cspec: CoreSpec, addr: int) -> int:
    """``addr`` with a Non-secure alias replaced by the Secure address of the same byte."""
    for r in cspec.regions:
        if r.ns_alias is not None and r.ns_alias <= addr < r.ns_alias + r.size:
            return r.base + addr - r.ns_alias
    return addr


def _slot_of(cspec: CoreSpec, addr: int, size: int, primary_only: bool = False) -> Slot | None:
    """The slot of ``cspec`` (alias-aware) holding ``addr``..``addr + size``, or None."""
    a = _canonical(cspec, addr)
    return next((s for s in cspec.slots if (s.primary or not primary_only) and s.base <= a
                 and a + size <= s.base + s.size), None)


def split(machine: "Machine", core: str, parts: list[Part]) -> dict[str, list[Part]]:
    """Give each part to a core by the split rule (module docstring), at that core's address."""
    board = machine.board
    out: dict[str, list[Part]] = {}
    for part in parts:
        owner, addr = core, part.addr
        if _slot_of(board.cores[core], part.addr, len(part.data)) is None:
            for other, cspec in board.cores.items():
                if other == core:
                    continue
                there = machine.memory.translate(part.addr, core, other)
                if there is None or machine.memory.translate(part.end - 1, core, other) != there + len(part.data) - 1:
                    continue
                if _slot_of(cspec, there, len(part.data)) is not None:
                    owner, addr = other, there
                    break
        if part.boot is not None and part.boot.ram_load:
            addr = part.boot.load_addr
        out.setdefault(owner, []).append(Part(addr, part.data, part.boot))
    return out


def _boot_part(parts: list[Part], cspec: CoreSpec) -> Part:
    """The part a core boots: the one in its primary slot (an MCUboot image first), else its first
    MCUboot image, else its lowest part."""
    in_primary = [p for p in parts if _slot_of(cspec, p.addr, len(p.data), primary_only=True) is not None]
    booted = [p for p in parts if p.boot is not None]
    lowest = lambda ps: sorted(ps, key=lambda p: _canonical(cspec, p.addr))     # noqa: E731
    for group in ([p for p in in_primary if p.boot is not None], booted, lowest(in_primary), lowest(parts)):
        if group:
            return group[0]
    raise AssertionError("a core's image has at least one part")


def parts_image(path: Path, parts: list[Part], cspec: CoreSpec) -> Image:
    """An Image without symbols for ``parts``: one segment each, the vector table by the boot rule."""
    boot = _boot_part(parts, cspec)
    vt = boot.addr + (boot.boot.hdr_size if boot.boot is not None else 0)
    segments = [Segment(p.addr, p.addr, p.data, len(p.data)) for p in sorted(parts, key=lambda p: p.addr)]
    return Image(str(path), vt, segments, {}, {}, {}, None, vt)


def with_symbols(image: Image, elf: Image) -> Image:
    """``elf``'s vector table, sections and symbols over ``image``'s bytes."""
    return Image(image.path, elf.entry, image.segments, elf.sections, elf.symbols, elf.symbol_sizes,
                 elf.cpu_arch, elf.vector_table)


def symbols_mismatch(elf: Image, read: Callable[[int, int], bytes | None]) -> str | None:
    """Where the loaded bytes differ from ``elf``'s loadable bytes (``read(addr, n)``), or None."""
    for seg in elf.segments:
        if not seg.data:
            continue
        got = read(seg.paddr, len(seg.data))
        if got is None:
            return f"its segment at {seg.paddr:#010x} is not in the core's memory"
        if got != seg.data:
            off = next(i for i, (a, b) in enumerate(zip(got, seg.data)) if a != b)
            return (f"at {seg.paddr + off:#010x} the ELF has {seg.data[off]:#04x}, the loaded image "
                    f"{got[off]:#04x}")
    return None


def _symbols_for(symbols: "str | Path | Mapping[str, str | Path] | None", core: str) -> str | Path | None:
    if isinstance(symbols, Mapping):
        return symbols.get(core)
    return symbols


def plan(machine: "Machine", core: str, text: str | Path,
         symbols: "str | Path | Mapping[str, str | Path] | None" = None) -> LoadPlan:
    """Read ``text`` (an image spec) for ``core`` and decide what goes on which core."""
    if len(split_list(text)) > 1:
        return plan_many(machine, core, split_list(text), symbols)
    spec = parse_spec(text)
    cspec = machine.board.cores[core]
    raw = spec.path.read_bytes()
    fmt = detect_format(raw)
    if fmt == "elf":
        if spec.address is not None:
            raise ImageError(f"{spec.text}: an ELF carries its own load addresses; drop '@{spec.address:#x}'")
        if _symbols_for(symbols, core) is not None:
            raise ImageError(f"{spec.path}: is an ELF with its own symbols; --symbols is for HEX and binary images")
        return LoadPlan(spec, fmt, {core: read_image(spec.path, cspec.arch, core)})
    primary = next((s for s in cspec.slots if s.primary), None)
    by_core = split(machine, core, file_parts(spec, fmt, raw, primary, core))
    if core not in by_core:
        where = ", ".join(f"core {c!r} ({', '.join(f'{p.addr:#010x}' for p in ps)})" for c, ps in by_core.items())
        raise ImageError(f"{spec.path}: nothing in it is for core {core!r}: it lies in the image slots of {where}; "
                         f"give it for that core with that core's address")
    result = LoadPlan(spec, fmt, {})
    for cname in [core] + [c for c in by_core if c != core]:
        parts = by_core[cname]
        image = parts_image(spec.path, parts, machine.board.cores[cname])
        notes = [f"{p.addr:#010x} {p.boot.describe()}" for p in parts if p.boot is not None]
        result.notes[cname] = notes
        if any(p.boot is not None and p.boot.sha256_ok is False for p in parts):
            notes.append("warning: SHA-256 TLV does not match the image")
        elf_path = _symbols_for(symbols, cname)
        explicit = elf_path is not None
        if not explicit and cname == core and spec.path.with_suffix(".elf").is_file():
            elf_path = spec.path.with_suffix(".elf")
        if elf_path is not None:
            elf = read_image(find_image(elf_path), machine.board.cores[cname].arch, cname)
            result.symbols[cname] = (elf, explicit)
        result.images[cname] = image
    return result


def _check_overlaps(cspec: CoreSpec, core: str, placed: list[tuple[Part, ImageSpec]]) -> None:
    """ImageError when two files of one list write the same byte of ``core`` (Non-secure aliases included)."""
    ordered = sorted(((_canonical(cspec, p.addr), p, sp) for p, sp in placed), key=lambda t: t[0])
    for (a, pa, sa), (b, pb, sb) in zip(ordered, ordered[1:]):
        a_end, b_end = a + len(pa.data), b + len(pb.data)
        if b < a_end and sa is not sb:
            raise ImageError(f"{sa.path} and {sb.path} both write core {core!r} at {b:#010x}..{min(a_end, b_end) - 1:#010x} "
                             f"({sa.path}: {pa.addr:#010x}..{pa.end - 1:#010x}, {sb.path}: {pb.addr:#010x}.."
                             f"{pb.end - 1:#010x}); give files that do not overlap, or one of them")


def merge_symbols(image: Image, elves: list[Image]) -> Image:
    """``image``'s bytes with the sections and symbols of all ``elves`` and the first one's vector table."""
    sections = {n: s for e in elves for n, s in e.sections.items()}
    symbols = {n: a for e in reversed(elves) for n, a in e.symbols.items()}
    sizes = {n: z for e in reversed(elves) for n, z in e.symbol_sizes.items()}
    first = elves[0]
    return Image(first.path, first.entry, image.segments, sections, symbols, sizes, first.cpu_arch,
                 first.vector_table)


def plan_many(machine: "Machine", core: str, texts: list[str],
              symbols: "str | Path | Mapping[str, str | Path] | None" = None) -> LoadPlan:
    """Several files (``A,B``) for ``core``, combined per core: parts placed, overlaps refused."""
    specs = [parse_spec(t) for t in texts]
    cspec = machine.board.cores[core]
    primary = next((s for s in cspec.slots if s.primary), None)
    by_core: dict[str, list[tuple[Part, ImageSpec]]] = {}
    elves: list[Image] = []
    formats = []
    for spec in specs:
        raw = spec.path.read_bytes()
        fmt = detect_format(raw)
        formats.append(fmt)
        if fmt == "elf":
            if spec.address is not None:
                raise ImageError(f"{spec.text}: an ELF carries its own load addresses; drop '@{spec.address:#x}'")
            elf = read_image(spec.path, cspec.arch, core)
            elves.append(elf)
            by_core.setdefault(core, []).extend((Part(s.paddr, s.data), spec) for s in elf.segments if s.data)
            continue
        for cname, parts in split(machine, core, file_parts(spec, fmt, raw, primary, core)).items():
            by_core.setdefault(cname, []).extend((p, spec) for p in parts)
    if core not in by_core:
        raise ImageError(f"{','.join(texts)}: nothing in these files is for core {core!r} (all lies in other "
                         f"cores' image slots); give them for that core")
    result = LoadPlan(specs[0], "+".join(formats), {}, more=specs[1:])
    for cname in [core] + [c for c in by_core if c != core]:
        placed = by_core[cname]
        _check_overlaps(machine.board.cores[cname], cname, placed)
        parts = [p for p, _ in placed]
        image = parts_image(specs[0].path, parts, machine.board.cores[cname])
        notes = [f"{sp.path.name}: {p.addr:#010x} {p.boot.describe()}" for p, sp in placed if p.boot is not None]
        if any(p.boot is not None and p.boot.sha256_ok is False for p in parts):
            notes.append("warning: SHA-256 TLV does not match the image")
        if cname == core and elves:
            image = merge_symbols(image, elves)
            notes.append(f"symbols from {', '.join(e.path for e in elves)}")
        result.notes[cname] = notes
        elf_path = _symbols_for(symbols, cname)
        if elf_path is not None:
            result.symbols[cname] = (read_image(find_image(elf_path), machine.board.cores[cname].arch, cname), True)
        result.images[cname] = image
    return result


def finish(plan_: LoadPlan, core: str, read: Callable[[int, int], bytes | None]) -> Image:
    """The image ``core`` runs once the bytes are written: with its ELF's symbols when they match."""
    image = plan_.images[core]
    if core not in plan_.symbols:
        return image
    elf, explicit = plan_.symbols[core]
    problem = symbols_mismatch(elf, read)
    if problem is None:
        plan_.notes[core].append(f"symbols from {elf.path}")
        return with_symbols(image, elf)
    if explicit:
        raise ImageError(f"{elf.path}: symbols ELF does not match {plan_.spec.path}: {problem}; give the ELF "
                         f"the image was made from")
    plan_.notes[core].append(f"{elf.path} beside it differs ({problem}); no symbols")
    return image
