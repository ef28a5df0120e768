"""What every transport offers: run a command on the device, move files to it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence


@dataclass(frozen=True)
class CommandResult:
    """The outcome of one command on a device."""

    argv: tuple[str, ...]
    returncode: int | None  # None when the command was killed on timeout
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def stderr_tail(self, lines: int = 3) -> str:
        """The last lines the command wrote to stderr, joined on one line."""
        tail = [line.strip() for line in self.stderr.strip().splitlines()[-lines:]]
        return " | ".join(line for line in tail if line)


class Transport(Protocol):
    """Runs argv lists on one device; every call has a time limit."""

    name: str

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run argv (never through a shell on the host side) and wait at most timeout s."""
        ...

    def push(self, local: Path, timeout: float) -> str:
        """Make a host file available on the device; returns its path there.

        Remote transports copy into their working directory and skip the copy
        when the device already holds a file of the same size and hash.
        """
        ...

    def pull(self, remote: str, local: Path, timeout: float) -> Path:
        """Copy a device file to the host."""
        ...

    def cleanup(self) -> None:
        """Remove what push() put on the device (unless the user asked to keep it)."""
        ...

    def abort(self) -> None:
        """Kill every command running now, from any thread (Ctrl-C, SIGTERM): on the device,
        with the processes it started; the run() calls running them then return."""
        ...

    def close(self) -> None:
        """Release the connection, if any."""
        ...
