"""Answers the reports need, from the results index where it can serve them.

Each function gives what its JSON-only counterpart gives on the same runs (a test
holds them to it): the index picks the cases, and the cases themselves (samples,
cards, findings) are read from the run files that hold them, and only those. Where
the index cannot serve (disabled, a run file named directly, a folder that cannot
hold it) the functions return None and the caller reads every file as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from benchbot.store.entries import Entry, Filters, labelled
from benchbot.store.files import load_run
from benchbot.store.index import ResultsIndex, Row, Warn, ignore, open_index
from benchbot.stats import Summary
from benchbot.store.records import CaseConfig, CaseResult, ModelRef, RunRecord


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
    return labelled(entries)


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
