"""Named baselines and the sides of `benchbot compare`: reading the runs that compare/ judges.

A named baseline is a pointer, not a copy: ``<results>/baselines/NAME.json``
holds the run id and the path of the run file (relative to the results
folder when the run lives there, else absolute). Pointers keep one copy of
every measurement, so `report` and `history` never count a run twice, and
re-pointing a baseline is a cheap atomic rewrite. The cost: deleting the run
file breaks the baseline, which then says how to set it again.

A side of a comparison is given as:

- a path to a run's results file (``results/20250101T...json``);
- a run id (the file name without ``.json``, or a unique prefix of it) found
  in the results folder, or ``latest`` for the most recently started run;
- ``baseline:NAME``, a named baseline;
- ``rolling:N``, the rolling baseline over the last N runs (see
  :mod:`benchbot.verdicts.sides`), taken from runs started before the other
  side, and only for the configurations the other side measured.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet

from benchbot.store.casekey import CaseKey
from benchbot.verdicts.sides import Side, rolling_baseline, side_of_run
from benchbot.errors import UserError
from benchbot.store import RunRecord, find_run_files, load_run, load_runs, utc_now, write_atomic
from benchbot.store.files import load_run_files
from benchbot.store.index import Row, Warn, ignore, open_index
from benchbot.store.queries import cases_of, entry_of

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
POINTER_VERSION = 1
SPEC_HELP = "a results file, a run id, latest, baseline:NAME or rolling:N"


@dataclass(frozen=True)
class BaselinePointer:
    name: str
    run_id: str
    path: str  # the run file, relative to the results folder when inside it
    set_at: str


def baselines_dir(results: Path) -> Path:
    return results / "baselines"


def _runs_in(results: Path) -> list[Path]:
    if not results.is_dir():
        raise UserError(f"no results folder at {results}: run `benchbot run` first, or point "
                        "--results at a folder of runs")
    return find_run_files([results])


def find_run(results: Path, spec: str, warn: Warn = ignore) -> Path:
    """The run file a path, run id, unique run id prefix or ``latest`` names (a broken
    run is never the latest: skipped, with a ``warn``)."""
    path = Path(spec)
    if path.suffix == ".json" or path.is_file():
        if not path.is_file():
            raise UserError(f"results file not found: {path}")
        return path
    files = _runs_in(results)
    if spec == "latest":
        if not files:
            raise UserError(f"no runs in {results}: run `benchbot run` first")
        index = open_index(results, warn)
        if index is not None:  # start times from the index: no run file read
            try:
                name = index.latest_file()
            finally:
                index.close()
            if name is not None:
                return results / name
        return max(load_run_files([results], warn),
                   key=lambda fr: (fr[1].started_at, fr[0].name))[0]
    found = [f for f in files if f.stem == spec] or [f for f in files if f.stem.startswith(spec)]
    if len(found) > 1:
        raise UserError(f"run id {spec!r} is ambiguous in {results} ("
                        f"{', '.join(f.stem for f in found[:4])}...): give more of it")
    if not found:
        raise UserError(f"no run {spec!r} in {results}: give a results file, a run id (a "
                        "file name there without .json), latest, baseline:NAME or rolling:N")
    return found[0]


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UserError(f"baseline name {name!r}: use letters, digits, '.', '_' or '-' "
                        "(up to 64), e.g. nightly or release-1.2")
    return name


def set_baseline(results: Path, run: str, name: str) -> BaselinePointer:
    """Point the baseline NAME at a run (replacing what it pointed at)."""
    _check_name(name)
    path = find_run(results, run)
    record = load_run(path)
    try:
        stored = str(path.resolve().relative_to(results.resolve()))
    except ValueError:  # a run kept outside the results folder
        stored = str(path.resolve())
    pointer = BaselinePointer(name, record.run_id, stored, utc_now())
    doc = {"baseline_version": POINTER_VERSION, "name": name, "run_id": record.run_id,
           "path": stored, "set_at": pointer.set_at}
    write_atomic(baselines_dir(results) / f"{name}.json", json.dumps(doc, indent=1) + "\n")
    return pointer


def _read_pointer(file: Path) -> BaselinePointer:
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
        if doc.get("baseline_version", 0) > POINTER_VERSION:
            raise UserError(f"{file}: written by a newer benchbot; upgrade benchbot to read it")
        return BaselinePointer(doc["name"], doc["run_id"], doc["path"], doc.get("set_at", ""))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        raise UserError(f"{file}: not a baseline pointer; delete it, or set it again with "
                        f"`benchbot baseline set RUN --name {file.stem}`") from None


def list_baselines(results: Path) -> list[BaselinePointer]:
    folder = baselines_dir(results)
    if not folder.is_dir():
        return []
    return [_read_pointer(f) for f in sorted(folder.glob("*.json"))
            if not f.name.startswith(".")]


def load_baseline(results: Path, name: str) -> RunRecord:
    """The run a named baseline points at."""
    file = baselines_dir(results) / f"{_check_name(name)}.json"
    if not file.is_file():
        known = ", ".join(p.name for p in list_baselines(results)) or "none yet"
        raise UserError(f"no baseline {name!r} in {results} (known: {known}): set it with "
                        f"`benchbot baseline set RUN --name {name}`")
    pointer = _read_pointer(file)
    path = Path(pointer.path)
    path = path if path.is_absolute() else results / path
    if not path.is_file():  # moved: look the run up by its id
        path = results / f"{pointer.run_id}.json"
    if not path.is_file():
        raise UserError(f"baseline {name!r} points at run {pointer.run_id}, which is no longer "
                        f"in {results}: set it again with `benchbot baseline set RUN --name "
                        f"{name}`")
    return load_run(path)


def _row_key(row: Row) -> CaseKey:
    return CaseKey.of_row(row)


def _rolling_side(results: Path, runs: int, before: str | None, exclude: AbstractSet[str],
                  only: AbstractSet[CaseKey] | None, warn: Warn) -> Side | None:
    """:func:`rolling_baseline`'s choice made on the results index's statistics; only the
    runs holding the chosen cases are read. None without an index."""
    _runs_in(results)
    index = open_index(results, warn)
    if index is None:
        return None
    history: dict[CaseKey, list[Row]] = {}
    try:
        for row in index.recent_ok_rows(runs, before, exclude):
            key = _row_key(row)
            if only is None or key in only:
                history.setdefault(key, []).append(row)
    finally:
        index.close()
    picked = []
    for recent in (h[-runs:] for h in history.values()):
        ranked = sorted(recent, key=lambda r: r.median_ms if r.median_ms is not None
                        else r.mean_ms)
        picked.append(ranked[(len(ranked) - 1) // 2])
    loaded = cases_of(results, picked)
    return Side(label=f"rolling median of the last {runs} runs",
                entries=tuple(entry_of(*loaded[(r.file, r.position)]) for r in picked))


def resolve_side(spec: str, results: Path, *, other: Side | None = None,
                 warn: Warn = ignore) -> Side:
    """The cases a side names (see the module docstring); ``other`` scopes rolling:N; a
    broken run in the folder is skipped with a ``warn``."""
    kind, _, arg = spec.partition(":")
    if kind == "baseline" and arg:
        record = load_baseline(results, arg)
        return side_of_run(record, f"baseline {arg} (run {record.run_id})")
    if kind == "rolling" and arg:
        if not arg.isdigit() or int(arg) < 1:
            raise UserError(f"{spec!r}: N in rolling:N must be a positive integer, e.g. "
                            "rolling:5")
        before = other.started_at if other else None
        exclude = set(other.run_ids) if other else frozenset()
        only = {CaseKey.of(e.case) for e in other.entries} if other else None
        side = _rolling_side(results, int(arg), before, exclude, only, warn)
        if side is None:
            _runs_in(results)
            records = load_runs([results], warn)
            side = rolling_baseline(records, int(arg), before=before, exclude_runs=exclude,
                                    only=only)
        if not side.entries:
            raise UserError(f"{spec}: no earlier successful runs of these configurations in "
                            f"{results}; compare against a run id, or measure a few first")
        return side
    return side_of_run(load_run(find_run(results, spec, warn)))
