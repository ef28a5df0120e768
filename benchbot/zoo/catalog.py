"""The zoo's catalog: every architecture, its published resolution and the published
figures it is checked against (tests/test_zoo.py holds every entry to them).

Reference parameter counts follow the rule of :mod:`benchbot.modelcard.params`; torchvision's
"GFLOPS" column counts multiply-accumulates, as :mod:`benchbot.zoo.macs` does. A MAC
figure agrees when it is within ``macs_tolerance`` (relative) of the reference, or
within half a unit of the reference's last published digit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from benchbot.zoo import classic, efficientnet, mobilenet, resnet, ssdlite
from benchbot.zoo.graph import GraphBuilder, Value

Architecture = Callable[[GraphBuilder], dict[str, Value]]


@dataclass(frozen=True)
class ZooEntry:
    """One architecture of the zoo and the published figures it must reproduce."""

    name: str
    builder: Architecture
    resolution: int
    ref_params: str | None  # as published: "61,100,840" (exact) or "5.4M"; None: derived
    ref_gmacs: str | None  # as published, e.g. "0.06"; None: no published figure
    source: str
    task: str = "classification"
    macs_tolerance: float = 0.03

    @property
    def ref_params_exact(self) -> bool:
        return self.ref_params is not None and not self.ref_params.endswith("M")

    def params_agree(self, params: int) -> bool:
        """Whether ``params`` reproduces the published count: exactly, or, for a figure
        published in millions, to within half a unit of its last digit."""
        if self.ref_params is None:
            return True
        if self.ref_params_exact:
            return params == int(self.ref_params.replace(",", ""))
        ref = Decimal(self.ref_params[:-1])
        return abs(Decimal(params) / 1_000_000 - ref) <= _half_unit(ref)

    def macs_agree(self, macs: int) -> bool:
        """Whether ``macs`` reproduces the published MACs (see the module docstring)."""
        if self.ref_gmacs is None:
            return True
        ref = Decimal(self.ref_gmacs)
        allowed = max(float(ref) * self.macs_tolerance, float(_half_unit(ref)))
        return abs(macs / 1e9 - float(ref)) <= allowed


def _half_unit(figure: Decimal) -> Decimal:
    """Half a unit of the last digit of a published figure: 0.005 for "0.06"."""
    exponent = figure.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(exponent) / 2


def _tv(weights: str) -> str:
    return f"torchvision {weights} (num_params, GFLOPS)"


def _entries() -> list[ZooEntry]:
    e = ZooEntry
    entries = [
        e("alexnet", classic.alexnet, 224, "61,100,840", "0.71",
          _tv("AlexNet_Weights.IMAGENET1K_V1")),
        e("squeezenet1_0", classic.squeezenet1_0, 224, "1,248,424", "0.82",
          _tv("SqueezeNet1_0_Weights.IMAGENET1K_V1")),
        e("squeezenet1_1", classic.squeezenet1_1, 224, "1,235,496", "0.35",
          _tv("SqueezeNet1_1_Weights.IMAGENET1K_V1")),
        e("resnet18", resnet.resnet18, 224, "11,689,512", "1.81",
          _tv("ResNet18_Weights.IMAGENET1K_V1")),
        e("resnet50", resnet.resnet50, 224, "25,557,032", "4.09",
          _tv("ResNet50_Weights.IMAGENET1K_V1")),
        e("mobilenet_v2", mobilenet.mobilenet_v2, 224, "3,504,872", "0.30",
          _tv("MobileNet_V2_Weights.IMAGENET1K_V1")),
        e("mobilenet_v3_small", mobilenet.mobilenet_v3_small, 224, "2,542,856", "0.06",
          _tv("MobileNet_V3_Small_Weights.IMAGENET1K_V1")),
        e("mobilenet_v3_large", mobilenet.mobilenet_v3_large, 224, "5,483,032", "0.22",
          _tv("MobileNet_V3_Large_Weights.IMAGENET1K_V1")),
    ]
    b = [(224, "5,288,548", "0.39"), (240, "7,794,184", "0.69"), (260, "9,109,994", "1.0"),
         (300, "12,233,232", "1.83"), (380, "19,341,616", "4.39"), (456, "30,389,784", "10.27"),
         (528, "43,040,704", "19.07"), (600, "66,347,960", "37.75")]
    for i, (res, params, macs) in enumerate(b):
        source = _tv(f"EfficientNet_B{i}_Weights.IMAGENET1K_V1")
        if i == 2:
            source = (f"params: {source}; MACs: EfficientNet paper (Tan & Le 2019) Table 2, "
                      "1.0B at 260 (torchvision's 1.09 GFLOPS is at its 288 crop)")
        entries.append(e(f"efficientnet_b{i}",
                         partial(efficientnet.efficientnet, v=efficientnet.variant(f"b{i}")),
                         res, params, macs, source))
    # TF efficientnet/lite/README.md gives params to 0.1M and MAdds that run 3-5% above a
    # Conv + FC count (ours; torchinfo also gives 0.385G for Lite0). Lite0's convs are B0's
    # minus squeeze-excitation, and B0 matches torchvision, hence the 6% tolerance.
    readme = "TF efficientnet/lite README"
    lite = [(224, "4,652,008", "0.407", f"timm tf_efficientnet_lite0 (params); {readme} "
                                        "(4.7M params, 407M MAdds)"),
            (240, "5.4M", "0.631", f"{readme} (5.4M params, 631M MAdds)"),
            (260, "6.1M", "0.899", f"{readme} (6.1M params, 899M MAdds)"),
            (280, "8.2M", "1.44", f"{readme} (8.2M params, 1.44B MAdds)"),
            (300, "13.0M", "2.64", f"{readme} (13.0M params, 2.64B MAdds)")]
    for i, (res, params, macs, source) in enumerate(lite):
        entries.append(e(f"efficientnet_lite{i}",
                         partial(efficientnet.efficientnet, v=efficientnet.variant(f"lite{i}")),
                         res, params, macs, source, macs_tolerance=0.06))
    entries += [
        e("darknet53", classic.darknet53, 256, "41.61M", "9.31",
          "PaddleClas DarkNet53 (256 px): 41.65M params counting the 35,712 BN running "
          "statistics too (older table: 41.60M), 9.31 GFLOPs by paddle.flops (MACs); "
          "YOLOv3 paper: 18.7 BFLOPs = 9.35 GMACs"),
        e("resnext101_32x8d", resnet.resnext101_32x8d, 224, "88,791,336", "16.41",
          _tv("ResNeXt101_32X8D_Weights.IMAGENET1K_V1")),
        e("ssdlite320_mobilenet_v3_large", ssdlite.ssdlite320_mobilenet_v3_large, 320,
          "3,440,060", "0.58", _tv("SSDLite320_MobileNet_V3_Large_Weights.COCO_V1"),
          task="detection"),
        e("ssdlite320_mobilenet_v3_small", ssdlite.ssdlite320_mobilenet_v3_small, 320,
          None, None,
          "no published model: derived (1,868,108 params, 0.195 GMACs), built exactly as "
          "the large variant, which reproduces torchvision's figures", task="detection"),
    ]
    return entries


ZOO: dict[str, ZooEntry] = {entry.name: entry for entry in _entries()}
