"""Parameters, multiply-accumulates and FLOPs of an ONNX graph, from shape inference.

The conventions, chosen so that the numbers are comparable with published model cards
and stay simple enough to check by hand:

- **Params**: :func:`benchbot.modelcard.params.count_params` (float initializers, without the
  BatchNormalization running mean and variance), plus the integer weights of quantized
  graphs: initializers dequantized by ``DequantizeLinear`` (QDQ weights and int32
  biases) and the weight and bias inputs of QLinearConv, ConvInteger, QLinearMatMul and
  MatMulInteger. Scales and zero points are not parameters.
- **MACs**: Conv (grouped and depthwise too) = output elements x (Cin / group) x kernel;
  ConvTranspose = input elements x (Cout / group) x kernel; Gemm / MatMul = output
  elements x K; their quantized forms (QLinearConv, ConvInteger, QLinearMatMul,
  MatMulInteger) alike. The same rule as :func:`benchbot.zoo.macs.count_macs`.
- **FLOPs** = 2 x MACs + the FLOPs of cheap ops, which are never MACs:

  * elementwise ops (Add, Mul, Relu, Sigmoid, HardSigmoid, HardSwish, Clip,
    BatchNormalization, Softmax, LayerNormalization ...): 1 per output element,
    whatever the op costs inside (BatchNormalization folds to one scale-and-shift);
  * the bias of Conv, ConvTranspose and Gemm: 1 per output element (as the Add that
    follows a MatMul is counted);
  * reductions (GlobalAveragePool, GlobalMaxPool, Reduce*): 1 per input element;
  * windowed pooling (MaxPool, AveragePool, LpPool): output elements x window size;
  * data movement (Reshape, Transpose, Concat, Slice, Gather, Pad, Resize, Cast, ...)
    and QuantizeLinear / DequantizeLinear: 0.

  Any other op counts 0 and is named in :attr:`Counts.uncounted`, so a figure that
  leaves work out says so. Subgraphs (If, Loop, Scan bodies) are not visited.

Counts are per sample: a symbolic dimension counts as 1, and a graph exported with a
fixed batch ``b`` on axis 0 of every input has its totals divided by ``b``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import onnx
from onnx import TensorProto

from benchbot.modelcard.params import batchnorm_statistics, count_params

Shapes = dict[str, tuple[int, ...]]

ELEMENTWISE = frozenset({
    "Abs", "Acos", "Acosh", "Add", "And", "Asin", "Asinh", "Atan", "Atanh",
    "BatchNormalization", "BitShift", "Ceil", "Celu", "Clip", "Cos", "Cosh", "Div", "Elu",
    "Equal", "Erf", "Exp", "FastGelu", "Floor", "Gelu", "Greater", "GreaterOrEqual",
    "GroupNormalization", "HardSigmoid", "HardSwish", "Hardmax", "InstanceNormalization",
    "IsInf", "IsNaN", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log",
    "LogSoftmax", "LpNormalization", "LRN", "Max", "Mean", "MeanVarianceNormalization", "Min",
    "Mish", "Mod", "Mul", "Neg", "Not", "Or", "PRelu", "Pow", "Reciprocal", "Relu", "Round",
    "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "SkipLayerNormalization", "Softmax",
    "Softplus", "Softsign", "Sqrt", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Where",
    "Xor", "QuickGelu", "BiasGelu", "SimplifiedLayerNormalization",
    "QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax",
})
REDUCTIONS = frozenset({
    "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "QLinearGlobalAveragePool",
    "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
    "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "ArgMax", "ArgMin",
})
WINDOWED_POOLS = frozenset({"MaxPool", "AveragePool", "LpPool", "QLinearAveragePool"})
FREE = frozenset({
    "Cast", "CastLike", "Compress", "Concat", "Constant", "ConstantOfShape", "DepthToSpace",
    "DequantizeLinear", "Dropout", "DynamicQuantizeLinear", "Expand", "EyeLike", "Flatten",
    "Gather", "GatherElements", "GatherND", "Identity", "NonZero", "OneHot", "Pad",
    "QuantizeLinear", "Range", "Reshape", "Resize", "ScatterElements", "ScatterND", "Shape",
    "Size", "Slice", "SpaceToDepth", "Split", "Squeeze", "Tile", "Transpose", "Trilu",
    "Unsqueeze", "Upsample", "QLinearConcat",
})
# op type -> (index of the weight input, index of the bias input or None)
_CONV_LIKE = {"Conv": (1, 2), "ConvInteger": (1, None), "QLinearConv": (3, 8)}
_MATMUL_LIKE = {"MatMul": (0, 1), "MatMulInteger": (0, 1), "QLinearMatMul": (0, 3)}
# inputs holding quantized weights or biases, per op type
_QUANTIZED_WEIGHT_INPUTS = {"DequantizeLinear": (0,), "QLinearConv": (3, 8),
                            "ConvInteger": (1,), "QLinearMatMul": (0, 3),
                            "MatMulInteger": (0, 1)}
FLOAT_TYPES = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16,
                         TensorProto.DOUBLE})  # the rule of benchbot.modelcard.params
_INTEGER_TYPES = frozenset({TensorProto.INT8, TensorProto.UINT8, TensorProto.INT16,
                            TensorProto.UINT16, TensorProto.INT32, TensorProto.INT4,
                            TensorProto.UINT4})


@dataclass(frozen=True)
class Counts:
    """What one inference of a graph costs, per sample (see the module docstring)."""

    macs: int
    cheap_flops: int
    uncounted: tuple[str, ...] = ()  # op types that hold work this count leaves out
    unknown_shapes: tuple[str, ...] = ()  # nodes skipped because shape inference failed
    batch_divided: int = 1

    @property
    def flops(self) -> int:
        return 2 * self.macs + self.cheap_flops


def infer_shapes(model: onnx.ModelProto) -> Shapes:
    """Every tensor's shape after ONNX shape inference; symbolic dimensions count as 1."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # an op type ONNX does not know: keep the shapes already declared
        inferred = model
    graph = inferred.graph
    shapes: Shapes = {t.name: tuple(t.dims) for t in graph.initializer}
    for vi in [*graph.input, *graph.value_info, *graph.output]:
        tensor_type = vi.type.tensor_type
        if tensor_type.HasField("shape"):
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0
                                    else 1 for d in tensor_type.shape.dim)
    for node in graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    shapes[node.output[0]] = tuple(attr.t.dims)
    return shapes


def _attr(node: onnx.NodeProto, name: str, default: object) -> object:
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _has(node: onnx.NodeProto, index: int | None) -> bool:
    return index is not None and len(node.input) > index and bool(node.input[index])


def _conv(node: onnx.NodeProto, s: Shapes) -> tuple[int, int]:
    w_index, b_index = _CONV_LIKE[node.op_type]
    out = math.prod(s[node.output[0]])
    return out * math.prod(s[node.input[w_index]][1:]), out if _has(node, b_index) else 0


def _conv_transpose(node: onnx.NodeProto, s: Shapes) -> tuple[int, int]:
    # weight [Cin, Cout / group, k...]: every input element meets Cout/group x k weights
    macs = math.prod(s[node.input[0]]) * math.prod(s[node.input[1]][1:])
    return macs, math.prod(s[node.output[0]]) if _has(node, 2) else 0


def _gemm(node: onnx.NodeProto, s: Shapes) -> tuple[int, int]:
    a = s[node.input[0]]
    k = a[0] if _attr(node, "transA", 0) else a[-1]
    out = math.prod(s[node.output[0]])
    return out * k, out if _has(node, 2) else 0


def _matmul(node: onnx.NodeProto, s: Shapes) -> tuple[int, int]:
    a_index, _ = _MATMUL_LIKE[node.op_type]
    return math.prod(s[node.output[0]]) * s[node.input[a_index]][-1], 0


def _elementwise(node: onnx.NodeProto, s: Shapes) -> tuple[int, int]:
    return 0, math.prod(s[node.output[0]])


def _reduction(node: onnx.NodeProto, s: Shapes) -> tuple[int, int]:
    return 0, math.prod(s[node.input[0]])


def _pool(node: onnx.NodeProto, s: Shapes) -> tuple[int, int]:
    window = math.prod(_attr(node, "kernel_shape", []))  # type: ignore[arg-type]
    return 0, math.prod(s[node.output[0]]) * window


_RULES: dict[str, Callable[[onnx.NodeProto, Shapes], tuple[int, int]]] = {
    **{op: _conv for op in _CONV_LIKE}, "ConvTranspose": _conv_transpose, "Gemm": _gemm,
    **{op: _matmul for op in _MATMUL_LIKE},
    **{op: _elementwise for op in ELEMENTWISE}, **{op: _reduction for op in REDUCTIONS},
    **{op: _pool for op in WINDOWED_POOLS},
}


def fixed_batch(model: onnx.ModelProto) -> int:
    """The batch every graph input fixes on axis 0, or 1 (dynamic, mixed, or scalars)."""
    weights = {t.name for t in model.graph.initializer}
    firsts = set()
    for vi in model.graph.input:
        if vi.name in weights:
            continue
        dims = vi.type.tensor_type.shape.dim
        if not dims or not dims[0].HasField("dim_value") or dims[0].dim_value < 1:
            return 1
        firsts.add(dims[0].dim_value)
    return firsts.pop() if len(firsts) == 1 else 1


def count_onnx(model: onnx.ModelProto, per_sample: bool = True) -> Counts:
    """MACs and FLOPs of one inference of ``model`` (module docstring); ``per_sample``
    False keeps the totals of a fixed batch (what :func:`benchbot.zoo.count_macs` gives)."""
    shapes = infer_shapes(model)
    macs = cheap = 0
    uncounted: Counter[str] = Counter()
    unknown: list[str] = []
    for node in model.graph.node:
        rule = _RULES.get(node.op_type)
        if rule is None:
            if node.op_type not in FREE:
                uncounted[node.op_type] += 1
            continue
        try:
            m, c = rule(node, shapes)
        except (KeyError, IndexError):  # a tensor shape inference could not reach
            unknown.append(node.name or node.op_type)
            continue
        macs += m
        cheap += c
    batch = fixed_batch(model) if per_sample else 1
    return Counts(macs=round(macs / batch), cheap_flops=round(cheap / batch),
                  uncounted=tuple(f"{op} x{n}" for op, n in sorted(uncounted.items())),
                  unknown_shapes=tuple(unknown), batch_divided=batch)


def quantized_weights(model: onnx.ModelProto) -> dict[str, onnx.TensorProto]:
    """Integer initializers that hold quantized weights or biases (module docstring)."""
    integer = {t.name: t for t in model.graph.initializer if t.data_type in _INTEGER_TYPES}
    found: dict[str, onnx.TensorProto] = {}
    for node in model.graph.node:
        for index in _QUANTIZED_WEIGHT_INPUTS.get(node.op_type, ()):
            if _has(node, index) and node.input[index] in integer:
                found[node.input[index]] = integer[node.input[index]]
    return found


def count_onnx_params(model: onnx.ModelProto) -> int:
    """Parameters by the zoo's rule plus the integer weights of quantized graphs."""
    quantized = quantized_weights(model).values()
    return count_params(model) + sum(math.prod(t.dims) for t in quantized)


def onnx_weight_types(model: onnx.ModelProto) -> tuple[str, ...]:
    """The dtypes the parameters are stored in, e.g. ("float16",) or ("int32", "int8")."""
    skip = batchnorm_statistics(model.graph)
    types = {t.data_type for t in model.graph.initializer
             if t.data_type in FLOAT_TYPES and t.name not in skip}
    types |= {t.data_type for t in quantized_weights(model).values()}
    return tuple(sorted(dtype_name(t) for t in types))


def dtype_name(elem_type: int) -> str:
    """numpy's name of an ONNX element type ("float32"), else ONNX's own ("float8e4m3fn")."""
    try:
        return str(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
    except Exception:  # a type numpy has no name for
        return TensorProto.DataType.Name(elem_type).lower()
