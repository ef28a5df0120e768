"""fp16 and int8 variants of an fp32 ONNX model, each proved to run in onnxruntime CPU.

- fp16: ``onnxruntime.transformers.float16.convert_float_to_float16`` with
  ``keep_io_types=True`` (inputs and outputs stay float32, so the agent feeds the
  variant exactly as the source). ONNX Runtime's CPU provider runs fp16 nodes that lack
  an fp16 kernel through casts it inserts itself; an op whose schema has no float16 at
  all is added to ``op_block_list`` (kept float32, with casts around it) and the model
  converted again, until it loads and runs or an op cannot be blocked.
- int8: ``onnxruntime.quantization``. ``quant_pre_process`` first (ONNX Runtime's
  graph optimizer folds BatchNormalization into Conv; ONNX shape inference), then
  ``static`` = ``quantize_static`` in QDQ format, int8 weights per channel and int8
  activations calibrated (MinMax) on a few generated batches of the model's input
  shapes (fixed seed), or ``dynamic`` = ``quantize_dynamic`` (int8 weights,
  activations quantized at run time).

Either result must contain converted weights: a model with nothing to convert is a
VariantError, never an fp32 file under an fp16 or int8 name.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, Iterator

import onnx

from benchbot.agent import concrete_shape, random_input
from benchbot.modelcard.onnx_counts import dtype_name, onnx_weight_types, quantized_weights
from benchbot.variants.onnx_check import RunFailed, first_line, run_once
from benchbot.variants.variant import VariantError

CALIBRATION_BATCHES = 4
CALIBRATION_SEED = 0
MAX_BLOCKED_OPS = 8
_OP_IN_ERROR = (re.compile(r"implementation for (\w+)\("), re.compile(r"operator \((\w+)\)"))


def to_fp16(model: onnx.ModelProto, name: str, batch: int) -> tuple[bytes, dict[str, Any]]:
    """The fp16 variant's bytes and its step (see the module docstring)."""
    from onnxruntime.transformers.float16 import (DEFAULT_OP_BLOCK_LIST,
                                                  convert_float_to_float16)

    blocked: list[str] = []
    while True:
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        try:
            converted = convert_float_to_float16(
                copy, keep_io_types=True, op_block_list=[*DEFAULT_OP_BLOCK_LIST, *blocked])
        except Exception as exc:
            raise VariantError(f"fp16: converting {name} failed: {first_line(exc)}") from exc
        if "float16" not in onnx_weight_types(converted):
            raise VariantError(f"fp16: {name} has no float32 weights to convert; "
                               "measure it as fp32 or give an fp32 model")
        data = converted.SerializeToString()
        try:
            run_once(data, batch)
            break
        except RunFailed as exc:
            op = next((m.group(1) for p in _OP_IN_ERROR for m in [p.search(str(exc))] if m),
                      None)
            if op is None or op in blocked or len(blocked) >= MAX_BLOCKED_OPS:
                raise VariantError(f"fp16: the fp16 variant of {name} does not run in "
                                   f"onnxruntime CPU: {exc}") from exc
            blocked.append(op)  # keep this op in float32 with casts around it
    step: dict[str, Any] = {"fp16": "onnxruntime.transformers.float16 keep_io_types=True"}
    if blocked:
        step["op_block_list"] = blocked
    return data, step


class _RandomBatches:
    """A CalibrationDataReader of seeded random batches of the model's input shapes."""

    def __init__(self, model: onnx.ModelProto, batch: int) -> None:
        import numpy as np

        weights = {t.name for t in model.graph.initializer}
        rng = np.random.default_rng(CALIBRATION_SEED)
        specs = []
        for vi in model.graph.input:
            if vi.name in weights:
                continue
            tensor_type = vi.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else "?"
                    for d in tensor_type.shape.dim]
            specs.append((vi.name, concrete_shape(dims, batch), dtype_name(tensor_type.elem_type)))
        self._batches: Iterator[dict[str, Any]] = iter(
            [{n: random_input(np, shape, dtype, rng) for n, shape, dtype in specs}
             for _ in range(CALIBRATION_BATCHES)])

    def get_next(self) -> dict[str, Any] | None:
        return next(self._batches, None)

    def rewind(self) -> None:  # not needed by MinMax calibration, part of the interface
        pass


def _calibration_reader(model: onnx.ModelProto, batch: int) -> Any:
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(_RandomBatches, CalibrationDataReader):
        pass

    return Reader(model, batch)


def to_int8(model: onnx.ModelProto, mode: str, name: str,
            batch: int) -> tuple[bytes, dict[str, Any]]:
    """The int8 variant's bytes and its step (see the module docstring)."""
    from onnxruntime.quantization import (QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(prefix="benchbot-int8-") as tmp:
        source, prepared, output = (Path(tmp) / f for f in ("source.onnx", "prepared.onnx",
                                                             "int8.onnx"))
        source.write_bytes(model.SerializeToString())
        try:
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
            pre = "quant_pre_process (onnxruntime optimizer, ONNX shape inference)"
        except Exception:  # the optimizer cannot take every graph: quantize it as it is
            prepared, pre = source, "none (quant_pre_process failed)"
        try:
            if mode == "static":
                for per_channel in (True, False):  # per channel needs per-axis QDQ support
                    try:
                        quantize_static(str(prepared), str(output),
                                        _calibration_reader(onnx.load(str(prepared)), batch),
                                        quant_format=QuantFormat.QDQ, per_channel=per_channel,
                                        activation_type=QuantType.QInt8,
                                        weight_type=QuantType.QInt8)
                        break
                    except Exception:
                        if not per_channel:
                            raise
                how = (f"static QDQ {'per-channel' if per_channel else 'per-tensor'} int8 "
                       f"weights, int8 activations calibrated (MinMax) on "
                       f"{CALIBRATION_BATCHES} generated batches of {batch} "
                       f"(seed {CALIBRATION_SEED})")
            else:
                quantize_dynamic(str(prepared), str(output), weight_type=QuantType.QInt8)
                how = "dynamic: int8 weights, activations quantized at run time"
        except Exception as exc:
            raise VariantError(f"int8 ({mode}): quantizing {name} failed: "
                               f"{first_line(exc)}") from exc
        data = output.read_bytes()
    if not quantized_weights(onnx.load_from_string(data)):
        raise VariantError(f"int8 ({mode}): nothing in {name} was quantized (onnxruntime "
                           "quantizes Conv, MatMul, Gemm and a few more); measure it as fp32")
    try:
        run_once(data, batch)
    except RunFailed as exc:
        raise VariantError(f"int8 ({mode}): the int8 variant of {name} does not run in "
                           f"onnxruntime CPU: {exc}") from exc
    return data, {"int8": how, "pre_process": pre}

