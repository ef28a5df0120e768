"""Figures as PNG bytes: latency history and a comparison's ratios.

Drawn on matplotlib's Agg canvas through ``matplotlib.figure.Figure``, never
pyplot: no display, no global backend state, safe in threads and on servers.
matplotlib is imported when a figure is drawn, not when benchbot starts.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from benchbot.compare.history import HistorySeries
    from benchbot.compare.verdict import CompareReport

_COLORS = {"slower": "#c62828", "faster": "#2e7d32", "uncertain": "#ef6c00",
           "unchanged": "#546e7a"}
MAX_RATIO_ROWS = 40


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # no Software tag: it would carry matplotlib's URL into the page
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def history_png(series: Sequence[HistorySeries], title: str, x: str = "time",
                commits: dict[str, str] | None = None) -> bytes:
    """Latency over runs, one line per configuration: the median of each run, its 95% CI
    as a band. ``x``: time (run start), run (run order) or commit (the run's commit)."""
    from benchbot.report.charts import history_figure

    fig = history_figure(series, title, x, commits)
    fig.patch.set_alpha(1.0)
    return _png(fig)


def comparison_png(report: CompareReport) -> bytes:
    """Each compared case's ratio candidate / baseline with its 95% CI, most severe first."""
    from matplotlib.figure import Figure

    rows = [c for c in report.comparisons if c.estimate is not None][:MAX_RATIO_ROWS]
    fig = Figure(figsize=(8.0, 1.0 + 0.3 * max(len(rows), 1)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for y, c in enumerate(rows):
        est = c.estimate
        assert est is not None
        low = est.ci_low if est.ci_low > 0 else est.ratio
        high = est.ci_high if math.isfinite(est.ci_high) else est.ratio
        color = _COLORS.get(str(c.verdict.kind), "#000000")
        ax.errorbar([est.ratio], [y], xerr=[[est.ratio - low], [high - est.ratio]], fmt="o",
                    color=color, capsize=3, markersize=4)
    ax.axvline(1.0, color="#000000", linewidth=0.8)
    threshold = report.settings.thresholds.default
    for edge in (1.0 - threshold, 1.0 + threshold):
        ax.axvline(edge, color="#9e9e9e", linewidth=0.8, linestyle="--")
    ax.set_yticks(range(len(rows)),
                  [f"{c.key.model} ({c.key.device}, {c.key.config})" for c in rows],
                  fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel("candidate / baseline (95% CI); dashed: default threshold")
    ax.grid(True, axis="x", alpha=0.3)
    return _png(fig)
