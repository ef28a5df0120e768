"""ResNet-18, ResNet-50 and ResNeXt-101 32x8d (torchvision definitions: ResNet v1.5,
the stride on the 3x3 conv of the bottleneck)."""

from __future__ import annotations

from benchbot.zoo.graph import GraphBuilder, Value

NUM_CLASSES = 1000


def _basic(g: GraphBuilder, x: Value, planes: int, stride: int) -> Value:
    y = g.conv_bn_act(x, planes, 3, stride)
    y = g.bn(g.conv(y, planes, 3))
    shortcut = x
    if stride != 1 or x.channels != planes:
        shortcut = g.bn(g.conv(x, planes, 1, stride, pad=0))
    return g.act(g.add(y, shortcut), "relu")


def _bottleneck(g: GraphBuilder, x: Value, planes: int, stride: int, groups: int,
                width_per_group: int) -> Value:
    width = int(planes * (width_per_group / 64.0)) * groups
    out = planes * 4
    y = g.conv_bn_act(x, width, 1)
    y = g.conv_bn_act(y, width, 3, stride, groups=groups)
    y = g.bn(g.conv(y, out, 1))
    shortcut = x
    if stride != 1 or x.channels != out:
        shortcut = g.bn(g.conv(x, out, 1, stride, pad=0))
    return g.act(g.add(y, shortcut), "relu")


def _resnet(g: GraphBuilder, layers: list[int], bottleneck: bool, groups: int = 1,
            width_per_group: int = 64) -> dict[str, Value]:
    x = g.conv_bn_act(g.input, 64, 7, stride=2)
    x = g.max_pool(x, 3, 2, pad=1)
    for stage, (planes, blocks) in enumerate(zip([64, 128, 256, 512], layers)):
        for i in range(blocks):
            stride = 2 if stage > 0 and i == 0 else 1
            with g.scope(f"layer{stage + 1}.{i}"):
                if bottleneck:
                    x = _bottleneck(g, x, planes, stride, groups, width_per_group)
                else:
                    x = _basic(g, x, planes, stride)
    x = g.flatten(g.global_avg_pool(x))
    return {"logits": g.gemm(x, NUM_CLASSES)}


def resnet18(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``resnet18``: basic blocks [2, 2, 2, 2]."""
    return _resnet(g, [2, 2, 2, 2], bottleneck=False)


def resnet50(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``resnet50``: bottleneck blocks [3, 4, 6, 3]."""
    return _resnet(g, [3, 4, 6, 3], bottleneck=True)


def resnext101_32x8d(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``resnext101_32x8d``: bottlenecks [3, 4, 23, 3], 32 groups of width 8."""
    return _resnet(g, [3, 4, 23, 3], bottleneck=True, groups=32, width_per_group=8)
