"""OpenVINO IR test models: a zoo ONNX graph converted by OpenVINO itself (no download)."""

from __future__ import annotations

from pathlib import Path

import onnx


def zoo_ir(folder: Path, name: str = "squeezenet1_1", resolution: int = 64) -> tuple[Path, Path]:
    """``(onnx, xml)``: zoo model ``name`` (dynamic batch, random weights) as ONNX, and
    converted to an IR (``.xml`` + ``.bin`` beside it, fp32 weights kept as fp32)."""
    import openvino

    from benchbot.zoo import build

    source = folder / f"{name}.onnx"
    onnx.save(build(name, resolution=resolution), str(source))
    xml = folder / f"{name}.xml"
    openvino.save_model(openvino.convert_model(str(source)), str(xml), compress_to_fp16=False)
    return source, xml
