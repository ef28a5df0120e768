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

from benchbot.verdicts.ranks import RatioInterval
from benchbot.stats.student import regularized_beta, t_quantile, t_two_sided_p

__all__ = ["WelchResult", "regularized_beta", "t_quantile", "t_two_sided_p", "welch_ratio"]

# The t distribution lives in stats/ (cases' confidence intervals use it too).
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
