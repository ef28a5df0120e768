"""Student's t without scipy: the quantile inverts the tail for every degrees of freedom a
comparison meets (fractional Welch–Satterthwaite ones included), from the fewest to the
normal limit, and matches printed tables."""

from __future__ import annotations

import pytest

from benchbot.stats.student import NORMAL_DF, t_quantile, t_two_sided_p


@pytest.mark.parametrize("df", [0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 4.7, 7.0, 29.3, 100.0, 1e4])
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
    assert t_quantile(0.975, NORMAL_DF * 10) == pytest.approx(1.959964, rel=1e-6)
