"""The host itself as a device: commands are subprocesses, files stay where they are."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Sequence

from benchbot.errors import TransportError
from benchbot.transports.base import CommandResult


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it ended on its own meanwhile


class LocalTransport:
    """Runs commands as child processes of benchbot, each in its own process group."""

    name = "local"

    def __init__(self) -> None:
        self._live: set[subprocess.Popen[str]] = set()

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        except OSError as exc:
            raise TransportError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
        self._live.add(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)  # the whole group: runtimes spawn threads and helpers
            out, err = proc.communicate()
            timed_out = True
        except BaseException:  # Ctrl-C: never leave a measuring process behind
            _kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            self._live.discard(proc)
        return CommandResult(argv=tuple(argv), returncode=None if timed_out else proc.returncode,
                             stdout=out, stderr=err, duration_s=time.monotonic() - start,
                             timed_out=timed_out)

    def push(self, local: Path, timeout: float) -> str:
        return str(local.resolve())

    def pull(self, remote: str, local: Path, timeout: float) -> Path:
        shutil.copyfile(remote, local)
        return local

    def cleanup(self) -> None:
        pass  # push() copies nothing

    def abort(self) -> None:
        """Kill every command running now (from any thread): the run is being interrupted."""
        for proc in list(self._live):
            _kill_group(proc.pid)

    def close(self) -> None:
        pass
