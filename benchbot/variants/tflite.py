"""TFLite precision variants: separate exports found by file name, never converted here.

For ``x.tflite`` (the fp32 export) the variants live in the same folder:

    fp16: x_fp16.tflite, else x_float16.tflite
    int8: x_int8.tflite, else x_quant.tflite

A variant found is checked to be what its name says, from the dtypes of its weights
(float16 weights for fp16; int8 or uint8 for int8): a copy of the fp32 file under an
fp16 name would otherwise be measured and reported as fp16.
"""

from __future__ import annotations

from pathlib import Path

from benchbot.errors import ModelError
from benchbot.store.modelfile import ModelFile, inspect_model
from benchbot.variants.variant import Variant, VariantError

SUFFIXES = {"fp16": ("fp16", "float16"), "int8": ("int8", "quant")}
WEIGHT_TYPES = {"fp16": {"float16"}, "int8": {"int8", "uint8"}}
_HOW = {"fp16": "the TFLite converter with target_spec.supported_types = [tf.float16]",
        "int8": "the TFLite converter with optimizations = [tf.lite.Optimize.DEFAULT] "
                "(and a representative_dataset for full integer)"}


def candidates(source: Path, precision: str) -> list[Path]:
    """The files that may hold ``precision`` of ``source``, in the order they are tried."""
    return [source.with_name(f"{source.stem}_{suffix}{source.suffix}")
            for suffix in SUFFIXES[precision]]


def find_tflite_variant(model: ModelFile, precision: str) -> Variant:
    """The exported ``precision`` file of ``model``; VariantError naming the files tried."""
    from benchbot.modelcard.tflite_counts import read_tflite

    tried = candidates(model.path, precision)
    found = next((p for p in tried if p.is_file()), None)
    if found is None:
        names = " or ".join(p.name for p in tried)
        raise VariantError(f"no {precision} variant of {model.path.name}: looked for {names} in "
                           f"{model.path.parent}; TFLite variants are separate exports "
                           f"(make one with {_HOW[precision]})")
    try:
        variant_file = inspect_model(found)
        weight_types = read_tflite(found.read_bytes()).weight_types
    except ModelError as exc:
        raise VariantError(f"{precision} variant {found}: {exc}") from exc
    except Exception as exc:
        raise VariantError(f"{precision} variant {found}: cannot read its flatbuffer "
                           f"({type(exc).__name__}: {exc}); re-export it") from exc
    if not WEIGHT_TYPES[precision] & set(weight_types):
        raise VariantError(f"{found.name} is named as the {precision} variant of "
                           f"{model.path.name} but its weights are "
                           f"{', '.join(weight_types) or 'absent'}, not "
                           f"{' or '.join(sorted(WEIGHT_TYPES[precision]))}; re-export it "
                           f"with {_HOW[precision]}")
    derivation = {"source_sha256": model.sha256, "precision": precision,
                  "steps": [{"tflite_file": found.name,
                             "convention": f"<name>_{'|'.join(SUFFIXES[precision])}.tflite "
                                           "beside the fp32 file",
                             "weight_types": list(weight_types)}]}
    return Variant(path=found, sha256=variant_file.sha256, size_bytes=variant_file.size_bytes,
                   derivation=derivation)
