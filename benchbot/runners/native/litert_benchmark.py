"""LiteRT's ``litert-benchmark`` (package ``ai-edge-litert``): its command line and its output.

The tool (``ai_edge_litert/tools/benchmark_litert_model.py``, the Python twin of
LiteRT's CompiledModel ``benchmark_model``) loads a ``.tflite`` file with the
CompiledModel API and times ``--warmup_runs`` then ``--num_runs`` inferences. Its flags
(argparse, so an unknown flag is ``error: unrecognized arguments`` and exit 2):
``--model``, ``--num_threads``, ``--warmup_runs``, ``--num_runs``, ``--use_gpu``,
``--use_npu`` (the CPU stays on as fallback unless ``--no_cpu``), ``--require_full_delegation``
(no CPU fallback, and exit 1 unless the accelerator runs every op), ``--result_json``,
``--verbose``. It has no shape flag (a model runs at its own input shapes), no
precision flag, no time limit and no op profiler.

What is read (the runner hands the parser stdout and stderr together):

* the ``--result_json`` document, written to the tool's own stdout
  (``--result_json=/proc/self/fd/1``, so nothing is left on the device): ``{"accelerators":
  [...], "fully_accelerated": bool, "num_threads": N, "latency": {"init_ms",
  "warmup_first_ms", "warmup_avg_ms", "num_warmup_runs", "avg_ms", "min_ms", "max_ms",
  "median_ms", "std_ms", "p5_ms", "p95_ms", "num_runs"}}``, every time rounded to two
  decimals of a millisecond;
* a failure: the tool's ``ERROR`` log line, else LiteRT's first ``ERROR: ...`` line
  with the Python exception the tool died of (and its ``└ ...`` continuation lines).

Resolution: 0.01 ms. A median or mean that reads 0.00 is below it: the run fails
saying so (never stored as 0). Any other figure that reads 0.00 (a min, a std, a
warm-up) is left out (None: not known) rather than stored as 0.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

from benchbot.errors import CaseError
from benchbot.runners.native.argv import check_case, one_of, taskset
from benchbot.runners.native.failure import last_lines
from benchbot.runners.native.result import Measurement, NativeResult, single
from benchbot.sweep import Case, MeasureSettings

KIND = "litert_benchmark"
RESOLUTION_MS = 0.01
#: benchbot backend -> the tool's flags, and the accelerator its result then names first.
#: A GPU or NPU case runs without the CPU fallback (``--require_full_delegation``): with the
#: fallback, the tool reports ``"accelerators": ["NPU", "CPU"], "fully_accelerated": true`` for
#: a model the CPU ran whole (no NPU found); without it, the tool fails in its own words.
BACKEND_FLAGS = {"cpu": (), "gpu": ("--use_gpu", "--require_full_delegation"),
                 "npu": ("--use_npu", "--require_full_delegation")}
ACCELERATOR = {"cpu": "CPU", "gpu": "GPU", "npu": "NPU"}
#: where the tool writes its JSON: its own stdout (a pipe on every transport)
RESULT_JSON = "/proc/self/fd/1"
# JSON figure -> NativeResult field
_FIGURES = {"avg_ms": "mean_ms", "median_ms": "median_ms", "min_ms": "min_ms",
            "max_ms": "max_ms", "std_ms": "std_ms", "p95_ms": "p95_ms", "init_ms": "init_ms",
            "warmup_first_ms": "first_ms", "warmup_avg_ms": "warmup_mean_ms"}
_HEADLINE = {"median_ms": "median", "avg_ms": "mean"}
_LOGGER = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) \S+: ?(.*)$")
_NATIVE_ERROR = re.compile(r"^ERROR: .*\S")
_EXCEPTION = re.compile(r"^[\w.]*(?:Error|Exception): .*\S|^\S+: error: .*\S")


@dataclass(frozen=True)
class LitertReport:
    """One ``--result_json`` document: the figures and what the tool says it applied."""

    result: NativeResult
    threads: int | None = None
    accelerators: tuple[str, ...] = ()
    fully_accelerated: bool | None = None


def read_report(doc: dict[str, Any]) -> LitertReport:
    """A ``--result_json`` document (pure)."""
    latency = doc.get("latency")
    try:
        runs = int(latency["num_runs"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError) as exc:
        return LitertReport(NativeResult.failed(f"not a litert-benchmark result ({exc!r})"))
    stated = {k: float(v) for k, v in latency.items()
              if k in _FIGURES and isinstance(v, (int, float)) and not isinstance(v, bool)}
    headline = [name for key, name in _HEADLINE.items()
                if key in stated and stated[key] < RESOLUTION_MS / 2]
    if headline:
        result = NativeResult.failed(
            f"its {' and '.join(headline)} read{'s' if len(headline) == 1 else ''} 0.00 ms: "
            "below litert-benchmark's "
            f"resolution of {RESOLUTION_MS} ms (it rounds to two decimals); measure a "
            "larger model, or use --runner agent (microseconds)")
    else:
        figures = {_FIGURES[k]: v for k, v in stated.items() if v >= RESOLUTION_MS / 2}
        if not latency.get("num_warmup_runs"):  # no warm-up: the tool writes 0 for both
            figures.pop("first_ms", None)
            figures.pop("warmup_mean_ms", None)
        result = NativeResult(status="ok", count=runs, **figures)
    threads = doc.get("num_threads")
    return LitertReport(result=result,
                        threads=threads if isinstance(threads, int) else None,
                        accelerators=tuple(str(a) for a in doc.get("accelerators") or ()),
                        fully_accelerated=doc.get("fully_accelerated"))


def result_documents(text: str) -> list[dict[str, Any]]:
    """Every ``--result_json`` document in a log (a JSON object opening a line), pure."""
    decoder = json.JSONDecoder()
    docs = []
    for start in re.finditer(r"^\{", text, re.M):
        try:
            doc, _ = decoder.raw_decode(text, start.start())
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("latency"), dict):
            docs.append(doc)
    return docs


def failure_quote(text: str) -> str:
    """Why the tool failed, in its own words: its ERROR log line, else LiteRT's first
    ``ERROR: [...]`` line with the exception the tool died of, else its last lines."""
    lines = text.splitlines()
    logged = [m.group(2) for ln in lines if (m := _LOGGER.match(ln)) and m.group(1) == "ERROR"]
    if logged:
        return logged[0].strip()
    native = next((ln.strip() for ln in lines if _NATIVE_ERROR.match(ln)), None)
    died = None
    for i in range(len(lines) - 1, -1, -1):
        if _EXCEPTION.match(lines[i]):  # with LiteRT's "└ ..." lines that continue it
            more = [ln.strip() for ln in itertools.takewhile(lambda ln: ln.startswith("└"),
                                                             lines[i + 1:])]
            died = " ".join([lines[i].strip(), *more])
            break
    quoted = [q for q in (native, died) if q]
    return " | ".join(quoted) if quoted else (last_lines(text, "") or "it printed nothing")


def parse_all(text: str) -> list[Measurement]:
    """One measurement per result document in ``text``; none: the tool's failure."""
    docs = result_documents(text)
    if not docs:
        return [Measurement(label="", result=NativeResult.failed(failure_quote(text)))]
    return [Measurement(label=f"run {i}" if len(docs) > 1 else "", result=read_report(d).result)
            for i, d in enumerate(docs, start=1)]


def parse(text: str) -> NativeResult:
    """The figures of one ``litert-benchmark`` run's output (pure)."""
    return single(parse_all(text), KIND)


def mismatches(report: LitertReport, threads: int | None, backend: str) -> list[str]:
    """Where the tool's own result differs from the threads and backend asked for (pure)."""
    found = []
    if threads is not None and report.threads != threads:
        found.append(f"the tool ran with num_threads {report.threads}, not {threads}")
    wanted = [ACCELERATOR[backend]]  # and no CPU fallback beside a GPU or NPU
    if list(report.accelerators) != wanted:
        found.append(f"the tool ran with accelerators {list(report.accelerators)}, not "
                     f"{wanted}")
    elif backend != "cpu" and report.fully_accelerated is not True:
        found.append(f"the tool says fully_accelerated: {report.fully_accelerated} (part of "
                     f"the model ran elsewhere than on the {wanted[0]})")
    return found


def backend_of(argv: list[str]) -> str:
    """The backend an argv asks for (its accelerator flag)."""
    return next((b for b, flags in BACKEND_FLAGS.items() if flags and flags[0] in argv), "cpu")


def verify(argv: list[str], log: str) -> list[str]:
    """The threads and accelerator ``argv`` asked for against the tool's own result (the
    batch is the file's: a case at another batch is refused before it runs)."""
    docs = result_documents(log)
    if len(docs) != 1:
        return []  # no result (or several): the parse already fails the case
    report = read_report(docs[0])
    if not report.result.ok:
        return []
    threads = [int(a.split("=", 1)[1]) for a in argv if a.startswith("--num_threads=")]
    return mismatches(report, threads[-1] if threads else None, backend_of(argv))


def case_options(case: Case) -> dict[str, object]:
    return {"backend": case.backend}


def build_argv(binary: str, model: str, case_threads: int, batch: int, precision: str,
               settings: MeasureSettings, *, cpu_mask: str | None = None,
               backend: str = "cpu") -> list[str]:
    """``litert-benchmark`` argv for one case: ``--num_runs`` is --min-runs (the tool has
    no time limit), ``taskset`` for a CPU mask (it has no affinity flag). Batch and
    precision are the model file's."""
    check_case(case_threads, batch, precision)
    one_of(backend, tuple(BACKEND_FLAGS), "litert-benchmark backend")
    if backend != "cpu" and case_threads != 1:  # no CPU fallback: no CPU thread runs it
        raise CaseError(f"litert-benchmark runs {backend} cases without the CPU: a thread "
                        f"count does not apply; measure them with --threads 1",
                        kind="bad_input")
    return [*taskset(cpu_mask), binary, f"--model={model}", f"--num_threads={case_threads}",
            f"--warmup_runs={settings.warmup}", f"--num_runs={max(settings.min_runs, 1)}",
            *BACKEND_FLAGS[backend], f"--result_json={RESULT_JSON}"]
