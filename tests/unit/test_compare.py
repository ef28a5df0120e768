"""benchbot.verdicts, pure: statistics against known values, verdicts on synthetic phones.

Latencies are drawn from lognormal distributions with fixed seeds: a
multiplicative noise like phones show; a slowdown by r multiplies every draw.
"""

from __future__ import annotations

import dataclasses
import importlib
import hashlib
import json
import math

import numpy as np
import pytest

from benchbot.verdicts import (CompareSettings, EstimateSettings, Kind, Side, ThresholdPolicy,
                              compare, history_series, parse_threshold, rolling_baseline)
from benchbot.report.comparison import render_json, render_markdown
from benchbot.verdicts import ranks
from benchbot.verdicts.bootstrap import bootstrap_median_ratio, bootstrap_medians
from benchbot.verdicts.ranks import ci_rank, hodges_lehmann_ratio, mann_whitney
from benchbot.verdicts.welch import regularized_beta, t_quantile, t_two_sided_p, welch_ratio
from benchbot.errors import ConfigError
from benchbot.store.entries import Entry
from benchbot.stats import Summary, summarize
from benchbot.store import CaseResult, RunRecord
from tests.support.cases import make_case

compare_api = importlib.import_module("benchbot.verdicts")

SHA_A = "a" * 64
SHA_B = "b" * 64
# These test the statistics within one process per side (the method behind v1 files and
# --repeat 1), so their verdicts are taken as confirmed; test_repeats.py covers the cap.
HL = CompareSettings(trust_one_process=True)
BOOT = CompareSettings(estimation=EstimateSettings(method="bootstrap"), trust_one_process=True)


def phone(seed: int, n: int = 200, median_ms: float = 20.0, sigma: float = 0.15) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(math.log(median_ms), sigma, n)


def case(samples=None, *, model: str = "mnet", sha: str | None = None, device: str = "phone",
         threads: int = 1, batch: int = 1, stats: Summary | None = None,
         status: str = "ok") -> CaseResult:
    if samples is not None:
        samples = tuple(float(x) for x in samples)
        stats = summarize(samples)
    sha = sha or hashlib.sha256(model.encode()).hexdigest()  # one file per model name
    return make_case(id="x", model=f"/models/{model}.onnx", model_sha256=sha,
                     model_size_mb=1.0, device=device, runtime="onnxruntime", threads=threads,
                     batch=batch, precision="fp32", status=status,
                     error=None if status == "ok" else "boom", samples_ms=samples or (),
                     stats=stats, stats_source="samples" if samples else "aggregates")


def side(*cases: CaseResult, run_id: str = "r") -> Side:
    return Side(label=run_id, entries=tuple(Entry(run_id, c) for c in cases))


def verdict(base, cand, settings: CompareSettings = HL):
    (only,) = compare(side(case(base)), side(case(cand)), settings).comparisons
    return only


# --- verdicts on synthetic phones -------------------------------------------------------

@pytest.mark.parametrize("settings", [HL, BOOT], ids=["hl", "bootstrap"])
def test_ten_percent_slowdown_is_slower(settings: CompareSettings) -> None:
    c = verdict(phone(1), 1.10 * phone(2), settings)
    assert c.verdict.kind == Kind.SLOWER, c.verdict.reason
    assert 1.05 < c.estimate.ratio < 1.15 and c.estimate.ci_low > 1.0
    assert c.estimate.p_value < 0.01


@pytest.mark.parametrize("settings", [HL, BOOT], ids=["hl", "bootstrap"])
def test_ten_percent_speedup_is_faster(settings: CompareSettings) -> None:
    assert verdict(phone(3), phone(4) / 1.10, settings).verdict.kind == Kind.FASTER


def test_identical_distributions_are_unchanged() -> None:
    c = verdict(phone(1), phone(2))
    assert c.verdict.kind == Kind.UNCHANGED, c.verdict.reason
    assert c.estimate.ci_low < 1.0 < c.estimate.ci_high


def test_identical_distributions_never_raise_false_alarms() -> None:
    kinds = [verdict(phone(2 * s), phone(2 * s + 1)).verdict.kind for s in range(50)]
    assert Kind.SLOWER not in kinds and Kind.FASTER not in kinds
    # the CI spans about +-3%; where chance moves it past +-5%, uncertain, never slower
    assert kinds.count(Kind.UNCHANGED) >= 35


def test_mann_whitney_false_positive_rate_is_near_alpha() -> None:
    ps = [mann_whitney(phone(1000 + s, 40), phone(2000 + s, 40)).p_value for s in range(200)]
    assert sum(p < 0.05 for p in ps) <= 20  # expected 10; binomial sd 3


@pytest.mark.parametrize("settings", [HL, BOOT], ids=["hl", "bootstrap"])
def test_two_percent_under_a_five_percent_threshold_is_not_slower(
        settings: CompareSettings) -> None:
    for seed in range(5):
        c = verdict(phone(10 + seed), 1.02 * phone(20 + seed), settings)
        assert c.verdict.kind in (Kind.UNCHANGED, Kind.UNCERTAIN), c.verdict.reason


def test_tiny_noisy_samples_are_uncertain() -> None:
    c = verdict(phone(5, n=5, sigma=0.5), 1.3 * phone(6, n=5, sigma=0.5))
    assert c.verdict.kind == Kind.UNCERTAIN
    # 5 vs 5 can never reach p < 0.01 with the normal approximation
    assert c.estimate.p_value > 0.01


def test_too_few_runs_for_any_interval() -> None:
    c = verdict([10.0, 11.0, 12.0], [20.0, 21.0, 22.0])
    assert c.verdict.kind == Kind.UNCERTAIN and "--min-runs" in c.verdict.reason
    assert c.estimate.ci_low == 0.0 and c.estimate.ci_high == math.inf


@pytest.mark.parametrize("method", ["hl", "bootstrap"])
def test_confidence_intervals_cover_the_true_ratio(method: str) -> None:
    covered = 0
    for trial in range(100):
        base, cand = phone(5000 + trial, n=60, sigma=0.2), 1.1 * phone(9000 + trial, n=60,
                                                                       sigma=0.2)
        ci = (hodges_lehmann_ratio(base, cand) if method == "hl"
              else bootstrap_median_ratio(base, cand, seed=trial))
        covered += ci.low <= 1.1 <= ci.high
    assert covered >= 88  # nominal 95; the percentile bootstrap runs a little short


# --- statistics against known values ----------------------------------------------------

def test_mann_whitney_without_ties() -> None:
    # every y beats every x: U = 9 of 9 pairs; mean 4.5, variance 3*3*7/12 = 5.25
    mw = mann_whitney(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))
    assert mw.u == 9.0
    z = (9 - 4.5 - 0.5) / math.sqrt(5.25)
    assert mw.z == pytest.approx(z) and mw.p_value == pytest.approx(0.08086, abs=1e-5)


def test_mann_whitney_with_ties_worked_by_hand() -> None:
    x, y = [1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 4.0, 4.0, 5.0]
    # pairs y > x count 1, ties 1/2: y=2 -> 1+1, y=3 -> 3+0.5, y=4,4,5 -> 4 each
    assert sum((b > a) + 0.5 * (b == a) for a in x for b in y) == 17.5
    # tie groups 2 (x3), 3 (x2), 4 (x2): sum t^3 - t = 24 + 6 + 6 = 36, N = 9
    variance = 4 * 5 / 12 * (10 - 36 / (9 * 8))
    mw = mann_whitney(np.array(x), np.array(y))
    assert mw.u == 17.5 and mw.z == pytest.approx((7.5 - 0.5) / math.sqrt(variance))
    assert mw.p_value == pytest.approx(0.0785, abs=5e-4)


def test_all_values_tied_give_p_one() -> None:
    assert mann_whitney(np.full(5, 3.0), np.full(7, 3.0)).p_value == 1.0


@pytest.mark.parametrize("n,m,critical", [(4, 4, 0), (5, 5, 2), (5, 10, 8), (6, 9, 10),
                                          (7, 12, 18), (8, 8, 13), (10, 10, 23),
                                          (20, 20, 127)])
def test_interval_ranks_match_the_u_table(n: int, m: int, critical: int) -> None:
    # published two-sided 5% critical values of U: the interval starts one rank above
    assert ci_rank(n, m) == critical + 1
    assert ci_rank(m, n) == critical + 1


def test_no_interval_for_three_against_three() -> None:
    assert ci_rank(3, 3) == 0


def test_hodges_lehmann_of_a_small_example() -> None:
    x, y = np.array([1.0, 2.0, 4.0]), np.array([3.0, 5.0, 9.0])
    # differences y - x: 2 1 -1 | 4 3 1 | 8 7 5 -> sorted median is the 5th: 3
    assert ranks.hodges_lehmann(x, y).shift == 3.0


def test_large_sample_selection_matches_sorting(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = phone(1, n=300), phone(2, n=250)
    wanted = np.array([1, 7, 300 * 250 // 2, 300 * 250])
    direct = ranks.pairwise_order_statistics(x, y, wanted)
    monkeypatch.setattr(ranks, "_DIRECT_PAIRS_UP_TO", 0)
    np.testing.assert_allclose(ranks.pairwise_order_statistics(x, y, wanted), direct,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [7, 8, 51])
def test_fast_bootstrap_medians_match_resampling(n: int) -> None:
    xs = phone(4, n=n)
    fast = bootstrap_medians(xs, 20000, np.random.default_rng(1))
    slow = np.median(xs[np.random.default_rng(2).integers(0, n, (20000, n))], axis=1)
    for q in (5, 25, 50, 75, 95):
        assert abs(np.percentile(fast, q) - np.percentile(slow, q)) <= 0.02 * np.median(xs)
    assert fast.mean() == pytest.approx(slow.mean(), rel=0.01)


def test_bootstrap_is_reproducible() -> None:
    assert bootstrap_median_ratio(phone(1), phone(2)) == bootstrap_median_ratio(phone(1),
                                                                               phone(2))


@pytest.mark.parametrize("t,df,p", [(12.706, 1, 0.05), (4.303, 2, 0.05), (2.228, 10, 0.05),
                                    (2.086, 20, 0.05), (2.576, math.inf, 0.01),
                                    (2.845, 20, 0.01)])
def test_t_distribution_against_the_table(t: float, df: float, p: float) -> None:
    assert t_two_sided_p(t, df) == pytest.approx(p, rel=2e-3)


@pytest.mark.parametrize("t", [0.3, 1.0, 3.0, 30.0])
def test_t_distribution_closed_forms(t: float) -> None:
    assert t_two_sided_p(t, 1) == pytest.approx(1 - 2 / math.pi * math.atan(t), rel=1e-10)
    assert t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-10)
    assert regularized_beta(2, 3, 0.4) == pytest.approx(0.5248)  # binomial tail, by hand
    assert t_quantile(0.975, 10) == pytest.approx(2.2281, abs=1e-4)


def test_welch_on_aggregates() -> None:
    w = welch_ratio(50, 10.0, 1.0, 50, 11.0, 1.0)
    # equal n and std: df = 2 (n - 1); t = 1 / sqrt(1/50 + 1/50) = 5
    assert w.df == pytest.approx(98) and w.t == pytest.approx(5.0)
    assert w.p_value == pytest.approx(t_two_sided_p(5.0, 98)) and w.p_value < 1e-5
    assert w.interval.ratio == pytest.approx(1.1) and w.interval.low < 1.1 < w.interval.high
    base = case(stats=Summary.from_aggregates(50, 10.0, std_ms=1.0))
    cand = case(stats=Summary.from_aggregates(50, 11.0, std_ms=1.0))
    (c,) = compare(side(base), side(cand), HL).comparisons
    assert c.estimate.method == "welch" and c.estimate.statistic == "mean"
    assert c.verdict.kind == Kind.SLOWER
    assert "(mean)" in render_markdown(compare(side(base), side(cand), HL))


def test_aggregates_without_spread_are_uncertain() -> None:
    base = case(stats=Summary.from_aggregates(50, 10.0))
    (c,) = compare(side(base), side(case(phone(1))), HL).comparisons
    assert c.verdict.kind == Kind.UNCERTAIN and c.estimate is None
    assert "standard deviation" in c.verdict.reason


# --- matching, thresholds, order, rendering ---------------------------------------------

def test_matching_added_removed_renamed_and_changed_models() -> None:
    base = side(case(phone(1), model="a", sha=SHA_A), case(phone(2), model="old", sha=SHA_B),
                case(phone(3), model="c", sha="c" * 64),
                case(phone(4), model="a", sha=SHA_A, threads=4))
    cand = side(case(phone(5), model="a", sha=SHA_A), case(phone(6), model="new", sha=SHA_B),
                case(phone(7), model="c", sha="d" * 64), case(phone(8), model="e", sha="e" * 64))
    got = {(c.key.model, c.key.threads): c for c in compare(base, cand).comparisons}
    assert got[("a", 1)].baseline is not None and not got[("a", 1)].model_changed
    assert got[("new", 1)].baseline.case.model_name == "old"  # same bytes, renamed
    assert got[("c", 1)].model_changed  # same name, new bytes
    assert got[("e", 1)].verdict.kind == Kind.ADDED
    assert got[("a", 4)].verdict.kind == Kind.REMOVED
    assert len(got) == 5


def test_failed_case_is_reported() -> None:
    cand = case(model="m", status="failed")
    (c,) = compare(side(case(phone(1), model="m")), side(cand)).comparisons
    assert c.verdict.kind == Kind.FAILED and "boom" in c.verdict.reason


def test_per_model_and_device_thresholds() -> None:
    policy = ThresholdPolicy(models={"mnet": 0.10}, devices={"phone": 0.02},
                             pairs={"mnet@tablet": 0.2})
    assert policy.for_case("mnet", "phone") == 0.10  # model beats device
    assert policy.for_case("other", "phone") == 0.02
    assert policy.for_case("mnet", "tablet") == 0.2
    assert policy.for_case("other", "laptop") == 0.05
    base, cand = phone(1), 1.07 * phone(2)
    assert verdict(base, cand).verdict.kind == Kind.SLOWER
    relaxed = verdict(base, cand, CompareSettings(thresholds=policy, trust_one_process=True))
    assert relaxed.verdict.kind != Kind.SLOWER and relaxed.threshold == 0.10


def test_threshold_parsing_and_overrides() -> None:
    assert parse_threshold("5%") == 0.05 and parse_threshold("0.05") == 0.05
    assert parse_threshold(0.1) == 0.1
    for bad in ("5", "abc", "100%", "-1%"):
        with pytest.raises(ConfigError):
            parse_threshold(bad)
    policy = ThresholdPolicy().with_overrides(["mnet=8%", "device:pixel=10%", "mnet@pixel=1%"])
    assert (policy.models, policy.devices, policy.pairs) == (
        {"mnet": 0.08}, {"pixel": 0.10}, {"mnet@pixel": 0.01})
    assert ThresholdPolicy.from_mapping({"default": "3%", "models": {"x": "9%"}}).for_case(
        "x", "d") == 0.09
    with pytest.raises(ConfigError):
        ThresholdPolicy().with_overrides(["no-equals-sign"])


def test_order_is_by_severity_then_size() -> None:
    base = side(*(case(phone(10 + i), model=m) for i, m in
                  enumerate(["big", "small", "noisy", "fast", "same", "gone"])))
    cand = side(case(1.30 * phone(20), model="big"), case(1.10 * phone(21), model="small"),
                case(1.3 * phone(22, n=5, sigma=0.5), model="noisy"),
                case(phone(23) / 1.2, model="fast"), case(phone(24), model="same"),
                case(phone(25), model="new"))
    report = compare(base, cand, HL)
    assert [c.key.model for c in report.comparisons] == ["big", "small", "noisy", "fast",
                                                         "same", "new", "gone"]
    assert report.summary_line() == ("2 slower, 1 faster, 1 unchanged, 1 uncertain, "
                                     "1 added, 1 removed")
    assert len(report.slower) == 2
    md = render_markdown(report)
    assert md.startswith("**2 slower, 1 faster")
    assert "| Model | Device | Config | Baseline (ms) | Candidate (ms) | Change | 95% CI |" in md
    doc = json.loads(render_json(report))
    assert doc["counts"]["slower"] == 2 and doc["comparisons"][0]["verdict"] == "slower"
    assert doc["comparisons"][0]["change"] > 0.2


def _run(run_id: str, started: str, *cases: CaseResult) -> RunRecord:
    return RunRecord(run_id=run_id, started_at=started, command=(), benchbot_version="t",
                     planned_cases=len(cases),
                     status="complete", cases=cases)


def test_rolling_baseline_takes_the_median_run() -> None:
    medians = [10.0, 30.0, 20.0, 25.0, 11.0]
    runs = [_run(f"r{i}", f"2025-01-0{i + 1}T00:00:00+00:00",
                 case(phone(i, n=30, median_ms=ms, sigma=0.01)))
            for i, ms in enumerate(medians)]
    (entry,) = rolling_baseline(runs, 3).entries  # last 3: 20, 25, 11 -> 20
    assert entry.run_id == "r2"
    (entry,) = rolling_baseline(runs, 2).entries  # 25, 11 -> the lower middle, 11
    assert entry.run_id == "r4"
    (entry,) = rolling_baseline(runs, 3, before=runs[4].started_at).entries  # 30, 20, 25
    assert entry.run_id == "r3"
    assert rolling_baseline(runs, 3, only=set()).entries == ()


def test_history_series_in_time_order() -> None:
    runs = [_run("late", "2025-02-01T00:00:00+00:00", case(phone(1), model="m")),
            _run("early", "2025-01-01T00:00:00+00:00", case(phone(2), model="m"),
                 case(phone(3), model="m", threads=2))]
    series = history_series(runs, "m")
    assert [[p.run_id for p in s.points] for s in series] == [["early", "late"], ["early"]]
    point = series[0].points[0]
    assert point.low_ms <= point.value_ms <= point.high_ms


def test_values_are_frozen_and_the_api_is_stable() -> None:
    (c,) = compare(side(case(phone(1))), side(case(phone(2)))).comparisons
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.threshold = 0.5  # type: ignore[misc]
    assert sorted(compare_api.__all__) == sorted([
        "METHODS", "CaseKey", "CompareReport", "CompareSettings", "Comparison", "Estimate",
        "EstimateSettings", "HistoryPoint", "HistorySeries", "Kind", "Match", "Side",
        "ThresholdPolicy", "Verdict", "compare", "decide", "estimate",
        "history_series", "match_entries", "parse_threshold", "rolling_baseline",
        "side_of_run"])
    with pytest.raises(ConfigError):
        CompareSettings(alpha=2.0)
    with pytest.raises(ConfigError):
        EstimateSettings(method="magic")
