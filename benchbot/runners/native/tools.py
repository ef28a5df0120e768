"""The native tools benchbot drives, each a frozen value in one registry.

A :class:`NativeTool` is what a device profile's ``[runner] kind`` (and ``--runner``)
names: the model runtime it executes, the model files it takes, its pure parsers, and
its dialects. A :class:`ToolDialect` is one generation of the tool's command line
(TFLite's classic ``benchmark_model`` and LiteRT's CompiledModel tool share a name;
trtexec 5, 7-10 and 11 take different flags): its argv builder, its op profiler, how
to recognise it from the tool's own usage text, which settings it can apply (threads,
batch, precision per backend, backends), and how to check its echo of them. Nothing
outside this registry lists tool names: the profile check, ``--runner``'s choices,
``benchbot parse`` and the runner all read :data:`TOOLS`.

Adding a tool: write its module beside this one (pure ``parse``/``parse_all``, a
``build_argv``, optionally ``case_options``/``verify``), then append at the end of
this file::

    from benchbot.runners.native import my_tool
    register(NativeTool(kind="my_tool", title="My tool", runtime="onnxruntime",
                        model_suffixes=(".onnx",), parse=my_tool.parse,
                        parse_all=my_tool.parse_all, case_options=my_tool.case_options,
                        dialects=(ToolDialect(name="v1", title="my_tool 1.x",
                                              build_argv=my_tool.build_argv,
                                              backends=("cpu",)),)))

The first dialect of a tool is the one assumed until the binary says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import functools
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from benchbot.errors import ConfigError
from benchbot.registry import Registry
from benchbot.runners.native import onnxruntime_perf_test, paddle_lite, tflite_benchmark_model
from benchbot.runners.native import trtexec
from benchbot.runners.native.argv import ArgvBuilder
from benchbot.runners.native.fetch import fetch_for_device
from benchbot.runners.native.op_tables import (ToolProfile, parse_ort_profile,
                                               parse_tflite_op_profile, parse_trtexec_profile)
from benchbot.runners.native.result import Measurement, NativeResult
from benchbot.sweep import Case


@dataclass(frozen=True)
class OpProfiler:
    """How a dialect's op profiler is switched on and where its table is read.

    ``argv(timed_argv, remote_file)`` turns the timed run's argv into the profiled
    pass's; ``file`` is the name of the file the tool writes beside the model (None:
    the table is in the console output); ``by_prefix``: the tool appends a stamp to
    that name (ORT's ``-p PREFIX``); ``parse`` reads the table (the file's text or the log).
    """

    argv: Callable[[list[str], str], list[str]]
    parse: Callable[[str], ToolProfile | None]
    file: str | None = None
    by_prefix: bool = False


@dataclass(frozen=True)
class ToolDialect:
    """One generation of a tool's command line, and what it can apply.

    ``backends``: the case backends it can run; ``precisions``: per backend, the
    precisions the tool makes itself at run time (beyond the file's own, which is
    always measured as stored); ``threads``: it applies a thread count (else only
    threads = 1 is honest); ``batch``: it sets the batch at run time (else the file
    must hold it); ``markers``: strings of its usage text (``--help``) that only this
    dialect prints (``detect(text)`` where a version must be read instead);
    ``verify(argv, log)``: the mismatches between what the argv asked for and the
    tool's echo of its parameters (empty: all confirmed).
    """

    name: str
    title: str
    build_argv: ArgvBuilder
    backends: tuple[str, ...]
    precisions: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    threads: bool = True
    batch: bool = True
    op_profiler: OpProfiler | None = None
    markers: tuple[str, ...] = ()
    detect: Callable[[str], bool] | None = None  # instead of markers, when they cannot say
    verify: Callable[[list[str], str], list[str]] | None = None

    def makes_precision(self, backend: str, precision: str) -> bool:
        """Whether the tool itself makes ``precision`` on ``backend`` (fp32 always)."""
        return precision == "fp32" or precision in self.precisions.get(backend, ())


@dataclass(frozen=True)
class NativeTool:
    """A native benchmark tool: what it runs, how it is parsed, and its dialects."""

    kind: str
    title: str
    runtime: str
    model_suffixes: tuple[str, ...]
    parse: Callable[[str], NativeResult]
    parse_all: Callable[[str], list[Measurement]]
    dialects: tuple[ToolDialect, ...]
    case_options: Callable[[Case], dict[str, Any]] = lambda case: {}
    probe_argv: tuple[str, ...] = ("--help",)
    default_binary: str | None = None  # a name on the device's PATH, when it has one
    #: ``--runner-bin auto``: ``fetch(abi, device, say) -> Path`` of a prebuilt binary,
    #: and the dialect that binary speaks (known before it is asked)
    fetch: Callable[[str | None, str, Callable[[str], None]], Path] | None = None
    fetched_dialect: str | None = None

    def __post_init__(self) -> None:
        if not self.dialects:
            raise ValueError(f"{self.kind} needs at least one dialect")
        names = [d.name for d in self.dialects]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.kind} has two dialects of one name: {names}")

    def dialect(self, name: str | None = None) -> ToolDialect:
        """The dialect called ``name`` (None: the first, assumed until probed)."""
        if name is None:
            return self.dialects[0]
        for found in self.dialects:
            if found.name == name:
                return found
        raise ConfigError(f"{self.kind} has no dialect {name!r} (known: "
                          f"{', '.join(d.name for d in self.dialects)})")


_REGISTRY: Registry[NativeTool] = Registry("native tool", reserved=("agent",))
#: kind -> tool, in registration order (read-only; :func:`register` adds to it).
TOOLS: Mapping[str, NativeTool] = _REGISTRY.entries


def register(tool: NativeTool) -> NativeTool:
    """Add ``tool`` to :data:`TOOLS`; a second tool of the same kind is an error."""
    return _REGISTRY.add(tool.kind, tool)


def tool(kind: str) -> NativeTool:
    """The registered tool ``kind``; ConfigError naming the known ones otherwise."""
    return _REGISTRY.get(kind)


def runner_kinds() -> tuple[str, ...]:
    """Every runner a profile or ``--runner`` may name: the agent, then each tool."""
    return ("agent", *_REGISTRY.names())


# --- the tools -------------------------------------------------------------------------

_tflite_profiler = OpProfiler(argv=tflite_benchmark_model.profiling_argv,
                              parse=parse_tflite_op_profile)
register(NativeTool(
    kind=tflite_benchmark_model.KIND, title="TFLite / LiteRT benchmark_model",
    runtime="litert", model_suffixes=(".tflite",),
    parse=tflite_benchmark_model.parse, parse_all=tflite_benchmark_model.parse_all,
    case_options=tflite_benchmark_model.case_options, fetch=fetch_for_device,
    fetched_dialect=tflite_benchmark_model.COMPILED_MODEL,
    dialects=(
        ToolDialect(name=tflite_benchmark_model.CLASSIC,
                    title="TFLite classic benchmark_model (tflite/tools/benchmark)",
                    build_argv=tflite_benchmark_model.build_argv,
                    backends=tflite_benchmark_model.BACKENDS["classic"],
                    precisions=MappingProxyType({"gpu": ("fp16",), "nnapi": ("fp16",)}),
                    op_profiler=_tflite_profiler,
                    markers=tflite_benchmark_model.MARKERS["classic"],
                    verify=tflite_benchmark_model.verify_classic),
        ToolDialect(name=tflite_benchmark_model.COMPILED_MODEL,
                    title="LiteRT CompiledModel benchmark_model (litert/tools)",
                    build_argv=tflite_benchmark_model.build_compiled_model_argv,
                    backends=tflite_benchmark_model.BACKENDS["compiled_model"],
                    precisions=MappingProxyType({"gpu": ("fp16",)}), batch=False,
                    op_profiler=_tflite_profiler,
                    markers=tflite_benchmark_model.MARKERS["compiled_model"],
                    verify=tflite_benchmark_model.verify_compiled_model),
    )))

_ort_profiler = OpProfiler(argv=onnxruntime_perf_test.profiling_argv, parse=parse_ort_profile,
                           file="benchbot_ortprof", by_prefix=True)
register(NativeTool(
    kind=onnxruntime_perf_test.KIND, title="ONNX Runtime onnxruntime_perf_test",
    runtime="onnxruntime", model_suffixes=(".onnx",),
    parse=onnxruntime_perf_test.parse, parse_all=onnxruntime_perf_test.parse_all,
    case_options=onnxruntime_perf_test.case_options,
    dialects=tuple(
        ToolDialect(name=name, title=f"onnxruntime_perf_test ({name} options)",
                    build_argv=onnxruntime_perf_test.build_argv,
                    backends=onnxruntime_perf_test.PROVIDERS,
                    precisions=MappingProxyType({"tensorrt": ("fp16", "int8")}),
                    op_profiler=_ort_profiler, markers=onnxruntime_perf_test.MARKERS[name],
                    verify=onnxruntime_perf_test.verify)
        for name in (onnxruntime_perf_test.ABSEIL, onnxruntime_perf_test.GETOPT))))

register(NativeTool(
    kind=paddle_lite.KIND, title="Paddle Lite benchmark_bin", runtime="paddle_lite",
    model_suffixes=(".nb",), parse=paddle_lite.parse, parse_all=paddle_lite.parse_all,
    case_options=paddle_lite.case_options,
    dialects=(
        ToolDialect(name=paddle_lite.V2_10, title="Paddle Lite benchmark_bin >= 2.10",
                    build_argv=functools.partial(paddle_lite.build_argv,
                                                 dialect=paddle_lite.V2_10),
                    backends=("cpu", "gpu"), precisions=MappingProxyType({"gpu": ("fp16",)}),
                    markers=paddle_lite.MARKERS[paddle_lite.V2_10], verify=paddle_lite.verify),
        ToolDialect(name=paddle_lite.V2_9, title="Paddle Lite benchmark_bin <= 2.9",
                    build_argv=functools.partial(paddle_lite.build_argv,
                                                 dialect=paddle_lite.V2_9),
                    backends=("cpu",), markers=paddle_lite.MARKERS[paddle_lite.V2_9],
                    verify=paddle_lite.verify),
    )))

_trt_profiler = OpProfiler(argv=trtexec.profiling_argv, parse=parse_trtexec_profile,
                           file="benchbot_trtprof.json")


def _trtexec(name: str, title: str, precisions: tuple[str, ...],
             profiler: OpProfiler | None) -> ToolDialect:
    return ToolDialect(name=name, title=title,
                       build_argv=functools.partial(trtexec.build_argv, dialect=name),
                       backends=("tensorrt",),
                       precisions=MappingProxyType({"tensorrt": precisions}), threads=False,
                       op_profiler=profiler, markers=(f"TensorRT {name}",),
                       detect=lambda text: trtexec.dialect_of(text) == name,
                       verify=trtexec.verify)


register(NativeTool(
    kind=trtexec.KIND, title="NVIDIA TensorRT trtexec", runtime="onnxruntime",
    model_suffixes=(".onnx", *trtexec.ENGINE_SUFFIXES), parse=trtexec.parse,
    parse_all=trtexec.parse_all, case_options=trtexec.case_options,
    default_binary="trtexec",
    dialects=(_trtexec(trtexec.TRT7_10, "trtexec of TensorRT 7 to 10", ("fp16", "int8"),
                       _trt_profiler),
              _trtexec(trtexec.TRT5, "trtexec of TensorRT 5", ("fp16", "int8"), None),
              _trtexec(trtexec.TRT11, "trtexec of TensorRT 11", (), _trt_profiler))))

__all__ = ["TOOLS", "NativeTool", "OpProfiler", "ToolDialect", "register", "runner_kinds",
           "tool"]

# --- tools measured for real in the test suite (Python console scripts of their packages) --

from benchbot.runners.native import litert_benchmark, openvino_benchmark_app  # noqa: E402

register(NativeTool(
    kind=litert_benchmark.KIND, title="LiteRT litert-benchmark (ai-edge-litert)",
    runtime="litert", model_suffixes=(".tflite",), parse=litert_benchmark.parse,
    parse_all=litert_benchmark.parse_all, case_options=litert_benchmark.case_options,
    default_binary="litert-benchmark",
    dialects=(ToolDialect(name="compiled_model_py",
                          title="litert-benchmark (CompiledModel API, Python)",
                          build_argv=litert_benchmark.build_argv,
                          backends=tuple(litert_benchmark.BACKEND_FLAGS), batch=False,
                          markers=("--result_json", "--use_npu", "--require_full_delegation"),
                          verify=litert_benchmark.verify),)))

register(NativeTool(
    kind=openvino_benchmark_app.KIND, title="OpenVINO benchmark_app", runtime="onnxruntime",
    model_suffixes=(".onnx",), parse=openvino_benchmark_app.parse,
    parse_all=openvino_benchmark_app.parse_all,
    case_options=openvino_benchmark_app.case_options, default_binary="benchmark_app",
    dialects=(ToolDialect(name="python", title="OpenVINO benchmark_app (Python)",
                          build_argv=openvino_benchmark_app.build_argv,
                          backends=tuple(openvino_benchmark_app.DEVICES),
                          precisions=MappingProxyType(
                              {b: ("fp16",) for b in openvino_benchmark_app.DEVICES}),
                          op_profiler=OpProfiler(argv=openvino_benchmark_app.profiling_argv,
                                                 parse=openvino_benchmark_app.read_counters),
                          markers=("-infer_precision", "-nstreams", "-report_type"),
                          verify=openvino_benchmark_app.verify),)))
