"""A model's latency over runs, per configuration: the data of a history plot (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

from benchbot.store.casekey import CaseKey
from benchbot.errors import UserError
from benchbot.store.entries import Filters
from benchbot.store import CaseResult, RunRecord


@dataclass(frozen=True)
class HistoryPoint:
    """One run's latency of one configuration; the CI is None for aggregates."""

    run_id: str
    started_at: datetime
    value_ms: float
    low_ms: float | None
    high_ms: float | None
    statistic: str  # median, or mean when a native tool gave no median


@dataclass(frozen=True)
class HistorySeries:
    key: CaseKey
    points: tuple[HistoryPoint, ...]

    @property
    def label(self) -> str:
        return f"{self.key.device}: {self.key.config}"


def model_matches(case: CaseResult, model: str) -> bool:
    """A model named as in the grids (tiny_conv), by path, or by its sha256 (or a prefix)."""
    return model in (case.model_name, case.model) or (
        len(model) >= 8 and case.model_sha256.startswith(model.lower()))


def _point(run_id: str, started_at: datetime, case: CaseResult) -> HistoryPoint:
    stats = case.stats
    assert stats is not None
    if stats.median_ms is not None:
        return HistoryPoint(run_id, started_at, stats.median_ms, stats.ci95_low_ms,
                            stats.ci95_high_ms, "median")
    return HistoryPoint(run_id, started_at, stats.mean_ms, None, None, "mean")


def started_at_of(record: RunRecord, source: object = None) -> datetime:
    """When ``record``'s run started; a UserError naming the run (and ``source``, its file)
    when its ``started_at`` is not an ISO 8601 time, instead of a ValueError."""
    text = record.started_at
    try:
        if not isinstance(text, str):
            raise TypeError(text)
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        where = f"{source}: " if source is not None else ""
        raise UserError(f"{where}run {record.run_id} has a malformed started_at {text!r} (not "
                        "an ISO 8601 time such as 2025-01-31T12:00:00+00:00): fix it in the "
                        "results file or move the file out of --results") from None


def history_series(records: Sequence[RunRecord], model: str,
                   filters: Filters = Filters()) -> list[HistorySeries]:
    """Every successful measurement of ``model``, one series per configuration.

    Points are ordered by the start time of their run; configurations keep the
    order in which they first appear.
    """
    grouped: dict[CaseKey, list[HistoryPoint]] = {}
    for started, record in sorted(((started_at_of(r), r) for r in records),
                                  key=lambda pair: _sort_key(pair[0])):
        for case in record.cases:
            if case.status == "ok" and filters.keep(case) and model_matches(case, model):
                grouped.setdefault(CaseKey.of(case), []).append(
                    _point(record.run_id, started, case))
    return [HistorySeries(key, tuple(points)) for key, points in grouped.items()]


def _sort_key(when: datetime) -> tuple[float, str]:
    """Order by the instant; a time without an offset counts as UTC (mixed files compare)."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
    return (aware.timestamp(), when.isoformat())
