"""Tests for models/build_test_models.py: validity, runnability and determinism of the models."""
from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnxruntime.capi.onnxruntime_pybind11_state import Fail

SCRIPT = Path(__file__).resolve().parents[3] / "models" / "build_test_models.py"

ONNX_DYNAMIC = ["tiny_conv.onnx", "tiny_matmul.onnx", "mid_conv.onnx", "mid_conv_plus10.onnx",
                "mid_conv_plus5.onnx",
                "large_conv.onnx"]
ONNX_FIXED = ["tiny_conv_fixed.onnx", "tiny_reshape_fixed.onnx"]
TFLITE = ["tiny_fc.tflite", "tiny_conv.tflite"]


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_test_models", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return builder.build_all(tmp_path_factory.mktemp("models"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _session(model: Path | bytes, log_level: int = 3) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = log_level
    source = str(model) if isinstance(model, Path) else model
    return ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])


def _input_for(sess: ort.InferenceSession, batch: int) -> np.ndarray:
    shape = [batch] + list(sess.get_inputs()[0].shape[1:])
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def _set_batch(model: onnx.ModelProto, batch: int) -> bytes:
    """Overwrite the first dim of the graph input and output with a fixed value."""
    for value in (model.graph.input[0], model.graph.output[0]):
        value.type.tensor_type.shape.dim[0].dim_value = batch
    return model.SerializeToString()


def test_builds_every_model(built: dict[str, Path]) -> None:
    assert list(built) == list(builder.MODELS)
    assert sorted(builder.MODELS) == sorted(ONNX_DYNAMIC + ONNX_FIXED + TFLITE)
    for name, path in built.items():
        size = path.stat().st_size
        assert path.name == name and size > 0
        if name.startswith("tiny_"):
            assert size < 64_000, (name, size)
    assert built["mid_conv.onnx"].stat().st_size < 4_000_000
    assert built["large_conv.onnx"].stat().st_size < 15_000_000


@pytest.mark.parametrize("name", ONNX_DYNAMIC + ONNX_FIXED)
def test_onnx_checker_full(built: dict[str, Path], name: str) -> None:
    model = onnx.load(built[name])
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 17
    assert model.graph.input[0].name == "input" and model.graph.output[0].name == "output"


@pytest.mark.parametrize("name", ONNX_DYNAMIC)
def test_onnx_dynamic_batch_axis(built: dict[str, Path], name: str) -> None:
    graph = onnx.load(built[name]).graph
    for value in (graph.input[0], graph.output[0]):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"


@pytest.mark.parametrize("name", ONNX_FIXED)
def test_onnx_fixed_batch_axis(built: dict[str, Path], name: str) -> None:
    graph = onnx.load(built[name]).graph
    for value in (graph.input[0], graph.output[0]):
        assert value.type.tensor_type.shape.dim[0].dim_value == 1


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("name", ["tiny_conv.onnx", "tiny_matmul.onnx", "mid_conv.onnx"])
def test_onnx_runs_dynamic(built: dict[str, Path], name: str, batch: int) -> None:
    sess = _session(built[name])
    (out,) = sess.run(None, {"input": _input_for(sess, batch)})
    classes = 1000 if name == "mid_conv.onnx" else 10
    assert out.shape == (batch, classes) and np.isfinite(out).all()


def test_large_conv_runs_batch1(built: dict[str, Path]) -> None:
    sess = _session(built["large_conv.onnx"])
    assert sess.get_inputs()[0].shape[1:] == [3, 224, 224]
    (out,) = sess.run(None, {"input": _input_for(sess, 1)})
    assert out.shape == (1, 1000) and np.isfinite(out).all()


@pytest.mark.parametrize("name", ONNX_FIXED)
def test_onnx_fixed_runs_batch1(built: dict[str, Path], name: str) -> None:
    sess = _session(built[name])
    (out,) = sess.run(None, {"input": _input_for(sess, 1)})
    assert out.shape == (1, 10) and np.isfinite(out).all()


def test_conv_fixed_accepts_rewritten_batch(built: dict[str, Path]) -> None:
    sess = _session(_set_batch(onnx.load(built["tiny_conv_fixed.onnx"]), 4))
    (out,) = sess.run(None, {"input": _input_for(sess, 4)})
    assert out.shape == (4, 10)


def test_reshape_fixed_rejects_rewritten_batch(built: dict[str, Path]) -> None:
    sess = _session(_set_batch(onnx.load(built["tiny_reshape_fixed.onnx"]), 4), log_level=4)
    with pytest.raises(Fail, match="(?i)reshape"):
        sess.run(None, {"input": _input_for(sess, 4)})


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("name", TFLITE)
def test_tflite_runs(built: dict[str, Path], name: str, batch: int) -> None:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(built[name]), num_threads=2)
    (inp,) = interp.get_input_details()
    (outp,) = interp.get_output_details()
    assert inp["name"] == "input" and outp["name"] == "output"
    assert inp["shape_signature"][0] == -1
    shape = [batch] + list(inp["shape"][1:])
    interp.resize_tensor_input(inp["index"], shape)
    interp.allocate_tensors()
    interp.set_tensor(inp["index"], np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    interp.invoke()
    out = interp.get_tensor(outp["index"])
    assert out.shape == (batch, 10) and np.isfinite(out).all()


def test_tflite_conv_contains_convolution(built: dict[str, Path]) -> None:
    from ai_edge_litert import schema_py_generated as tfl

    model = tfl.ModelT.InitFromPackedBuf(built["tiny_conv.tflite"].read_bytes())
    assert model.version == 3 and model.buffers[0].data is None
    codes = {c.builtinCode for c in model.operatorCodes}
    assert tfl.BuiltinOperator.CONV_2D in codes


def test_rebuild_is_deterministic(built: dict[str, Path], tmp_path: Path) -> None:
    again = builder.build_all(tmp_path)
    assert {n: _sha256(p) for n, p in again.items()} == {n: _sha256(p) for n, p in built.items()}


def test_only_and_unknown_names(tmp_path: Path) -> None:
    written = builder.build_all(tmp_path, only=["tiny_fc.tflite"])
    assert list(written) == ["tiny_fc.tflite"]
    assert [p.name for p in tmp_path.iterdir()] == ["tiny_fc.tflite"]
    with pytest.raises(ValueError, match="nope.onnx"):
        builder.build_all(tmp_path, only=["nope.onnx"])


def test_cli_reports_written_files(built: dict[str, Path], tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--only", "tiny_matmul.onnx,tiny_conv.tflite"],
        capture_output=True, text=True, check=True, timeout=60)
    lines = proc.stderr.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["tiny_matmul.onnx", "tiny_conv.tflite"]
    for name in ("tiny_matmul.onnx", "tiny_conv.tflite"):
        assert _sha256(tmp_path / name) == _sha256(built[name])
