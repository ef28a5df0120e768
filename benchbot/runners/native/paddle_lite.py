"""Paddle Lite ``benchmark_bin``: its command line and its console output.

Output formats handled (all in milliseconds):

* ``benchmark_bin`` >= 2.10, "Perf Info": ``Time(unit: ms):`` then ``init  = X``,
  ``first = X``, ``min = X``, ``max = X``, ``avg = X`` (setw padding kept or
  stripped), with ``repeats: N`` in "Runtime Info". The section headers'
  decoration (``=======`` or ``-------``) is not relied on; a ``Memory
  Usage(unit: kB)`` block's ``init``/``avg`` lines are not times.
* the C++ demos' "benchmark summary": ``max_duration:X``, ``min_duration:X``,
  ``avg_duration:X``, ``1st_duration: X`` and ``repeats:N`` (the demos exclude the
  first run from min/max/avg, so first > max is possible).
* ``benchmark_bin`` <= 2.9's glog summary: ``repeats: N`` and ``latency(ms): X`` (the
  mean; its min/max go to its result file only).
* ``benchmark.sh`` tables, one row per model under ``run benchmark armvN`` and
  ``Threads=T Warmup=W Repeats=R``: ``-- model  avg = X ms`` (v2.0-2.3) or
  ``model  min = X  max = Y  average = Z`` (v2.6, which prints min and max
  swapped; rows are kept as printed, never repaired).

A log with several results (rows, or several "Perf Info" blocks) is several
measurements; :func:`parse` then reports them instead of picking one.
"""

from __future__ import annotations

import re

from benchbot.errors import ConfigError
from benchbot.runners.native.argv import batched, check_case, num, one_of, taskset
from benchbot.runners.native.echo import echoed, flag_value, mismatch
from benchbot.runners.native.logtext import NUMBER, log_lines, unique
from benchbot.runners.native.result import NO_TIMINGS, Measurement, NativeResult, single
from benchbot.sweep import Case, MeasureSettings

KIND = "paddle_lite"
NO_BIND = 3  # LITE_POWER_NO_BIND: Paddle leaves thread placement to the OS (and taskset)

_PERF_KEY = re.compile(rf"^(init|first|min|max|avg)\s*=\s*({NUMBER})\s*$")
_DURATION = re.compile(rf"^(max|min|avg|1st)_duration:\s*({NUMBER})\s*$")
_REPEATS = re.compile(r"^repeats:\s*(\d+)\s*$")
_LEGACY_LATENCY = re.compile(rf"^latency\(ms\):\s*({NUMBER})\s*$")  # <= 2.9's summary
_GLOG = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+\s+\S+:\d+\]\s?")
_ARCH = re.compile(r"^run benchmark (\S+)")
_TABLE_HEADER = re.compile(r"^Threads=(\d+)\s+Warmup=(\d+)\s+Repeats=(\d+)")
_ROW_AVG = re.compile(rf"^--\s+(\S+)\s+avg\s*=\s*({NUMBER})\s*ms")
_ROW_MIN_MAX = re.compile(rf"^(\S+)\s+min\s*=\s*({NUMBER})\s+max\s*=\s*({NUMBER})\s+"
                          rf"average\s*=\s*({NUMBER})")
_MODEL_HEADER = re.compile(r"^-+\s*Model=(\S+)\s+Threads=(\d+)\s*-*$")
_ERROR = re.compile(r"error|Check failed|^\[F |Aborted|Segmentation fault|fail", re.IGNORECASE)


def _result(figures: dict[str, float], count: int | None) -> NativeResult:
    return NativeResult(status="ok", count=count, mean_ms=figures.get("avg"),
                        min_ms=figures.get("min"), max_ms=figures.get("max"),
                        init_ms=figures.get("init"), first_ms=figures.get("first"))


def parse_all(text: str) -> list[Measurement]:
    """Every result in a Paddle Lite log, labelled by model/threads where the log says."""
    out: list[Measurement] = []
    arch = label = ""
    repeats: int | None = None
    table: tuple[int, int] | None = None  # (threads, repeats) of the current table
    section = ""  # "time" after "Time(unit: ms):", "memory" after "Memory Usage(...)"
    block: dict[str, float] = {}

    def close_block() -> None:
        if block:
            out.append(Measurement(label=label, result=_result(dict(block), repeats)))
            block.clear()

    for ln in log_lines(text):
        msg = _GLOG.sub("", ln.message)
        if msg.startswith("Time(unit: ms)"):
            close_block()
            section = "time"
        elif msg.startswith("Memory Usage("):
            section = "memory"
        elif section == "time" and (m := _PERF_KEY.match(msg)):
            block[m.group(1)] = float(m.group(2))
        elif m := _DURATION.match(msg):
            block[{"1st": "first"}.get(m.group(1), m.group(1))] = float(m.group(2))
        elif m := _REPEATS.match(msg):
            repeats = int(m.group(1))
        elif m := _LEGACY_LATENCY.match(msg):
            block["avg"] = float(m.group(1))
        elif m := _MODEL_HEADER.match(msg):
            close_block()
            label = f"{m.group(1)} threads={m.group(2)}"
        elif m := _ARCH.match(msg):
            arch = m.group(1)
        elif m := _TABLE_HEADER.match(msg):
            table = (int(m.group(1)), int(m.group(3)))
        elif table and ((m := _ROW_AVG.match(msg)) or (m := _ROW_MIN_MAX.match(msg))):
            figures = {"avg": float(m.group(2))} if m.re is _ROW_AVG else {
                "min": float(m.group(2)), "max": float(m.group(3)), "avg": float(m.group(4))}
            name = " ".join(filter(None, [arch, f"threads={table[0]}", m.group(1)]))
            out.append(Measurement(label=name, result=_result(figures, table[1])))
    close_block()
    return [m for m in out if m.result.mean_ms is not None] or \
        ([Measurement("", NativeResult.failed(_errors(text)))] if text.strip() else [])


def _errors(text: str) -> str:
    errors = unique([ln.line for ln in log_lines(text) if _ERROR.search(ln.line)])
    return "\n".join(errors[-5:]) or NO_TIMINGS


def parse(text: str) -> NativeResult:
    """The figures of one ``benchmark_bin`` run's console output (pure)."""
    return single(parse_all(text), KIND)


#: benchmark_bin's generations: ``lite/api/tools/benchmark`` (>= 2.10: --backend,
#: --cpu_precision, --gpu_precision, --optimized_model_file; --input_shape required) and
#: ``lite/api/benchmark.cc`` (<= 2.9: ARM CPU only, --optimized_model_path; gflags exits
#: 1 on any flag it does not define).
V2_10, V2_9 = "2.10", "2.9"
MARKERS = {V2_10: ("optimized_model_file",), V2_9: ("optimized_model_path",)}


def build_argv(binary: str, model: str, case_threads: int, batch: int, precision: str,
               settings: MeasureSettings, *, cpu_mask: str | None = None,
               backend: str = "arm", input_shape: tuple[int, ...] | None = None,
               param_file: str | None = None, power_mode: int = 0,
               dialect: str = V2_10) -> list[str]:
    """``benchmark_bin`` argv for one case, in ``dialect`` (``2.10`` or ``2.9``).

    An ``.nb`` model (already optimized by ``opt``) goes to ``--optimized_model_file``
    (``--optimized_model_path`` in 2.9); a Paddle model to ``--model_file`` (+
    ``--param_file``, 2.10 only). ``input_shape`` (the full NCHW shape: the tool cannot
    read it from a ``.nb``) is required and gets ``batch`` as its first dimension. With
    ``cpu_mask`` the tool's own core binding is switched off (``--power_mode=3``, no
    bind) and ``taskset`` pins the process; otherwise ``power_mode`` is passed (0 = big
    cores). 2.10: ``--backend=arm`` or ``opencl``; on OpenCL ``--gpu_precision`` is
    always given (its default is fp16); ``--cpu_precision`` only for a Paddle model
    (it is read only when converting one; a ``.nb`` runs at its own precision). The
    tool has no time limits: it runs ``settings.min_runs`` timed repeats after
    ``settings.warmup`` warm-up runs.
    """
    check_case(case_threads, batch, precision)
    one_of(dialect, (V2_10, V2_9), "benchmark_bin dialect")
    input_shape = input_shape or settings.input_shape
    if not input_shape:
        raise ConfigError("Paddle Lite's benchmark_bin needs the model's input shape (it "
                          "cannot read it from a .nb): pass --input-shape 1,3,224,224")
    nb = model.endswith(".nb")
    if dialect == V2_9:
        if not nb or backend != "arm":
            raise ConfigError("benchmark_bin <= 2.9 runs .nb files on the ARM CPU only")
        argv = [*taskset(cpu_mask), binary, f"--optimized_model_path={model}"]
    elif nb:
        argv = [*taskset(cpu_mask), binary, f"--optimized_model_file={model}"]
    else:
        argv = [*taskset(cpu_mask), binary, f"--model_file={model}"]
        if param_file:
            argv.append(f"--param_file={param_file}")
    argv += ["--input_shape=" + ",".join(map(str, batched(input_shape, batch))),
             f"--threads={case_threads}", f"--warmup={settings.warmup}",
             f"--repeats={settings.min_runs}",
             f"--power_mode={NO_BIND if cpu_mask is not None else num(power_mode)}"]
    if dialect == V2_9:
        return argv
    argv.append(f"--backend={backend}")
    wanted = "fp16" if precision == "fp16" else "fp32"
    if "opencl" in backend:
        argv.append(f"--gpu_precision={wanted}")
    elif not nb:
        argv.append(f"--cpu_precision={wanted}")
    return argv


#: flag -> the label of its echo (2.10's "Runtime Info"/"Backend Info", 2.9's summary)
_ECHOED = {"--threads": "threads", "--input_shape": "input_shape", "--backend": "backend",
           "--gpu_precision": "gpu precision", "--cpu_precision": "cpu precision"}


def verify(argv: list[str], log: str) -> list[str]:
    """benchmark_bin prints the configuration it ran with (``threads: 4``, ``input_shape:
    1,3,224,224``, ``backend: arm``, ``gpu precision: fp32``; 2.9 behind glog prefixes,
    its shapes ending in ';'); each value benchbot set must be there."""
    problems = []
    for flag, label in _ECHOED.items():
        asked = flag_value(argv, flag)
        if asked is None:
            continue
        said = [v.rstrip(";") for v in echoed(log, re.compile(
            rf"(?:^|\]\s*){re.escape(label)}:\s*(\S*)\s*$"))]
        if problem := mismatch(label, asked, said):
            problems.append(problem)
    return problems


def case_options(case: Case) -> dict[str, object]:
    """The case's backend in Paddle Lite's terms (the input shape comes from the settings)."""
    return {"backend": "opencl" if case.backend == "gpu" else "arm"}
