"""MobileNetV2 and MobileNetV3 Small / Large (torchvision definitions).

The MobileNetV3 trunk is also the backbone of the SSDLite detectors
(:mod:`benchbot.zoo.ssdlite`), which tap it at the expansion of the last strided block
(C4) and at the last 1x1 conv (C5), with the "reduced tail" of the paper's Table 6.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchbot.zoo.graph import GraphBuilder, Value

NUM_CLASSES = 1000


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round channels to a multiple of ``divisor``, never more than 10% below ``v``
    (the rounding of the MobileNet / EfficientNet reference code)."""
    floor = divisor if min_value is None else min_value
    new_v = max(floor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _inverted_residual_v2(g: GraphBuilder, x: Value, out: int, stride: int,
                          expand_ratio: int) -> Value:
    hidden = int(round(x.channels * expand_ratio))
    y = x
    if expand_ratio != 1:
        y = g.conv_bn_act(y, hidden, 1, act="relu6")
    y = g.conv_bn_act(y, hidden, 3, stride, groups=hidden, act="relu6")
    y = g.bn(g.conv(y, out, 1))
    return g.add(x, y) if stride == 1 and x.channels == out else y


def mobilenet_v2(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``mobilenet_v2`` (width 1.0)."""
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]  # expand ratio t, channels c, repeats n, stride s
    x = g.conv_bn_act(g.input, 32, 3, stride=2, act="relu6")
    index = 1
    for t, c, n, s in settings:
        for i in range(n):
            with g.scope(f"features.{index}"):
                x = _inverted_residual_v2(g, x, c, s if i == 0 else 1, t)
            index += 1
    x = g.conv_bn_act(x, 1280, 1, act="relu6")
    x = g.flatten(g.global_avg_pool(x))
    return {"logits": g.gemm(x, NUM_CLASSES)}


@dataclass(frozen=True)
class BlockV3:
    """One MobileNetV3 bneck row: kernel, expanded and output channels, SE, act, stride."""

    kernel: int
    expanded: int
    out: int
    se: bool
    act: str
    stride: int


def v3_config(small: bool, reduced_tail: bool = False) -> list[BlockV3]:
    """The bneck tables of the MobileNetV3 paper (Tables 1 and 2), as in torchvision;
    ``reduced_tail`` halves the channels of the last stage (paper, Table 6)."""
    rd = 2 if reduced_tail else 1
    re, hs = "relu", "hardswish"
    if small:
        rows = [(3, 16, 16, True, re, 2), (3, 72, 24, False, re, 2), (3, 88, 24, False, re, 1),
                (5, 96, 40, True, hs, 2), (5, 240, 40, True, hs, 1), (5, 240, 40, True, hs, 1),
                (5, 120, 48, True, hs, 1), (5, 144, 48, True, hs, 1),
                (5, 288, 96 // rd, True, hs, 2), (5, 576 // rd, 96 // rd, True, hs, 1),
                (5, 576 // rd, 96 // rd, True, hs, 1)]
    else:
        rows = [(3, 16, 16, False, re, 1), (3, 64, 24, False, re, 2), (3, 72, 24, False, re, 1),
                (5, 72, 40, True, re, 2), (5, 120, 40, True, re, 1), (5, 120, 40, True, re, 1),
                (3, 240, 80, False, hs, 2), (3, 200, 80, False, hs, 1),
                (3, 184, 80, False, hs, 1), (3, 184, 80, False, hs, 1),
                (3, 480, 112, True, hs, 1), (3, 672, 112, True, hs, 1),
                (5, 672, 160 // rd, True, hs, 2), (5, 960 // rd, 160 // rd, True, hs, 1),
                (5, 960 // rd, 160 // rd, True, hs, 1)]
    return [BlockV3(*row) for row in rows]


def squeeze_excitation(g: GraphBuilder, x: Value, squeeze: int, act: str,
                       gate: str) -> Value:
    """Squeeze-and-excitation: global pool, 1x1 conv (bias) + act, 1x1 conv (bias) + gate,
    then scale the input channels."""
    s = g.global_avg_pool(x)
    s = g.act(g.conv(s, squeeze, 1, bias=True), act)
    s = g.act(g.conv(s, x.channels, 1, bias=True), gate)
    return g.mul(x, s)


def inverted_residual_v3(g: GraphBuilder, x: Value, cnf: BlockV3,
                         eps: float = 1e-3) -> tuple[Value, Value | None]:
    """One bneck block; returns (output, output of the expansion conv or None)."""
    y, expanded = x, None
    if cnf.expanded != x.channels:
        y = expanded = g.conv_bn_act(y, cnf.expanded, 1, act=cnf.act, eps=eps)
    y = g.conv_bn_act(y, cnf.expanded, cnf.kernel, cnf.stride, groups=cnf.expanded,
                      act=cnf.act, eps=eps)
    if cnf.se:
        y = squeeze_excitation(g, y, make_divisible(cnf.expanded // 4, 8), "relu",
                               "hardsigmoid")
    y = g.bn(g.conv(y, cnf.out, 1), eps)
    if cnf.stride == 1 and x.channels == cnf.out:
        y = g.add(x, y)
    return y, expanded


def mobilenet_v3_trunk(g: GraphBuilder, config: list[BlockV3],
                       eps: float = 1e-3) -> tuple[Value, Value]:
    """Stem, bneck blocks and the last 1x1 conv (6x the last block's channels).

    Returns (C4, C5): C4 is the output of the expansion conv of the last strided block
    (stride 16), C5 the output of the last conv (stride 32), the taps of SSDLite.
    """
    x = g.conv_bn_act(g.input, 16, 3, stride=2, act="hardswish", eps=eps)
    c4_index = max(i for i, cnf in enumerate(config) if cnf.stride > 1)
    c4: Value | None = None
    for i, cnf in enumerate(config):
        with g.scope(f"features.{i + 1}"):
            x, expanded = inverted_residual_v3(g, x, cnf, eps)
        if i == c4_index:
            c4 = expanded
    assert c4 is not None  # every strided block of both tables expands
    x = g.conv_bn_act(x, 6 * config[-1].out, 1, act="hardswish", eps=eps)
    return c4, x


def _mobilenet_v3(g: GraphBuilder, small: bool) -> dict[str, Value]:
    _, x = mobilenet_v3_trunk(g, v3_config(small))
    x = g.flatten(g.global_avg_pool(x))
    with g.scope("classifier"):
        x = g.act(g.gemm(x, 1024 if small else 1280), "hardswish")
        x = g.gemm(x, NUM_CLASSES)
    return {"logits": x}


def mobilenet_v3_small(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``mobilenet_v3_small``."""
    return _mobilenet_v3(g, small=True)


def mobilenet_v3_large(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``mobilenet_v3_large``."""
    return _mobilenet_v3(g, small=False)
