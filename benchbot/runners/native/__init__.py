"""Native benchmark tools: one module per tool, each a pure ``parse(text)`` and a ``build_argv``.

The registries below are plain dicts keyed by the tool kind used in device
profiles and on the command line:

    tflite_benchmark_model   TFLite / LiteRT benchmark_model
    onnxruntime_perf_test    ONNX Runtime onnxruntime_perf_test
    paddle_lite              Paddle Lite benchmark_bin
    trtexec                  NVIDIA TensorRT trtexec

``PARSERS[kind](text)`` gives one :class:`NativeResult` (a failure when the log
holds no run or several); ``PARSE_ALL[kind](text)`` every run in the log,
labelled. ``ARGV_BUILDERS[kind](binary, model, threads, batch, precision,
settings, cpu_mask=..., **tool_options)`` gives the argv of one case.
"""

from __future__ import annotations

from typing import Callable

from benchbot.runners.native import (onnxruntime_perf_test, paddle_lite, tflite_benchmark_model,
                                     trtexec)
from benchbot.runners.native.argv import ArgvBuilder
from benchbot.runners.native.result import Measurement, NativeResult

PARSERS: dict[str, Callable[[str], NativeResult]] = {
    tflite_benchmark_model.KIND: tflite_benchmark_model.parse,
    onnxruntime_perf_test.KIND: onnxruntime_perf_test.parse,
    paddle_lite.KIND: paddle_lite.parse,
    trtexec.KIND: trtexec.parse,
}

PARSE_ALL: dict[str, Callable[[str], list[Measurement]]] = {
    tflite_benchmark_model.KIND: tflite_benchmark_model.parse_all,
    onnxruntime_perf_test.KIND: onnxruntime_perf_test.parse_all,
    paddle_lite.KIND: paddle_lite.parse_all,
    trtexec.KIND: trtexec.parse_all,
}

ARGV_BUILDERS: dict[str, ArgvBuilder] = {
    tflite_benchmark_model.KIND: tflite_benchmark_model.build_argv,
    onnxruntime_perf_test.KIND: onnxruntime_perf_test.build_argv,
    paddle_lite.KIND: paddle_lite.build_argv,
    trtexec.KIND: trtexec.build_argv,
}

TOOLS: tuple[str, ...] = tuple(PARSERS)

__all__ = ["ARGV_BUILDERS", "PARSERS", "PARSE_ALL", "TOOLS", "ArgvBuilder", "Measurement",
           "NativeResult"]
