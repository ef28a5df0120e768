"""Exit codes from failure kinds, SIGTERM handled like Ctrl-C, and a resume that cannot
corrupt a run: each against the real CLI in a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchbot.errors import UserError
from benchbot.store import load_run
from tests.conftest import FAST, benchbot

LONG = ["--warmup", "1", "--min-runs", "3", "--min-time", "0.5", "--max-time", "1"]


def _start(models: dict[str, Path], results: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchbot", "run", "-m", str(models["tiny_conv.onnx"]),
         "-b", "1,2,3,4", *LONG, "--results", str(results), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1"})


def _wait_for_a_case(results: Path, proc: subprocess.Popen[str], timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for f in results.glob("*.json"):
            try:
                if load_run(f).cases:
                    return f
            except (UserError, OSError):
                pass
        time.sleep(0.05)
    raise AssertionError(f"no case saved (exit {proc.poll()})")


def _agents_of(pid: int) -> list[int]:
    """Processes whose command line runs benchbot's agent and whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if "agent.py" in cmd and ppid == pid:
            found.append(int(entry.name))
    return found


def test_sigterm_saves_the_run_as_interrupted_and_exits_143(models: dict[str, Path],
                                                            tmp_path: Path) -> None:
    proc = _start(models, tmp_path, "--repeat", "1")
    path = _wait_for_a_case(tmp_path, proc)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "terminated" in stderr and "Traceback" not in stderr
    assert f"benchbot run --resume {path.stem}" in stderr  # the real run id
    record = load_run(path)
    assert record.status == "interrupted" and 1 <= len(record.cases) < 4
    assert not _agents_of(proc.pid)  # the measuring process was stopped too


def test_a_device_that_cannot_be_reached_exits_3(models: dict[str, Path],
                                                 tmp_path: Path) -> None:
    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "gone.toml").write_text(
        f'name = "gone"\ntransport = "ssh"\n[ssh]\nhost = "127.0.0.1"\nport = {port}\n'
        f'known_hosts = "{tmp_path / "known_hosts"}"\n')
    (tmp_path / "known_hosts").write_text("")
    proc = benchbot("run", "-d", "gone", "--profiles", str(profiles), "-m",
                    str(models["tiny_conv.onnx"]), "--results", str(tmp_path / "r"), *FAST)
    assert proc.returncode == 3, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: ") and "gone" in line


def test_resume_refuses_new_axes_and_works_from_another_folder(models: dict[str, Path],
                                                                tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(models["tiny_conv.onnx"], work / "m.onnx")
    results = tmp_path / "r"
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchbot", "run", "-m", "m.onnx", "-b", "1,2,3", *LONG,
         "--repeat", "1", "--results", str(results)], cwd=work, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    path = _wait_for_a_case(results, proc)
    live = benchbot("run", "--resume", path.stem, "--results", str(results))
    proc.kill()
    proc.communicate(timeout=30)
    assert live.returncode == 2 and "still being measured" in live.stderr
    refused = benchbot("run", "--resume", path.stem, "--threads", "4", "--results",
                       str(results))
    assert refused.returncode == 2 and "--threads" in refused.stderr \
        and "start a new run" in refused.stderr
    elsewhere = benchbot("run", "--resume", path.stem, "--results", str(results),
                         cwd=tmp_path)  # the model path was relative to work/
    assert elsewhere.returncode == 0, elsewhere.stderr
    record = load_run(path)
    assert record.status == "complete" and len(record.cases) == 3
    assert {c.model for c in record.cases} == {"m.onnx"}  # as given, still
    (work / "m.onnx").write_bytes(models["tiny_matmul.onnx"].read_bytes())
    (results / f"{path.stem}.json").write_text(
        (results / f"{path.stem}.json").read_text().replace('"complete"', '"interrupted"', 1))
    changed = benchbot("run", "--resume", path.stem, "--results", str(results))
    # nothing is left to measure: the changed file is never opened, the run just completes
    assert changed.returncode == 0 and "0 cases missing or failed" in changed.stderr, \
        changed.stderr


def test_results_in_the_way_of_a_file_is_one_line_and_exit_2(models: dict[str, Path],
                                                             tmp_path: Path) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    for target in (blocker, blocker / "sub"):
        proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--results", str(target),
                        *FAST)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.strip().splitlines()[-1:]
        assert "--results" in line and "Traceback" not in proc.stderr


def test_a_model_path_with_a_comma_is_usable(models: dict[str, Path], tmp_path: Path) -> None:
    odd = tmp_path / "net,v2.onnx"
    shutil.copy(models["tiny_conv.onnx"], odd)
    proc = benchbot("run", "-m", str(odd), "-m", str(models["tiny_matmul.onnx"]),
                    "--results", str(tmp_path / "r"), *FAST)
    assert proc.returncode == 0, proc.stderr
    (path,) = (tmp_path / "r").glob("*.json")
    assert {c.model_name for c in load_run(path).cases} == {"net,v2", "tiny_matmul"}
