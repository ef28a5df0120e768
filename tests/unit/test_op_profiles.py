"""Op profiles, placement and partially_delegated: the agent's ORT pass, the native tools'
tables (real benchmark_model logs), the ops report and the op-type changes of compare."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from benchbot import agent
from benchbot.verdicts.ops import op_type_changes
from benchbot.report.ops import grouped, ops_report
from benchbot.runners.agent import profile_of_doc
from benchbot.runners.native.op_tables import (parse_ort_profile, parse_tflite_op_profile,
                                               parse_trtexec_profile, trt_op_type)
from benchbot.runners.native.result import NativeResult
from benchbot.runners.native import tool
from benchbot.runners.native.runner import delegate_placement
from benchbot.runners.ops import OpRow, judged, op_profile, placement_of
from benchbot.store import Validity
from benchbot.store.entries import Entry
from tests.support.cases import make_case

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data" / "op_profiles"
MID_CONV = ROOT / "models" / "mid_conv.onnx"


@pytest.fixture(scope="module")
def agent_doc() -> dict:
    args = agent.parse_args(["--model", str(MID_CONV), "--min-runs", "5", "--min-time", "0",
                             "--warmup", "1", "--profile-ops", "--profile-runs", "5"])
    return agent.run(args)


def test_conv_dominated_model_shows_conv_on_top(agent_doc: dict) -> None:
    profile, placement = profile_of_doc(agent_doc, "cpu")
    assert profile is not None and profile.reason is None
    assert grouped(profile, "op-type")[0][0] == "Conv"
    assert profile.profiled_runs == 5 and profile.source == "onnxruntime"
    assert placement is not None and set(placement.nodes_by_provider) == {"CPUExecutionProvider"}
    assert judged(Validity(), placement, None, 0.99).valid  # the cpu backend asks for nothing


def test_per_node_times_sum_to_the_profiled_total(agent_doc: dict) -> None:
    profile, _ = profile_of_doc(agent_doc, "cpu")
    assert profile is not None and profile.total_ms is not None
    assert sum(o.ms for o in profile.ops) == pytest.approx(profile.total_ms)
    assert sum(o.share for o in profile.ops) == pytest.approx(1.0)
    # the profiled pass's run time covers its nodes (the rest is ORT's own overhead)
    assert agent_doc["op_profile"]["run_ms"] >= profile.total_ms * 0.9


def test_litert_has_no_profiler_and_says_so() -> None:
    args = agent.parse_args(["--model", str(ROOT / "models" / "tiny_fc.tflite"), "--min-runs",
                             "2", "--min-time", "0", "--profile-ops"])
    profile, placement = profile_of_doc(agent.run(args), "cpu")
    assert profile is not None and not profile.ops and "no op profiler" in profile.reason
    assert placement is None


def test_ort_profile_with_a_node_on_another_provider_is_partially_delegated() -> None:
    trace = [{"name": "model_run", "ts": 0, "dur": 900},
             {"cat": "Node", "name": "conv_kernel_time", "ts": 10, "dur": 500,
              "args": {"op_name": "Conv", "provider": "CUDAExecutionProvider"}},
             {"name": "model_run", "ts": 1000, "dur": 1000},
             {"cat": "Node", "name": "conv_kernel_time", "ts": 1010, "dur": 600,
              "args": {"op_name": "Conv", "provider": "CUDAExecutionProvider"}},
             {"cat": "Node", "name": "shape_kernel_time", "ts": 1700, "dur": 100,
              "args": {"op_name": "Shape", "provider": "CPUExecutionProvider"}}]
    for found in (parse_ort_profile(json.dumps(trace)), agent.aggregate_ort_profile(trace)):
        rows = found.rows if hasattr(found, "rows") else [OpRow(**o) for o in found["ops"]]
        profile = op_profile(rows, 1, "onnxruntime")
        assert [o.ms for o in profile.ops] == [0.6, 0.1]  # the first run is left out
        placement = placement_of({o.node: o.provider for o in profile.ops}, "cuda")
        assert placement is not None and placement.fallback_nodes == ("shape",)
        validity = judged(Validity(), placement, None, 0.99)
        assert [c.code for c in validity.codes] == ["partially_delegated"]
        assert "1 of 2 nodes" in validity.codes[0].detail and "shape" in validity.codes[0].detail


def test_real_nnapi_log_with_cpu_fallbacks_parses_and_is_flagged() -> None:
    found = parse_tflite_op_profile(
        (DATA / "tf_2019_deeplabv3_nnapi_partial_op_profiling.txt").read_text())
    assert found is not None and len(found.rows) == 8
    profile = op_profile(found.rows, found.runs, "tflite_benchmark_model")
    assert grouped(profile, "op-type")[0][0] == "RESIZE_BILINEAR"
    assert profile.total_ms == pytest.approx(52.063)
    placement = placement_of({o.node: o.provider for o in profile.ops}, "nnapi")
    assert placement is not None and placement.nodes_by_provider == {"cpu": 5, "nnapi": 3}
    assert set(placement.fallback_nodes) == {"[AvgPool2D/AvgPool]:61", "[ResizeBilinear]:63",
                                             "[ResizeBilinear_1]:68", "[ResizeBilinear_2]:69",
                                             "[ArgMax]:70"}
    assert not judged(Validity(), placement, None, 0.99).valid


def test_partition_line_gives_a_partial_placement() -> None:
    parsed = NativeResult(status="ok", mean_ms=1.0, delegate="TfLiteNnapiDelegate",
                          delegated_nodes=29, graph_nodes=482)
    placement = delegate_placement(parsed, "nnapi")
    assert placement is not None and placement.nodes_by_provider == {
        "TfLiteNnapiDelegate": 29, "cpu": 453}
    detail = judged(Validity(), placement, None, 0.99).codes[0].detail
    assert detail.startswith("29 of 482 nodes ran on nnapi")
    full = NativeResult(status="ok", mean_ms=1.0, delegate="TfLiteGpuDelegateV2",
                        delegated_nodes=58, graph_nodes=58)
    assert judged(Validity(), delegate_placement(full, "gpu"), None, 0.99).valid


def test_trtexec_profile_layers() -> None:
    doc = [{"count": 100},
           {"name": "/conv1/Conv + /relu/Relu", "timeMs": 50.0, "averageMs": 0.5,
            "medianMs": 0.5, "percentage": 62.5},
           {"name": "Gemm_12", "timeMs": 30.0, "averageMs": 0.3, "medianMs": 0.3,
            "percentage": 37.5}]
    found = parse_trtexec_profile(json.dumps(doc))
    assert found.runs == 100 and [r.op_type for r in found.rows] == ["Conv", "Gemm"]
    assert trt_op_type("Conv_0 + Relu_1") == "Conv"


def test_profiling_argv_per_tool() -> None:
    def profiling_argv(kind: str, argv: list[str], remote: str) -> list[str]:
        profiler = tool(kind).dialect().op_profiler
        assert profiler is not None
        return profiler.argv(argv, remote)

    assert "--enable_op_profiling=true" in profiling_argv(
        "tflite_benchmark_model", ["bm", "--graph=m", "--enable_op_profiling=false"], "")
    assert profiling_argv("onnxruntime_perf_test", ["t", "-e", "cpu", "m.onnx"], "/d/p") == \
        ["t", "-e", "cpu", "-p", "/d/p", "m.onnx"]
    assert profiling_argv("trtexec", ["trtexec", "--onnx=m"], "/d/p.json")[-2:] == \
        ["--dumpProfile", "--exportProfile=/d/p.json"]


def test_op_type_changes_name_what_moved() -> None:
    base = op_profile([OpRow("a", "Conv", "cpu", 5.0), OpRow("b", "Relu", "cpu", 1.0)], 5, "x")
    cand = op_profile([OpRow("a", "Conv", "cpu", 8.0), OpRow("b", "Relu", "cpu", 1.1)], 5, "x")
    changes = op_type_changes(base, cand, top=1)
    assert [(c.op_type, c.delta_ms) for c in changes] == [("Conv", 3.0)]
    assert op_type_changes(base, None) == ()


def test_ops_report_has_top_rows_and_other(agent_doc: dict) -> None:
    profile, placement = profile_of_doc(agent_doc, "cpu")
    case = dataclasses.replace(make_case(samples_ms=[8.0, 8.2, 8.1]), op_profile=profile,
                               placement=placement)
    text = ops_report([Entry(run_id="r", case=case)], top=2, by="op-type")
    assert "| Conv |" in text and "| other (" in text and "timed median" in text
    by_node = ops_report([Entry(run_id="r", case=case)], top=3, by="node")
    assert "| Node |" in by_node
    assert "--profile-ops" in ops_report([Entry(run_id="r", case=make_case(samples_ms=[1.0]))])
