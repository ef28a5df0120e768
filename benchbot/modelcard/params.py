"""The parameter rule of model cards and the zoo, in one place.

A model's parameter count is the number of elements of its floating-point initializers,
except the running mean and running variance of BatchNormalization (its inputs 3 and
4): those are buffers in PyTorch, not parameters, and torchvision's published counts
leave them out. Integer initializers (shapes, axes, indices feeding Reshape, Slice and
the like) are never parameters either. Only dims are read, so a shapes-only model (see
:mod:`benchbot.zoo.graph`) counts the same as the full one.
"""

from __future__ import annotations

import math

import onnx
from onnx import TensorProto

_FLOAT_TYPES = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16,
                          TensorProto.DOUBLE})


def batchnorm_statistics(graph: onnx.GraphProto) -> set[str]:
    """Names of the running mean / variance inputs of the graph's BatchNormalization nodes."""
    return {name for node in graph.node if node.op_type == "BatchNormalization"
            for name in node.input[3:5]}


def count_params(model: onnx.ModelProto) -> int:
    """Trainable parameters of ``model`` by the rule in this module's docstring."""
    skip = batchnorm_statistics(model.graph)
    return sum(math.prod(t.dims) for t in model.graph.initializer
               if t.data_type in _FLOAT_TYPES and t.name not in skip)
