"""`benchbot ab`'s stopping rule and verdicts by simulation: the A/A false-alarm rate of the
whole sequential procedure (a look after every pair) and its power against 5% and 10%
slowdowns, at the pair-to-pair noise of a shared machine (pure, numpy-vectorised)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchbot.verdicts.estimate import Estimate
from benchbot.verdicts.verdict import Kind, decide
from benchbot.stats.paired import (fewest_pairs, keep_pairing, paired_ratio, smallest_p,
                                   walsh_rank)

ALPHA = 0.01
THRESHOLD = 0.05
MOST = 20  # benchbot ab's default --max-repeat
TARGET = 0.02  # its default --target-ci
# log B/A of one pair on this machine: about 2% apart, with a burst now and then
NOISE = 0.015
_I, _J = np.triu_indices(MOST)


def _intervals(d: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """The signed-rank interval (log scale) of every row of ``d`` (sessions x pairs) at
    once: its Walsh averages sorted, the same order statistics as paired_ratio."""
    k = d.shape[1]
    i, j = np.triu_indices(k)
    walsh = np.sort((d[:, i] + d[:, j]) / 2.0, axis=1)
    c = walsh_rank(k, confidence)
    return walsh[:, c - 1], walsh[:, walsh.shape[1] - c]


def _sessions(shift: float, sessions: int, seed: int) -> list[Kind]:
    """Verdicts of simulated ab sessions: pairs until keep_pairing says stop, then the
    real paired_ratio and decide on the pairs measured."""
    rng = np.random.default_rng(seed)
    d = shift + NOISE * rng.standard_t(4, (sessions, MOST))
    fewest = fewest_pairs(ALPHA)
    stop = np.full(sessions, MOST)
    going = np.ones(sessions, bool)
    for k in range(fewest, MOST + 1):
        low, high = _intervals(d[:, :k], 1 - ALPHA)
        going_on = keep_pairing(np.full(sessions, k), (high - low) / 2.0, fewest, MOST, TARGET)
        ends = going & ~going_on
        stop[ends] = k
        going &= going_on
    verdicts = []
    for row, k in zip(d, stop):
        a = np.full(k, 10.0)
        got = paired_ratio(list(a), list(a * np.exp(row[:k])), 1 - ALPHA)
        est = Estimate("paired", "median", 10.0, 10.0 * got.ratio, got.ratio, got.ci_low,
                       got.ci_high, got.p_value, k, k, got.confidence, got.slower_pairs)
        verdicts.append(decide(est, THRESHOLD, ALPHA).kind)
    return verdicts


def test_the_exact_test_needs_eight_pairs_to_reach_alpha_0_01() -> None:
    assert fewest_pairs(0.01) == 8 and fewest_pairs(0.05) == 6
    assert smallest_p(7) > 0.01 > smallest_p(8)
    assert keep_pairing(7, 0.0, 8, 20, 0.02)  # a tight interval does not stop it early
    assert not keep_pairing(8, 0.019, 8, 20, 0.02) and keep_pairing(8, 0.021, 8, 20, 0.02)
    assert not keep_pairing(20, 0.5, 8, 20, 0.02)


def test_the_vectorised_interval_is_paired_ratios() -> None:
    rng = np.random.default_rng(1)
    d = 0.03 + NOISE * rng.standard_t(4, (20, 11))
    low, high = _intervals(d, 0.99)
    for row, lo, hi in zip(d, low, high):
        got = paired_ratio([1.0] * 11, list(np.exp(row)), 0.99)
        assert (got.ci_low, got.ci_high) == pytest.approx((math.exp(lo), math.exp(hi)))


def test_a_thousand_a_a_sessions_raise_at_most_alpha_false_alarms() -> None:
    verdicts = _sessions(0.0, 1000, seed=11)
    false_alarms = sum(v in (Kind.SLOWER, Kind.FASTER) for v in verdicts)
    assert false_alarms <= ALPHA * 1000, false_alarms


def test_a_thousand_sessions_that_reject_at_a_tiny_threshold_keep_the_level() -> None:
    """The stopping rule alone: with no threshold to hide behind, the share of A/A
    sessions whose interval excludes 1 stays at alpha or below."""
    rng = np.random.default_rng(12)
    d = NOISE * rng.standard_t(4, (1000, MOST))
    fewest = fewest_pairs(ALPHA)
    rejected = np.zeros(1000, bool)
    going = np.ones(1000, bool)
    for k in range(fewest, MOST + 1):
        low, high = _intervals(d[:, :k], 1 - ALPHA)
        going_on = keep_pairing(np.full(1000, k), (high - low) / 2.0, fewest, MOST, TARGET)
        ends = going & (~going_on | (k == MOST))
        rejected |= ends & ((low > 0) | (high < 0))
        going &= going_on
    assert rejected.sum() <= ALPHA * 1000, int(rejected.sum())


def test_the_power_against_10_and_5_percent_slowdowns() -> None:
    """10% slower is found nearly always; 5%, exactly the threshold, about half the time
    (the estimate must exceed the threshold, so that is the most a fair rule can give)."""
    ten = _sessions(math.log(1.10), 300, seed=13)
    five = _sessions(math.log(1.05), 300, seed=14)
    assert ten.count(Kind.SLOWER) >= 0.95 * 300
    assert 0.3 * 300 <= five.count(Kind.SLOWER) <= 0.8 * 300
    assert Kind.FASTER not in ten + five


@pytest.mark.parametrize("p_value", [0.5, 0.02, 0.001])
def test_an_interval_at_the_tests_level_wholly_above_the_threshold_is_slower(
        p_value: float) -> None:
    est = Estimate("paired", "median", 10.0, 11.2, 1.12, 1.103, 1.14, p_value, 8, 8, 0.99, 8)
    assert decide(est, THRESHOLD, ALPHA).kind == Kind.SLOWER
    processes = Estimate("processes", "median", 10.0, 11.2, 1.12, 1.103, 1.14, p_value, 5, 5,
                         0.99)
    assert decide(processes, THRESHOLD, ALPHA).kind == Kind.SLOWER


def test_uncertain_verdicts_say_the_real_reason() -> None:
    seven = Estimate("paired", "median", 10.0, 11.3, 1.13, 1.10, 1.15, 0.0156, 7, 7, 0.99, 7)
    got = decide(seven, THRESHOLD, ALPHA)
    assert got.kind == Kind.UNCERTAIN and got.reason.startswith("needs 1 more pair to reach")
    within = Estimate("paired", "median", 10.0, 10.3, 1.03, 1.01, 1.06, 0.004, 10, 10, 0.99, 10)
    assert "the change is within the threshold" in decide(within, THRESHOLD, ALPHA).reason
    mixed = Estimate("paired", "median", 10.0, 10.3, 1.03, 0.97, 1.09, 0.3, 12, 12, 0.99, 7)
    got = decide(mixed, THRESHOLD, ALPHA)
    assert got.kind == Kind.UNCERTAIN and "the pairs disagree in sign: 7 of 12" in got.reason
