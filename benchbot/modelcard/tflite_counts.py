"""Tensors, parameters, MACs and FLOPs of a TFLite flatbuffer, read with its schema.

The flatbuffer is read in place with ``ai_edge_litert.schema_py_generated`` (weights
are never copied). Only the first subgraph (the model's main function) is counted.

- **Params**: elements of the constant tensors (those with a non-empty buffer) of a
  float type, of int8 / uint8 / int4, and of any other integer type that carries
  quantization scales (int32 biases of quantized models). Integer constants without
  scales (shapes, axes, paddings) are not parameters.
- **MACs**: CONV_2D = output elements x kh x kw x (Cin / groups) (weights OHWI);
  DEPTHWISE_CONV_2D = output elements x kh x kw; FULLY_CONNECTED = output elements x
  K; TRANSPOSE_CONV = input elements x kh x kw x Cout; BATCH_MATMUL = output elements
  x K.
- **FLOPs** = 2 x MACs + cheap ops counted as in :mod:`benchbot.modelcard.onnx_counts`:
  elementwise ops and each bias or fused activation 1 per output element, reductions
  1 per input element, pooling output elements x window, data movement 0; other ops
  0 and named in :attr:`Counts.uncounted`.

When a tensor a MAC op needs has no static shape, MACs and FLOPs are unknown (None)
rather than wrong. Dynamic dimensions (-1 in the shape signature) count as 1; a fixed
batch on axis 0 of every input is divided out, as for ONNX.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from benchbot.modelcard.card import TensorSpec
from benchbot.modelcard.onnx_counts import Counts

_FLOAT_TYPES = {"FLOAT32", "FLOAT16", "BFLOAT16", "FLOAT64"}
_ALWAYS_PARAM_INT_TYPES = {"INT8", "UINT8", "INT4", "UINT4"}
ELEMENTWISE = frozenset({
    "ABS", "ADD", "ADD_N", "CEIL", "COS", "DIV", "ELU", "EQUAL", "EXP", "FLOOR", "FLOOR_DIV",
    "FLOOR_MOD", "GELU", "GREATER", "GREATER_EQUAL", "HARD_SWISH", "L2_NORMALIZATION",
    "LEAKY_RELU", "LESS", "LESS_EQUAL", "LOCAL_RESPONSE_NORMALIZATION", "LOG", "LOGISTIC",
    "LOG_SOFTMAX", "MAXIMUM", "MINIMUM", "MUL", "NEG", "NOT_EQUAL", "POW", "PRELU", "RELU",
    "RELU6", "RELU_0_TO_1", "RELU_N1_TO_1", "ROUND", "RSQRT", "SELECT", "SELECT_V2", "SIGN",
    "SIN", "SOFTMAX", "SQRT", "SQUARE", "SQUARED_DIFFERENCE", "SUB", "TANH",
})
REDUCTIONS = frozenset({"MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "ARG_MAX",
                        "ARG_MIN", "REDUCE_ANY", "REDUCE_ALL"})
POOLS = frozenset({"AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"})
FREE = frozenset({
    "BROADCAST_TO", "CAST", "CONCATENATION", "DEPTH_TO_SPACE", "DEQUANTIZE", "EXPAND_DIMS",
    "FILL", "GATHER", "GATHER_ND", "MIRROR_PAD", "PACK", "PAD", "PADV2", "QUANTIZE",
    "RESHAPE", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "SHAPE", "SLICE",
    "SPACE_TO_DEPTH", "SPLIT", "SPLIT_V", "SQUEEZE", "STRIDED_SLICE", "TILE", "TRANSPOSE",
    "UNPACK", "ZEROS_LIKE",
})


class _UnknownShape(Exception):
    pass


@dataclass(frozen=True)
class TfliteFacts:
    """What a TFLite file says about itself."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    params: int
    counts: Counts | None  # None: a MAC op without static shapes
    description: str
    schema_version: int
    ops: dict[str, int]
    weight_types: tuple[str, ...]  # dtypes of the parameter tensors, e.g. ("float16",)


def _schema() -> Any:
    from ai_edge_litert import schema_py_generated  # lazy: only for .tflite files

    return schema_py_generated


def _names(enum: type) -> dict[int, str]:
    return {v: k for k, v in vars(enum).items() if not k.startswith("_")}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.tfl = _schema()
        self.model = self.tfl.Model.GetRootAs(data, 0)
        self.graph = self.model.Subgraphs(0)
        self.types = _names(self.tfl.TensorType)
        self.ops = _names(self.tfl.BuiltinOperator)
        self.option_classes = _names(self.tfl.BuiltinOptions)

    def dtype(self, index: int) -> str:
        return self.types.get(self.graph.Tensors(index).Type(), "UNKNOWN")

    def shape(self, index: int) -> tuple[int, ...]:
        """Static shape, a dynamic dimension (-1 in the signature) counting as 1."""
        t = self.graph.Tensors(index)
        if not t.ShapeLength():
            if t.HasRank() or t.ShapeSignatureLength():
                raise _UnknownShape(t.Name().decode())
            return ()  # a scalar
        shape = [int(d) for d in t.ShapeAsNumpy()]
        if t.ShapeSignatureLength() == len(shape):
            shape = [1 if s == -1 else d for s, d in zip(t.ShapeSignatureAsNumpy(), shape)]
        if any(d < 0 for d in shape):
            raise _UnknownShape(t.Name().decode())
        return tuple(shape)

    def spec(self, index: int) -> TensorSpec:
        t = self.graph.Tensors(index)
        dims: list[int | str] = [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []
        if t.ShapeSignatureLength() == len(dims):
            dims = ["?" if s == -1 else d for s, d in zip(t.ShapeSignatureAsNumpy(), dims)]
        return TensorSpec(t.Name().decode(), self.dtype(index).lower(), tuple(dims))

    def is_constant(self, index: int) -> bool:
        t = self.graph.Tensors(index)
        if t.Buffer() <= 0 or t.Buffer() >= self.model.BuffersLength():
            return False
        buf = self.model.Buffers(t.Buffer())
        return buf.DataLength() > 0 or buf.Size() > 0  # Size: data stored after the flatbuffer

    def is_param(self, index: int) -> bool:
        if not self.is_constant(index):
            return False
        dtype = self.dtype(index)
        if dtype in _FLOAT_TYPES or dtype in _ALWAYS_PARAM_INT_TYPES:
            return True
        quant = self.graph.Tensors(index).Quantization()
        return quant is not None and quant.ScaleLength() > 0

    def op_name(self, op: Any) -> str:
        code = self.model.OperatorCodes(op.OpcodeIndex())
        value = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        return self.ops.get(value, f"BUILTIN_{value}")

    def options(self, op: Any) -> Any:
        table = op.BuiltinOptions()
        name = self.option_classes.get(op.BuiltinOptionsType())
        if table is None or name is None or not hasattr(self.tfl, name):
            return None
        opts = getattr(self.tfl, name)()
        opts.Init(table.Bytes, table.Pos)
        return opts


def _op_cost(r: _Reader, name: str, op: Any) -> tuple[int, int] | None:
    """(MACs, cheap FLOPs) of one operator; None when it is not a counted op."""
    ins = [int(i) for i in op.InputsAsNumpy()] if op.InputsLength() else []
    outs = [int(i) for i in op.OutputsAsNumpy()] if op.OutputsLength() else []
    opts = r.options(op)
    out = math.prod(r.shape(outs[0])) if outs else 0
    fused = 0
    if opts is not None and hasattr(opts, "FusedActivationFunction") \
            and opts.FusedActivationFunction() != 0:
        fused = out
    bias = out if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") \
        and len(ins) > 2 and ins[2] >= 0 else 0
    if name == "CONV_2D":
        return out * math.prod(r.shape(ins[1])[1:]), bias + fused
    if name == "DEPTHWISE_CONV_2D":
        w = r.shape(ins[1])
        return out * w[1] * w[2], bias + fused
    if name == "FULLY_CONNECTED":
        return out * r.shape(ins[1])[-1], bias + fused
    if name == "TRANSPOSE_CONV":
        transpose_bias = out if len(ins) > 3 and ins[3] >= 0 else 0
        return math.prod(r.shape(ins[2])) * math.prod(r.shape(ins[1])[:-1]), \
            transpose_bias + fused
    if name == "BATCH_MATMUL":
        lhs = r.shape(ins[0])
        adj_x = bool(opts.AdjX()) if opts is not None else False
        return out * (lhs[-2] if adj_x else lhs[-1]), 0
    if name in ELEMENTWISE:
        return 0, out + fused
    if name in REDUCTIONS:
        return 0, math.prod(r.shape(ins[0]))
    if name in POOLS:
        window = opts.FilterHeight() * opts.FilterWidth() if opts is not None else 1
        return 0, out * window + fused
    return None


def _counts(r: _Reader, op_names: list[str]) -> Counts | None:
    macs = cheap = 0
    uncounted: Counter[str] = Counter()
    try:
        for i, name in enumerate(op_names):
            cost = _op_cost(r, name, r.graph.Operators(i))
            if cost is None:
                if name not in FREE:
                    uncounted[name] += 1
                continue
            macs += cost[0]
            cheap += cost[1]
    except (_UnknownShape, IndexError):
        return None
    firsts = set()
    for k in range(r.graph.InputsLength()):
        t = r.graph.Tensors(r.graph.Inputs(k))
        fixed = t.ShapeLength() > 0 and not (t.ShapeSignatureLength() and
                                             t.ShapeSignature(0) == -1)
        firsts.add(int(t.Shape(0)) if fixed else 1)
    batch = firsts.pop() if len(firsts) == 1 else 1
    return Counts(macs=round(macs / batch), cheap_flops=round(cheap / batch),
                  uncounted=tuple(f"{op} x{n}" for op, n in sorted(uncounted.items())),
                  batch_divided=batch)


def read_tflite(data: bytes) -> TfliteFacts:
    """Inputs, outputs, parameters and counts of a TFLite flatbuffer (module docstring)."""
    r = _Reader(data)
    g = r.graph
    params = 0
    weight_types: set[str] = set()
    for i in range(g.TensorsLength()):
        if r.is_param(i):
            params += math.prod(int(d) for d in g.Tensors(i).ShapeAsNumpy()) \
                if g.Tensors(i).ShapeLength() else 1
            weight_types.add(r.dtype(i).lower())
    op_names = [r.op_name(g.Operators(i)) for i in range(g.OperatorsLength())]
    description = r.model.Description()
    return TfliteFacts(
        inputs=tuple(r.spec(g.Inputs(k)) for k in range(g.InputsLength())),
        outputs=tuple(r.spec(g.Outputs(k)) for k in range(g.OutputsLength())),
        params=params, counts=_counts(r, op_names),
        description=description.decode(errors="replace") if description else "",
        schema_version=int(r.model.Version()), ops=dict(Counter(op_names)),
        weight_types=tuple(sorted(weight_types)))
