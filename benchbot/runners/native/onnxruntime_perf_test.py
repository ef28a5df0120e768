"""ONNX Runtime ``onnxruntime_perf_test``: its command line and its console output.

Output lines read (labels across versions; "x:" and "x: " both occur):

* ``Session creation time cost: X s`` -> init; ``First inference time cost: X ms``
* ``Total inference requests: N`` (else ``Runs:N``) -> count
* ``Average inference time cost: X ms`` (vendor builds: ``... cost total: X ms``) -> mean
* ``Number of inferences per second: X`` -> throughput
* ``Peak working set size: N bytes`` -> peak memory (MiB)
* ``Min/Max/P50/P90/P95/P99/P999 Latency: X s`` (older: ``... Latency is X sec``),
  in seconds -> ms; P50 is the median. The tool prints no standard deviation.

A log with no request count and no average is a failed run; its error is the
tool's own output minus the informational lines.
"""

from __future__ import annotations

import math
import re

from benchbot.errors import ConfigError
from benchbot.runners.native.argv import check_case, mask_cpus, one_of, taskset
from benchbot.runners.native.echo import echoed, mismatch
from benchbot.runners.native.logtext import NUMBER, log_lines, unique
from benchbot.runners.native.result import NO_TIMINGS, Measurement, NativeResult
from benchbot.store.modelfile import input_shapes
from benchbot.sweep import Case, MeasureSettings

KIND = "onnxruntime_perf_test"
PROVIDERS = ("cpu", "cuda", "tensorrt", "xnnpack", "nnapi", "qnn", "coreml", "openvino", "dml",
             "acl")
MODES = ("times", "duration")

_FIELDS = {
    "init_s": re.compile(rf"Session creation time cost:\s*({NUMBER})\s*s\b"),
    "first_ms": re.compile(rf"First inference time cost:\s*({NUMBER})\s*ms"),
    "count": re.compile(r"Total inference requests:\s*(\d+)"),
    "runs": re.compile(r"^Runs:\s*(\d+)"),
    "mean_ms": re.compile(rf"Average inference time cost(?: total)?:\s*({NUMBER})\s*ms"),
    "qps": re.compile(rf"Number of inferences per second:\s*({NUMBER})"),
    "peak_bytes": re.compile(r"Peak working set size:\s*(\d+)"),
}
_LATENCY = re.compile(rf"^(Min|Max|P50|P90|P95|P99|P999) Latency(?::|\s+is)\s*({NUMBER})\s*s")
_INFO = re.compile(r"^(?:Setting |setting |using |\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[[WIV]:)")
_LATENCY_FIELD = {"Min": "min_ms", "Max": "max_ms", "P50": "median_ms", "P90": "p90_ms",
                  "P95": "p95_ms", "P99": "p99_ms"}


def parse(text: str) -> NativeResult:
    """The figures of one ``onnxruntime_perf_test`` run's console output (pure)."""
    found: dict[str, str] = {}
    latency: dict[str, float] = {}
    lines = log_lines(text)
    for ln in lines:
        for key, pattern in _FIELDS.items():
            if key not in found and (m := pattern.search(ln.message)):
                found[key] = m.group(1)
        if (m := _LATENCY.match(ln.message)) and m.group(1) in _LATENCY_FIELD:
            latency.setdefault(_LATENCY_FIELD[m.group(1)], float(m.group(2)) * 1000.0)
    count = found.get("count", found.get("runs"))
    if "mean_ms" not in found and "median_ms" not in latency:
        errors = unique([ln.line for ln in lines if ln.line and not _INFO.match(ln.line)])
        return NativeResult.failed("\n".join(errors[-5:]) or NO_TIMINGS)
    return NativeResult(
        status="ok", count=None if count is None else int(count),
        mean_ms=float(found["mean_ms"]) if "mean_ms" in found else None,
        init_ms=float(found["init_s"]) * 1000.0 if "init_s" in found else None,
        first_ms=float(found["first_ms"]) if "first_ms" in found else None,
        peak_memory_mb=int(found["peak_bytes"]) / 2**20 if "peak_bytes" in found else None,
        throughput_qps=float(found["qps"]) if "qps" in found else None,
        median_ms=latency.get("median_ms"), p90_ms=latency.get("p90_ms"),
        p95_ms=latency.get("p95_ms"), p99_ms=latency.get("p99_ms"), min_ms=latency.get("min_ms"),
        max_ms=latency.get("max_ms"))


def parse_all(text: str) -> list[Measurement]:
    """The tool prints one summary per process: one measurement."""
    return [Measurement(label="", result=parse(text))]


def _affinities(cpu_mask: str, threads: int) -> str:
    """``-T`` value pinning each of the ``threads - 1`` pool threads to one CPU of the mask.

    ORT numbers logical processors from 1 and pins only its pool threads (the
    caller's thread is the pool's first member, kept inside the mask by
    ``taskset``), so mask f0 with 4 threads gives ``6;7;8``.
    """
    cpus = [cpu + 1 for cpu in mask_cpus(cpu_mask)]
    return ";".join(str(cpus[i % len(cpus)]) for i in range(1, threads))


def build_argv(binary: str, model: str, case_threads: int, batch: int, precision: str,
               settings: MeasureSettings, *, cpu_mask: str | None = None,
               provider: str = "cpu", mode: str = "times", result_file: str | None = None,
               seed: int | None = 1, batch_dim: str | None = None,
               affinity_option: str = "-T") -> list[str]:
    """``onnxruntime_perf_test`` argv for one case.

    mode ``times`` runs ``settings.min_runs`` requests (``-m times -r N``);
    ``duration`` runs for ``ceil(settings.min_time_s)`` seconds (``-t``). The tool
    has a single, built-in warm-up run ("First inference"). Inputs are generated
    (``-I``, seeded with ``-S``); ``batch_dim`` names the free dimension set to
    ``batch`` (``-f name:batch``), else the model's shapes apply. Intra-op
    threads ``-x``, inter-op ``-y 1``. With ``cpu_mask``, ORT's own pool pinning
    (which ignores taskset) is overridden with ``-T`` (or ``-C
    session.intra_op_thread_affinities|...`` for builds without ``-T``). fp16 /
    int8 switch TensorRT's precision flags; other providers run the model's own
    precision.
    """
    check_case(case_threads, batch, precision)
    one_of(provider, PROVIDERS, "execution provider")
    one_of(mode, MODES, "onnxruntime_perf_test mode")
    one_of(affinity_option, ("-T", "-C"), "affinity option")
    argv = [*taskset(cpu_mask), binary, "-e", provider]
    if mode == "times":
        argv += ["-m", "times", "-r", str(settings.min_runs)]
    else:
        argv += ["-m", "duration", "-t", str(max(1, math.ceil(settings.min_time_s)))]
    argv += ["-x", str(case_threads), "-y", "1", "-I"]
    if seed is not None:
        argv += ["-S", str(seed)]
    if batch_dim:
        argv += ["-f", f"{batch_dim}:{batch}"]
    if cpu_mask is not None and case_threads > 1:
        affinity = _affinities(cpu_mask, case_threads)
        argv += ["-T", affinity] if affinity_option == "-T" else \
            ["-C", f"session.intra_op_thread_affinities|{affinity}"]
    if provider == "tensorrt" and precision != "fp32":
        argv += ["-i", f"trt_{precision}_enable|true"]
    if result_file is not None and not result_file:
        raise ConfigError("result_file must be a path or None")
    argv.append(model)
    if result_file:
        argv.append(result_file)
    return argv


#: The two command-line parsers perf_test has had: the getopt one (``-h`` prints
#: "perf_test [options...] model_path [result_file]") and the Abseil one (its
#: ``--help`` ends "Try --helpfull ..."). Both take every flag benchbot gives.
GETOPT, ABSEIL = "getopt", "abseil"
MARKERS = {ABSEIL: ("--helpfull",), GETOPT: ("perf_test [options...]",)}
_THREADS_ECHO = re.compile(r"^Setting intra_op_num_threads to (\d+)$")


def verify(argv: list[str], log: str) -> list[str]:
    """perf_test prints ``Setting intra_op_num_threads to N`` for the ``-x`` it took."""
    asked = argv[argv.index("-x") + 1] if "-x" in argv else None
    if asked is None:
        return []
    problem = mismatch("intra-op threads", asked, echoed(log, _THREADS_ECHO))
    return [problem] if problem else []


def case_options(case: Case) -> dict[str, object]:
    """The case's provider and the model's symbolic batch dimension, if it has one."""
    shapes = input_shapes(case.model)
    symbolic = next((s[0] for s in shapes.values() if s and isinstance(s[0], str)), None)
    return {"provider": case.backend, "batch_dim": symbolic}


def profiling_argv(argv: list[str], remote_file: str) -> list[str]:
    """``-p PREFIX`` before the model path: ORT writes ``PREFIX_<timestamp>.json``."""
    return [*argv[:-1], "-p", remote_file, argv[-1]]
