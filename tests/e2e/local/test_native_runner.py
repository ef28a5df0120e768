"""Native tool runners end to end on the local device, through the real CLI.

The stand-in tools (tests/standin.py) speak one dialect each, exactly as the tool's
source defines it: they answer ``--help`` with their usage (benchbot learns the dialect
from it), warn or fail on a flag they do not define as the real tool does, echo their
parameters in the tool's words, then replay a real captured log (tests/data/tool_logs,
source noted beside it). So the push, probe, argv, pinning, verification, parsing and
recording path runs for real; the figures are the captured tool's.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchbot.runners.native import tool
from tests.conftest import FAST, benchbot
from tests.support.standin import recorded, write_standin

LOGS = Path(__file__).resolve().parents[2] / "data" / "tool_logs"
OK_LOG = LOGS / "tflite_benchmark_model" / "tf1x_issue77_android_arm64_squeezenet_nnapi_error_line.txt"
FAIL_LOG = LOGS / "onnxruntime_perf_test" / "ort_2019-12_issue2762_no_test_input_fail.txt"
ORT_LOG = LOGS / "onnxruntime_perf_test" / "ort_2020-01_pr2798_trt7_windows_debug_nospace.txt"
TRT7_LOG = LOGS / "trtexec" / "trt7x_jetson_caffe_resnet50_int8_hostlatency.txt"
TRT5_LOG = LOGS / "trtexec" / "trt5_retinanet_issue118_xavier_average_over.txt"


def run(tmp_path: Path, model: Path, runner: str, binary: Path, *args: str):
    return benchbot("run", "-m", str(model), "--runner", runner, "--runner-bin", str(binary),
                    "--json", "--results", str(tmp_path / "r"), *FAST, *args)


def only_case(proc) -> dict:
    case, = json.loads(proc.stdout)["cases"]
    return case


def test_benchmark_model_stand_in(models: dict[str, Path], tmp_path: Path) -> None:
    record = tmp_path / "args.jsonl"
    tool_bin = write_standin(tmp_path / "tool", "tflite_benchmark_model", "classic", OK_LOG,
                             record=record)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "phone.toml").write_text(
        'name = "phone"\nlabel = "Phone"\ntransport = "local"\n'
        '[cpu]\nmasks = { 1 = "1" }\n[runner]\nkind = "tflite_benchmark_model"\n')
    proc = benchbot("run", "-d", "phone", "-m", str(models["tiny_fc.tflite"]), "-b", "2",
                    "--runner-bin", str(tool_bin), "--profiles", str(tmp_path / "p"), "--json",
                    "--results", str(tmp_path / "r"), *FAST)
    assert proc.returncode == 0, proc.stderr
    case = only_case(proc)
    assert case["runner"] == "tflite_benchmark_model" and case["stats_source"] == "aggregates"
    assert case["samples_ms"] == []  # the tool gave none; none are invented
    assert case["stats"]["n"] == 10 and case["stats"]["mean_ms"] == 420.334
    assert case["stats"]["median_ms"] is None and case["stats"]["std_ms"] == 156.392
    probe, flags = recorded(record)  # the usage once, then the case
    assert probe == ["--help"]
    assert f"--graph={models['tiny_fc.tflite'].resolve()}" in flags
    assert "--num_threads=1" in flags and "--input_layer=input" in flags
    assert "--input_layer_shape=2,64" in flags and "--warmup_min_secs=0" in flags
    extras = case["runs"][0]["extras"]
    assert extras["argv"][:2] == ["taskset", "1"]  # the profile's mask
    assert extras["dialect"] == "classic" and len(extras["binary_sha256"]) == 64
    log = tmp_path / "r" / case["runs"][0]["log_file"]  # the tool's whole output, kept
    assert "Num threads: [1]" in log.read_text() and "Input shapes: [2,64]" in log.read_text()
    again = benchbot("parse", "tflite_benchmark_model", str(log), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["mean_ms"] == 420.334
    report = benchbot("report", "--results", str(tmp_path / "r"), "--layout", "devices")
    assert "| Model | Phone |" in report.stdout and "420.3† [1]" in report.stdout
    assert "reports no median; the mean is shown" in report.stdout


def test_batch_through_the_compiled_model_tool_is_refused_never_measured(
        models: dict[str, Path], tmp_path: Path) -> None:
    """LiteRT's CompiledModel benchmark_model (what --runner-bin auto fetches) cannot resize
    inputs: batch 4 of a batch-1 .tflite is refused, and the tool never runs the case."""
    record = tmp_path / "args.jsonl"
    bm = write_standin(tmp_path / "benchmark_model", "tflite_benchmark_model",
                       "compiled_model", OK_LOG, record=record)
    proc = run(tmp_path, models["tiny_fc.tflite"], "tflite_benchmark_model", bm, "-b", "1,4")
    assert proc.returncode == 1, proc.stderr
    ok, four = json.loads(proc.stdout)["cases"]
    assert ok["status"] == "ok" and ok["runs"][0]["extras"]["dialect"] == "compiled_model"
    assert "--use_cpu=true" in ok["runs"][0]["extras"]["argv"]
    assert four["status"] == "failed" and four["failure"]["kind"] == "bad_input"
    assert "cannot resize inputs: batch 4" in four["error"]
    assert recorded(record)[0] == ["--help"] and len(recorded(record)) == 2  # probe, batch 1
    # now its dialect is known (cached with its sha256): refused at plan time, exit 2
    again = run(tmp_path / "again", models["tiny_fc.tflite"], "tflite_benchmark_model", bm,
                "-b", "4")
    assert again.returncode == 2 and "cannot resize inputs: batch 4" in again.stderr
    assert len(recorded(record)) == 2
    # --runner-bin auto fetches that tool: known before anything is downloaded
    auto = benchbot("run", "-m", str(models["tiny_fc.tflite"]), "--runner",
                    "tflite_benchmark_model", "--runner-bin", "auto", "-b", "4",
                    "--results", str(tmp_path / "r2"), *FAST,
                    env={"BENCHBOT_TOOLS_URL": "http://127.0.0.1:9/unreachable"})
    assert auto.returncode == 2 and "LiteRT CompiledModel benchmark_model" in auto.stderr


def test_a_flag_the_build_lacks_fails_the_case_quoting_the_tool(models: dict[str, Path],
                                                               tmp_path: Path) -> None:
    """BenchmarkModel only warns on a flag it does not define and runs with its defaults;
    benchbot fails the case (tool_error) with the tool's own line."""
    bm = write_standin(tmp_path / "benchmark_model", "tflite_benchmark_model", "classic",
                       OK_LOG, without=("--warmup_min_secs",))
    proc = run(tmp_path, models["tiny_fc.tflite"], "tflite_benchmark_model", bm)
    case = only_case(proc)
    assert proc.returncode == 1 and case["failure"]["kind"] == "tool_error"
    assert case["error"].endswith("Unconsumed cmdline flags: --warmup_min_secs=0")


def test_a_setting_the_tool_did_not_apply_fails_the_case(models: dict[str, Path],
                                                        tmp_path: Path) -> None:
    """A build that runs 1 thread whatever it is told: its echo says so, the case fails."""
    bm = write_standin(tmp_path / "benchmark_model", "tflite_benchmark_model", "classic",
                       OK_LOG, runs_with={"--num_threads": "1"})
    proc = run(tmp_path, models["tiny_fc.tflite"], "tflite_benchmark_model", bm, "-t", "2")
    case = only_case(proc)
    assert proc.returncode == 1 and case["failure"]["kind"] == "tool_error"
    assert "ran with num threads 1, not the 2 it was given" in case["error"]


def test_an_unknown_build_is_one_line_naming_what_was_expected(models: dict[str, Path],
                                                              tmp_path: Path) -> None:
    bm = tmp_path / "benchmark_model"
    bm.write_text(f"#!/bin/sh\ncat '{OK_LOG}'\n")  # no usage: not a build benchbot knows
    bm.chmod(0o755)
    proc = run(tmp_path, models["tiny_fc.tflite"], "tflite_benchmark_model", bm)
    case = only_case(proc)
    assert proc.returncode == 1 and case["failure"]["kind"] == "tool_error"
    assert "is no tflite_benchmark_model build benchbot knows" in case["error"]
    assert "expected one of: TFLite classic benchmark_model" in case["error"]
    assert "\n" not in case["error"]


def test_a_failed_tool_run_is_a_failed_case_with_the_tools_words(models: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    ort = write_standin(tmp_path / "ort", "onnxruntime_perf_test", "getopt", FAIL_LOG,
                        exit_code=1)
    proc = run(tmp_path, models["tiny_conv.onnx"], "onnxruntime_perf_test", ort)
    assert proc.returncode == 1
    case = only_case(proc)
    assert case["status"] == "failed" and case["error"].startswith("onnxruntime_perf_test: ")
    assert "test input" in case["error"].lower() or "input" in case["error"].lower()


def test_perf_test_dialect_and_threads_are_confirmed(models: dict[str, Path],
                                                    tmp_path: Path) -> None:
    ort = write_standin(tmp_path / "ort", "onnxruntime_perf_test", "abseil", ORT_LOG)
    proc = run(tmp_path, models["tiny_conv.onnx"], "onnxruntime_perf_test", ort)
    assert proc.returncode == 0, proc.stderr
    assert only_case(proc)["runs"][0]["extras"]["dialect"] == "abseil"


def test_trtexec_dialects(models: dict[str, Path], tmp_path: Path) -> None:
    """TensorRT 11 has no --fp16: refused, never labelled fp16; TensorRT 5 gets no --warmUp."""
    trt11 = write_standin(tmp_path / "trtexec11", "trtexec", "11", TRT7_LOG)
    proc = run(tmp_path, models["tiny_conv.onnx"], "trtexec", trt11, "--backend", "tensorrt",
               "--precision", "fp16")
    case = only_case(proc)
    assert proc.returncode == 1 and case["failure"]["kind"] == "bad_input"
    assert "trtexec of TensorRT 11 has no fp16 flag" in case["error"]
    record = tmp_path / "trt5.jsonl"
    trt5 = write_standin(tmp_path / "trtexec5", "trtexec", "5", TRT5_LOG, record=record)
    proc = run(tmp_path / "5", models["tiny_conv.onnx"], "trtexec", trt5, "--backend",
               "tensorrt")
    assert proc.returncode == 0, proc.stderr
    argv = recorded(record)[-1]
    assert "--batch=1" in argv and not any(a.startswith(("--warmUp", "--duration"))
                                           for a in argv)


def test_settings_no_dialect_can_apply_are_refused_at_plan_time(models: dict[str, Path],
                                                               tmp_path: Path) -> None:
    """One line, exit 2, nothing measured: the tool cannot apply the label."""
    record = tmp_path / "args.jsonl"
    trt = write_standin(tmp_path / "trtexec", "trtexec", "7-10", TRT7_LOG, record=record)
    refused = run(tmp_path, models["tiny_conv.onnx"], "trtexec", trt, "--backend", "cuda")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "cannot run backend 'cuda' (it runs tensorrt)" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    threads = run(tmp_path, models["tiny_conv.onnx"], "trtexec", trt, "--backend", "tensorrt",
                  "-t", "2")
    assert threads.returncode == 2 and "a CPU thread count does not apply" in threads.stderr
    assert not record.exists()  # the tool never ran
    ort = write_standin(tmp_path / "ort", "onnxruntime_perf_test", "getopt", ORT_LOG)
    model = tmp_path / "m.nb"
    model.write_bytes(b"an opt-converted Paddle Lite model stands here")
    bb = tmp_path / "benchmark_bin"
    fp16 = run(tmp_path, model, "paddle_lite", bb, "--precision", "fp16",
               "--input-shape", "1,3,8,8")
    assert fp16.returncode == 2 and "cannot be applied to a .nb" in fp16.stderr
    no_shape = run(tmp_path, model, "paddle_lite", bb)
    assert no_shape.returncode == 2 and "--input-shape" in no_shape.stderr
    wrong = run(tmp_path, models["tiny_conv.onnx"], "tflite_benchmark_model", ort)
    assert wrong.returncode == 2 and "does not run .onnx models" in wrong.stderr


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
    assert not tool("trtexec").dialect("11").makes_precision("tensorrt", "fp16")
