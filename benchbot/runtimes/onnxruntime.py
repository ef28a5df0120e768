"""ONNX files, and ONNX Runtime: the agent's default runtime for them."""

from __future__ import annotations

from pathlib import Path

from benchbot.errors import ModelError
from benchbot.runtimes import InputShapes, ModelFormat, Runtime, register


def check_onnx(path: Path) -> None:
    """A readable ONNX model with at least one node; ModelError with the fix otherwise."""
    import onnx  # lazy: only needed when an ONNX model is in the sweep

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise ModelError(f"{path}: not a readable ONNX model ({type(exc).__name__}); "
                         "re-export it") from exc
    if not model.graph.node:
        raise ModelError(f"{path}: the ONNX graph has no nodes; re-export the model")


def onnx_input_shapes(files: tuple[Path, ...]) -> InputShapes:
    """The graph's inputs (not its weights): name -> dims, a str for a symbolic one."""
    import onnx

    graph = onnx.load(str(files[0]), load_external_data=False).graph
    weights = {i.name for i in graph.initializer}
    return {i.name: tuple(d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim)
            for i in graph.input if i.name not in weights}


ONNX = ModelFormat(name="onnx", title="ONNX", suffixes=(".onnx",), check=check_onnx,
                   input_shapes=onnx_input_shapes,
                   card_reader="benchbot.modelcard.read:onnx_card_fields")

ONNXRUNTIME = register(Runtime(
    name="onnxruntime", title="ONNX Runtime", formats=(ONNX,),
    # execution providers; "cpu" is ORT's default CPU path
    backends=("cpu", "cuda", "tensorrt"),
    agent_loader="load_onnxruntime",
    makes_precision=frozenset({("tensorrt", "fp16")}),  # the TensorRT provider's own fp16
    variant_maker="benchbot.variants.derive:derive_onnx",
    host_runner="benchbot.variants.accuracy:OnnxModel"))
