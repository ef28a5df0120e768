"""The site's data: every configuration's series of runs, read from the results index, and
the verdict of each run against the previous run of its series.

Verdicts are :func:`benchbot.verdicts.compare`'s, computed here at publish time from what
the index keeps of each case (median, the run's own CI, its processes), exactly as
``benchbot compare PREVIOUS RUN`` decides cases measured in two or more processes, with
compare's assumed spread between runs (``--session-spread`` of a device with too few runs):
a verdict depends on its two runs only, so it never changes when later runs arrive. A case
measured in one process gets none (compare would need its samples: run it there).

A/B confirmations (``benchbot ab``, nightly's interleaved re-measure) are the A/B runs'
own verdicts (:func:`benchbot.verdicts.verdict.compare_pairs` over their processes, read
from those run files only), marked on the series of their B side.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from benchbot.verdicts import CompareSettings
from benchbot.verdicts.verdict import Comparison, compare_one, compare_pairs
from benchbot.report.site.ids import series_id
from benchbot.report.site.workers import spread
from benchbot.stats import Summary
from benchbot.store import CaseResult, RunRecord, load_run
from benchbot.store.casekey import CaseKey
from benchbot.store.entries import Entry
from benchbot.store.index import CONFIG_COLUMNS, ResultsIndex
from benchbot.store.records import CaseConfig, ModelRef

POINT_COLUMNS = ("run_id", "started_at", "git_commit", "median_ms", "mean_ms", "ci95_low_ms",
                 "ci95_high_ms", "run_ci95_low_ms", "run_ci95_high_ms", "n", "processes",
                 "valid", "model_name", "model_sha256", "device_label", "case_id", "file",
                 "status", "failure_kind")
Row = dict[str, Any]  # an index row: POINT_COLUMNS by name
#: what a verdict between two points is computed from (with the series' configuration)
KEY_FIELDS = ("run_id", "median_ms", "mean_ms", "run_ci95_low_ms", "run_ci95_high_ms",
              "processes", "n", "model_sha256")


@dataclass(frozen=True)
class Verdict:
    """A run against another: compare's verdict kind, its reason and the change."""

    kind: str
    reason: str
    change: float  # candidate / baseline - 1
    against: str  # the baseline's run id
    threshold: float  # the change that matters for this case (compare's --threshold)


@dataclass(frozen=True)
class Point:
    """One run of a series."""

    run_id: str
    started_at: str
    commit: str
    median_ms: float
    low_ms: float | None
    high_ms: float | None
    n: int
    processes: int
    valid: bool
    verdict: Verdict | None  # against the previous point


@dataclass(frozen=True)
class AbMark:
    """An A/B session's verdict on this series' model (its B side)."""

    run_id: str
    started_at: str
    commit: str
    median_ms: float
    verdict: Verdict


@dataclass(frozen=True)
class Failed:
    """A run in which the series' case failed (no point: nothing was measured)."""

    run_id: str
    started_at: str
    commit: str
    kind: str  # the failure's kind (benchbot.store.FAILURE_KINDS)


@dataclass(frozen=True)
class Series:
    id: str
    key: tuple[object, ...]  # CaseKey.configuration order
    model: str
    device_label: str
    points: tuple[Point, ...]
    ab: tuple[AbMark, ...] = ()
    failed: tuple[Failed, ...] = ()

    @property
    def failed_last(self) -> Failed | None:
        """The latest failure, where it is newer than the latest point."""
        if self.failed and self.failed[-1].started_at > self.points[-1].started_at:
            return self.failed[-1]
        return None

    def axis(self, name: str) -> object:
        return self.key[CONFIG_COLUMNS.index(name)]


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    started_at: str
    commit: str
    file: str
    host: str
    is_ab: bool
    cases: int
    ok: int


@lru_cache(maxsize=1024)
def _config(key: tuple[Any, ...], sha256: str, name: str) -> CaseConfig:
    """A series' configuration, with its model file's sha256 and name (one per model file
    that the series measured: made once)."""
    path, device, runtime, backend, runner, threads, batch, precision, int8 = key
    return CaseConfig(model=ModelRef(path=path, sha256=sha256, size_bytes=0, name=name),
                      device=device, runtime=runtime, threads=threads, batch=batch,
                      precision=precision, backend=backend, runner=runner, int8_mode=int8)


def _thin(key: tuple[Any, ...], row: Row, median: float) -> Entry:
    """An entry with what compare's across-process rule reads (no samples)."""
    stats = Summary(n=int(row["n"] or 0), mean_ms=float(row["mean_ms"] or median),
                    median_ms=median, p90_ms=None, p99_ms=None, std_ms=None, min_ms=None,
                    max_ms=None, mad_ms=None, ci95_low_ms=row["ci95_low_ms"],
                    ci95_high_ms=row["ci95_high_ms"], processes=int(row["processes"] or 1),
                    within_ci95_low_ms=row["run_ci95_low_ms"],
                    within_ci95_high_ms=row["run_ci95_high_ms"])
    return Entry(row["run_id"], CaseResult(id=row["case_id"], status="ok", stats=stats,
                                           config=_config(key, row["model_sha256"],
                                                          row["model_name"])))


def _verdict(c: Comparison, against: str) -> Verdict | None:
    if c.estimate is None:  # one process, or nothing comparable: no verdict from here
        return None
    return Verdict(str(c.verdict.kind), c.verdict.reason, c.estimate.ratio - 1.0, against,
                   c.threshold)


def verdict_between(before: Entry, after: Entry, settings: CompareSettings) -> Verdict | None:
    return _verdict(compare_one(before, after, settings), before.run_id)


def _rows(index: ResultsIndex) -> Iterator[tuple[tuple[Any, ...], Row]]:
    columns = (*CONFIG_COLUMNS, *POINT_COLUMNS)
    for values in index.select(columns, "is_ab = 0"):
        yield tuple(values[:len(CONFIG_COLUMNS)]), dict(zip(POINT_COLUMNS,
                                                            values[len(CONFIG_COLUMNS):]))


class VerdictCache:
    """Verdicts already computed, by what they were computed from (the two cases' figures):
    a republish computes only new points' (each takes a t quantile: milliseconds)."""

    def __init__(self, known: dict[str, list[Any] | None] | None = None) -> None:
        self.known = dict(known or {})
        self.used: dict[str, list[Any] | None] = {}
        self.computed = 0

    @staticmethod
    def figures(row: Row) -> str:
        """A case's figures that its verdicts are computed from, as text (repr: a float's
        shortest exact spelling)."""
        return " ".join(map(repr, map(row.__getitem__, KEY_FIELDS)))

    @staticmethod
    def key(sid: str, before: str, after: str) -> str:
        """A digest of the series and both cases' :meth:`figures`."""
        return hashlib.blake2b(f"{sid}|{before}|{after}".encode(), digest_size=10).hexdigest()

    def get(self, key: str) -> tuple[bool, Verdict | None]:
        if key not in self.known:
            return False, None
        value = self.known[key]
        self.used[key] = value
        return True, None if value is None else Verdict(*value)

    def put(self, key: str, verdict: Verdict | None) -> None:
        self.computed += 1
        self.used[key] = None if verdict is None else [
            verdict.kind, verdict.reason, verdict.change, verdict.against, verdict.threshold]


#: the most verdicts one task computes (a stretch of one series, each row read once)
STRETCH = 256


def _verdicts_along(item: tuple[tuple[Any, ...], Sequence[tuple[Row, float]], CompareSettings]
                    ) -> list[Verdict | None]:
    """Each point of a stretch of one series against the point before it."""
    key, rows, settings = item
    entries = [_thin(key, *row) for row in rows]
    return [verdict_between(a, b, settings) for a, b in zip(entries, entries[1:])]


def _stretches(indices: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Consecutive indices, as (first, last + 1) ranges of at most STRETCH."""
    start = 0
    for i in range(1, len(indices) + 1):
        if i == len(indices) or indices[i] != indices[i - 1] + 1 or i - start == STRETCH:
            yield indices[start], indices[i - 1] + 1
            start = i


def build_series(index: ResultsIndex, settings: CompareSettings = CompareSettings(),
                 cache: VerdictCache | None = None, workers: int = 1) -> list[Series]:
    """Every configuration's runs, oldest first, each point with its verdict against the
    previous one (from ``cache`` where it has it: a verdict depends on its two runs only;
    the others computed over ``workers`` processes)."""
    cache = cache or VerdictCache()
    grouped: dict[tuple[Any, ...], list[tuple[Row, float]]] = {}
    failed: dict[tuple[Any, ...], list[Failed]] = {}
    for key, row in _rows(index):
        if row["status"] != "ok":
            failed.setdefault(key, []).append(Failed(
                row["run_id"], row["started_at"], row["git_commit"] or "",
                row["failure_kind"] or "failed"))
            continue
        central = row["median_ms"] if row["median_ms"] is not None else row["mean_ms"]
        if central is not None:
            grouped.setdefault(key, []).append((row, float(central)))
    verdicts: dict[str, Verdict | None] = {}
    memos: dict[tuple[Any, ...], list[str]] = {}  # per series, its points' keys (from the 2nd)
    tasks, due = [], []  # stretches of points without a verdict, and their keys
    for key, rows in grouped.items():
        sid = series_id(key)
        figures = [cache.figures(row) for row, _ in rows]
        memos[key] = [cache.key(sid, previous, current)
                      for previous, current in zip(figures, figures[1:])]
        missing = []
        for i, memo in enumerate(memos[key], start=1):  # point i against point i - 1
            found, verdict = cache.get(memo)
            if found:
                verdicts[memo] = verdict
            else:
                missing.append(i)
        for first, end in _stretches(missing):
            tasks.append((key, rows[first - 1:end], settings))
            due.append(memos[key][first - 1:end - 1])
    for memo_list, got in zip(due, spread(_verdicts_along, tasks, workers, cost=STRETCH)):
        for memo, verdict in zip(memo_list, got):
            verdicts[memo] = verdict
            cache.put(memo, verdict)
    out = []
    for key, rows in grouped.items():  # a configuration never measured has no series
        sid = series_id(key)
        points: list[Point] = []
        for i, (row, central) in enumerate(rows):
            verdict = verdicts[memos[key][i - 1]] if i else None
            points.append(Point(str(row["run_id"]), str(row["started_at"]),
                                str(row["git_commit"] or ""), central,
                                row["ci95_low_ms"], row["ci95_high_ms"],
                                int(row["n"] or 0), int(row["processes"] or 1),
                                bool(row["valid"]), verdict))
        last = rows[-1][0]
        out.append(Series(sid, key, str(last["model_name"]), str(last["device_label"] or ""),
                          tuple(points), failed=tuple(failed.get(key, ()))))
    paths: dict[str, set[object]] = {}
    for s in out:
        paths.setdefault(s.model, set()).add(s.axis("model_path"))
    # two model files of one name (v1/net.onnx, v2/net.onnx): each by its path
    out = [dataclasses.replace(s, model=str(s.axis("model_path")))
           if len(paths[s.model]) > 1 else s for s in out]
    return sorted(out, key=lambda s: (s.model, str(s.axis("device")), str(s.axis("runtime")),
                                      s.axis("threads"), s.axis("batch"),
                                      str(s.axis("precision")), s.id))


def run_infos(index: ResultsIndex) -> list[RunInfo]:
    """Every indexed run, oldest first."""
    got = index.conn.execute(
        "SELECT run_id, min(started_at), coalesce(max(git_commit), ''), file, "
        "coalesce(max(host), ''), max(is_ab), count(*), sum(status = 'ok') FROM cases "
        "GROUP BY file ORDER BY min(started_at), file")
    return [RunInfo(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7] or 0) for r in got]


def _ab_pairs(record: RunRecord) -> Iterable[tuple[CaseResult, CaseResult]]:
    """A and B, as `benchbot ab` plans them: each A case followed by its B case (the same
    configuration but for the model), in the run's plan (its recorded order without one)."""
    by_id = {c.id: c for c in record.cases}
    ids = [p.id for p in record.plan] or [c.id for c in record.cases]
    for a, b in zip(ids[::2], ids[1::2]):
        if a in by_id and b in by_id and CaseKey.of(by_id[a]).axes == CaseKey.of(by_id[b]).axes:
            yield by_id[a], by_id[b]


def ab_marks(folder: Path, runs: Sequence[RunInfo],
             settings: CompareSettings = CompareSettings()) -> dict[str, list[AbMark]]:
    """Series id -> the A/B sessions' verdicts on it (reading the A/B run files only)."""
    marks: dict[str, list[AbMark]] = {}
    for run in (r for r in runs if r.is_ab):
        record = load_run(folder / run.file)
        pairs = [(Entry(record.run_id, a), Entry(record.run_id, b))
                 for a, b in _ab_pairs(record)]
        if not pairs:
            continue
        report = compare_pairs("A", "B", pairs, settings)
        for c in report.comparisons:
            cand = c.candidate
            verdict = _verdict(c, record.run_id)
            if cand is None or verdict is None or cand.case.stats is None:
                continue
            central = cand.case.stats.median_ms or cand.case.stats.mean_ms
            marks.setdefault(series_id(CaseKey.of(cand.case).configuration), []).append(
                AbMark(run.run_id, run.started_at, run.commit, central, verdict))
    return marks
