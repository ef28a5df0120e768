"""Multiply-accumulates of a zoo graph: the model-card counter's rule, which is what
torchvision's "GFLOPS" column (really GMACs) counts.

Conv (grouped and depthwise included): output elements x (Cin / groups) x kh x kw;
Gemm / MatMul: output elements x K. A symbolic dimension (the dynamic batch axis)
counts as 1, so a dynamic-batch model yields MACs per sample; a fixed batch counts whole.
"""

from __future__ import annotations

import onnx


def count_macs(model: onnx.ModelProto) -> int:
    """MACs of one inference of ``model`` (see :mod:`benchbot.modelcard.onnx_counts`)."""
    from benchbot.modelcard.onnx_counts import count_onnx

    return int(count_onnx(model, per_sample=False).macs)
