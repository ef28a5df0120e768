"""Exclusive device leases between processes, and finishing an interrupted run with --resume."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from benchbot.runs.lease import DeviceBusy, device_lease
from benchbot.store import load_run
from tests.conftest import FAST, benchbot

LOCAL_KEY = f"local-{platform.node()}"


@pytest.fixture(autouse=True)
def private_leases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "leases"
    monkeypatch.setenv("BENCHBOT_LEASE_DIR", str(folder))
    return folder


def _run(models: dict[str, Path], results: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchbot", "run", "-m", str(models["tiny_conv.onnx"]),
         "-b", "1,2,3", "--warmup", "1", "--min-runs", "3", "--min-time", "0.3",
         "--max-time", "1", "--results", str(results), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def _interval(case) -> tuple[datetime, datetime]:  # type: ignore[no-untyped-def]
    return datetime.fromisoformat(case.started_at), datetime.fromisoformat(case.ended_at)


def test_two_processes_never_measure_on_one_device_at_once(models: dict[str, Path],
                                                           tmp_path: Path) -> None:
    first, second = _run(models, tmp_path / "a"), _run(models, tmp_path / "b")
    outs = [p.communicate(timeout=180) for p in (first, second)]
    assert first.returncode == second.returncode == 0, outs
    cases = [c for folder in ("a", "b") for c in
             load_run(next((tmp_path / folder).glob("*.json"))).cases]
    assert len(cases) == 6
    processes = [r for c in cases for r in c.runs]  # each case in several processes
    assert len(processes) >= 18
    spans = sorted(_interval(r) for r in processes)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start, "two measuring processes overlapped on the same device"


def test_no_wait_fails_fast_while_the_device_is_leased(models: dict[str, Path],
                                                       tmp_path: Path,
                                                       private_leases: Path) -> None:
    with device_lease(LOCAL_KEY, folder=private_leases):
        proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--no-wait",
                        "--results", str(tmp_path), *FAST,
                        env={"BENCHBOT_LEASE_DIR": str(private_leases)})
    assert proc.returncode == 3, proc.stderr  # a busy device: infrastructure
    assert f"device {LOCAL_KEY} is in use by pid {os.getpid()}" in proc.stderr
    record = load_run(next(tmp_path.glob("*.json")))
    assert record.status == "interrupted" and record.cases == ()


def test_a_dead_holders_lease_is_reclaimed(private_leases: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from benchbot.runs.lease import device_lease\n"
                               f"with device_lease('phone-1', folder=__import__('pathlib')"
                               f".Path({str(private_leases)!r})):\n"
                               "    print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(DeviceBusy, match="phone-1 is in use by pid"):
            with device_lease("phone-1", wait=False, folder=private_leases):
                pass
        holder.kill()  # SIGKILL: no clean-up runs
        holder.wait(timeout=10)
        with device_lease("phone-1", wait=False, folder=private_leases):
            pass  # the kernel dropped the dead holder's lock
    finally:
        holder.kill()


def test_resume_finishes_an_interrupted_run_without_losing_or_repeating(
        models: dict[str, Path], tmp_path: Path) -> None:
    proc = _run(models, tmp_path, "-t", "1,2")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        files = list(tmp_path.glob("*.json"))
        if files and len(load_run(files[0]).cases) >= 2:
            break
        time.sleep(0.05)
    proc.kill()
    proc.communicate(timeout=30)
    path = next(tmp_path.glob("*.json"))
    before = load_run(path)
    assert before.status == "running" and 2 <= len(before.cases) <= 6
    assert sum(len(c.runs) for c in before.cases) < 6 * 3  # killed mid-schedule

    resumed = benchbot("run", "--resume", before.run_id[:15], "--results", str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming run {before.run_id}" in resumed.stderr
    after = load_run(path)
    assert list(tmp_path.glob("*.json")) == [path]  # the same record, no new file
    assert after.status == "complete" and len(after.cases) == 6
    assert len({c.id for c in after.cases}) == 6
    assert {c.id for c in after.cases} == {p.id for p in after.plan}
    kept = {c.id: c for c in after.cases}
    for case in before.cases:  # what was measured before is kept, and continued
        assert kept[case.id].started_at == case.started_at
        assert kept[case.id].runs[:len(case.runs)] == case.runs
    assert all(len(c.runs) >= 3 for c in after.cases)  # every case got its processes
    again = benchbot("run", "--resume", before.run_id, "--results", str(tmp_path))
    assert again.returncode == 0 and "0 cases missing or failed" in again.stderr


def test_resume_of_an_unknown_run(tmp_path: Path) -> None:
    proc = benchbot("run", "--resume", "nope", "--results", str(tmp_path))
    assert proc.returncode == 2 and "no run with id 'nope'" in proc.stderr
