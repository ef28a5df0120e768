"""Statistics of raw samples: summaries, the median's CI, stability warnings.

Pure tests. numpy is the independent reference for the order statistics
(``np.percentile`` with its default linear interpolation, ``np.std`` with
ddof=1); the coverage of the median's confidence interval is recomputed here
from the binomial distribution with ``math.comb``.
"""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest

from benchbot.stats import Summary, Thresholds, median_ci_ranks, percentile, stability_warnings
from benchbot.stats import summarize

SIZES = (1, 2, 3, 5, 6, 7, 10, 20, 101, 1000, 2500)


def coverage(n: int, j: int) -> float:
    """P(x_(j) <= true median <= x_(n-j+1)) = 1 - 2 P(Binomial(n, 1/2) <= j - 1)."""
    tail, term = 0, 1  # term = C(n, k), updated in exact integers
    for k in range(j):
        tail += term
        term = term * (n - k) // (k + 1)
    return 1.0 - (2 * tail) / 2**n  # one correctly rounded division


def tightest_rank(n: int) -> int | None:
    """The largest j whose interval [x_(j), x_(n-j+1)] still covers the median at 95%."""
    best, tail = None, 0  # tail = sum of C(n, k) for k < j, in exact integers
    for j in range(1, n // 2 + 1):
        tail += math.comb(n, j - 1)
        if 1.0 - (2 * tail) / 2**n < 0.95:
            break
        best = j
    return best


def samples(n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(rng.lognormal(mean=2.0, sigma=0.3, size=n))


# --- summarize against numpy -------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_summarize_matches_numpy(n: int) -> None:
    xs = samples(n, seed=n)
    s = summarize(xs)
    a = np.asarray(xs)
    assert s.n == n
    assert s.mean_ms == pytest.approx(np.mean(a), rel=1e-12)
    assert s.median_ms == pytest.approx(np.median(a), rel=1e-12)
    assert s.p90_ms == pytest.approx(np.percentile(a, 90, method="linear"), rel=1e-12)
    assert s.p99_ms == pytest.approx(np.percentile(a, 99, method="linear"), rel=1e-12)
    expected_std = float(np.std(a, ddof=1)) if n > 1 else 0.0
    assert s.std_ms == pytest.approx(expected_std, rel=1e-9, abs=1e-12)
    assert s.min_ms == a.min() and s.max_ms == a.max()
    assert s.mad_ms == pytest.approx(np.median(np.abs(a - np.median(a))), rel=1e-12)


@pytest.mark.parametrize("n", [n for n in SIZES if 6 <= n <= 2000])
def test_summarize_ci_is_the_order_statistics_of_the_exact_ranks(n: int) -> None:
    xs = samples(n, seed=100 + n)
    s = summarize(xs)
    ordered = sorted(xs)
    j = tightest_rank(n)
    assert j is not None
    assert (s.ci95_low_ms, s.ci95_high_ms) == (ordered[j - 1], ordered[n - j])


@pytest.mark.parametrize("n", [1, 2, 5])
def test_summarize_with_too_few_samples_for_a_ci_uses_the_full_range(n: int) -> None:
    xs = samples(n, seed=7)
    s = summarize(xs)
    assert (s.ci95_low_ms, s.ci95_high_ms) == (min(xs), max(xs))


def test_summarize_does_not_depend_on_the_order_of_samples() -> None:
    xs = samples(57, seed=3)
    shuffled = xs[:]
    random.Random(1).shuffle(shuffled)
    assert shuffled != xs
    assert summarize(shuffled) == summarize(sorted(xs))


def test_summarize_accepts_ints_and_reports_floats() -> None:
    s = summarize([3, 1, 2])
    assert s.median_ms == 2.0 and isinstance(s.median_ms, float)
    assert s.mean_ms == 2.0
    assert s.std_ms == 1.0


def test_mad_by_hand_odd_count() -> None:
    # median 3; |x - 3| = 2, 1, 0, 1, 97 -> sorted 0, 1, 1, 2, 97 -> MAD 1
    s = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert s.median_ms == 3.0
    assert s.mad_ms == 1.0
    assert s.robust_cv == pytest.approx(1.4826 / 3.0)
    # the outlier moves the mean and std, not the robust statistics
    assert s.mean_ms == 22.0
    assert s.cv > 1.0


def test_mad_by_hand_even_count() -> None:
    # median 2.5; |x - 2.5| = 1.5, 0.5, 0.5, 1.5 -> MAD 1.0
    s = summarize([4.0, 1.0, 3.0, 2.0])
    assert s.median_ms == 2.5
    assert s.mad_ms == 1.0


def test_percentiles_interpolate_linearly_by_hand() -> None:
    xs = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(xs, 0) == 10.0
    assert percentile(xs, 100) == 50.0
    assert percentile(xs, 50) == 30.0
    assert percentile(xs, 90) == pytest.approx(46.0)  # pos 3.6: 40 + 0.6 * 10
    assert percentile(xs, 99) == pytest.approx(49.6)  # pos 3.96


def test_percentile_of_nothing_raises() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)


def test_single_sample() -> None:
    s = summarize([12.5])
    assert s == Summary(n=1, mean_ms=12.5, median_ms=12.5, p90_ms=12.5, p99_ms=12.5, std_ms=0.0,
                        min_ms=12.5, max_ms=12.5, mad_ms=0.0, ci95_low_ms=12.5,
                        ci95_high_ms=12.5)
    assert s.cv == 0.0 and s.robust_cv == 0.0


def test_empty_samples_raise() -> None:
    with pytest.raises(ValueError, match="no samples"):
        summarize([])


def test_summary_to_dict_has_every_stat_in_ms() -> None:
    d = summarize([1.0, 2.0, 3.0]).to_dict()
    assert set(d) == {"n", "mean_ms", "median_ms", "p90_ms", "p99_ms", "std_ms", "min_ms",
                      "max_ms", "mad_ms", "ci95_low_ms", "ci95_high_ms", "processes",
                      "between_cv", "within_cv", "within_ci95_low_ms", "within_ci95_high_ms",
                      "between_runs_sd", "between_runs_from"}
    assert d["median_ms"] == 2.0 and d["n"] == 3


def test_cv_and_robust_cv_are_zero_for_a_zero_centre() -> None:
    s = summarize([0.0, 0.0, 0.0])
    assert s.cv == 0.0 and s.robust_cv == 0.0


@pytest.mark.parametrize("n", list(range(1, 40)) + [200, 3000])
def test_ci_contains_the_median(n: int) -> None:
    s = summarize(samples(n, seed=n + 11))
    assert s.ci95_low_ms <= s.median_ms <= s.ci95_high_ms
    assert s.min_ms <= s.ci95_low_ms and s.ci95_high_ms <= s.max_ms


# --- the ranks of the median's confidence interval ----------------------------------------


@pytest.mark.parametrize(("n", "ranks"), [(1, None), (5, None), (6, (1, 6)), (10, (2, 9)),
                                          (20, (6, 15))])
def test_median_ci_ranks_small_n(n: int, ranks: tuple[int, int] | None) -> None:
    assert median_ci_ranks(n) == ranks


def test_median_ci_ranks_cover_95_percent_and_are_the_tightest_that_do() -> None:
    for n in range(6, 201):
        ranks = median_ci_ranks(n)
        assert ranks is not None, n
        j, k = ranks
        assert k == n - j + 1, n
        assert coverage(n, j) >= 0.95, n
        assert coverage(n, j + 1) < 0.95, n  # one step inwards no longer covers


def test_median_ci_ranks_other_confidence() -> None:
    # 99%: n=10 needs P(B <= j-1) <= 0.005; P(B <= 0) = 1/1024, P(B <= 1) = 11/1024
    assert median_ci_ranks(10, confidence=0.99) == (1, 10)
    assert median_ci_ranks(7, confidence=0.99) is None  # 2/128 > 0.01
    assert median_ci_ranks(8, confidence=0.99) == (1, 8)  # 2/256 <= 0.01


@pytest.mark.parametrize("n", [2001, 2500, 5000, 12345])
def test_median_ci_ranks_normal_approximation_for_large_n(n: int) -> None:
    ranks = median_ci_ranks(n)
    assert ranks is not None
    j, k = ranks
    assert k == n - j + 1
    # the approximation is conservative, and at most one rank wider than exact
    assert coverage(n, j) >= 0.95
    assert coverage(n, j + 2) < 0.95
    # about 1.96 sqrt(n) / 2 ranks either side of the middle
    half = 1.959964 * math.sqrt(n) / 2
    assert abs((n + 1) / 2 - j - half) < 2


def test_median_ci_ranks_golden_large_n() -> None:
    assert median_ci_ranks(5000) == (2430, 2571)


def test_large_sample_ci_is_sensible() -> None:
    rng = np.random.default_rng(5000)
    xs = list(rng.normal(loc=10.0, scale=1.0, size=5000))
    s = summarize(xs)
    assert s.ci95_low_ms < s.median_ms < s.ci95_high_ms
    assert s.ci95_low_ms < 10.0 < s.ci95_high_ms  # the true median, with this seed
    # asymptotic width of the median's CI: 2 * 1.96 * sqrt(pi/2) * sigma / sqrt(n) ~ 0.0695
    width = s.ci95_high_ms - s.ci95_low_ms
    assert 0.04 < width < 0.11
    ordered = sorted(xs)
    assert (s.ci95_low_ms, s.ci95_high_ms) == (ordered[2429], ordered[2570])


# --- stability warnings ----------------------------------------------------------------------

ACTIONS = re.compile(r"--(min-time|max-time|warmup|min-runs|max-runs)\b|close other programs|"
                     r"pin the cores")


def summary(**kw: float) -> Summary:
    base = dict(n=100, mean_ms=10.0, median_ms=10.0, p90_ms=10.2, p99_ms=10.4, std_ms=0.1,
                min_ms=9.8, max_ms=10.5, mad_ms=0.05, ci95_low_ms=9.99, ci95_high_ms=10.01)
    base.update(kw)
    return Summary(**base)  # type: ignore[arg-type]


def test_clean_measurement_has_no_warnings() -> None:
    rng = np.random.default_rng(1)
    xs = list(10.0 + rng.normal(0.0, 0.05, size=200))
    assert stability_warnings(summarize(xs)) == []
    assert stability_warnings(summary()) == []


def test_few_runs_warns_and_says_to_raise_max_time() -> None:
    warnings = stability_warnings(summary(n=8))
    assert len(warnings) == 1
    assert "8 timed runs" in warnings[0]
    assert "--max-time" in warnings[0]
    assert "too few for a 95% CI" not in warnings[0]  # 8 samples do give a CI


def test_too_few_runs_for_a_ci_says_so() -> None:
    warnings = stability_warnings(summarize([10.0, 10.0, 10.0]))
    assert len(warnings) == 1
    assert "only 3 timed runs" in warnings[0]
    assert "too few for a 95% CI" in warnings[0]


def test_min_runs_threshold_is_respected() -> None:
    assert stability_warnings(summary(n=10)) == []
    assert len(stability_warnings(summary(n=10), Thresholds(min_runs=11))) == 1


def test_noisy_measurement_warns_with_its_robust_spread() -> None:
    # 1.4826 * 1.0 / 10 = 14.8% > 10%
    warnings = stability_warnings(summary(mad_ms=1.0))
    assert len(warnings) == 1
    assert warnings[0].startswith("noisy")
    assert "15%" in warnings[0]
    assert "--warmup" in warnings[0]


def test_spread_is_robust_to_a_few_outliers() -> None:
    # a high std from two hiccups is not "noisy": only the MAD-based spread counts
    assert stability_warnings(summary(std_ms=8.0, max_ms=90.0)) == []


def test_noisy_real_samples() -> None:
    rng = np.random.default_rng(2)
    xs = list(rng.uniform(5.0, 15.0, size=1000))
    warnings = stability_warnings(summarize(xs))
    assert any(w.startswith("noisy") for w in warnings)


def test_a_wide_ci_is_no_warning_of_its_own() -> None:
    """The CI is stated once, with its parts; its width is judged by validity (wide_ci),
    whose advice names the dominant part, not by a second warning with other advice."""
    assert stability_warnings(summary(ci95_low_ms=9.5, ci95_high_ms=10.5)) == []


def test_zero_median_does_not_divide_by_zero() -> None:
    s = summarize([0.0] * 20)
    assert stability_warnings(s) == []


@pytest.mark.parametrize("s", [
    summary(n=3, ci95_low_ms=9.0, ci95_high_ms=11.0),
    summary(n=8),
    summary(mad_ms=3.0),
    summary(n=4, mad_ms=3.0, ci95_low_ms=5.0, ci95_high_ms=15.0),
])
def test_every_warning_names_a_next_action(s: Summary) -> None:
    warnings = stability_warnings(s)
    assert warnings
    for warning in warnings:
        assert ACTIONS.search(warning), warning
        assert "\n" not in warning


def test_both_warnings_at_once() -> None:
    warnings = stability_warnings(summary(n=4, mad_ms=3.0, ci95_low_ms=5.0, ci95_high_ms=15.0))
    assert len(warnings) == 2


# --- summaries from a native tool's aggregates -------------------------------------------------


def test_from_aggregates_keeps_what_was_printed_and_estimates_nothing() -> None:
    s = Summary.from_aggregates(50, 12.0, median_ms=11.5, std_ms=0.6, min_ms=10.0)
    assert (s.n, s.mean_ms, s.median_ms, s.std_ms, s.min_ms) == (50, 12.0, 11.5, 0.6, 10.0)
    assert s.p90_ms is None and s.p99_ms is None and s.max_ms is None
    assert s.mad_ms is None and s.ci95_low_ms is None and s.ci95_high_ms is None


def test_aggregates_spread_falls_back_to_the_cv() -> None:
    s = Summary.from_aggregates(50, 10.0, std_ms=2.0)
    assert s.cv == pytest.approx(0.2)
    assert s.robust_cv == pytest.approx(0.2)
    assert Summary.from_aggregates(50, 10.0).cv == 0.0


def test_aggregates_warnings_say_the_spread_is_of_the_mean_and_skip_the_ci() -> None:
    warnings = stability_warnings(Summary.from_aggregates(50, 10.0, median_ms=10.0, std_ms=2.0))
    assert len(warnings) == 1
    assert "20% of the mean" in warnings[0]
    assert "--warmup" in warnings[0]
    assert stability_warnings(Summary.from_aggregates(50, 10.0, std_ms=0.1)) == []
