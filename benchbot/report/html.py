"""A single self-contained HTML report: grids, a comparison, plots.

Everything is inline: the CSS in a <style> element, the figures as base64
``data:`` URIs. The page loads nothing from anywhere, so it opens offline, as
a CI artifact or a mail attachment.
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Sequence

from benchbot.report.grid import Grid, build_grids
from benchbot.report.markdown import cell_text
from benchbot.report.numbers import DEFAULT_DIGITS
from benchbot.store.entries import Entry
from benchbot.store import RunRecord

if TYPE_CHECKING:
    from benchbot.compare.verdict import CompareReport

MAX_HISTORY_PLOTS = 12

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 72em; padding: 0 1em; color: #212121; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 2em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #cfd8dc; padding: 0.25em 0.6em; }
th { background: #eceff1; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.slower td.verdict { background: #ffcdd2; font-weight: 600; }
tr.failed td.verdict { background: #ffe0b2; font-weight: 600; }
tr.uncertain td.verdict { background: #fff3e0; }
tr.faster td.verdict { background: #c8e6c9; }
.summary { font-size: 1.1em; font-weight: 600; }
.note, ol.notes { color: #546e7a; font-size: 0.9em; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int],
           row_classes: Sequence[str] | None = None, verdict_col: int | None = None) -> str:
    parts = ["<table>", "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header)
             + "</tr></thead>", "<tbody>"]
    for i, row in enumerate(rows):
        cls = f' class="{_e(row_classes[i])}"' if row_classes else ""
        cells = []
        for j, text in enumerate(row):
            kind = "num" if j in numeric else "verdict" if j == verdict_col else ""
            cells.append(f'<td class="{kind}">{_e(text)}</td>' if kind else f"<td>{_e(text)}</td>")
        parts.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return "\n".join(parts)


def _grid_html(grid: Grid, digits: int) -> str:
    rows = [[cell_text(cell, digits) for cell in row] for row in grid.rows]
    first_value = next((i for i, cell in enumerate(grid.rows[0]) if not isinstance(cell, str)),
                       len(grid.header)) if grid.rows else len(grid.header)
    out = [f"<h3>{_e(grid.caption)}</h3>",
           _table(grid.header, rows, numeric=set(range(first_value, len(grid.header))))]
    if grid.footnotes:
        out.append('<ol class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in grid.footnotes)
                   + "</ol>")
    return "\n".join(out)


def _comparison_html(report: CompareReport, digits: int) -> str:
    from benchbot.report.comparison import COLUMNS, table_rows

    s = report.settings
    rows = table_rows(report, digits)
    return "\n".join([
        f'<p class="summary">{_e(report.summary_line())}</p>',
        f'<p class="note">Baseline: {_e(report.baseline_label)}; candidate: '
        f"{_e(report.candidate_label)}; alpha {s.alpha:g}, default threshold "
        f"{s.thresholds.default:.0%}, method {_e(s.estimation.method)}.</p>",
        _table(COLUMNS, rows, numeric={3, 4, 5, 6},
               row_classes=[str(c.verdict.kind) for c in report.comparisons],
               verdict_col=len(COLUMNS) - 1)])


def render_html(grids: Sequence[Grid], comparison: CompareReport | None,
                plots: Sequence[tuple[str, bytes]], *, title: str = "benchbot report",
                digits: int = DEFAULT_DIGITS) -> str:
    """The whole page: comparison first (when given), then the grids, then the plots."""
    body = [f"<h1>{_e(title)}</h1>"]
    if comparison is not None:
        body += ["<h2>Comparison</h2>", _comparison_html(comparison, digits)]
    body.append("<h2>Latency</h2>")
    body += [_grid_html(g, digits) for g in grids] or ["<p>No measured cases match.</p>"]
    if plots:
        body.append("<h2>Plots</h2>")
        for caption, png in plots:
            data = base64.b64encode(png).decode("ascii")
            body.append(f'<figure><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
                        f"<figcaption>{_e(caption)}</figcaption></figure>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def history_plots(records: Sequence[RunRecord], entries: Sequence[Entry],
                  limit: int = MAX_HISTORY_PLOTS) -> list[tuple[str, bytes]]:
    """One history plot per model shown, for models measured in at least two runs."""
    from benchbot.compare.history import history_series
    from benchbot.compare.match import case_key
    from benchbot.report.plots import history_png

    shown = {case_key(e.case) for e in entries}
    plots = []
    for model in dict.fromkeys(e.case.model_name for e in entries):
        series = [s for s in history_series(records, model) if s.key in shown]
        if any(len(s.points) > 1 for s in series):
            plots.append((f"{model}: latency over runs", history_png(series, model)))
        if len(plots) >= limit:
            break
    return plots


def html_report(records: Sequence[RunRecord], entries: Sequence[Entry], layout: str = "auto",
                metric: str = "median", digits: int = DEFAULT_DIGITS,
                comparison: CompareReport | None = None,
                title: str = "benchbot report") -> str:
    """What `benchbot report --format html` writes: grids, history plots, a comparison."""
    plots = history_plots(records, entries)
    if comparison is not None and any(c.estimate for c in comparison.comparisons):
        from benchbot.report.plots import comparison_png

        plots.insert(0, ("candidate / baseline, with 95% CI", comparison_png(comparison)))
    return render_html(build_grids(entries, layout, metric), comparison, plots, title=title,
                       digits=digits)
