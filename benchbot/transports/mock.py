"""A transport that reaches no device: a handler answers every command, in this process.

The in-process double of :class:`benchbot.transports.Transport` (as httpx's
``MockTransport(handler)``): code that drives a transport (hygiene, leftovers, the
executor around a runner) is tested without a phone, a server or a subprocess.

    def handler(argv):
        if argv[:1] == ["cat"]:
            return CommandResult(tuple(argv), 0, "45000\\n", "", 0.0)
        return None                      # anything else: "not found", exit 127
    transport = MockTransport(handler)

``push`` keeps files in a folder of the host, ``pull`` copies them back; every call is
in ``calls``; ``abort()`` is recorded in ``aborted``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from benchbot.transports.base import CommandResult

Handler = Callable[[Sequence[str]], "CommandResult | None"]


class MockTransport:
    """A device whose every command ``handler`` answers (None: exit 127, not found)."""

    def __init__(self, handler: Handler = lambda argv: None, name: str = "mock") -> None:
        self.name = name
        self.handler = handler
        self.calls: list[tuple[str, ...]] = []
        self.aborted = 0
        self.closed = False
        self._store = Path(tempfile.mkdtemp(prefix="benchbot-mock-"))

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        self.calls.append(tuple(argv))
        answer = self.handler(argv)
        if answer is None:
            return CommandResult(tuple(argv), 127, "", f"{argv[0]}: not found", 0.0)
        return answer

    def push(self, local: Path, timeout: float) -> str:
        target = self._store / local.name
        shutil.copyfile(local, target)
        return str(target)

    def pull(self, remote: str, local: Path, timeout: float) -> Path:
        shutil.copyfile(remote, local)
        return local

    def cleanup(self) -> None:
        shutil.rmtree(self._store, ignore_errors=True)
        self._store.mkdir(parents=True, exist_ok=True)

    def abort(self) -> None:
        self.aborted += 1

    def close(self) -> None:
        self.closed = True
        shutil.rmtree(self._store, ignore_errors=True)
