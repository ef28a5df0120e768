"""`report --layout memory`: every memory figure of a case, with what it counts (pure).

One table per device and configuration: model rows, one column per figure (the largest
any process of the case reported), then a legend with the scope of each figure shown,
so that "178 MB" and "76 MB" of the same model never meet without their meaning.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from benchbot.store import CaseResult, MemoryFigure
from benchbot.store.entries import Entry

# figure name -> column title, in the order shown
COLUMNS: Mapping[str, str] = {"peak_rss": "Peak RSS", "pss": "PSS",
                              "private_dirty": "Private dirty", "load_delta": "Model load Δ",
                              "tool_peak": "Tool's own", "gpu_process": "GPU (process)"}


def figures_of(case: CaseResult) -> dict[str, MemoryFigure]:
    """Each figure of the case: the largest any of its processes reported."""
    found: dict[str, MemoryFigure] = {}
    for run in case.runs:
        for m in run.memory:
            if m.name not in found or m.mb > found[m.name].mb:
                found[m.name] = m
    return found


def memory_mb(case: CaseResult) -> dict[str, float]:
    """name -> MB, for CSV and JSON columns (``pss_mb``...)."""
    return {name: m.mb for name, m in figures_of(case).items()}


def _mb(value: float) -> str:
    return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"


def memory_table(entries: Sequence[Entry]) -> str:
    """The markdown of every case with a memory figure; a note when none has one."""
    shown = [e for e in entries if e.case.status == "ok" and figures_of(e.case)]
    if not shown:
        return ("No memory figures in these results: cases measured by this benchbot record "
                "them (`benchbot run`); older results have none.\n")
    parts = []
    groups = dict.fromkeys((e.device_title, e.case.threads, e.case.batch, e.case.precision,
                            e.case.backend) for e in shown)
    for device, threads, batch, precision, backend in groups:
        group = [e for e in shown if (e.device_title, e.case.threads, e.case.batch,
                                      e.case.precision, e.case.backend)
                 == (device, threads, batch, precision, backend)]
        per_case = [(e.case.model_name, figures_of(e.case)) for e in group]
        names = [n for n in COLUMNS if any(n in f for _, f in per_case)]
        extra = "" if backend == "cpu" else f", {backend}"
        lines = [f"**Memory on {device}: {threads} thread{'s' if threads > 1 else ''}, batch "
                 f"{batch}, {precision}{extra}** (MB)", "",
                 "| Model | " + " | ".join(COLUMNS[n] for n in names) + " |",
                 "|---|" + "---:|" * len(names)]
        lines += [f"| {model} | " + " | ".join(_mb(f[n].mb) if n in f else "-" for n in names)
                  + " |" for model, f in per_case]
        scopes = dict.fromkeys((COLUMNS[n], f[n].scope) for _, f in per_case for n in names
                               if n in f)
        lines += [""] + [f"- {title}: {scope}" for title, scope in scopes]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)
