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
* ``benchmark.sh`` tables, one row per model under ``run benchmark armvN`` and
  ``Threads=T Warmup=W Repeats=R``: ``-- model  avg = X ms`` (v2.0-2.3) or
  ``model  min = X  max = Y  average = Z`` (v2.6, which prints min and max
  swapped; rows are kept as printed, never repaired).

A log with several results (rows, or several "Perf Info" blocks) is several
measurements; :func:`parse` then reports them instead of picking one.
"""

from __future__ import annotations

import re

from benchbot.runners.native.argv import batched, check_case, num, taskset
from benchbot.runners.native.logtext import NUMBER, log_lines, unique
from benchbot.runners.native.result import NO_TIMINGS, Measurement, NativeResult, single
from benchbot.sweep import Case, MeasureSettings

KIND = "paddle_lite"
NO_BIND = 3  # LITE_POWER_NO_BIND: Paddle leaves thread placement to the OS (and taskset)

_PERF_KEY = re.compile(rf"^(init|first|min|max|avg)\s*=\s*({NUMBER})\s*$")
_DURATION = re.compile(rf"^(max|min|avg|1st)_duration:\s*({NUMBER})\s*$")
_REPEATS = re.compile(r"^repeats:\s*(\d+)\s*$")
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
        msg = ln.message
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


def build_argv(binary: str, model: str, case_threads: int, batch: int, precision: str,
               settings: MeasureSettings, *, cpu_mask: str | None = None,
               backend: str = "arm", input_shape: tuple[int, ...] | None = None,
               param_file: str | None = None, power_mode: int = 0,
               legacy_flags: bool = False) -> list[str]:
    """``benchmark_bin`` argv for one case.

    An ``.nb`` model (already optimized by ``opt``) goes to
    ``--optimized_model_file`` (``--optimized_model_path`` with
    ``legacy_flags``, benchmark_bin <= 2.9); a Paddle model to ``--model_file``
    (+ ``--param_file``). ``input_shape`` (full NCHW shape) gets ``batch`` as its
    first dimension. With ``cpu_mask`` the tool's own core binding is switched
    off (``--power_mode=3``, no bind) and ``taskset`` pins the process;
    otherwise ``power_mode`` is passed (0 = big cores). fp16 selects
    ``--cpu_precision=fp16`` (``--gpu_precision`` on an OpenCL backend); int8 is
    the model's own. The tool has no time limits: it runs ``settings.min_runs``
    timed repeats after ``settings.warmup`` warm-up runs.
    """
    check_case(case_threads, batch, precision)
    if model.endswith(".nb"):
        flag = "--optimized_model_path" if legacy_flags else "--optimized_model_file"
        argv = [*taskset(cpu_mask), binary, f"{flag}={model}"]
    else:
        argv = [*taskset(cpu_mask), binary, f"--model_file={model}"]
        if param_file:
            argv.append(f"--param_file={param_file}")
    if input_shape:
        argv.append("--input_shape=" + ",".join(map(str, batched(input_shape, batch))))
    argv += [f"--threads={case_threads}", f"--warmup={settings.warmup}",
             f"--repeats={settings.min_runs}",
             f"--power_mode={NO_BIND if cpu_mask is not None else num(power_mode)}",
             f"--backend={backend}"]
    if precision == "fp16":
        argv.append("--gpu_precision=fp16" if "opencl" in backend else "--cpu_precision=fp16")
    return argv


def case_options(case: Case) -> dict[str, object]:
    """The case's backend in Paddle Lite's terms."""
    return {"backend": "opencl" if case.backend == "gpu" else "arm"}
