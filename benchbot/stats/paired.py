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

The test and the interval are at one level: ``benchbot ab`` asks for the interval at
``1 - alpha`` (99% for alpha 0.01), the signed-rank test inverted, so the interval
excludes 1 exactly when the test rejects at alpha, and a verdict cannot contradict its
interval. The exact test cannot reject at all with few pairs: its smallest two-sided
p-value is 2 / 2^k (all pairs one way), so :func:`fewest_pairs` is the least k with
2 / 2^k < alpha (8 at alpha 0.01). :func:`keep_pairing` is the stopping rule: at least
that many pairs, then more while the interval is wider than the target, up to a cap. It
stops on the interval's width, never on its position, so looking after each pair does not
spend the test's error rate on peeking (tests/test_paired.py checks the A/A false-alarm
rate and the power by simulation).

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


def fewest_pairs(alpha: float) -> int:
    """The fewest pairs whose exact signed-rank test can reject at ``alpha``: the least k
    with 2 / 2^k < alpha (8 at 0.01, 6 at 0.05)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha {alpha} must be between 0 and 1")
    return max(2, math.floor(math.log2(2.0 / alpha)) + 1)


def smallest_p(pairs: int) -> float:
    """The smallest two-sided p-value the exact signed-rank test gives with ``pairs``."""
    return min(1.0, 2.0 / 2.0 ** pairs)


def keep_pairing(pairs, half_width, fewest: int, most: int, target: float):  # noqa: ANN001,ANN201
    """The sequential stopping rule of ``benchbot ab`` (True: measure another pair).

    Below ``fewest`` pairs (see :func:`fewest_pairs`) always; from there, while the
    paired interval's half-width (log scale) is above ``target`` and fewer than ``most``
    pairs are done. It works elementwise on numpy arrays too (the simulation in the tests
    runs a thousand sessions at once through this same function)."""
    return (pairs < fewest) | ((pairs < most) & (half_width > target))


@dataclass(frozen=True)
class PairedRatio:
    """B / A from k pairs of processes."""

    method: str  # signed_rank | t
    pairs: int
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    slower_pairs: int = 0  # pairs whose B took longer than their A
    confidence: float = 0.95

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


@lru_cache(maxsize=256)
def walsh_rank(k: int, confidence: float) -> int:
    """c of the signed-rank interval [W_(c), W_(m + 1 - c)] over the m = k(k+1)/2 sorted
    Walsh averages: the largest c with P(T+ <= c - 1) <= (1 - confidence) / 2; 0 when
    ``k`` pairs admit no interval at this confidence."""
    null = signed_rank_null(k)
    tail = (1.0 - confidence) / 2.0
    c = 0
    while _cdf(null, c) <= tail:
        c += 1
    return c


def _signed_rank(d: Sequence[float], confidence: float
                 ) -> tuple[float, float, float, float] | None:
    """(centre, low, high, p) of the log ratios: Walsh averages and the signed-rank test;
    None when so few pairs admit no interval at this confidence."""
    k = len(d)
    walsh = sorted((d[i] + d[j]) / 2.0 for i in range(k) for j in range(i, k))
    m = len(walsh)
    null = signed_rank_null(k)
    c = walsh_rank(k, confidence)
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
    ups = sum(1 for v in d if v > 0)
    ranked = _signed_rank(d, confidence) if k >= SIGNED_RANK_FROM else None
    if ranked is not None:
        centre, low, high, p = ranked
        return PairedRatio("signed_rank", k, math.exp(centre), math.exp(low), math.exp(high),
                           p, ups, confidence)
    mean = math.fsum(d) / k
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in d) / (k - 1))
    se = sd / math.sqrt(k)
    if se == 0.0:
        ratio = math.exp(mean)
        return PairedRatio("t", k, ratio, ratio, ratio, 0.0 if mean else 1.0, ups, confidence)
    half = t_quantile(0.5 + confidence / 2.0, k - 1) * se
    return PairedRatio(method="t", pairs=k, ratio=math.exp(mean), ci_low=math.exp(mean - half),
                       ci_high=math.exp(mean + half),
                       p_value=t_two_sided_p(mean / se, k - 1), slower_pairs=ups,
                       confidence=confidence)
