"""Which measured cases a report shows: the latest of each configuration, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from benchbot.store.records import CaseResult, RunRecord

METRICS = {"median": "median_ms", "mean": "mean_ms", "p90": "p90_ms"}


@dataclass(frozen=True)
class Entry:
    """A case and the run it comes from."""

    run_id: str
    case: CaseResult
    device_label: str = ""  # the device profile's label, for column titles

    @property
    def device_title(self) -> str:
        return self.device_label or self.case.device


@dataclass(frozen=True)
class Filters:
    """Restrict a report to some configurations; None keeps all."""

    threads: int | None = None
    batch: int | None = None
    precision: str | None = None
    device: str | None = None

    def keep(self, case: CaseResult) -> bool:
        return all(want is None or want == have for want, have in
                   ((self.threads, case.threads), (self.batch, case.batch),
                    (self.precision, case.precision), (self.device, case.device)))


def latest_entries(records: Sequence[RunRecord], filters: Filters = Filters()) -> list[Entry]:
    """One entry per configuration: the one from the most recently started run."""
    chosen: dict[tuple[object, ...], Entry] = {}
    for record in sorted(records, key=lambda r: r.started_at):
        for case in record.cases:
            if filters.keep(case):
                key = (case.model_name, case.device, case.runtime, case.backend, case.threads,
                       case.batch, case.precision)
                chosen.pop(key, None)  # re-insert so the order follows the latest run
                label = str((record.devices.get(case.device) or {}).get("label") or "")
                chosen[key] = Entry(record.run_id, case, label)
    return list(chosen.values())


def metric_value(case: CaseResult, metric: str) -> float | None:
    """The case's value of a metric, None when it has none (failed)."""
    value = getattr(case.stats, METRICS[metric]) if case.stats is not None else None
    return None if value is None else float(value)
