"""Is a case's figure valid? The codes that say why not, each checkable from the case's
statistics and processes (pure).

In the spirit of MLPerf LoadGen's VALID/INVALID result: a number is reported either way,
but one that fails a check is marked, and the mark names the check.

    few_runs                     a process timed fewer runs than --min-runs
    few_processes                fewer than 3 measuring processes: no between-process CI
    wide_ci                      the 95% CI of the median is wider than +- --target-ci
    unstable_between_processes   the processes' medians spread by more than 5%
    max_time_hit                 a process stopped at --max-time before --min-runs
    throttled                    the pinned cores' clocks were capped during a process
    thermal_gate_timeout         the device never cooled below the profile's limit
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from benchbot.stats.summary import Summary


STATISTICAL = frozenset({"few_runs", "few_processes", "wide_ci", "unstable_between_processes",
                         "max_time_hit", "throttled", "thermal_gate_timeout"})


@dataclass(frozen=True)
class ValidityLimits:
    min_runs: int = 20
    min_processes: int = 3
    target_ci: float = 0.02
    max_between_cv: float = 0.05


def validity_codes(stats: Summary, samples_per_process: Sequence[int],
                   stop_reasons: Iterable[str | None], limits: ValidityLimits = ValidityLimits(),
                   *, throttled: bool = False, gate_timeout: bool = False
                   ) -> list[tuple[str, str]]:
    """(code, detail) for every check the case fails; [] when it is valid."""
    codes: list[tuple[str, str]] = []
    if samples_per_process and min(samples_per_process) < limits.min_runs:
        codes.append(("few_runs", f"{min(samples_per_process)} timed runs in a process, "
                                  f"fewer than {limits.min_runs}"))
    if stats.processes < limits.min_processes:
        codes.append(("few_processes", f"{stats.processes} measuring process"
                                       f"{'es' if stats.processes != 1 else ''}"))
    low, high = stats.run_ci95  # the run's own interval: what more processes narrow
    if stats.median_ms and low is not None and high is not None:
        half = (high - low) / 2.0 / stats.median_ms
        if half > limits.target_ci:
            codes.append(("wide_ci", f"95% CI +-{half:.1%} of the median, wider than "
                                     f"+-{limits.target_ci:.0%}"))
    if stats.between_cv is not None and stats.between_cv > limits.max_between_cv:
        codes.append(("unstable_between_processes",
                      f"the processes' medians spread by {stats.between_cv:.1%}"))
    if any(reason == "max_time" for reason in stop_reasons):
        codes.append(("max_time_hit", "a process stopped at --max-time"))
    if throttled:
        codes.append(("throttled", "the pinned cores were capped during a process"))
    if gate_timeout:
        codes.append(("thermal_gate_timeout", "the device stayed above its temperature limit"))
    return codes
