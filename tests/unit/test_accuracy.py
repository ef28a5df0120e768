"""Output accuracy of fp16/int8 variants against fp32, on the host, and the inaccurate code."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from benchbot.runners.base import case_result
from benchbot.store import case_doc, case_of_doc
from benchbot.store.modelfile import inspect_model
from benchbot.sweep import Case, MeasureSettings
from benchbot.variants import derive
from benchbot.variants.accuracy import accuracy_of_cases, compare_models, output_error
from benchbot.store import ProcessRun

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "models" / "tiny_conv.onnx"


def test_fp32_against_itself_is_exact() -> None:
    acc = compare_models(TINY, TINY)
    (out,) = acc.outputs
    assert out.max_abs_err == 0.0 and out.mean_abs_err == 0.0 and out.cosine == 1.0
    assert out.top1_agreement == 1.0  # batch x classes


def test_int8_variant_is_close_but_not_exact(tmp_path: Path) -> None:
    model = inspect_model(TINY)
    variant = derive(model, "int8", None, "static", tmp_path)
    acc = compare_models(variant.path, TINY)
    assert 0.99 < acc.worst_cosine < 1.0
    assert acc.outputs[0].max_abs_err > 0


def test_weights_zeroed_copy_is_flagged_inaccurate(tmp_path: Path) -> None:
    graph = onnx.load(str(TINY))
    for init in graph.graph.initializer:
        value = numpy_helper.to_array(init)
        if value.dtype == np.float32:
            init.CopyFrom(numpy_helper.from_array(np.zeros_like(value), init.name))
    broken = tmp_path / "tiny_conv_broken.onnx"
    onnx.save(graph, str(broken))
    model = inspect_model(TINY)
    variant = replace(derive(model, "int8", None, "static", tmp_path / "v"), path=broken)
    case = Case(model=model, device="local", threads=1, batch=1, precision="int8",
                int8_mode="static", variant=variant)
    acc = accuracy_of_cases([case])[case.id]
    assert acc.worst_cosine is not None and acc.worst_cosine < 0.99
    result = case_result(replace(case, accuracy=acc), started_at="", ended_at="",
                         runs=[ProcessRun(samples_ms=(1.0, 1.1, 1.2))],
                         settings=MeasureSettings())
    assert [c.code for c in result.validity.codes] == ["inaccurate"]
    assert case_of_doc(case_doc(result), "case").accuracy == acc  # stored and read back
    lenient = case_result(replace(case, accuracy=acc), started_at="", ended_at="",
                          runs=[ProcessRun(samples_ms=(1.0,))],
                          settings=MeasureSettings(min_cosine=-1.0))
    assert lenient.validity.valid


def test_output_error_top1_only_for_batch_by_classes() -> None:
    a = np.array([[0.1, 0.9], [0.8, 0.2]])
    b = np.array([[0.2, 0.7], [0.1, 0.9]])
    assert output_error("o", a, b).top1_agreement == 0.5
    assert output_error("o", a.ravel(), b.ravel()).top1_agreement is None
