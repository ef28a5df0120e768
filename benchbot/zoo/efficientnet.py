"""EfficientNet B0-B7 (torchvision definitions) and EfficientNet-Lite0-4 (the TensorFlow
reference ``efficientnet_lite_builder``, as ported by timm ``tf_efficientnet_lite*``).

Lite differs from B: no squeeze-excitation, ReLU6 instead of SiLU, stem (32) and head
(1280) channels and the repeats of the first and last stage not scaled, and TensorFlow
``SAME`` padding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchbot.zoo.graph import GraphBuilder, Value
from benchbot.zoo.mobilenet import make_divisible, squeeze_excitation

NUM_CLASSES = 1000

# MBConv stages of EfficientNet-B0: expand ratio, kernel, stride, out channels, repeats
_STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
           (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]

#: name -> (width multiplier, depth multiplier); resolutions live in the catalog
B_SCALING = {f"b{i}": wd for i, wd in enumerate(
    [(1.0, 1.0), (1.0, 1.1), (1.1, 1.2), (1.2, 1.4), (1.4, 1.8), (1.6, 2.2), (1.8, 2.6),
     (2.0, 3.1)])}
LITE_SCALING = {f"lite{i}": wd for i, wd in enumerate(
    [(1.0, 1.0), (1.0, 1.1), (1.1, 1.2), (1.2, 1.4), (1.4, 1.8)])}


@dataclass(frozen=True)
class Variant:
    """How one family member scales and which block options it uses."""

    width: float
    depth: float
    lite: bool
    eps: float

    @property
    def act(self) -> str:
        return "relu6" if self.lite else "silu"


def _mbconv(g: GraphBuilder, x: Value, v: Variant, expand: int, kernel: int, stride: int,
            out: int) -> Value:
    same = v.lite
    hidden = make_divisible(x.channels * expand, 8)
    y = x
    if hidden != x.channels:
        y = g.conv_bn_act(y, hidden, 1, act=v.act, eps=v.eps, same_upper=same)
    y = g.conv_bn_act(y, hidden, kernel, stride, groups=hidden, act=v.act, eps=v.eps,
                      same_upper=same)
    if not v.lite:  # torchvision: squeeze to a quarter of the block's *input* channels
        y = squeeze_excitation(g, y, max(1, x.channels // 4), "silu", "sigmoid")
    y = g.bn(g.conv(y, out, 1, same_upper=same), v.eps)
    return g.add(x, y) if stride == 1 and x.channels == out else y


def efficientnet(g: GraphBuilder, v: Variant) -> dict[str, Value]:
    """The EfficientNet family member described by ``v``."""
    ch = lambda c: make_divisible(c * v.width, 8)  # noqa: E731
    stem = 32 if v.lite else ch(32)
    x = g.conv_bn_act(g.input, stem, 3, stride=2, act=v.act, eps=v.eps, same_upper=v.lite)
    for s, (expand, kernel, stride, out, repeats) in enumerate(_STAGES):
        fixed = v.lite and s in (0, len(_STAGES) - 1)
        n = repeats if fixed else int(math.ceil(repeats * v.depth))
        for i in range(n):
            with g.scope(f"stage{s + 1}.{i}"):
                x = _mbconv(g, x, v, expand, kernel, stride if i == 0 else 1, ch(out))
    head = 1280 if v.lite else 4 * ch(320)
    x = g.conv_bn_act(x, head, 1, act=v.act, eps=v.eps, same_upper=v.lite)
    x = g.flatten(g.global_avg_pool(x))
    return {"logits": g.gemm(x, NUM_CLASSES)}


def variant(name: str) -> Variant:
    """``b0``..``b7`` or ``lite0``..``lite4``."""
    if name in LITE_SCALING:
        return Variant(*LITE_SCALING[name], lite=True, eps=1e-3)
    width, depth = B_SCALING[name]
    return Variant(width, depth, lite=False, eps=1e-3 if int(name[1:]) >= 5 else 1e-5)
