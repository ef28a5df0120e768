"""SSDLite320 detectors on MobileNetV3 (torchvision ``ssdlite320_mobilenet_v3_large``,
and the same construction on MobileNetV3-Small).

As torchvision builds it for its COCO weights: the backbone with the reduced tail,
tapped at C4 (the expansion conv of the last strided block, stride 16) and C5 (the last
1x1 conv, stride 32); four extra blocks (1x1 -> depthwise 3x3 stride 2 -> 1x1, ReLU6)
of 512, 256, 256, 128 channels; on each of the six maps a depthwise 3x3 + 1x1
prediction block for classes and for boxes, with 6 anchors per location (aspect ratios
2 and 3). The graph ends at the raw head outputs, ``bbox_regression`` [N, anchors, 4]
and ``cls_logits`` [N, anchors, 91]: anchor decoding and NMS are post-processing.
"""

from __future__ import annotations

from benchbot.zoo.graph import GraphBuilder, Value
from benchbot.zoo.mobilenet import mobilenet_v3_trunk, v3_config

NUM_CLASSES = 91  # COCO category ids, background included
ANCHORS_PER_LOCATION = 6  # DefaultBoxGenerator([[2, 3]] * 6): 2 + 2 * len([2, 3])
EXTRA_CHANNELS = (512, 256, 256, 128)
EPS = 1e-3


def _extra_block(g: GraphBuilder, x: Value, out: int) -> Value:
    mid = out // 2
    y = g.conv_bn_act(x, mid, 1, act="relu6", eps=EPS)
    y = g.conv_bn_act(y, mid, 3, stride=2, groups=mid, act="relu6", eps=EPS)
    return g.conv_bn_act(y, out, 1, act="relu6", eps=EPS)


def _predict(g: GraphBuilder, x: Value, columns: int) -> Value:
    """Depthwise 3x3 + BN + ReLU6, 1x1 conv to anchors x columns; to [HWA, columns]."""
    y = g.conv_bn_act(x, x.channels, 3, groups=x.channels, act="relu6", eps=EPS)
    y = g.conv(y, ANCHORS_PER_LOCATION * columns, 1, bias=True)
    h, w = y.spatial
    y = g.reshape(y, (ANCHORS_PER_LOCATION, columns, h, w))
    y = g.transpose(y, (2, 3, 0, 1))
    return g.reshape(y, (h * w * ANCHORS_PER_LOCATION, columns))


def _ssdlite(g: GraphBuilder, small: bool) -> dict[str, Value]:
    with g.scope("backbone"):
        c4, x = mobilenet_v3_trunk(g, v3_config(small, reduced_tail=True))
    maps = [c4, x]
    for i, out in enumerate(EXTRA_CHANNELS):
        with g.scope(f"extra.{i}"):
            x = _extra_block(g, x, out)
        maps.append(x)
    outputs: dict[str, Value] = {}
    for head, columns in (("bbox_regression", 4), ("cls_logits", NUM_CLASSES)):
        parts = []
        for i, feature in enumerate(maps):
            with g.scope(f"head.{head}.{i}"):
                parts.append(_predict(g, feature, columns))
        outputs[head] = g.concat(parts, axis=0)
    return outputs


def ssdlite320_mobilenet_v3_large(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``ssdlite320_mobilenet_v3_large`` (91 classes)."""
    return _ssdlite(g, small=False)


def ssdlite320_mobilenet_v3_small(g: GraphBuilder) -> dict[str, Value]:
    """The same detector on MobileNetV3-Small (no torchvision model; derived)."""
    return _ssdlite(g, small=True)
