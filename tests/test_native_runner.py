"""Native tool runners end to end on the local device, through the real CLI.

The stand-in tool is a shell script that records the flags benchbot gave it and
prints a real captured benchmark_model log (tests/data/tool_logs, source noted
beside it), so the push, argv, pinning, parsing and recording path runs for real.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from benchbot.runners.native import tool
from tests.conftest import FAST, benchbot

LOGS = Path(__file__).parent / "data" / "tool_logs"
OK_LOG = LOGS / "tflite_benchmark_model" / "tf1x_issue77_android_arm64_squeezenet_nnapi_error_line.txt"
FAIL_LOG = LOGS / "onnxruntime_perf_test" / "ort_2019-12_issue2762_no_test_input_fail.txt"


def stand_in(tmp_path: Path, log: Path, exit_code: int = 0) -> tuple[Path, Path]:
    args = tmp_path / "args.txt"
    tool = tmp_path / "tool"
    tool.write_text(f"#!/bin/sh\necho \"$@\" > {shlex.quote(str(args))}\n"
                    f"cat {shlex.quote(str(log))}\nexit {exit_code}\n")
    tool.chmod(0o755)
    return tool, args


def test_benchmark_model_stand_in(models: dict[str, Path], tmp_path: Path) -> None:
    tool, args = stand_in(tmp_path, OK_LOG)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "phone.toml").write_text(
        'name = "phone"\nlabel = "Phone"\ntransport = "local"\n'
        '[cpu]\nmasks = { 1 = "1" }\n[runner]\nkind = "tflite_benchmark_model"\n')
    proc = benchbot("run", "-d", "phone", "-m", str(models["tiny_fc.tflite"]), "-b", "2",
                    "--runner-bin", str(tool), "--profiles", str(tmp_path / "p"), "--json",
                    "--results", str(tmp_path / "r"), *FAST)
    assert proc.returncode == 0, proc.stderr
    case, = json.loads(proc.stdout)["cases"]
    assert case["runner"] == "tflite_benchmark_model" and case["stats_source"] == "aggregates"
    assert case["samples_ms"] == []  # the tool gave none; none are invented
    assert case["stats"]["n"] == 10 and case["stats"]["mean_ms"] == 420.334
    assert case["stats"]["median_ms"] is None and case["stats"]["std_ms"] == 156.392
    flags = args.read_text().split()
    assert f"--graph={models['tiny_fc.tflite'].resolve()}" in flags
    assert "--num_threads=1" in flags and "--input_layer=input" in flags
    assert "--input_layer_shape=2,64" in flags
    assert case["runs"][0]["extras"]["argv"][:2] == ["taskset", "1"]  # the profile's mask
    log = tmp_path / "r" / case["runs"][0]["log_file"]  # the tool's whole output, kept
    assert log.read_text() .startswith(OK_LOG.read_text().splitlines()[0])
    again = benchbot("parse", "tflite_benchmark_model", str(log), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["mean_ms"] == 420.334
    report = benchbot("report", "--results", str(tmp_path / "r"), "--layout", "devices")
    assert "| Model | Phone |" in report.stdout and "420.3† [1]" in report.stdout
    assert "reports no median; the mean is shown" in report.stdout


def test_a_failed_tool_run_is_a_failed_case_with_the_tools_words(models: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    tool, _ = stand_in(tmp_path, FAIL_LOG, exit_code=1)
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--runner",
                    "onnxruntime_perf_test", "--runner-bin", str(tool), "--json",
                    "--results", str(tmp_path / "r"), *FAST)
    assert proc.returncode == 1
    case, = json.loads(proc.stdout)["cases"]
    assert case["status"] == "failed" and case["error"].startswith("onnxruntime_perf_test: ")
    assert "test input" in case["error"].lower() or "input" in case["error"].lower()


def test_runner_and_model_format_must_agree(models: dict[str, Path], tmp_path: Path) -> None:
    tool, _ = stand_in(tmp_path, OK_LOG)
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--runner",
                    "tflite_benchmark_model", "--runner-bin", str(tool), "--json",
                    "--results", str(tmp_path / "r"), *FAST)
    case, = json.loads(proc.stdout)["cases"]
    assert proc.returncode == 1 and "does not run .onnx models" in case["error"]


def test_native_runner_needs_its_binary(models: dict[str, Path]) -> None:
    proc = benchbot("run", "-m", str(models["tiny_fc.tflite"]), "--runner",
                    "tflite_benchmark_model")
    assert proc.returncode == 2 and "--runner-bin" in proc.stderr


def precision_applies(kind: str, backend: str, precision: str) -> bool:
    return tool(kind).dialect().makes_precision(backend, precision)


def test_which_precisions_a_tool_can_make() -> None:
    assert precision_applies("tflite_benchmark_model", "gpu", "fp16")
    assert not precision_applies("tflite_benchmark_model", "cpu", "fp16")
    assert precision_applies("trtexec", "tensorrt", "int8")
    assert precision_applies("onnxruntime_perf_test", "tensorrt", "fp16")
    assert not precision_applies("onnxruntime_perf_test", "cuda", "fp16")
