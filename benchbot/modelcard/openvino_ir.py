"""The card fields of an OpenVINO IR (``model.xml`` + ``model.bin``), read by OpenVINO.

Inputs and outputs come from the graph; parameters are the elements of its Constant
nodes that hold floating-point weights (shapes and indices are integers and not counted).
MACs and FLOPs are not counted for an IR.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchbot.errors import ModelError
from benchbot.modelcard.card import TensorSpec

_FLOAT_TYPES = ("f32", "f16", "bf16", "f64")


def _spec(port: Any) -> TensorSpec:
    shape = port.get_partial_shape()
    dims = tuple(d.get_length() if d.is_static else "?" for d in shape)
    try:
        name = port.get_any_name()
    except RuntimeError:  # an output without a tensor name
        name = port.get_node().get_friendly_name()
    return TensorSpec(name, port.get_element_type().to_dtype().name, dims)


def ir_card_fields(path: Path) -> dict[str, Any]:
    import openvino

    try:
        model = openvino.Core().read_model(str(path), str(path.with_suffix(".bin")))
    except Exception as exc:
        raise ModelError(f"{path}: OpenVINO cannot read this IR ({type(exc).__name__}); "
                         "export it again with openvino.save_model") from exc
    params = 0
    weight_types: dict[str, None] = {}
    for op in model.get_ordered_ops():
        if op.get_type_name() != "Constant":
            continue
        kind = op.get_output_element_type(0).get_type_name()
        if kind in _FLOAT_TYPES or kind in ("i8", "u8", "i4", "u4"):
            shape = op.get_output_shape(0)
            params += math.prod(shape) if len(shape) else 1
            weight_types[kind] = None
    return {"inputs": tuple(_spec(p) for p in model.inputs),
            "outputs": tuple(_spec(p) for p in model.outputs),
            "params": params, "producer": f"OpenVINO IR, read by OpenVINO {openvino.__version__}",
            "weight_types": tuple(weight_types),
            "notes": ("MACs and FLOPs are not counted for an OpenVINO IR; parameters are the "
                      "elements of its weight constants",)}
