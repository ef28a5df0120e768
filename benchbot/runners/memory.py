"""A measuring process's memory figures, each with the scope of what it counts (pure).

The agent reports its peak resident set, PSS and private dirty pages after the timed
runs, its resident set just before and after loading the model, and on CUDA/TensorRT
what nvidia-smi lists for it; a native tool reports its own figure, whose scope is the
tool's (benchmark_model's "peak memory footprint", onnxruntime_perf_test's "peak
working set"). See the README's "Sustained performance, memory and energy".
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from benchbot.store import MemoryFigure, ProcessRun
from benchbot.store.records import MEMORY_SCOPES

# what each native tool's own memory figure counts, in the tool's words where it has them
TOOL_SCOPES: Mapping[str, str] = {
    "tflite_benchmark_model": "benchmark_model's own figure: the peak resident memory its "
                              "periodic monitor saw when printed, else the growth of peak RSS "
                              "from the tool's start (init and runs), the tool's process only",
    "onnxruntime_perf_test": "onnxruntime_perf_test's 'Peak working set size' of its own "
                             "process: the runtime, the model and its buffers",
    "paddle_lite": "Paddle Lite's benchmark 'Memory Usage' of its own process",
}
KB_PER_MB = 1024.0


def _figure(name: str, mb: float | None) -> list[MemoryFigure]:
    if mb is None:
        return []
    return [MemoryFigure(name=name, mb=round(float(mb), 3), scope=MEMORY_SCOPES[name])]


def _kb(value: Any) -> float | None:
    return float(value) / KB_PER_MB if isinstance(value, (int, float)) else None


def agent_memory(doc: Mapping[str, Any]) -> tuple[MemoryFigure, ...]:
    """The figures of the agent's document (those the device could give)."""
    found = doc.get("memory") or {}
    before, after = found.get("rss_before_load_kb"), found.get("rss_after_load_kb")
    delta = (after - before) / KB_PER_MB if isinstance(before, int) and isinstance(after, int) \
        else None
    gpu = found.get("gpu_mib")
    return tuple([*_figure("peak_rss", doc.get("peak_rss_mb")),
                  *_figure("pss", _kb(found.get("pss_kb"))),
                  *_figure("private_dirty", _kb(found.get("private_dirty_kb"))),
                  *_figure("load_delta", delta),
                  *_figure("gpu_process", float(gpu) if isinstance(gpu, int) else None)])


def with_tool_memory(run: ProcessRun, runner: str) -> ProcessRun:
    """A native tool's run with its own memory figure stored under its scope."""
    tool = run.extras.get("tool") if isinstance(run.extras, Mapping) else None
    peak = tool.get("peak_memory_mb") if isinstance(tool, Mapping) else None
    if runner == "agent" or run.memory or not isinstance(peak, (int, float)):
        return run
    scope = TOOL_SCOPES.get(runner, f"{runner}'s own memory figure")
    return dataclasses.replace(run, memory=(MemoryFigure("tool_peak", round(float(peak), 3),
                                                         scope),))
