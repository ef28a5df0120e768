"""Summaries of raw latency samples: pure functions, no I/O.

Percentiles interpolate linearly between order statistics (numpy's default,
Hyndman & Fan type 7). The 95% confidence interval of the median is the
distribution-free one built on order statistics: with n samples, the number
below the true median is Binomial(n, 1/2), so [x_(j), x_(n-j+1)] covers the
median with probability 1 - 2 P(B <= j - 1) [Conover, *Practical
Nonparametric Statistics*, 3rd ed., sec. 3.2].
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

_EXACT_BINOMIAL_UP_TO = 2000
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Summary:
    """Statistics of one case, all in milliseconds.

    From raw samples every field is set. A native tool that prints only
    aggregates gives what it printed (see :meth:`from_aggregates`); the rest
    is None, never estimated.
    """

    n: int
    mean_ms: float
    median_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    std_ms: float | None
    min_ms: float | None
    max_ms: float | None
    mad_ms: float | None
    ci95_low_ms: float | None
    ci95_high_ms: float | None
    # across measuring processes (see benchbot.stats.processes): with several, the median
    # and its CI include the variance between processes
    processes: int = 1
    between_cv: float | None = None
    within_cv: float | None = None
    # with several processes, ci95_* also includes how far the device moves between runs
    # (see benchbot.stats.sessions); within_ci95_* is the interval of this run's processes
    # alone, between_runs_sd the spread added and between_runs_from the runs it was
    # estimated from (0: the default stood in)
    within_ci95_low_ms: float | None = None
    within_ci95_high_ms: float | None = None
    between_runs_sd: float | None = None
    between_runs_from: int | None = None

    @classmethod
    def from_aggregates(cls, n: int, mean_ms: float, *, median_ms: float | None = None,
                        p90_ms: float | None = None, p99_ms: float | None = None,
                        std_ms: float | None = None, min_ms: float | None = None,
                        max_ms: float | None = None) -> Summary:
        """What a tool printed about runs benchbot did not see one by one."""
        return cls(n=n, mean_ms=mean_ms, median_ms=median_ms, p90_ms=p90_ms, p99_ms=p99_ms,
                   std_ms=std_ms, min_ms=min_ms, max_ms=max_ms, mad_ms=None,
                   ci95_low_ms=None, ci95_high_ms=None)

    @property
    def run_ci95(self) -> tuple[float | None, float | None]:
        """The 95% CI of the median from this run's processes alone: what more processes
        narrow, and what a comparison combines with the spread between runs."""
        if self.within_ci95_low_ms is not None and self.within_ci95_high_ms is not None:
            return self.within_ci95_low_ms, self.within_ci95_high_ms
        return self.ci95_low_ms, self.ci95_high_ms

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def cv(self) -> float:
        """Coefficient of variation (std / mean); sensitive to rare outliers."""
        return self.std_ms / self.mean_ms if self.std_ms is not None and self.mean_ms > 0 else 0.0

    @property
    def robust_cv(self) -> float:
        """Spread that a few OS hiccups do not dominate: 1.4826 MAD / median.

        1.4826 MAD estimates the standard deviation of normally distributed data
        [Rousseeuw & Croux, JASA 88(424), 1993].
        """
        if self.mad_ms is None:
            return self.cv  # aggregates only: the standard deviation is all there is
        if not self.median_ms:
            return 0.0
        return 1.4826 * self.mad_ms / self.median_ms


def percentile(sorted_xs: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, linear interpolation."""
    if not sorted_xs:
        raise ValueError("percentile of no values")
    pos = (len(sorted_xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def median_ci_ranks(n: int, confidence: float = 0.95) -> tuple[int, int] | None:
    """1-based ranks (j, n-j+1) of the order statistics bounding the median's CI.

    None when n is too small for any pair of order statistics to reach the
    confidence (n < 6 at 95%).
    """
    alpha = 1.0 - confidence
    if n > _EXACT_BINOMIAL_UP_TO:
        j = math.floor((n - _Z95 * math.sqrt(n)) / 2.0)
        return (j, n - j + 1) if j >= 1 else None
    total = 2**n
    cdf, j = 0.0, 0
    for k in range(n + 1):  # find the largest j with P(B <= j-1) <= alpha/2
        cdf += math.comb(n, k) / total
        if cdf > alpha / 2:
            break
        j = k + 1
    return (j, n - j + 1) if j >= 1 else None


def summarize(samples: Sequence[float], confidence: float = 0.95) -> Summary:
    """Summary statistics of raw samples (ms). Needs at least one sample.

    With too few samples for the confidence level, the CI is the full range
    (min, max); :func:`benchbot.stats.checks.stability_warnings` says so.
    """
    if len(samples) == 0:
        raise ValueError("no samples to summarize")
    xs = sorted(float(x) for x in samples)
    n = len(xs)
    mean = math.fsum(xs) / n
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else 0.0
    median = percentile(xs, 50)
    mad = percentile(sorted(abs(x - median) for x in xs), 50)
    ranks = median_ci_ranks(n, confidence)
    low, high = (xs[ranks[0] - 1], xs[ranks[1] - 1]) if ranks else (xs[0], xs[-1])
    return Summary(n=n, mean_ms=mean, median_ms=median, p90_ms=percentile(xs, 90),
                   p99_ms=percentile(xs, 99), std_ms=std, min_ms=xs[0], max_ms=xs[-1],
                   mad_ms=mad, ci95_low_ms=low, ci95_high_ms=high)
