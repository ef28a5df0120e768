"""Precision and batch variants: fp16 / int8 ONNX files that run, a content-addressed cache,
batch rewrites of fixed-batch models, and TFLite variants found by file name."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import benchbot.variants as variants
from benchbot.errors import CaseError, ConfigError
from benchbot.modelcard import model_card
from benchbot.store.modelfile import inspect_model
from benchbot.sweep import MeasureSettings, make_plan
from benchbot.variants import Variant, VariantError, derive, derive_cases, tflite_candidates
from benchbot.zoo import export


def _run(path: Path, batch: int = 1) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in session.get_inputs():
        shape = [batch if k == 0 else (d if isinstance(d, int) else 1)
                 for k, d in enumerate(i.shape)]
        assert i.type == "tensor(float)", "inputs stay float32 in every variant"
        feeds[i.name] = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    return session.run(None, feeds)[0]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "variants"


def _derive(path: Path, precision: str, cache: Path, batch: int | None = None,
            mode: str = "static") -> Variant:
    return derive(inspect_model(path), precision, batch, mode, cache)


# --------------------------------------------------------------------------- API
def test_public_api() -> None:
    assert sorted(variants.__all__) == sorted([
        "DEFAULT_CACHE_DIR", "INT8_MODES", "PRECISIONS", "RECIPE_VERSION", "Variant",
        "VariantError", "derive", "derive_cases", "tflite_candidates"])
    assert issubclass(VariantError, CaseError)


def test_fp32_of_a_dynamic_model_is_the_source(models: dict[str, Path], cache: Path) -> None:
    source = inspect_model(models["tiny_conv.onnx"])
    for batch in (None, 1, 4):
        v = derive(source, "fp32", batch, "static", cache)
        assert (v.path, v.sha256, v.size_bytes, v.derivation) == (
            source.path, source.sha256, source.size_bytes, {})
        assert not v.derived
    assert not cache.exists(), "nothing to derive, nothing cached"


def test_unknown_precision_or_mode_is_a_config_error(models: dict[str, Path],
                                                     cache: Path) -> None:
    with pytest.raises(ConfigError, match="bf16"):
        _derive(models["tiny_conv.onnx"], "bf16", cache)
    with pytest.raises(ConfigError, match="int8 mode"):
        _derive(models["tiny_conv.onnx"], "int8", cache, mode="weights")


# --------------------------------------------------------------------------- fp16
@pytest.mark.parametrize("name", ["tiny_conv.onnx", "tiny_matmul.onnx"])
def test_fp16_runs_and_matches_fp32(models: dict[str, Path], cache: Path, name: str) -> None:
    v = _derive(models[name], "fp16", cache)
    assert v.path.parent.parent == cache
    assert v.path.name == f"{Path(name).stem}_fp16.onnx"
    np.testing.assert_allclose(_run(v.path), _run(models[name]), rtol=1e-2, atol=1e-2)
    assert v.size_bytes < inspect_model(models[name]).size_bytes * 0.7
    assert model_card(v.path).weight_types == ("float16",)
    assert v.derivation["steps"] == [{"fp16": "onnxruntime.transformers.float16 "
                                                "keep_io_types=True"}]
    assert v.derivation["source_sha256"] == inspect_model(models[name]).sha256
    assert set(v.derivation["tools"]) == {"onnx", "onnxruntime"}


def _graph_model(nodes: list[onnx.NodeProto], shape: list[int | str],
                 inits: list[onnx.TensorProto], out_shape: list[int | str]) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_fp16_keeps_ops_without_float16_in_float32(tmp_path: Path, cache: Path) -> None:
    w = numpy_helper.from_array(
        np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    model = _graph_model([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
                          helper.make_node("Celu", ["c"], ["y"])],  # Celu: float32 only
                         ["N", 3, 8, 8], [w], ["N", 4, 8, 8])
    path = tmp_path / "celu.onnx"
    onnx.save(model, path)
    v = _derive(path, "fp16", cache)
    assert v.derivation["steps"][0]["op_block_list"] == ["Celu"]
    np.testing.assert_allclose(_run(v.path), _run(path), rtol=1e-2, atol=1e-2)


def test_a_model_without_weights_has_no_fp16_or_int8(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "relu.onnx"
    onnx.save(_graph_model([helper.make_node("Relu", ["x"], ["y"])], ["N", 8], [], ["N", 8]),
              path)
    with pytest.raises(VariantError, match="fp16: relu.onnx has no float32 weights"):
        _derive(path, "fp16", cache)
    with pytest.raises(VariantError, match="nothing in relu.onnx was quantized"):
        _derive(path, "int8", cache)


# --------------------------------------------------------------------------- int8
@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize("name", ["tiny_conv.onnx", "tiny_matmul.onnx"])
def test_int8_runs(models: dict[str, Path], cache: Path, name: str, mode: str) -> None:
    v = _derive(models[name], "int8", cache, mode=mode)
    out = _run(v.path, batch=3)
    assert out.shape == (3, 10) and np.isfinite(out).all()
    card = model_card(v.path)
    assert "int8" in card.weight_types
    assert v.derivation["int8_mode"] == mode
    step = v.derivation["steps"][0]
    assert step["int8"].startswith(mode)
    if mode == "static":
        assert "per-channel" in step["int8"] and "4 generated batches" in step["int8"]
        assert any(n.op_type == "QuantizeLinear" for n in onnx.load(v.path).graph.node)


def test_int8_of_resnet18_is_a_quarter_of_its_size(tmp_path_factory: pytest.TempPathFactory,
                                                   cache: Path) -> None:
    path = export("resnet18", tmp_path_factory.mktemp("zoo"))
    source = inspect_model(path)
    fp16 = derive(source, "fp16", None, "static", cache)
    int8 = derive(source, "int8", None, "static", cache)
    assert 0.45 < fp16.size_bytes / source.size_bytes < 0.55
    assert int8.size_bytes / source.size_bytes < 0.35
    assert np.isfinite(_run(int8.path)).all()


# --------------------------------------------------------------------------- cache
def test_cache_reuses_an_unchanged_source(models: dict[str, Path], cache: Path) -> None:
    first = _derive(models["tiny_conv.onnx"], "int8", cache)
    mtime = first.path.stat().st_mtime_ns
    second = _derive(models["tiny_conv.onnx"], "int8", cache)
    assert second == first
    assert second.path.stat().st_mtime_ns == mtime, "a cached variant is never rewritten"
    sidecar = json.loads((first.path.parent / "variant.json").read_text())
    assert sidecar["sha256"] == first.sha256 and sidecar["file"] == first.path.name
    assert inspect_model(first.path).sha256 == first.sha256


def test_cache_keys_follow_the_derivation(models: dict[str, Path], cache: Path) -> None:
    tiny = models["tiny_conv.onnx"]
    static, dynamic = (_derive(tiny, "int8", cache, mode=m) for m in ("static", "dynamic"))
    assert static.path.parent != dynamic.path.parent
    fp16 = [_derive(tiny, "fp16", cache, mode=m) for m in ("static", "dynamic")]
    assert fp16[0].path == fp16[1].path, "the int8 mode does not matter to fp16"


def test_an_edited_source_gets_a_new_variant(models: dict[str, Path], tmp_path: Path,
                                             cache: Path) -> None:
    path = tmp_path / "m.onnx"
    shutil.copy(models["tiny_conv.onnx"], path)
    old = _derive(path, "fp16", cache)
    model = onnx.load(path)
    model.graph.initializer[0].raw_data = (
        numpy_helper.to_array(model.graph.initializer[0]) * 2).astype(np.float32).tobytes()
    onnx.save(model, path)
    new = _derive(path, "fp16", cache)
    assert new.path != old.path and new.sha256 != old.sha256
    assert new.derivation["source_sha256"] == inspect_model(path).sha256
    assert old.path.is_file(), "other sources' variants stay"


def test_an_incomplete_entry_is_rebuilt(models: dict[str, Path], cache: Path) -> None:
    first = _derive(models["tiny_conv.onnx"], "fp16", cache)
    first.path.write_bytes(first.path.read_bytes()[:100])  # a crash mid-write, by hand
    again = _derive(models["tiny_conv.onnx"], "fp16", cache)
    assert again.path == first.path and again.size_bytes == first.size_bytes
    assert again.path.stat().st_size == first.size_bytes


def test_a_source_changed_after_inspection_is_refused(models: dict[str, Path],
                                                      tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "m.onnx"
    shutil.copy(models["tiny_conv.onnx"], path)
    inspected = inspect_model(path)
    shutil.copy(models["tiny_matmul.onnx"], path)
    with pytest.raises(VariantError, match="changed since it was inspected"):
        derive(inspected, "fp16", None, "static", cache)


def test_external_data_models_are_refused(models: dict[str, Path], tmp_path: Path,
                                          cache: Path) -> None:
    path = tmp_path / "ext.onnx"
    onnx.save(onnx.load(models["tiny_conv.onnx"]), path, save_as_external_data=True,
              all_tensors_to_one_file=True, location="ext.data", size_threshold=0)
    with pytest.raises(VariantError, match="external data"):
        _derive(path, "fp16", cache)


# --------------------------------------------------------------------------- batch
def test_fixed_batch_is_rewritten(models: dict[str, Path], cache: Path) -> None:
    fixed = models["tiny_conv_fixed.onnx"]
    v = _derive(fixed, "fp32", cache, batch=4)
    assert v.path.name == "tiny_conv_fixed_fp32_b4.onnx"
    assert v.derivation["steps"] == [{"batch": 4}]
    assert "batch 4" in v.derivation["checked"]
    assert _run(v.path, batch=4).shape == (4, 10)
    assert inspect_model(v.path).path == v.path
    graph = onnx.load(v.path).graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4
    assert graph.output[0].type.tensor_type.shape.dim[0].dim_value == 4
    same = _derive(fixed, "fp32", cache, batch=1)
    assert same.path == fixed and same.derivation == {}


def test_fixed_batch_and_precision_combine(models: dict[str, Path], cache: Path) -> None:
    v = _derive(models["tiny_conv_fixed.onnx"], "int8", cache, batch=4)
    assert v.path.name == "tiny_conv_fixed_int8_b4.onnx"
    assert [list(s)[0] for s in v.derivation["steps"]] == ["batch", "int8"]
    assert _run(v.path, batch=4).shape == (4, 10)


def test_a_graph_that_hard_codes_its_batch_is_refused(models: dict[str, Path],
                                                      cache: Path) -> None:
    with pytest.raises(VariantError, match="model has no batch axis: tiny_reshape_fixed.onnx "
                                           "was exported with batch 1") as info:
        _derive(models["tiny_reshape_fixed.onnx"], "fp32", cache, batch=4)
    assert "re-export it with a dynamic batch axis" in str(info.value)
    assert not list(cache.glob("*/*.onnx")), "nothing is cached for a refused variant"


# --------------------------------------------------------------------------- TFLite
def _tflite_with_weights(src: Path, dst: Path, precision: str) -> None:
    """Write ``src`` with FULLY_CONNECTED weights stored as float16 (behind DEQUANTIZE) or
    int8 (hybrid): a real fp16 / int8 export, as small as the test model."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as tfl

    model = tfl.ModelT.InitFromPackedBuf(src.read_bytes(), 0)
    sub = model.subgraphs[0]
    ops = []
    for op in sub.operators:
        w = sub.tensors[op.inputs[1]]
        values = np.frombuffer(bytes(model.buffers[w.buffer].data), np.float32)
        if precision == "fp16":
            w.type = tfl.TensorType.FLOAT16
            model.buffers[w.buffer].data = np.frombuffer(values.astype(np.float16).tobytes(),
                                                         np.uint8)
            dense = tfl.TensorT()
            dense.name, dense.shape, dense.type, dense.buffer = (w.name + b"_dq", list(w.shape),
                                                                 tfl.TensorType.FLOAT32, 0)
            sub.tensors.append(dense)
            if tfl.BuiltinOperator.DEQUANTIZE not in [c.builtinCode for c in model.operatorCodes]:
                model.operatorCodes.append(tfl.OperatorCodeT(
                    deprecatedBuiltinCode=tfl.BuiltinOperator.DEQUANTIZE,
                    builtinCode=tfl.BuiltinOperator.DEQUANTIZE))
            dq = tfl.OperatorT()
            dq.opcodeIndex = [c.builtinCode for c in model.operatorCodes].index(
                tfl.BuiltinOperator.DEQUANTIZE)
            dq.inputs, dq.outputs = [op.inputs[1]], [len(sub.tensors) - 1]
            ops.append(dq)
            op.inputs = [op.inputs[0], len(sub.tensors) - 1, *op.inputs[2:]]
        else:
            scale = float(np.abs(values).max() / 127)
            w.type = tfl.TensorType.INT8
            w.quantization = tfl.QuantizationParametersT()
            w.quantization.scale, w.quantization.zeroPoint = [scale], [0]
            q = np.clip(np.round(values / scale), -127, 127).astype(np.int8)
            model.buffers[w.buffer].data = np.frombuffer(q.tobytes(), np.uint8)
        ops.append(op)
    sub.operators = ops
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    dst.write_bytes(bytes(builder.Output()))


def _run_tflite(path: Path) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    x = np.random.default_rng(3).standard_normal(detail["shape"]).astype(np.float32)
    interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.fixture
def tflite_dir(models: dict[str, Path], tmp_path: Path) -> Path:
    shutil.copy(models["tiny_fc.tflite"], tmp_path / "tiny_fc.tflite")
    return tmp_path


def test_tflite_fp32_and_batch_need_no_variant(tflite_dir: Path, cache: Path) -> None:
    source = inspect_model(tflite_dir / "tiny_fc.tflite")
    v = derive(source, "fp32", 8, "static", cache)
    assert (v.path, v.derivation) == (source.path, {})


@pytest.mark.parametrize("precision,names", [("fp16", ["tiny_fc_fp16", "tiny_fc_float16"]),
                                             ("int8", ["tiny_fc_int8", "tiny_fc_quant"])])
def test_tflite_variant_miss_names_the_files_looked_for(tflite_dir: Path, cache: Path,
                                                        precision: str, names: list[str]) -> None:
    source = tflite_dir / "tiny_fc.tflite"
    assert [p.name for p in tflite_candidates(source, precision)] == [f"{n}.tflite"
                                                                      for n in names]
    with pytest.raises(VariantError) as info:
        _derive(source, precision, cache)
    message = str(info.value)
    assert f"no {precision} variant of tiny_fc.tflite" in message
    assert all(f"{n}.tflite" in message for n in names) and str(tflite_dir) in message


@pytest.mark.parametrize("precision,name", [("fp16", "tiny_fc_fp16"), ("fp16", "tiny_fc_float16"),
                                            ("int8", "tiny_fc_int8"), ("int8", "tiny_fc_quant")])
def test_tflite_variant_hit(tflite_dir: Path, cache: Path, precision: str, name: str) -> None:
    source = tflite_dir / "tiny_fc.tflite"
    _tflite_with_weights(source, tflite_dir / f"{name}.tflite", precision)
    v = _derive(source, precision, cache)
    assert v.path == tflite_dir / f"{name}.tflite"
    assert v.sha256 == inspect_model(v.path).sha256
    assert v.derivation["steps"][0]["tflite_file"] == f"{name}.tflite"
    assert v.derivation["source_sha256"] == inspect_model(source).sha256
    np.testing.assert_allclose(_run_tflite(v.path), _run_tflite(source), rtol=0.1, atol=0.1)
    assert not cache.exists(), "TFLite variants are exported files, not cached ones"


def test_tflite_first_name_wins(tflite_dir: Path, cache: Path) -> None:
    source = tflite_dir / "tiny_fc.tflite"
    for name in ("tiny_fc_fp16", "tiny_fc_float16"):
        _tflite_with_weights(source, tflite_dir / f"{name}.tflite", "fp16")
    assert _derive(source, "fp16", cache).path.name == "tiny_fc_fp16.tflite"


def test_tflite_fp32_copy_under_a_variant_name_is_refused(tflite_dir: Path,
                                                          cache: Path) -> None:
    shutil.copy(tflite_dir / "tiny_fc.tflite", tflite_dir / "tiny_fc_int8.tflite")
    with pytest.raises(VariantError, match="tiny_fc_int8.tflite is named as the int8 variant "
                                           "of tiny_fc.tflite but its weights are float32"):
        _derive(tflite_dir / "tiny_fc.tflite", "int8", cache)


def test_paddle_lite_runs_fp32_only(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "m.nb"
    path.write_bytes(b"paddle")
    assert _derive(path, "fp32", cache, batch=4).path == path
    with pytest.raises(VariantError, match="paddle_lite_opt"):
        _derive(path, "int8", cache)


def test_variant_measurement_record(models: dict[str, Path], cache: Path) -> None:
    v = _derive(models["tiny_conv.onnx"], "int8", cache)
    doc = v.to_measurement()
    assert set(doc) == {"path", "sha256", "size_mb", "derivation"}
    assert doc["size_mb"] == pytest.approx(v.size_bytes / 1e6)
    assert json.loads(json.dumps(doc)) == doc


def test_a_plan_derives_each_variant_once(models: dict[str, Path], cache: Path) -> None:
    plan = make_plan((inspect_model(models["tiny_conv_fixed.onnx"]),
                      inspect_model(models["tiny_reshape_fixed.onnx"])),
                     ("a", "b"), (1, 2), (1, 4), ("fp32", "int8"), MeasureSettings())
    said: list[str] = []
    prepared = derive_cases(plan.cases, "dynamic", cache, said.append)
    assert set(prepared) == {c.id for c in plan.cases}
    for case in plan.cases:
        result = prepared[case.id]
        if case.model.name == "tiny_reshape_fixed" and case.batch == 4:
            assert isinstance(result, VariantError)
        else:
            assert isinstance(result, Variant)
            assert result.derived == (case.precision == "int8" or case.batch == 4)
    # conv: int8 b1, fp32 b4, int8 b4; reshape: int8 b1, then fp32 b4 and int8 b4 refused
    assert len(said) == 6 and sum("no batch axis" in line for line in said) == 2
    assert len(list(cache.glob("*/variant.json"))) == 4
