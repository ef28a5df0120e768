"""Two cases measured in alternating processes (A B B A ...), compared pair by pair (pure).

In ``benchbot ab`` the i-th process of A and the i-th process of B run one after the
other, so they share whatever the device was doing at that moment: its clocks, its
temperature, the other load on it. That shared level is most of what separates two
processes on a noisy device, and it cancels in their ratio. So the change is estimated
from the k within-pair log ratios ``d_i = log(b_i / a_i)`` of the processes' medians (on
the log scale, where a slowdown is a shift):

- from 6 pairs on, the Hodges–Lehmann estimate of their centre (the median of the Walsh
  averages ``(d_i + d_j) / 2``, i <= j) with the distribution-free interval that inverts
  the Wilcoxon signed-rank test [2]_ [3]_, and that test's exact p-value. A burst of other
  load that hits one process of one pair moves one ``d_i`` a long way; it moves this
  estimate and interval little, where it would widen a t interval for the whole session;
- with 2 to 5 pairs, which admit no 95% signed-rank interval (or too few for a higher
  confidence), the paired t interval at k - 1 degrees of freedom [1]_.

The A B B A order puts A first in half the pairs and B first in the other half, so a
steady drift of the device during the session adds to neither side.

Comparing the two sides as independent samples instead throws the pairing away: the
between-process variance of both sides then enters the interval, and a 10% slowdown
can hide in it.

References
----------
.. [1] Student (1908). The probable error of a mean. *Biometrika* 6(1), 1-25; the paired
   design as in Box, Hunter & Hunter (2005), *Statistics for Experimenters*, 2nd ed.,
   ch. 3.
.. [2] Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics
   Bulletin* 1(6), 80-83.
.. [3] Hollander, M., Wolfe, D. A. & Chicken, E. (2014). *Nonparametric Statistical
   Methods*, 3rd ed., sec. 3.1-3.2 (the signed-rank test, the Walsh averages and their
   interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from benchbot.stats.student import t_quantile, t_two_sided_p


SIGNED_RANK_FROM = 6  # the fewest pairs with a signed-rank interval at 95%


@dataclass(frozen=True)
class PairedRatio:
    """B / A from k pairs of processes."""

    method: str  # signed_rank | t
    pairs: int
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float

    @property
    def ci_half_width(self) -> float:
        """Half the interval's width on the log scale: 0.02 is about +-2%."""
        return math.log(self.ci_high / self.ci_low) / 2.0


@lru_cache(maxsize=64)
def signed_rank_null(k: int) -> tuple[float, ...]:
    """P(T+ = t) for t = 0 .. k(k+1)/2 under the null (no ties): the number of subsets of
    the ranks 1..k summing to t, over 2^k."""
    counts = [1] + [0] * (k * (k + 1) // 2)
    for rank in range(1, k + 1):
        for total in range(len(counts) - 1, rank - 1, -1):
            counts[total] += counts[total - rank]
    return tuple(c / 2.0 ** k for c in counts)


def _cdf(null: Sequence[float], t: int) -> float:
    return math.fsum(null[:t + 1]) if t >= 0 else 0.0


def _signed_rank(d: Sequence[float], confidence: float
                 ) -> tuple[float, float, float, float] | None:
    """(centre, low, high, p) of the log ratios: Walsh averages and the signed-rank test;
    None when so few pairs admit no interval at this confidence."""
    k = len(d)
    walsh = sorted((d[i] + d[j]) / 2.0 for i in range(k) for j in range(i, k))
    m = len(walsh)
    null = signed_rank_null(k)
    # the interval [W_(c), W_(m + 1 - c)]: c the largest with P(T+ <= c - 1) <= alpha / 2
    tail = (1.0 - confidence) / 2.0
    c = 0
    while _cdf(null, c) <= tail:
        c += 1
    if c == 0:
        return None
    centre = (walsh[(m - 1) // 2] + walsh[m // 2]) / 2.0
    order = sorted(range(k), key=lambda i: abs(d[i]))
    t_plus = sum(rank + 1 for rank, i in enumerate(order) if d[i] > 0)
    p = min(1.0, 2.0 * min(_cdf(null, t_plus), 1.0 - _cdf(null, t_plus - 1)))
    return centre, walsh[c - 1], walsh[m - c], p


def paired_ratio(a: Sequence[float], b: Sequence[float],
                 confidence: float = 0.95) -> PairedRatio:
    """The ratio of B to A from the central figures of paired processes (a[i] with b[i]);
    at least two pairs, all figures positive."""
    if len(a) != len(b):
        raise ValueError(f"paired processes: {len(a)} of A against {len(b)} of B")
    if len(a) < 2:
        raise ValueError("a paired comparison needs at least two pairs of processes")
    if any(not (x > 0 and math.isfinite(x)) for x in (*a, *b)):
        raise ValueError("paired processes: latencies must be positive and finite")
    d = [math.log(y / x) for x, y in zip(a, b)]
    k = len(d)
    ranked = _signed_rank(d, confidence) if k >= SIGNED_RANK_FROM else None
    if ranked is not None:
        centre, low, high, p = ranked
        return PairedRatio("signed_rank", k, math.exp(centre), math.exp(low), math.exp(high),
                           p)
    mean = math.fsum(d) / k
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in d) / (k - 1))
    se = sd / math.sqrt(k)
    if se == 0.0:
        ratio = math.exp(mean)
        return PairedRatio("t", k, ratio, ratio, ratio, 0.0 if mean else 1.0)
    half = t_quantile(0.5 + confidence / 2.0, k - 1) * se
    return PairedRatio(method="t", pairs=k, ratio=math.exp(mean), ci_low=math.exp(mean - half),
                       ci_high=math.exp(mean + half),
                       p_value=t_two_sided_p(mean / se, k - 1))
