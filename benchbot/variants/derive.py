"""derive(): the file a case measures, for its precision and batch."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable

from benchbot import runtimes
from benchbot.errors import ConfigError
from benchbot.store.modelfile import ModelFile, input_shapes
from benchbot.variants import cache
from benchbot.variants.onnx_batch import needs_rewrite, rewrite_batch
from benchbot.variants.onnx_check import run_batch
from benchbot.variants.tflite import find_tflite_variant
from benchbot.variants.variant import INT8_MODES, PRECISIONS, Variant, VariantError

VariantMaker = Callable[[ModelFile, str, "int | None", str, Path], Variant]

# Bump when a recipe changes what it writes: every cached variant is then rebuilt.
RECIPE_VERSION = 1


def _unchanged(model: ModelFile) -> Variant:
    return Variant(path=model.path, sha256=model.sha256, size_bytes=model.size_bytes,
                   derivation={})


def _tools() -> dict[str, str]:
    import onnx
    import onnxruntime

    return {"onnx": str(onnx.__version__), "onnxruntime": str(onnxruntime.__version__)}


def file_name(model: ModelFile, precision: str, batch: int | None) -> str:
    """``<name>_<precision>[_bN].onnx``, the cached variant's file name."""
    return f"{model.name}_{precision}{f'_b{batch}' if batch is not None else ''}.onnx"


def _params(precision: str, batch: int | None, int8_mode: str) -> dict[str, Any]:
    """What the variant depends on besides the source's content (the cache key)."""
    params: dict[str, Any] = {"recipe": RECIPE_VERSION, "precision": precision,
                              "batch": batch, "tools": _tools()}
    if precision == "int8":
        from benchbot.variants.onnx_precision import CALIBRATION_BATCHES, CALIBRATION_SEED

        params["int8_mode"] = int8_mode
        if int8_mode == "static":
            params["calibration"] = {"batches": CALIBRATION_BATCHES, "seed": CALIBRATION_SEED}
    return params


def _build(model: ModelFile, precision: str, batch: int | None,
           int8_mode: str) -> tuple[bytes, list[dict[str, Any]], int]:
    """The variant's bytes, its steps, and the batch it was checked at."""
    import onnx

    data = model.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != model.sha256:
        raise VariantError(f"{model.path} changed since it was inspected; run again")
    proto = onnx.load_from_string(data)
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer):
        raise VariantError(f"{model.path.name} keeps its weights in external data files, "
                           "which benchbot does not derive variants of; export the "
                           f"{precision} model (batch {batch or 'as is'}) yourself")
    steps: list[dict[str, Any]] = []
    if batch is not None:
        proto = rewrite_batch(proto, batch, model.path.name)
        steps.append({"batch": batch})
    check_at = batch if batch is not None else run_batch(data)
    if precision == "fp16":
        from benchbot.variants.onnx_precision import to_fp16

        data, step = to_fp16(proto, model.path.name, check_at)
        steps.append(step)
    elif precision == "int8":
        from benchbot.variants.onnx_precision import to_int8

        data, step = to_int8(proto, int8_mode, model.path.name, check_at)
        steps.append(step)
    else:
        data = proto.SerializeToString()
    return data, steps, check_at


def derive(model: ModelFile, precision: str, batch: int | None, int8_mode: str,
           cache_dir: Path) -> Variant:
    """The file to measure ``model`` at ``precision`` and ``batch``.

    The model's runtime's variant maker (:mod:`benchbot.runtimes`) decides. ONNX
    Runtime: the source itself when nothing needs to change (fp32, and a dynamic batch
    axis or the batch it was exported with); else a variant derived from it (batch
    rewrite, then fp16 or int8), checked to load and run in onnxruntime CPU, and cached
    in ``cache_dir`` by content: an unchanged source is never derived twice. LiteRT:
    the exported variant file found by name (batch is resized at run time). A runtime
    without a maker (Paddle Lite, OpenVINO): fp32 only, other precisions are their own
    export. ``int8_mode`` ("static" or "dynamic") matters for int8 only.

    Raises VariantError (a CaseError: the case fails, the sweep goes on) when the
    precision or batch cannot apply; ConfigError for an unknown precision or mode.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if int8_mode not in INT8_MODES:
        raise ConfigError(f"int8 mode {int8_mode!r} is not one of {', '.join(INT8_MODES)}")
    if batch is not None and batch < 1:
        raise ConfigError(f"batch must be a positive integer, not {batch}")
    entry = runtimes.runtime(model.runtime)
    if entry.variant_maker is not None:
        maker: VariantMaker = runtimes.resolve(entry.variant_maker)
        return maker(model, precision, batch, int8_mode, cache_dir)
    if precision == "fp32":
        return _unchanged(model)
    raise VariantError(f"{model.path.name}: {precision} of a {entry.title} model is "
                       f"{entry.export_hint}")


def derive_tflite(model: ModelFile, precision: str, batch: int | None, int8_mode: str,
                  cache_dir: Path) -> Variant:
    """TFLite: the fp32 file, or the exported variant found by name beside it (the batch
    is resized at run time)."""
    return _unchanged(model) if precision == "fp32" else find_tflite_variant(model, precision)


def derive_onnx(model: ModelFile, precision: str, batch: int | None, int8_mode: str,
                cache_dir: Path) -> Variant:
    """ONNX: the source itself when nothing needs to change, else a derived variant,
    checked and cached by content (see :func:`derive`)."""
    rewrite = batch if needs_rewrite(input_shapes(model), batch) else None
    if precision == "fp32" and rewrite is None:
        return _unchanged(model)
    params = _params(precision, rewrite, int8_mode)
    entry = Path(cache_dir) / cache.cache_key(model.sha256, params)
    hit = cache.lookup(entry)
    if hit is not None:
        return hit
    data, steps, check_at = _build(model, precision, rewrite, int8_mode)
    derivation = {"source_sha256": model.sha256, "precision": precision, "steps": steps,
                  "checked": f"loaded and ran once in onnxruntime CPU at batch {check_at}",
                  "tools": params["tools"], "recipe": RECIPE_VERSION}
    if precision == "int8":
        derivation["int8_mode"] = int8_mode
    return cache.store(entry, file_name(model, precision, rewrite), data, derivation)
