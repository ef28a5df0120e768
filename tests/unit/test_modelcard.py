"""Model cards: exact parameter and MAC counts against published figures, the FLOPs
convention checked by hand, TFLite cards from the flatbuffer, and the report helpers."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from benchbot.store.codec import card_doc, card_of_doc
from benchbot.errors import ConfigError, ModelError
from benchbot.modelcard import ModelCard, TensorSpec, count_onnx, model_card
from benchbot.store.modelfile import inspect_model
from benchbot.report.grid import Cell, Grid
from benchbot.report.modelcols import (add_model_columns, model_columns, quantization_table,
                                       quantization_tables)
from benchbot.store.entries import Entry
from benchbot.stats import Summary
from benchbot.store import CaseResult, VariantRef
from tests.support.cases import make_case
from benchbot.variants import derive
from benchbot.zoo import build, count_macs, count_params

# torchvision's published figures: (params, GMACs)
PUBLISHED = {"resnet18": (11_689_512, 1.814), "mobilenet_v3_small": (2_542_856, 0.057),
             "squeezenet1_1": (1_235_496, 0.349), "efficientnet_b0": (5_288_548, 0.386),
             "alexnet": (61_100_840, 0.714)}


def _zoo_file(name: str, tmp_path: Path, **kwargs: object) -> Path:
    """A shapes-only zoo model on disk: weights have dims but no data (a few kB)."""
    path = tmp_path / f"{name}.onnx"
    onnx.save(build(name, shapes_only=True, **kwargs), path)  # type: ignore[arg-type]
    return path


def test_public_api() -> None:
    import benchbot.modelcard as modelcard

    assert sorted(modelcard.__all__) == ["Counts", "ModelCard", "TensorSpec", "count_onnx",
                                         "count_onnx_params", "model_card"]
    assert all(getattr(modelcard, name) for name in modelcard.__all__)


# --------------------------------------------------------------------------- published figures
@pytest.mark.parametrize("name", list(PUBLISHED))
def test_zoo_cards_match_the_published_figures(name: str, tmp_path: Path) -> None:
    card = model_card(_zoo_file(name, tmp_path))
    params, gmacs = PUBLISHED[name]
    assert card.params == params
    assert card.macs is not None and card.macs / 1e9 == pytest.approx(gmacs, rel=0.01)
    assert card.flops is not None and card.flops > 2 * card.macs
    assert card.opset == 17 and card.producer == "benchbot.zoo" and card.ir_version == 8
    assert card.inputs == (TensorSpec("input", "float32", ("batch", 3, 224, 224)),)
    assert card.outputs == (TensorSpec("logits", "float32", ("batch", 1000)),)
    assert card.notes == ()


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_large", "efficientnet_b0",
                                  "squeezenet1_0", "ssdlite320_mobilenet_v3_large"])
def test_cards_count_as_the_zoo_does(name: str) -> None:
    model = build(name, shapes_only=True)
    counts = count_onnx(model)
    assert counts.macs == count_macs(model)
    assert counts.flops == 2 * counts.macs + counts.cheap_flops
    assert 0 < counts.cheap_flops < 0.1 * counts.flops
    assert counts.uncounted == ()


def test_a_fixed_batch_is_divided_out(tmp_path: Path) -> None:
    dynamic = model_card(_zoo_file("squeezenet1_1", tmp_path))
    fixed_path = tmp_path / "b4.onnx"
    onnx.save(build("squeezenet1_1", batch=4, shapes_only=True), fixed_path)
    fixed = model_card(fixed_path)
    assert (fixed.macs, fixed.flops, fixed.params) == (dynamic.macs, dynamic.flops,
                                                       dynamic.params)
    assert fixed.inputs[0].shape == (4, 3, 224, 224)
    assert any("fixes batch 4" in n for n in fixed.notes)
    model = build("squeezenet1_1", batch=4, shapes_only=True)
    assert count_onnx(model, per_sample=False).macs == count_macs(model) == 4 * dynamic.macs


def test_external_data_is_noted(models: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "ext.onnx"
    onnx.save(onnx.load(models["tiny_conv.onnx"]), path, save_as_external_data=True,
              all_tensors_to_one_file=True, location="ext.data", size_threshold=0)
    card = model_card(path)
    assert card.params == model_card(models["tiny_conv.onnx"]).params
    assert any("external data" in n for n in card.notes)


# --------------------------------------------------------------------------- the convention
def test_flops_of_tiny_conv_by_hand(models: dict[str, Path]) -> None:
    card = model_card(models["tiny_conv.onnx"])
    conv1, conv2 = 8 * 32 * 32, 16 * 16 * 16  # output elements
    macs = conv1 * 3 * 9 + conv2 * 8 * 9 + 16 * 10
    # biases and Relus: 1 per output element; GlobalAveragePool: 1 per input element;
    # the Gemm's bias: 10; Flatten: 0
    cheap = 2 * conv1 + 2 * conv2 + conv2 + 10
    assert card.macs == macs == 516_256
    assert card.flops == 2 * macs + cheap == 1_061_194
    assert card.params == (8 * 27 + 8) + (16 * 72 + 16) + (16 * 10 + 10)
    assert card.size_bytes == models["tiny_conv.onnx"].stat().st_size
    assert card.weight_types == ("float32",)


def _init(name: str, shape: tuple[int, ...]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def test_each_counted_op_by_hand() -> None:
    nodes = [
        helper.make_node("Conv", ["x", "wg"], ["g"], group=4, pads=[1, 1, 1, 1]),  # grouped
        helper.make_node("ConvTranspose", ["g", "wt", "bt"], ["t"], strides=[2, 2]),
        helper.make_node("MaxPool", ["t"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["p", "s", "b", "m", "v"], ["n"]),
        helper.make_node("HardSwish", ["n"], ["h"]),
        helper.make_node("ReduceMean", ["h"], ["r"], axes=[2, 3], keepdims=0),
        helper.make_node("Gemm", ["r", "wf"], ["f"], transA=0, transB=1),
        helper.make_node("Softmax", ["f"], ["y"]),
        helper.make_node("LSTMish", ["y"], ["z"], domain="custom"),
    ]
    inits = [_init("wg", (8, 2, 3, 3)), _init("wt", (8, 4, 2, 2)), _init("bt", (4,)),
             *(_init(n, (4,)) for n in "sbmv"), _init("wf", (5, 4))]
    graph = helper.make_graph(nodes, "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                             ["N", 8, 6, 6])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("custom", 1)])
    counts = count_onnx(model)
    conv = 8 * 6 * 6 * 2 * 9              # output elements x Cin/group x k
    transpose = 8 * 6 * 6 * 4 * 2 * 2     # input elements x Cout/group x k -> [4, 12, 12]
    gemm = 5 * 4
    assert counts.macs == conv + transpose + gemm
    cheap = (4 * 12 * 12                  # ConvTranspose bias
             + 4 * 6 * 6 * 4              # MaxPool: output elements x window
             + 4 * 6 * 6 * 2              # BatchNormalization, HardSwish
             + 4 * 6 * 6                  # ReduceMean: input elements
             + 5)                         # Softmax (Gemm has no bias)
    assert counts.cheap_flops == cheap
    assert counts.flops == 2 * counts.macs + cheap
    assert counts.uncounted == ("LSTMish x1",)
    assert count_params(model) == 8 * 18 + 8 * 16 + 4 + 4 + 4 + 20  # BN mean/var left out


# --------------------------------------------------------------------------- variants
def test_cards_of_precision_variants(models: dict[str, Path], tmp_path: Path) -> None:
    source = inspect_model(models["tiny_conv.onnx"])
    fp32 = model_card(source.path)
    fp16 = model_card(derive(source, "fp16", None, "static", tmp_path).path)
    int8 = model_card(derive(source, "int8", None, "dynamic", tmp_path).path)
    assert fp16.params == fp32.params and fp16.weight_types == ("float16",)
    assert (fp16.macs, fp16.inputs, fp16.outputs) == (fp32.macs, fp32.inputs, fp32.outputs)
    assert int8.params is not None and int8.params >= 0.95 * fp32.params  # int8 weights count
    assert "int8" in int8.weight_types and int8.macs == fp32.macs


# --------------------------------------------------------------------------- TFLite
def test_tflite_card_of_tiny_fc(models: dict[str, Path]) -> None:
    card = model_card(models["tiny_fc.tflite"])
    assert card.format == "tflite" and card.runtime == "litert"
    assert card.params == 64 * 32 + 32 + 32 * 10 + 10 == 2_410
    assert card.macs == 64 * 32 + 32 * 10
    assert card.flops == 2 * card.macs + (32 + 32) + 10  # biases, the fused RELU
    assert card.inputs == (TensorSpec("input", "float32", ("?", 64)),)
    assert card.outputs == (TensorSpec("output", "float32", ("?", 10)),)
    assert card.opset is None and card.ir_version == 3
    assert card.weight_types == ("float32",)


def test_tflite_card_of_tiny_conv(models: dict[str, Path]) -> None:
    card = model_card(models["tiny_conv.tflite"])
    assert card.params == 8 * 3 * 3 * 3 + 8 + 8 * 10 + 10  # the int32 MEAN axes are not
    assert card.macs == 16 * 16 * 8 * 27 + 8 * 10
    conv_out = 16 * 16 * 8
    assert card.flops == 2 * card.macs + 2 * conv_out + conv_out + 10  # bias+RELU, MEAN, bias


# --------------------------------------------------------------------------- values and errors
def test_card_json_keys_and_round_trip(models: dict[str, Path]) -> None:
    card = model_card(models["tiny_conv.onnx"])
    doc = json.loads(json.dumps(card_doc(card)))
    assert {"params", "macs", "flops", "size_mb", "inputs", "outputs", "opset", "producer",
            "ir_version"} <= set(doc)
    assert doc["inputs"] == [{"name": "input", "dtype": "float32",
                              "shape": ["batch", 3, 32, 32]}]
    assert card_of_doc(doc) == card


def test_missing_and_opaque_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        model_card(tmp_path / "nope.onnx")
    nb = tmp_path / "m.nb"
    nb.write_bytes(b"x" * 2_000_000)
    card = model_card(nb)
    assert (card.params, card.macs, card.size_mb) == (None, None, 2.0)
    assert card.notes


# --------------------------------------------------------------------------- report helpers
def _card(name: str, params: int | None, macs: int | None, size: int) -> ModelCard:
    return ModelCard(name=name, path=f"{name}.onnx", format="onnx", runtime="onnxruntime",
                     sha256="0" * 64, size_bytes=size, params=params, macs=macs,
                     flops=None if macs is None else 2 * macs)


def test_model_columns_format_like_the_reference() -> None:
    cards = {"resnet18": _card("resnet18", 11_689_512, 1_814_073_344, 46_808_381),
             "odd": _card("odd", None, None, 1_000)}
    headers, values = model_columns(cards, ["flops", "params", "size"])
    assert headers == ("FLOPs (G)", "Params (M)", "Size (MB)")
    assert values == {"resnet18": ("3.628", "11.690", "46.808"), "odd": ("-", "-", "0.001")}
    with pytest.raises(ConfigError, match="latency"):
        model_columns(cards, ["latency"])


def test_model_columns_go_before_the_latency_cells() -> None:
    grid = Grid("c", ("Model", "Size", "FP32 bs=1"),
                ((("resnet18", "224", Cell(1.5))), ("other", "224", Cell(2.0))), ())
    cards = {"resnet18": _card("resnet18", 11_689_512, 1_814_073_344, 46_808_381)}
    out = add_model_columns(grid, cards, ["params"])
    assert out.header == ("Model", "Size", "Params (M)", "FP32 bs=1")
    assert out.rows == (("resnet18", "224", "11.690", Cell(1.5)),
                        ("other", "224", "-", Cell(2.0)))


def _result(precision: str, median: float | None, size_mb: float | None,
            mode: str | None = None) -> CaseResult:
    stats = None if median is None else Summary(
        n=10, mean_ms=median, median_ms=median, p90_ms=median, p99_ms=median, std_ms=0.1,
        min_ms=median, max_ms=median, mad_ms=0.0, ci95_low_ms=median, ci95_high_ms=median)
    variant = None
    if size_mb is not None:
        variant = VariantRef(path="x", sha256="1" * 64, size_bytes=round(size_mb * 1e6),
                             derivation={"int8_mode": mode} if mode else {})
    return make_case(id=f"id-{precision}", model="models/resnet18.onnx", model_sha256="0" * 64,
                     model_size_mb=22.457, device="pixel", runtime="onnxruntime", threads=1,
                     batch=1, precision=precision, status="ok" if stats else "failed",
                     error=None if stats else "fp16: conversion failed", stats=stats,
                     variant=variant)


def test_quantization_table_like_the_int8_reference() -> None:
    entries = [Entry("r", _result("int8", 5.0, 11.9, "static")),
               Entry("r", _result("fp32", 10.0, None)),
               Entry("r", _result("fp16", None, None))]
    grids = quantization_tables(entries, {}, "median")
    assert len(grids) == 1
    assert grids[0].caption == "Size and latency by precision (median, ms) on pixel, 1 thread, " \
                               "batch 1"
    text = quantization_table(entries, {}, "median")
    lines = text.splitlines()
    assert lines[2] == ("| Model | Precision | Size (MB) | Size / FP32 | Latency (median, ms) "
                        "| Speedup vs FP32 | Worst cosine | Top-1 agreement |")
    assert lines[4] == "| resnet18 | FP32 | 22.457 | 1.000 | 10.00 | 1.00x | - | - |"
    assert lines[5] == "| resnet18 | FP16 | 22.457 | 1.000 | - [1] | - | - | - |"
    assert lines[6] == "| resnet18 | INT8 (static) | 11.900 | 0.530 | 5.000 | 2.00x | - | - |"
    assert "[1] resnet18, fp16: failed: fp16: conversion failed" in text
    card = _card("resnet18_fp16", None, None, 11_228_500)
    with_card = quantization_table(entries, {"id-fp16": card}, "median")
    assert "| resnet18 | FP16 | 11.229 | 0.500 | - [1] | - |" in with_card
