"""Two real native tools, measured for real: LiteRT's ``litert-benchmark`` (ai-edge-litert)
and OpenVINO's ``benchmark_app`` (openvino, the ``openvino`` extra that ``make test``
installs). Both are console scripts beside this interpreter.

Parsers are tested against the tools' real output (tests/data/tool_logs/<kind>/, each log
with its command line and tool version beside it); the runs go through the real CLI on
this machine and over the test sshd, with repeats (one tool run per measuring process),
the tool's own failure quoted, the settings checked against what the tool says it applied,
and OpenVINO's per-node counters as the op profile.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from benchbot.errors import ConfigError
from benchbot.runners.native import litert_benchmark as lrt
from benchbot.runners.native import openvino_benchmark_app as ov
from benchbot.runners.native.tools import tool
from benchbot.store import load_run
from benchbot.store.modelfile import inspect_model
from benchbot.sweep import MeasureSettings, make_plan
from tests.conftest import REPO, benchbot
from tests.support.sshd import DEVICE, SshServer, write_profile

BIN = Path(sys.executable).parent  # the console scripts of this environment's packages
LITERT = BIN / "litert-benchmark"
OPENVINO = BIN / "benchmark_app"
LOGS = Path(__file__).resolve().parents[2] / "data" / "tool_logs"
RUN = ["--warmup", "1", "--min-runs", "20", "--min-time", "0", "--max-time", "5"]


def log(kind: str, name: str) -> str:
    assert (LOGS / kind / f"{name}.src.txt").is_file()
    return (LOGS / kind / f"{name}.log").read_text(encoding="utf-8")


# --- litert-benchmark's own output -------------------------------------------------------

def test_litert_result_json_gives_the_figures_it_states() -> None:
    parsed = lrt.parse(log("litert_benchmark", "lr_tiny_conv_t2"))
    assert parsed.ok and parsed.count == 20
    assert (parsed.mean_ms, parsed.median_ms, parsed.min_ms, parsed.max_ms) == \
        (0.02, 0.01, 0.01, 0.04)
    assert (parsed.std_ms, parsed.p95_ms, parsed.init_ms, parsed.first_ms,
            parsed.warmup_mean_ms) == (0.02, 0.04, 1.31, 0.12, 0.08)


def test_litert_figures_below_its_resolution_are_never_zero() -> None:
    below = lrt.parse(log("litert_benchmark", "lr_tiny_fc_median_below_resolution"))
    assert not below.ok
    assert below.error.startswith("its median and mean read 0.00 ms: below litert-benchmark's "
                                  "resolution of 0.01 ms")
    std = lrt.parse(log("litert_benchmark", "lr_tiny_conv_std_below_resolution"))
    assert std.ok and std.median_ms == 0.01 and std.std_ms is None  # not known, not 0


def test_litert_failures_are_quoted_in_its_own_words() -> None:
    gpu = lrt.parse(log("litert_benchmark", "lr_gpu_no_adapter"))
    assert gpu.error.startswith("ERROR: [delegate_webgpu.cc:359] Failed to initialize WebGPU "
                                "environment: INTERNAL: No adapters found | RuntimeError:")
    bad = lrt.parse(log("litert_benchmark", "lr_bad_fc_prepare_fails"))
    assert bad.error.startswith("ERROR: XNNPack delegate failed to reshape runtime | "
                                "RuntimeError: CompiledModel error")
    assert bad.error.endswith("└ Failed to allocate tensors")


def test_litert_settings_are_checked_against_its_result() -> None:
    text = log("litert_benchmark", "lr_tiny_conv_t2")  # 2 threads, CPU
    settings = MeasureSettings()
    assert lrt.verify(lrt.build_argv("t", "m.tflite", 2, 1, "fp32", settings), text) == []
    assert lrt.verify(lrt.build_argv("t", "m.tflite", 4, 1, "fp32", settings), text) == [
        "the tool ran with num_threads 2, not 4"]
    assert lrt.verify(lrt.build_argv("t", "m.tflite", 1, 1, "fp32", settings,
                                     backend="gpu"), text) == [
        "the tool ran with num_threads 2, not 1",
        "the tool ran with accelerators ['CPU'], not ['GPU']"]


def test_litert_npu_without_cpu_fallback_or_not_at_all() -> None:
    """With the CPU fallback on, a host without an NPU runs the model on the CPU and the
    tool still says NPU and fully accelerated: benchbot asks for no fallback, and the tool
    then fails in its own words; an NPU+CPU result is never taken for an NPU one."""
    argv = lrt.build_argv("t", "m.tflite", 1, 1, "fp32", MeasureSettings(), backend="npu")
    assert "--use_npu" in argv and "--require_full_delegation" in argv
    fallback = log("litert_benchmark", "lr_npu_absent_cpu_fallback")
    assert lrt.parse(fallback).ok
    assert lrt.verify(argv, fallback) == [
        "the tool ran with accelerators ['NPU', 'CPU'], not ['NPU']"]
    failed = lrt.parse(log("litert_benchmark", "lr_npu_absent_full_delegation"))
    assert failed.error.endswith("└ Some ops are not accelerated. Add kLiteRtHwAcceleratorCpu "
                                 "to the compilation accelerator set to allow using the CPU "
                                 "to run those.")


# --- benchmark_app's own output ----------------------------------------------------------

def test_openvino_console_figures_in_us_and_in_ms() -> None:
    report = ov.read_log(log("openvino_benchmark_app", "ov_tiny_conv_t2_b2_f32"))
    assert report.version == "2026.4.1-22982-e213a147257-releases/2026/4"
    small = report.result
    assert small.ok and small.count == 50
    assert (small.median_ms, small.mean_ms, small.min_ms, small.max_ms) == \
        (0.06641, 0.07626, 0.05405, 0.17872)  # printed in us
    assert (small.init_ms, small.first_ms, small.throughput_qps) == (34.22, 4.59, 22349.59)
    large = ov.parse(log("openvino_benchmark_app", "ov_mid_conv_t1_b4_f32_ms"))
    assert (large.count, large.median_ms, large.mean_ms, large.min_ms, large.max_ms) == \
        (10, 26.87, 28.59, 26.0, 34.19)  # printed in ms


def test_openvino_settings_are_checked_against_what_the_device_applied() -> None:
    shapes = {"input": ("batch", 3, 32, 32)}
    text = log("openvino_benchmark_app", "ov_tiny_conv_t2_b2_f32")
    asked = ov.build_argv("b", "m.onnx", 2, 2, "fp32", MeasureSettings(), shapes=shapes)
    assert ov.verify(asked, text) == []
    other = ov.build_argv("b", "m.onnx", 1, 1, "fp32", MeasureSettings(), shapes=shapes)
    assert ov.verify(other, text) == [
        "the tool ran with INFERENCE_NUM_THREADS 2, not 1",
        "the tool compiled input input at [2,3,32,32], not batch 1"]
    f16 = ov.build_argv("b", "m.onnx", 1, 1, "fp16", MeasureSettings(), shapes=shapes)
    assert ov.verify(f16, log("openvino_benchmark_app", "ov_tiny_conv_f16_applied_bf16")) == [
        "the device applied INFERENCE_PRECISION_HINT bf16, not the f16 asked for"]


def test_openvino_failures_are_quoted_in_its_own_words() -> None:
    assert ov.parse(log("openvino_benchmark_app", "ov_gpu_no_opencl")).error.endswith(
        "libOpenCL.so.1: cannot open shared object file: No such file or directory")
    assert "No conversion rule found for operations: benchbot.test.NoSuchOp" in ov.parse(
        log("openvino_benchmark_app", "ov_unknown_op_fails")).error
    assert ov.parse(log("openvino_benchmark_app", "ov_nthreads_beside_hint")).error.startswith(
        "-nstreams, -nthreads and -pin options are fine tune options")


def test_openvino_per_node_counters() -> None:
    found = ov.read_counters(log("openvino_benchmark_app", "ov_tiny_conv_pc"))
    assert found is not None and found.runs == 1
    assert [(r.node, r.op_type, r.provider) for r in found.rows][:4] == [
        ("Convert_157", "Subgraph", "cpu"), ("Convert_157_abcd...", "Reorder", "cpu"),
        ("conv_3_node/With...", "Convolution", "cpu"), ("conv_7_node/With...", "Convolution",
                                                        "cpu")]
    assert all(r.ms >= 0 for r in found.rows) and len(found.rows) == 5  # EXECUTED nodes only


@pytest.mark.parametrize("kind,usage", [("litert_benchmark", "litert-benchmark.help"),
                                        ("openvino_benchmark_app", "benchmark_app.help")])
def test_every_flag_emitted_is_in_the_tools_usage(kind: str, usage: str) -> None:
    """The usage texts are the real tools' (--help, source beside them); every flag of every
    argv the builders can make is in them, and so is each dialect's probe marker."""
    text = (LOGS / kind / usage).read_text(encoding="utf-8")
    assert (LOGS / kind / f"{usage}.src.txt").is_file()
    defined = set(re.findall(r"(?<![\w-])(--?[A-Za-z_]\w*)", text))
    dialect = tool(kind).dialect()
    assert all(marker in text for marker in dialect.markers)
    shapes = {"input": ("batch", 3, 32, 32)}
    for backend in dialect.backends:
        for precision, warmup, min_time in (("fp32", 0, 0.0), ("fp16", 5, 1.5)):
            settings = MeasureSettings(warmup=warmup, min_time_s=min_time)
            options = {"backend": backend, **({"shapes": shapes} if kind.startswith("open")
                                              else {})}
            argv = dialect.build_argv("tool", "m", 1, 2, precision, settings, **options)
            if dialect.op_profiler is not None:
                argv = dialect.op_profiler.argv(argv, "x")
            emitted = {a.split("=", 1)[0] for a in argv[1:] if a.startswith("-")}
            assert emitted <= defined, (backend, precision, emitted - defined)


def test_a_tools_backends_join_its_models_runtime(models: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """OpenVINO runs an ONNX file on GPU and NPU (ONNX Runtime's backends have neither); the
    agent's ONNX cases keep theirs; the plan, not a measurement, says so."""
    onnx = inspect_model(models["tiny_conv.onnx"])
    plan = make_plan((onnx,), ("box", "host"), (1,), (1,), ("fp32",), MeasureSettings(),
                     backends=("cpu", "gpu", "npu"),
                     runners={"box": ov.KIND, "host": "agent"},
                     tool_backends={"box": tuple(ov.DEVICES)})
    assert {(c.device, c.backend) for c in plan.cases} == {
        ("box", "cpu"), ("box", "gpu"), ("box", "npu"), ("host", "cpu")}
    with pytest.raises(ConfigError, match="none of gpu, npu runs tiny_conv.onnx"):
        make_plan((onnx,), ("host",), (1,), (1,), ("fp32",), MeasureSettings(),
                  backends=("gpu", "npu"))
    proc = benchbot("run", "--device", "local", "--runner", ov.KIND, "--model",
                    str(models["tiny_conv.onnx"]), "--backend", "gpu,npu", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "| onnxruntime | gpu |" in proc.stdout and "| onnxruntime | npu |" in proc.stdout


# --- real runs: this machine ---------------------------------------------------------------

def conv_tflite(path: Path) -> Path:
    """A .tflite CONV_2D 8->32 3x3 on 64x64 (then MEAN and a FULLY_CONNECTED): a few MACs
    per microsecond of litert-benchmark's 10 us resolution, far above it."""
    spec = importlib.util.spec_from_file_location("build_test_models",
                                                  REPO / "models" / "build_test_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    g = module._TfliteGraph(11)
    tfl = g.tfl
    x, c = g.tensor("input", [1, 64, 64, 8]), g.tensor("conv", [1, 64, 64, 32])
    m, y = g.tensor("mean", [1, 32]), g.tensor("output", [1, 10])
    conv = tfl.Conv2DOptionsT()
    conv.padding, conv.strideW, conv.strideH = tfl.Padding.SAME, 1, 1
    conv.dilationWFactor = conv.dilationHFactor = 1
    g.op(tfl.BuiltinOperator.CONV_2D, [x, g.weight("w", (32, 3, 3, 8), 72), g.bias("b", 32)],
         [c], tfl.BuiltinOptions.Conv2DOptions, conv)
    mean = tfl.ReducerOptionsT()
    mean.keepDims = False
    g.op(tfl.BuiltinOperator.MEAN, [c, g.tensor("axes", [2], module.np.array([1, 2], "int32"))],
         [m], tfl.BuiltinOptions.ReducerOptions, mean)
    g.fully_connected(m, 32, 10, y, relu=False)
    path.write_bytes(g.finish([x], [y]))
    return path


def bad_fc_tflite(path: Path) -> Path:
    """A FULLY_CONNECTED whose weights expect 64 inputs, fed 60: LiteRT cannot prepare it
    (the host reads its input shape all the same)."""
    spec = importlib.util.spec_from_file_location("build_test_models",
                                                  REPO / "models" / "build_test_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    g = module._TfliteGraph(12)
    x, y = g.tensor("input", [1, 60]), g.tensor("output", [1, 10])
    g.fully_connected(x, 64, 10, y, relu=False)
    path.write_bytes(g.finish([x], [y]))
    return path


def unknown_op_onnx(path: Path) -> Path:
    """One node of an op no runtime knows (domain benchbot.test): OpenVINO cannot convert it."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 4])
    graph = helper.make_graph([helper.make_node("NoSuchOp", ["input"], ["output"],
                                                domain="benchbot.test")], "unknown_op", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                      helper.make_opsetid("benchbot.test", 1)]),
              path)
    return path


def process_log(results: Path, run) -> str:
    """A measuring process's whole console output, as the results folder keeps it."""
    assert run.log_file is not None
    path = results / run.log_file
    if path.suffix == ".gz":
        import gzip

        return gzip.decompress(path.read_bytes()).decode("utf-8")
    return path.read_text(encoding="utf-8")


def cases_by_model(results: Path) -> dict[str, list]:
    files = sorted(results.glob("*.json"))
    assert len(files) == 1, files
    found: dict[str, list] = {}
    for case in load_run(files[0]).cases:
        found.setdefault(case.config.model.name, []).append(case)
    return found


def test_litert_benchmark_measures_here_with_repeats_never_calling_the_cpu_an_npu(
        tmp_path: Path) -> None:
    """Threads 1 and 2 on the CPU, each case in two tool runs; the NPU this host lacks is
    the tool's own failure (no CPU fallback), and NPU at 2 threads is no label to measure."""
    model = conv_tflite(tmp_path / "conv64.tflite")
    proc = benchbot("run", "--device", "local", "--runner", "litert_benchmark", "--runner-bin",
                    str(LITERT), "--model", str(model), "--threads", "1,2", "--backend",
                    "cpu,npu", *RUN, "--repeat", "2", "--results", str(tmp_path / "results"))
    assert proc.returncode == 1, proc.stderr  # the NPU cases failed
    cases = {(c.config.backend, c.config.threads): c
             for c in cases_by_model(tmp_path / "results")["conv64"]}
    npu = cases[("npu", 1)]
    assert npu.status == "failed" and npu.failure.kind == "tool_error"
    assert npu.failure.exit_code == 1 and len(npu.runs) == 1
    assert "Some ops are not accelerated" in process_log(tmp_path / "results", npu.runs[0])
    refused = cases[("npu", 2)]
    assert refused.status == "failed" and refused.failure.kind == "bad_input"
    assert "a thread count does not apply" in refused.failure.message
    assert all("argv" not in run.extras for run in refused.runs)  # the tool never ran
    for threads in (1, 2):
        case = cases[("cpu", threads)]
        assert case.status == "ok", case.failure
        assert len(case.runs) == 2 and case.stats_source == "aggregates"
        for run in case.runs:  # one tool process each, its own figures
            assert f"--num_threads={threads}" in run.extras["argv"]
            assert run.extras["tool"]["count"] == 20
            assert run.extras["dialect"] == "compiled_model_py"
            assert run.aggregates.median_ms >= lrt.RESOLUTION_MS


def test_litert_benchmark_refuses_a_batch_the_file_does_not_hold(tmp_path: Path) -> None:
    model = conv_tflite(tmp_path / "conv64.tflite")
    proc = benchbot("run", "--device", "local", "--runner", "litert_benchmark", "--runner-bin",
                    str(LITERT), "--model", str(model), "--batch", "4", *RUN,
                    "--results", str(tmp_path / "results"))
    assert proc.returncode == 2 and "cannot resize inputs: batch 4" in proc.stderr
    assert not list((tmp_path / "results").glob("*.json"))  # never measured under that label


def test_openvino_benchmark_app_measures_here_checks_what_it_applied_and_profiles(
        models: dict[str, Path], tmp_path: Path) -> None:
    bad = unknown_op_onnx(tmp_path / "unknown_op.onnx")
    proc = benchbot("run", "--device", "local", "--runner", "openvino_benchmark_app",
                    "--runner-bin", str(OPENVINO), "--model", f"{models['tiny_conv.onnx']},{bad}",
                    "--threads", "2", "--batch", "2", "--precision", "fp32,fp16", *RUN,
                    "--repeat", "2", "--profile-ops", "--results", str(tmp_path / "results"))
    assert proc.returncode == 1, proc.stderr
    cases = cases_by_model(tmp_path / "results")
    for case in cases["tiny_conv"]:
        # what the device says it applied, from the first process's saved console output
        said = re.findall(r"INFERENCE_PRECISION_HINT: <Type: '(\w+)'>",
                          process_log(tmp_path / "results", case.runs[0]))
        wanted = {"fp32": "float32", "fp16": "float16"}[case.config.precision]
        if said != [wanted]:  # e.g. a CPU with bf16 but no fp16 arithmetic, asked for f16
            assert case.status == "failed" and case.failure.kind == "tool_error", said
            assert "INFERENCE_PRECISION_HINT" in case.failure.message
            assert f"not the {ov.INFER_PRECISION[case.config.precision]} asked for" in \
                case.failure.message
            continue
        assert case.status == "ok", case.failure
        assert len(case.runs) == 2
        for run in case.runs:
            argv = run.extras["argv"]
            assert argv[argv.index("-nthreads") + 1] == str(case.config.threads)
            assert argv[argv.index("-shape") + 1] == "input[2,3,32,32]"
        profile = case.op_profile
        assert profile is not None and profile.ops and profile.profiled_runs == 1
        assert {o.provider for o in profile.ops} == {"cpu"}
        assert any(o.op_type == "Convolution" for o in profile.ops)
    for case in cases["unknown_op"]:
        assert case.status == "failed" and case.failure.kind == "tool_error"
        assert case.failure.exit_code == 1
        assert "[ ERROR ]" in case.failure.message or "Exception" in case.failure.message
        assert "NoSuchOp" in case.failure.output


# --- real runs: over SSH --------------------------------------------------------------------

@pytest.mark.ssh
@pytest.mark.parametrize("kind", ["litert_benchmark", "openvino_benchmark_app"])
def test_real_tools_over_ssh(server: SshServer, models: dict[str, Path], tmp_path: Path,
                             kind: str) -> None:
    """The tool is pushed to the server (its console script), run there once per process
    and parsed here; the models are the server's copies; a model the tool cannot run fails
    with the tool's exit code; OpenVINO's per-node counters come back as the op profile."""
    if kind == "litert_benchmark":
        binary, good = LITERT, conv_tflite(tmp_path / "conv64.tflite")
        bad = bad_fc_tflite(tmp_path / "bad_fc.tflite")
    else:
        binary, good, bad = OPENVINO, models["tiny_conv.onnx"], unknown_op_onnx(
            tmp_path / "unknown_op.onnx")
    home = tmp_path / "home"
    home.mkdir()
    proc = benchbot("run", "--device", DEVICE, "--profiles",
                    str(write_profile(tmp_path / "profiles", server, runner=kind)),
                    "--runner-bin", str(binary), "--model", f"{good},{bad}", "--threads", "2",
                    *RUN, "--repeat", "2", "--profile-ops", "--results",
                    str(tmp_path / "results"), env={"HOME": str(home), "SSH_AUTH_SOCK": ""})
    assert proc.returncode == 1, proc.stderr  # the bad model's case failed
    cases = cases_by_model(tmp_path / "results")
    (case,) = cases[good.stem]
    assert case.status == "ok" and case.config.runner == kind and len(case.runs) == 2
    assert all(run.extras["exit_code"] == 0 for run in case.runs)
    assert str(good) not in " ".join(case.runs[0].extras["argv"])  # the pushed copy ran
    if kind == "openvino_benchmark_app":
        assert case.op_profile is not None and case.op_profile.ops
    else:
        assert case.op_profile is not None and not case.op_profile.ops  # it has no profiler
        assert "no op profiler" in case.op_profile.reason
    (failed,) = cases[bad.stem]
    assert failed.status == "failed" and failed.failure.kind == "tool_error"
    assert failed.failure.exit_code == 1 and len(failed.runs) == 1
