"""Arm semihosting (``BKPT 0xAB``) for firmware: console output, virtual clock, exit status."""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import unicorn.arm_const as A

if TYPE_CHECKING:
    from psaemu.platform.cpu.core import Core

SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ, SYS_READC = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
SYS_ISTTY, SYS_FLEN, SYS_CLOCK, SYS_TIME, SYS_ERRNO, SYS_GET_CMDLINE = 0x09, 0x0C, 0x10, 0x11, 0x13, 0x15
SYS_HEAPINFO, SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ = 0x16, 0x18, 0x20, 0x30, 0x31
ADP_STOPPED_APPLICATION_EXIT = 0x20026
STDOUT_HANDLE, STDERR_HANDLE = 1, 2
MAX_STRING = 64 * 1024


def _words(core: "Core", addr: int, n: int) -> tuple[int, ...]:
    return struct.unpack(f"<{n}I", core.uc.mem_read(addr, 4 * n))


def read_cstring(core: "Core", addr: int) -> bytes:
    """A NUL-terminated string from guest memory, read in chunks (bounded at 64 KiB)."""
    out = bytearray()
    while len(out) < MAX_STRING:
        chunk = bytes(core.uc.mem_read(addr + len(out), 64))
        nul = chunk.find(b"\0")
        if nul >= 0:
            return bytes(out + chunk[:nul])
        out += chunk
    return bytes(out)


def handle(core: "Core") -> None:
    """Carry out the semihosting call in r0/r1 and put its result in r0."""
    uc = core.uc
    op = uc.reg_read(A.UC_ARM_REG_R0)
    arg = uc.reg_read(A.UC_ARM_REG_R1)
    result = 0
    if op == SYS_WRITEC:
        core.console_write(bytes(uc.mem_read(arg, 1)))
    elif op == SYS_WRITE0:
        core.console_write(read_cstring(core, arg))
    elif op == SYS_WRITE:
        fh, buf, length = _words(core, arg, 3)
        if fh in (STDOUT_HANDLE, STDERR_HANDLE):
            core.console_write(bytes(uc.mem_read(buf, length)))
            result = 0
        else:
            result = length
    elif op == SYS_OPEN:
        name_ptr, _mode, _len = _words(core, arg, 3)
        result = STDOUT_HANDLE if read_cstring(core, name_ptr) == b":tt" else 0xFFFFFFFF
    elif op in (SYS_CLOSE, SYS_ERRNO):
        result = 0
    elif op == SYS_ISTTY:
        result = 1
    elif op in (SYS_READC, SYS_READ, SYS_FLEN):
        result = 0xFFFFFFFF
    elif op == SYS_CLOCK:
        result = core.cycles * 100 // core.clock_hz
    elif op == SYS_TIME:
        result = core.cycles // core.clock_hz
    elif op == SYS_GET_CMDLINE:
        buf, _size = _words(core, arg, 2)
        uc.mem_write(buf, b"\0")
        uc.mem_write(arg + 4, struct.pack("<I", 0))
    elif op == SYS_HEAPINFO:
        block = _words(core, arg, 1)[0]
        uc.mem_write(block, bytes(16))
    elif op == SYS_ELAPSED:
        uc.mem_write(arg, struct.pack("<Q", core.cycles))
    elif op == SYS_TICKFREQ:
        result = core.clock_hz
    elif op == SYS_EXIT:
        core.machine.request_exit(core, 0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1,
                                  f"semihosting SYS_EXIT reason {arg:#x}")
    elif op == SYS_EXIT_EXTENDED:
        reason, code = _words(core, arg, 2)
        status = code if reason == ADP_STOPPED_APPLICATION_EXIT else 1
        core.machine.request_exit(core, status & 0xFF if status < 256 else 1,
                                  f"semihosting SYS_EXIT_EXTENDED reason {reason:#x} code {code}")
    else:
        core.trace("semihosting", op=op, note="unsupported operation; returned -1")
        result = 0xFFFFFFFF
    uc.reg_write(A.UC_ARM_REG_R0, result)
