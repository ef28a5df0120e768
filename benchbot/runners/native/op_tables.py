"""Op profiles the native tools write, read into rows of (node, op type, provider, ms) (pure).

* ``benchmark_model --enable_op_profiling=true`` prints, after "Operator-wise Profiling
  Info for Regular Benchmark Runs:", a "Run Order" table (``[node type] [start]
  [first] [avg ms] [%] [cdf%] [mem KB] [times called] [Name]``; builds from 2023 drop
  ``[start]``), "Top by Computation Time" (the same rows again) and "Summary by node
  type", then ``Timings (microseconds): count=N`` (builds of 2019 print the tables
  without the header, and no initialization profile). Rows are tab- or space-aligned. A
  node whose type is a delegate kernel (``TfLiteNnapiDelegate``, ``TfLiteGpuDelegateV2``,
  ``TfLiteXNNPackDelegate``) is a delegated partition; XNNPACK's own rows are named
  ``Delegate/...``. ``avg ms`` is per call, so a node's ms per inference is ``avg ms x
  times called``.
* ONNX Runtime's profile (``onnxruntime_perf_test -p FILE``, a session's
  ``enable_profiling``): a JSON array of trace events; ``cat`` "Node" events named
  ``<node>_kernel_time`` carry ``args.op_name`` and ``args.provider``; one
  ``model_run`` event per run.
* ``trtexec --exportProfile=FILE``: a JSON array whose first element is ``{"count": N}``
  and the rest one per layer, ``{"name", "timeMs", "averageMs", "medianMs",
  "percentage"}``. TensorRT names fused layers after their ONNX nodes (``/conv1/Conv +
  /relu/Relu``, ``Conv_0 + Relu_1``); the op type is read from the first of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from benchbot.runners.ops import OpRow

_RUN_HEADER = "Operator-wise Profiling Info for Regular Benchmark Runs"
_NUM = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
# type, [start,] first, avg ms, %, cdf%, mem KB, times called, name
_ROW = re.compile(rf"^\s*(?P<type>\S.*?)\s+(?:(?P<start>{_NUM})\s+)?(?P<first>{_NUM})\s+"
                  rf"(?P<avg>{_NUM})\s+(?P<pct>{_NUM})%\s+(?P<cdf>{_NUM})%\s+(?P<mem>{_NUM})\s+"
                  rf"(?P<calls>\d+)\s+(?P<name>\S.*?)\s*$")
_COUNT = re.compile(r"Timings \(microseconds\): count=(\d+)")
_DELEGATE_KERNEL = re.compile(r"^TfLite(\w+?)Delegate(?:V\d+)?$")


@dataclass(frozen=True)
class ToolProfile:
    """The rows of one tool's op profile and how many runs it averages."""

    rows: tuple[OpRow, ...]
    runs: int


def _strip_prefix(line: str) -> str:
    return re.sub(r"^(?:INFO|VERBOSE|WARNING): ", "", line.rstrip("\r\n"))


def tflite_provider(op_type: str, name: str) -> str:
    """The delegate a benchmark_model row ran on ('nnapi', 'gpu', 'xnnpack'), else 'cpu'."""
    m = _DELEGATE_KERNEL.match(op_type)
    if m:
        kind = m.group(1).lower()
        return {"xnnpack": "xnnpack", "gpu": "gpu", "nnapi": "nnapi"}.get(kind, kind)
    if name.startswith("Delegate/"):
        return "xnnpack"
    return "cpu"


def parse_tflite_op_profile(text: str) -> ToolProfile | None:
    """The Run Order table of the regular runs' op profile; None when the log has none."""
    lines = [_strip_prefix(line) for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if _RUN_HEADER in line), None)
    if start is None:  # builds of 2019 print the run's tables without that header
        start = next((i - 1 for i, line in enumerate(lines) if "== Run Order ==" in line), None)
    if start is None:
        return None
    rows: list[OpRow] = []
    runs = 0
    section = ""
    for line in lines[start + 1:]:
        if "====" in line:
            section = line.strip("= ").strip()
            continue
        if m := _COUNT.search(line):
            runs = int(m.group(1))
            break
        if section != "Run Order":
            continue
        if m := _ROW.match(line):
            name, op_type = m.group("name"), m.group("type").strip()
            if op_type.startswith("["):  # the header row
                continue
            rows.append(OpRow(node=name, op_type=op_type,
                              provider=tflite_provider(op_type, name),
                              ms=float(m.group("avg")) * int(m.group("calls"))))
    return ToolProfile(rows=tuple(rows), runs=runs) if rows else None


def parse_ort_profile(text: str) -> ToolProfile:
    """Per node of an ONNX Runtime profile (ms per run), the first run left out as warm-up."""
    trace = json.loads(text)
    if not isinstance(trace, list):
        raise ValueError("an ONNX Runtime profile is a JSON array of trace events")
    runs = sorted((e for e in trace if isinstance(e, dict) and e.get("name") == "model_run"),
                  key=lambda e: e.get("ts", 0))
    kept = runs[1:] if len(runs) > 1 else runs
    if not kept:
        return ToolProfile(rows=(), runs=0)
    since = kept[0].get("ts", 0)
    per_node: dict[str, list] = {}
    for e in trace:
        if not isinstance(e, dict) or e.get("cat") != "Node" or e.get("ts", 0) < since:
            continue
        name = str(e.get("name", ""))
        if not name.endswith("_kernel_time"):
            continue
        args = e.get("args") or {}
        entry = per_node.setdefault(name[:-len("_kernel_time")],
                                    [str(args.get("op_name", "")),
                                     str(args.get("provider", "")), 0.0])
        entry[2] += float(e.get("dur", 0)) / 1000.0
    rows = tuple(OpRow(node=n, op_type=t, provider=p, ms=ms / len(kept))
                 for n, (t, p, ms) in per_node.items())
    return ToolProfile(rows=rows, runs=len(kept))


def trt_op_type(layer: str) -> str:
    """'/layer1/conv1/Conv + /layer1/relu/Relu' -> 'Conv'; 'Conv_0 + Relu_1' -> 'Conv'."""
    first = layer.split(" + ")[0].strip()
    last = first.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[_.]\d+$", "", last) or layer


def parse_trtexec_profile(text: str) -> ToolProfile:
    """Per layer of ``trtexec --exportProfile`` (ms per inference: ``averageMs``)."""
    doc = json.loads(text)
    if not isinstance(doc, list):
        raise ValueError("a trtexec profile is a JSON array")
    runs = next((int(e["count"]) for e in doc if isinstance(e, dict) and "count" in e), 0)
    rows = tuple(OpRow(node=str(e["name"]), op_type=trt_op_type(str(e["name"])),
                       provider="TensorRT", ms=float(e["averageMs"]))
                 for e in doc if isinstance(e, dict) and "name" in e and "averageMs" in e)
    return ToolProfile(rows=rows, runs=runs)
