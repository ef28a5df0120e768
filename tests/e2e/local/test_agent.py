"""The measuring agent: its timing loop as a unit, and the real agent process on real models."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import onnxruntime as ort
import pytest

from benchbot import agent

AGENT = Path(agent.__file__)
FAST = ["--warmup", "2", "--min-runs", "5", "--min-time", "0", "--max-time", "5"]


def run_agent(*args: str) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, str(AGENT), *args], capture_output=True, text=True,
                          timeout=120)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}


class Model:
    """A model whose every run takes ``ms`` on a scripted clock (no time passes for real)."""

    def __init__(self, ms: float = 1.0) -> None:
        self.calls = 0
        self.ns = 0
        self.step = int(ms * 1e6)

    def __call__(self) -> None:
        self.calls += 1
        self.ns += self.step

    def clock(self) -> int:
        return self.ns


def test_measure_stops_when_min_runs_and_min_time_are_reached() -> None:
    run = Model()
    out = agent.measure(run, warmup=3, min_runs=7, min_time_s=0, max_time_s=60, max_runs=100,
                        clock=run.clock)
    assert out["stop_reason"] == "min_runs_and_time"
    assert out["samples_ms"] == [1.0] * 7
    assert run.calls == 3 + 7  # the first inference is the first warm-up run, not a sample
    assert out["first_inference_ms"] == 1.0


def test_measure_keeps_going_until_min_time() -> None:
    run = Model(ms=2.0)
    out = agent.measure(run, warmup=1, min_runs=1, min_time_s=0.05, max_time_s=60,
                        max_runs=10**6, clock=run.clock)
    assert out["stop_reason"] == "min_runs_and_time"
    assert len(out["samples_ms"]) == 25 and out["timed_wall_ms"] == 50.0


def test_measure_is_capped_by_max_time_and_max_runs() -> None:
    model = Model(ms=2.0)
    slow = agent.measure(model, warmup=0, min_runs=10**6, min_time_s=0, max_time_s=0.02,
                         max_runs=10**7, clock=model.clock)
    assert slow["stop_reason"] == "max_time" and len(slow["samples_ms"]) == 10
    model = Model()
    many = agent.measure(model, warmup=0, min_runs=5, min_time_s=3600, max_time_s=7200,
                         max_runs=50, clock=model.clock)
    assert many["stop_reason"] == "max_runs" and len(many["samples_ms"]) == 50


def test_the_real_clock_times_real_work() -> None:
    out = agent.measure(lambda: sum(range(1000)), warmup=1, min_runs=5, min_time_s=0,
                        max_time_s=60, max_runs=100)
    assert len(out["samples_ms"]) == 5 and all(x > 0 for x in out["samples_ms"])


def test_concrete_shape_puts_the_batch_on_axis_0() -> None:
    assert agent.concrete_shape(["batch", 3, 32, 32], 4) == [4, 3, 32, 32]
    assert agent.concrete_shape([1, "seq", 8], 2) == [2, 1, 8]
    assert agent.concrete_shape([], 4) == []


def test_agent_is_self_contained() -> None:
    """It is pushed alone to devices: stdlib, numpy and runtimes only, never benchbot."""
    allowed = set(sys.stdlib_module_names) | {"numpy", "onnxruntime", "onnx", "ai_edge_litert",
                                              "tflite_runtime", "openvino"}
    tree = ast.parse(AGENT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= allowed, imported - allowed


def test_onnx_model_with_dynamic_batch(models: dict[str, Path]) -> None:
    code, doc = run_agent("--model", str(models["tiny_conv.onnx"]), "--threads", "2",
                          "--batch", "4", *FAST)
    assert code == 0 and doc["status"] == "ok", doc
    assert doc["runtime"] == "onnxruntime" and doc["runtime_version"] == ort.__version__
    assert doc["provider"] == "CPUExecutionProvider"
    assert doc["threads_requested"] == 2 and doc["threads_applied"] == 2
    assert doc["batch_applied"] == "dynamic_axis"
    assert doc["inputs"] == [{"name": "input", "dtype": "float32", "shape": [4, 3, 32, 32]}]
    assert len(doc["samples_ms"]) >= 5 and all(s > 0 for s in doc["samples_ms"])
    assert doc["load_ms"] > 0 and doc["first_inference_ms"] > 0 and doc["peak_rss_mb"] > 10


def test_fixed_batch_onnx_model_is_rewritten(models: dict[str, Path]) -> None:
    code, doc = run_agent("--model", str(models["tiny_conv_fixed.onnx"]), "--batch", "4", *FAST)
    assert code == 0, doc
    assert doc["batch_applied"] == "rewritten" and doc["inputs"][0]["shape"][0] == 4
    code, doc = run_agent("--model", str(models["tiny_conv_fixed.onnx"]), "--batch", "1", *FAST)
    assert code == 0 and doc["batch_applied"] == "native"


def test_model_that_rejects_the_batch_fails_with_its_reason(models: dict[str, Path]) -> None:
    code, doc = run_agent("--model", str(models["tiny_reshape_fixed.onnx"]), "--batch", "4",
                          *FAST)
    assert code == 1 and doc["status"] == "failed"
    assert "batch 4" in doc["error"] and "Reshape" in doc["error"]
    assert "samples_ms" not in doc


@pytest.mark.parametrize("name,shape", [("tiny_fc.tflite", [4, 64]),
                                        ("tiny_conv.tflite", [4, 16, 16, 3])])
def test_tflite_model_in_litert_is_resized(models: dict[str, Path], name: str,
                                           shape: list[int]) -> None:
    code, doc = run_agent("--model", str(models[name]), "--threads", "2", "--batch", "4", *FAST)
    assert code == 0, doc
    assert doc["runtime"] == "litert" and doc["threads_applied"] == 2
    assert doc["batch_applied"] == "resized_dynamic"
    assert doc["inputs"][0]["shape"] == shape
    assert len(doc["samples_ms"]) >= 5


def test_missing_model_and_bad_arguments(tmp_path: Path) -> None:
    code, doc = run_agent("--model", str(tmp_path / "nope.onnx"), *FAST)
    assert code == 1 and "not found" in doc["error"]
    proc = subprocess.run([sys.executable, str(AGENT), "--model", "x.onnx", "--threads", "0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--threads must be at least 1" in proc.stderr


def test_cpu_pinning_is_applied(models: dict[str, Path]) -> None:
    code, doc = run_agent("--model", str(models["tiny_matmul.onnx"]), "--cpus", "0", *FAST)
    assert code == 0 and doc["cpu_affinity"] == [0]


def test_litert_falls_back_to_tflite_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Users with only tflite_runtime installed still get a TFLite interpreter."""
    import types

    from ai_edge_litert import interpreter as real

    fake_pkg = types.ModuleType("tflite_runtime")
    fake_pkg.__version__ = "2.14.0"
    fake_mod = types.ModuleType("tflite_runtime.interpreter")
    fake_mod.Interpreter = real.Interpreter
    fake_pkg.interpreter = fake_mod
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)  # import fails
    monkeypatch.setitem(sys.modules, "tflite_runtime", fake_pkg)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", fake_mod)
    interpreter, runtime, version = agent._litert_interpreter()
    assert (interpreter, runtime, version) == (real.Interpreter, "tflite_runtime", "2.14.0")
    monkeypatch.setitem(sys.modules, "tflite_runtime", None)
    with pytest.raises(agent.AgentFailure, match="pip install ai-edge-litert"):
        agent._litert_interpreter()


def test_missing_gpu_provider_fails_the_case(models: dict[str, Path]) -> None:
    code, doc = run_agent("--model", str(models["tiny_conv.onnx"]), "--backend", "cuda", *FAST)
    assert code == 1 and "no CUDAExecutionProvider" in doc["error"]


def test_silent_fallback_to_cpu_is_a_failure(models: dict[str, Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """ONNX Runtime asked for a provider it cannot load runs on the CPU with only a warning;
    the agent must not report that as a GPU number."""
    monkeypatch.setattr(ort, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    args = agent.parse_args(["--model", str(models["tiny_conv.onnx"]), "--backend", "cuda"])
    import numpy as np

    with pytest.raises(agent.AgentFailure, match="fell back to CPUExecutionProvider"):
        agent.load_onnxruntime(args, np, np.random.default_rng(0))


def test_tensorrt_fp16_is_the_provider_option() -> None:
    class FakeOrt:
        __version__ = "1.x"

        @staticmethod
        def get_available_providers() -> list[str]:
            return ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]

    (name, options), *rest = agent.ort_providers(FakeOrt, "tensorrt", "fp16", "/cache")
    assert name == "TensorrtExecutionProvider" and rest == ["CUDAExecutionProvider",
                                                            "CPUExecutionProvider"]
    assert options["trt_fp16_enable"] is True and options["trt_engine_cache_path"] == "/cache"
    assert agent.ort_providers(FakeOrt, "tensorrt", "fp32", "/c")[0][1]["trt_fp16_enable"] is False
    assert agent.ort_providers(FakeOrt, "cuda", "fp32", "/c") == ["CUDAExecutionProvider",
                                                                  "CPUExecutionProvider"]


def test_fp16_on_cpu_needs_a_variant_file(models: dict[str, Path]) -> None:
    code, doc = run_agent("--model", str(models["tiny_conv.onnx"]), "--precision", "fp16", *FAST)
    assert code == 1 and "fp16 variant" in doc["error"]
