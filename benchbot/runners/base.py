"""What every runner returns: a CaseResult built from a case and what was measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

from benchbot.store import CaseResult
from benchbot.stats import Summary, stability_warnings, summarize
from benchbot.sweep import Case, MeasureSettings


class Runner(Protocol):
    """Measures one case on a device; a failure is a failed CaseResult, not an exception."""

    kind: str

    def run_case(self, case: Case, settings: MeasureSettings) -> CaseResult: ...


def case_result(case: Case, *, runner: str, started_at: str, ended_at: str,
                samples_ms: Sequence[float] = (), aggregates: Summary | None = None,
                error: str | None = None,
                measurement: Mapping[str, Any] | None = None) -> CaseResult:
    """The record of one case; statistics come from the raw samples, or from the
    aggregates a native tool printed when it gives no samples."""
    if error is None and not samples_ms and aggregates is None:
        error = "the runner returned no samples"
    if case.variant_error is not None and error is None:
        error = case.variant_error
    measurement = dict(measurement or {})
    if case.variant is not None and case.variant.derived:
        measurement["variant"] = case.variant.to_measurement()
    if case.card is not None:
        measurement["model_card"] = dict(case.card)
    stats = None
    if error is None:
        stats = summarize(samples_ms) if samples_ms else aggregates
    return CaseResult(id=case.id, model=str(case.model.path), model_sha256=case.model.sha256,
                      model_size_mb=round(case.model.size_mb, 6), device=case.device,
                      runtime=case.runtime, threads=case.threads, batch=case.batch,
                      precision=case.precision, backend=case.backend,
                      status="ok" if error is None else "failed",
                      error=error, samples_ms=tuple(samples_ms), stats=stats,
                      warnings=tuple(stability_warnings(stats)) if stats else (),
                      stats_source="samples" if samples_ms else "aggregates",
                      runner=runner, started_at=started_at, ended_at=ended_at,
                      measurement=measurement)


def model_to_push(case: Case) -> Path:
    """The file that is measured: the derived variant when there is one, else the model."""
    return case.variant.path if case.variant is not None else case.model.path


def cpus_of_mask(mask: str) -> list[int]:
    """CPU ids set in a hex mask: 'f0' -> [4, 5, 6, 7]."""
    value = int(mask, 16)
    return [bit for bit in range(value.bit_length()) if value >> bit & 1]
