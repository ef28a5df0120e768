"""OpenVINO's ``benchmark_app`` (package ``openvino``): its command line and its output.

Command line (``openvino/tools/benchmark/parameters.py``, argparse): ``-m MODEL``,
``-d CPU|GPU|NPU``, ``-hint``, ``-api sync``, ``-nstreams``, ``-nireq``, ``-nthreads``
(CPU only, and only beside ``-hint none``: the tool refuses it next to a hint),
``-infer_precision f32|f16``, ``-shape name[dims],...``, ``-niter N`` and ``-t SECONDS``
(whole seconds; it runs until both are reached), ``-no_warmup`` (else one warm-up
inference), ``-pc`` (per-node counters on the console).

Console output read here (``[ INFO ]`` lines):

* ``Build ..... 2026.4.1-...``: the runtime's version;
* Step 6's ``Model inputs:`` block, ``NAME (node: N) : u8 / [N,C,H,W] / [2,3,32,32]``:
  the shapes the model was compiled at (it replaces Step 4's, the file's own);
* Step 8's properties, ``INFERENCE_NUM_THREADS: 2``, ``NUM_STREAMS: 1``,
  ``INFERENCE_PRECISION_HINT: <Type: 'float32'>``, ``EXECUTION_DEVICES: ['CPU']``:
  what the device applied (a CPU with bf16 support applies bf16 unless told f32, and may
  apply bf16 when asked for f16);
* ``Compile model took X ms``, ``First inference took X ms``, ``Count: N iterations``,
  the ``Latency:`` block (``Median``, ``Average``, ``Min``, ``Max`` in ``us`` to two
  decimals when the mean is under 1 ms, else in ``ms``) and ``Throughput: X FPS``. These
  are read rather than ``-report_folder``'s ``benchmark_report.json``, whose latencies
  are ms to two decimals;
* ``-pc``'s table, one row per node: ``NAME  Status.EXECUTED  layerType: T  execType: E
  realTime (ms): X  cpuTime (ms): Y`` (names of 20 characters or more cut to 16 and
  ``...``), the counters of the request's last inference;
* a failure: the first ``[ ERROR ]`` line with its continuation lines, else the error the
  tool died of (argparse's ``benchmark_app: error: ...``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from benchbot.errors import CaseError
from benchbot.runners.native.argv import check_case, one_of, taskset
from benchbot.runners.native.op_tables import ToolProfile
from benchbot.runners.native.result import NO_TIMINGS, Measurement, NativeResult
from benchbot.runners.ops import OpRow
from benchbot.store.modelfile import input_shapes
from benchbot.sweep import Case, MeasureSettings

KIND = "openvino_benchmark_app"
DEVICES = {"cpu": "CPU", "gpu": "GPU", "npu": "NPU"}
#: benchbot precision -> -infer_precision (int8 is the model file's own quantization)
INFER_PRECISION = {"fp32": "f32", "fp16": "f16"}
_TYPE_NAMES = {"float32": "f32", "float16": "f16", "bfloat16": "bf16"}

_PREFIX = re.compile(r"^\[ (INFO|WARNING|ERROR) \] ?(.*)$")
_PROPERTY = re.compile(r"^\s+([A-Z][A-Z0-9_]+): (.*)$")
_INPUT = re.compile(r"^\s+(\S.*?) \(node: .*\) : \S+ / \[.*?\] / \[([^\]]*)\]\s*$")
_LATENCY = re.compile(r"^\s+(Median|Average|Min|Max):\s+([\d.]+) (us|ms)\s*$")
_FIGURE_OF = {"Median": "median_ms", "Average": "mean_ms", "Min": "min_ms", "Max": "max_ms"}
_TOOK = re.compile(r"^(Compile model|First inference) took ([\d.]+) ms")
_COUNT = re.compile(r"^Count:\s+(\d+) iterations")
_THROUGHPUT = re.compile(r"^Throughput:\s+([\d.]+) FPS")
_BUILD = re.compile(r"^Build \.+ (\S+)")
_DIED = re.compile(r"^(?:[\w.]*(?:Error|Exception): |benchmark_app: error: ).*\S")
_COUNTER = re.compile(r"^(\S.*?)\s+(?:Status\.)?(EXECUTED|NOT_RUN|OPTIMIZED_OUT)\s+"
                      r"layerType: (\S+)\s+execType: (\S+)\s+realTime \(ms\): ([\d.]+)")


@dataclass(frozen=True)
class OpenvinoReport:
    """One ``benchmark_app`` console log: the figures and what the device applied."""

    result: NativeResult
    version: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dims as printed

    @property
    def execution_devices(self) -> tuple[str, ...]:
        return tuple(re.findall(r"'([^']+)'", self.properties.get("EXECUTION_DEVICES", "")))

    @property
    def inference_precision(self) -> str | None:
        raw = self.properties.get("INFERENCE_PRECISION_HINT")
        if raw is None:
            return None
        name = re.sub(r"^<Type: '(.*)'>$", r"\1", raw.strip())
        return _TYPE_NAMES.get(name, name)


def _messages(text: str) -> list[tuple[str, str]]:
    """(level, message) per line; level '' for lines without the ``[ LEVEL ]`` prefix."""
    return [(m.group(1), m.group(2)) if (m := _PREFIX.match(ln)) else ("", ln)
            for ln in text.splitlines()]


def _error(messages: list[tuple[str, str]]) -> str:
    """The tool's first ``[ ERROR ]`` message with its continuation lines (the exception
    text it logs runs over several lines), else the error it died of."""
    for i, (level, text) in enumerate(messages):
        if level == "ERROR" and text.strip():
            more = []
            for level2, text2 in messages[i + 1:]:
                if level2 or not text2.strip() or text2.startswith(("Traceback", "[Step")):
                    break
                more.append(text2.strip())
            return " ".join([text.strip(), *more])
    return next((t.strip() for _, t in reversed(messages) if _DIED.match(t)), NO_TIMINGS)


def read_log(text: str) -> OpenvinoReport:
    """Everything read from a ``benchmark_app`` console log (pure)."""
    messages = _messages(text)
    figures: dict[str, Any] = {}
    props: dict[str, str] = {}
    inputs: dict[str, tuple[str, ...]] = {}
    version = None
    block = ""
    for level, msg in messages:
        if level != "INFO":
            block = "" if msg.startswith("[Step") else block
            continue
        if msg in ("Model inputs:", "Model outputs:", "Model:", "Latency:"):
            block = msg
            if msg == "Model inputs:":
                inputs = {}  # Step 6's block (after any reshape) replaces Step 4's
        elif (m := _PROPERTY.match(msg)) and block == "Model:":
            props[m.group(1)] = m.group(2).strip()
        elif (m := _INPUT.match(msg)) and block == "Model inputs:":
            inputs[m.group(1)] = tuple(d.strip() for d in m.group(2).split(","))
        elif (m := _LATENCY.match(msg)) and block == "Latency:":
            value = float(m.group(2))
            figures[_FIGURE_OF[m.group(1)]] = round(value / 1000.0, 9) if m.group(3) == "us" \
                else value
        elif m := _TOOK.match(msg):
            figures["init_ms" if m.group(1) == "Compile model" else "first_ms"] = \
                float(m.group(2))
        elif m := _COUNT.match(msg):
            figures["count"] = int(m.group(1))
        elif m := _THROUGHPUT.match(msg):
            figures["throughput_qps"] = float(m.group(1))
        elif (m := _BUILD.match(msg)) and version is None:
            version = m.group(1)
    if any(level == "ERROR" for level, _ in messages) or \
            ("median_ms" not in figures and "mean_ms" not in figures):
        result = NativeResult.failed(_error(messages))
    else:
        result = NativeResult(status="ok", **figures)
    return OpenvinoReport(result=result, version=version, properties=props, inputs=inputs)


def parse(text: str) -> NativeResult:
    """The figures of one ``benchmark_app`` console log (pure)."""
    return read_log(text).result


def parse_all(text: str) -> list[Measurement]:
    return [Measurement(label="", result=parse(text))]


def mismatches(report: OpenvinoReport, device: str, threads: int | None,
               precision: str | None, batches: dict[str, int]) -> list[str]:
    """Where the device's own report differs from what was asked (pure): ``device``
    (CPU/GPU/NPU), ``threads`` and ``precision`` (``-infer_precision``) where set, and
    each input's batch (``-shape``)."""
    found = []
    devices = report.execution_devices
    if not devices or any(d.split(".")[0] != device for d in devices):
        found.append(f"the tool ran on EXECUTION_DEVICES {list(devices)}, not {device}")
    said = report.properties.get("INFERENCE_NUM_THREADS")
    if threads is not None and said != str(threads):
        found.append(f"the tool ran with INFERENCE_NUM_THREADS {said}, not {threads}")
    if precision is not None and report.inference_precision != precision:
        found.append(f"the device applied INFERENCE_PRECISION_HINT "
                     f"{report.inference_precision}, not the {precision} asked for")
    for name, batch in batches.items():
        dims = report.inputs.get(name)
        if dims is None:
            found.append(f"the tool did not echo the compiled shape of input {name} (Step 6 "
                         f"'Model inputs:'); batch {batch} cannot be confirmed")
        elif not dims or dims[0] != str(batch):
            found.append(f"the tool compiled input {name} at [{','.join(dims)}], not batch "
                         f"{batch}")
    return found


def _after(argv: list[str], flag: str) -> str | None:
    """The value following ``flag`` in ``argv`` (its last occurrence), or None."""
    found = None
    for i, arg in enumerate(argv[:-1]):
        if arg == flag:
            found = argv[i + 1]
    return found


def asked_batches(shape_arg: str | None) -> dict[str, int]:
    """Each input's batch in a ``-shape`` value ``a[1,3,32,32],b[1,4]`` (pure)."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"([^,\[]+)\[(\d+)[,\]]", shape_arg or "")}


def verify(argv: list[str], log: str) -> list[str]:
    """The device, threads, precision and batch ``argv`` asked for against the tool's own
    report of what it applied."""
    report = read_log(log)
    if not report.result.ok:
        return []
    threads = _after(argv, "-nthreads")
    return mismatches(report, _after(argv, "-d") or "CPU",
                      int(threads) if threads is not None else None,
                      _after(argv, "-infer_precision"), asked_batches(_after(argv, "-shape")))


def read_counters(log: str) -> ToolProfile | None:
    """``-pc``'s per-node table of a profiled run's console log (pure): the executed
    nodes of its last inference (one run), on the device its properties name."""
    device = next(iter(read_log(log).execution_devices), "")
    provider = device.split(".")[0].lower() or "unknown"
    rows = tuple(OpRow(node=m.group(1), op_type=m.group(3), provider=provider,
                       ms=float(m.group(5)))
                 for _, msg in _messages(log) if (m := _COUNTER.match(msg))
                 and m.group(2) == "EXECUTED")
    return ToolProfile(rows=rows, runs=1) if rows else None


def profiling_argv(argv: list[str], remote_file: str) -> list[str]:
    """The timed run's argv with ``-pc`` and no time limit (the table is on the console)."""
    out: list[str] = []
    skip = False
    for arg in argv[:-2]:  # the model ("-m", path) stays last
        if skip:
            skip = False
        elif arg == "-t":
            skip = True
        else:
            out.append(arg)
    return [*out, "-pc", *argv[-2:]]


def case_options(case: Case) -> dict[str, object]:
    """The case's device and the model's input shapes (each input's batch is set)."""
    return {"backend": case.backend, "shapes": input_shapes(case.model) or None}


def build_argv(binary: str, model: str, case_threads: int, batch: int, precision: str,
               settings: MeasureSettings, *, cpu_mask: str | None = None, backend: str = "cpu",
               shapes: dict[str, tuple[int | str, ...]] | None = None) -> list[str]:
    """``benchmark_app`` argv for one case: latency-style (one stream, one request, sync
    API, ``-hint none`` so that ``-nthreads`` is taken), every input's batch set through
    ``-shape`` (``shapes``: name -> the model's shape), ``-niter`` the --min-runs and
    ``-t`` the --min-time rounded up to whole seconds; the model last."""
    check_case(case_threads, batch, precision)
    one_of(backend, tuple(DEVICES), "benchmark_app device")
    if backend != "cpu" and case_threads != 1:
        raise CaseError(f"benchmark_app sets threads only on the CPU (-nthreads): measure "
                        f"{backend} cases with --threads 1", kind="bad_input")
    argv = [*taskset(cpu_mask), binary, "-d", DEVICES[backend], "-hint", "none",
            "-api", "sync", "-nireq", "1"]
    if backend != "npu":
        argv += ["-nstreams", "1"]
    if backend == "cpu":
        argv += ["-nthreads", str(case_threads)]
    if precision in INFER_PRECISION:
        argv += ["-infer_precision", INFER_PRECISION[precision]]
    for name, dims in (shapes or {}).items():
        if any(not isinstance(d, int) or d < 1 for d in dims[1:]):
            raise CaseError(f"input {name} has a dynamic dimension besides the batch "
                            f"({list(dims)}); benchmark_app needs the others fixed: export "
                            "the model with fixed sizes", kind="bad_input")
    if shapes:
        argv += ["-shape", ",".join(f"{name}[{','.join(str(d) for d in (batch, *dims[1:]))}]"
                                    for name, dims in shapes.items())]
    argv += ["-niter", str(max(settings.min_runs, 1))]
    if settings.min_time_s > 0:
        argv += ["-t", str(math.ceil(settings.min_time_s))]
    if settings.warmup == 0:
        argv.append("-no_warmup")
    return [*argv, "-m", model]
