"""A core's Unicorn CPU context, saved and put back (``Core.state`` / ``Core.restore``).

Into the Unicorn instance it came from, a context is restored as it is. Into another instance
(another machine, or bytes from a file) the context's bytes are copied except for the words that
belong to the Unicorn instance: host pointers (the M33's MPU/SAU region arrays), found once per CPU
model by comparing the contexts of three live fresh instances and by checking every word against
this process's mappings; those keep the target's values.
"""
from __future__ import annotations

import ctypes
import struct
import weakref
from typing import TYPE_CHECKING

from psaemu.platform.errors import PsaEmuError

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core


class CpuContextError(PsaEmuError):
    """A saved CPU context does not fit this Unicorn (another version)."""


class CpuContext:
    """A saved context: the live Unicorn context and the instance it came from (``bytes()`` for files)."""

    __slots__ = ("live", "owner")

    def __init__(self, core: "Core") -> None:
        self.live = core.uc.context_save()
        self.owner = weakref.ref(core.uc)

    def __bytes__(self) -> bytes:
        return bytes(self.live)


def save(core: "Core") -> CpuContext:
    return CpuContext(core)


def restore(core: "Core", ctx: "CpuContext | bytes") -> None:
    """Put a context back: as it is into its own instance, by its CPU-state bytes into another."""
    if isinstance(ctx, CpuContext) and ctx.owner() is core.uc:
        core.uc.context_restore(ctx.live)
    else:
        restore_foreign(core, bytes(ctx))


_ctx_masks: dict[int, tuple[int, list[tuple[int, int]]]] = {}


def _ctx_mask(model: int) -> tuple[int, list[tuple[int, int]]]:
    """(header length, [start, end) ranges) of a context that belong to the Unicorn instance, not to
    the CPU state: host pointers (MPU/SAU region arrays) that differ between two fresh instances.
    A context restored into another instance keeps that instance's values there."""
    got = _ctx_masks.get(model)
    if got is None:
        from unicorn import UC_ARCH_ARM, UC_MODE_THUMB, Uc

        # All instances stay alive until every context is taken: a freed instance's arrays would be
        # reused by the next one, at the same addresses, and hide their pointers from the diff.
        ucs = [Uc(UC_ARCH_ARM, UC_MODE_THUMB) for _ in range(3)]
        for uc in ucs:
            uc.ctl_set_cpu_model(model)
        raws = [bytes(uc.context_save()) for uc in ucs]
        a = raws[0]
        header = len(a) - struct.unpack_from("<Q", a, 0)[0]
        spans = _process_mappings()
        words = [i for i in range(header, len(a) - 7, 8) if any(r[i:i + 8] != a[i:i + 8] for r in raws[1:])
                 # and any address of this process (static data would be elsewhere in another process)
                 or any(lo <= struct.unpack_from("<Q", a, i)[0] < hi for lo, hi in spans)]
        del ucs
        got = _ctx_masks[model] = (header, [(i, i + 8) for i in words])
    return got


def _process_mappings() -> list[tuple[int, int]]:
    """Address ranges mapped in this process (/proc/self/maps; empty where there is none)."""
    try:
        with open("/proc/self/maps") as f:
            return [tuple(int(x, 16) for x in line.split()[0].split("-")) for line in f]   # type: ignore[misc]
    except (OSError, ValueError):
        return []


def restore_foreign(core: "Core", raw: bytes) -> None:
    """Restore context bytes saved from another Unicorn instance (another machine or process)."""
    from psaemu.platform.cpu.core import CPU_MODELS

    live = core.uc.context_save()
    cur = bytes(live)
    if len(cur) != len(raw):
        raise CpuContextError(f"core {core.name!r}: the snapshot's CPU context has {len(raw)} bytes, this Unicorn's "
                            f"{len(cur)}; restore with the Unicorn version that took it")
    header, mask = _ctx_mask(CPU_MODELS[core.spec.cpu])
    out = bytearray(raw)
    out[:header] = cur[:header]
    for a, b in mask:
        out[a:b] = cur[a:b]
    ctypes.memmove(live.context, bytes(out), len(out))
    core.uc.context_restore(live)
