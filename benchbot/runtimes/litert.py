"""TFLite flatbuffers, and LiteRT (or the older tflite_runtime) that runs them."""

from __future__ import annotations

from pathlib import Path

from benchbot.errors import ModelError
from benchbot.runtimes import InputShapes, ModelFormat, Runtime, register


def check_tflite(path: Path) -> None:
    """A TFLite flatbuffer carries the TFL3 identifier at bytes 4-8."""
    with path.open("rb") as f:
        head = f.read(8)
    if len(head) < 8 or head[4:8] != b"TFL3":
        raise ModelError(f"{path}: not a TFLite flatbuffer (no TFL3 identifier); re-export it")


def tflite_input_shapes(files: tuple[Path, ...]) -> InputShapes:
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_path=str(files[0])).get_input_details()
    return {d["name"]: tuple(int(x) for x in d["shape"]) for d in details}


TFLITE = ModelFormat(name="tflite", title="TFLite", suffixes=(".tflite", ".lite"),
                     check=check_tflite, input_shapes=tflite_input_shapes,
                     card_reader="benchbot.modelcard.read:tflite_card_fields")

LITERT = register(Runtime(
    name="litert", title="LiteRT", formats=(TFLITE,),
    # delegates; "cpu" is LiteRT's default CPU path (XNNPACK applied by default),
    # "reference" its built-in kernels without any delegate
    backends=("cpu", "reference", "xnnpack", "gpu", "nnapi"),
    agent_loader="load_litert",
    # fp16 and int8 are separate exports, found by name beside the fp32 file
    variant_maker="benchbot.variants.derive:derive_tflite",
    host_runner="benchbot.variants.accuracy:TfliteModel"))
