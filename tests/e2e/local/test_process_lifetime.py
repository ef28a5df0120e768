"""A measuring process never outlives benchbot, even after ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DEADLINE_S = 60.0


@pytest.fixture(autouse=True)
def private_leases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "leases"
    monkeypatch.setenv("BENCHBOT_LEASE_DIR", str(folder))
    return folder


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody reaped yet."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_for(condition, what: str, deadline_s: float = DEADLINE_S) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


def test_the_agent_stops_when_benchbot_is_killed(models: dict[str, Path], tmp_path: Path) -> None:
    events = tmp_path / "agent-events"
    run = subprocess.Popen(
        [sys.executable, "-m", "benchbot", "run", "-m", str(models["tiny_conv.onnx"]),
         "--warmup", "1", "--min-runs", "1", "--min-time", "600", "--max-time", "600",
         "--case-timeout", "900", "--results", str(tmp_path / "results")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "BENCHBOT_AGENT_EVENTS": str(events)})
    agents: list[int] = []
    try:
        def measuring() -> bool:
            agents[:] = [pid for pid in _children(run.pid) if "agent.py" in _cmdline(pid)]
            return bool(agents) or run.poll() is not None
        wait_for(measuring, "the agent to start")
        assert run.poll() is None, "benchbot ended before its case started"
        wait_for(lambda: f"timing {agents[0]}" in (events.read_text() if events.exists()
                                                    else "") or not alive(agents[0]),
                 "the agent to start its timed loop")  # the runtime loaded, timing now
        assert alive(agents[0])
        run.send_signal(signal.SIGKILL)
        run.wait()
        wait_for(lambda: not alive(agents[0]), "the agent to notice benchbot is gone")
    finally:
        run.kill()
        run.wait()
        for pid in agents:  # never leave one behind, whatever the outcome
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
