"""Rank statistics for two samples: Mann–Whitney U and the Hodges–Lehmann shift.

Both work on the pooled ranks of the two samples, so the test and the interval
agree: the Hodges–Lehmann interval is the set of shifts the Mann–Whitney test
does not reject. Pure numpy, no I/O.

References
----------
.. [1] Mann, H. B. & Whitney, D. R. (1947). On a test of whether one of two
   random variables is stochastically larger than the other. *Ann. Math.
   Statist.* 18(1), 50-60.
.. [2] Hodges, J. L. & Lehmann, E. L. (1963). Estimates of location based on
   rank tests. *Ann. Math. Statist.* 34(2), 598-611.
.. [3] Bauer, D. F. (1972). Constructing confidence sets using rank
   statistics. *JASA* 67(339), 687-690.
.. [4] Hollander, M., Wolfe, D. A. & Chicken, E. (2014). *Nonparametric
   Statistical Methods*, 3rd ed., sec. 4.1-4.3 (normal approximation with
   the tie correction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_EXACT_PAIRS_UP_TO = 2500  # exact null distribution of U while n*m stays this small
_DIRECT_PAIRS_UP_TO = 2_000_000  # materialise every pairwise difference up to this many


@dataclass(frozen=True)
class MannWhitney:
    """U counts pairs where the second sample is larger (ties count one half)."""

    u: float
    z: float
    p_value: float  # two-sided, normal approximation


def average_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks with ties sharing their average rank; also the tie-group sizes."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(values)])
    group_rank = starts + (sizes + 1) / 2.0  # mean of the ranks start+1 .. start+size
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(group_rank, sizes)
    return ranks, sizes


def mann_whitney(x: np.ndarray, y: np.ndarray) -> MannWhitney:
    """Two-sided Mann–Whitney U test of ``y`` against ``x`` [1]_.

    The p-value uses the normal approximation with the tie-corrected variance
    and a continuity correction [4]_; exact small-sample p-values are not
    needed here because a verdict also requires a practical change.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        raise ValueError("the Mann-Whitney test needs two non-empty samples")
    ranks, ties = average_ranks(np.concatenate([x, y]))
    u = float(ranks[n:].sum() - m * (m + 1) / 2.0)
    total = n + m
    tie_term = float(np.sum(ties.astype(float) ** 3 - ties)) / (total * (total - 1))
    variance = n * m / 12.0 * ((total + 1) - tie_term)
    if variance <= 0:  # every value tied: no evidence either way
        return MannWhitney(u=u, z=0.0, p_value=1.0)
    excess = u - n * m / 2.0
    z = math.copysign(max(abs(excess) - 0.5, 0.0), excess) / math.sqrt(variance)
    return MannWhitney(u=u, z=z, p_value=min(1.0, math.erfc(abs(z) / math.sqrt(2.0))))


@lru_cache(maxsize=64)
def _null_counts(n: int, m: int) -> tuple[int, ...]:
    """How many of the C(n+m, n) arrangements give U = 0, 1, ..., nm (no ties).

    These are the coefficients of the Gaussian binomial coefficient
    prod_{i=1..n} (1 - q^(m+i)) / (1 - q^i), computed exactly with integers.
    """
    coef = [1] + [0] * (n * m + n + m)
    for i in range(1, n + 1):
        for k in range(len(coef) - 1, m + i - 1, -1):  # times (1 - q^(m+i))
            coef[k] -= coef[k - m - i]
        for k in range(i, len(coef)):  # divided by (1 - q^i)
            coef[k] += coef[k - i]
    return tuple(coef[: n * m + 1])


def ci_rank(n: int, m: int, confidence: float = 0.95, ties: bool = False) -> int:
    """The rank C (1-based) such that [D_(C), D_(nm+1-C)] is the interval [3]_.

    D are the nm pairwise differences in ascending order. Exact for small
    samples without ties, else the normal approximation. 0 means that no
    interval reaches the confidence: the samples are too small.
    """
    alpha = 1.0 - confidence
    if n * m <= _EXACT_PAIRS_UP_TO and not ties:
        counts = _null_counts(min(n, m), max(n, m))
        total, below, rank = math.comb(n + m, n), 0, 0
        for k, count in enumerate(counts):  # largest C with P(U <= C-1) <= alpha/2
            below += count
            if below / total > alpha / 2:
                break
            rank = k + 1
        return rank
    z = math.sqrt(2.0) * _erfc_inverse(alpha)
    return max(0, math.floor(n * m / 2.0 - z * math.sqrt(n * m * (n + m + 1) / 12.0)))


def _erfc_inverse(p: float) -> float:
    """x with erfc(x) = p, by bisection (p in (0, 1])."""
    lo, hi = 0.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if math.erfc(mid) > p else (lo, mid)
    return (lo + hi) / 2.0


def pairwise_order_statistics(x: np.ndarray, y: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The given 1-based order statistics of the differences y_j - x_i.

    Small samples sort every difference; large ones select by bisection on the
    value, counting differences below a cut with binary searches, so memory
    stays O(n + m) even for 10^4 x 10^4 samples.
    """
    xs, ys = np.sort(np.asarray(x, float)), np.sort(np.asarray(y, float))
    ranks = np.asarray(ranks, dtype=np.int64)
    n, m = len(xs), len(ys)
    if n * m <= _DIRECT_PAIRS_UP_TO:
        diffs = (ys[:, None] - xs[None, :]).ravel()
        return np.partition(diffs, ranks - 1)[ranks - 1]

    def count_at_most(cut: np.ndarray) -> np.ndarray:
        # y_j - x_i <= cut  <=>  x_i >= y_j - cut
        below = np.searchsorted(xs, ys[None, :] - cut[:, None], side="left")
        return n * m - below.sum(axis=1)

    lo = np.full(len(ranks), ys[0] - xs[-1] - 1.0)
    hi = np.full(len(ranks), ys[-1] - xs[0])
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if np.all((mid == lo) | (mid == hi)):
            break  # adjacent floating-point numbers: nothing left to split
        enough = count_at_most(mid) >= ranks
        hi, lo = np.where(enough, mid, hi), np.where(enough, lo, mid)
    # snap to the largest difference not above hi, which is the wanted one
    idx = np.searchsorted(xs, ys[None, :] - hi[:, None], side="left")
    values = np.where(idx < n, ys[None, :] - xs[np.minimum(idx, n - 1)], -np.inf)
    return values.max(axis=1)


@dataclass(frozen=True)
class RatioInterval:
    """A ratio candidate / baseline with a confidence interval (0 / inf: unbounded)."""

    ratio: float
    low: float
    high: float


@dataclass(frozen=True)
class ShiftEstimate:
    """Hodges–Lehmann shift of y relative to x, with its confidence interval."""

    shift: float
    low: float  # -inf / +inf when the samples are too small for the confidence
    high: float


def hodges_lehmann(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> ShiftEstimate:
    """The median of all differences y_j - x_i [2]_ and its distribution-free CI [3]_.

    Under the shift model (y is distributed as x + delta) the interval covers
    delta with at least the stated confidence whatever the distribution.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n, m = len(x), len(y)
    pairs = n * m
    ties = len(np.unique(np.concatenate([x, y]))) < n + m
    c = ci_rank(n, m, confidence, ties=ties)
    mid_ranks = [(pairs + 1) // 2, pairs // 2 + 1]  # one rank if odd, the middle two if even
    wanted = mid_ranks + ([c, pairs + 1 - c] if c >= 1 else [])
    stats = pairwise_order_statistics(x, y, np.array(wanted))
    shift = float((stats[0] + stats[1]) / 2.0)
    if c < 1:
        return ShiftEstimate(shift=shift, low=-math.inf, high=math.inf)
    return ShiftEstimate(shift=shift, low=float(stats[2]), high=float(stats[3]))


def hodges_lehmann_ratio(baseline: np.ndarray, candidate: np.ndarray,
                         confidence: float = 0.95) -> RatioInterval:
    """exp of the Hodges–Lehmann shift of log latencies: a ratio, with its CI.

    On log latencies a slowdown by a factor r is a shift by log r, the model
    the estimator [2]_ and Bauer's interval [3]_ assume.
    """
    est = hodges_lehmann(np.log(np.asarray(baseline, float)),
                         np.log(np.asarray(candidate, float)), confidence)
    return RatioInterval(ratio=math.exp(est.shift), low=_exp(est.low), high=_exp(est.high))


def _exp(x: float) -> float:
    return 0.0 if x == -math.inf else math.inf if x == math.inf else math.exp(x)
