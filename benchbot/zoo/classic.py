"""AlexNet, SqueezeNet 1.0 / 1.1 (torchvision definitions) and DarkNet-53 (YOLOv3's backbone)."""

from __future__ import annotations

from benchbot.zoo.graph import GraphBuilder, Value

NUM_CLASSES = 1000


def alexnet(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``alexnet``: 5 convs (with bias), adaptive 6x6 pool, 3 fully connected."""
    x = g.input
    with g.scope("features"):
        x = g.max_pool(g.act(g.conv(x, 64, 11, stride=4, pad=2, bias=True), "relu"), 3, 2)
        x = g.max_pool(g.act(g.conv(x, 192, 5, pad=2, bias=True), "relu"), 3, 2)
        x = g.act(g.conv(x, 384, 3, bias=True), "relu")
        x = g.act(g.conv(x, 256, 3, bias=True), "relu")
        x = g.max_pool(g.act(g.conv(x, 256, 3, bias=True), "relu"), 3, 2)
    x = g.flatten(g.adaptive_avg_pool(x, 6))
    with g.scope("classifier"):
        x = g.act(g.gemm(x, 4096), "relu")
        x = g.act(g.gemm(x, 4096), "relu")
        x = g.gemm(x, NUM_CLASSES)
    return {"logits": x}


def _fire(g: GraphBuilder, x: Value, squeeze: int, expand1: int, expand3: int) -> Value:
    s = g.act(g.conv(x, squeeze, 1, bias=True), "relu")
    e1 = g.act(g.conv(s, expand1, 1, bias=True), "relu")
    e3 = g.act(g.conv(s, expand3, 3, bias=True), "relu")
    return g.concat([e1, e3])


# (squeeze, expand1x1, expand3x3) per Fire module; "M" is MaxPool(3, 2, ceil_mode=True)
_SQUEEZENET_1_0 = ["M", (16, 64, 64), (16, 64, 64), (32, 128, 128), "M", (32, 128, 128),
                   (48, 192, 192), (48, 192, 192), (64, 256, 256), "M", (64, 256, 256)]
_SQUEEZENET_1_1 = ["M", (16, 64, 64), (16, 64, 64), "M", (32, 128, 128), (32, 128, 128),
                   "M", (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256)]


def _squeezenet(g: GraphBuilder, stem_channels: int, stem_kernel: int,
                layout: list[object]) -> dict[str, Value]:
    with g.scope("features"):
        x = g.act(g.conv(g.input, stem_channels, stem_kernel, stride=2, pad=0, bias=True),
                  "relu")
        for i, item in enumerate(layout):
            if item == "M":
                x = g.max_pool(x, 3, 2, ceil=True)
            else:
                with g.scope(f"fire{i}"):
                    x = _fire(g, x, *item)  # type: ignore[misc]
    with g.scope("classifier"):
        x = g.act(g.conv(x, NUM_CLASSES, 1, bias=True), "relu")
        x = g.flatten(g.global_avg_pool(x))
    return {"logits": x}


def squeezenet1_0(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``squeezenet1_0`` (7x7/2 stem, 96 channels)."""
    return _squeezenet(g, 96, 7, _SQUEEZENET_1_0)


def squeezenet1_1(g: GraphBuilder) -> dict[str, Value]:
    """torchvision ``squeezenet1_1`` (3x3/2 stem, 64 channels, earlier pooling)."""
    return _squeezenet(g, 64, 3, _SQUEEZENET_1_1)


def _darknet_conv(g: GraphBuilder, x: Value, cout: int, k: int, stride: int = 1) -> Value:
    return g.conv_bn_act(x, cout, k, stride, act="leaky_relu")


def darknet53(g: GraphBuilder) -> dict[str, Value]:
    """DarkNet-53 classifier (YOLOv3 paper, Table 1): conv-BN-LeakyReLU(0.1) throughout,
    a stride-2 3x3 conv opening each stage, residual (1x1 half, 3x3) blocks of
    1, 2, 8, 8, 4, then global average pool and a 1000-way fully connected layer."""
    x = _darknet_conv(g, g.input, 32, 3)
    for stage, (channels, blocks) in enumerate([(64, 1), (128, 2), (256, 8), (512, 8),
                                                (1024, 4)]):
        with g.scope(f"stage{stage + 1}"):
            x = _darknet_conv(g, x, channels, 3, stride=2)
            for _ in range(blocks):
                y = _darknet_conv(g, x, channels // 2, 1)
                x = g.add(x, _darknet_conv(g, y, channels, 3))
    x = g.flatten(g.global_avg_pool(x))
    return {"logits": g.gemm(x, NUM_CLASSES)}
