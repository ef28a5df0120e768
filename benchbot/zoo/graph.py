"""A small builder of ONNX inference graphs: conv / batch-norm / activation / pool / gemm blocks.

Architectures in the zoo are written against :class:`GraphBuilder`. It tracks the
per-sample shape of every value (the batch axis is left out), so architecture code can
ask for channels and spatial sizes, and declares weights as :class:`WeightSpec` rather
than arrays: the arrays are drawn only when the model is finished with
``shapes_only=False``. A shapes-only model has initializers with dims but no data; it
is enough for :func:`benchbot.modelcard.params.count_params` and for ONNX shape inference
(hence :func:`benchbot.zoo.macs.count_macs`) and costs nothing to build, even for
ResNeXt-101.

Conventions that the zoo's parameter rule relies on: weights are float32 initializers;
BatchNormalization keeps its own node with four initializers (scale, bias, running
mean, running variance); every other constant (Clip bounds, Reshape shapes, pooling
matrices) is a ``Constant`` node, never an initializer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # the lowest IR version that carries opset 17: loadable by onnxruntime >= 1.13

# Uniform ranges of the non-conv weights: BN close to identity, small biases.
_RANGES = {"bias": (-0.01, 0.01), "bn_scale": (0.5, 1.0), "bn_bias": (-0.1, 0.1),
           "bn_mean": (-0.1, 0.1), "bn_var": (0.5, 1.5)}


@dataclass(frozen=True)
class Value:
    """A tensor of the graph: its name and per-sample shape (batch axis excluded)."""

    name: str
    shape: tuple[int, ...]

    @property
    def channels(self) -> int:
        return self.shape[0]

    @property
    def spatial(self) -> tuple[int, ...]:
        return self.shape[1:]


@dataclass(frozen=True)
class WeightSpec:
    """A weight initializer to be drawn later: name, shape and how to initialise it."""

    name: str
    shape: tuple[int, ...]
    init: str
    fan_in: int = 1

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """Random float32 values; deterministic given the generator's state.

        Uniform draws (about twice as fast as normal ones, which matters for 88M
        weights): ``he`` is He-uniform, U(-b, b) with b = sqrt(6 / fan_in), the variance
        of He-normal, which keeps activations of deep nets in a sane range.
        """
        if self.init == "he":
            bound = math.sqrt(6.0 / self.fan_in)
            low, high = -bound, bound
        else:
            low, high = _RANGES[self.init]
        arr = rng.random(self.shape, dtype=np.float32)
        arr *= np.float32(high - low)
        arr += np.float32(low)
        return arr

    def fill(self, t: TensorProto, rng: np.random.Generator | None) -> None:
        """Write this initializer into ``t`` (in place: big weights are copied once):
        values drawn from ``rng``, or dims only (no data) when ``rng`` is None."""
        t.name = self.name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(self.shape)
        if rng is not None:
            t.raw_data = self.draw(rng).astype("<f4", copy=False).tobytes()


def conv_out(size: int, k: int, stride: int, pad_total: int, dilation: int = 1,
             ceil: bool = False) -> int:
    """Output length of a convolution or pooling window along one axis (PyTorch rules)."""
    span = size + pad_total - dilation * (k - 1) - 1
    if not ceil:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad_total // 2:  # the last window must start inside
        out -= 1
    return out


class GraphBuilder:
    """Accumulates nodes and weight specs of one graph; ops take and return :class:`Value`."""

    def __init__(self, input_shape: tuple[int, ...]) -> None:
        self.input = Value("input", tuple(input_shape))
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[WeightSpec] = []
        self._names: set[str] = {"input"}
        self._scope: list[str] = []
        self._consts: dict[tuple[object, ...], str] = {}

    # ------------------------------------------------------------------ names, scopes
    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Prefix the names created inside the block (readable graphs in Netron)."""
        self._scope.append(name)
        try:
            yield
        finally:
            self._scope.pop()

    def fresh(self, base: str) -> str:
        """A name not used yet in the graph, under the current scope."""
        stem = ".".join([*self._scope, base])
        name, n = stem, 1
        while name in self._names:
            n += 1
            name = f"{stem}_{n}"
        self._names.add(name)
        return name

    def weight(self, base: str, shape: Sequence[int], init: str, fan_in: int = 1) -> str:
        """Declare a float32 weight initializer; its values are drawn at :meth:`finish`."""
        spec = WeightSpec(self.fresh(base), tuple(int(d) for d in shape), init, fan_in)
        self.weights.append(spec)
        return spec.name

    def constant(self, value: np.ndarray) -> str:
        """A ``Constant`` node (shared per value): not an initializer, so never a parameter."""
        key = (value.dtype.str, value.shape, value.tobytes())
        if key not in self._consts:
            name = self.fresh("const")
            self.nodes.append(helper.make_node(
                "Constant", [], [name], name=name, value=numpy_helper.from_array(value, name)))
            self._consts[key] = name
        return self._consts[key]

    def op(self, op_type: str, inputs: Sequence[str], shape: Sequence[int],
           base: str | None = None, **attrs: object) -> Value:
        """Append a single-output node; ``shape`` is its per-sample output shape."""
        if any(d < 1 for d in shape):
            raise ValueError(f"{op_type} would output shape {tuple(shape)}: the input is "
                             "too small")
        out = self.fresh(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=out, **attrs))
        return Value(out, tuple(int(d) for d in shape))

    # ------------------------------------------------------------------ layers
    def conv(self, x: Value, cout: int, k: int, stride: int = 1, groups: int = 1,
             bias: bool = False, pad: int | None = None, dilation: int = 1,
             same_upper: bool = False) -> Value:
        """2-D convolution (weight [cout, cin/groups, k, k]); symmetric padding (k-1)/2*dil.

        ``same_upper`` pads like TensorFlow's ``SAME`` (extra row/column at the end), as
        the TF-reference models (EfficientNet-Lite) do.
        """
        cin = x.channels
        if cin % groups or cout % groups:
            raise ValueError(f"channels {cin}->{cout} not divisible by groups={groups}")
        fan_in = cin // groups * k * k
        inputs = [x.name, self.weight("conv.weight", (cout, cin // groups, k, k), "he", fan_in)]
        if bias:
            inputs.append(self.weight("conv.bias", (cout,), "bias"))
        attrs: dict[str, object] = {"kernel_shape": [k, k], "strides": [stride, stride],
                                    "group": groups, "dilations": [dilation, dilation]}
        if same_upper:
            spatial = [-(-s // stride) for s in x.spatial]
            pads = [max((o - 1) * stride + dilation * (k - 1) + 1 - s, 0)
                    for o, s in zip(spatial, x.spatial)]
            attrs["pads"] = [p // 2 for p in pads] + [p - p // 2 for p in pads]
        else:
            p = dilation * (k - 1) // 2 if pad is None else pad
            attrs["pads"] = [p] * 4
            spatial = [conv_out(s, k, stride, 2 * p, dilation) for s in x.spatial]
        return self.op("Conv", inputs, (cout, *spatial), base="conv", **attrs)

    def bn(self, x: Value, eps: float = 1e-5) -> Value:
        """BatchNormalization in inference form, kept as its own node."""
        c = (x.channels,)
        inputs = [x.name, self.weight("bn.scale", c, "bn_scale"),
                  self.weight("bn.bias", c, "bn_bias"),
                  self.weight("bn.mean", c, "bn_mean"), self.weight("bn.var", c, "bn_var")]
        return self.op("BatchNormalization", inputs, x.shape, base="bn", epsilon=eps)

    def act(self, x: Value, kind: str | None) -> Value:
        """Activation by name: relu, relu6, leaky_relu (0.1), hardswish, hardsigmoid,
        sigmoid, silu; ``None`` is the identity."""
        if kind is None:
            return x
        if kind == "relu":
            return self.op("Relu", [x.name], x.shape)
        if kind == "relu6":
            lo = self.constant(np.array(0.0, np.float32))
            hi = self.constant(np.array(6.0, np.float32))
            return self.op("Clip", [x.name, lo, hi], x.shape, base="relu6")
        if kind == "leaky_relu":
            return self.op("LeakyRelu", [x.name], x.shape, alpha=0.1)
        if kind == "hardswish":
            return self.op("HardSwish", [x.name], x.shape)
        if kind == "hardsigmoid":  # torchvision: relu6(x + 3) / 6
            return self.op("HardSigmoid", [x.name], x.shape, alpha=1.0 / 6.0, beta=0.5)
        if kind == "sigmoid":
            return self.op("Sigmoid", [x.name], x.shape)
        if kind == "silu":
            return self.mul(x, self.op("Sigmoid", [x.name], x.shape))
        raise ValueError(f"unknown activation {kind!r}")

    def conv_bn_act(self, x: Value, cout: int, k: int, stride: int = 1, groups: int = 1,
                    act: str | None = "relu", eps: float = 1e-5,
                    same_upper: bool = False) -> Value:
        """Conv (no bias) -> BatchNorm -> activation: torchvision's Conv2dNormActivation."""
        y = self.conv(x, cout, k, stride, groups, same_upper=same_upper)
        return self.act(self.bn(y, eps), act)

    def max_pool(self, x: Value, k: int, stride: int, pad: int = 0, ceil: bool = False) -> Value:
        spatial = [conv_out(s, k, stride, 2 * pad, ceil=ceil) for s in x.spatial]
        return self.op("MaxPool", [x.name], (x.channels, *spatial), kernel_shape=[k, k],
                       strides=[stride, stride], pads=[pad] * 4, ceil_mode=int(ceil))

    def global_avg_pool(self, x: Value) -> Value:
        return self.op("GlobalAveragePool", [x.name], (x.channels, 1, 1), base="gap")

    def adaptive_avg_pool(self, x: Value, size: int) -> Value:
        """PyTorch's AdaptiveAvgPool2d(size): identity, an AveragePool, or an exact
        pooling matrix (a MatMul with a constant) when the input does not divide evenly."""
        c, h, w = x.shape
        if (h, w) == (size, size):
            return x
        if h % size == 0 and w % size == 0:
            kh, kw = h // size, w // size
            return self.op("AveragePool", [x.name], (c, size, size), kernel_shape=[kh, kw],
                           strides=[kh, kw])
        pool = np.kron(_adaptive_matrix(h, size), _adaptive_matrix(w, size))  # [h*w, size^2]
        flat = self.reshape(x, (c, h * w))
        y = self.op("MatMul", [flat.name, self.constant(pool.astype(np.float32))],
                    (c, size * size), base="adaptive_pool")
        return self.reshape(y, (c, size, size))

    def flatten(self, x: Value) -> Value:
        return self.op("Flatten", [x.name], (math.prod(x.shape),), axis=1)

    def gemm(self, x: Value, cout: int) -> Value:
        """Fully connected layer on [N, cin]; weight stored [cout, cin] (transB=1) + bias."""
        cin = x.shape[0]
        w = self.weight("fc.weight", (cout, cin), "he", cin)
        b = self.weight("fc.bias", (cout,), "bias")
        return self.op("Gemm", [x.name, w, b], (cout,), base="fc", transB=1)

    def add(self, a: Value, b: Value) -> Value:
        return self.op("Add", [a.name, b.name], a.shape)

    def mul(self, a: Value, b: Value) -> Value:
        shape = tuple(max(p, q) for p, q in zip(a.shape, b.shape))
        return self.op("Mul", [a.name, b.name], shape)

    def concat(self, values: Sequence[Value], axis: int = 0) -> Value:
        """Concatenate along a per-sample ``axis`` (0: channels)."""
        shape = list(values[0].shape)
        shape[axis] = sum(v.shape[axis] for v in values)
        return self.op("Concat", [v.name for v in values], shape, axis=axis + 1)

    def reshape(self, x: Value, shape: Sequence[int]) -> Value:
        """Reshape the per-sample part; the batch axis is copied (a 0 in the shape)."""
        target = np.array([0, *shape], dtype=np.int64)
        if math.prod(shape) != math.prod(x.shape):
            raise ValueError(f"cannot reshape {x.shape} to {tuple(shape)}")
        return self.op("Reshape", [x.name, self.constant(target)], shape)

    def transpose(self, x: Value, perm: Sequence[int]) -> Value:
        """Permute the per-sample axes (the batch axis stays first)."""
        return self.op("Transpose", [x.name], [x.shape[p] for p in perm],
                       perm=[0, *(p + 1 for p in perm)])

    # ------------------------------------------------------------------ the model
    def finish(self, outputs: dict[str, Value], *, batch: int | None, name: str, seed: int,
               shapes_only: bool = False, doc: str = "") -> onnx.ModelProto:
        """The ONNX model: graph input "input", the given outputs renamed, weights drawn
        in declaration order from ``numpy.random.default_rng(seed)`` (or dims only)."""
        renames = {v.name: out for out, v in outputs.items()}
        for node in self.nodes:
            for i, o in enumerate(node.output):
                if o in renames:
                    node.output[i] = renames[o]
            for i, o in enumerate(node.input):
                if o in renames:
                    node.input[i] = renames[o]
        dim: int | str = "batch" if batch is None else batch
        graph_in = [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                  [dim, *self.input.shape])]
        graph_out = [helper.make_tensor_value_info(out, TensorProto.FLOAT, [dim, *v.shape])
                     for out, v in outputs.items()]
        model = helper.make_model(
            helper.make_graph(self.nodes, name, graph_in, graph_out, doc_string=doc),
            producer_name="benchbot.zoo", opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        rng = None if shapes_only else np.random.default_rng(seed)
        for spec in self.weights:  # filled in place: make_graph would copy every tensor
            spec.fill(model.graph.initializer.add(), rng)
        return model


def _adaptive_matrix(n: int, size: int) -> np.ndarray:
    """[n, size] averaging weights of AdaptiveAvgPool1d: bin i spans
    floor(i*n/size) .. ceil((i+1)*n/size)."""
    m = np.zeros((n, size), dtype=np.float64)
    for i in range(size):
        lo, hi = (i * n) // size, -(-((i + 1) * n) // size)
        m[lo:hi, i] = 1.0 / (hi - lo)
    return m
