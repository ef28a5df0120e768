"""Model cards: a model file's interface, parameters, MACs, FLOPs and size.

    model_card(Path("resnet18.onnx"))  -> ModelCard(params=11_689_512, macs=1_814_073_344, ...)

The counting conventions (what a parameter is, which ops are MACs, what a cheap op
costs) are documented in :mod:`benchbot.modelcard.onnx_counts` and
:mod:`benchbot.modelcard.tflite_counts` (an OpenVINO IR: :mod:`benchbot.modelcard.openvino_ir`;
which reader reads which format is the runtime registry's). Importing this package is cheap:
onnx, the TFLite schema and openvino are imported when a model is read.
"""

from __future__ import annotations

from typing import Any

from benchbot.modelcard.card import ModelCard, TensorSpec
from benchbot.modelcard.read import model_card

__all__ = ["Counts", "ModelCard", "TensorSpec", "count_onnx", "count_onnx_params",
           "model_card"]
_LAZY = {"Counts", "count_onnx", "count_onnx_params"}


def __getattr__(name: str) -> Any:  # the counters import onnx: only when asked for
    if name in _LAZY:
        from benchbot.modelcard import onnx_counts

        return getattr(onnx_counts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
