"""Student's t distribution without scipy: the regularized incomplete beta function by its
continued fraction (pure).

References
----------
.. [1] NIST Digital Library of Mathematical Functions, eq. 8.17.22 (the continued
   fraction of I_x(a, b)) and 8.17.4 (the symmetry I_x(a, b) = 1 - I_{1-x}(b, a));
   Lentz's algorithm (Thompson & Barnett, *J. Comput. Phys.* 64, 1986) to evaluate it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

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


#: degrees of freedom beyond which Student's t is the normal distribution (to ~1e-6)
NORMAL_DF = 1e7


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` (possibly fractional) degrees of freedom."""
    if df > NORMAL_DF:  # the normal, to 1e-6 (and the fraction loses precision up there)
        return math.erfc(abs(t) / math.sqrt(2.0))
    return regularized_beta(df / 2.0, 0.5, df / (df + t * t))


def _t_density(t: float, df: float) -> float:
    """The density of Student's t at ``t``."""
    log_norm = (math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0)
                - 0.5 * math.log(df * math.pi))
    return math.exp(log_norm - (df + 1.0) / 2.0 * math.log1p(t * t / df))


def _start(z: float, df: float) -> float:
    """Hill's expansion of the t quantile in powers of 1/df around the normal quantile ``z``
    (Hill, *Comm. ACM* 13, 1970, algorithm 396): within ~1e-6 from a few degrees of freedom,
    so that Newton's method ends in two or three steps."""
    z2 = z * z
    g1 = (z2 + 1.0) * z / 4.0
    g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0
    g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0
    g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p, for 0.5 <= p < 1.

    Newton's method on the two-sided tail from Hill's expansion (:func:`_start`),
    safeguarded by a bracket that a step never leaves (it bisects instead, or doubles
    while no upper end is known): two or three evaluations of the tail, a few more for
    the fewest degrees of freedom."""
    tail = 2.0 * (1.0 - p)
    z = NormalDist().inv_cdf(p)
    if df > NORMAL_DF:
        return z
    lo, hi = 0.0, math.inf
    t = _start(z, df)
    if not t > 0.0 or not math.isfinite(t):
        t = 1.0
    for _ in range(400):
        excess = t_two_sided_p(t, df) - tail  # > 0: t is too small
        if excess > 0:
            lo = t
        else:
            hi = t
        density = _t_density(t, df)
        nxt = t + excess / (2.0 * density) if density > 0.0 else math.nan  # d(tail)/dt = -2 f
        if not lo < nxt < hi:
            nxt = (lo + hi) / 2.0 if math.isfinite(hi) else 2.0 * max(t, 1.0)
        # a Newton step of 1e-10 leaves an error of its square; a bisection one, itself
        if abs(nxt - t) <= 1e-10 * max(1.0, abs(t)) or (math.isfinite(hi)
                                                       and hi - lo <= 1e-13 * hi):
            return nxt  # (an open bracket, hi = inf, is never narrow)
        t = nxt
    return t
