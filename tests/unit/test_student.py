"""Student's t without scipy: the quantile inverts the tail for every degrees of freedom a
comparison meets (fractional Welch–Satterthwaite ones included), from the fewest to the
normal limit, and matches printed tables."""

from __future__ import annotations

import math

import pytest

from benchbot.stats.student import HILL_DF, t_quantile, t_two_sided_p


@pytest.mark.parametrize("df", [0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 4.7, 7.0, 29.3, 100.0, 9999.0,
                                1e4, 3.3e5, 1e8])
@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995, 0.9995, 0.999999])
def test_the_quantile_inverts_the_tail(df: float, p: float) -> None:
    t = t_quantile(p, df)
    assert t > 0
    assert t_two_sided_p(t, df) == pytest.approx(2 * (1 - p), rel=1e-8)


def test_the_quantile_matches_printed_tables_and_the_normal_limit() -> None:
    # two-sided 95% and 99% critical values as every statistics table prints them
    assert t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile(0.975, 2) == pytest.approx(4.303, abs=1e-3)
    assert t_quantile(0.995, 5) == pytest.approx(4.032, abs=1e-3)
    assert t_quantile(0.975, 30) == pytest.approx(2.042, abs=1e-3)
    assert t_quantile(0.975, 1e9) == pytest.approx(1.959964, rel=1e-6)
    assert t_quantile(0.975, math.inf) == pytest.approx(1.959964, rel=1e-6)
    assert t_two_sided_p(1.959964, math.inf) == pytest.approx(0.05, rel=1e-6)


@pytest.mark.parametrize("df", [120.0, 1000.0, 2700.0, 4.2e4, 9e4])
@pytest.mark.parametrize("t", [0.05, 0.7, 1.96, 2.6, 3.3])
def test_the_series_and_the_fraction_agree_where_both_apply(df: float, t: float) -> None:
    # at many degrees of freedom a t tail is summed as a power series (or 1 minus one):
    # the continued fraction, slower there but valid everywhere, gives the same tail
    from benchbot.stats import student

    def by_fraction(a: float, b: float, x: float) -> float:  # on the side it converges
        if x > (a + 1.0) / (a + b + 2.0):
            return 1.0 - by_fraction(b, a, 1.0 - x)
        return math.exp(student._log_front(a, b, x)) * student._beta_fraction(a, b, x)

    assert t_two_sided_p(t, df) == pytest.approx(by_fraction(df / 2, 0.5, df / (df + t * t)),
                                                 rel=1e-9)


def test_hills_expansion_takes_over_where_the_beta_function_leaves_off() -> None:
    # on either side of HILL_DF the two ways give one tail and one quantile
    for t in (0.3, 1.96, 3.0, 5.0):
        assert t_two_sided_p(t, HILL_DF * (1 - 1e-12)) == pytest.approx(
            t_two_sided_p(t, HILL_DF), rel=1e-9)
    assert t_quantile(0.995, HILL_DF * (1 - 1e-12)) == pytest.approx(
        t_quantile(0.995, HILL_DF), rel=1e-11)


def test_large_degrees_of_freedom_match_printed_tables() -> None:
    assert t_quantile(0.975, 120) == pytest.approx(1.97993, abs=1e-5)
    assert t_quantile(0.975, 1000) == pytest.approx(1.96234, abs=1e-5)
    assert t_quantile(0.995, 1000) == pytest.approx(2.58075, abs=1e-5)
