"""TFLite / LiteRT ``benchmark_model``: its command line and its console output.

Output formats handled (all times printed in microseconds):

* ``count=N first=.. curr=.. min=.. max=.. avg=.. std=..`` once for the warm-up
  and once for the timed runs, in that order, with or without ``p5= median=
  p95=`` (TF >= 2.17), numbers possibly in scientific notation (``1.24e+06``);
  a warm-up of one run prints only ``count=1 curr=X``.
* the summary: ``Average inference timings in us: Warmup: W, Init: I, no stats:
  A`` (TF 1.x) or ``Inference timings in us: Init: I, First inference: F, Warmup
  (avg): W, Inference (avg): A`` (TF >= 1.15).
* memory: ``Peak memory footprint (MB): init=.. overall=..`` (TF 2.2-2.4),
  ``Memory footprint delta from the start of the tool (MB): ..`` (its later name)
  and ``Overall peak memory footprint (MB) via periodic monitoring: X``.
* the delegate applied: ``Replacing N out of M node(s) with delegate
  (TfLiteXNNPackDelegate) node`` (older builds: ``Replacing N node(s)``), else
  ``Created TensorFlow Lite XNNPACK delegate for CPU`` / ``XNNPACK delegate
  created`` (the last such line wins; none: ``delegate`` stays None).
* operator-profiling tables, whose ``Timings (microseconds): count=..`` lines
  are per-operator sums and are never taken for the inference line.

Which ``count=`` line is the timed one: the line whose average equals the
summary's inference average; without a summary, the line after the second
``Running benchmark for ...`` header, else the last of two or more lines.
``peak_memory_mb`` is the periodic-monitoring peak when printed, else the
``overall`` figure of the footprint line (the growth of peak RSS during the
run, which the tool called "peak memory footprint" until it was renamed).
"""

from __future__ import annotations

import re

from benchbot.errors import ConfigError
from benchbot.runners.native.argv import batched, check_case, num, one_of, taskset
from benchbot.runners.native.echo import echoed, flag_value, mismatch
from benchbot.runners.native.logtext import NUMBER, LogLine, log_lines, same_number, unique
from benchbot.runners.native.result import NO_TIMINGS, Measurement, NativeResult, single
from benchbot.store.modelfile import input_shapes as model_input_shapes
from benchbot.sweep import Case, MeasureSettings

KIND = "tflite_benchmark_model"
DELEGATES = ("cpu", "reference", "xnnpack", "gpu", "nnapi")

_PAIR = re.compile(rf"\b([a-z0-9_]+)=({NUMBER})")
_SUMMARY = re.compile(r"(?:Average inference|Inference) timings in us:\s*(.*)$")
_SUMMARY_ITEM = re.compile(rf"([A-Za-z][A-Za-z ()]*?):\s*({NUMBER})")
_INIT = re.compile(rf"Initialized session in\s*({NUMBER})\s*ms")
_PEAK = re.compile(rf"peak memory footprint \(MB\) via periodic monitoring:\s*({NUMBER})")
_FOOTPRINT = re.compile(rf"(?:Peak memory footprint|Memory footprint delta from the start "
                        rf"of the tool) \(MB\):\s*init=({NUMBER})\s+overall=({NUMBER})")
_REPLACING = re.compile(r"Replacing (\d+)(?: out of (\d+))? node\(s\) with delegate \(([^)]+)\)")
_CREATED = re.compile(r"Created TensorFlow Lite (?:(\w+) )?delegate for (\w+)|"
                      r"\b(XNNPACK|GPU|NNAPI|Hexagon|CoreML) delegate created")
_NOT_RUN_STATS = ("Timings (microseconds)", "Memory (bytes)")


def _stats(line: LogLine) -> dict[str, str] | None:
    if "count=" not in line.message or any(s in line.message for s in _NOT_RUN_STATS):
        return None
    pairs = dict(_PAIR.findall(line.message))
    # a line without an average is no timings line (e.g. prose that quotes "count=50")
    return pairs if "count" in pairs and _line_avg(pairs) is not None else None


def _line_avg(stats: dict[str, str]) -> str | None:
    if "avg" in stats:
        return stats["avg"]
    return stats.get("curr") if stats.get("count") == "1" else None


def _ms(us: str | None) -> float | None:
    return None if us is None else float(us) / 1000.0


def _pick_inference(stats: list[tuple[int, dict[str, str]]], headers: list[int],
                    summary_avg: str | None) -> int | None:
    """Index into ``stats`` of the timed runs' line (see the module docstring)."""
    if summary_avg is not None:
        for i in range(len(stats) - 1, -1, -1):
            avg = _line_avg(stats[i][1])
            if avg is not None and same_number(avg, summary_avg):
                return i
    if len(headers) >= 2:
        start = headers[1]
        end = headers[2] if len(headers) > 2 else None
        for i, (number, _) in enumerate(stats):
            if number > start and (end is None or number < end):
                return i
        return None
    return len(stats) - 1 if len(stats) >= 2 else None


def _error_lines(lines: list[LogLine]) -> list[str]:
    return unique([ln.line for ln in lines
                   if ln.level == "E" or ln.message.startswith(("Failed to", "Could not"))
                   or "Benchmarking failed" in ln.message])


def _delegate(lines: list[LogLine]) -> dict[str, str | int | None]:
    """delegate / delegated_nodes / graph_nodes from the log's delegate lines."""
    found: dict[str, str | int | None] = {}
    for ln in lines:
        if m := _REPLACING.search(ln.message):
            found = {"delegate": m.group(3), "delegated_nodes": int(m.group(1)),
                     "graph_nodes": int(m.group(2)) if m.group(2) else None}
        elif (m := _CREATED.search(ln.message)) and "delegated_nodes" not in found:
            found = {"delegate": m.group(3) or m.group(1) or m.group(2)}
    return found


def _parse_run(lines: list[LogLine]) -> NativeResult:
    stats = [(ln.number, s) for ln in lines if (s := _stats(ln)) is not None]
    headers = [ln.number for ln in lines if ln.message.startswith("Running benchmark for")]
    summary: dict[str, str] = {}
    init_ms = peak = None
    for ln in lines:
        if m := _SUMMARY.search(ln.message):
            summary = dict(_SUMMARY_ITEM.findall(m.group(1)))
        elif m := _INIT.search(ln.message):
            init_ms = float(m.group(1))
        elif m := _PEAK.search(ln.message):
            peak = float(m.group(1))
        elif (m := _FOOTPRINT.search(ln.message)) and peak is None:
            peak = float(m.group(2))
    summary_avg = summary.get("Inference (avg)", summary.get("no stats",
                                                               summary.get("Inference")))
    failed = any("Benchmarking failed" in ln.message for ln in lines)
    index = None if failed else _pick_inference(stats, headers, summary_avg)
    if index is None and summary_avg is not None and not failed:
        return NativeResult(status="ok", mean_ms=_ms(summary_avg),
                            init_ms=_ms(summary["Init"]) if "Init" in summary else init_ms,
                            first_ms=_ms(summary.get("First inference")),
                            warmup_mean_ms=_ms(summary.get("Warmup (avg)", summary.get("Warmup"))),
                            peak_memory_mb=peak, **_delegate(lines))  # type: ignore[arg-type]
    if index is None:
        errors = _error_lines(lines)
        if not errors and len(stats) == 1 and summary_avg is None:
            errors = ["cannot tell whether the only count= line is the warm-up or the "
                      "timed runs (no summary line in the log)"]
        return NativeResult.failed("\n".join(errors) or NO_TIMINGS)
    run = stats[index][1]
    warm = stats[index - 1][1] if index > 0 else None
    first = summary.get("First inference")
    if first is None and warm is not None:
        first = warm.get("first", warm.get("curr") if warm.get("count") == "1" else None)
    warm_avg = summary.get("Warmup (avg)", summary.get("Warmup"))
    if warm_avg is None and warm is not None:
        warm_avg = _line_avg(warm)
    return NativeResult(
        status="ok", count=int(float(run["count"])), mean_ms=_ms(_line_avg(run)),
        median_ms=_ms(run.get("median")), p95_ms=_ms(run.get("p95")), min_ms=_ms(run.get("min")),
        max_ms=_ms(run.get("max")), std_ms=_ms(run.get("std")),
        init_ms=_ms(summary["Init"]) if "Init" in summary else init_ms,
        first_ms=_ms(first), warmup_mean_ms=_ms(warm_avg), peak_memory_mb=peak,
        **_delegate(lines))  # type: ignore[arg-type]


def parse_all(text: str) -> list[Measurement]:
    """One measurement per benchmark run in ``text`` (runs start at ``STARTING!``)."""
    runs: list[list[LogLine]] = [[]]
    for line in log_lines(text):
        if line.message == "STARTING!" and runs[-1]:
            runs.append([])
        runs[-1].append(line)
    results = [_parse_run(run) for run in runs]
    if len(results) > 1:  # drop stretches with nothing of a run in them (e.g. shell echoes)
        results = [r for r in results if r.error != NO_TIMINGS] or results[-1:]
    return [Measurement(label=f"run {i}" if len(results) > 1 else "", result=r)
            for i, r in enumerate(results, start=1)]


def parse(text: str) -> NativeResult:
    """The figures of one ``benchmark_model`` run's console output (pure)."""
    return single(parse_all(text), KIND)


#: The two programs called benchmark_model (see the module docstring of tools.py).
CLASSIC, COMPILED_MODEL = "classic", "compiled_model"
#: What each one's ``--help`` (BenchmarkModel prints every flag it defines) holds.
MARKERS = {CLASSIC: ("--input_layer_shape=", "--use_xnnpack="),
           COMPILED_MODEL: ("--use_cpu=", "--use_npu=", "--allow_fp16=")}
#: Backends each one can run: the classic tool's delegates; the CompiledModel
#: tool's accelerators (its CPU accelerator is XNNPACK; it has no NNAPI and no
#: reference-kernel switch).
BACKENDS = {CLASSIC: DELEGATES, COMPILED_MODEL: ("cpu", "gpu")}


def _common(binary: str, model: str, case_threads: int, settings: MeasureSettings,
            cpu_mask: str | None) -> list[str]:
    """The flags both dialects inherit from BenchmarkModel. ``--warmup_min_secs=0``:
    the warm-up is the runs asked for, not also half a second (the default 0.5)."""
    return [*taskset(cpu_mask), binary, f"--graph={model}", f"--num_threads={case_threads}",
            f"--warmup_runs={settings.warmup}", "--warmup_min_secs=0",
            f"--num_runs={settings.min_runs}", f"--min_secs={num(settings.min_time_s)}",
            f"--max_secs={num(settings.max_time_s)}"]


def build_argv(binary: str, model: str, case_threads: int, batch: int, precision: str,
               settings: MeasureSettings, *, cpu_mask: str | None = None,
               delegate: str = "cpu", input_shapes: dict[str, tuple[int, ...]] | None = None,
               dialect: str = CLASSIC) -> list[str]:
    """``benchmark_model`` argv for one case, in ``dialect`` (``classic`` or ``compiled_model``).

    Classic: delegate ``cpu`` (the runtime's default CPU path: no delegate flag, so
    LiteRT applies its default XNNPACK delegate as the Python interpreter does),
    ``reference`` (the built-in kernels without default delegates,
    ``--use_xnnpack=false``), ``xnnpack`` (``--use_xnnpack=true``), ``gpu``
    (``--use_gpu=true``, ``--gpu_precision_loss_allowed`` true only for fp16: the
    tool's default is true) or ``nnapi`` (``--nnapi_allow_fp16`` likewise). Batch is
    set through ``--input_layer``/``--input_layer_shape`` when ``input_shapes`` (input
    name -> full shape) is given; else the model's own shapes apply.

    CompiledModel (LiteRT's ``litert/tools:benchmark_model``, what LiteRT publishes
    per release): ``cpu`` is ``--use_cpu=true --use_gpu=false``; ``gpu`` is
    ``--use_gpu=true`` with ``--allow_fp16`` (default true) false unless fp16. It
    cannot resize inputs: a batch other than the file's is a ConfigError.

    Neither has an affinity flag, so ``cpu_mask`` becomes a ``taskset`` prefix; the op
    profiler is off in the timed run (``--enable_op_profiling`` / ``--use_profiler``).
    """
    check_case(case_threads, batch, precision)
    one_of(dialect, tuple(BACKENDS), "benchmark_model dialect")
    one_of(delegate, BACKENDS[dialect], f"{dialect} benchmark_model backend")
    argv = _common(binary, model, case_threads, settings, cpu_mask)
    fp16 = "true" if precision == "fp16" else "false"
    if dialect == COMPILED_MODEL:
        if input_shapes and any(s and s[0] != batch for s in input_shapes.values()):
            raise ConfigError(f"the CompiledModel benchmark_model cannot resize inputs: batch "
                              f"{batch} needs a .tflite exported at that batch")
        argv.append("--use_profiler=false")
        return argv + (["--use_cpu=true", "--use_gpu=false"] if delegate == "cpu"
                       else ["--use_gpu=true", f"--allow_fp16={fp16}"])
    argv.append("--enable_op_profiling=false")
    if delegate in ("reference", "xnnpack"):
        argv.append(f"--use_xnnpack={'true' if delegate == 'xnnpack' else 'false'}")
    elif delegate == "gpu":
        argv += ["--use_gpu=true", f"--gpu_precision_loss_allowed={fp16}"]
    elif delegate == "nnapi":
        argv += ["--use_nnapi=true", f"--nnapi_allow_fp16={fp16}"]
    if input_shapes:
        argv += ["--input_layer=" + ",".join(input_shapes),
                 "--input_layer_shape=" + ":".join(",".join(map(str, batched(shape, batch)))
                                                    for shape in input_shapes.values())]
    return argv


def build_compiled_model_argv(*args: object, **kwargs: object) -> list[str]:
    """:func:`build_argv` in the CompiledModel dialect."""
    return build_argv(*args, **kwargs, dialect=COMPILED_MODEL)  # type: ignore[arg-type]


#: flag -> (the label its echo carries, how the flag's value reads in the echo)
_ECHOED = {"--num_threads": "Num threads", "--input_layer_shape": "Input shapes",
           "--use_gpu": "Use gpu", "--gpu_precision_loss_allowed": "Allow lower precision in gpu",
           "--use_nnapi": "Use NNAPI", "--nnapi_allow_fp16": "Allow fp16 in NNAPI",
           "--use_xnnpack": "Use xnnpack"}
_BOOL_ECHO = {"true": "1", "false": "0"}


def _verify(argv: list[str], log: str, flags: tuple[str, ...]) -> list[str]:
    problems = []
    for flag in flags:
        asked = flag_value(argv, flag)
        if asked is None:
            continue
        label = _ECHOED[flag]
        said = echoed(log, re.compile(rf"^{re.escape(label)}: \[(.*)\]$"))
        if problem := mismatch(label.lower(), _BOOL_ECHO.get(asked, asked), said):
            problems.append(problem)
    return problems


def verify_classic(argv: list[str], log: str) -> list[str]:
    """The classic tool echoes every flag it was given (``Num threads: [4]``, ``Use gpu:
    [1]``, ``Input shapes: [4,224,224,3]``); each one benchbot set must match."""
    return _verify(argv, log, tuple(_ECHOED))


def verify_compiled_model(argv: list[str], log: str) -> list[str]:
    """The CompiledModel tool echoes only BenchmarkModel's own parameters: the threads."""
    return _verify(argv, log, ("--num_threads",))


def case_options(case: Case) -> dict[str, object]:
    """The case's delegate and the model's input shapes (for a batch resize)."""
    return {"delegate": case.backend, "input_shapes": model_input_shapes(case.model) or None}


def profiling_argv(argv: list[str], remote_file: str) -> list[str]:
    """The timed run's argv with the op profiler on (the table goes to the console):
    ``--enable_op_profiling`` (classic) or ``--use_profiler`` (CompiledModel)."""
    on = {"--enable_op_profiling=false": "--enable_op_profiling=true",
          "--use_profiler=false": "--use_profiler=true"}
    return [on.get(a, a) for a in argv]
