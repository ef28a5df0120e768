"""Writing the site: the results index in, only the files that changed out.

Every file is made in memory and written only when its bytes differ from what SITE holds
(a file left as it is keeps its mtime and inode: a static host or an rsync sees what
changed). Every run has its raw files linked or copied, and its data file
(``data/runs/RUN_ID.js``, drawn by ``run.html``). Its report page (``runs/RUN_ID.html``,
today's ``report --format html``: the one part of a publish that reads a run file whole)
is made for the newest ``run_reports`` runs and kept for every run that had one, so a
site published each night has every night's report while a first publish of a long
history makes only the newest. A run's files are remade only when its run file changed
since the last publish (``.benchbot-site.json`` keeps each run file's size and mtime,
and the runs' order: the data of the runs before the first new or changed one is kept
as it is). A report page made while its run is among the newest ``run_charts`` has the
report's charts too (drawing them is most of a page's cost). Verdicts already computed
are kept by their inputs (``.benchbot-verdicts.json``). The charting library (plotly.js,
from the ``plotly`` package: ``pip install 'benchbot[publish]'``) is copied into
``assets/`` with its licence.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path
from typing import Any, Callable

from benchbot._version import __version__
from benchbot.errors import UserError
from benchbot.report.site.history import (RunInfo, Series, VerdictCache, ab_marks,
                                          build_series, run_infos)
from benchbot.report.site.pages import (PAGES, PLOTLY, RunFiles, catalog_js, page_html,
                                        run_js, run_nav, runs_cases, series_js)
from benchbot.report.site.workers import default_workers, spread
from benchbot.store import load_run
from benchbot.store.entries import entries_of
from benchbot.store.index import DISABLE_ENV, open_index

MANIFEST = ".benchbot-site.json"
VERDICTS = ".benchbot-verdicts.json"  # the verdicts computed, by their inputs
MANIFEST_VERSION = 2
RUN_REPORTS = 100  # the newest runs whose report pages a publish makes (if missing)
RUN_CHARTS = 5  # the newest runs whose report pages get the report's charts
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
        self.folders: set[Path] = set()  # made (or found) by this writer

    def _folder(self, folder: Path) -> None:
        if folder not in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)

    def put(self, rel: str, data: str | bytes) -> None:
        """Write ``rel`` unless it already holds exactly ``data``: a new file directly (never
        through a link), a changed one through a temporary file renamed over it (a reader
        sees the old bytes or the new)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self.made.add(rel)
        path = self.site / rel
        try:
            if path.stat().st_size == len(raw) and path.read_bytes() == raw:
                self.unchanged += 1
                return
            new = False
        except FileNotFoundError:
            new = True
        except OSError:
            new = False
        self._folder(path.parent)
        if new:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            except FileExistsError:  # made meanwhile: replaced below
                pass
            else:
                with os.fdopen(fd, "wb") as f:
                    os.fchmod(fd, 0o644)  # a static host serves it, whatever the umask
                    f.write(raw)
                self.written.append(rel)
                return
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

    def copy(self, rel: str, source: Path) -> None:
        """The file ``source`` as ``rel``: a hard link to it where both lie on one file system
        and it is a plain file anyone may read (a results file is replaced when saved, never
        rewritten, so the link keeps what was published), else a copy of its bytes."""
        path = self.site / rel
        try:
            st = os.lstat(source)
        except FileNotFoundError:
            raise UserError(f"{source} went away while publishing: publish again") from None
        try:
            old = os.lstat(path)
        except FileNotFoundError:
            old = None
        if old is not None and (old.st_ino, old.st_dev) == (st.st_ino, st.st_dev):
            self.made.add(rel)
            self.unchanged += 1
            return
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o044 == 0o044:
            self._folder(path.parent)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.link")
            try:
                os.link(source, temporary, follow_symlinks=False)
                os.replace(temporary, path)
            except OSError:  # another file system, or links not allowed: copied below
                temporary.unlink(missing_ok=True)
            else:
                self.made.add(rel)
                self.written.append(rel)
                return
        self.put(rel, source.read_bytes())

    def keep(self, rel: str) -> None:
        """``rel`` is still part of the site, as it is."""
        self.made.add(rel)
        self.unchanged += 1

    def prune(self) -> None:
        """Remove files of the site's own folders that this publish did not make."""
        for folder in OWNED:
            for top, dirs, names in os.walk(self.site / folder, topdown=False):
                rel_top = Path(top).relative_to(self.site).as_posix()
                for name in names:
                    if f"{rel_top}/{name}" not in self.made:
                        os.unlink(os.path.join(top, name))
                for name in dirs:
                    try:
                        os.rmdir(os.path.join(top, name))  # only when left empty
                    except OSError:
                        pass


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
class _RunJob:
    """What one run's raw copies and report page are made from (in a worker process,
    maybe); ``page`` None: no report page."""

    site: Path
    results: Path
    run: RunInfo
    files: RunFiles
    page: str | None
    copies: tuple[str, ...]
    charts: bool


def _raw_copies(results: Path, run: RunInfo) -> list[str]:
    """The site's copies of a run's files: its results file, its journal, its tools' logs."""
    stem = run.file[:-5]
    copies = [f"raw/{run.file}"]
    journal = results / f"{stem}.cases.jsonl"
    if journal.is_file():
        copies.append(f"raw/{journal.name}")
    logs = results / f"{stem}.logs"
    if logs.is_dir():
        copies += [f"raw/{p.relative_to(results).as_posix()}" for p in sorted(logs.rglob("*"))
                   if p.is_file()]
    return copies


def _plan_run(w: _Writer, results: Path, run: RunInfo, previous: RunInfo | None,
              manifest: dict[str, Any], fresh: dict[str, Any], charts: bool, newest: bool
              ) -> tuple[RunFiles, _RunJob | None]:
    """A run's raw copies and, when it is among the newest or had one, its report page:
    kept as they are when the run file has not changed since they were made, else what to
    make them from."""
    copies = _raw_copies(results, run)
    page = f"runs/{run.run_id}.html"
    state = [_signature(results, run.file), previous.run_id if previous else None, copies]
    known = manifest.get(run.file)
    known = known if isinstance(known, list) and len(known) == 5 else None
    report = newest or bool(known and known[4])
    files = RunFiles(copies[0], tuple(r for r in copies if r.startswith(f"raw/{run.file[:-5]}"
                                                                          ".logs/")),
                     report, previous.run_id if previous else None)
    made = [page, *copies] if report else copies
    if known is not None and known[:3] == state and known[4] == report and \
            all((w.site / r).is_file() for r in made):
        fresh[run.file] = known  # as it was made, charts or not
        for rel in made:
            w.keep(rel)
        return files, None
    w.made.update(made)
    fresh[run.file] = [*state, charts and report, report]
    return files, _RunJob(w.site, results, run, files, page if report else None,
                          tuple(copies), charts and report)


@dataclass(frozen=True)
class _DataFile:
    """One data file of the site, the text ``make(*args)`` (in a worker process, maybe)."""

    site: Path
    rel: str
    make: Callable[..., str]
    args: tuple[Any, ...]


def _make(job: _RunJob | _DataFile) -> tuple[list[str], int]:
    """Write a job's files; the files written and those left as they were."""
    if isinstance(job, _RunJob):
        return _make_run(job)
    w = _Writer(job.site)
    w.put(job.rel, job.make(*job.args))
    return w.written, w.unchanged


def _make_run(job: _RunJob) -> tuple[list[str], int]:
    """Write one run's raw copies and report page."""
    w = _Writer(job.site)
    run = job.run
    for rel in job.copies:
        w.copy(rel, job.results / rel[len("raw/"):])
    if job.page is None:
        return w.written, w.unchanged
    from benchbot.report.html import html_report  # the charts' code: only when a page is due

    record = load_run(job.results / run.file)
    nav = run_nav(run, job.files)
    text = html_report([record], list(entries_of(record)), title=f"benchbot run {run.run_id}",
                       draw_charts=job.charts)
    w.put(job.page, text.replace("<body>\n", "<body>\n" + nav, 1))
    return w.written, w.unchanged


def _read_state(site: Path, name: str) -> dict[str, Any]:
    """One of the site's own state files ({} when missing, foreign, or written by another
    version of benchbot: its verdicts may differ)."""
    try:
        doc = json.loads((site / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("version") != MANIFEST_VERSION or \
            doc.get("benchbot") != __version__:
        return {}
    return doc


def _field(doc: dict[str, Any], field: str, kind: type) -> Any:
    got = doc.get(field)
    return got if isinstance(got, kind) else kind()


def _state(**fields: Any) -> str:
    """A state file's text (keys sorted: the same state, the same bytes)."""
    return json.dumps({"version": MANIFEST_VERSION, "benchbot": __version__, **fields},
                      separators=(",", ":"), sort_keys=True) + "\n"


def _history(results: Path, site: Path, warn: Callable[[str], None], workers: int
             ) -> tuple[list[RunInfo], list[Series], VerdictCache]:
    """The runs and series of the results folder, from its index, with their verdicts (those
    of the last publish reused) and A/B marks."""
    index = open_index(results, warn)
    if index is None:
        raise UserError(f"cannot open the results index of {results}: make the folder "
                        "writable (the index is results/index.sqlite), then publish again")
    cache = VerdictCache(_field(_read_state(site, VERDICTS), "verdicts", dict))
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
                 run_charts: int = RUN_CHARTS, workers: int | None = None,
                 run_reports: int = RUN_REPORTS) -> Published:
    """Publish every run of the ``results`` folder (through its index) into ``site``; the
    newest ``run_reports`` runs get a report page (kept for a run that had one), those of
    the newest ``run_charts``, when made, with the report's charts. Verdicts and run pages
    are made over ``workers`` processes (default: one per core)."""
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
    state = _read_state(site, MANIFEST)
    manifest, order = _field(state, "runs", dict), _field(state, "order", list)
    fresh: dict[str, Any] = {}
    previous, due, files, settled = None, [], {}, 0
    for i, run in enumerate(runs):
        files[run.run_id], job = _plan_run(w, results, run, previous, manifest, fresh,
                                           charts=i >= len(runs) - run_charts,
                                           newest=i >= len(runs) - run_reports)
        if job is not None:
            due.append(job)
        elif settled == i and i < len(order) and order[i] == run.file:
            settled += 1  # it, and every run before it, as the last publish had them
        if not run.is_ab:
            previous = run
    reports = frozenset(run for run, f in files.items() if f.report)
    w.put("data/catalog.js", catalog_js(series, runs, nightly, reports))
    # the pages with charts first, then the other reports: the slowest jobs start early, the
    # pool ends evenly
    due.sort(key=lambda job: (not job.charts, job.page is None))
    data: list[_RunJob | _DataFile] = [
        _DataFile(site, f"data/series/{s.id}.js", series_js, (s,)) for s in series]
    # a run's data depends on its own file and on the runs before it (its verdicts, against
    # its series' previous runs): those of the settled runs are as they were
    settled = next((i for i, run in enumerate(runs[:settled])
                    if not (site / f"data/runs/{run.run_id}.js").is_file()), settled)
    for run in runs[:settled]:
        w.keep(f"data/runs/{run.run_id}.js")
    for run_id, cases in runs_cases(series, [r.run_id for r in runs[settled:]]).items():
        data.append(_DataFile(site, f"data/runs/{run_id}.js", run_js,
                              (run_id, files[run_id], cases)))
    w.made.update(job.rel for job in data if isinstance(job, _DataFile))
    for written, unchanged in spread(_make, [*due, *data], workers, cost=8):
        w.written += written
        w.unchanged += unchanged
    w.prune()
    w.put(MANIFEST, _state(runs=fresh, order=[run.file for run in runs]))
    w.put(VERDICTS, _state(verdicts=cache.used))
    return Published(site, len(series), len(runs), tuple(w.written), w.unchanged,
                     cache.computed)
