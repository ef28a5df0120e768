"""OpenVINO IR (``model.xml`` + ``model.bin``), and OpenVINO's runtime, which also reads
ONNX and TFLite files (its frontends).

An IR is two files: the graph (``.xml``) and its weights (``.bin``, same stem, beside it).
The ``.xml`` suffix selects OpenVINO; an ONNX or TFLite file runs on it when the case names
the runtime (``--runtime openvino``).
"""

from __future__ import annotations

from pathlib import Path

from benchbot.errors import ModelError
from benchbot.runtimes import InputShapes, ModelFormat, Runtime, register
from benchbot.runtimes.litert import TFLITE
from benchbot.runtimes.onnxruntime import ONNX


def check_ir(path: Path) -> None:
    """An IR's graph is an XML document whose root is ``<net``."""
    with path.open("rb") as f:
        head = f.read(4096)
    if b"<net" not in head:
        raise ModelError(f"{path}: not an OpenVINO IR (no <net> element); export it with "
                         "openvino.save_model or ovc")


def ir_input_shapes(files: tuple[Path, ...]) -> InputShapes:
    """Input name -> dims (a str for a dynamic one), read by OpenVINO on the host."""
    import openvino

    model = openvino.Core().read_model(str(files[0]), str(files[1]) if len(files) > 1 else None)
    return {i.get_any_name(): tuple(d.get_length() if d.is_static else str(d)
                                    for d in i.get_partial_shape())
            for i in model.inputs}


IR = ModelFormat(name="openvino_ir", title="OpenVINO IR", suffixes=(".xml",),
                 companions=(".bin",), check=check_ir, input_shapes=ir_input_shapes,
                 card_reader="benchbot.modelcard.openvino_ir:ir_card_fields")

OPENVINO = register(Runtime(
    name="openvino", title="OpenVINO", formats=(IR, ONNX, TFLITE),
    # OpenVINO devices: CPU, GPU, NPU (compile_model's device name, upper case)
    backends=("cpu", "gpu", "npu"),
    agent_loader="load_openvino",
    # INFERENCE_PRECISION_HINT f16; the agent reads it back and fails a case the device
    # does not run in f16 (many x86 CPUs answer bf16)
    makes_precision=frozenset({("cpu", "fp16"), ("gpu", "fp16"), ("npu", "fp16")}),
    export_hint="its own export (an NNCF-quantized IR); give that .xml as a model"))
