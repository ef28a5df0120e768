"""Stability checks on a summary: each warning says what to do next.

The width of the case's CI is not one of them: it is stated once, with its parts, and
judged against ``--valid-ci`` by the ``wide_ci`` validity code
(:mod:`benchbot.stats.validity`), whose advice names the part that dominates.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchbot.stats.summary import Summary, median_ci_ranks


@dataclass(frozen=True)
class Thresholds:
    """When a measurement is called unstable."""

    max_spread: float = 0.10  # 1.4826 MAD / median
    min_runs: int = 10


def stability_warnings(summary: Summary, limits: Thresholds = Thresholds()) -> list[str]:
    """Warnings about a noisy or thin measurement, each with advice; [] when stable."""
    warnings: list[str] = []
    if summary.n < limits.min_runs:
        hint = "" if median_ci_ranks(summary.n) else " (too few for a 95% CI of the median)"
        warnings.append(f"only {summary.n} timed runs{hint}: raise --max-time so "
                        f"--min-runs can be reached")
    if summary.robust_cv > limits.max_spread:
        measure = "of the median (1.4826 MAD)" if summary.mad_ms is not None else "of the mean"
        warnings.append(f"noisy: the runs spread by {summary.robust_cv:.0%} {measure}; "
                        "close other programs, pin the cores of the device profile, or "
                        "raise --warmup")
    return warnings
