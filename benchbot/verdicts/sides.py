"""The two sides of a comparison, built from runs already loaded (pure).

A side is a set of measured cases with a label: one run, or a rolling
baseline assembled from several.

Rolling baseline: "the median of the last N runs of the same configuration on
the same device". For each configuration (model path, device, runtime,
backend, runner, threads, batch, precision, int8 mode), take the last N runs that measured it
successfully and keep the case of the run whose median latency (the mean,
for a native tool that gives no median) is the median of those N; with an
even count, the lower of the two middle ones. One real run's samples are
kept rather than pooling the N runs' samples: pooling would mix the
run-to-run drift into the within-run noise and make the rank tests assume
independence that is not there, while choosing the middle run keeps a single
coherent measurement and is robust to one bad night.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AbstractSet, Sequence

from benchbot.store.casekey import CaseKey
from benchbot.store.entries import Entry, entries_of
from benchbot.store import CaseResult, RunRecord


@dataclass(frozen=True)
class Side:
    """Cases to compare and where they come from."""

    label: str
    entries: tuple[Entry, ...]
    started_at: str = ""  # when its run started (ISO); "" for a side built from many runs

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.run_id for e in self.entries))


def side_of_run(record: RunRecord, label: str | None = None) -> Side:
    return Side(label=label or f"run {record.run_id}", entries=entries_of(record),
                started_at=record.started_at)


def central_ms(case: CaseResult) -> float:
    """The latency a run is known by: its median, or its mean when only that exists."""
    assert case.stats is not None
    return case.stats.median_ms if case.stats.median_ms is not None else case.stats.mean_ms


def rolling_baseline(records: Sequence[RunRecord], runs: int, *,
                     before: str | None = None,
                     exclude_runs: AbstractSet[str] = frozenset(),
                     only: AbstractSet[CaseKey] | None = None) -> Side:
    """The rolling baseline over the last ``runs`` runs of each configuration.

    ``before`` (an ISO start time) and ``exclude_runs`` keep the candidate and
    later runs out; ``only`` limits it to the configurations the candidate
    measured, so that configurations no longer run do not show as removed.
    """
    if runs < 1:
        raise ValueError("a rolling baseline needs at least one run")
    history: dict[CaseKey, list[Entry]] = {}
    for record in sorted(records, key=lambda r: r.started_at):
        if record.is_ab or record.run_id in exclude_runs or (
                before is not None and record.started_at >= before):
            continue
        for entry in entries_of(record):
            key = CaseKey.of(entry.case)
            if entry.case.status == "ok" and (only is None or key in only):
                history.setdefault(key, []).append(entry)
    chosen = []
    for recent in (h[-runs:] for h in history.values()):
        ranked = sorted(recent, key=lambda e: central_ms(e.case))
        chosen.append(ranked[(len(ranked) - 1) // 2])
    return Side(label=f"rolling median of the last {runs} runs", entries=tuple(chosen))
