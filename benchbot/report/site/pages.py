"""The site's files as text (pure): four HTML shells and the data they draw, as JS.

Each data file is one assignment into ``window.BB_*``, loaded by a <script> tag (Chromium
reads no local JSON by XHR from ``file://``; a script it does). Numbers keep 6 significant
digits and keys a fixed order, so the same series gives the same bytes on every publish.

    data/catalog.js        runs, and per series its axes, latest point and sparkline
    data/series/ID.js      one series: every point (run, commit, date, median, CI, n,
                           processes, validity, verdict) and its A/B marks
    data/runs/RUN_ID.js    one run: its raw files, whether it has a report page, and its
                           case of every series with the verdict (run and compare pages)
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Iterable, Sequence

from benchbot._version import __version__
from benchbot.report.site.history import Point, RunInfo, Series, Verdict
from benchbot.store.index import CONFIG_COLUMNS

SPARK_POINTS = 30
PLOTLY = "assets/plotly.min.js"
PAGES = {"index.html": ("overview", "Overview"), "series.html": ("series", "Series"),
         "run.html": ("run", "Run"), "compare.html": ("compare", "Compare")}


@dataclass(frozen=True)
class RunFiles:
    """What the site holds of one run besides its cases (paths relative to the site)."""

    raw: str  # raw/FILE.json, its results file
    logs: tuple[str, ...]  # raw/STEM.logs/..., the tools' logs
    report: bool  # runs/RUN_ID.html, its report page, was made
    previous: str | None  # the run before it (not an A/B session's)


def _num(x: float | None) -> float | None:
    return None if x is None else float(f"{x:.6g}")


def _js(variable: str, value: object, item: str | None = None) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    if item is None:
        return f"window.{variable} = {text};\n"
    return (f"window.{variable} = window.{variable} || {{}};\n"
            f"window.{variable}[{json.dumps(item)}] = {text};\n")


def _axes(s: Series) -> dict[str, object]:
    return {"id": s.id, "model": s.model, "label": s.device_label,
            **{c: s.axis(c) for c in CONFIG_COLUMNS}}


def _verdict(v: Verdict | None) -> list[object] | None:
    return None if v is None else [v.kind, _num(v.change), v.against, v.reason, v.threshold]


def catalog_js(series: Sequence[Series], runs: Sequence[RunInfo],
               nightly: str | None, reports: frozenset[str] = frozenset()) -> str:
    """What the overview and the menus need: runs (with whether each has a report page, of
    the run ids ``reports``), and each series' latest state."""
    rows = []
    for s in series:
        last: Point = s.points[-1]
        rows.append({**_axes(s), "count": len(s.points),
                     "last": [last.run_id, last.started_at, last.commit, _num(last.median_ms),
                              _num(last.low_ms), _num(last.high_ms), int(last.valid)],
                     "verdict": _verdict(last.verdict),
                     "failed": None if s.failed_last is None else [
                         s.failed_last.run_id, s.failed_last.started_at, s.failed_last.kind],
                     "spark": [_num(p.median_ms) for p in s.points[-SPARK_POINTS:]]})
    return _js("BB_CATALOG", {
        "version": __version__, "nightly": nightly, "series": rows,
        "runs": [[r.run_id, r.started_at, r.commit, r.file, r.host, int(r.is_ab), r.cases, r.ok,
                  int(r.run_id in reports)] for r in runs]})


def series_js(s: Series) -> str:
    """One series, column by column (compact at thousands of points)."""
    p = s.points
    return _js("BB_SERIES", {
        **_axes(s),
        "points": {"r": [x.run_id for x in p], "t": [x.started_at for x in p],
                   "c": [x.commit for x in p], "m": [_num(x.median_ms) for x in p],
                   "lo": [_num(x.low_ms) for x in p], "hi": [_num(x.high_ms) for x in p],
                   "n": [x.n for x in p], "p": [x.processes for x in p],
                   "v": [int(x.valid) for x in p], "k": [_verdict(x.verdict) for x in p]},
        "ab": [[a.run_id, a.started_at, a.commit, _num(a.median_ms), _verdict(a.verdict)]
               for a in s.ab],
        "failed": [[f.run_id, f.started_at, f.commit, f.kind] for f in s.failed]}, s.id)


@dataclass(frozen=True)
class RunCases:
    """A run's case of every series (an A/B session's: none), and the series whose case
    failed in it with the failure's kind."""

    points: list[tuple[str, Point]]
    failed: list[tuple[str, str]]


def runs_cases(series: Sequence[Series], runs: Iterable[str]) -> dict[str, RunCases]:
    """Run id -> its cases, for the ``runs`` named."""
    out = {run: RunCases([], []) for run in runs}
    for s in series:
        for x in s.points:
            if x.run_id in out:
                out[x.run_id].points.append((s.id, x))
        for f in s.failed:
            if f.run_id in out:
                out[f.run_id].failed.append((s.id, f.kind))
    return out


def run_js(run_id: str, files: RunFiles, cases: RunCases) -> str:
    """One run's data file: its ``files`` and its cases."""
    rows = [[sid, _num(x.median_ms), _num(x.low_ms), _num(x.high_ms), x.n, x.processes,
             int(x.valid), _verdict(x.verdict)] for sid, x in cases.points]
    return _js("BB_RUNS", {"raw": files.raw, "logs": list(files.logs), "report": int(files.report),
                           "previous": files.previous, "cases": rows,
                           "failed": [list(f) for f in cases.failed]}, run_id)


def _nav(current: str) -> str:
    links = " ".join(f'<a href="{name}"{" class=here" if page == current else ""}>{title}</a>'
                     for name, (page, title) in PAGES.items())
    return f'<nav class="site">{links}</nav>'


def page_html(name: str) -> str:
    """The shell of ``index.html``, ``series.html``, ``run.html`` or ``compare.html``: the
    page's script fills it from the data files."""
    page, title = PAGES[name]
    sources = [*([PLOTLY] if page == "series" else []), "data/catalog.js", "assets/common.js",
               f"assets/{page}.js"]
    scripts = [f'<script src="{src}"></script>' for src in sources]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>benchbot: {html.escape(title)}</title>\n"
            "<link rel=\"stylesheet\" href=\"assets/site.css\">\n</head>\n"
            f"<body data-page=\"{page}\">\n{_nav(page)}\n<main id=\"main\"></main>\n"
            + "\n".join(scripts) + "\n</body>\n</html>\n")


def run_nav(run: RunInfo, files: RunFiles) -> str:
    """Links above a run's report (in runs/): the site, the raw results file, each tool
    log, the comparison with the previous run."""
    e = html.escape
    logs = [f"../{log}" for log in files.logs]
    links = ['<a href="../index.html">Overview</a>', f'<a href="../{e(files.raw)}">raw results '
             f"({e(run.file)})</a>"]
    if files.previous is not None:
        links.append(f'<a href="../compare.html#a={e(files.previous)}&amp;b={e(run.run_id)}">'
                     "compare with the previous run</a>")
    out = '<nav class="site run">' + " · ".join(links)
    if logs:
        out += (f"<details><summary>the tools' logs ({len(logs)})</summary><ul>" + "".join(
            f'<li><a href="{e(log)}">{e(log.rsplit("/", 1)[-1])}</a></li>' for log in logs)
            + "</ul></details>")
    return out + "</nav>\n"
