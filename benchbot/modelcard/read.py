"""model_card(path): read a model file on the host into a :class:`ModelCard`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchbot.errors import ModelError
from benchbot.modelcard.card import ModelCard, TensorSpec
from benchbot import runtimes
from benchbot.store.modelfile import inspect_model

_STRIP_ABOVE = 1024  # elements: weights bigger than this are not needed to count
_STRIPPED_TYPES = (1, 2, 3, 10, 11, 16)  # float, uint8, int8, float16, double, bfloat16


def _onnx_spec(vi: Any) -> TensorSpec:
    from benchbot.modelcard.onnx_counts import dtype_name

    tensor_type = vi.type.tensor_type
    dims: list[int | str] = []
    if tensor_type.HasField("shape"):
        dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                for d in tensor_type.shape.dim]
    return TensorSpec(vi.name, dtype_name(tensor_type.elem_type), tuple(dims))


def onnx_fields(model: Any) -> dict[str, Any]:
    """The card's fields read from an ONNX ModelProto (its weights may be stripped after)."""
    from benchbot.modelcard.onnx_counts import (count_onnx, count_onnx_params,
                                                onnx_weight_types)

    graph = model.graph
    weights = {t.name for t in graph.initializer}
    params = count_onnx_params(model)
    weight_types = onnx_weight_types(model)
    for t in graph.initializer:  # shape inference reads dims only: skip copying weights
        if math.prod(t.dims) > _STRIP_ABOVE and t.data_type in _STRIPPED_TYPES:
            t.ClearField("raw_data")
            t.ClearField("float_data")
            t.ClearField("int32_data")
            t.ClearField("double_data")
    counts = count_onnx(model)
    notes = []
    if counts.uncounted:
        notes.append(f"ops not counted in FLOPs: {', '.join(counts.uncounted)}")
    if counts.unknown_shapes:
        notes.append(f"{len(counts.unknown_shapes)} node(s) without inferred shapes not "
                     f"counted: {', '.join(counts.unknown_shapes[:5])}")
    if counts.batch_divided > 1:
        notes.append(f"the graph fixes batch {counts.batch_divided}; MACs and FLOPs are "
                     "divided by it (per sample)")
    if any(t.data_location == 1 for t in graph.initializer):  # TensorProto.EXTERNAL
        notes.append("weights are stored in external data files: the size is the .onnx "
                     "file's alone")
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    producer = f"{model.producer_name} {model.producer_version}".strip() or None
    return {"inputs": tuple(_onnx_spec(vi) for vi in graph.input if vi.name not in weights),
            "outputs": tuple(_onnx_spec(vi) for vi in graph.output),
            "params": params, "macs": counts.macs, "flops": counts.flops, "opset": opset,
            "producer": producer, "ir_version": int(model.ir_version),
            "weight_types": weight_types, "notes": tuple(notes)}


def onnx_card_fields(path: Path) -> dict[str, Any]:
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise ModelError(f"{path}: not a readable ONNX model ({type(exc).__name__}); "
                         "re-export it") from exc
    return onnx_fields(model)


def tflite_card_fields(path: Path) -> dict[str, Any]:
    from benchbot.modelcard.tflite_counts import read_tflite

    try:
        facts = read_tflite(path.read_bytes())
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"{path}: cannot read the TFLite flatbuffer "
                         f"({type(exc).__name__}: {exc}); re-export it") from exc
    counts = facts.counts
    notes = []
    if counts is None:
        notes.append("MACs and FLOPs unknown: a MAC op has a tensor without a static shape")
    else:
        if counts.uncounted:
            notes.append(f"ops not counted in FLOPs: {', '.join(counts.uncounted)}")
        if counts.batch_divided > 1:
            notes.append(f"the graph fixes batch {counts.batch_divided}; MACs and FLOPs are "
                         "divided by it (per sample)")
    return {"inputs": facts.inputs, "outputs": facts.outputs, "params": facts.params,
            "macs": counts.macs if counts else None, "flops": counts.flops if counts else None,
            "producer": facts.description or None, "ir_version": facts.schema_version,
            "weight_types": facts.weight_types, "notes": tuple(notes)}


def model_card(path: Path, runtime: str | None = None) -> ModelCard:
    """The card of the model at ``path``: what its format's card reader (in the runtime
    registry) finds; a format without one (Paddle Lite's .nb) is known by its size only.

    Raises ModelError (a UserError) for a file that is missing or not a model.
    """
    path = Path(path)
    model = inspect_model(path, runtime)
    fmt = runtimes.runtime(model.runtime).format_for(path)
    assert fmt is not None  # inspect_model checked that the runtime reads it
    if fmt.card_reader is not None:
        fields = runtimes.resolve(fmt.card_reader)(path)
    else:
        fields = {"notes": (f"a {fmt.title} {path.suffix} file is opaque on the host: only "
                            "its size is known",)}
    return ModelCard(name=model.name, path=str(path), format=fmt.name,
                     runtime=model.runtime, sha256=model.sha256, size_bytes=model.size_bytes,
                     **fields)
