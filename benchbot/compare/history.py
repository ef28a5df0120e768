"""A model's latency over runs, per configuration: the data of a history plot (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from benchbot.compare.match import CaseKey, case_key
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


def history_series(records: Sequence[RunRecord], model: str,
                   filters: Filters = Filters()) -> list[HistorySeries]:
    """Every successful measurement of ``model``, one series per configuration.

    Points are ordered by the start time of their run; configurations keep the
    order in which they first appear.
    """
    grouped: dict[CaseKey, list[HistoryPoint]] = {}
    for record in sorted(records, key=lambda r: r.started_at):
        started = datetime.fromisoformat(record.started_at)
        for case in record.cases:
            if case.status == "ok" and filters.keep(case) and model_matches(case, model):
                grouped.setdefault(case_key(case), []).append(
                    _point(record.run_id, started, case))
    return [HistorySeries(key, tuple(points)) for key, points in grouped.items()]
