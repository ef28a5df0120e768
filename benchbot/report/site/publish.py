"""Writing the site: the results index in, only the files that changed out.

Every file is made in memory and written only when its bytes differ from what SITE holds
(a file left as it is keeps its mtime and inode: a static host or an rsync sees what
changed). A run's report page and its raw copies are remade only when its run file
changed since the last publish (``.benchbot-site.json`` keeps each run file's size and
mtime). A run page made while its run is among the newest ``run_charts`` has the report's
charts too (drawing them is most of a page's cost); older runs' pages have its tables.
Verdicts already computed are kept by their inputs (``.benchbot-verdicts.json``). The
charting library (plotly.js, from the ``plotly`` package: ``pip install
'benchbot[publish]'``) is copied into ``assets/`` with its licence.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path
from typing import Any, Callable

from benchbot.errors import UserError
from benchbot.report.site.history import (RunInfo, Series, VerdictCache, ab_marks,
                                          build_series, run_infos)
from benchbot.report.site.pages import (PAGES, PLOTLY, catalog_js, page_html, run_nav,
                                        runs_js, series_js)
from benchbot.report.site.workers import default_workers, spread
from benchbot.store import load_run
from benchbot.store.entries import entries_of
from benchbot.store.index import DISABLE_ENV, open_index

MANIFEST = ".benchbot-site.json"
VERDICTS = ".benchbot-verdicts.json"  # the verdicts computed, by their inputs
MANIFEST_VERSION = 1
RUN_CHARTS = 20  # the newest runs whose pages get the report's charts
STATIC = Path(__file__).with_name("static")
OWNED = ("assets", "data/series", "data/runs", "runs", "raw")  # their stale files go
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # a run id that names files


@dataclass(frozen=True)
class Published:
    """What a publish did: the site's size, and the files it wrote (relative paths)."""

    site: Path
    series: int
    runs: int
    written: tuple[str, ...]
    unchanged: int
    verdicts_computed: int  # the others came from the previous publish


class _Writer:
    def __init__(self, site: Path) -> None:
        self.site = site
        self.written: list[str] = []
        self.unchanged = 0
        self.made: set[str] = set()

    def put(self, rel: str, data: str | bytes) -> None:
        """Write ``rel`` unless it already holds exactly ``data``."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self.made.add(rel)
        path = self.site / rel
        try:
            if path.stat().st_size == len(raw) and path.read_bytes() == raw:
                self.unchanged += 1
                return
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
            os.chmod(tmp, 0o644)  # a static host serves it (mkstemp makes it 0600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.written.append(rel)

    def keep(self, rel: str) -> None:
        """``rel`` is still part of the site, as it is."""
        self.made.add(rel)
        self.unchanged += 1

    def prune(self) -> None:
        """Remove files of the site's own folders that this publish did not make."""
        for folder in OWNED:
            root = self.site / folder
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*"), reverse=True):
                rel = path.relative_to(self.site).as_posix()
                if path.is_file() and rel not in self.made:
                    path.unlink()
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()


def plotly_files() -> tuple[Path, Path | None]:
    """plotly.min.js and the licence of the installed ``plotly`` package."""
    spec = util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise UserError("benchbot publish draws its charts with plotly.js: pip install "
                        "'benchbot[publish]' (or pip install plotly)")
    script = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    if not script.is_file():
        raise UserError(f"{script} is missing from the plotly package: reinstall it "
                        "(pip install --force-reinstall plotly)")
    licence = None
    for f in metadata.distribution("plotly").files or ():
        if f.name.upper().startswith("LICENSE"):
            licence = Path(str(f.locate()))
            break
    return script, licence


def _signature(folder: Path, name: str) -> list[int]:
    sig = []
    for path in (folder / name, folder / f"{name[:-5]}.cases.jsonl"):
        try:
            st = path.stat()
            sig += [st.st_size, st.st_mtime_ns]
        except OSError:
            sig += [-1, -1]
    return sig


@dataclass(frozen=True)
class _RunPage:
    """What one run's page and raw copies are made from (in a worker process, maybe)."""

    site: Path
    results: Path
    run: RunInfo
    previous: RunInfo | None
    page: str
    copies: tuple[str, ...]
    charts: bool


def _plan_run(w: _Writer, results: Path, run: RunInfo, previous: RunInfo | None,
              manifest: dict[str, Any], fresh: dict[str, Any], charts: bool) -> _RunPage | None:
    """The run's report page, its raw results file and its tools' logs: kept as they are
    when the run file has not changed since they were made, else what to make them from."""
    stem = run.file[:-5]
    logs = results / f"{stem}.logs"
    copies = [f"raw/{run.file}"]
    journal = results / f"{stem}.cases.jsonl"
    if journal.is_file():
        copies.append(f"raw/{journal.name}")
    if logs.is_dir():
        copies += [f"raw/{p.relative_to(results).as_posix()}" for p in sorted(logs.rglob("*"))
                   if p.is_file()]
    page = f"runs/{run.run_id}.html"
    state = [_signature(results, run.file), previous.run_id if previous else None, copies]
    known = manifest.get(run.file)
    if isinstance(known, list) and known[:3] == state and \
            all((w.site / r).is_file() for r in [page, *copies]):
        fresh[run.file] = known  # as it was made, charts or not
        for rel in [page, *copies]:
            w.keep(rel)
        return None
    w.made.update([page, *copies])
    fresh[run.file] = [*state, charts]
    return _RunPage(w.site, results, run, previous, page, tuple(copies), charts)


def _make_run(job: _RunPage) -> tuple[list[str], int]:
    """Write one run's page and raw copies; the files written and those left as they were."""
    from benchbot.report.html import html_report  # the charts' code: only when a page is due

    w = _Writer(job.site)
    run, stem = job.run, job.run.file[:-5]
    for rel in job.copies:
        w.put(rel, (job.results / rel[len("raw/"):]).read_bytes())
    record = load_run(job.results / run.file)
    nav = run_nav(run, job.previous, f"../raw/{run.file}",
                  [f"../{rel}" for rel in job.copies if rel.startswith(f"raw/{stem}.logs/")])
    text = html_report([record], list(entries_of(record)), title=f"benchbot run {run.run_id}",
                       draw_charts=job.charts)
    w.put(job.page, text.replace("<body>\n", "<body>\n" + nav, 1))
    return w.written, w.unchanged


def _read_state(site: Path, name: str, field: str) -> dict[str, Any]:
    """A field of one of the site's own state files ({} when missing, foreign or older)."""
    try:
        doc = json.loads((site / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("version") != MANIFEST_VERSION:
        return {}
    got = doc.get(field)
    return got if isinstance(got, dict) else {}


def _history(results: Path, site: Path, warn: Callable[[str], None], workers: int
             ) -> tuple[list[RunInfo], list[Series], VerdictCache]:
    """The runs and series of the results folder, from its index, with their verdicts (those
    of the last publish reused) and A/B marks."""
    index = open_index(results, warn)
    if index is None:
        raise UserError(f"cannot open the results index of {results}: make the folder "
                        "writable (the index is results/index.sqlite), then publish again")
    cache = VerdictCache(_read_state(site, VERDICTS, "verdicts"))
    try:
        runs = run_infos(index)
        series = build_series(index, cache=cache, workers=workers)
    finally:
        index.close()
    unsafe = {r.run_id for r in runs if not SAFE_ID.fullmatch(r.run_id)}
    for run in (r for r in runs if r.run_id in unsafe):
        warn(f"{results / run.file}: its run id {run.run_id!r} cannot name a file of the "
             "site; left out (benchbot names runs like 20260301T021700Z-1a2b3c)")
    if unsafe:
        runs = [r for r in runs if r.run_id not in unsafe]
        series = [dataclasses.replace(s, points=kept) for s in series
                  if (kept := tuple(p for p in s.points if p.run_id not in unsafe))]
    if not runs:
        raise UserError(f"no runs in {results}: run `benchbot run` first, or point --results "
                        "at a folder of runs")
    marks = ab_marks(results, runs)
    return runs, [dataclasses.replace(s, ab=tuple(marks.get(s.id, ()))) for s in series], cache


def publish_site(results: Path, site: Path, warn: Callable[[str], None],
                 run_charts: int = RUN_CHARTS, workers: int | None = None) -> Published:
    """Publish every run of the ``results`` folder (through its index) into ``site``; the
    pages of the newest ``run_charts`` runs, when made, draw the report's charts. Verdicts
    and run pages are made over ``workers`` processes (default: one per core)."""
    workers = default_workers() if workers is None else workers
    if not results.is_dir():
        raise UserError(f"--results {results}: not a folder of runs; point it at the results "
                        "folder (e.g. results)")
    if site.exists() and not site.is_dir():
        raise UserError(f"--out {site} is a file: name a folder for the site")
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        raise UserError(f"benchbot publish reads the results index: unset {DISABLE_ENV}")
    script, licence = plotly_files()
    runs, series, cache = _history(results, site, warn, workers)
    site.mkdir(parents=True, exist_ok=True)
    w = _Writer(site)
    w.put(PLOTLY, script.read_bytes())
    if licence is not None:
        w.put("assets/plotly.LICENSE.txt", licence.read_bytes())
    for asset in sorted(STATIC.iterdir()):
        w.put(f"assets/{asset.name}", asset.read_bytes())
    for name in PAGES:
        w.put(name, page_html(name))
    nightly = None
    for md in sorted(results.glob("nightly-*.md")):
        w.put(f"raw/{md.name}", md.read_bytes())
        nightly = f"raw/{md.name}"
    w.put("data/catalog.js", catalog_js(series, runs, nightly))
    for s in series:
        w.put(f"data/series/{s.id}.js", series_js(s))
    for run_id, text in runs_js(series, runs).items():
        w.put(f"data/runs/{run_id}.js", text)
    manifest = _read_state(site, MANIFEST, "runs")
    fresh: dict[str, Any] = {}
    previous, due = None, []
    for i, run in enumerate(runs):
        job = _plan_run(w, results, run, previous, manifest, fresh, i >= len(runs) - run_charts)
        if job is not None:
            due.append(job)
        if not run.is_ab:
            previous = run
    # the pages with charts first: the slowest jobs start early, the pool ends evenly
    due.sort(key=lambda job: not job.charts)
    for written, unchanged in spread(_make_run, due, workers, cost=8):
        w.written += written
        w.unchanged += unchanged
    w.prune()
    w.put(MANIFEST, json.dumps({"version": MANIFEST_VERSION, "runs": fresh}, indent=0,
                               sort_keys=True) + "\n")
    w.put(VERDICTS, json.dumps({"version": MANIFEST_VERSION, "verdicts": cache.used},
                               separators=(",", ":"), sort_keys=True) + "\n")
    return Published(site, len(series), len(runs), tuple(w.written), w.unchanged,
                     cache.computed)
