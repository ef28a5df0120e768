"""A case's one confidence interval and what it is made of (pure).

Every place that states a case's CI (the line ``run`` prints as a case finishes, its
warning, the grids' footnotes and hover, JSON) states ``Summary.ci95_*``: the interval a
comparison with another run would use. With several processes it has three parts, each
given as the half-width it would have alone (relative to the median). They add about in
quadrature, as variances do; not exactly, as the total's t quantile follows the degrees of
freedom of all of them together (:func:`benchbot.stats.sessions.with_sessions`):

- ``within``: the noise of the timed runs inside each process, what ``--min-time`` (more
  runs per process) narrows. A process's median varies by about ``sqrt(pi / 2)`` times the
  runs' spread over the square root of its runs [1]_;
- ``between_processes``: how far fresh processes land apart (where the allocator put the
  weights, which cores they got), what more processes (``--max-repeat``) narrow. It is the
  rest of this run's own interval;
- ``between_runs``: how far the device moves from one run to the next
  (:mod:`benchbot.stats.sessions`), which no setting of one run narrows; ``benchbot ab``
  measures two models in one session, where it cancels.

One process alone has no between-process estimate: its interval is ``within`` only.

References
----------
.. [1] Kendall, M. & Stuart, A. (1977). *The Advanced Theory of Statistics*, vol. 1,
   4th ed., sec. 10.10 (the large-sample variance of the median, pi sigma^2 / 2n under
   normality).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchbot.stats.summary import Summary

Z95 = 1.959963984540054
PARTS = ("within", "between_processes", "between_runs")
ADVICE = {"within": "raise --min-time (more timed runs in each process)",
          "between_processes": "raise --max-repeat (more processes), or quiet the device",
          "between_runs": "compare within one session with benchbot ab (the spread between "
                          "runs cancels there)"}
LABELS = {"within": "within processes", "between_processes": "between processes",
          "between_runs": "between runs"}


@dataclass(frozen=True)
class CiParts:
    """The case's 95% CI as half-widths relative to its median (0.02: +-2%)."""

    total: float
    run: float  # this run's own interval (within and between its processes)
    within: float
    between_processes: float | None  # None: one process, no estimate
    between_runs: float | None  # None: nothing added (one process, or not applied)
    runs_assumed: bool = False  # the spread between runs is the default, not estimated

    @property
    def dominant(self) -> str:
        """The part that contributes most: what to act on first."""
        sizes = {name: getattr(self, name) or 0.0 for name in PARTS}
        return max(PARTS, key=lambda name: sizes[name])

    @property
    def dominant_in_run(self) -> str:
        """Of this run's own parts (within, between processes), the larger."""
        return "between_processes" if (self.between_processes or 0.0) > self.within \
            else "within"

    def text(self) -> str:
        """'+-9.9%: within processes +-0.4%, between processes +-2.6%, between runs +-9.5%
        (assumed)'."""
        parts = [f"{LABELS[name]} +-{getattr(self, name):.1%}" for name in PARTS
                 if getattr(self, name) is not None]
        if self.runs_assumed and self.between_runs is not None:
            parts[-1] += " (assumed)"
        return f"+-{self.total:.1%}" + (f": {', '.join(parts)}" if len(parts) > 1 else "")

    def to_dict(self) -> dict[str, float | str | bool | None]:
        return {"half": self.total, "run_half": self.run, "within": self.within,
                "between_processes": self.between_processes,
                "between_runs": self.between_runs, "between_runs_assumed": self.runs_assumed,
                "dominant": self.dominant, "advice": ADVICE[self.dominant]}


def _half(low: float | None, high: float | None) -> float | None:
    if low is None or high is None or low <= 0 or high < low:
        return None
    return math.log(high / low) / 2.0


def ci_parts(stats: Summary | None) -> CiParts | None:
    """The parts of ``stats``'s 95% CI; None without one (a native tool's aggregates)."""
    if stats is None or not stats.median_ms:
        return None
    total = _half(stats.ci95_low_ms, stats.ci95_high_ms)
    run = _half(*stats.run_ci95)
    if total is None or run is None:
        return None
    between_runs = None
    if stats.within_ci95_low_ms is not None and stats.between_runs_sd is not None:
        between_runs = Z95 * stats.between_runs_sd  # the spread's own 95% half-width
    if stats.processes < 2:
        return CiParts(total, run, run, None, between_runs)
    share = 1.0  # of the run's variance from the noise within processes
    per_process = stats.n / stats.processes
    if stats.within_cv is not None and per_process >= 1 and stats.between_cv:
        var_median = math.pi / 2.0 * stats.within_cv ** 2 / per_process
        share = min(1.0, var_median / stats.between_cv ** 2)
    elif stats.within_cv is None:
        share = 0.0  # aggregates only: the processes' figures are all there is
    return CiParts(total, run, run * math.sqrt(share), run * math.sqrt(1.0 - share),
                   between_runs, runs_assumed=bool(between_runs is not None
                                                   and not stats.between_runs_from))
