"""Figures as PNG bytes: the latency history of `benchbot history --out` (the HTML report
draws SVG charts, :mod:`benchbot.report.charts`).

Drawn on matplotlib's Agg canvas through ``matplotlib.figure.Figure``, never
pyplot: no display, no global backend state, safe in threads and on servers.
matplotlib is imported when a figure is drawn, not when benchbot starts.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from benchbot.verdicts.history import HistorySeries


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
