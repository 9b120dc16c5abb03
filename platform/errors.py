"""The one exception hierarchy of psaemu; every expected failure is one of these.

Each class carries the CLI exit code used when it ends a run, so front ends never need to
map exceptions themselves.
"""
from __future__ import annotations


class PsaEmuError(Exception):
    """Base of every expected psaemu error; the message names what failed and what to do.

    Exit codes 120..125 are psaemu's own so they never collide with a firmware's exit status
    (a failure count, usually small).
    """

    exit_code = 125


class ConfigError(PsaEmuError):
    """A board file, a macro or an option is wrong (reported as ``file: key: problem``)."""

    exit_code = 120


class ImageError(PsaEmuError):
    """An ELF image cannot be loaded on the core it was given to."""

    exit_code = 121


class FaultError(PsaEmuError):
    """Firmware faulted and the fault was not handled; ``report`` holds the decoded report."""

    exit_code = 122

    def __init__(self, message: str, report: str = "") -> None:
        super().__init__(message)
        self.report = report


class ProtocolError(PsaEmuError):
    """A mailbox or proxy protocol rule was broken by one of the sides."""

    exit_code = 123


class EmuTimeoutError(PsaEmuError):
    """An instruction or wall-clock budget ran out, or every core sleeps with nothing to wake it."""

    exit_code = 124
