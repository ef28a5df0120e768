"""`benchbot history --model M`: a PNG of one model's latency over runs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.markup import escape

from benchbot.cli.console import emit, err, warn
from benchbot.verdicts.history import (HistoryPoint, HistorySeries, history_series,
                                       started_at_of)
from benchbot.store.casekey import CaseKey
from benchbot.errors import ConfigError, UserError
from benchbot.report.plots import history_png
from benchbot.store.entries import Filters
from benchbot.store import RunRecord, load_run, write_atomic
from benchbot.store.files import load_run_files
from benchbot.store.queries import from_index_or_files, indexes, run_files
from benchbot.sweep.axes import PRECISIONS

X_AXES = ("time", "run", "commit")


def _indexed_series(folders: list[Path], model: str, filters: Filters,
                    said: Callable[[str], None] = warn) -> list[HistorySeries] | None:
    """:func:`history_series` from the results index's statistics (no run file read)."""
    found = indexes(folders, said)
    if found is None:
        return None
    grouped: dict[CaseKey, list[tuple[tuple[object, ...], HistoryPoint]]] = {}
    try:
        for rank, index in enumerate(found):
            for row in index.rows("status = 'ok'"):
                if not (filters.threads in (None, row.threads)
                        and filters.batch in (None, row.batch)
                        and filters.precision in (None, row.precision)
                        and filters.device in (None, row.device)):
                    continue
                if not (model in (row.model_name, row.model_path) or (
                        len(model) >= 8 and row.model_sha256.startswith(model.lower()))):
                    continue
                key = CaseKey.of_row(row)
                started = datetime.fromisoformat(row.started_at)
                point = (HistoryPoint(row.run_id, started, row.median_ms, row.ci95_low_ms,
                                      row.ci95_high_ms, "median") if row.median_ms is not None
                         else HistoryPoint(row.run_id, started, row.mean_ms, None, None, "mean"))
                grouped.setdefault(key, []).append(
                    ((row.started_at, rank, row.file, row.position), point))
    finally:
        for ix in found:
            ix.close()
    firsts = sorted(grouped, key=lambda k: min(o for o, _ in grouped[k]))
    return [HistorySeries(k, tuple(p for _, p in sorted(grouped[k], key=lambda t: t[0])))
            for k in firsts]


Chosen = tuple[list[HistorySeries], list[RunRecord]]  # the series, the runs read for them


def _indexed(folders: list[Path], model: str, filters: Filters,
             said: Callable[[str], None]) -> Chosen | None:
    series = _indexed_series(folders, model, filters, said)
    return (series, []) if series else None


def _commits(series: list[HistorySeries], records: list[RunRecord], files: list[Path]
             ) -> dict[str, str]:
    """Run id -> its git commit (8 digits), from the runs shown (read now if the index chose
    them)."""
    if not records:
        shown = {p.run_id for s in series for p in s.points}
        records = [load_run(f) for f in files if f.stem in shown]
    return {r.run_id: r.git.commit[:8] for r in records if r.git is not None}


def _points_json(series: list[HistorySeries], commits: dict[str, str]) -> str:
    return json.dumps([{"configuration": s.label, "points": [
        {"run_id": p.run_id, "started_at": p.started_at.isoformat(),
         "commit": commits.get(p.run_id), "statistic": p.statistic, "value_ms": p.value_ms,
         "ci95_low_ms": p.low_ms, "ci95_high_ms": p.high_ms} for p in s.points]}
        for s in series], indent=1) + "\n"


def _series_from_files(folders: list[Path], model: str, filters: Filters
                       ) -> Chosen:
    """:func:`history_series` from every run file (a broken run: skipped, with a warning),
    and those runs."""
    loaded = load_run_files(folders, warn)
    for f, record in loaded:
        started_at_of(record, f)  # a malformed time: one line naming the file
    records = [record for _, record in loaded]
    return history_series(records, model, filters), records


def history_command(
    model: str = typer.Option(..., "--model", "-m",
                              help="Model name as in the grids (e.g. mobilenet_v2), its path, "
                                   "or its sha256 (8+ characters)."),
    device: Optional[str] = typer.Option(None, "--device", "-d", help="Only this device."),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", help="Only this thread count."),
    batch: Optional[int] = typer.Option(None, "--batch", "-b", help="Only this batch size."),
    precision: Optional[str] = typer.Option(None, help="Only this precision."),
    results: Optional[list[Path]] = typer.Option(
        None, "--results", "-r",
        help="Results folder(s) or run file(s); repeatable. (default: results)"),
    x: str = typer.Option(X_AXES[0], "--x", help="The x axis: time (run start), run (runs in "
                                                "order) or commit (each run's git commit)."),
    out: Path = typer.Option(Path("history.png"), "--out", "-o", help="PNG file to write."),
    as_json: bool = typer.Option(False, "--json", help="Print the points (run, commit, "
                                 "median, CI) as JSON on stdout; the PNG is written too."),
) -> None:
    """Plot a model's median latency, with its 95% CI band, over runs.

    One line per configuration that matches the filters.

    Examples:

      benchbot history --model mobilenet_v2 --device sd855 --out history.png

      benchbot history -m tiny_conv --x commit -t 1

      benchbot history -m tiny_conv --json | jq '.[0].points'
    """
    if x not in X_AXES:
        raise ConfigError(f"--x: {x!r} is not one of {', '.join(X_AXES)}")
    if precision is not None and precision not in PRECISIONS:
        raise ConfigError(f"--precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
    if (threads is not None and threads < 1) or (batch is not None and batch < 1):
        raise ConfigError("--threads and --batch must be positive integers")
    folders = list(results or [Path("results")])
    files = run_files(folders)
    if out.is_dir():
        raise UserError(f"--out {out} is a folder: name a PNG file in it, e.g. "
                        f"--out {out / 'history.png'}")
    filters = Filters(threads=threads, batch=batch, precision=precision, device=device)
    # a file the index could not read (strict): the run files say why
    series, records = from_index_or_files(
        lambda said: _indexed(folders, model, filters, said),
        lambda: _series_from_files(folders, model, filters), warn, strict=True).value
    if not series:
        raise UserError(f"no successful measurement of model {model!r} matches in "
                        f"{', '.join(map(str, folders))}: check the name with `benchbot report` "
                        "or drop a filter")
    commits = _commits(series, records, files) if x == "commit" or as_json else {}
    write_atomic(out, history_png(series, model + (f" on {device}" if device else ""), x,
                                  commits))
    if as_json:
        emit(_points_json(series, commits), None)
    points = sum(len(s.points) for s in series)
    err.print(f"wrote {escape(str(out))}: {len(series)} configuration(s), {points} point(s)")
    if all(len(s.points) < 2 for s in series):
        err.print("[yellow]warning:[/] only one run per configuration: run the benchmark "
                  "again later to see a trend")
