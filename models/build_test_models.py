#!/usr/bin/env python3
"""Build the small deterministic ONNX and TFLite models used by benchbot's tests and demos.

Weights are random (numpy ``default_rng`` with a fixed seed per model), so every rebuild
produces byte-identical files. Needs only numpy, onnx and ai-edge-litert (for the TFLite
flatbuffer schema); no TensorFlow or PyTorch.

Usage: python models/build_test_models.py [--out DIR] [--only NAME,NAME]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import flatbuffers
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 9  # loadable by onnxruntime >= 1.16
SEED = 20240101
NUM_CLASSES = 10


# --------------------------------------------------------------------------- ONNX helpers
class _OnnxGraph:
    """Accumulates nodes and initializers of one ONNX graph, with conv/gemm shortcuts."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._count = 0

    def _fresh(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def const(self, prefix: str, value: np.ndarray) -> str:
        """Add an initializer and return its name."""
        name = self._fresh(prefix)
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def weight(self, shape: tuple[int, ...], fan_in: int) -> str:
        """He-initialised float32 weight initializer (keeps activations in a sane range)."""
        w = self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        return self.const("w", w.astype(np.float32))

    def bias(self, n: int) -> str:
        return self.const("b", (self.rng.standard_normal(n) * 0.01).astype(np.float32))

    def op(self, op_type: str, inputs: list[str], **attrs: object) -> str:
        """Append a single-output node and return its output name."""
        out = self._fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out + "_node", **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int = 3, stride: int = 1,
             group: int = 1, relu: bool = True) -> str:
        """Conv with 'same'-style symmetric padding, optionally followed by Relu."""
        w = self.weight((cout, cin // group, k, k), fan_in=(cin // group) * k * k)
        y = self.op("Conv", [x, w, self.bias(cout)], kernel_shape=[k, k], strides=[stride, stride],
                    pads=[k // 2] * 4, group=group)
        return self.op("Relu", [y]) if relu else y

    def gemm(self, x: str, cin: int, cout: int) -> str:
        """Fully connected layer on a [N, cin] tensor (weight stored [cout, cin], transB=1)."""
        return self.op("Gemm", [x, self.weight((cout, cin), fan_in=cin), self.bias(cout)], transB=1)

    def head(self, x: str, channels: int, classes: int) -> str:
        """GlobalAveragePool -> Flatten -> Gemm classifier head."""
        x = self.op("Flatten", [self.op("GlobalAveragePool", [x])], axis=1)
        return self.gemm(x, channels, classes)

    def model(self, name: str, in_shape: list[int | str], out_shape: list[int | str]) -> bytes:
        """Finish the graph: the last node's output becomes graph output "output"."""
        self.nodes[-1].output[0] = "output"
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
            initializer=self.inits)
        model = helper.make_model(graph, producer_name="benchbot-test-models",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        return model.SerializeToString()


# --------------------------------------------------------------------------- ONNX models
def _tiny_conv(batch: int | str) -> bytes:
    g = _OnnxGraph(SEED + 1)
    x = g.conv("input", 3, 8)
    x = g.conv(x, 8, 16, stride=2)
    g.head(x, 16, NUM_CLASSES)
    return g.model("tiny_conv", [batch, 3, 32, 32], [batch, NUM_CLASSES])


def build_tiny_conv() -> bytes:
    """Two 3x3 convs + GAP + Gemm, dynamic batch."""
    return _tiny_conv("batch")


def build_tiny_conv_fixed() -> bytes:
    """tiny_conv with the batch dimension fixed to 1 (dim_value 1)."""
    return _tiny_conv(1)


def build_tiny_matmul() -> bytes:
    """MLP 64 -> 128 -> 10 from MatMul + Add."""
    g = _OnnxGraph(SEED + 2)
    x = g.op("MatMul", ["input", g.weight((64, 128), fan_in=64)])
    x = g.op("Relu", [g.op("Add", [x, g.bias(128)])])
    x = g.op("MatMul", [x, g.weight((128, NUM_CLASSES), fan_in=128)])
    g.op("Add", [x, g.bias(NUM_CLASSES)])
    return g.model("tiny_matmul", ["batch", 64], ["batch", NUM_CLASSES])


def build_tiny_reshape_fixed() -> bytes:
    """Fixed batch 1 with a Reshape to a hard-coded [1, 192]: rejects any other batch size."""
    g = _OnnxGraph(SEED + 3)
    x = g.op("Reshape", ["input", g.const("shape", np.array([1, 3 * 8 * 8], dtype=np.int64))])
    g.op("MatMul", [x, g.weight((192, NUM_CLASSES), fan_in=192)])
    return g.model("tiny_reshape_fixed", [1, 3, 8, 8], [1, NUM_CLASSES])


def build_mid_conv(extra: bool = False, half: bool = False) -> bytes:
    """MobileNet-ish net at 112x112, 9 convs (regular, depthwise, pointwise), ~0.36 GMAC.

    ``extra``: the same net with one more 14x14 3x3 conv and a pointwise one, about 10%
    more MACs; ``half``: one more 14x14 3x3 conv in two groups and a pointwise one, about
5% more (`make
    bench` measures how often `benchbot ab` tells each from the original).
    """
    g = _OnnxGraph(SEED + 4)
    x = g.conv("input", 3, 32, stride=2)       # 56x56
    x = g.conv(x, 32, 32, group=32)             # depthwise
    x = g.conv(x, 32, 64, k=1)                  # pointwise
    x = g.conv(x, 64, 64)                       # 56x56 full 3x3
    x = g.conv(x, 64, 64, stride=2, group=64)   # 28x28 depthwise
    x = g.conv(x, 64, 128, k=1)
    x = g.conv(x, 128, 128)                     # 28x28 full 3x3
    x = g.conv(x, 128, 128)                     # 28x28 full 3x3
    x = g.conv(x, 128, 128, stride=2, group=128)  # 14x14 depthwise
    if half:
        x = g.conv(x, 128, 128, group=2)        # 14x14 3x3 in two groups
        x = g.conv(x, 128, 128, k=1)            # 14x14 pointwise
        g.head(x, 128, 1000)
        return g.model("mid_conv_plus5", ["batch", 3, 112, 112], ["batch", 1000])
    if extra:
        x = g.conv(x, 128, 128)                 # 14x14 full 3x3
        x = g.conv(x, 128, 160, k=1)            # 14x14 pointwise
        g.head(x, 160, 1000)
        return g.model("mid_conv_plus10", ["batch", 3, 112, 112], ["batch", 1000])
    g.head(x, 128, 1000)
    return g.model("mid_conv", ["batch", 3, 112, 112], ["batch", 1000])


def build_large_conv() -> bytes:
    """ResNet-like net at 224x224, 16 convs: 7x7 stem + residual stages of 96/128/256 channels.

    Stage 3 stays at 28x28 (no third downsampling) to buy compute (~3.4 GMAC) without
    the parameter count (and file size) of a deeper network.
    """
    g = _OnnxGraph(SEED + 5)
    x = g.conv("input", 3, 32, k=7, stride=2)   # 112x112
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])  # 56x56
    cin = 32
    for cout, stride, blocks in ((96, 1, 3), (128, 2, 2), (256, 1, 1)):
        x = g.conv(x, cin, cout, stride=stride)  # stage entry (stage 2 downsamples to 28x28)
        for _ in range(blocks):
            y = g.conv(g.conv(x, cout, cout), cout, cout, relu=False)
            x = g.op("Relu", [g.op("Add", [x, y])])
        cin = cout
    g.head(x, cin, 1000)
    return g.model("large_conv", ["batch", 3, 224, 224], ["batch", 1000])


# --------------------------------------------------------------------------- TFLite helpers
def _schema():  # imported lazily so the ONNX half works without ai-edge-litert
    from ai_edge_litert import schema_py_generated as tfl
    return tfl


class _TfliteGraph:
    """Accumulates tensors, buffers and operators of a single-subgraph TFLite model."""

    def __init__(self, seed: int) -> None:
        self.tfl = _schema()
        self.rng = np.random.default_rng(seed)
        self.buffers = [self.tfl.BufferT()]  # buffer 0: the mandatory empty sentinel
        self.tensors: list = []
        self.operators: list = []
        self.opcodes: list[int] = []

    def tensor(self, name: str, shape: list[int], data: np.ndarray | None = None,
               dynamic_batch: bool = False) -> int:
        """Add a tensor (constant when ``data`` is given) and return its index."""
        t = self.tfl.TensorT()
        t.name, t.shape = name, list(shape)
        t.type = self.tfl.TensorType.INT32 if data is not None and data.dtype == np.int32 \
            else self.tfl.TensorType.FLOAT32
        if dynamic_batch:
            t.shapeSignature = [-1] + list(shape[1:])
        t.buffer = 0
        if data is not None:
            t.buffer = len(self.buffers)
            self.buffers.append(self.tfl.BufferT(data=np.frombuffer(data.tobytes(), np.uint8)))
        self.tensors.append(t)
        return len(self.tensors) - 1

    def weight(self, name: str, shape: tuple[int, ...], fan_in: int) -> int:
        w = (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        return self.tensor(name, list(shape), w)

    def bias(self, name: str, n: int) -> int:
        return self.tensor(name, [n], (self.rng.standard_normal(n) * 0.01).astype(np.float32))

    def op(self, code: int, inputs: list[int], outputs: list[int],
           options_type: int = 0, options: object = None) -> None:
        if code not in self.opcodes:
            self.opcodes.append(code)
        o = self.tfl.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = self.opcodes.index(code), inputs, outputs
        o.builtinOptionsType, o.builtinOptions = options_type, options
        self.operators.append(o)

    def fully_connected(self, x: int, cin: int, cout: int, out: int, relu: bool) -> None:
        tfl = self.tfl
        opts = tfl.FullyConnectedOptionsT()
        opts.fusedActivationFunction = tfl.ActivationFunctionType.RELU if relu \
            else tfl.ActivationFunctionType.NONE
        w = self.weight(f"fc{out}_w", (cout, cin), fan_in=cin)
        self.op(tfl.BuiltinOperator.FULLY_CONNECTED, [x, w, self.bias(f"fc{out}_b", cout)],
                [out], tfl.BuiltinOptions.FullyConnectedOptions, opts)

    def finish(self, inputs: list[int], outputs: list[int]) -> bytes:
        """Pack into a schema-version-3 flatbuffer with the TFL3 identifier."""
        tfl = self.tfl
        sub = tfl.SubGraphT()
        sub.tensors, sub.inputs, sub.outputs = self.tensors, inputs, outputs
        sub.operators, sub.name = self.operators, "main"
        model = tfl.ModelT()
        model.version, model.description = 3, "benchbot test model"
        model.operatorCodes = [tfl.OperatorCodeT(deprecatedBuiltinCode=min(c, 127), builtinCode=c)
                               for c in self.opcodes]
        model.subgraphs, model.buffers = [sub], self.buffers
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


# --------------------------------------------------------------------------- TFLite models
def build_tiny_fc_tflite() -> bytes:
    """FULLY_CONNECTED 64->32 (+bias, fused RELU) then 32->10; resizable batch."""
    g = _TfliteGraph(SEED + 6)
    x = g.tensor("input", [1, 64], dynamic_batch=True)
    h = g.tensor("hidden", [1, 32], dynamic_batch=True)
    y = g.tensor("output", [1, NUM_CLASSES], dynamic_batch=True)
    g.fully_connected(x, 64, 32, h, relu=True)
    g.fully_connected(h, 32, NUM_CLASSES, y, relu=False)
    return g.finish([x], [y])


def build_tiny_conv_tflite() -> bytes:
    """NHWC CONV_2D 3->8 3x3 SAME (+bias, RELU) -> MEAN over H,W -> FULLY_CONNECTED to 10."""
    g = _TfliteGraph(SEED + 7)
    tfl = g.tfl
    x = g.tensor("input", [1, 16, 16, 3], dynamic_batch=True)
    c = g.tensor("conv", [1, 16, 16, 8], dynamic_batch=True)
    m = g.tensor("mean", [1, 8], dynamic_batch=True)
    y = g.tensor("output", [1, NUM_CLASSES], dynamic_batch=True)
    conv = tfl.Conv2DOptionsT()
    conv.padding, conv.strideW, conv.strideH = tfl.Padding.SAME, 1, 1
    conv.dilationWFactor = conv.dilationHFactor = 1
    conv.fusedActivationFunction = tfl.ActivationFunctionType.RELU
    w = g.weight("conv_w", (8, 3, 3, 3), fan_in=27)  # OHWI
    g.op(tfl.BuiltinOperator.CONV_2D, [x, w, g.bias("conv_b", 8)], [c],
         tfl.BuiltinOptions.Conv2DOptions, conv)
    axes = g.tensor("mean_axes", [2], np.array([1, 2], dtype=np.int32))
    mean = tfl.ReducerOptionsT()
    mean.keepDims = False
    g.op(tfl.BuiltinOperator.MEAN, [c, axes], [m], tfl.BuiltinOptions.ReducerOptions, mean)
    g.fully_connected(m, 8, NUM_CLASSES, y, relu=False)
    return g.finish([x], [y])


# --------------------------------------------------------------------------- driver
BUILDERS: dict[str, Callable[[], bytes]] = {
    "tiny_conv.onnx": build_tiny_conv,
    "tiny_matmul.onnx": build_tiny_matmul,
    "tiny_conv_fixed.onnx": build_tiny_conv_fixed,
    "tiny_reshape_fixed.onnx": build_tiny_reshape_fixed,
    "mid_conv.onnx": build_mid_conv,
    "mid_conv_plus10.onnx": lambda: build_mid_conv(extra=True),
    "mid_conv_plus5.onnx": lambda: build_mid_conv(half=True),
    "large_conv.onnx": build_large_conv,
    "tiny_fc.tflite": build_tiny_fc_tflite,
    "tiny_conv.tflite": build_tiny_conv_tflite,
}
MODELS: tuple[str, ...] = tuple(BUILDERS)


def build_all(out_dir: Path, only: list[str] | None = None) -> dict[str, Path]:
    """Write the requested models (all by default) into ``out_dir``; return name -> path."""
    names = list(MODELS) if only is None else list(only)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {list(MODELS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in names:
        path = out_dir / name
        path.write_bytes(BUILDERS[name]())
        written[name] = path
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output directory (default: this script's directory)")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated subset of: {','.join(MODELS)}")
    args = parser.parse_args(argv)
    only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    try:
        written = build_all(args.out, only)
    except ValueError as exc:
        parser.error(str(exc))
    for name, path in written.items():
        print(f"{name}\t{path.stat().st_size} bytes\t{path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
