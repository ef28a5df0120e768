"""The one exception root of benchbot.

    BenchbotError
    ├── UserError            bad input; the CLI prints one line and exits 2
    │   ├── ProfileError     a device profile is missing or malformed
    │   ├── ConfigError      a sweep file or an axis value is malformed
    │   ├── ModelError       a model file is missing or unreadable
    │   ├── HostKeyRejected  an SSH host key is unknown or changed (says how to trust it)
    │   └── AuthFailed       the device refused our credentials
    ├── TransportError       running a command on a device failed (keeps raw output)
    │   ├── CommandTimeout   the command ran past its time limit
    │   └── DeviceLost       the device or connection went away
    ├── DeviceUnavailable    a device cannot be opened, is busy or unreachable (exit 3)
    ├── CaseError            one case failed at run time; recorded with its failure kind,
    │                        the sweep goes on
    └── ParseFailed          a tool's log holds no timings (`benchbot parse`); exit 1

Only the CLI turns these into exit codes (see :mod:`benchbot.cli.main`); everything
else raises. Text from outside (a log, a file name) goes into a message through
:func:`printable`, so a message never carries a terminal's control sequences.
"""

from __future__ import annotations

import re

# C0/C1 controls, DEL, line and paragraph separators, bidi overrides, and the lone
# surrogates that stand for undecodable bytes (errors="surrogateescape")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """``text`` on one line with nothing a terminal acts on: control characters (newlines
    included) and undecodable bytes written as Python escapes (``\\n``, ``\\x1b``)."""
    return _UNPRINTABLE.sub(_escape, text)


class BenchbotError(Exception):
    """Root of every error benchbot raises on purpose."""


class UserError(BenchbotError):
    """The user gave input benchbot cannot use; the message says how to fix it."""


class ProfileError(UserError):
    """A device profile is missing or malformed."""


class ConfigError(UserError):
    """A sweep file, an option or an axis value is malformed."""


class ModelError(UserError):
    """A model file is missing or cannot be read."""


class HostKeyRejected(UserError):
    """An SSH server's host key is not in known_hosts, or differs from it."""


class AuthFailed(UserError):
    """The device (sshd, adbd) refused our credentials."""


class TransportError(BenchbotError):
    """A command on a device could not be run; keeps what the tool printed."""

    def __init__(self, message: str, *, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class CommandTimeout(TransportError):
    """A command on a device ran past its time limit."""


class DeviceLost(TransportError):
    """The device disconnected or the connection dropped."""


class DeviceUnavailable(BenchbotError):
    """A device cannot be reached, opened or leased: the infrastructure, not the model."""


class CaseError(BenchbotError):
    """A single case failed at run time (the reason is recorded with the case).

    ``kind`` is the failure kind recorded (see ``benchbot.store.FAILURE_KINDS``);
    ``output`` and ``exit_code`` are the tool's own words, when a tool failed.
    """

    kind = "runtime_error"

    def __init__(self, message: str, *, kind: str | None = None, output: str = "",
                 exit_code: int | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.output = output
        self.exit_code = exit_code


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (a CI job cancelled, ``timeout``): handled like Ctrl-C, exit 143."""


class ParseFailed(BenchbotError):
    """A native tool's log holds no timings (or is not the tool's log at all)."""
