"""Exit codes are decided in one place (`cli/main.py`, from each command's Outcome), and
every command keeps them through a closed pipe and under signals at any moment."""

from __future__ import annotations

import ast
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchbot.cli.outcome import Outcome, exit_code
from tests.conftest import REPO, cli
from tests.support.nights import five_steady_nights_then_a_change

SLOWER_NIGHT = ("compare", "20250305T020000Z-000005", "latest")
STEADY_NIGHTS = ("compare", "20250304T020000Z-000004", "20250305T020000Z-000005")


# --- the table ---------------------------------------------------------------------------


@pytest.mark.parametrize("outcome, code", [
    (None, 0), (Outcome(), 0),
    (Outcome.of(regressions=2), 1),
    (Outcome.of(failures=["runtime_error"]), 1), (Outcome.of(failures=["tool_error"]), 1),
    (Outcome.of(failures=[None]), 1),
    (Outcome.of(failures=["device_lost"]), 3), (Outcome.of(failures=["device_unavailable"]), 3),
    (Outcome.of(failures=["runtime_error", "device_lost"]), 3),
    (Outcome.of(regressions=1, failures=["device_lost"]), 1),  # the finding outranks the lost device
    (Outcome(interrupted_by=signal.SIGINT), 130), (Outcome(interrupted_by=signal.SIGTERM), 143),
    (Outcome(regressions=1, interrupted_by=signal.SIGTERM), 143),
])
def test_each_outcome_has_its_documented_code(outcome: Outcome | None, code: int) -> None:
    assert exit_code(outcome) == code


def test_no_command_decides_an_exit_code_itself() -> None:
    """Only cli/main.py exits (and the agent, a process of its own on the device)."""
    offenders = []
    for path in (REPO / "benchbot").rglob("*.py"):
        if path.relative_to(REPO).as_posix() in ("benchbot/cli/main.py", "benchbot/agent.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and (
                    (node.attr == "Exit" and getattr(node.value, "id", "") == "typer")
                    or (node.attr in ("exit", "_exit") and getattr(node.value, "id", "") in
                        ("sys", "os"))):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
            if isinstance(node, ast.Name) and node.id == "SystemExit":
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offenders, offenders


def test_the_readme_table_is_the_one_main_applies() -> None:
    readme = (REPO / "README.md").read_text()
    for code in (0, 1, 2, 3, 130, 143):
        assert f"| {code} |" in readme, code
    assert "regression outranks" in readme and "| head" in readme


# --- every command through its outcomes ---------------------------------------------------


def test_compare_exits_with_what_it_found(tmp_path: Path) -> None:
    results = five_steady_nights_then_a_change(tmp_path / "results")
    assert cli(*SLOWER_NIGHT, "--results", str(results))[0] == 1
    assert cli(*STEADY_NIGHTS, "--results", str(results))[0] == 0
    assert cli("compare", "nope", "latest", "--results", str(results))[0] == 2


def _run_in(folder: Path, *args: str, stdout: int | None = subprocess.PIPE,
            preexec=None, env: dict[str, str] | None = None  # type: ignore[no-untyped-def]
            ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "benchbot", *args], cwd=folder,
                            stdout=stdout, stderr=subprocess.PIPE, text=True,
                            preexec_fn=preexec,
                            env={**os.environ, "NO_COLOR": "1", **(env or {})})


def _closed_pipe_run(folder: Path, *args: str) -> tuple[int, str]:
    """``benchbot ARGS | head -0``, made certain: stdout is a pipe whose reader is gone
    before benchbot starts, so its first write finds no reader."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = _run_in(folder, *args, stdout=write_end)
    finally:
        os.close(write_end)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_a_closed_stdout_is_not_a_regression_nor_an_error(tmp_path: Path) -> None:
    results = five_steady_nights_then_a_change(tmp_path / "results")
    for args, code in ((SLOWER_NIGHT, 1), (STEADY_NIGHTS, 0), (("report",), 0),
                       (("--help",), 0)):
        got, err = _closed_pipe_run(tmp_path, *args, "--results", str(results)) \
            if args != ("--help",) else _closed_pipe_run(tmp_path, *args)
        assert got == code, (args, err)
        assert "Traceback" not in err and "Exception ignored" not in err, (args, err)
        assert "error" not in err, (args, err)


def test_devices_without_an_adb_server_is_the_infrastructure(tmp_path: Path) -> None:
    proc = _run_in(tmp_path, "devices", "--adb-server", "127.0.0.1:1")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert len(err.strip().splitlines()) == 1 and "start it on that host with:" in err


def test_a_failed_case_makes_run_ab_and_nightly_exit_1(models: dict[str, Path],
                                                       tmp_path: Path) -> None:
    fixed = str(models["tiny_reshape_fixed.onnx"])  # its Reshape hard-codes batch 1
    quick = ("--warmup", "1", "--min-runs", "3", "--min-time", "0", "--max-time", "2")
    code, _, err = cli("run", "-m", fixed, "-b", "4", "--repeat", "1", *quick,
                       "--results", str(tmp_path / "run"))
    assert code == 1, err
    code, _, err = cli("ab", fixed, fixed, "-b", "4", "--repeat", "2", *quick,
                       "--results", str(tmp_path / "ab"))
    assert code == 1, err
    night = tmp_path / "nightly.toml"
    night.write_text(f'devices = ["local"]\nmodels = ["{fixed}"]\nbatch = [4]\n'
                     '[measure]\nwarmup = 1\nmin_runs = 3\nmin_time = 0.0\nmax_time = 2.0\n'
                     'repeat = 1\n')
    code, _, err = cli("nightly", "--config", str(night), "--results", str(tmp_path / "n"))
    assert code == 1, err


# --- signals at any moment: one line, 130 or 143 ----------------------------------------


def _blocked(*signums: int):  # type: ignore[no-untyped-def]
    """A child's pre-exec step: these signals stay pending until benchbot unblocks them,
    which it does first thing: a signal sent at once is taken at benchbot's first moment."""
    return lambda: signal.pthread_sigmask(signal.SIG_BLOCK, set(signums))


@pytest.mark.parametrize("signum, code, word", [(signal.SIGTERM, 143, "terminated"),
                                                (signal.SIGINT, 130, "interrupted")])
@pytest.mark.parametrize("command", ["run", "report"])
def test_a_signal_at_the_first_moment(models: dict[str, Path], tmp_path: Path, command: str,
                                      signum: int, code: int, word: str) -> None:
    args = (("run", "-m", str(models["tiny_conv.onnx"]), "--results", str(tmp_path / "r"))
            if command == "run" else ("report", "--results", str(tmp_path)))
    proc = _run_in(tmp_path, *args, preexec=_blocked(signal.SIGINT, signal.SIGTERM))
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert len(err.strip().splitlines()) == 1 and word in err, err
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").glob("*.json"))


def _start_and_stop_when_timing(folder: Path, events: Path, *args: str) -> tuple[int, str]:
    """Start ``benchbot ARGS``, send SIGTERM once its agent times (an event), return
    (exit code, stderr)."""
    proc = _run_in(folder, *args, env={"BENCHBOT_AGENT_EVENTS": str(events)})
    deadline = time.monotonic() + 120
    while proc.poll() is None and "timing" not in (events.read_text() if events.exists()
                                                   else ""):
        assert time.monotonic() < deadline, "the agent never started timing"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def test_sigterm_while_the_agent_times_says_one_true_line_that_works_as_printed(
        models: dict[str, Path], tmp_path: Path) -> None:
    results = tmp_path / "elsewhere"  # not the default folder: the hint must name it
    code, err = _start_and_stop_when_timing(
        tmp_path, tmp_path / "events-1", "run", "-m", str(models["tiny_conv.onnx"]),
        "-b", "1,2", "--warmup", "1", "--min-runs", "3", "--min-time", "600",
        "--max-time", "900", "--case-timeout", "1200", "--repeat", "1",
        "--results", str(results))
    assert code == 143, err
    said = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(said) == 1 and "Traceback" not in err, err
    assert "no finished case yet" in said[0], said  # the true thing: nothing finished
    command = said[0].split("finish it with: ", 1)[1]
    words = shlex.split(command)
    assert words[:3] == ["benchbot", "run", "--resume"] and "--results" in words
    # as printed, from the same folder: it finds the run and measures again (stopped alike)
    code, err = _start_and_stop_when_timing(tmp_path, tmp_path / "events-2", *words[1:])
    assert code == 143 and "resuming run" in err and "2 cases missing" in err, err
