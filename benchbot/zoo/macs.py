"""Multiply-accumulates of Conv, Gemm and MatMul nodes, from ONNX shape inference.

Deliberately small: it counts what dominates convolutional networks and is what
torchvision's "GFLOPS" column (really GMACs) counts. Conv (grouped and depthwise
included): output elements x (Cin / groups) x kh x kw. Gemm / MatMul: M x N x K (batched
MatMul: output elements x K). Bias additions, normalisation, activations and pooling are
not counted. A symbolic dimension (the dynamic batch axis) counts as 1, so a model with
a dynamic batch yields MACs per sample.
"""

from __future__ import annotations

import math

import onnx


def _shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    graph = inferred.graph
    shapes: dict[str, tuple[int, ...]] = {t.name: tuple(t.dims) for t in graph.initializer}
    for vi in [*graph.input, *graph.value_info, *graph.output]:
        tensor_type = vi.type.tensor_type
        if tensor_type.HasField("shape"):
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else 1
                                    for d in tensor_type.shape.dim)
    for node in graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    shapes[node.output[0]] = tuple(attr.t.dims)
    return shapes


def count_macs(model: onnx.ModelProto) -> int:
    """Multiply-accumulates of one inference of ``model`` (see the module docstring)."""
    shapes = _shapes(model)
    total = 0
    for node in model.graph.node:
        if node.op_type == "Conv":
            weight = shapes[node.input[1]]
            total += math.prod(shapes[node.output[0]]) * math.prod(weight[1:])
        elif node.op_type == "Gemm":
            a = shapes[node.input[0]]
            trans_a = next((x.i for x in node.attribute if x.name == "transA"), 0)
            k = a[0] if trans_a else a[1]
            total += math.prod(shapes[node.output[0]]) * k
        elif node.op_type == "MatMul":
            a = shapes[node.input[0]]
            total += math.prod(shapes[node.output[0]]) * a[-1]
    return total
