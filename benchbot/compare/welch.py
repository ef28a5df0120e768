"""Welch's t-test and a ratio of means from aggregates (n, mean, std) only.

Native benchmark tools often print a count, a mean and a standard deviation
but no individual runs; rank methods are impossible then. Pure, no scipy: the
t distribution comes from the regularized incomplete beta function, evaluated
by its continued fraction.

References
----------
.. [1] Welch, B. L. (1947). The generalization of 'Student's' problem when
   several different population variances are involved. *Biometrika* 34,
   28-35.
.. [2] Satterthwaite, F. E. (1946). An approximate distribution of estimates
   of variance components. *Biometrics Bulletin* 2(6), 110-114.
.. [3] NIST Digital Library of Mathematical Functions, eq. 8.17.22 (the
   continued fraction of I_x(a, b)) and 8.17.4 (the symmetry
   I_x(a, b) = 1 - I_{1-x}(b, a)); Lentz's algorithm (Thompson & Barnett,
   *J. Comput. Phys.* 64, 1986) to evaluate it.
.. [4] Casella, G. & Berger, R. L. (2002). *Statistical Inference*, 2nd ed.,
   sec. 5.5.4 (the delta method).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchbot.compare.ranks import RatioInterval

_TINY = 1e-300
_EPS = 1e-15


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction 1 / (1 + d1 / (1 + d2 / (1 + ...))) of [3]_.

    Lentz's method evaluates the denominator f = 1 + d1 / (1 + d2 / ...) as a
    product of ratios of successive convergents.
    """
    f = c = 1.0
    d = 0.0
    for step in range(1, 1000):
        m = step // 2
        if step % 2:  # d_{2m+1}
            coef = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:  # d_{2m}
            coef = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + coef * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + coef / c
        c = c if abs(c) > _TINY else _TINY
        f *= c * d
        if abs(c * d - 1.0) < _EPS:
            break
    return 1.0 / f


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, for a, b > 0 [3]_."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"I_x(a, b) needs 0 <= x <= 1, not {x}")
    if x in (0.0, 1.0):
        return x
    if x > (a + 1.0) / (a + b + 2.0):  # the fraction converges fast on this side only
        return 1.0 - regularized_beta(b, a, 1.0 - x)
    log_front = (a * math.log(x) + b * math.log1p(-x) - math.log(a)
                 + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b))
    return math.exp(log_front) * _beta_fraction(a, b, x)


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` (possibly fractional) degrees of freedom."""
    if math.isinf(df):
        return math.erfc(abs(t) / math.sqrt(2.0))
    return regularized_beta(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p, for 0.5 <= p < 1, by bisection on the tail."""
    tail = 2.0 * (1.0 - p)
    lo, hi = 0.0, 1.0
    while t_two_sided_p(hi, df) > tail:
        hi *= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if t_two_sided_p(mid, df) > tail else (lo, mid)
    return (lo + hi) / 2.0


@dataclass(frozen=True)
class WelchResult:
    """Welch's test of candidate against baseline means, and their ratio."""

    t: float
    df: float
    p_value: float
    interval: RatioInterval  # mean candidate / mean baseline, delta-method CI


def welch_ratio(base_n: int, base_mean: float, base_std: float, cand_n: int,
                cand_mean: float, cand_std: float, confidence: float = 0.95) -> WelchResult:
    """Welch's t-test [1]_ with Welch–Satterthwaite degrees of freedom [2]_.

    The ratio of means gets a delta-method interval on the log scale [4]_:
    Var(log R) ~ s_c^2 / (n_c m_c^2) + s_b^2 / (n_b m_b^2), and
    R exp(+-t_{df} se), which stays positive and is symmetric in log ratio.
    """
    if base_n < 2 or cand_n < 2:
        raise ValueError("Welch's test needs at least 2 runs on each side")
    if base_mean <= 0 or cand_mean <= 0:
        raise ValueError("latency means must be positive")
    var_b, var_c = base_std ** 2 / base_n, cand_std ** 2 / cand_n
    ratio = cand_mean / base_mean
    if var_b + var_c == 0:  # no spread at all: the means are what they are
        p = 1.0 if cand_mean == base_mean else 0.0
        return WelchResult(t=0.0 if p else math.copysign(math.inf, ratio - 1), df=math.inf,
                           p_value=p, interval=RatioInterval(ratio, ratio, ratio))
    t = (cand_mean - base_mean) / math.sqrt(var_b + var_c)
    df = (var_b + var_c) ** 2 / (var_b ** 2 / (base_n - 1) + var_c ** 2 / (cand_n - 1))
    se_log = math.sqrt(var_c / cand_mean ** 2 + var_b / base_mean ** 2)
    half = t_quantile(1.0 - (1.0 - confidence) / 2.0, df) * se_log
    return WelchResult(t=t, df=df, p_value=t_two_sided_p(t, df),
                       interval=RatioInterval(ratio, ratio * math.exp(-half),
                                              ratio * math.exp(half)))
