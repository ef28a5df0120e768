"""`benchbot ab`'s comparison pair by pair: the signed-rank statistics (exact, and by
simulation), the pairing of alternating processes, and the rule that gives both sides of a
pair their processes together."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from benchbot.verdicts.processes import paired_processes
from benchbot.verdicts.verdict import compare_pairs
from benchbot.report.comparison import render_json
from benchbot.runs.repeats import merge, pair_needs_more
from benchbot.stats.paired import SIGNED_RANK_FROM, paired_ratio, signed_rank_null
from benchbot.store import load_run
from benchbot.store.entries import Entry
from benchbot.sweep import MeasureSettings
from tests.support.cases import make_case
from tests.conftest import benchbot

QUICK = ["--warmup", "1", "--min-runs", "5", "--min-time", "0.05", "--max-time", "2"]


@pytest.mark.parametrize("k", range(1, 9))
def test_the_signed_rank_null_counts_every_sign_pattern(k: int) -> None:
    totals = [sum(r for r, sign in zip(range(1, k + 1), signs) if sign)
              for signs in itertools.product((0, 1), repeat=k)]
    expected = [totals.count(t) / 2 ** k for t in range(k * (k + 1) // 2 + 1)]
    assert signed_rank_null(k) == pytest.approx(expected)


def test_all_pairs_one_way_give_the_smallest_exact_p_value() -> None:
    a = [10.0] * 10
    b = [10.0 * math.exp(0.05 + 0.001 * i) for i in range(10)]
    got = paired_ratio(a, b)
    assert got.method == "signed_rank" and got.p_value == pytest.approx(2 / 2 ** 10)
    assert got.ci_low > 1.0 and got.ratio == pytest.approx(math.exp(0.05 + 0.0045), rel=1e-3)


def test_the_interval_covers_the_true_ratio_under_heavy_tailed_pair_noise() -> None:
    rng = np.random.default_rng(7)
    true = 0.08
    covered = 0
    cases = 1000
    for _ in range(cases):
        a = 10.0 * np.exp(rng.normal(0.0, 0.05, 10))  # the shared level of each pair
        d = true + 0.03 * rng.standard_t(3, 10)  # a burst now and then in one process
        got = paired_ratio(list(a), list(a * np.exp(d)))
        covered += got.ci_low <= math.exp(true) <= got.ci_high
    assert 0.93 <= covered / cases <= 0.985  # the signed-rank interval is a little conservative


def test_pairing_removes_the_level_both_sides_share() -> None:
    rng = np.random.default_rng(3)
    levels = 10.0 * np.exp(rng.normal(0.0, 0.10, 8))  # the device moves 10% between pairs
    a = levels * np.exp(rng.normal(0.0, 0.005, 8))
    b = levels * 1.06 * np.exp(rng.normal(0.0, 0.005, 8))
    got = paired_ratio(list(a), list(b))
    assert got.ci_low > 1.03 and got.ci_high < 1.09


def test_few_pairs_use_the_paired_t_interval_and_bad_input_is_refused() -> None:
    got = paired_ratio([10.0, 10.2, 9.9], [11.0, 11.1, 10.95])
    assert got.method == "t" and SIGNED_RANK_FROM > 3 and got.ci_low > 1.0
    six = [10.0, 10.1, 9.9, 10.2, 10.0, 9.8]
    assert paired_ratio(six, [x * 1.1 for x in six]).method == "signed_rank"
    assert paired_ratio(six, [x * 1.1 for x in six], confidence=0.99).method == "t"
    with pytest.raises(ValueError, match="at least two pairs"):
        paired_ratio([10.0], [11.0])
    with pytest.raises(ValueError, match="3 of A against 2 of B"):
        paired_ratio([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        paired_ratio([1.0, 0.0], [1.0, 2.0])


def test_processes_pair_in_the_order_they_ran() -> None:
    a = make_case(runs=[[10.0, 10.0, 10.0], [20.0, 20.0, 20.0], [30.0, 30.0, 30.0]])
    b = make_case(runs=[[11.0, 11.0, 11.0], [22.0, 22.0, 22.0], [33.0, 33.0, 33.0]])
    got = paired_processes(a, b)
    assert got is not None and got.pairs == 3 and got.ratio == pytest.approx(1.1)
    assert got.ci_low == pytest.approx(1.1) and got.ci_high == pytest.approx(1.1)
    assert paired_processes(make_case(samples_ms=[10.0]), make_case(samples_ms=[11.0])) is None


def test_a_pair_gets_processes_together_until_its_paired_ci_is_tight() -> None:
    settings = MeasureSettings(max_repeat=12, target_ci=0.02, min_runs=3)
    rng = np.random.default_rng(5)
    a = b = None
    while pair_needs_more(a, b, settings):
        level = float(np.exp(rng.normal(0.0, 0.2)))  # a noisy device, in step for the pair
        a = merge(a, make_case(samples_ms=[10.0 * level] * 5), settings)
        b = merge(b, make_case(samples_ms=[11.0 * level] * 5), settings)
    # in step: tight as soon as the exact test can reach alpha 0.01 (8 pairs), not before
    assert a is not None and b is not None and len(a.runs) == len(b.runs) == 8
    wild_a = wild_b = None
    while pair_needs_more(wild_a, wild_b, settings):
        wild_a = merge(wild_a, make_case(samples_ms=[float(np.exp(rng.normal(2, 0.2)))] * 5),
                       settings)
        wild_b = merge(wild_b, make_case(samples_ms=[float(np.exp(rng.normal(2, 0.2)))] * 5),
                       settings)
    assert len(wild_a.runs) == len(wild_b.runs) == 12  # out of step: up to --max-repeat
    fixed = MeasureSettings(repeat=2, min_runs=3)
    one = merge(None, make_case(samples_ms=[10.0] * 5), fixed)
    assert pair_needs_more(one, None, fixed) and not pair_needs_more(
        merge(one, make_case(samples_ms=[10.0] * 5), fixed),
        merge(one, make_case(samples_ms=[10.0] * 5), fixed), fixed)


def test_ab_says_the_model_changed_when_its_two_files_differ() -> None:
    a = make_case(runs=[[10.0] * 3] * 8, model="models/a.onnx", model_sha256="aa" * 32)
    b = make_case(runs=[[11.0] * 3] * 8, model="models/b.onnx", model_sha256="bb" * 32)
    same = make_case(runs=[[10.0] * 3] * 8, model="models/a.onnx", model_sha256="aa" * 32)
    (changed,) = compare_pairs("A", "B", [(Entry("r", a, ""), Entry("r", b, ""))]).comparisons
    (kept,) = compare_pairs("A", "B", [(Entry("r", a, ""), Entry("r", same, ""))]).comparisons
    assert changed.model_changed and not kept.model_changed
    assert json.loads(render_json(compare_pairs("A", "B", [(Entry("r", a, ""), Entry(
        "r", b, ""))])))["comparisons"][0]["model_changed"] is True


def test_ab_adaptive_gives_both_sides_the_same_processes(models: dict[str, Path],
                                                         tmp_path: Path) -> None:
    proc = benchbot("ab", str(models["tiny_conv.onnx"]), str(models["tiny_matmul.onnx"]),
                    "--max-repeat", "4", "--target-ci", "0.0001", "--json", "--results",
                    str(tmp_path), *QUICK, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    (row,) = json.loads(proc.stdout)["comparisons"]
    # --max-repeat 4 is below the 8 pairs the test needs to reach alpha 0.01: 8 it is
    assert row["method"] == "paired" and row["n_baseline"] == row["n_candidate"] == 8
    assert row["confidence"] == pytest.approx(0.99) and row["ci95_low"] is None
    record = load_run(next(tmp_path.glob("*.json")))
    assert [len(c.runs) for c in record.cases] == [8, 8]
