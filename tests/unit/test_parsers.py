"""Native tools: parsers on golden files of real tool output, argv builders, `benchbot parse`.

Golden files come from two places: the shared reference set
(../shared/reference/tool_outputs beside the repository, through tests/shared.py,
read in place, skipped when absent) and
the logs collected for this repository (tests/data/tool_logs/<tool>/, each
with a NAME.src.txt naming its source and figures). The expected figures below
are hand-transcribed from those .src.txt files (microseconds and seconds
converted to ms). Tests built from edited logs are marked SYNTHETIC.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from benchbot.cli.parse import parse_command
from benchbot.errors import ConfigError, ParseFailed, UserError
from benchbot.runners import native
from benchbot.runners.native import (TOOLS, NativeResult, onnxruntime_perf_test, paddle_lite,
                                     tflite_benchmark_model, trtexec)
from benchbot.runners.native.result import NO_TIMINGS
from benchbot.sweep import MeasureSettings
from tests.support.shared import reference

REFERENCE = reference("tool_outputs")
COLLECTED = Path(__file__).resolve().parents[1] / "data" / "tool_logs"
SHARED_FOLDER = {"tflite_benchmark_model": "tflite_benchmark_model",
                 "onnxruntime_perf_test": "ort_perf_test", "paddle_lite": "paddle_lite",
                 "trtexec": "trtexec"}
KEYS = ["status", "error", "count", "mean_ms", "median_ms", "p90_ms", "p95_ms", "p99_ms",
        "min_ms", "max_ms", "std_ms", "init_ms", "first_ms", "warmup_mean_ms", "peak_memory_mb",
        "throughput_qps"]
# Tool-specific fields, checked where a case states them (tests/test_native_words.py covers them).
EXTRA_KEYS = ["delegate", "delegated_nodes", "graph_nodes", "breakdown"]


def shared(tool: str, name: str) -> str:
    path = REFERENCE / SHARED_FOLDER[tool] / f"{name}.txt"
    if not path.is_file():
        pytest.skip(f"shared reference log not available: {path}")
    return path.read_text(encoding="utf-8")


def collected(tool: str, name: str) -> str:
    return (COLLECTED / tool / f"{name}.txt").read_text(encoding="utf-8")


def assert_figures(result: NativeResult, expected: dict[str, object]) -> None:
    """Every field: the expected value, or None where the log does not state it."""
    got = result.to_dict()
    assert list(got) == KEYS + EXTRA_KEYS
    want = {key: None for key in KEYS} | {"status": "ok"} | expected
    for key in KEYS + [k for k in EXTRA_KEYS if k in expected]:
        if isinstance(want[key], float):
            assert got[key] == pytest.approx(want[key], rel=1e-9), key
        else:
            assert got[key] == want[key], key


# --- shared reference logs: figures from each NAME.src.txt --------------------------------

TFLITE_SHARED = {
    "tf112_am57x_cpu_oldformat": dict(
        count=50, mean_ms=137.722, min_ms=137.079, max_ms=143.416, std_ms=0.896, init_ms=4.452,
        first_ms=146.161, warmup_mean_ms=146.161),  # first = the warm-up's only run
    "tf2019-11_zedboard_armv7_op_profiling_rawlog": dict(
        count=50, mean_ms=394.183, min_ms=389.982, max_ms=417.669, std_ms=4.373, init_ms=18.764,
        first_ms=393.5, warmup_mean_ms=395.037),
    "tf2020-06_x86_avx2_op_profiling_rawlog": dict(
        count=90, mean_ms=11.0404, min_ms=10.546, max_ms=12.261, std_ms=0.437, init_ms=0.243,
        first_ms=28.285, warmup_mean_ms=11.6103, peak_memory_mb=41.4102),
    "tf2025-07_qrb2210_cpu_xnnpack_default": dict(
        count=50, mean_ms=105.784, median_ms=105.718, p95_ms=106.281, min_ms=105.416,
        max_ms=106.528, std_ms=0.26, init_ms=87.639, first_ms=106.436, warmup_mean_ms=106.065,
        peak_memory_mb=14.8164),
    "tf2025-07_qrb2210_gpu_opencl": dict(
        count=50, mean_ms=115.246, median_ms=115.35, p95_ms=116.62, min_ms=111.842,
        max_ms=119.614, std_ms=1.329, init_ms=1361.236, first_ms=125.113,
        warmup_mean_ms=115.344, peak_memory_mb=132.816),
    "tf218_am62x_xnnpack_info_prefix": dict(
        count=50, mean_ms=602.943, min_ms=568.228, max_ms=722.188, std_ms=27.69, init_ms=592.232,
        first_ms=633.43, warmup_mean_ms=633.43, peak_memory_mb=149.531),
    "tf220_am62x_cpu_p5_median_p95": dict(
        count=50, mean_ms=1240.27, median_ms=1239.807, p95_ms=1247.415, min_ms=1238.588,
        max_ms=1252.566, std_ms=2.565, init_ms=5.579, first_ms=1357.602, warmup_mean_ms=1357.6,
        peak_memory_mb=109.832),
    "tf240_mi11_cpu_fp32_yolov5s": dict(
        count=50, mean_ms=249.684, min_ms=247.067, max_ms=254.474, std_ms=1.442, init_ms=16.242,
        first_ms=360.262, warmup_mean_ms=304.586, peak_memory_mb=138.809),
    "tf240_mi11_nnapi_qtigpu_fp32": dict(
        count=50, mean_ms=156.669, min_ms=149.738, max_ms=161.935, std_ms=2.352, init_ms=404.292,
        first_ms=188.086, warmup_mean_ms=175.313, peak_memory_mb=61.0078),
    "tf28_riscv_qemu_cpu_op_profiling": dict(
        count=50, mean_ms=2950.34, min_ms=2727.568, max_ms=3189.954, std_ms=109.798,
        init_ms=17.187, first_ms=3512.391, warmup_mean_ms=3512.39, peak_memory_mb=46.0859),
    "tf_cros_tast_cpu_xnnpack_peak_mem_selected": dict(
        count=1061, mean_ms=56.2658, min_ms=54.669, max_ms=60.236, std_ms=0.982, init_ms=3.337,
        first_ms=81.913, warmup_mean_ms=58.9847, peak_memory_mb=93.2383),
    "tf_cros_tast_gpu_opencl_peak_mem_selected": dict(
        count=1694, mean_ms=35.1349, min_ms=30.394, max_ms=42.335, std_ms=1.733, init_ms=842.225,
        first_ms=115.098, warmup_mean_ms=40.1998, peak_memory_mb=74.6641),
    # only the operator-profiling tables were pasted: their per-op sums are not the latency
    "tf240_mi11_nnapi_op_profiling": dict(status="failed", error=NO_TIMINGS),
    "tf240_mi11_nnapi_qtidefault_fail": dict(status="failed", error="\n".join([
        "ERROR: NN API returned error ANEURALNETWORKS_OP_FAILED at line 3779 while completing "
        "NNAPI compilation.",
        "ERROR: Node number 248 (TfLiteNnapiDelegate) failed to prepare.",
        "ERROR: Restored original execution plan after delegate application failure.",
        "Failed to apply NNAPI delegate.", "Benchmarking failed."])),
    "tf240_mi11_nnapi_qtidsp_fail": dict(status="failed", error="\n".join([
        "ERROR: NN API returned error ANEURALNETWORKS_BAD_DATA at line 1068 while adding "
        "operation.",
        "ERROR: Restored original execution plan after delegate application failure.",
        "Failed to apply NNAPI delegate.", "Benchmarking failed."])),
}

ORT_SHARED = {
    "ort1201_ti_sitara_acl_ep": dict(
        count=8, mean_ms=17.735, median_ms=16.7086, p90_ms=23.2702, p95_ms=23.2702,
        p99_ms=23.2702, min_ms=15.9831, max_ms=23.2702, init_ms=27.3071, first_ms=20.0,
        peak_memory_mb=35299328 / 2**20, throughput_qps=56.3415),
    "ort1232_ti_sitara_acl_ep": dict(
        count=8, mean_ms=15.7995, median_ms=15.6388, p90_ms=23.9688, p95_ms=23.9688,
        p99_ms=23.9688, min_ms=9.55697, max_ms=23.9688, init_ms=139.671, first_ms=15.0,
        peak_memory_mb=37994496 / 2**20, throughput_qps=63.232),
    "ort_spacemit201_k1_riscv_yolov8n": dict(
        count=10, mean_ms=82.3382, median_ms=82.6095, p90_ms=83.8817, p95_ms=83.8817,
        p99_ms=83.8817, min_ms=80.8129, max_ms=83.8817, init_ms=1144.76, first_ms=248.0,
        peak_memory_mb=78946304 / 2**20, throughput_qps=12.1435),
    "ort_spacemit_costtotal_label": dict(
        count=10, mean_ms=7.270205, median_ms=7.27787, p90_ms=7.30163, p95_ms=7.30163,
        p99_ms=7.30163, min_ms=7.20383, max_ms=7.30163, init_ms=169.475, first_ms=109.0,
        peak_memory_mb=91336704 / 2**20, throughput_qps=137.435),
}

PADDLE_SHARED = {
    "plite_2020_mobile_light_demo_run_idx_summary": dict(
        count=10, mean_ms=33.7388, min_ms=33.423, max_ms=34.009),
    "plite_2021_mask_detection_demo_benchmark_summary": dict(  # first > max: as printed
        count=100, mean_ms=41.2289, min_ms=40.093, max_ms=123.179, first_ms=124.481),
    "plite_v210_benchmark_bin_linux_x86": dict(
        count=20, mean_ms=33.918, min_ms=31.982, max_ms=38.947, init_ms=18.135, first_ms=80.052),
    "plite_v210_benchmark_bin_mi9_sd855_arm": dict(
        count=20, mean_ms=32.723, min_ms=32.577, max_ms=32.895, init_ms=15.305, first_ms=43.67),
}

TRT_SHARED = {
    "trt1016_h100_nodatatransfers_cudagraph_fulllog": dict(
        count=74692, mean_ms=0.0387646, median_ms=0.0388184, p90_ms=0.0388489,
        p95_ms=0.0389404, p99_ms=0.0390625, min_ms=0.0383301, max_ms=0.0651855,
        init_ms=24.5724, throughput_qps=24896.9),
    "trt803_gtx1070_build_and_bench_verbose_fulllog": dict(
        count=18510, mean_ms=0.159274, median_ms=0.158691, p99_ms=0.165344, min_ms=0.155518,
        max_ms=0.44165, throughput_qps=6168.97),
    "trt841_gtx1070_loadengine_verbose_fulllog": dict(
        count=18625, mean_ms=0.166299, median_ms=0.161987, p99_ms=0.388947, min_ms=0.15918,
        max_ms=0.523193, init_ms=429.032, throughput_qps=6207.5),
    "trt8x_rtx3050_trocr_fp16": dict(  # tail only: no "Timing trace has N queries" line
        mean_ms=34.8425, median_ms=34.7981, p99_ms=36.4373, min_ms=34.2395, max_ms=36.4373,
        throughput_qps=29.5527),
    "trt860_rtx3090_skipinference_buildonly_fulllog": dict(
        status="failed", error=NO_TIMINGS + " (the run passed without an inference phase: "
                                            "--skipInference or --buildOnly)"),
}

SHARED_CASES = [(tool, name, figures) for tool, table in [
    ("tflite_benchmark_model", TFLITE_SHARED), ("onnxruntime_perf_test", ORT_SHARED),
    ("paddle_lite", PADDLE_SHARED), ("trtexec", TRT_SHARED)] for name, figures in table.items()]


@pytest.mark.parametrize("tool,name,figures", SHARED_CASES, ids=[c[1] for c in SHARED_CASES])
def test_shared_reference_logs(tool: str, name: str, figures: dict[str, object]) -> None:
    assert_figures(TOOLS[tool].parse(shared(tool, name)), figures)


def test_every_shared_log_is_covered() -> None:
    if not REFERENCE.is_dir():
        pytest.skip("shared reference logs not available")
    covered = {name for _, name, _ in SHARED_CASES} | {
        "plite_2019_issue2051_meizu_pro7_benchmark_sh", "plite_v23_benchmark_sh_avg_only",
        "plite_v26_benchmark_sh_min_max_average", "trt8x_rtx3050_trocr_tf32_two_runs"}
    for folder in SHARED_FOLDER.values():
        for path in (REFERENCE / folder).glob("*.txt"):
            if not path.name.endswith(".src.txt"):
                assert path.stem in covered, path


def rows(tool: str, text: str) -> dict[str, NativeResult]:
    return {m.label: m.result for m in TOOLS[tool].parse_all(text)}


def test_paddle_benchmark_sh_tables_are_one_measurement_per_row() -> None:
    text = shared("paddle_lite", "plite_2019_issue2051_meizu_pro7_benchmark_sh")
    table = rows("paddle_lite", text)
    assert {label: r.mean_ms for label, r in table.items()} == {
        "armv7 threads=1 mobilenet_v1": 279.3595,
        "armv7 threads=1 mobilenet_v1_quant_opt": 156.4267,
        "armv7 threads=1 mobilenet_v2": 201.5359, "armv8 threads=1 mobilenet_v1": 244.3995,
        "armv8 threads=1 mobilenet_v1_quant_opt": 154.5256,
        "armv8 threads=1 mobilenet_v2": 192.2106}
    assert {r.count for r in table.values()} == {100}
    whole = TOOLS["paddle_lite"].parse(text)
    assert whole.status == "failed" and "6 measurements" in (whole.error or "")

    v23 = rows("paddle_lite", shared("paddle_lite", "plite_v23_benchmark_sh_avg_only"))
    expected = {"armv7 threads=1 mnasnet": 159.8427, "armv7 threads=1 shufflenet_v2": 76.0040,
                "armv7 threads=2 mobilenet_v1": 121.6029,
                "armv7 threads=4 squeezenet_v11": 64.2201,
                "armv8 threads=1 mobilenet_v1": 306.0188,
                "armv8 threads=2 squeezenet_v11": 91.3090}
    assert {k: v23[k].mean_ms for k in expected} == expected
    # The .src.txt calls the armv8 threads=4 table truncated, but the file has its 5 rows.
    assert len(v23) == 30 and v23["armv8 threads=4 mobilenet_v1"].count == 30

    v26 = rows("paddle_lite", shared("paddle_lite", "plite_v26_benchmark_sh_min_max_average"))
    mnasnet = v26["armv8 threads=1 mnasnet"]  # printed min > max: kept as printed
    assert (mnasnet.min_ms, mnasnet.max_ms, mnasnet.mean_ms) == (19.835, 19.385, 19.65503)
    assert v26["armv8 threads=1 mobilenetv1"].min_ms == 32.006
    names = ["armv8 threads=1 mobilenetv2", "armv8 threads=1 shufflenetv2",
             "armv8 threads=1 squeezenet", "armv8 threads=2 mobilenetv1",
             "armv8 threads=4 mobilenetv1", "armv7 threads=1 mobilenetv1",
             "armv7 threads=2 mobilenetv1"]
    assert [v26[k].mean_ms for k in names] == pytest.approx(
        [22.28623, 10.68890, 17.57677, 18.70593, 10.34267, 33.08490, 18.97897])
    assert len(v26) == 30 and {r.count for r in v26.values()} == {30}


def test_trtexec_log_with_two_runs_gives_both_summaries_and_no_single_result() -> None:
    text = shared("trtexec", "trt8x_rtx3050_trocr_tf32_two_runs")
    runs = TOOLS["trtexec"].parse_all(text)
    assert [m.label for m in runs] == ["run 1 (05/29/2022-21:55:54)",
                                       "run 2 (05/29/2022-22:03:19)"]
    assert_figures(runs[0].result, dict(mean_ms=35.0057, median_ms=34.916, p99_ms=36.1511,
                                        min_ms=34.6697, max_ms=36.1511, throughput_qps=28.9757))
    assert runs[1].result.mean_ms == 67.8894 and runs[1].result.throughput_qps == 14.9463
    whole = TOOLS["trtexec"].parse(text)
    assert whole.status == "failed" and "2 measurements" in (whole.error or "")


# --- logs collected for this repository (tests/data/tool_logs) ----------------------------

COLLECTED_CASES = {
    ("tflite_benchmark_model", "tf1x_issue77_android_arm64_squeezenet_nnapi_error_line"): dict(
        count=10, mean_ms=420.334, min_ms=232.432, max_ms=566.895, std_ms=156.392, init_ms=9.89,
        first_ms=606.701, warmup_mean_ms=577.904),
    ("onnxruntime_perf_test", "ort_2020-01_pr2798_trt7_windows_debug_nospace"): dict(
        count=1, mean_ms=734.606, init_ms=1841.49),
    ("onnxruntime_perf_test", "ort_2019-12_issue2762_no_test_input_fail"): dict(
        status="failed", error="there is no test input data for input input.1 and model "
                               "resnet50\nRun failed:failed to initialize."),
    ("onnxruntime_perf_test", "ort1180_issue21267_windows_testcase_dir_fail"): dict(
        status="failed", error="C:\\dev\\ort-src\\onnxruntime-v1.18.0\\onnxruntime\\test\\onnx\\"
                               "TestCase.cc:705 OnnxTestCase::OnnxTestCase test case dir doesn't "
                               "exist"),
    ("paddle_lite", "plite_e79b4b6_paddleseg_mi9_benchmark_sh_perf_info"): dict(
        count=50, mean_ms=267.246, min_ms=265.450, max_ms=271.217, init_ms=33.071,
        first_ms=314.619),
    ("trtexec", "trt7x_jetson_caffe_resnet50_int8_hostlatency"): dict(
        count=56, mean_ms=55.3094, median_ms=55.2737, p99_ms=57.542, min_ms=55.1414,
        max_ms=57.542, throughput_qps=18.0758),
    ("trtexec", "trt5_retinanet_issue118_xavier_average_over"): dict(
        count=10, mean_ms=55.3944,
        breakdown={"gpu_compute": {"mean_ms": 55.2518, "p99_ms": 59.9569}}),
    ("trtexec", "trt5_openpose_issue7_average_over_three"): dict(
        count=30, mean_ms=(26.0956 + 26.0002 + 25.9705) / 3,
        breakdown={"gpu_compute": {"mean_ms": (25.9082 + 25.8934 + 25.8963) / 3}}),
    ("trtexec", "trt10_ptlflow_issue65_summary_breakdown"): dict(
        mean_ms=30.7571, median_ms=30.7585, p90_ms=30.8303, p95_ms=30.8396, p99_ms=30.8523,
        min_ms=30.1348, max_ms=30.887, throughput_qps=32.7261),
    ("trtexec", "trt85_lidar_ai_issue34_build_fail_tail"): dict(status="failed", error="\n".join([
        "Error[10]: [optimizer.cpp::computeCosts::1855] Error Code 10: Internal Error (Could not "
        "find any implementation for node ConvTranspose_56 + BatchNormalization_57 + Relu_58.)",
        "Error[2]: [builder.cpp::buildSerializedNetwork::417] Error Code 2: Internal Error "
        "(Assertion enginePtr != nullptr failed.)",
        "Engine could not be created from network", "Building engine failed",
        "Failed to create engine from model or file.", "Engine set up failed"])),
}


@pytest.mark.parametrize("tool,name", list(COLLECTED_CASES), ids=[n for _, n in COLLECTED_CASES])
def test_collected_logs(tool: str, name: str) -> None:
    assert (COLLECTED / tool / f"{name}.src.txt").is_file()
    assert_figures(TOOLS[tool].parse(collected(tool, name)), COLLECTED_CASES[(tool, name)])


def test_every_collected_log_is_covered() -> None:
    for path in COLLECTED.glob("*/*.txt"):
        if not path.name.endswith(".src.txt"):
            assert (path.parent.name, path.stem) in COLLECTED_CASES, path
            assert path.with_name(path.stem + ".src.txt").is_file(), path


# --- SYNTHETIC edge cases: real logs edited to reach variants no real log covers ----------

def test_synthetic_logcat_prefixes_are_stripped() -> None:
    """SYNTHETIC: a real INFO:-prefixed log re-wrapped in both logcat formats."""
    text = shared("tflite_benchmark_model", "tf2025-07_qrb2210_cpu_xnnpack_default")
    plain = [line.removeprefix("INFO: ") for line in text.splitlines()]
    threadtime = "\n".join(f"07-14 13:14:52.859 22838 22838 I tflite  : {line}" for line in plain)
    brief = "\n".join(f"I/tflite  (22838): {line}" for line in plain)
    expected = TOOLS["tflite_benchmark_model"].parse(text)
    assert expected.ok
    assert TOOLS["tflite_benchmark_model"].parse(threadtime) == expected
    assert TOOLS["tflite_benchmark_model"].parse(brief) == expected


def test_synthetic_tflite_edge_cases() -> None:
    """SYNTHETIC: cut and concatenated copies of real logs."""
    parse = TOOLS["tflite_benchmark_model"].parse
    lines = shared("tflite_benchmark_model", "tf240_mi11_cpu_fp32_yolov5s").splitlines()
    only_summary = parse(lines[1])  # the summary line alone still states the mean
    assert (only_summary.mean_ms, only_summary.count, only_summary.first_ms) == \
        (249.684, None, 360.262)
    only_count = parse(lines[0])  # one count= line and no summary: warm-up or timed runs?
    assert only_count.status == "failed" and "cannot tell" in (only_count.error or "")
    cpu = shared("tflite_benchmark_model", "tf2025-07_qrb2210_cpu_xnnpack_default")
    gpu = shared("tflite_benchmark_model", "tf2025-07_qrb2210_gpu_opencl")
    runs = TOOLS["tflite_benchmark_model"].parse_all(cpu + gpu)
    assert [(m.label, m.result.mean_ms) for m in runs] == [("run 1", 105.784), ("run 2", 115.246)]
    assert parse(cpu + gpu).status == "failed"
    assert parse("").error == NO_TIMINGS


def test_synthetic_trtexec_edge_cases() -> None:
    """SYNTHETIC: a real log cut before its summary, and bare end markers."""
    text = shared("trtexec", "trt8x_rtx3050_trocr_fp16")
    traced = TOOLS["trtexec"].parse(text.split("=== Performance summary ===")[0])
    host = [34.8031, 34.618, 34.9879, 34.8197, 34.8027, 35.0325, 34.8221, 34.7997, 34.9571]
    assert traced.count == 90 and traced.mean_ms == pytest.approx(sum(host) / 9)
    assert traced.median_ms is None and traced.throughput_qps is None
    failed = TOOLS["trtexec"].parse("&&&& RUNNING TensorRT.trtexec # trtexec\n"
                                "&&&& FAILED TensorRT.trtexec # trtexec\n")
    assert failed.error == "trtexec reported FAILED without an [E] line"


def test_synthetic_paddle_memory_block_is_not_time() -> None:
    """SYNTHETIC: benchmark_bin's --enable_memory_profile block appended to a real log."""
    text = shared("paddle_lite", "plite_v210_benchmark_bin_linux_x86")
    edited = text + "\nMemory Usage(unit: kB):\ninit  = 999.000\navg   = 999.000\n"
    assert TOOLS["paddle_lite"].parse(edited) == TOOLS["paddle_lite"].parse(text)
    assert TOOLS["paddle_lite"].parse("no figures here").error == NO_TIMINGS
    assert TOOLS["onnxruntime_perf_test"].parse("").error == NO_TIMINGS


# --- NativeResult -------------------------------------------------------------------------

def test_native_result_validates_and_converts() -> None:
    result = NativeResult(status="ok", count=50, mean_ms=2.0, median_ms=1.9, p95_ms=2.5)
    assert list(result.to_dict()) == KEYS + EXTRA_KEYS
    assert result.to_stats() == {"n": 50.0, "mean_ms": 2.0, "median_ms": 1.9, "p90_ms": None,
                                 "p99_ms": None, "std_ms": None, "min_ms": None, "max_ms": None}
    assert result.latency_ms == 1.9 and NativeResult(status="ok", mean_ms=3.0).latency_ms == 3.0
    with pytest.raises(ValueError):
        NativeResult(status="done", mean_ms=1.0)
    with pytest.raises(ValueError):
        NativeResult(status="failed")
    with pytest.raises(ValueError):
        NativeResult(status="ok", count=3)
    with pytest.raises(ValueError):
        NativeResult(status="ok", mean_ms=float("nan"))


def test_registries_and_public_api() -> None:
    kinds = ["tflite_benchmark_model", "onnxruntime_perf_test", "paddle_lite", "trtexec"]
    assert list(native.TOOLS)[:4] == kinds  # then the tools registered after them
    assert all(native.TOOLS[k].kind == k and native.tool(k) is native.TOOLS[k]
               for k in native.TOOLS)
    assert native.runner_kinds() == ("agent", *native.TOOLS)
    assert sorted(native.__all__) == ["ArgvBuilder", "Measurement", "NativeResult",
                                      "NativeTool", "OpProfiler", "TOOLS", "ToolDialect",
                                      "register", "runner_kinds", "tool"]
    with pytest.raises(ValueError, match="already registered"):
        native.register(native.TOOLS["trtexec"])
    with pytest.raises(ConfigError, match="not a native tool"):
        native.tool("benchmark_model")


# --- argv builders ------------------------------------------------------------------------

SETTINGS = MeasureSettings(warmup=5, min_runs=20, min_time_s=1.0, max_time_s=20.0)


def test_tflite_argv() -> None:
    argv = tflite_benchmark_model.build_argv("/data/local/tmp/benchmark_model",
                                             "/data/local/tmp/m.tflite", 4, 1, "fp32", SETTINGS,
                                             cpu_mask="f0")
    assert argv == ["taskset", "f0", "/data/local/tmp/benchmark_model",
                    "--graph=/data/local/tmp/m.tflite", "--num_threads=4", "--warmup_runs=5",
                    "--warmup_min_secs=0", "--num_runs=20", "--min_secs=1", "--max_secs=20",
                    "--enable_op_profiling=false"]  # cpu: the runtime's default CPU path
    gpu = tflite_benchmark_model.build_argv("bm", "m.tflite", 1, 2, "fp16", SETTINGS,
                                            delegate="gpu", input_shapes={"x": (1, 224, 224, 3)})
    assert gpu[0] == "bm" and gpu[-4:] == ["--use_gpu=true", "--gpu_precision_loss_allowed=true",
                                           "--input_layer=x", "--input_layer_shape=2,224,224,3"]
    assert "--gpu_precision_loss_allowed=false" in tflite_benchmark_model.build_argv(
        "bm", "m.tflite", 1, 1, "fp32", SETTINGS, delegate="gpu")  # the tool's default is true
    assert "--use_nnapi=true" in tflite_benchmark_model.build_argv(
        "bm", "m.tflite", 1, 1, "fp32", SETTINGS, delegate="nnapi")
    assert "--use_xnnpack=true" in tflite_benchmark_model.build_argv(
        "bm", "m.tflite", 1, 1, "int8", SETTINGS, delegate="xnnpack")
    with pytest.raises(ConfigError, match="backend"):
        tflite_benchmark_model.build_argv("bm", "m.tflite", 1, 1, "fp32", SETTINGS,
                                          delegate="hexagon")
    with pytest.raises(ConfigError, match="mask"):
        tflite_benchmark_model.build_argv("bm", "m.tflite", 1, 1, "fp32", SETTINGS, cpu_mask="zz")


def test_compiled_model_argv() -> None:
    """LiteRT's CompiledModel benchmark_model: accelerators, not delegates; no resize."""
    cpu = tflite_benchmark_model.build_compiled_model_argv("bm", "m.tflite", 2, 1, "fp32",
                                                           SETTINGS)
    assert cpu[-3:] == ["--use_profiler=false", "--use_cpu=true", "--use_gpu=false"]
    gpu = tflite_benchmark_model.build_compiled_model_argv("bm", "m.tflite", 1, 1, "fp32",
                                                           SETTINGS, delegate="gpu")
    assert gpu[-2:] == ["--use_gpu=true", "--allow_fp16=false"]  # its default is true
    assert not any(a.startswith(("--input_layer", "--use_xnnpack", "--use_nnapi"))
                   for a in cpu + gpu)
    with pytest.raises(ConfigError, match="cannot resize"):
        tflite_benchmark_model.build_compiled_model_argv(
            "bm", "m.tflite", 1, 4, "fp32", SETTINGS, input_shapes={"x": (1, 8)})
    with pytest.raises(ConfigError, match="backend"):
        tflite_benchmark_model.build_compiled_model_argv("bm", "m.tflite", 1, 1, "fp32",
                                                         SETTINGS, delegate="nnapi")


def test_onnxruntime_perf_test_argv_pins_the_pool_threads() -> None:
    argv = onnxruntime_perf_test.build_argv("onnxruntime_perf_test", "m.onnx", 4, 1, "fp32",
                                            SETTINGS, cpu_mask="f0")
    assert argv == ["taskset", "f0", "onnxruntime_perf_test", "-e", "cpu", "-m", "times",
                    "-r", "20", "-x", "4", "-y", "1", "-I", "-S", "1", "-T", "6;7;8", "m.onnx"]
    config = onnxruntime_perf_test.build_argv("ort", "m.onnx", 2, 8, "fp16", SETTINGS,
                                              cpu_mask="0c", provider="tensorrt",
                                              mode="duration", affinity_option="-C",
                                              batch_dim="N", result_file="out.txt")
    assert config[:7] == ["taskset", "0c", "ort", "-e", "tensorrt", "-m", "duration"]
    assert config[7:9] == ["-t", "1"]
    assert config[config.index("-f"):][:2] == ["-f", "N:8"]
    assert "session.intra_op_thread_affinities|4" in config
    assert config[-4:] == ["-i", "trt_fp16_enable|true", "m.onnx", "out.txt"]
    single = onnxruntime_perf_test.build_argv("ort", "m.onnx", 1, 1, "fp32", SETTINGS,
                                              cpu_mask="1")
    assert "-T" not in single and single[:2] == ["taskset", "1"]


def test_paddle_lite_argv() -> None:
    argv = paddle_lite.build_argv("./benchmark_bin", "mv1.nb", 2, 1, "fp32", SETTINGS,
                                  cpu_mask="f0", input_shape=(1, 3, 224, 224))
    assert argv == ["taskset", "f0", "./benchmark_bin", "--optimized_model_file=mv1.nb",
                    "--input_shape=1,3,224,224", "--threads=2", "--warmup=5", "--repeats=20",
                    "--power_mode=3", "--backend=arm"]  # a .nb: no --cpu_precision (unread)
    legacy = paddle_lite.build_argv("bb", "mv1.nb", 1, 4, "fp32", SETTINGS, dialect="2.9",
                                    input_shape=(1, 3, 224, 224))
    assert legacy == ["bb", "--optimized_model_path=mv1.nb", "--input_shape=4,3,224,224",
                      "--threads=1", "--warmup=5", "--repeats=20", "--power_mode=0"]
    gpu = paddle_lite.build_argv("bb", "mv1.nb", 1, 1, "fp32", SETTINGS, backend="opencl",
                                 input_shape=(1, 3, 224, 224))
    assert gpu[-1] == "--gpu_precision=fp32"  # explicit: the tool's default is fp16
    combined = paddle_lite.build_argv("bb", "inference.pdmodel", 1, 1, "fp16", SETTINGS,
                                      param_file="inference.pdiparams", backend="opencl,arm",
                                      input_shape=(1, 3, 8, 8))
    assert combined[1:3] == ["--model_file=inference.pdmodel",
                             "--param_file=inference.pdiparams"]
    assert combined[-1] == "--gpu_precision=fp16"
    with pytest.raises(ConfigError, match="--input-shape"):
        paddle_lite.build_argv("bb", "mv1.nb", 1, 1, "fp32", SETTINGS)
    with pytest.raises(ConfigError, match="ARM CPU only"):
        paddle_lite.build_argv("bb", "mv1.nb", 1, 1, "fp32", SETTINGS, dialect="2.9",
                               backend="opencl", input_shape=(1, 3, 8, 8))


def test_trtexec_argv() -> None:
    dynamic = {"input": ("N", 3, 224, 224), "mask": ("N", 10)}
    argv = trtexec.build_argv("trtexec", "m.onnx", 1, 8, "fp16", SETTINGS,
                              input_shapes=dynamic, use_cuda_graph=True,
                              no_data_transfers=True, avg_runs=10)
    assert argv == ["trtexec", "--onnx=m.onnx", "--shapes=input:8x3x224x224,mask:8x10",
                    "--fp16", "--warmUp=200", "--iterations=20", "--duration=1",
                    "--avgRuns=10", "--useCudaGraph", "--noDataTransfers"]
    static = trtexec.build_argv("trtexec", "m.onnx", 1, 1, "fp32", SETTINGS,
                                input_shapes={"input": (1, 3, 224, 224)})
    assert not any(a.startswith("--shapes") for a in static)  # refused for a static model
    engine = trtexec.build_argv("trtexec", "m.plan", 1, 1, "fp32",
                                MeasureSettings(warmup=0, min_runs=5, min_time_s=0.0),
                                cpu_mask="3")
    assert engine == ["taskset", "3", "trtexec", "--loadEngine=m.plan", "--warmUp=0",
                      "--iterations=5", "--duration=0"]
    trt5 = trtexec.build_argv("trtexec", "m.onnx", 1, 4, "int8", SETTINGS, dialect="5")
    assert trt5 == ["trtexec", "--onnx=m.onnx", "--batch=4", "--iterations=2", "--avgRuns=10",
                    "--int8"]
    trt11 = trtexec.build_argv("trtexec", "m.onnx", 1, 1, "fp32", SETTINGS, dialect="11",
                               use_cuda_graph=True, no_data_transfers=True)
    assert trt11[-1] == "--includeDataTransfers" and "--useCudaGraph" not in trt11
    with pytest.raises(ConfigError, match="strongly typed"):
        trtexec.build_argv("trtexec", "m.onnx", 1, 1, "fp16", SETTINGS, dialect="11")
    with pytest.raises(ConfigError, match="free dimensions other than the batch"):
        trtexec.build_argv("trtexec", "m.onnx", 1, 1, "fp32", SETTINGS,
                           input_shapes={"x": ("N", "C", 8)})
    with pytest.raises(ConfigError, match="precision"):
        trtexec.build_argv("trtexec", "m.onnx", 1, 1, "bf16", SETTINGS)


# --- `benchbot parse` ---------------------------------------------------------------------

def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("parse")(parse_command)

    @app.callback()
    def _root() -> None:
        """Test app holding only `parse`."""

    return app


def invoke(*args: str):
    return CliRunner().invoke(cli(), ["parse", *args])


def test_cli_prints_a_table_and_json() -> None:
    path = COLLECTED / "trtexec" / "trt7x_jetson_caffe_resnet50_int8_hostlatency.txt"
    table = invoke("trtexec", str(path))
    assert table.exit_code == 0, table.output
    assert "| Figure | Value |" in table.stdout and "| mean_ms | 55.3094 |" in table.stdout
    assert "| status | ok |" in table.stdout and "| std_ms | - |" in table.stdout
    as_json = invoke("trtexec", str(path), "--json")
    assert json.loads(as_json.stdout) == TOOLS["trtexec"].parse(path.read_text()).to_dict()


def test_cli_failed_runs_print_their_figures_and_several_runs_exit_0() -> None:
    failed = invoke("onnxruntime_perf_test",
                    str(COLLECTED / "onnxruntime_perf_test" /
                        "ort_2019-12_issue2762_no_test_input_fail.txt"))
    # no timings: exit 1 (the console script's code; see tests/test_native_words.py)
    assert isinstance(failed.exception, ParseFailed) and "| status | failed |" in failed.stdout
    assert "| error | there is no test input data" in failed.stdout
    path = REFERENCE / "trtexec" / "trt8x_rtx3050_trocr_tf32_two_runs.txt"
    if path.is_file():
        several = invoke("trtexec", str(path), "--json")
        assert [run["label"] for run in json.loads(several.stdout)] == [
            "run 1 (05/29/2022-21:55:54)", "run 2 (05/29/2022-22:03:19)"]
        assert "## run 2 (05/29/2022-22:03:19)" in invoke("trtexec", str(path)).stdout


def test_cli_bad_input_is_a_user_error(tmp_path: Path) -> None:
    unknown = invoke("benchncnn", str(tmp_path))
    assert isinstance(unknown.exception, UserError) and "unknown tool 'benchncnn'" in \
        str(unknown.exception)
    missing = invoke("trtexec", str(tmp_path / "nope.log"))
    assert isinstance(missing.exception, UserError) and "not found" in str(missing.exception)


def test_console_script_when_registered(tmp_path: Path) -> None:
    from benchbot.cli.main import app
    if "parse" not in {c.name for c in app.registered_commands}:
        pytest.skip("`parse` is not registered in benchbot/cli/main.py yet")
    path = COLLECTED / "paddle_lite" / "plite_e79b4b6_paddleseg_mi9_benchmark_sh_perf_info.txt"
    proc = subprocess.run([sys.executable, "-m", "benchbot", "parse", "paddle_lite", str(path),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["mean_ms"] == 267.246
    bad = subprocess.run([sys.executable, "-m", "benchbot", "parse", "nope", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown tool 'nope'" in bad.stderr
