"""A single self-contained HTML report: provenance, a comparison, grids, charts.

    header       date, host, devices, runtime and benchbot versions, runs, commits, --meta
    comparison   (compare --format html) verdicts in colour, the change and its 95% CI
    grids        the latency tables in scaled units; hover a cell for n, CI, warnings;
                 a case that is not valid is marked †, one note per code under the grid
    charts       thread scaling, precision/batch speedup, sample distributions, history
                 by commit, op profiles (see :mod:`benchbot.report.charts`)

Everything is inline: the CSS in a <style> element, each chart an SVG ``data:`` URI.
The page loads nothing from anywhere and runs no script, so it opens offline, as a CI
artifact or a mail attachment.
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Callable, Sequence

from benchbot._version import __version__
from benchbot.report.environment import commit_text, environment_rows
from benchbot.report.grid import Cell, Grid, build_grids, cell_number, grid_unit, with_unit
from benchbot.report.numbers import DEFAULT_DIGITS, format_duration
from benchbot.stats.parts import ADVICE, ci_parts
from benchbot.store import CaseResult, RunRecord
from benchbot.store.entries import Entry, metric_value

if TYPE_CHECKING:
    from benchbot.verdicts.verdict import CompareReport

MAX_HISTORY_PLOTS = 12
MAX_OP_PROFILES = 6

_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --head: #f0f4f8; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 1.5em auto; max-width: 76em; padding: 0 1.2em; color: var(--ink); }
h1 { font-size: 1.7em; margin-bottom: 0.1em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 2px solid var(--line);
     padding-bottom: 0.2em; }
h3 { font-size: 1.02em; margin: 1.2em 0 0.3em; }
.lede { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; margin: 0.4em 0 0.8em; }
th, td { border: 1px solid var(--line); padding: 0.3em 0.65em; }
th { background: var(--head); text-align: left; font-weight: 600; }
td { overflow-wrap: anywhere; }
td.name { max-width: 22em; }
td.num { overflow-wrap: normal; text-align: right; font-variant-numeric: tabular-nums;
         white-space: nowrap; }
td.num[title] { cursor: help; }
td.invalid { background: #fff8e1; }
td.failed { background: #fdecea; color: #8a1c1c; }
table.facts th { width: 9em; background: none; border: none; color: var(--muted);
                 font-weight: 500; padding-left: 0; }
table.facts td { border: none; padding-left: 0.3em; }
tr.slower td.verdict { background: #ffcdd2; color: #8a1c1c; font-weight: 600; }
tr.failed td.verdict { background: #ffe0b2; font-weight: 600; }
tr.uncertain td.verdict { background: #fff3e0; }
tr.faster td.verdict { background: #c8e6c9; color: #1b5e20; font-weight: 600; }
tr.unchanged td.verdict { color: var(--muted); }
.summary { font-size: 1.15em; font-weight: 600; }
.note, ol.notes, ul.notes { color: var(--muted); font-size: 0.9em; }
ul.marks { list-style: none; padding-left: 1em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(30em, 1fr));
          gap: 1.2em; }
figure { margin: 0; padding: 0.6em; border: 1px solid var(--line); border-radius: 6px; }
figure img { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.9em; margin-top: 0.3em; }
footer { margin-top: 3em; color: var(--muted); font-size: 0.85em; }
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


# ---------------------------------------------------------------- the header

def header_html(records: Sequence[RunRecord]) -> str:
    """Where and with what the runs were measured, as a two-column table."""
    rows = environment_rows(records)
    if not rows:
        return ""
    return ('<table class="facts">' + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>"
                                              for k, v in rows) + "</table>")


# ---------------------------------------------------------------- grids

def hover_text(case: CaseResult) -> str:
    """What a cell's tooltip says: n, median and its 95% CI, spread, validity, warnings."""
    s = case.stats
    if case.status != "ok" or s is None:
        return f"failed ({case.failure.kind if case.failure else '?'}): {case.error or ''}"
    lines = [f"n = {s.n} ({case.stats_source})"]
    if s.median_ms is not None:
        lines.append(f"median {format_duration(s.median_ms)}")
    if s.ci95_low_ms is not None and s.ci95_high_ms is not None:
        parts = ci_parts(s)
        lines.append(f"95% CI {format_duration(s.ci95_low_ms)} to "
                     f"{format_duration(s.ci95_high_ms)}"
                     + (f" ({parts.text()})" if parts is not None else ""))
        if parts is not None and parts.total > 0:
            lines.append(f"to narrow it: {ADVICE[parts.dominant]}")
    lines.append(f"mean {format_duration(s.mean_ms)}"
                 + (f", std {format_duration(s.std_ms)}" if s.std_ms is not None else ""))
    if s.p99_ms is not None:
        lines.append(f"p99 {format_duration(s.p99_ms)}")
    for code in case.validity.codes:
        lines.append(f"not valid: {code.code}" + (f" ({code.detail})" if code.detail else "")
                     + (f": {code.advice}" if code.advice else ""))
    lines += [f"warning: {w}" for w in case.warnings]
    return "\n".join(lines)


def _case_of(cell: Cell, mine: Sequence[CaseResult], metric: str) -> CaseResult | None:
    """The case behind a grid cell: the row's case with the cell's value."""
    if cell.value is None:
        return None
    return next((c for c in mine if metric_value(c, metric) == cell.value
                 or (metric_value(c, metric) is None and metric_value(c, "mean") == cell.value)),
                None)


NAME_CHARS = 48  # a grid's row label at most; the rest is "…", the whole name in the hover


def _name_cell(name: str) -> str:
    if len(name) <= NAME_CHARS:
        return f'<td class="name">{_e(name)}</td>'
    return f'<td class="name" title="{_e(name)}">{_e(name[:NAME_CHARS - 1])}…</td>'


def grid_html(grid: Grid, cases: Sequence[CaseResult], metric: str, digits: int) -> str:
    """One grid, its values in the unit that suits them, each cell with its hover text."""
    unit, factor = grid_unit(grid)
    by_model: dict[str, list[CaseResult]] = {}
    for c in cases:
        by_model.setdefault(c.model_name, []).append(c)
    body = []
    for row in grid.rows:
        label = row[0] if isinstance(row[0], str) else ""
        mine = by_model.get(label, [])
        cells = []
        for item in row:
            if isinstance(item, str):
                cells.append(_name_cell(item) if item is row[0] else f"<td>{_e(item)}</td>")
                continue
            case = _case_of(item, mine, metric)
            text = "-" if item.value is None else cell_number(item.value, factor, digits)
            cls = "num"
            if item.invalid:  # not valid: the grid's marks name the codes, the hover the detail
                text += "†"
                cls += " invalid"
            if item.footnote is not None:
                text += f" [{item.footnote}]"
                cls += " failed" if item.value is None else ""
            title = f' title="{_e(hover_text(case))}"' if case is not None else ""
            cells.append(f'<td class="{cls}"{title}>{_e(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    out = [f"<h3>{_e(with_unit(grid.caption, unit))}</h3>", "<table>", "<thead><tr>"
           + "".join(f"<th>{_e(with_unit(h, unit))}</th>" for h in grid.header)
           + "</tr></thead>", "<tbody>",
           *body, "</tbody></table>"]
    if grid.footnotes:
        out.append('<ol class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in grid.footnotes)
                   + "</ol>")
    if grid.marks:  # one per validity code; each cell's own detail is in its hover
        out.append('<ul class="notes marks">' + "".join(f"<li>{_e(n)}</li>"
                                                         for n in grid.marks) + "</ul>")
    return "\n".join(out)


# ---------------------------------------------------------------- comparison

def _comparison_html(report: CompareReport, digits: int) -> str:
    from benchbot.report.comparison import COLUMNS, columns, table_rows

    s = report.settings
    rows = table_rows(report, digits)
    return "\n".join([
        f'<p class="summary">{_e(report.summary_line())}</p>',
        f'<p class="note">Baseline: {_e(report.baseline_label)}; candidate: '
        f"{_e(report.candidate_label)}; alpha {s.alpha:g}, default threshold "
        f"{s.thresholds.default:.0%}, method {_e(s.estimation.method)}. Change: candidate / "
        f"baseline - 1, with its {s.estimation.confidence:.0%} confidence interval.</p>",
        _table(columns(report), rows, numeric={3, 4, 5, 6},
               row_classes=[str(c.verdict.kind) for c in report.comparisons],
               verdict_col=len(COLUMNS) - 1)])


# ---------------------------------------------------------------- charts

def figure_html(name: str, svg: str, caption: str, full_names: Sequence[str] = ()) -> str:
    """A chart as an inline image; ``full_names``: the names its labels cut short, whole in
    the hover."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    hover = caption + "".join(f"\n{n}" for n in full_names)
    return (f'<figure class="chart" data-chart="{_e(name)}"><img src="data:image/svg+xml;'
            f'base64,{data}" alt="{_e(caption)}" title="{_e(hover)}"><figcaption>'
            f"{_e(caption)}</figcaption></figure>")


def history_charts(records: Sequence[RunRecord], entries: Sequence[Entry], x: str = "commit",
                   limit: int = MAX_HISTORY_PLOTS) -> list[tuple[str, str, str]]:
    """One history chart per model shown that was measured in at least two runs."""
    from benchbot.verdicts.history import history_series
    from benchbot.store.casekey import CaseKey
    from benchbot.report.charts import history_svg

    commits = {r.run_id: commit_text(r.git, 8).split(" ")[0] for r in records if r.git}
    shown = {CaseKey.of(e.case) for e in entries}
    charts = []
    for model in dict.fromkeys(e.case.model_name for e in entries):
        series = [s for s in history_series(records, model) if s.key in shown]
        if any(len(s.points) > 1 for s in series):
            charts.append(("history", history_svg(series, model, x, commits),
                           f"{model}: median latency per run, by commit, with its 95% CI"))
        if len(charts) >= limit:
            break
    return charts


def charts_of(records: Sequence[RunRecord], entries: Sequence[Entry],
              comparison: CompareReport | None, history_x: str) -> list[tuple[str, str, str]]:
    """(name, svg, caption) of every chart the data allows, in reading order."""
    from benchbot.report import charts

    cases = [e.case for e in entries]
    made: list[tuple[str, str, str]] = []

    def add(name: str, draw: Callable[[], str | None], caption: str) -> None:
        svg = draw()
        if svg is not None:
            made.append((name, svg, caption))

    if comparison is not None:
        add("comparison", lambda: charts.comparison_svg(comparison),
            f"Candidate / baseline per case with its {comparison.settings.estimation.confidence:.0%}"
            " CI, coloured by verdict")
    add("thread-scaling", lambda: charts.thread_scaling_svg(cases),
        "Thread scaling: speedup over 1 thread, per model and device (dashed: linear)")
    add("speedup", lambda: charts.speedup_svg(cases),
        "Precision and batch: FP16/INT8 speedup over FP32, and per-sample speedup of "
        "larger batches over batch 1")
    add("distribution", lambda: charts.distribution_svg(cases),
        "Distribution of the samples of each case († not valid)")
    made += history_charts(records, entries, history_x)
    from benchbot.report.sustained import sustained_charts

    made += sustained_charts(cases)
    profiled = [c for c in cases if c.op_profile is not None and c.op_profile.ops]
    for case in profiled[:MAX_OP_PROFILES]:
        add("op-profile", lambda case=case: charts.op_profile_svg(case),
            f"Op profile: {case.model_name} on {case.device}, t={case.threads} "
            f"b={case.batch} {case.precision}")
    return made


# ---------------------------------------------------------------- the page

def render_page(title: str, lede: str, sections: Sequence[tuple[str, str]]) -> str:
    """The whole document: a title, a line under it, then (heading, html) sections."""
    body = [f"<h1>{_e(title)}</h1>", f'<p class="lede">{_e(lede)}</p>']
    for heading, content in sections:
        if content:
            body += [f"<h2>{_e(heading)}</h2>" if heading else "", content]
    body.append(f"<footer>Made by benchbot {_e(__version__)}. Hover a latency for its n, "
                "confidence interval and warnings.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def html_report(records: Sequence[RunRecord], entries: Sequence[Entry], layout: str = "auto",
                metric: str = "median", digits: int = DEFAULT_DIGITS,
                comparison: CompareReport | None = None, title: str = "benchbot report",
                grids: Sequence[Grid] | None = None, history_x: str = "commit",
                draw_charts: bool = True) -> str:
    """What `report --format html` and `compare --format html` write (``draw_charts``
    False: no charts, which are most of its cost)."""
    cases = [e.case for e in entries]
    if grids is None:
        grids = build_grids(entries, layout, metric)
    models = len({c.model_name for c in cases})
    devices = len({c.device for c in cases})
    failed = sum(c.status != "ok" for c in cases)
    lede = (f"{len(cases)} case(s) of {models} model(s) on {devices} device(s) from "
            f"{len(records)} run(s)" + (f"; {failed} failed" if failed else "") + ".")
    sections = [("", header_html(records))]
    if comparison is not None:
        sections.append(("Comparison", _comparison_html(comparison, digits)))
    grid_parts = [grid_html(g, cases, metric, digits) for g in grids]
    sections.append(("Latency", "\n".join(grid_parts) or "<p>No measured cases match.</p>"))
    charts = charts_of(records, entries, comparison, history_x) if draw_charts else []
    if charts:
        from benchbot.report.charts import cut_names

        cut = cut_names([*(c.model_name for c in cases), *(c.device for c in cases)], 16)
        sections.append(("Charts", '<div class="charts">' + "\n".join(
            figure_html(name, svg, caption, cut) for name, svg, caption in charts)
            + "</div>"))
    return render_page(title, lede, sections)
