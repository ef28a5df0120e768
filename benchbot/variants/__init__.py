"""Precision and batch variants of a model file, derived from the one the user exported.

    derive(model, "int8", batch=None, int8_mode="static", cache_dir=Path("models/.variants"))
        -> Variant(path=models/.variants/<key>/resnet18_int8.onnx, sha256=..., derivation={...})

ONNX variants are made on the host (fp16: ONNX Runtime's float16 converter; int8:
onnxruntime.quantization, static QDQ or dynamic; batch: a rewritten fixed batch axis),
proved to run in onnxruntime CPU, and cached by content. TFLite variants are separate
exports found by name (``x_fp16.tflite``, ``x_int8.tflite``). Whatever cannot apply is
a :class:`VariantError`, a CaseError: the case fails with the reason, the sweep goes on.
"""

from __future__ import annotations

from benchbot.variants.derive import RECIPE_VERSION, derive
from benchbot.variants.prepare import derive_cases
from benchbot.variants.tflite import candidates as tflite_candidates
from benchbot.variants.variant import INT8_MODES, PRECISIONS, Variant, VariantError

DEFAULT_CACHE_DIR = "models/.variants"

__all__ = ["DEFAULT_CACHE_DIR", "INT8_MODES", "PRECISIONS", "RECIPE_VERSION", "Variant",
           "VariantError", "derive", "derive_cases", "tflite_candidates"]
