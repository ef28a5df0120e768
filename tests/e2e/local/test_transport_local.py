"""The local transport: real subprocesses, time limits that kill the whole process group."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from benchbot.errors import TransportError
from benchbot.transports import LocalTransport


def test_run_captures_output_and_exit_code() -> None:
    result = LocalTransport().run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=30)
    assert (result.returncode, result.stdout, result.stderr_tail()) == (3, "out\n", "err")
    assert not result.ok and not result.timed_out


def test_timeout_kills_the_command_and_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    result = LocalTransport().run(["sh", "-c", script], timeout=1)
    assert result.timed_out and result.returncode is None and not result.ok
    child = int(pidfile.read_text())
    for _ in range(50):  # the kill is delivered at once; reaping by init may lag a little
        if not Path(f"/proc/{child}").exists() or "Z" in _state(child):
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return "Z"


def test_missing_program_is_a_transport_error() -> None:
    with pytest.raises(TransportError, match="cannot start"):
        LocalTransport().run(["/nonexistent/tool"], timeout=5)


def test_push_is_the_file_itself(tmp_path: Path) -> None:
    f = tmp_path / "m.onnx"
    f.write_bytes(b"x")
    assert LocalTransport().push(f, timeout=5) == str(f.resolve())
    assert os.path.exists(LocalTransport().push(f, timeout=5))
