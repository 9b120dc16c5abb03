"""Little-endian C struct codecs built from dataclass declarations (one helper for all structs).

A struct is a dataclass whose fields are declared with :func:`cfield` and a field type
(:data:`U32`, :class:`Raw`, :class:`Nested`, :class:`Array`, ...), decorated with :func:`cstruct`.
The decorator lays the fields out as a 32-bit Arm C compiler does (each field at the next
multiple of its alignment, the size rounded up to the largest alignment) and gives the class
``SIZE``, ``ALIGN``, ``OFFSETS`` and ``FIELDS``; :class:`CStruct` supplies ``pack``/``unpack``::

    @cstruct
    @dataclass
    class Pair(CStruct):
        tag: int = cfield(U8)
        value: int = cfield(U32)     # lands at offset 4; Pair.SIZE == 8
"""
from __future__ import annotations

import dataclasses
import re
import struct
from dataclasses import dataclass
from typing import Any, ClassVar, Optional, Protocol, TypeVar

__all__ = ["CType", "Scalar", "Raw", "Nested", "Array", "U8", "U16", "U32", "U64", "I8", "I16", "I32",
           "PTR", "SIZE_T", "cfield", "cstruct", "union_of", "CStruct", "align_up"]

T = TypeVar("T", bound="CStruct")


def align_up(value: int, align: int) -> int:
    """Round ``value`` up to a multiple of ``align``."""
    return (value + align - 1) // align * align


class CType(Protocol):
    """What a field type provides: size, alignment, a default and the byte codec."""

    size: int
    align: int

    def default(self) -> Any:
        """A zero value of this type."""

    def pack_into(self, buf: bytearray, offset: int, value: Any) -> None:
        """Write ``value`` at ``offset``; ValueError if it does not fit the type."""

    def unpack_from(self, data: Any, offset: int) -> Any:
        """Read a value at ``offset``."""


@dataclass(frozen=True)
class Scalar:
    """A fixed-width little-endian integer given by a ``struct`` format letter."""

    code: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "_st", struct.Struct("<" + self.code))

    @property
    def size(self) -> int:
        """Bytes of the integer."""
        return self._st.size  # type: ignore[attr-defined]

    @property
    def align(self) -> int:
        """Natural alignment (= size for the integer types used on 32-bit Arm, 8 for 64-bit)."""
        return self.size

    def default(self) -> int:
        """Zero."""
        return 0

    def pack_into(self, buf: bytearray, offset: int, value: Any) -> None:
        """Write the integer; ValueError when it is out of range or not an int."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an int, got {value!r}")
        try:
            self._st.pack_into(buf, offset, value)  # type: ignore[attr-defined]
        except struct.error as exc:
            raise ValueError(f"{value} does not fit '{self.code}': {exc}") from None

    def unpack_from(self, data: Any, offset: int) -> int:
        """Read the integer."""
        return self._st.unpack_from(data, offset)[0]  # type: ignore[attr-defined]


U8, U16, U32, U64 = Scalar("B"), Scalar("H"), Scalar("I"), Scalar("Q")
I8, I16, I32 = Scalar("b"), Scalar("h"), Scalar("i")
PTR = U32      # pointers on both cores are 32-bit addresses
SIZE_T = U32


@dataclass(frozen=True)
class Raw:
    """A fixed-size byte string (a ``uint8_t[n]`` array, or the raw bytes of a union)."""

    size: int
    align: int = 1

    def default(self) -> bytes:
        """``size`` zero bytes."""
        return bytes(self.size)

    def pack_into(self, buf: bytearray, offset: int, value: Any) -> None:
        """Copy exactly ``size`` bytes."""
        if not isinstance(value, (bytes, bytearray, memoryview)) or len(value) != self.size:
            raise ValueError(f"expected {self.size} bytes, got {value!r:.60}")
        buf[offset:offset + self.size] = value

    def unpack_from(self, data: Any, offset: int) -> bytes:
        """Copy ``size`` bytes out."""
        return bytes(data[offset:offset + self.size])


@dataclass(frozen=True)
class Nested:
    """An embedded struct (a :func:`cstruct` class)."""

    cls: type["CStruct"]

    @property
    def size(self) -> int:
        """The embedded struct's SIZE."""
        return self.cls.SIZE

    @property
    def align(self) -> int:
        """The embedded struct's ALIGN."""
        return self.cls.ALIGN

    def default(self) -> "CStruct":
        """A default-constructed instance."""
        return self.cls()

    def pack_into(self, buf: bytearray, offset: int, value: Any) -> None:
        """Pack the instance in place."""
        if type(value) is not self.cls:   # a subclass may have another layout (e.g. more slots)
            raise ValueError(f"expected a {self.cls.__name__}, got {value!r:.60}")
        value.pack_into(buf, offset)

    def unpack_from(self, data: Any, offset: int) -> "CStruct":
        """Unpack an instance."""
        return self.cls.unpack(data, offset)


@dataclass(frozen=True)
class Array:
    """``elem[count]``: a Python list of ``count`` elements, stride = element size."""

    elem: CType
    count: int

    @property
    def size(self) -> int:
        """count × element size."""
        return self.elem.size * self.count

    @property
    def align(self) -> int:
        """The element's alignment."""
        return self.elem.align

    def default(self) -> list:
        """A list of ``count`` default elements."""
        return [self.elem.default() for _ in range(self.count)]

    def pack_into(self, buf: bytearray, offset: int, value: Any) -> None:
        """Pack every element; the sequence must have exactly ``count`` items."""
        if isinstance(value, (str, bytes)) or len(value) != self.count:
            raise ValueError(f"expected {self.count} elements, got {value!r:.60}")
        for i, item in enumerate(value):
            self.elem.pack_into(buf, offset + i * self.elem.size, item)

    def unpack_from(self, data: Any, offset: int) -> list:
        """Unpack ``count`` elements."""
        return [self.elem.unpack_from(data, offset + i * self.elem.size) for i in range(self.count)]


def union_of(*variants: type["CStruct"]) -> Raw:
    """The raw-bytes type of a C union of ``variants``: largest size, rounded to the largest alignment."""
    align = max(v.ALIGN for v in variants)
    return Raw(align_up(max(v.SIZE for v in variants), align), align)


def cfield(ctype: CType) -> Any:
    """Declare a dataclass field with its C type; the default is the type's zero value."""
    return dataclasses.field(default_factory=ctype.default, metadata={"ctype": ctype})


class CStruct:
    """Base of :func:`cstruct` classes: the generic pack/unpack/offset code."""

    SIZE: ClassVar[int]
    ALIGN: ClassVar[int]
    OFFSETS: ClassVar[dict[str, int]]
    FIELDS: ClassVar[tuple[tuple[str, int, CType], ...]]
    TRAILER: ClassVar[Optional[str]] = None   # name of a C flexible array member after the struct

    def pack_into(self, buf: bytearray, offset: int = 0) -> None:
        """Write the struct into ``buf`` at ``offset`` (padding bytes are left as they are)."""
        for name, off, ctype in self.FIELDS:
            try:
                ctype.pack_into(buf, offset + off, getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"{type(self).__name__}.{name}: {exc}") from None

    def pack(self) -> bytes:
        """The ``SIZE`` bytes of the struct, little-endian, padding zero."""
        buf = bytearray(self.SIZE)
        self.pack_into(buf)
        return bytes(buf)

    @classmethod
    def unpack(cls: type[T], data: Any, offset: int = 0) -> T:
        """Decode ``SIZE`` bytes of ``data`` starting at ``offset`` (longer buffers are fine)."""
        if offset < 0 or len(data) - offset < cls.SIZE:
            raise ValueError(f"{cls.__name__} needs {cls.SIZE} bytes at offset {offset}, "
                             f"the buffer has {len(data)}")
        return cls(**{name: ctype.unpack_from(data, offset + off) for name, off, ctype in cls.FIELDS})

    @classmethod
    def offset_of(cls, path: str) -> int:
        """Byte offset of a member path such as ``"queue[0].reply.return_val"``."""
        struct_cls: Optional[type[CStruct]] = cls
        ctype: Optional[CType] = None
        total = 0
        for part in path.split("."):
            m = re.fullmatch(r"(\w+)((?:\[\d+\])*)", part)
            if m is None or struct_cls is None:
                raise KeyError(f"bad member path {path!r} for {cls.__name__}")
            name = m.group(1)
            if name not in struct_cls.OFFSETS:
                raise KeyError(f"{struct_cls.__name__} has no member {name!r} (in {path!r})")
            total += struct_cls.OFFSETS[name]
            ctype = next((c for n, _, c in struct_cls.FIELDS if n == name), None)
            for index in re.findall(r"\[(\d+)\]", m.group(2)):
                if not isinstance(ctype, Array) or int(index) >= ctype.count:
                    raise KeyError(f"{name}[{index}] is out of range or not an array (in {path!r})")
                total += int(index) * ctype.elem.size
                ctype = ctype.elem
            struct_cls = ctype.cls if isinstance(ctype, Nested) else None
        return total


def cstruct(cls: type[T]) -> type[T]:
    """Compute the C layout of a dataclass made of :func:`cfield` fields (SIZE, ALIGN, OFFSETS, FIELDS)."""
    if not dataclasses.is_dataclass(cls) or not issubclass(cls, CStruct):
        raise TypeError(f"{cls.__name__}: apply @cstruct on top of @dataclass to a CStruct subclass")
    fields: list[tuple[str, int, CType]] = []
    cursor, max_align = 0, 1
    for f in dataclasses.fields(cls):
        ctype = f.metadata.get("ctype")
        if ctype is None:
            raise TypeError(f"{cls.__name__}.{f.name} is not declared with cfield()")
        cursor = align_up(cursor, ctype.align)
        fields.append((f.name, cursor, ctype))
        cursor += ctype.size
        max_align = max(max_align, ctype.align)
    cls.ALIGN = max_align
    cls.SIZE = align_up(cursor, max_align)
    cls.FIELDS = tuple(fields)
    cls.OFFSETS = {name: off for name, off, _ in fields}
    if cls.TRAILER is not None:
        cls.OFFSETS[cls.TRAILER] = cls.SIZE
    return cls
