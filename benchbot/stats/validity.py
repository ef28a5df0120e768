"""Is a case's figure valid? The codes that say why not, each checkable from the case's
statistics and processes (pure).

In the spirit of MLPerf LoadGen's VALID/INVALID result: a number is reported either way,
but one that fails a check is marked, and the mark names the check. A mark is a reason to
act: ``wide_ci`` is drawn at ``--valid-ci`` (+-5%), apart from ``--target-ci`` (+-2%), where
the adaptive rule merely stops adding processes; a +-2.4% interval is a good measurement,
not a broken one. It looks at the run's own part of the interval (:mod:`benchbot.stats.parts`):
the spread between runs, which no setting of this run narrows, is stated beside it, never
held against it.

    few_runs                     a process timed fewer runs than --min-runs
    few_processes                fewer than 3 measuring processes: no between-process CI
    wide_ci                      this run's part of the 95% CI (within and between its
                                 processes) is wider than +- --valid-ci (default 5%)
    unstable_between_processes   the processes' medians spread by more than 5%
    max_time_hit                 a process stopped at --max-time before --min-runs
    throttled                    the pinned cores' clocks were capped during a process
    thermal_gate_timeout         the device never cooled below the profile's limit
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from benchbot.stats.parts import ADVICE, LABELS, ci_parts
from benchbot.stats.summary import Summary


STATISTICAL = frozenset({"few_runs", "few_processes", "wide_ci", "unstable_between_processes",
                         "max_time_hit", "throttled", "thermal_gate_timeout"})


@dataclass(frozen=True)
class ValidityLimits:
    min_runs: int = 20
    min_processes: int = 3
    valid_ci: float = 0.05
    max_between_cv: float = 0.05


def validity_codes(stats: Summary, samples_per_process: Sequence[int],
                   stop_reasons: Iterable[str | None], limits: ValidityLimits = ValidityLimits(),
                   *, throttled: bool = False, gate_timeout: bool = False
                   ) -> list[tuple[str, str, str]]:
    """(code, detail, advice) for every check the case fails, the advice "" where the code's
    usual one applies; [] when it is valid."""
    codes: list[tuple[str, str, str]] = []
    if samples_per_process and min(samples_per_process) < limits.min_runs:
        codes.append(("few_runs", f"{min(samples_per_process)} timed runs in a process, "
                                  f"fewer than {limits.min_runs}", ""))
    if stats.processes < limits.min_processes:
        codes.append(("few_processes", f"{stats.processes} measuring process"
                                       f"{'es' if stats.processes != 1 else ''}", ""))
    parts = ci_parts(stats)
    if parts is not None and parts.run > limits.valid_ci:
        own = parts.dominant_in_run
        split = "" if parts.between_processes is None else (
            f" (within processes +-{parts.within:.1%}, between processes "
            f"+-{parts.between_processes:.1%})")
        codes.append(("wide_ci", f"this run's part of the 95% CI is +-{parts.run:.1%}{split}, "
                                 f"wider than +-{limits.valid_ci:.0%}, mostly {LABELS[own]}",
                      ADVICE[own]))
    if stats.between_cv is not None and stats.between_cv > limits.max_between_cv:
        codes.append(("unstable_between_processes",
                      f"the processes' medians spread by {stats.between_cv:.1%}", ""))
    if any(reason == "max_time" for reason in stop_reasons):
        codes.append(("max_time_hit", "a process stopped at --max-time", ""))
    if throttled:
        codes.append(("throttled", "the pinned cores were capped during a process", ""))
    if gate_timeout:
        codes.append(("thermal_gate_timeout", "the device stayed above its temperature limit",
                      ""))
    return codes
