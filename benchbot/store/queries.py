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
from benchbot.store.records import CaseResult, RunRecord


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
    return Entry(record.run_id, case,
                 str((record.devices.get(case.device) or {}).get("label") or ""))


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


def runs_with_models(paths: Sequence[Path], models: Iterable[str],
                     warn: Warn = ignore) -> list[RunRecord] | None:
    """The runs holding a successful case of any of ``models`` (by name, path or sha256
    prefix, as :func:`benchbot.compare.history.model_matches`), oldest file first."""
    found = indexes(paths, warn)
    if found is None:
        return None
    names = list(models)
    records = []
    try:
        for folder, index in zip(paths, found):
            files: dict[str, None] = {}
            for row in index.rows("status = 'ok'", order="file, position"):
                if any(m in (row.model_name, row.model_path) or (
                        len(m) >= 8 and row.model_sha256.startswith(m.lower())) for m in names):
                    files.setdefault(row.file, None)
            records += [load_run(folder / name) for name in files]
    finally:
        for ix in found:
            ix.close()
    return records
