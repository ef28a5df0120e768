"""A comparison as text: a markdown table, JSON, and a one-line summary (pure)."""

from __future__ import annotations

import json
import math
from typing import Any

from benchbot.verdicts.ops import op_type_changes
from benchbot.verdicts.verdict import Comparison, CompareReport, Kind
from benchbot.report.numbers import DEFAULT_DIGITS, format_ms

COLUMNS = ("Model", "Device", "Config", "Baseline (ms)", "Candidate (ms)", "Change",
           "95% CI", "Verdict")


def columns(report: CompareReport) -> tuple[str, ...]:
    """:data:`COLUMNS` with the CI's level as the comparison has it (ab: 1 - alpha)."""
    level = f"{report.settings.estimation.confidence:.0%} CI"
    return tuple(level if c == "95% CI" else c for c in COLUMNS)


def _pct(x: float) -> str:
    if not math.isfinite(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.1%}"


def _latency(c: Comparison, side: str, digits: int) -> str:
    entry = c.baseline if side == "baseline" else c.candidate
    if entry is None:
        return "-"
    if c.estimate is not None:
        value = c.estimate.baseline_ms if side == "baseline" else c.estimate.candidate_ms
        return format_ms(value, digits) + (" (mean)" if c.estimate.statistic == "mean" else "")
    stats = entry.case.stats
    if entry.case.status != "ok" or stats is None:
        return "failed"
    return format_ms(stats.median_ms if stats.median_ms is not None else stats.mean_ms, digits)


def table_rows(report: CompareReport, digits: int = DEFAULT_DIGITS) -> list[tuple[str, ...]]:
    """One row of plain text per comparison, in the order of :data:`COLUMNS`."""
    rows = []
    for c in report.comparisons:
        est = c.estimate
        change = "-" if est is None else _pct(est.ratio - 1.0)
        ci = "-" if est is None else f"{_pct(est.ci_low - 1.0)} to {_pct(est.ci_high - 1.0)}"
        config = c.key.config + (" (model changed)" if c.model_changed else "")
        if est is not None and est.method == "welch":
            config += " (welch)"
        device = c.candidate.device_title if c.candidate else c.baseline.device_title \
            if c.baseline else c.key.device
        rows.append((c.key.model, device, config, _latency(c, "baseline", digits),
                     _latency(c, "candidate", digits), change, ci, str(c.verdict.kind)))
    return rows


def render_markdown(report: CompareReport, digits: int = DEFAULT_DIGITS) -> str:
    """The summary line, what was compared, and the table, most severe first."""
    s = report.settings
    lines = [f"**{report.summary_line()}**", "",
             f"Baseline: {report.baseline_label}; candidate: {report.candidate_label}; "
             f"alpha {s.alpha:g}, default threshold {s.thresholds.default:.0%}, "
             f"method {s.estimation.method}.", ""]
    if not report.comparisons:
        return "\n".join(lines + ["No cases to compare.", ""])
    lines += ["| " + " | ".join(columns(report)) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
              for row in table_rows(report, digits)]
    return "\n".join(lines + op_change_lines(report)) + "\n"


def _changes(c: Comparison) -> tuple:
    if c.baseline is None or c.candidate is None:
        return ()
    return op_type_changes(c.baseline.case.op_profile, c.candidate.case.op_profile)


def op_change_lines(report: CompareReport) -> list[str]:
    """'Where it changed': per case with op profiles on both sides, the op types whose
    time changed most."""
    lines = []
    for c in report.comparisons:
        changes = _changes(c)
        if changes:
            named = ", ".join(f"{ch.op_type} {ch.baseline_ms:.3g} -> {ch.candidate_ms:.3g} ms "
                              f"({ch.delta_ms:+.3g})" for ch in changes)
            lines.append(f"- {c.key.model}, {c.key.config}: {named}")
    return ["", "Where the time changed (op profiles of both sides):", *lines] if lines else []


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None  # JSON has no infinity


def comparison_dict(c: Comparison) -> dict[str, Any]:
    est = c.estimate
    doc: dict[str, Any] = {
        "model": c.key.model, "device": c.key.device, "runtime": c.key.runtime,
        "threads": c.key.threads, "batch": c.key.batch, "precision": c.key.precision,
        "backend": c.key.backend, "runner": c.key.runner, "int8_mode": c.key.int8_mode or None,
        "verdict": str(c.verdict.kind), "reason": c.verdict.reason,
        "threshold": c.threshold, "model_changed": c.model_changed,
        "baseline_run": c.baseline.run_id if c.baseline else None,
        "candidate_run": c.candidate.run_id if c.candidate else None,
        "baseline_sha256": c.baseline.case.model_sha256 if c.baseline else None,
        "candidate_sha256": c.candidate.case.model_sha256 if c.candidate else None,
        "method": None, "statistic": None, "baseline_ms": None, "candidate_ms": None,
        "ratio": None, "change": None, "confidence": None, "ci_low": None, "ci_high": None,
        "ci95_low": None, "ci95_high": None, "p_value": None, "n_baseline": None,
        "n_candidate": None}
    doc["op_changes"] = [{"op_type": ch.op_type, "baseline_ms": ch.baseline_ms,
                          "candidate_ms": ch.candidate_ms, "delta_ms": ch.delta_ms}
                         for ch in _changes(c)]
    if est is not None:
        doc.update(method=est.method, statistic=est.statistic, baseline_ms=est.baseline_ms,
                   candidate_ms=est.candidate_ms, ratio=est.ratio, change=est.ratio - 1.0,
                   confidence=est.confidence, ci_low=_finite(est.ci_low),
                   ci_high=_finite(est.ci_high), p_value=est.p_value,
                   n_baseline=est.n_baseline, n_candidate=est.n_candidate)
        if abs(est.confidence - 0.95) < 1e-9:  # the older names, only where they are true
            doc.update(ci95_low=doc["ci_low"], ci95_high=doc["ci_high"])
    return doc


def render_json(report: CompareReport) -> str:
    """Everything the table shows, and the reasons, as one JSON document."""
    s = report.settings
    counts = {str(kind): report.count(kind) for kind in Kind}
    doc = {"baseline": report.baseline_label, "candidate": report.candidate_label,
           "settings": {"alpha": s.alpha, "confidence": s.estimation.confidence,
                        "method": s.estimation.method, "threshold": s.thresholds.default,
                        "resamples": s.estimation.resamples, "seed": s.estimation.seed},
           "summary": report.summary_line(), "counts": counts,
           "comparisons": [comparison_dict(c) for c in report.comparisons]}
    return json.dumps(doc, indent=1) + "\n"
