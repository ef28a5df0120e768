"""Answers the reports need, from the results index where it can serve them.

Each function gives what its JSON-only counterpart gives on the same runs (a test
holds them to it): the index picks the cases, and the cases themselves (samples,
cards, findings) are read from the run files that hold them, and only those. Where
the index cannot serve (disabled, a run file named directly, a folder that cannot
hold it) the functions return None and the caller reads every file as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Generic, Iterable, Sequence, TypeVar

from benchbot.errors import UserError
from benchbot.store.entries import Entry, Filters, labelled, latest_entries
from benchbot.store.files import find_run_files, load_run, load_runs
from benchbot.store.index import ResultsIndex, Row, Warn, ignore, open_index
from benchbot.stats import Summary
from benchbot.store.records import CaseConfig, CaseResult, ModelRef, RunRecord


T = TypeVar("T")


def run_files(paths: Sequence[Path]) -> list[Path]:
    """The run files of ``paths`` (folders or files); a UserError with the fix when none."""
    files = find_run_files(list(paths))
    if not files:
        raise UserError(f"no results in {', '.join(map(str, paths))}: run `benchbot run` "
                        "first, or point --results at a folder of runs")
    return files


@dataclass(frozen=True)
class Chosen(Generic[T]):
    """What a query chose, and whether the results index chose it (no run file scanned)."""

    value: T
    indexed: bool


def from_index_or_files(from_index: Callable[[Warn], T | None], from_files: Callable[[], T],
                        warn: Warn = ignore, *, use_index: bool = True,
                        strict: bool = False) -> Chosen[T]:
    """Ask the results index first, and read the run files when it cannot answer: disabled,
    a file named directly, nothing indexed (None or empty); ``strict``: also when it said
    anything (a file it skipped: the run files say why, once). What the index said is
    passed on to ``warn`` only when its answer is used. ``report`` and ``history`` choose
    their cases so."""
    said: list[str] = []
    value = from_index(said.append) if use_index else None
    if not value or (strict and said):
        return Chosen(from_files(), False)
    for message in said:
        warn(message)
    return Chosen(value, True)


@dataclass(frozen=True)
class Selection:
    """The cases a report shows and the runs read for them."""

    entries: list[Entry]
    records: list[RunRecord]  # every run of ``paths``, or (indexed) those holding the cases
    indexed: bool

    @property
    def provenance(self) -> list[RunRecord]:
        """The runs of the cases shown."""
        shown = {e.run_id for e in self.entries}
        return [r for r in self.records if r.run_id in shown]


def select_entries(paths: Sequence[Path], filters: Filters = Filters(), warn: Warn = ignore,
                   *, use_index: bool = True) -> Selection:
    """The latest case of each configuration in ``paths`` that ``filters`` keeps, from the
    results index where it can serve (only the runs holding those cases are then read),
    else from every run file (a broken run in a folder is skipped with a warning)."""
    files = run_files(paths)

    def indexed(said: Warn) -> Selection | None:
        found = _latest_indexed(paths, filters, said)
        if not found or not found[0]:
            return None
        entries, runs = found  # only the runs that hold the chosen cases were read
        return Selection(entries, [runs[f] for f in files if f in runs], True)

    def every_run() -> Selection:
        records = load_runs(list(paths), warn)
        return Selection(latest_entries(records, filters), records, False)

    return from_index_or_files(indexed, every_run, warn, use_index=use_index).value


def _filters(f: Filters) -> dict[str, object]:
    return {"threads": f.threads, "batch": f.batch, "precision": f.precision,
            "device": f.device}


def indexes(paths: Sequence[Path], warn: Warn = ignore) -> list[ResultsIndex] | None:
    """One caught-up index per results folder; None unless every path is a folder that
    can hold one."""
    if not paths or not all(p.is_dir() for p in paths):
        return None
    found = []
    for p in paths:
        index = open_index(p, warn)
        if index is None:
            for ix in found:
                ix.close()
            return None
        found.append(index)
    return found


def cases_of(folder: Path, rows: Iterable[Row]) -> dict[tuple[str, int], tuple[RunRecord,
                                                                             CaseResult]]:
    """(file, position) -> the run and its case, read from the JSON of those runs only."""
    wanted: dict[str, set[int]] = {}
    for r in rows:
        wanted.setdefault(r.file, set()).add(r.position)
    got = {}
    for name, positions in wanted.items():
        record = load_run(folder / name)
        for i in positions:
            got[(name, i)] = (record, record.cases[i])
    return got


def entry_of(record: RunRecord, case: CaseResult) -> Entry:
    return Entry(record.run_id, case, record.label_of(case.device))


def latest_entries_indexed(paths: Sequence[Path], filters: Filters = Filters(),
                           warn: Warn = ignore) -> list[Entry] | None:
    """:func:`benchbot.store.entries.latest_entries` over the runs in ``paths``."""
    found = _latest_indexed(paths, filters, warn)
    return None if found is None else found[0]


def _latest_indexed(paths: Sequence[Path], filters: Filters, warn: Warn
                    ) -> tuple[list[Entry], dict[Path, RunRecord]] | None:
    """:func:`latest_entries_indexed`, with the runs read for them (by file)."""
    found = indexes(paths, warn)
    if found is None:
        return None
    chosen: dict[tuple[object, ...], tuple[tuple[object, ...], Path, Row]] = {}
    try:
        for rank, (folder, index) in enumerate(zip(paths, found)):
            for row in index.latest_rows(_filters(filters)):
                key = tuple(getattr(row, c) for c in
                            ("model_path", "device", "runtime", "backend", "runner", "threads",
                             "batch", "precision", "int8_mode"))
                order = (row.started_at, rank, row.file, row.position)
                if key not in chosen or chosen[key][0] < order:
                    chosen[key] = (order, folder, row)
    finally:
        for ix in found:
            ix.close()
    picked = sorted(chosen.values(), key=lambda t: t[0])
    entries = []
    by_folder: dict[Path, list[Row]] = {}
    for _, folder, row in picked:
        by_folder.setdefault(folder, []).append(row)
    loaded = {folder: cases_of(folder, rows) for folder, rows in by_folder.items()}
    for _, folder, row in picked:
        entries.append(entry_of(*loaded[folder][(row.file, row.position)]))
    runs = {folder / name: record for folder, got in loaded.items()
            for (name, _), (record, _) in got.items()}
    return labelled(entries), runs


def _thin_case(row: Row, configs: dict[tuple[object, ...], CaseConfig]) -> CaseResult:
    """A case with what a history plot reads: its configuration and central statistics."""
    stats = Summary(n=row.n or 0, mean_ms=row.mean_ms if row.mean_ms is not None else 0.0,
                    median_ms=row.median_ms, p90_ms=row.p90_ms, p99_ms=None, std_ms=None,
                    min_ms=None, max_ms=None, mad_ms=None, ci95_low_ms=row.ci95_low_ms,
                    ci95_high_ms=row.ci95_high_ms)
    key = (row.model_path, row.model_sha256, row.model_name, row.device, row.runtime,
           row.threads, row.batch, row.precision, row.backend, row.runner, row.int8_mode)
    config = configs.get(key)
    if config is None:  # one value per configuration, shared by its cases
        config = configs[key] = CaseConfig(
            model=ModelRef(path=row.model_path, sha256=row.model_sha256, size_bytes=0,
                           abs_path=row.model_path, name=row.model_name),
            device=row.device, runtime=row.runtime, threads=row.threads, batch=row.batch,
            precision=row.precision, backend=row.backend, runner=row.runner,
            int8_mode=row.int8_mode)
    return CaseResult(id=row.case_id, config=config, status="ok", stats=stats)


def history_records(paths: Sequence[Path], models: Iterable[str],
                    warn: Warn = ignore) -> list[RunRecord] | None:
    """For :func:`benchbot.verdicts.history.history_series` of ``models`` (names, paths or
    sha256 prefixes): the runs with a successful case of one of them, from the index alone.
    These records are thin: their cases carry the configuration and the central statistics
    (median, mean, CI), no samples, and the runs no header beyond id and start time."""
    found = indexes(paths, warn)
    if found is None:
        return None
    names = sorted(set(models))
    marks = ", ".join("?" * len(names))
    where = [f"model_name IN ({marks})", f"model_path IN ({marks})"]
    params: list[object] = [*names, *names]
    for m in names:
        if len(m) >= 8:
            where.append("substr(model_sha256, 1, ?) = ?")
            params += [len(m), m.lower()]
    records = []
    configs: dict[tuple[object, ...], CaseConfig] = {}
    try:
        for index in found:
            by_file: dict[str, list[Row]] = {}
            for row in index.rows(f"status = 'ok' AND ({' OR '.join(where)})", params,
                                  order="file, position"):
                by_file.setdefault(row.file, []).append(row)
            records += [RunRecord(run_id=rows[0].run_id, started_at=rows[0].started_at,
                                  command=(), benchbot_version="", host={}, devices={},
                                  settings={}, planned_cases=len(rows),
                                  cases=tuple(_thin_case(r, configs) for r in rows))
                        for rows in by_file.values()]
    finally:
        for ix in found:
            ix.close()
    return records
