"""Student's t distribution without scipy (pure): the regularized incomplete beta function
by its continued fraction or, where that converges slowly, its power series; and from
:data:`HILL_DF` degrees of freedom on, Hill's expansion of the quantile (and its inverse).

References
----------
.. [1] NIST Digital Library of Mathematical Functions, eq. 8.17.22 (the continued
   fraction of I_x(a, b)) and 8.17.4 (the symmetry I_x(a, b) = 1 - I_{1-x}(b, a));
   Lentz's algorithm (Thompson & Barnett, *J. Comput. Phys.* 64, 1986) to evaluate it.
.. [4] NIST Digital Library of Mathematical Functions, eq. 8.17.8 (I_x(a, b) as a power
   series in x).
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


def _beta_series(a: float, b: float, x: float) -> float | None:
    """The sum over n >= 0 of (a + b)_n / (a + 1)_n x^n of [4]_, for b > 1 (its ratios then
    fall towards x); None when it needs more than 300 terms. Positive terms: no
    cancellation."""
    total = term = 1.0
    ab = a + b
    for n in range(300):
        term *= (ab + n) / (a + 1.0 + n) * x
        total += term
        if term < _EPS * total:
            return total
    return None


def _log_front(a: float, b: float, x: float) -> float:
    """log(x^a (1 - x)^b / (a B(a, b))), the factor before both the fraction and the series."""
    return (a * math.log(x) + b * math.log1p(-x) - math.log(a)
            + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b))


def _by_series(a: float, b: float, x: float) -> float | None:
    """I_x(a, b) by the power series [4]_ where it converges in a few terms (its ratios
    fall from x (a + b) / (a + 1) towards x when b > 1), else None."""
    if not (b > 1.0 and x * (a + b) < 4.0 * (a + 1.0)):
        return None
    total = _beta_series(a, b, x)
    return None if total is None else math.exp(_log_front(a, b, x)) * total


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, for a, b > 0 [3]_.

    The continued fraction, on the side of x where it converges, or the power series [4]_
    where that takes fewer steps: t tails at many degrees of freedom (a = 1/2, b large, x
    small; or its complement, when that leaves at least 1e-2)."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"I_x(a, b) needs 0 <= x <= 1, not {x}")
    if x in (0.0, 1.0):
        return x
    if x > (a + 1.0) / (a + b + 2.0):  # the fraction converges fast on this side only
        return 1.0 - regularized_beta(b, a, 1.0 - x)
    direct = _by_series(a, b, x)
    if direct is not None:
        return direct
    # the complement, where subtracting it from 1 loses at most two digits of the few
    # that its front factor's lgamma terms leave (fewer up to 1e5)
    other = _by_series(b, a, 1.0 - x) if b <= 1.0 and a <= 1e5 else None
    if other is not None and other <= 0.99:
        return 1.0 - other
    return math.exp(_log_front(a, b, x)) * _beta_fraction(a, b, x)


#: degrees of freedom from which Hill's expansion (:func:`_start`) is the t quantile to
#: ~1e-14 (its next term is of order df^-5), closer than the incomplete beta's lgamma terms
#: leave it: both the quantile and the tail are taken from it there
HILL_DF = 1e4


def _normal_equivalent(t: float, df: float) -> float:
    """The z whose Hill expansion (:func:`_start`) is ``t``: Newton's method on the
    polynomial, from z = t (two or three steps at df >= HILL_DF)."""
    z = t
    for _ in range(50):
        z2 = z * z
        slope = 1.0 + ((3.0 * z2 + 1.0) / 4.0 + ((25.0 * z2 + 48.0) * z2 + 3.0) / 96.0 / df
                       + (((21.0 * z2 + 95.0) * z2 + 51.0) * z2 - 15.0) / 384.0 / df ** 2
                       + ((((711.0 * z2 + 5432.0) * z2 + 7410.0) * z2 - 5760.0) * z2 - 945.0)
                       / 92160.0 / df ** 3) / df
        step = (_start(z, df) - t) / slope
        z -= step
        if abs(step) <= 1e-15 * max(1.0, z):
            break
    return z


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` (possibly fractional) degrees of freedom."""
    if df >= HILL_DF:  # (to the normal as df -> inf)
        return math.erfc(_normal_equivalent(abs(t), df) / math.sqrt(2.0))
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
    while no upper end is known); from :data:`HILL_DF` on, the expansion itself. A
    Newton step of size d leaves an error of about
    K d^2, K = |tail'' / 2 tail'| = (df + 1) t / (2 (df + t^2)): a step whose error left
    is below 1e-12 of t ends it, so from Hill's start one evaluation of the tail is
    usually enough, a few more for the fewest degrees of freedom."""
    tail = 2.0 * (1.0 - p)
    z = NormalDist().inv_cdf(p)
    t = _start(z, df)
    if df >= HILL_DF:
        return t
    lo, hi = 0.0, math.inf
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
        if lo < nxt < hi:
            step = nxt - t
            curvature = (df + 1.0) * t / (2.0 * (df + t * t))
            if curvature * step * step <= 1e-12 * max(1.0, t):
                return nxt
        else:
            nxt = (lo + hi) / 2.0 if math.isfinite(hi) else 2.0 * max(t, 1.0)
            if math.isfinite(hi) and hi - lo <= 1e-13 * hi:
                return nxt  # (an open bracket, hi = inf, is never narrow)
        t = nxt
    return t
