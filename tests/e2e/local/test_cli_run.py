"""`benchbot run` end to end: the real console entry point, real agent processes, real models."""

from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchbot.errors import UserError
from benchbot.store import load_run
from tests.conftest import FAST, benchbot

STAT_KEYS = {"n", "mean_ms", "median_ms", "p90_ms", "p99_ms", "std_ms", "min_ms", "max_ms",
             "mad_ms", "ci95_low_ms", "ci95_high_ms", "processes", "between_cv", "within_cv",
             "within_ci95_low_ms", "within_ci95_high_ms", "between_runs_sd", "between_runs_from"}


def only_run(results: Path):
    files = sorted(results.glob("*.json"))
    assert len(files) == 1, files
    return load_run(files[0])


def test_run_prints_a_grid_and_saves_every_case(models: dict[str, Path], tmp_path: Path) -> None:
    onnx, tflite = models["tiny_conv.onnx"], models["tiny_fc.tflite"]
    proc = benchbot("run", "--model", f"{onnx},{tflite}", "--threads", "1,2",
                    "--results", str(tmp_path), *FAST)
    assert proc.returncode == 0, proc.stderr
    # the unit reads best for what was measured: µs when every cell is under 0.1 ms
    assert re.search(r"Latency \(median, (ms|µs)\), 1 thread, batch 1, FP32", proc.stdout)
    assert re.search(r"Latency \(median, (ms|µs)\), 2 threads, batch 1, FP32", proc.stdout)
    assert "| Model | local |" in proc.stdout
    assert "| tiny_conv | " in proc.stdout and "| tiny_fc | " in proc.stdout
    assert "case" in proc.stderr and "4 of 4 cases ok" in proc.stderr  # chatter on stderr

    record = only_run(tmp_path)
    assert record.status == "complete" and record.ended_at and record.planned_cases == 4
    assert {(c.model_name, c.threads) for c in record.cases} == {
        ("tiny_conv", 1), ("tiny_conv", 2), ("tiny_fc", 1), ("tiny_fc", 2)}
    assert set(record.runtime_versions) == {"onnxruntime", "litert"}
    assert record.host.cores and record.devices["local"].transport == "local"
    doc = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert doc["schema_version"] == 3 and doc["command"]
    for case in doc["cases"]:
        assert case["status"] == "ok" and case["error"] is None
        assert set(case["stats"]) == STAT_KEYS
        assert case["stats"]["n"] == len(case["samples_ms"]) >= 3
        assert len(case["model_sha256"]) == 64 and case["model_size_mb"] > 0
        assert case["stats"]["ci95_low_ms"] <= case["stats"]["median_ms"] <= \
            case["stats"]["ci95_high_ms"]


def test_json_output_is_the_run_document(models: dict[str, Path], tmp_path: Path) -> None:
    proc = benchbot("run", "-m", str(models["tiny_matmul.onnx"]), "--batch", "1,3", "--json",
                    "--results", str(tmp_path), *FAST)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [c["batch"] for c in doc["cases"]] == [1, 3]
    assert doc["cases"][1]["runs"][0]["inputs"][0]["shape"] == [3, 64]
    assert doc == json.loads(next(tmp_path.glob("*.json")).read_text())


def test_dry_run_prints_the_plan_and_measures_nothing(models: dict[str, Path],
                                                      tmp_path: Path) -> None:
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "-t", "1,4", "-b", "1,2,8",
                    "--dry-run", "--json", "--results", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert len(plan["cases"]) == 6 and len({c["id"] for c in plan["cases"]}) == 6
    assert not (tmp_path / "r").exists()
    again = json.loads(benchbot("run", "-m", str(models["tiny_conv.onnx"]), "-t", "1,4", "-b",
                                "1,2,8", "--dry-run", "--json").stdout)
    assert [c["id"] for c in again["cases"]] == [c["id"] for c in plan["cases"]]  # stable ids
    text = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--dry-run").stdout
    assert "1 cases" in text and "| Case id |" in text


def test_a_failing_case_is_recorded_and_the_sweep_goes_on(models: dict[str, Path],
                                                          tmp_path: Path) -> None:
    proc = benchbot("run", "-m", str(models["tiny_reshape_fixed.onnx"]), "-b", "4,1",
                    "--results", str(tmp_path), *FAST)
    assert proc.returncode == 1
    record = only_run(tmp_path)
    failed, ok = record.cases
    assert failed.status == "failed" and "batch 4" in failed.error and failed.stats is None
    assert ok.status == "ok" and ok.batch == 1
    # batch 1 is ok but not valid (one process): marked †, explained by code; batch 4
    # failed: its numbered footnote
    assert "- [1]" in proc.stdout and "[1] tiny_reshape_fixed, local" in proc.stdout
    assert "† few_processes:" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_an_unavailable_precision_is_a_failed_case(models: dict[str, Path], tmp_path: Path) -> None:
    """TFLite variants are separate exports: with no tiny_fc_fp16.tflite there is no fp16."""
    proc = benchbot("run", "-m", str(models["tiny_fc.tflite"]), "--precision", "fp32,fp16",
                    "--results", str(tmp_path), *FAST)
    assert proc.returncode == 1
    by_precision = {c.precision: c for c in only_run(tmp_path).cases}
    assert by_precision["fp32"].status == "ok"
    assert by_precision["fp16"].status == "failed" and by_precision["fp16"].stats is None
    assert "tiny_fc_fp16.tflite" in by_precision["fp16"].error


def test_a_case_past_its_time_limit_fails(models: dict[str, Path], tmp_path: Path) -> None:
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--warmup", "1",
                    "--min-runs", "1", "--max-runs", "100000000", "--min-time", "30", "--max-time", "60",
                    "--case-timeout", "2", "--results", str(tmp_path))
    assert proc.returncode == 1
    case, = only_run(tmp_path).cases
    assert case.status == "failed" and "time limit" in case.error


def test_sweep_file_and_options_override_it(models: dict[str, Path], tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f"""
devices = ["local"]
models = ["{models['tiny_conv.onnx'].name}"]
threads = [1]
batch = [1, 2]
[measure]
warmup = 1
min_runs = 3
min_time = 0.0
max_time = 2.0
""")
    (tmp_path / models["tiny_conv.onnx"].name).write_bytes(models["tiny_conv.onnx"].read_bytes())
    proc = benchbot("run", "--config", str(sweep), "--results", str(tmp_path / "a"))
    assert proc.returncode == 0, proc.stderr
    assert [c.batch for c in only_run(tmp_path / "a").cases] == [1, 2]
    assert only_run(tmp_path / "a").settings.min_runs == 3
    proc = benchbot("run", "--config", str(sweep), "--batch", "3", "--results", str(tmp_path / "b"))
    assert proc.returncode == 0, proc.stderr
    assert [c.batch for c in only_run(tmp_path / "b").cases] == [3]


def _wait_for_cases(results: Path, count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for f in results.glob("*.json"):
            try:
                if len(load_run(f).cases) >= count:
                    return
            except (UserError, OSError):
                pytest.fail(f"{f} was not valid JSON while the run wrote it")
        time.sleep(0.05)
    pytest.fail(f"no {count} finished cases within {timeout}s")


def _start_long_run(models: dict[str, Path], results: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchbot", "run", "-m", str(models["tiny_conv.onnx"]),
         "-t", "1,2", "-b", "1,2,3,4", "--warmup", "1", "--min-runs", "3", "--min-time", "0.5",
         "--max-time", "1", "--results", str(results)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1"})


def test_kill_9_mid_sweep_leaves_a_valid_results_file(models: dict[str, Path],
                                                      tmp_path: Path) -> None:
    proc = _start_long_run(models, tmp_path)
    try:
        _wait_for_cases(tmp_path, 2)
    finally:
        proc.kill()  # SIGKILL: no handler runs
        proc.communicate(timeout=30)
    record = only_run(tmp_path)  # parses and validates
    assert record.status == "running" and record.planned_cases == 8
    assert 2 <= len(record.cases) < 8
    assert all(c.status == "ok" and c.stats for c in record.cases)
    assert not list(tmp_path.glob(".*.tmp"))


def test_ctrl_c_saves_the_run_as_interrupted(models: dict[str, Path], tmp_path: Path) -> None:
    proc = _start_long_run(models, tmp_path)
    _wait_for_cases(tmp_path, 1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    record = only_run(tmp_path)
    assert record.status == "interrupted" and 1 <= len(record.cases) < 8


def test_zoo_reference_is_exported_once_and_measured(tmp_path: Path) -> None:
    zoo_dir = tmp_path / "zoo"
    args = ("run", "-m", "zoo:mobilenet_v3_small", "--zoo-dir", str(zoo_dir), "-b", "2",
            "--results", str(tmp_path / "r"), *FAST)
    proc = benchbot(*args)
    assert proc.returncode == 0, proc.stderr
    exported = zoo_dir / "mobilenet_v3_small.onnx"
    case, = only_run(tmp_path / "r").cases
    assert case.model == str(exported) and case.status == "ok"
    assert case.inputs[0].shape == (2, 3, 224, 224)
    mtime = exported.stat().st_mtime_ns
    assert benchbot(*args).returncode == 0
    assert exported.stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_a_min_time_given_without_max_runs_is_a_time_to_measure_for(
        models: dict[str, Path], tmp_path: Path) -> None:
    """The 10,000-run default cap is for microsecond models left to the defaults; a user's
    --min-time wins over it (and an explicit --max-runs still caps)."""
    from benchbot.store.settings import NO_RUN_CAP

    timed = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--warmup", "1",
                     "--min-runs", "3", "--min-time", "0.4", "--max-time", "30", "--repeat", "1",
                     "--results", str(tmp_path / "a"))
    assert timed.returncode == 0, timed.stderr
    record = only_run(tmp_path / "a")
    assert record.settings.max_runs == NO_RUN_CAP  # what the agent was given
    (run,) = record.cases[0].runs
    assert run.stop_reason == "min_runs_and_time"  # it stopped for the time, not a cap
    capped = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--warmup", "1",
                      "--min-runs", "3", "--max-runs", "50", "--min-time", "30",
                      "--max-time", "60", "--repeat", "1", "--results", str(tmp_path / "b"))
    assert capped.returncode == 0, capped.stderr
    (run,) = only_run(tmp_path / "b").cases[0].runs
    assert run.stop_reason == "max_runs" and len(run.samples_ms) == 50
