"""The measuring agent: one process that times one model in one configuration.

This file is self-contained on purpose: it is pushed as is to phones that have
Python and to servers, so it imports only the standard library, numpy and the
inference runtime (ONNX Runtime, LiteRT or tflite_runtime as a fallback, OpenVINO),
and never the rest of benchbot. Which runtimes it runs, the suffixes that select them
and their backends are the runtime registry's (benchbot/runtimes/), written into the
generated block below; each runtime's loader is a ``load_<name>`` function here.

    python agent.py --model m.onnx --threads 4 --batch 1 --min-runs 20 --min-time 1

It prints exactly one JSON document on stdout (``status`` "ok" or "failed") and
exits 0 on success, 1 on a failed measurement, 2 on bad arguments.

It never outlives whoever reads its output. Its stdout and stderr are pipes (or
sockets) to benchbot locally, and to sshd or adbd on a device; when that reader
is gone (benchbot killed with ``kill -9``, the SSH connection or the adb stream
dropped) the pipe reports an error or a hang-up, and a watcher thread ends the
process at once, instead of letting it measure on to its max time alongside the
next run.

For tests and tooling that must act while the model is being timed (never on a guess of
how long loading takes): when ``BENCHBOT_AGENT_EVENTS`` names a file, the agent appends
one line to it at each step, ``loaded PID``, ``timing PID`` (the timed loop starts now)
and ``timed PID`` (it ended).
"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import os
import platform
import select
import stat
import sys
import threading
import time
from typing import Any, Callable

AGENT_PROTOCOL = 1

# --- generated from benchbot/runtimes by `python -m benchbot.runtimes.agent_table`; do not edit
# the loader function of each runtime the agent runs
LOADER_NAMES = {
    "onnxruntime": "load_onnxruntime",
    "litert": "load_litert",
    "openvino": "load_openvino",
}
# the runtime a model file's suffix selects (--runtime auto)
RUNTIME_BY_SUFFIX = {
    ".onnx": "onnxruntime",
    ".tflite": "litert",
    ".lite": "litert",
    ".xml": "openvino",
}
# suffixes of the files that belong beside a model of a suffix (same stem)
COMPANIONS = {
    ".xml": (".bin",),
}
# each runtime's backends
BACKENDS = {
    "onnxruntime": ("cpu", "cuda", "tensorrt"),
    "litert": ("cpu", "reference", "xnnpack", "gpu", "nnapi"),
    "openvino": ("cpu", "gpu", "npu"),
}
# --- end of generated tables

ORT_DTYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(double)": "float64",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(bool)": "bool",
}


class AgentFailure(Exception):
    """A measurement that cannot be made; the message goes into the JSON document."""


def random_input(np: Any, shape: list[int], dtype: str, rng: Any) -> Any:
    """Random data of the given shape and dtype: normal floats, small non-negative ints."""
    if dtype.startswith("float"):
        return rng.standard_normal(shape).astype(dtype)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    return rng.integers(0, 10, size=shape).astype(dtype)


def concrete_shape(shape: list[Any], batch: int) -> list[int]:
    """The shape to feed: the batch on axis 0, 1 for any other symbolic dimension."""
    dims = [d if isinstance(d, int) and d > 0 else 1 for d in shape]
    if dims:
        dims[0] = batch
    return dims


EVENTS_ENV = "BENCHBOT_AGENT_EVENTS"


def event(name: str) -> None:
    """Append ``NAME PID`` to the file $BENCHBOT_AGENT_EVENTS names, if any (see above)."""
    path = os.environ.get(EVENTS_ENV)
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0),
                 0o644)
    try:
        os.write(fd, f"{name} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


def measure(run_once: Callable[[], object], warmup: int, min_runs: int,
            min_time_s: float, max_time_s: float, max_runs: int,
            clock: Callable[[], int] = time.perf_counter_ns) -> dict[str, Any]:
    """Time ``run_once`` until min_runs AND min_time are both reached.

    Capped by max_time, and by max_runs (which keeps the record of a
    microsecond model to a sane size).

    The first inference is timed on its own and counts as the first warm-up run.
    ``clock`` (nanoseconds) is the timer; tests pass one that a scripted model advances.
    """
    t0 = clock()
    run_once()
    first_ms = (clock() - t0) / 1e6
    for _ in range(max(warmup, 1) - 1):
        run_once()
    samples: list[float] = []
    event("timing")
    gc.collect()
    gc.disable()  # a collection inside a timed run is noise, not model latency
    try:
        start = clock()
        while True:
            t0 = clock()
            run_once()
            t1 = clock()
            samples.append((t1 - t0) / 1e6)
            elapsed_s = (t1 - start) / 1e9
            if len(samples) >= min_runs and elapsed_s >= min_time_s:
                stop = "min_runs_and_time"
                break
            if elapsed_s >= max_time_s:
                stop = "max_time"
                break
            if len(samples) >= max(max_runs, min_runs):
                stop = "max_runs"
                break
    finally:
        gc.enable()
    event("timed")
    return {"first_inference_ms": first_ms, "samples_ms": samples,
            "timed_wall_ms": (clock() - start) / 1e6, "stop_reason": stop}


def _quantile(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted values, interpolated linearly (numpy's default)."""
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def window_record(index: int, start_s: float, end_s: float, samples: list[float]
                  ) -> dict[str, Any]:
    """One point of a sustained series: its time span, run count, median and p90."""
    ordered = sorted(samples)
    return {"index": index, "start_s": round(start_s, 6), "end_s": round(end_s, 6),
            "runs": len(ordered), "median_ms": _quantile(ordered, 0.5),
            "p90_ms": _quantile(ordered, 0.9)}


STOP_REASONS = ("battery_floor", "temperature_ceiling", "host")


def _stop_requested(path: str | None) -> str | None:
    """The reason the host wrote into the stop file, once it exists (else None)."""
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            reason = f.read().strip()
    except OSError:
        reason = ""
    return reason if reason in STOP_REASONS else "host"


def measure_sustained(run_once: Callable[[], object], warmup: int, duration_s: float,
                      window_s: float, rate_hz: float | None, max_samples: int,
                      series_path: str | None = None, stop_path: str | None = None,
                      clock: Callable[[], int] = time.perf_counter_ns,
                      sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Time ``run_once`` for ``duration_s`` as a series of windows (sustained mode).

    Back to back, or one inference started every 1/``rate_hz`` s (a late one starts at
    once and counts in ``late_runs``; missed slots are not made up). A window closes at
    the first inference that ends past its boundary; each closed window is appended as a
    JSON line to ``series_path`` (created when the timed loop starts), which is how the
    host follows the load while it samples the device. The loop ends at the first window
    end past ``duration_s``, or when ``stop_path`` appears (the host saw the battery floor
    or the temperature ceiling; the file holds the reason). The agent never reads the
    device's state itself. Samples beyond ``max_samples`` are thinned evenly for the record.
    """
    from array import array

    t0 = clock()
    run_once()
    first_ms = (clock() - t0) / 1e6
    for _ in range(max(warmup, 1) - 1):
        run_once()
    samples = array("d")
    current: list[float] = []
    windows: list[dict[str, Any]] = []
    period_ns = int(1e9 / rate_hz) if rate_hz else 0
    window_ns, duration_ns = int(round(window_s * 1e9)), int(round(duration_s * 1e9))
    late = 0
    stop = "duration"
    series = open(series_path, "w", encoding="utf-8") if series_path else None
    gc.collect()
    gc.disable()  # as in measure(): a collection is noise, not model latency
    try:
        start = clock()
        next_ns, window_start, boundary = start, 0.0, window_ns
        while True:
            if period_ns:
                now = clock()
                if now < next_ns:
                    sleep((next_ns - now) / 1e9)
                elif now >= next_ns + period_ns:
                    late += 1
                    next_ns = now
                next_ns += period_ns
            t0 = clock()
            run_once()
            t1 = clock()
            ms = (t1 - t0) / 1e6
            samples.append(ms)
            current.append(ms)
            if t1 - start < boundary:  # whole nanoseconds: no rounding at a boundary
                continue
            t = (t1 - start) / 1e9
            record = window_record(len(windows), window_start, t, current)
            windows.append(record)
            if series is not None:
                series.write(json.dumps(record) + "\n")
                series.flush()
            current, window_start = [], t
            boundary = ((t1 - start) // window_ns + 1) * window_ns
            if t1 - start >= duration_ns:
                break
            reason = _stop_requested(stop_path)
            if reason is not None:
                stop = reason
                break
    finally:
        gc.enable()
        if series is not None:
            series.close()
    stride = -(-len(samples) // max_samples) if len(samples) > max_samples else 1
    return {"first_inference_ms": first_ms, "samples_ms": list(samples[::stride]),
            "timed_wall_ms": (clock() - start) / 1e6, "stop_reason": stop,
            "windows": windows,
            "sustained": {"duration_s": duration_s, "window_s": window_s, "rate_hz": rate_hz,
                          "total_runs": len(samples), "late_runs": late,
                          "samples_stride": stride}}


def _rewrite_onnx_batch(path: str, batch: int) -> bytes:
    """The model's bytes with axis 0 of every graph input set to ``batch``."""
    try:
        import onnx
    except ImportError as exc:
        raise AgentFailure("the model has a fixed batch dimension; rewriting it needs "
                           "the onnx package on the device (pip install onnx)") from exc
    model = onnx.load(path)
    initializers = {i.name for i in model.graph.initializer}
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        if value.name not in initializers and len(dims) > 0:
            dims[0].Clear()
            dims[0].dim_value = batch
    for value in model.graph.output:
        dims = value.type.tensor_type.shape.dim
        if len(dims) > 0:
            dims[0].Clear()
            dims[0].dim_param = "batch"
    del model.graph.value_info[:]  # stale intermediate shapes would contradict the new batch
    return model.SerializeToString()


PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
             "tensorrt": "TensorrtExecutionProvider"}


def ort_providers(ort: Any, backend: str, precision: str, cache_dir: str) -> list[Any]:
    """The provider list for a backend; fp16 on TensorRT is the provider's own option."""
    wanted = PROVIDERS[backend]
    if wanted not in ort.get_available_providers():
        raise AgentFailure(f"this onnxruntime {ort.__version__} has no {wanted} (available: "
                           f"{', '.join(ort.get_available_providers())}); install the "
                           "onnxruntime-gpu build with CUDA/TensorRT on the device")
    if backend == "tensorrt":
        options = {"trt_fp16_enable": precision == "fp16", "trt_engine_cache_enable": True,
                   "trt_engine_cache_path": cache_dir, "trt_timing_cache_enable": True,
                   "trt_timing_cache_path": cache_dir}
        return [(wanted, options), "CUDAExecutionProvider", "CPUExecutionProvider"]
    return [wanted] if backend == "cpu" else [wanted, "CPUExecutionProvider"]


def session_options(ort: Any, threads: int) -> Any:
    """ONNX Runtime options of every session: the case's intra-op threads, one inter-op
    thread, sequential execution, errors only in the log."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    return opts


def load_onnxruntime(args: argparse.Namespace, np: Any, rng: Any) -> dict[str, Any]:
    import onnxruntime as ort

    opts = session_options(ort, args.threads)
    if args.precision != "fp32" and not args.prepared and not (
            args.precision == "fp16" and args.backend == "tensorrt"):
        raise AgentFailure(f"{args.precision} on {args.backend} needs a {args.precision} "
                           "variant of the model file; this one is measured as stored")
    providers = ort_providers(ort, args.backend, args.precision, args.engine_cache)
    t0 = time.perf_counter_ns()
    session = ort.InferenceSession(args.model, sess_options=opts, providers=providers)
    inputs = session.get_inputs()
    fixed = [i for i in inputs if i.shape and isinstance(i.shape[0], int)]
    batch_applied = "dynamic_axis"
    if any(i.shape[0] != args.batch for i in fixed):
        batch_applied = "rewritten"
        try:
            session = ort.InferenceSession(_rewrite_onnx_batch(args.model, args.batch),
                                           sess_options=opts, providers=providers)
        except AgentFailure:
            raise
        except Exception as exc:
            raise AgentFailure(f"the model rejects batch {args.batch}: {_first_line(exc)}") from exc
        inputs = session.get_inputs()
    elif fixed:
        batch_applied = "native"
    load_ms = (time.perf_counter_ns() - t0) / 1e6
    used = session.get_providers()[0]
    if used != PROVIDERS[args.backend]:  # a silent fallback would report a CPU number as GPU
        raise AgentFailure(f"ONNX Runtime fell back to {used} instead of "
                           f"{PROVIDERS[args.backend]}; check the CUDA/TensorRT libraries")
    feeds = {}
    described = []
    for i in inputs:
        dtype = ORT_DTYPES.get(i.type)
        if dtype is None:
            raise AgentFailure(f"input {i.name!r} has type {i.type}, which the agent cannot generate")
        shape = concrete_shape(list(i.shape), args.batch)
        feeds[i.name] = random_input(np, shape, dtype, rng)
        described.append({"name": i.name, "dtype": dtype, "shape": shape})

    def run_once() -> object:
        return session.run(None, feeds)

    applied = session.get_session_options().intra_op_num_threads
    return {"runtime": "onnxruntime", "runtime_version": ort.__version__,
            "provider": used, "providers": session.get_providers(),
            # inputs live in host memory, so host<->device copies are inside each timed run
            "io_copies_in_timing": args.backend != "cpu",
            "threads_applied": applied,
            "batch_applied": batch_applied, "inputs": described, "load_ms": load_ms,
            "run_once": run_once}


def _litert_interpreter() -> tuple[Any, str, str]:
    try:
        from ai_edge_litert import interpreter as module
        import ai_edge_litert as package
        return module.Interpreter, "litert", getattr(package, "__version__", "unknown")
    except ImportError:
        pass
    try:  # users with only the old package installed
        from tflite_runtime import interpreter as module
        import tflite_runtime as package
        return module.Interpreter, "tflite_runtime", getattr(package, "__version__", "unknown")
    except ImportError as exc:
        raise AgentFailure("no TFLite runtime: pip install ai-edge-litert") from exc


def _litert_delegated(interpreter: Any) -> bool | None:
    """Whether a delegate took over nodes (a DELEGATE node in the plan); None: cannot tell."""
    try:
        return any(op.get("op_name") == "DELEGATE" for op in interpreter._get_ops_details())
    except Exception:  # a private API; older runtimes lack it
        return None


def load_litert(args: argparse.Namespace, np: Any, rng: Any) -> dict[str, Any]:
    """cpu: the runtime's default CPU path (LiteRT applies XNNPACK by default); xnnpack: the
    same, failing when XNNPACK is not applied; reference: built-in kernels, no delegates."""
    if args.backend not in ("cpu", "xnnpack", "reference"):
        raise AgentFailure(f"the {args.backend} delegate is not available to the Python agent; "
                           "measure it with the tflite_benchmark_model runner")
    if args.precision != "fp32" and not args.prepared:
        raise AgentFailure(f"{args.precision}: give the model's {args.precision} .tflite file "
                           "as its own model (TFLite variants are separate exports)")
    interpreter_class, runtime, version = _litert_interpreter()
    t0 = time.perf_counter_ns()
    options: dict[str, Any] = {}
    if args.backend == "reference":
        import importlib
        resolvers = getattr(importlib.import_module(interpreter_class.__module__),
                            "OpResolverType", None)
        if resolvers is None:
            raise AgentFailure(f"{runtime} {version} cannot turn off its default delegates; "
                               "use --backend cpu or a newer ai-edge-litert")
        options["experimental_op_resolver_type"] = resolvers.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = interpreter_class(model_path=args.model, num_threads=args.threads, **options)
    details = interpreter.get_input_details()
    batch_applied = "native"
    for d in details:
        shape = [int(x) for x in d["shape"]]
        if shape and shape[0] != args.batch:
            signature = [int(x) for x in d.get("shape_signature", shape)]
            batch_applied = "resized_dynamic" if signature[0] == -1 else "resized"
            interpreter.resize_tensor_input(d["index"], [args.batch] + shape[1:], strict=False)
    try:
        interpreter.allocate_tensors()
    except Exception as exc:
        raise AgentFailure(f"the model rejects batch {args.batch}: {_first_line(exc)}") from exc
    load_ms = (time.perf_counter_ns() - t0) / 1e6
    delegated = _litert_delegated(interpreter)
    if args.backend == "reference":
        provider = "reference (builtin kernels, no delegates)"
    elif delegated:
        provider = "xnnpack (the runtime's default delegate)"
    elif args.backend == "xnnpack":
        raise AgentFailure(f"{runtime} {version} did not apply XNNPACK to this model; "
                           "measure it with --backend cpu or reference")
    else:
        provider = ("cpu (builtin kernels, no delegate applied)" if delegated is False
                    else "cpu (builtin kernels, default delegates)")
    described = []
    for d in interpreter.get_input_details():
        dtype = np.dtype(d["dtype"]).name
        shape = [int(x) for x in d["shape"]]
        interpreter.set_tensor(d["index"], random_input(np, shape, dtype, rng))
        described.append({"name": d["name"], "dtype": dtype, "shape": shape})
    return {"runtime": runtime, "runtime_version": version,
            "provider": provider,
            "threads_applied": args.threads, "batch_applied": batch_applied,
            "inputs": described, "load_ms": load_ms, "run_once": interpreter.invoke}


OPENVINO_DEVICES = {"cpu": "CPU", "gpu": "GPU", "npu": "NPU"}
OPENVINO_PRECISIONS = {"fp32": "f32", "fp16": "f16"}  # INFERENCE_PRECISION_HINT values


def _openvino_config(args: argparse.Namespace, device: str) -> dict[str, Any]:
    """compile_model's properties: latency, one stream, the case's precision (and threads
    on the CPU), each read back after compiling."""
    if args.precision not in OPENVINO_PRECISIONS:
        raise AgentFailure(f"{args.precision} on OpenVINO is its own export (an "
                           "NNCF-quantized IR); give that .xml as a model")
    config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY",
                              "INFERENCE_PRECISION_HINT": OPENVINO_PRECISIONS[args.precision]}
    if device == "CPU":
        config.update(INFERENCE_NUM_THREADS=args.threads, NUM_STREAMS=1)
    elif args.threads != 1:
        raise AgentFailure(f"threads apply to OpenVINO's CPU device only; measure {device} "
                           "with --threads 1")
    return config


def _openvino_reshaped(ov: Any, model: Any, batch: int) -> str:
    """Every input at the case's batch on axis 0 (1 for any other dynamic dimension),
    reshaped where the model allows it; how the batch was applied."""
    applied, shapes = "native", {}
    for port in model.inputs:
        partial = port.get_partial_shape()
        if partial.rank.is_dynamic:
            raise AgentFailure(f"input {port.get_any_name()!r} has no fixed rank; export the "
                               "model with a known input rank")
        dims = [d.get_length() if d.is_static else -1 for d in partial]
        if dims and dims[0] != batch:
            applied = "dynamic_axis" if dims[0] == -1 else "reshaped"
        shapes[port] = ov.PartialShape(concrete_shape(dims, batch))
    if applied != "native" or not all(p.get_partial_shape().is_static for p in model.inputs):
        try:
            model.reshape(shapes)
        except Exception as exc:
            raise AgentFailure(f"the model rejects batch {batch}: {_first_line(exc)}") from exc
    return applied


def load_openvino(args: argparse.Namespace, np: Any, rng: Any) -> dict[str, Any]:
    """OpenVINO's Python API: an IR (.xml + .bin) or an ONNX file, compiled on the backend's
    device. Threads and inference precision are set and read back from the compiled model,
    and the device that executes it too: a label OpenVINO did not apply fails the case."""
    try:
        import openvino as ov
    except ImportError as exc:
        raise AgentFailure("no OpenVINO runtime on the device: pip install openvino") from exc
    device = OPENVINO_DEVICES.get(args.backend)
    if device is None:
        raise AgentFailure(f"OpenVINO has no {args.backend} backend (it runs on "
                           f"{', '.join(OPENVINO_DEVICES)})")
    core = ov.Core()
    if not any(d.split(".")[0] == device for d in core.available_devices):
        raise AgentFailure(f"OpenVINO {ov.__version__} sees no {device} device here "
                           f"(available: {', '.join(core.available_devices)}); install its "
                           "driver or measure another backend")
    config = _openvino_config(args, device)
    t0 = time.perf_counter_ns()
    model = (core.read_model(args.model, args.weights) if args.weights
             else core.read_model(args.model))
    batch_applied = _openvino_reshaped(ov, model, args.batch)
    compiled = core.compile_model(model, device, config)
    load_ms = (time.perf_counter_ns() - t0) / 1e6
    precision = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    if precision != config["INFERENCE_PRECISION_HINT"]:
        raise AgentFailure(f"OpenVINO's {device} runs this model in {precision}, not the "
                           f"{config['INFERENCE_PRECISION_HINT']} asked for {args.precision}: "
                           "measure it at a precision this device has")
    threads = int(compiled.get_property("INFERENCE_NUM_THREADS")) if device == "CPU" else 1
    if threads != args.threads:
        raise AgentFailure(f"OpenVINO's CPU runs {threads} inference threads, not the "
                           f"{args.threads} asked; ask for at most the device's cores")
    executing = [str(d) for d in compiled.get_property("EXECUTION_DEVICES")]
    if not any(d.split(".")[0] == device for d in executing):
        raise AgentFailure(f"OpenVINO executes on {', '.join(executing)}, not {device}")
    request = compiled.create_infer_request()
    described = []
    for port in compiled.inputs:
        shape = [int(d) for d in port.get_shape()]
        dtype = port.get_element_type().to_dtype().name
        request.set_tensor(port, ov.Tensor(random_input(np, shape, dtype, rng)))
        described.append({"name": port.get_any_name(), "dtype": dtype, "shape": shape})
    return {"runtime": "openvino", "runtime_version": ov.__version__,
            "provider": ", ".join(executing), "precision_applied": precision,
            "io_copies_in_timing": device != "CPU",
            "threads_applied": threads, "batch_applied": batch_applied,
            "inputs": described, "load_ms": load_ms, "run_once": request.infer}


# the loaders the generated LOADER_NAMES name, by runtime
LOADERS: dict[str, Callable[[argparse.Namespace, Any, Any], dict[str, Any]]] = {
    runtime: globals()[loader] for runtime, loader in LOADER_NAMES.items()}


def runtime_for(path: str) -> str:
    """The runtime that executes a model file, from its extension."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in RUNTIME_BY_SUFFIX:
        raise AgentFailure(f"unknown model format {ext!r}: expected one of "
                           f"{', '.join(RUNTIME_BY_SUFFIX)}, or name the runtime (--runtime)")
    return RUNTIME_BY_SUFFIX[ext]


def model_files(args: argparse.Namespace) -> None:
    """AgentFailure naming the file when the model, or a file that belongs beside it (an
    IR's .bin), is not on the device."""
    if not os.path.isfile(args.model):
        raise AgentFailure(f"model file not found on the device: {args.model}")
    base, ext = os.path.splitext(args.model)
    if args.weights:
        if not os.path.isfile(args.weights):
            raise AgentFailure(f"weights file not found on the device: {args.weights}")
        return
    for suffix in COMPANIONS.get(ext.lower(), ()):
        if not os.path.isfile(base + suffix):
            raise AgentFailure(f"{args.model} needs its {suffix} file beside it "
                               f"({base + suffix}), or --weights PATH")


def peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def proc_kb(text: str, keys: tuple[str, ...]) -> dict[str, int]:
    """``Key:   123 kB`` lines (/proc/PID/status, smaps_rollup) -> {key: kB}; smaps' many
    mappings are summed, so the full /proc/PID/smaps gives the same totals as its rollup."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        if sep and name in keys:
            parts = rest.split()
            if parts and parts[0].isdigit():
                found[name] = found.get(name, 0) + int(parts[0])
    return found


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def rss_kb() -> int | None:
    """This process's resident set now (Linux, Android), else None."""
    text = _read_text("/proc/self/status")
    return proc_kb(text, ("VmRSS",)).get("VmRSS") if text else None


def memory_now() -> dict[str, Any]:
    """Proportional and private-dirty memory of this process (Linux 4.14+ and Android
    read smaps_rollup; older kernels the full smaps), and the peak resident set."""
    figures: dict[str, Any] = {}
    for path in ("/proc/self/smaps_rollup", "/proc/self/smaps"):
        text = _read_text(path)
        if text:
            found = proc_kb(text, ("Pss", "Private_Dirty"))
            if "Pss" in found:
                figures.update(pss_kb=found["Pss"], private_dirty_kb=found.get("Private_Dirty"),
                               smaps_source=path)
                break
    status = _read_text("/proc/self/status")
    if status:
        figures["vm_hwm_kb"] = proc_kb(status, ("VmHWM",)).get("VmHWM")
    return figures


def parse_gpu_processes(text: str) -> list[dict[str, int]]:
    """The Processes table of ``nvidia-smi``: per row the GPU index, pid and MiB used."""
    rows = []
    for line in text.splitlines():
        cells = line.strip().strip("|").split()
        if len(cells) >= 5 and cells[0].isdigit() and cells[-1].endswith("MiB"):
            pid = next((c for c in cells[1:4] if c.isdigit()), None)
            mib = cells[-1][:-3]
            if pid is not None and mib.isdigit():
                rows.append({"gpu": int(cells[0]), "pid": int(pid), "mib": int(mib)})
    return rows


def gpu_memory_mib(pid: int) -> int | None:
    """What nvidia-smi's Processes table says this process holds on its GPUs, summed."""
    import subprocess

    try:
        out = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    mine = [r["mib"] for r in parse_gpu_processes(out) if r["pid"] == pid]
    return sum(mine) if mine else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    line = text.splitlines()[0]
    return line if len(line) <= 300 else line[:299] + "…"


def _cpu_set(cpus: set[int]) -> str:
    """{0-3, 6} for the CPUs 0, 1, 2, 3 and 6."""
    runs: list[list[int]] = []
    for cpu in sorted(cpus):
        if runs and cpu == runs[-1][-1] + 1:
            runs[-1].append(cpu)
        else:
            runs.append([cpu])
    return "{" + ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r))
                           for r in runs) + "}"


def pin_to_cpus(cpus: set[int]) -> None:
    """Pin this process to ``cpus``. The kernel's answer to a mask of CPUs this device lacks is
    a bare EINVAL: say which CPUs the mask names, which the device has, and what to fix."""
    have = set(os.sched_getaffinity(0))
    try:
        os.sched_setaffinity(0, cpus)
    except (OSError, ValueError) as exc:  # ValueError: a CPU id past what a cpu set can hold
        if isinstance(exc, OSError) and exc.errno != errno.EINVAL:
            raise
        raise AgentFailure(f"CPU mask names CPUs {_cpu_set(cpus)} but this device has CPUs "
                           f"{_cpu_set(have)}: fix [cpu] masks in the profile") from None


LITERT_NO_PROFILER = ("LiteRT's Python interpreter has no op profiler; measure the model with "
                      "the tflite_benchmark_model runner and --profile-ops for per-op times")


def _ort_node_events(trace: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[float]]:
    """The node events and model_run durations (us) of an ORT profile, without the first run.

    ORT's trace holds every run since the session was created; the first one after
    creation pays for allocations, so it is dropped as a warm-up.
    """
    runs = sorted((e for e in trace if e.get("name") == "model_run"), key=lambda e: e["ts"])
    if len(runs) < 2:
        return [], []
    start = runs[1]["ts"]
    nodes = [e for e in trace if e.get("cat") == "Node" and e.get("ts", 0) >= start
             and str(e.get("name", "")).endswith("_kernel_time")]
    return nodes, [float(e["dur"]) for e in runs[1:]]


def aggregate_ort_profile(trace: list[dict[str, Any]]) -> dict[str, Any]:
    """Per node of an ORT profile trace: op type, provider, ms per inference (pure)."""
    nodes, runs = _ort_node_events(trace)
    if not runs:
        return {"ops": [], "profiled_runs": 0, "run_ms": None}
    per_node: dict[str, dict[str, Any]] = {}
    for e in nodes:
        name = str(e["name"])[: -len("_kernel_time")]
        extra = e.get("args") or {}
        node = per_node.setdefault(name, {"node": name, "op_type": str(extra.get("op_name", "")),
                                          "provider": str(extra.get("provider", "")), "us": 0.0})
        node["us"] += float(e.get("dur", 0))
    ops = [{"node": n["node"], "op_type": n["op_type"], "provider": n["provider"],
            "ms": n["us"] / len(runs) / 1000.0} for n in per_node.values()]
    return {"ops": ops, "profiled_runs": len(runs), "run_ms": sum(runs) / len(runs) / 1000.0}


def ort_profile_pass(args: argparse.Namespace, np: Any, runs: int) -> dict[str, Any]:
    """A second ORT session with its profiler on, run ``runs`` + 1 times; per-node times."""
    import tempfile

    import onnxruntime as ort

    opts = session_options(ort, args.threads)
    opts.enable_profiling = True
    folder = tempfile.mkdtemp(prefix="benchbot-ortprof-")
    opts.profile_file_prefix = os.path.join(folder, "profile")
    providers = ort_providers(ort, args.backend, args.precision, args.engine_cache)
    try:
        session = ort.InferenceSession(args.model, sess_options=opts, providers=providers)
        if any(i.shape and isinstance(i.shape[0], int) and i.shape[0] != args.batch
               for i in session.get_inputs()):
            session = ort.InferenceSession(_rewrite_onnx_batch(args.model, args.batch),
                                           sess_options=opts, providers=providers)
        rng = np.random.default_rng(args.seed)
        feeds = {i.name: random_input(np, concrete_shape(list(i.shape), args.batch),
                                      ORT_DTYPES.get(i.type, "float32"), rng)
                 for i in session.get_inputs()}
        for _ in range(runs + 1):
            session.run(None, feeds)
        path = session.end_profiling()
        with open(path, encoding="utf-8") as f:
            trace = json.load(f)
    finally:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
    found = aggregate_ort_profile(trace)
    return {**found, "source": "onnxruntime"}


def profile_pass(args: argparse.Namespace, np: Any, runtime: str) -> dict[str, Any]:
    """The op profile, taken after the timed runs so they never ran with a profiler on.

    Never fails the measurement: a profile that cannot be taken says why (``reason``).
    """
    if runtime != "onnxruntime":
        reason = LITERT_NO_PROFILER if runtime in ("litert", "tflite_runtime") else (
            f"the agent takes op profiles with ONNX Runtime only, not {runtime}")
        return {"ops": [], "reason": reason, "source": runtime}
    try:
        found = ort_profile_pass(args, np, args.profile_runs)
    except Exception as exc:
        return {"ops": [], "reason": f"the ONNX Runtime profiler failed: {_first_line(exc)}",
                "source": "onnxruntime"}
    if not found["ops"]:
        found["reason"] = "the ONNX Runtime profile recorded no node events"
    return found


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Load, warm up and time the model; the document the agent prints."""
    if args.cpus:
        pin_to_cpus({int(c) for c in args.cpus.split(",")})
    import numpy as np

    rng = np.random.default_rng(args.seed)
    runtime = args.runtime if args.runtime != "auto" else runtime_for(args.model)
    if args.backend not in BACKENDS[runtime]:
        raise AgentFailure(f"{runtime} has no {args.backend} backend (it has "
                           f"{', '.join(BACKENDS[runtime])})")
    model_files(args)
    before_load = rss_kb()
    loaded = LOADERS[runtime](args, np, rng)
    after_load = rss_kb()
    run_once = loaded.pop("run_once")
    event("loaded")
    try:
        if args.sustained:
            timing = measure_sustained(run_once, args.warmup, args.sustained, args.window,
                                       args.rate, args.max_runs, args.series_file or None,
                                       args.stop_file or None)
        else:
            timing = measure(run_once, args.warmup, args.min_runs, args.min_time,
                             args.max_time, args.max_runs)
    except Exception as exc:  # e.g. a Reshape that hard-codes the batch fails on first run
        raise AgentFailure(f"inference failed at batch {args.batch} (batch "
                           f"{loaded['batch_applied']}): {_first_line(exc)}") from exc
    memory = {"rss_before_load_kb": before_load, "rss_after_load_kb": after_load,
              **memory_now()}  # after the timed runs, before any profiled pass
    if args.backend != "cpu":
        memory["gpu_mib"] = gpu_memory_mib(os.getpid())
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    if args.profile_ops:
        loaded["op_profile"] = profile_pass(args, np, runtime)
    return {**loaded, **timing, "threads_requested": args.threads, "batch": args.batch,
            "warmup_runs": max(args.warmup, 1), "peak_rss_mb": peak_rss_mb(), "memory": memory,
            "cpu_affinity": affinity, "python": platform.python_version(),
            "numpy": np.__version__}


def _watched_fds() -> list[int]:
    """stdout and stderr where they are pipes or sockets: those report a reader gone."""
    fds = []
    for stream in (sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
            mode = os.fstat(fd).st_mode
        except (AttributeError, OSError, ValueError):
            continue
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            fds.append(fd)
    return fds


def watch_reader() -> None:
    """Exit at once when the process reading our output goes away (see the module doc)."""
    fds = _watched_fds()
    if not fds or not hasattr(select, "poll"):
        return
    poller = select.poll()
    for fd in fds:
        poller.register(fd, 0)  # no events asked: only error, hang-up and invalid come back
    gone = select.POLLERR | select.POLLHUP | select.POLLNVAL

    def watch() -> None:
        while True:
            try:
                events = poller.poll(2000)
            except OSError:
                continue
            if any(event & gone for _, event in events):
                os._exit(1)  # nobody is left to read a result; threads must not hold us

    threading.Thread(target=watch, name="reader-watch", daemon=True).start()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="benchbot measuring agent: time one model, print JSON.")
    p.add_argument("--model", required=True,
                   help=f"model file ({', '.join(RUNTIME_BY_SUFFIX)})")
    p.add_argument("--weights", default="",
                   help="the file beside the model, where it has one (an OpenVINO IR's .bin) "
                        "and it is not the model's name with that suffix")
    p.add_argument("--runtime", default="auto", choices=["auto", *LOADERS],
                   help="auto: from the model's suffix")
    p.add_argument("--backend", default="cpu",
                   choices=list(dict.fromkeys(b for bs in BACKENDS.values() for b in bs)),
                   help="ONNX Runtime provider, TFLite delegate or OpenVINO device")
    p.add_argument("--precision", default="fp32", choices=["fp32", "fp16", "int8"])
    p.add_argument("--prepared", action="store_true",
                   help="the model file already is the precision (a variant the host derived)")
    p.add_argument("--engine-cache", default=os.path.join(os.path.expanduser("~"), ".cache",
                                                          "benchbot", "trt"),
                   help="TensorRT engine cache folder, so engines are not rebuilt per case")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads")
    p.add_argument("--batch", type=int, default=1, help="value of the batch axis (axis 0)")
    p.add_argument("--warmup", type=int, default=5, help="warm-up runs, first inference included")
    p.add_argument("--min-runs", type=int, default=20)
    p.add_argument("--max-runs", type=int, default=10000, help="cap on timed runs")
    p.add_argument("--min-time", type=float, default=1.0, help="seconds")
    p.add_argument("--max-time", type=float, default=20.0, help="seconds")
    p.add_argument("--cpus", default="", help="comma-separated CPU ids to pin the process to")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument("--profile-ops", action="store_true",
                   help="after the timed runs, take an op profile in a separate pass")
    p.add_argument("--profile-runs", type=int, default=20, help="runs of the profiled pass")
    p.add_argument("--sustained", type=float, default=0.0,
                   help="seconds of sustained mode: a time series of windows (0: off)")
    p.add_argument("--window", type=float, default=1.0, help="seconds per window (sustained)")
    p.add_argument("--rate", type=float, default=0.0,
                   help="inferences started per second (sustained; 0: back to back)")
    p.add_argument("--series-file", default="",
                   help="append each closed window here as a JSON line (sustained)")
    p.add_argument("--stop-file", default="",
                   help="end the series early once this file exists; it holds the reason")
    args = p.parse_args(argv)
    if args.sustained < 0 or args.window <= 0 or args.rate < 0:
        p.error("--sustained and --rate must be >= 0, --window > 0")
    for name in ("threads", "batch", "min_runs", "max_runs", "profile_runs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.min_time < 0 or args.max_time <= 0 or args.warmup < 0:
        p.error("--warmup and --min-time must be >= 0, --max-time > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    watch_reader()
    try:
        doc: dict[str, Any] = {"status": "ok", "error": None, **run(args)}
        code = 0
    except AgentFailure as exc:
        doc, code = {"status": "failed", "error": str(exc)}, 1
    except Exception as exc:  # the host records the reason; the agent never dies silently
        doc, code = {"status": "failed", "error": f"{type(exc).__name__}: {_first_line(exc)}"}, 1
    doc["protocol"] = AGENT_PROTOCOL
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
