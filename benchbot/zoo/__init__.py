"""An architecture zoo: standard vision models as ONNX graphs with random weights.

Latency depends on the architecture, not on trained values, so the zoo writes each
model directly with the ONNX helper API (no PyTorch): float32, opset 17, input "input"
NCHW with a dynamic batch axis ("batch") or a fixed one, output "logits" [N, 1000] for
classifiers ("bbox_regression" and "cls_logits" for the SSDLite detectors). Weights are
drawn from ``numpy.random.default_rng(seed)``: the same name, shape options and seed
give byte-identical files.

    build("resnet18")                         -> onnx.ModelProto
    export("resnet18", Path("models/zoo"))    -> models/zoo/resnet18.onnx
    resolve_zoo_ref("zoo:resnet18", cache)    -> cache/resnet18.onnx (built once)

``ZOO`` lists the architectures with the published figures each one reproduces;
:func:`count_params` and :func:`count_macs` are the rules they are checked by.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import onnx
from onnx import helper

from benchbot.errors import UserError
from benchbot.store import write_atomic
from benchbot.zoo.catalog import ZOO, ZooEntry
from benchbot.zoo.graph import GraphBuilder
from benchbot.zoo.macs import count_macs
from benchbot.modelcard.params import count_params

__all__ = ["ZOO", "ZooEntry", "REF_PREFIX", "build", "count_macs", "count_params", "export",
           "export_name", "get_entry", "resolve_zoo_ref"]

REF_PREFIX = "zoo:"
MIN_RESOLUTION = 16


def get_entry(name: str) -> ZooEntry:
    """The catalog entry of ``name``; an unknown name is a UserError listing the known."""
    try:
        return ZOO[name]
    except KeyError:
        close = difflib.get_close_matches(name, ZOO, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UserError(f"unknown zoo model {name!r}{hint}; known: {', '.join(ZOO)}") from None


def build(name: str, batch: int | None = None, resolution: int | None = None, seed: int = 0,
          *, shapes_only: bool = False) -> onnx.ModelProto:
    """Build zoo model ``name`` in memory.

    ``batch`` None gives a dynamic batch axis; ``resolution`` None the published one.
    ``shapes_only`` leaves the weight initializers without data: the model is not
    runnable, but :func:`count_params` and :func:`count_macs` read it in milliseconds.
    """
    entry = get_entry(name)
    res = entry.resolution if resolution is None else resolution
    if batch is not None and batch < 1:
        raise UserError(f"batch must be a positive integer, not {batch}")
    if res < MIN_RESOLUTION:
        raise UserError(f"resolution must be at least {MIN_RESOLUTION}, not {res}")
    g = GraphBuilder((3, res, res))
    try:
        outputs = entry.builder(g)
    except ValueError as exc:
        raise UserError(f"{name} cannot be built at resolution {res} ({exc}); "
                        f"use a larger resolution (published: {entry.resolution})") from exc
    doc = (f"benchbot zoo {name}: {entry.task} architecture at {res}x{res}, random weights "
           f"(seed {seed}). Reference figures: {entry.source}.")
    model = g.finish(outputs, batch=batch, name=name, seed=seed, shapes_only=shapes_only,
                     doc=doc)
    helper.set_model_props(model, {"benchbot.zoo.name": name, "benchbot.zoo.resolution": str(res),
                                   "benchbot.zoo.seed": str(seed)})
    return model


def export_name(name: str, batch: int | None = None, resolution: int | None = None,
                seed: int = 0) -> str:
    """File name of an export: ``resnet18.onnx``, ``resnet18_b4_r160.onnx`` when the batch
    is fixed or the resolution is not the published one (``_s7`` for a non-zero seed)."""
    entry = get_entry(name)
    stem = name
    if batch is not None:
        stem += f"_b{batch}"
    if resolution is not None and resolution != entry.resolution:
        stem += f"_r{resolution}"
    if seed:
        stem += f"_s{seed}"
    return stem + ".onnx"


def export(name: str, out_dir: Path, batch: int | None = None, resolution: int | None = None,
           seed: int = 0) -> Path:
    """Build ``name`` and write it into ``out_dir`` (atomically); returns the file's path."""
    model = build(name, batch=batch, resolution=resolution, seed=seed)
    path = Path(out_dir) / export_name(name, batch, resolution, seed)
    write_atomic(path, model.SerializeToString())
    return path


def resolve_zoo_ref(ref: str, cache_dir: Path) -> Path:
    """The file of a ``zoo:NAME`` reference: exported into ``cache_dir`` the first time,
    reused afterwards (zoo models are deterministic, so the file never goes stale)."""
    if not ref.startswith(REF_PREFIX):
        raise UserError(f"{ref!r} is not a zoo reference; write {REF_PREFIX}NAME, e.g. "
                        f"{REF_PREFIX}resnet18")
    name = ref[len(REF_PREFIX):]
    get_entry(name)
    path = Path(cache_dir) / export_name(name)
    if path.is_file():
        return path
    return export(name, Path(cache_dir))
