"""Each native tool dialect against the tool's own words.

* Every flag every argv builder can emit is one its dialect defines: the lists in
  tests/data/tool_flags were written from the tools' sources (file and version in each
  list's first line).
* The dialect is learnt from the tool's usage, once per binary.
* The echo checks read real captured output (tests/data/tool_logs, sources beside them).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from benchbot.errors import ConfigError
from benchbot.runners.native import TOOLS, tool
from benchbot.runners.native.echo import refused_flag_line
from benchbot.runners.native.probe import detect, probe
from benchbot.runners.native.tools import NativeTool, ToolDialect
from benchbot.sweep import MeasureSettings
from benchbot.transports.local import LocalTransport
from tests.support.standin import FLAGS, flag_list, recorded, takes_value, write_standin

DATA = Path(__file__).resolve().parents[1] / "data"
LOG = DATA / "tool_logs" / "trtexec" / "trt5_openpose_issue7_average_over_three.txt"
SETTINGS = MeasureSettings(warmup=2, min_runs=20, min_time_s=1.5, max_time_s=20.0)
#: the tools this file covers (other registered tools have their own tests)
KINDS = ("tflite_benchmark_model", "onnxruntime_perf_test", "paddle_lite", "trtexec")
#: per tool, the tool options an argv builder can be given, each combination tried
OPTIONS: dict[str, list[dict[str, object]]] = {
    "tflite_benchmark_model": [{}, {"input_shapes": {"x": (1, 8), "y": (1, 2)}}],
    "onnxruntime_perf_test": [
        {"mode": mode, "affinity_option": aff, "batch_dim": dim, "result_file": out}
        for mode, aff, dim, out in itertools.product(("times", "duration"), ("-T", "-C"),
                                                     (None, "N"), (None, "out.txt"))],
    "paddle_lite": [{"input_shape": (1, 3, 8, 8), "backend": b} for b in ("arm", "opencl")]
    + [{"input_shape": (1, 3, 8, 8), "param_file": "m.pdiparams"}],
    "trtexec": [{"input_shapes": {"x": ("N", 3, 8, 8)}, "use_cuda_graph": True,
                 "no_data_transfers": True, "avg_runs": 5},
                {"input_shapes": {"x": (1, 3, 8, 8)}}],
}
MODELS = {"tflite_benchmark_model": ("m.tflite",), "onnxruntime_perf_test": ("m.onnx",),
          "paddle_lite": ("m.nb", "m.pdmodel"), "trtexec": ("m.onnx", "m.plan")}


def emitted_flags(kind: str, dialect: str, argv: list[str]) -> list[str]:
    """The flags in an argv (after taskset and the binary): ``--x=v`` -> ``--x``; for
    getopt/Abseil tools every option, with the value after it skipped."""
    args = argv[argv.index("bin") + 1:]
    if kind != "onnxruntime_perf_test":
        return [a.split("=", 1)[0] for a in args]
    flags, valued, i = [], set(takes_value(kind, dialect)), 0
    while i < len(args):
        if args[i].startswith("-"):
            flags.append(args[i])
            i += 2 if args[i] in valued else 1
        else:
            i += 1  # the model and the result file
    return flags


def every_argv(kind: str, dialect: ToolDialect):
    for model, options, backend, precision, batch, threads, mask in itertools.product(
            MODELS[kind], OPTIONS[kind], dialect.backends, ("fp32", "fp16", "int8"), (1, 4),
            (1, 4), (None, "f0")):
        extra = {"delegate": backend} if kind == "tflite_benchmark_model" else \
            {"provider": backend} if kind == "onnxruntime_perf_test" else {}
        try:
            argv = dialect.build_argv("bin", model, threads, batch, precision, SETTINGS,
                                      cpu_mask=mask, **options, **extra)
        except ConfigError:
            continue  # a combination the dialect refuses is never run
        yield argv
        if dialect.op_profiler is not None:
            yield dialect.op_profiler.argv(argv, "/d/prof")


@pytest.mark.parametrize("kind,dialect", [(k, d.name) for k in KINDS
                                          for d in TOOLS[k].dialects])
def test_every_flag_an_argv_builder_emits_is_one_its_dialect_defines(kind: str,
                                                                      dialect: str) -> None:
    listed = set(flag_list(kind, dialect))
    header = (FLAGS / f"{kind}.{dialect}.txt").read_text().splitlines()[0]
    assert header.startswith("# source: ")  # which source and version the list is from
    seen: set[str] = set()
    for argv in every_argv(kind, tool(kind).dialect(dialect)):
        seen.update(emitted_flags(kind, dialect, argv))
    assert seen, f"no argv built for {kind} {dialect}"
    assert seen <= listed, f"{kind} {dialect} does not define {sorted(seen - listed)}"


def test_the_dialects_differ_where_the_sources_do() -> None:
    """Flags one dialect has and the other lacks are not emitted to the other."""
    classic = set(flag_list("tflite_benchmark_model", "classic"))
    compiled = set(flag_list("tflite_benchmark_model", "compiled_model"))
    assert {"--use_xnnpack", "--use_nnapi", "--input_layer_shape",
            "--enable_op_profiling", "--gpu_precision_loss_allowed"} <= classic - compiled
    assert {"--use_cpu", "--use_profiler"} <= compiled - classic
    assert {"--fp16", "--int8"} <= set(flag_list("trtexec", "7-10")) - \
        set(flag_list("trtexec", "11"))
    assert {"--warmUp", "--duration"} <= set(flag_list("trtexec", "7-10")) - \
        set(flag_list("trtexec", "5"))
    assert {"--backend", "--gpu_precision"} <= set(flag_list("paddle_lite", "2.10")) - \
        set(flag_list("paddle_lite", "2.9"))


@pytest.mark.parametrize("kind,dialect", [(k, d.name) for k in KINDS
                                          for d in TOOLS[k].dialects])
def test_the_dialect_is_learnt_from_the_tools_usage(kind: str, dialect: str,
                                                    tmp_path: Path) -> None:
    record = tmp_path / "args.jsonl"
    binary = write_standin(tmp_path / "tool", kind, dialect, LOG, record=record)
    found = probe(tool(kind), LocalTransport(), str(binary), binary)
    assert found.dialect.name == dialect and len(found.sha256 or "") == 64
    again = probe(tool(kind), LocalTransport(), str(binary), binary)
    assert again == found and len(recorded(record)) == 1  # once per binary


def test_trtexec_tells_its_version() -> None:
    trt = tool("trtexec")
    assert detect(trt, "&&&& RUNNING TensorRT.trtexec [TensorRT v8003] # trtexec").name == "7-10"
    assert detect(trt, "&&&& RUNNING TensorRT.trtexec [TensorRT v101601] # t").name == "7-10"
    assert detect(trt, "&&&& RUNNING TensorRT.trtexec [TensorRT v110000] # t").name == "11"
    assert detect(trt, "&&&& RUNNING TensorRT.trtexec [TensorRT v5105] # t").name == "5"
    assert detect(trt, "usage: something else") is None


def test_echo_checks_on_real_output() -> None:
    """Captured logs: Paddle Lite 2.10 on a Mi 9 (threads 1, input 1,3,512,512, arm,
    fp32); a TensorRT 7 int8 build; a TF 2021 run that did not take --graph."""
    paddle = (DATA / "tool_logs" / "paddle_lite" /
              "plite_e79b4b6_paddleseg_mi9_benchmark_sh_perf_info.txt").read_text()
    verify = tool("paddle_lite").dialect("2.10").verify
    assert verify is not None
    argv = ["bb", "--optimized_model_file=m.nb", "--input_shape=1,3,512,512", "--threads=1",
            "--backend=arm"]
    assert verify(argv, paddle) == []
    assert verify([*argv[:3], "--threads=4", "--backend=arm"], paddle) == [
        "the tool ran with threads 1, not the 4 it was given"]
    trt = (DATA / "tool_logs" / "trtexec" /
           "trt7x_jetson_caffe_resnet50_int8_hostlatency.txt").read_text()
    check = tool("trtexec").dialect("7-10").verify
    assert check is not None
    assert check(["t", "--onnx=m.onnx", "--int8"], trt) == []
    assert check(["t", "--onnx=m.onnx", "--fp16"], trt) == [
        "trtexec built with precision FP32+INT8, not FP32+FP16"]
    refused = (DATA / "tool_failures" / "tflite_benchmark_model" /
               "tf2021-02_issue47175_unconsumed_flags.txt").read_text()
    assert refused_flag_line(refused) == "Unconsumed cmdline flags: --graph test"
    assert refused_flag_line(paddle) is None


def test_every_dialect_of_every_tool_can_be_told_apart() -> None:
    for kind in KINDS:
        found: NativeTool = tool(kind)
        for dialect in found.dialects:
            assert dialect.markers or dialect.detect is not None, (kind, dialect.name)


def test_input_shape_from_the_command_line_and_sweep_files(tmp_path: Path) -> None:
    from benchbot.runs.session import settings_of
    from benchbot.sweep.config import load_sweep_file

    assert settings_of({"input_shape": "1,3,224,224"}).input_shape == (1, 3, 224, 224)
    assert settings_of({}).input_shape is None
    with pytest.raises(ConfigError, match="--input-shape: '1,x' is not a shape"):
        settings_of({"input_shape": "1,x"})
    sweep = tmp_path / "sweep.toml"
    sweep.write_text('models = ["m.nb"]\n[measure]\ninput_shape = "1,3,8,8"\n')
    assert load_sweep_file(sweep).measure["input_shape"] == "1,3,8,8"
    sweep.write_text('models = ["m.nb"]\n[measure]\ninput_shape = [1, 3]\n')
    with pytest.raises(ConfigError, match="'measure.input_shape' must be a string"):
        load_sweep_file(sweep)


def test_trtexec_shape_echo_of_a_real_tensorrt_10_run() -> None:
    """TensorRT 10.16 on an H100 (shared reference log; its source beside it): the
    inference shape it echoes confirms the --shapes it was given, and its tag says 7-10."""
    from tests.support.shared import reference

    path = reference("tool_outputs", "trtexec",
                     "trt1016_h100_nodatatransfers_cudagraph_fulllog.txt")
    if not path.is_file():
        pytest.skip(f"shared reference log not available: {path}")
    text = path.read_text()
    check = tool("trtexec").dialect("7-10").verify
    assert check is not None
    argv = ["trtexec", "--loadEngine=model-trained.trt", "--shapes=x:4x1x28x28"]
    assert check(argv, text) == []
    assert check([*argv[:2], "--shapes=x:8x1x28x28"], text) == [
        "trtexec did not echo the inference shape x=8x1x28x28"]
    found = detect(tool("trtexec"), text)
    assert found is not None and found.name == "7-10"
