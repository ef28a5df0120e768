"""NVIDIA ``trtexec``: its command line and its console output (TensorRT 5 to 11).

Which latency is the case latency: the end-to-end per-query latency trtexec
calls "Latency" (TRT >= 8: ``Latency: min = .. ms, max = .., mean = ..,
median = .., percentile(90%) = .., ...``) and "Host Latency" (TRT 7: a
``Host Latency`` header, then ``min: X ms (end to end Y ms)`` lines and
``percentile: X ms at 99%``). Per trtexec's own explanation it is H2D + GPU
compute + D2H of one query, i.e. what an application waits for; "GPU Compute
Time" (kernels only) and "End-to-End Host Latency" (which includes queueing
between overlapping queries) are not used. With ``--noDataTransfers`` Latency
equals GPU compute, as the tool measured it.

Other figures: count = ``Timing trace has N queries``; throughput = ``Throughput:
X qps`` (TRT 7: ``throughput: X qps``, printed as 0 by some 7.x builds and kept
as printed); init = ``Engine deserialized in X sec``. trtexec prints no standard
deviation, first-inference time, warm-up mean or memory peak.

The breakdown (``NativeResult.breakdown``) keeps the parts trtexec times on their
own, each with the figures it prints: ``h2d_latency`` ("H2D Latency"),
``gpu_compute`` ("GPU Compute Time", TRT 7 "GPU Compute"), ``d2h_latency`` ("D2H
Latency"), ``enqueue_time`` ("Enqueue Time") and ``end_to_end_host_latency``
("End-to-End Host Latency").

TensorRT 5 (older Jetson boards) prints, per iteration, ``Average over N runs is
X ms (host walltime is Y ms, P% percentile time is Z).``: X and Z are GPU times
(CUDA events around the enqueue), Y the host's wall time for the enqueue and
the wait. The case latency is the N-weighted mean host walltime (there are no
per-query min, max or percentiles of it); ``gpu_compute`` gets the weighted GPU
mean, and its percentile when the log holds a single iteration.

A log without a summary but with trace lines (``Average on N runs - GPU
latency: X ms - Host latency: Y ms``) gives the exact mean host latency of the
traced queries (N-weighted). A PASSED log without either (``--skipInference``,
``--buildOnly``) is failed with "no inference timings in the log". A log of
several runs (``&&&& RUNNING`` lines, or several summaries) is several measurements.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from benchbot.errors import ConfigError
from benchbot.runners.native.argv import check_case, measured_shapes, one_of, taskset
from benchbot.runners.native.echo import flag_value
from benchbot.runners.native.logtext import NUMBER, LogLine, log_lines, unique
from benchbot.runners.native.result import (BREAKDOWN_FIGURES, NO_TIMINGS, Measurement,
                                            NativeResult, single)
from benchbot.sweep import Case, MeasureSettings

KIND = "trtexec"
ENGINE_SUFFIXES = (".engine", ".plan", ".trt")

_MARK = re.compile(r"^&&&& (RUNNING|PASSED|FAILED)\b")
_STATS_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 \-]*?):\s*(min\s*=.*)$")
_STAT = re.compile(rf"(min|max|mean|median|percentile\(({NUMBER})%\))\s*=\s*({NUMBER})\s*ms")
_THROUGHPUT = re.compile(rf"^[Tt]hroughput:\s*({NUMBER})\s*qps")
_TRACE_COUNT = re.compile(r"Timing trace has (\d+) queries")
_DESERIALIZED = re.compile(rf"Engine deserialized in\s*({NUMBER})\s*sec")
_TRACE_AVG = re.compile(rf"^Average on (\d+) runs - GPU latency: ({NUMBER}) ms - "
                        rf"Host latency: ({NUMBER}) ms")
_TRT7_BLOCKS = ("Host Latency", "Enqueue Time", "GPU Compute")
_TRT7_STAT = re.compile(rf"^(min|max|mean|median):\s*({NUMBER})\s*ms")
_TRT7_PERCENTILE = re.compile(rf"^percentile:\s*({NUMBER})\s*ms at ({NUMBER})%")
_TRT5_AVG = re.compile(rf"^Average over (\d+) runs is ({NUMBER}) ms \(host walltime is "
                       rf"({NUMBER}) ms, ({NUMBER})\\?% percentile time is ({NUMBER})\)")
_BREAKDOWN_PARTS = {"H2D Latency": "h2d_latency", "GPU Compute Time": "gpu_compute",
                    "D2H Latency": "d2h_latency", "Enqueue Time": "enqueue_time",
                    "End-to-End Host Latency": "end_to_end_host_latency",
                    "GPU Compute": "gpu_compute"}  # the last: TRT 7's block title
_STAMP = re.compile(r"\[(\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d)\]")
_PERCENTILE_FIELD = {90.0: "p90_ms", 95.0: "p95_ms", 99.0: "p99_ms"}
_STAT_FIELD = {"min": "min_ms", "max": "max_ms", "mean": "mean_ms", "median": "median_ms"}


@dataclass
class _Run:
    """What one trtexec run (or one summary of a pasted excerpt) printed so far."""

    latency: dict[str, float] = field(default_factory=dict)
    throughput: float | None = None
    count: int | None = None
    init_ms: float | None = None
    trace: list[tuple[int, float]] = field(default_factory=list)  # (runs, host latency ms)
    trt5: list[tuple[int, float, float, float, float]] = field(default_factory=list)
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    mark: str | None = None  # PASSED / FAILED
    started: bool = False
    stamp: str = ""
    trt7_block: str = ""

    def empty(self) -> bool:
        return not (self.latency or self.trace or self.trt5 or self.errors or self.mark
                    or self.started)

    def feed(self, ln: LogLine) -> None:
        msg = ln.message
        if stamp := _STAMP.match(ln.raw):
            self.stamp = stamp.group(1)
        if ln.level == "E":
            self.errors.append(msg)
        elif (m := _STATS_LINE.match(msg)) and (m.group(1) == "Latency"
                                                 or m.group(1) in _BREAKDOWN_PARTS):
            into = self.latency if m.group(1) == "Latency" else \
                self.breakdown.setdefault(_BREAKDOWN_PARTS[m.group(1)], {})
            for key, pct, value in _STAT.findall(m.group(2)):
                name = _PERCENTILE_FIELD.get(float(pct)) if pct else _STAT_FIELD[key]
                if name:
                    into[name] = float(value)
        elif m := _TRT5_AVG.match(msg):
            self.trt5.append((int(m.group(1)), float(m.group(2)), float(m.group(3)),
                              float(m.group(4)), float(m.group(5))))
        elif m := _THROUGHPUT.match(msg):
            self.throughput = float(m.group(1))
        elif m := _TRACE_COUNT.search(msg):
            self.count = int(m.group(1))
        elif m := _DESERIALIZED.search(msg):
            self.init_ms = float(m.group(1)) * 1000.0
        elif m := _TRACE_AVG.match(msg):
            self.trace.append((int(m.group(1)), float(m.group(3))))
        elif msg in _TRT7_BLOCKS:
            self.trt7_block = msg
        elif self.trt7_block and (m := _TRT7_STAT.match(msg)):
            self._trt7_figures()[_STAT_FIELD[m.group(1)]] = float(m.group(2))
        elif self.trt7_block and (m := _TRT7_PERCENTILE.match(msg)) and \
                (name := _PERCENTILE_FIELD.get(float(m.group(2)))):
            self._trt7_figures()[name] = float(m.group(1))

    def _trt7_figures(self) -> dict[str, float]:
        if self.trt7_block == "Host Latency":
            return self.latency
        return self.breakdown.setdefault(_BREAKDOWN_PARTS[self.trt7_block], {})

    def _trt5_result(self) -> NativeResult:
        runs = sum(n for n, *_ in self.trt5)
        host = math.fsum(n * wall for n, _, wall, _, _ in self.trt5) / runs
        gpu = {"mean_ms": math.fsum(n * g for n, g, *_ in self.trt5) / runs}
        if len(self.trt5) == 1 and (name := _PERCENTILE_FIELD.get(self.trt5[0][3])):
            gpu[name] = self.trt5[0][4]
        return NativeResult(status="ok", count=runs, mean_ms=host, init_ms=self.init_ms,
                            breakdown={"gpu_compute": gpu})

    def _breakdown(self) -> dict[str, dict[str, float]] | None:
        parts = {part: {name: figures[name] for name in BREAKDOWN_FIGURES if name in figures}
                 for part, figures in self.breakdown.items() if figures}
        return parts or None

    def result(self) -> NativeResult:
        if self.mark == "FAILED" or (self.errors and not self.latency):
            return NativeResult.failed("\n".join(unique(self.errors))
                                       or "trtexec reported FAILED without an [E] line")
        if self.latency:
            lat = self.latency.get
            return NativeResult(status="ok", count=self.count, mean_ms=lat("mean_ms"),
                                median_ms=lat("median_ms"), p90_ms=lat("p90_ms"),
                                p95_ms=lat("p95_ms"), p99_ms=lat("p99_ms"), min_ms=lat("min_ms"),
                                max_ms=lat("max_ms"), init_ms=self.init_ms,
                                throughput_qps=self.throughput,
                                breakdown=self._breakdown())
        if self.trt5:
            return self._trt5_result()
        if self.trace:
            runs = sum(n for n, _ in self.trace)
            mean = math.fsum(n * host for n, host in self.trace) / runs
            return NativeResult(status="ok", count=runs, mean_ms=mean, init_ms=self.init_ms,
                                breakdown=self._breakdown())
        return NativeResult.failed(NO_TIMINGS + (" (the run passed without an inference "
                                                 "phase: --skipInference or --buildOnly)"
                                                 if self.mark == "PASSED" else ""))


def parse_all(text: str) -> list[Measurement]:
    """One measurement per trtexec run / performance summary in ``text``."""
    runs: list[_Run] = [_Run()]
    for ln in log_lines(text):
        current = runs[-1]
        mark = _MARK.match(ln.message)
        starts_trace = ln.message == "=== Trace details ===" or _TRACE_COUNT.search(ln.message)
        if (mark and mark.group(1) == "RUNNING" and not current.empty()) or \
                (starts_trace and current.latency):
            runs.append(current := _Run())
        if mark:
            current.started = True
            if mark.group(1) != "RUNNING":
                current.mark = mark.group(1)
                runs.append(_Run())  # lines after the end marker belong to no run
            continue
        current.feed(ln)
    kept = [r for r in runs if not r.empty()] or runs[:1]
    return [Measurement(label=f"run {i}" + (f" ({r.stamp})" if r.stamp else "")
                        if len(kept) > 1 else "", result=r.result())
            for i, r in enumerate(kept, start=1)]


def parse(text: str) -> NativeResult:
    """The figures of one trtexec run's console output (pure)."""
    return single(parse_all(text), KIND)


#: trtexec's generations: TensorRT 5 (its own parser: no warm-up, no duration, implicit
#: batch), 7 to 10 (sampleOptions: --warmUp, --duration, --shapes, --fp16/--int8) and 11
#: (--fp16/--int8 removed: strongly typed networks; data transfers off by default).
TRT5, TRT7_10, TRT11 = "5", "7-10", "11"
DIALECTS = (TRT7_10, TRT5, TRT11)
_VERSION = re.compile(r"\[TensorRT v(\d+)\]")


def dialect_of(text: str) -> str | None:
    """The dialect of the trtexec that printed ``text`` (its ``--help``): from the
    ``[TensorRT vNNNN]`` tag of its ``&&&& RUNNING`` line (8.0.3 is v8003, 10.16.1 is
    v101601), else from its usage text; None when it is not trtexec's."""
    if m := _VERSION.search(text):
        number = int(m.group(1))
        major = number // 10000 if number >= 100000 else number // 1000
        return TRT5 if major <= 5 else TRT11 if major >= 11 else TRT7_10
    if "Mandatory params:" in text and "--avgRuns=N" in text:
        return TRT5
    if "=== Build Options ===" in text and "--warmUp=N" in text:
        return TRT7_10
    return None


def _shapes(input_shapes: dict[str, tuple[int | str, ...]] | None, batch: int) -> str | None:
    """``--shapes`` for every input with a free dimension (batch as its first), or None
    for a static-shape model (trtexec refuses explicit shapes for one)."""
    spec = []
    for name, shape in (input_shapes or {}).items():
        free = [i for i, d in enumerate(shape) if not (isinstance(d, int) and d > 0)]
        if not free:
            continue
        if free != [0]:
            raise ConfigError(f"input {name!r} has free dimensions other than the batch "
                              f"({'x'.join(map(str, shape))}); trtexec needs all of them: "
                              "export the model with them fixed")
        spec.append(f"{name}:" + "x".join(map(str, [batch, *shape[1:]])))
    return ",".join(spec) or None


def build_argv(binary: str, model: str, case_threads: int, batch: int, precision: str,
               settings: MeasureSettings, *, cpu_mask: str | None = None,
               input_shapes: dict[str, tuple[int | str, ...]] | None = None,
               warmup_ms: int = 200, use_cuda_graph: bool = False,
               no_data_transfers: bool = False, avg_runs: int | None = None,
               dialect: str = TRT7_10) -> list[str]:
    """``trtexec`` argv for one case, in ``dialect`` (``5``, ``7-10`` or ``11``).

    ONNX models are built (``--onnx``), serialized engines (.engine/.plan/.trt)
    loaded (``--loadEngine``). ``input_shapes`` (input name -> shape, a free
    dimension as a name) gives ``--shapes`` for every input whose batch is free, at
    the case's batch, and for none of a static model (the file holds its batch).
    7-10: fp16/int8 add ``--fp16``/``--int8``; trtexec warms up for a time
    (``warmup_ms``, 0 when ``settings.warmup`` is 0), runs at least
    ``settings.min_runs`` iterations and ``ceil(min_time_s)`` seconds. 11: no
    precision flags (the ONNX file's types are the precision: refused before here
    unless fp32), ``--includeDataTransfers`` so that Latency is H2D + compute + D2H
    as in 7-10. 5: ``--batch`` (implicit batch), ``--iterations`` x ``--avgRuns``
    runs, no warm-up or time flags (it has none). CPU threads do not apply to a GPU
    run; ``cpu_mask`` pins the host process with ``taskset``.
    """
    check_case(case_threads, batch, precision)
    one_of(dialect, DIALECTS, "trtexec dialect")
    if warmup_ms < 0 or (avg_runs is not None and avg_runs < 1):
        raise ConfigError("trtexec warmup_ms must be >= 0 and avg_runs >= 1")
    source = "--loadEngine" if PurePath(model).suffix.lower() in ENGINE_SUFFIXES else "--onnx"
    argv = [*taskset(cpu_mask), binary, f"{source}={model}"]
    if dialect == TRT5:
        per = avg_runs or min(10, settings.min_runs)
        argv += [f"--batch={batch}", f"--iterations={math.ceil(settings.min_runs / per)}",
                 f"--avgRuns={per}"]
        return argv + ([f"--{precision}"] if precision in ("fp16", "int8") else [])
    if shapes := _shapes(input_shapes, batch):
        argv.append(f"--shapes={shapes}")
    if precision in ("fp16", "int8"):
        if dialect == TRT11:
            raise ConfigError(f"trtexec of TensorRT 11 has no --{precision}: its networks are "
                              f"strongly typed; measure an {precision} ONNX file")
        argv.append(f"--{precision}")
    argv += [f"--warmUp={warmup_ms if settings.warmup > 0 else 0}",
             f"--iterations={settings.min_runs}",
             f"--duration={math.ceil(settings.min_time_s)}"]
    if avg_runs is not None:
        argv.append(f"--avgRuns={avg_runs}")
    if dialect == TRT11:
        return argv + ["--includeDataTransfers"]
    if use_cuda_graph:
        argv.append("--useCudaGraph")
    if no_data_transfers:
        argv.append("--noDataTransfers")
    return argv


_PRECISION_ECHO = re.compile(r"^Precision:\s*(.*)$")
_SHAPE_ECHO = re.compile(r"^Input inference shape\s*:\s*(\S+)$")
_TRT5_ECHO = re.compile(r"^(batch|fp16|int8)(?::\s*(\S+))?$")


def verify(argv: list[str], log: str) -> list[str]:
    """trtexec 7-11 echo their options (``=== Build Options ===``: ``Precision: FP32+FP16``;
    ``=== Inference Options ===``: ``Input inference shape: x=4x3x224x224``); TRT 5
    echoes each argument it parsed (``batch: 4``, ``fp16``)."""
    problems = []
    lines = [ln.message for ln in log_lines(log)]
    if any(a.startswith("--batch=") for a in argv):  # TRT 5
        said = {m.group(1): m.group(2) or "" for ln in lines if (m := _TRT5_ECHO.match(ln))}
        if said.get("batch") != flag_value(argv, "--batch"):
            problems.append(f"trtexec did not echo batch: {flag_value(argv, '--batch')}")
        problems += [f"trtexec did not echo {p}" for p in ("fp16", "int8")
                     if f"--{p}" in argv and p not in said]
        return problems
    if flag_value(argv, "--onnx") is not None:
        wanted = {p.upper() for p in ("fp16", "int8") if f"--{p}" in argv}
        said = [m.group(1) for ln in lines if (m := _PRECISION_ECHO.match(ln))]
        if not said:
            problems.append("trtexec printed no Precision line under === Build Options ===")
        elif {p for p in ("FP16", "INT8") if p in said[-1]} != wanted:
            problems.append(f"trtexec built with precision {said[-1]}, not "
                            f"{'+'.join(['FP32', *sorted(wanted)])}")
    shapes = flag_value(argv, "--shapes")
    echoed_shapes = {m.group(1) for ln in lines if (m := _SHAPE_ECHO.match(ln))}
    for spec in (shapes.split(",") if shapes else []):
        name, dims = spec.rsplit(":", 1)
        if f"{name}={dims}" not in echoed_shapes:
            problems.append(f"trtexec did not echo the inference shape {name}={dims}")
    return problems


def case_options(case: Case) -> dict[str, object]:
    """The input shapes of the file measured (a batch variant's are fixed)."""
    return {"input_shapes": measured_shapes(case) or None}


def profiling_argv(argv: list[str], remote_file: str) -> list[str]:
    """The timed run's argv with the per-layer profile exported to ``remote_file``."""
    return [*argv, "--dumpProfile", f"--exportProfile={remote_file}"]
