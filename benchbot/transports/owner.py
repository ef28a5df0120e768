"""Who owns a remote work folder: this benchbot process, named so a later one can tell it died.

The mark is one line, ``HOST PID START``: the host name, the pid, and the pid's
start time in clock ticks since boot (``/proc/PID/stat``, field 22), so a pid
reused by another program does not pass for the owner. A later benchbot on the
same host removes a folder whose owner is gone; folders marked by other hosts
are left alone, as there is no telling from here whether their owner lives.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

OWNER_FILE = ".benchbot-owner"


def _start_ticks(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


@dataclass(frozen=True)
class Owner:
    """The benchbot process a remote work folder belongs to."""

    host: str
    pid: int
    start: str

    @classmethod
    def me(cls) -> Owner:
        return cls(socket.gethostname(), os.getpid(), _start_ticks(os.getpid()))

    @classmethod
    def parse(cls, line: str) -> Owner | None:
        parts = line.split()
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2])

    def line(self) -> str:
        return f"{self.host} {self.pid} {self.start}"

    def gone(self) -> bool:
        """True only when this host can tell the owner process has ended."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # alive, another user's
        return self.start != "?" and _start_ticks(self.pid) not in (self.start, "?")

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"
