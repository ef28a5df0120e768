"""How far a device moves between runs: the estimate (by simulation), where it is read
from (the results folder, with and without its index), the CIs of a run that include it,
and compare's verdicts on two runs of an unchanged model (no false alarm)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from benchbot.store import HostFacts
from benchbot.verdicts import CompareSettings, compare, side_of_run
from benchbot.errors import ConfigError
from benchbot.runs.repeats import with_spread
from benchbot.runs.spread import device_spreads, spread_option
from benchbot.stats.sessions import (ASSUMED, DEFAULT_SPREAD, PRIOR_DF, assumed,
                                     between_sessions, with_sessions)
from benchbot.stats.student import t_quantile
from benchbot.store import RunRecord, load_run, save_run
from benchbot.store.index import open_index
from tests.support.cases import make_case
from tests.conftest import benchbot


def test_the_spread_between_sessions_is_estimated_net_of_each_runs_own_error() -> None:
    rng = np.random.default_rng(1)
    tau, s = 0.04, 0.01
    groups = [[(float(rng.normal(0, tau) + rng.normal(0, s)), s) for _ in range(6)]
              for _ in range(300)]
    got = between_sessions(groups)
    assert got is not None and got.df == 300 * 5 + PRIOR_DF and got.runs == 1800
    assert got.sd == pytest.approx(tau, rel=0.05)
    steady = between_sessions([[(float(rng.normal(0, s)), s) for _ in range(6)]
                               for _ in range(300)])
    assert steady is not None and steady.sd < 0.004  # all of it was the runs' own error
    assert between_sessions([[(0.0, s), (0.1, s)]]) is None  # two runs: too few to tell
    agreeing = between_sessions([[(0.0, s), (0.0, s), (0.0, s)]])  # three that agree, by luck
    assert agreeing is not None and agreeing.sd == pytest.approx(
        DEFAULT_SPREAD * math.sqrt(PRIOR_DF / (2 + PRIOR_DF)))  # not 0: the default weighs in
    assert between_sessions([[(0.0, s)]] * 10) is None  # one run of each: nothing


def test_a_runs_interval_with_the_spread_covers_the_devices_median() -> None:
    """One session's CI from 5 processes, widened by the spread estimated from 8 earlier
    sessions, covers the device's median 93-97% of the time; alone, it does not."""
    rng = np.random.default_rng(11)
    tau, s, k, trials = 0.04, 0.01, 5, 2000
    q = t_quantile(0.975, k - 1)
    wide = alone = 0
    for _ in range(trials):
        history = [(float(rng.normal(0, tau) + rng.normal(0, s)), s) for _ in range(8)]
        spread = between_sessions([history])
        assert spread is not None
        y = float(rng.normal(0, tau) + rng.normal(0, s))
        low, high = math.exp(y - q * s), math.exp(y + q * s)
        w_low, w_high = with_sessions(math.exp(y), low, high, k - 1, spread)
        wide += w_low <= 1.0 <= w_high
        alone += low <= 1.0 <= high
    assert 0.93 <= wide / trials <= 0.97 and alone / trials < 0.6


def _run(run_id: str, day: int, level: float, rng: np.random.Generator) -> RunRecord:
    """One run of an unchanged model, 5 processes, the whole session at ``level``."""
    runs = [list(level * np.exp(rng.normal(0, 0.01, 60))) for _ in range(5)]
    return RunRecord(run_id=run_id, started_at=f"2026-02-{day:02d}T00:00:00.000+00:00",
                     command=(), benchbot_version="t", host=HostFacts(hostname="h"),
                     planned_cases=1, status="complete",
                     cases=(make_case(runs=runs),))


@pytest.fixture()
def drifting(tmp_path: Path) -> Path:
    """Eight runs of one unchanged model on a device whose level moves 5% between runs
    (within a run, its processes agree to 1%)."""
    rng = np.random.default_rng(4)
    folder = tmp_path / "results"
    for day in range(1, 9):
        save_run(_run(f"2026020{day}T000000Z-run00{day}", day,
                      10.0 * math.exp(rng.normal(0, 0.05)), rng), folder)
    return folder


def test_two_runs_of_an_unchanged_model_are_no_alarm_with_the_spread(drifting: Path) -> None:
    records = sorted((load_run(p) for p in drifting.glob("*.json")), key=lambda r: r.started_at)
    alarms_alone = alarms = 0
    reasons: list[str] = []
    for i, a in enumerate(records):
        for b in records[i + 1:]:
            alone = compare(side_of_run(a), side_of_run(b), CompareSettings(
                assumed_spread=assumed(0.0)))
            with_it = compare(side_of_run(a), side_of_run(b), CompareSettings(
                spreads=device_spreads(drifting, {b.run_id}, b.started_at)))
            alarms_alone += alone.comparisons[0].verdict.kind in ("slower", "faster")
            verdict = with_it.comparisons[0].verdict
            alarms += verdict.kind in ("slower", "faster")
            reasons.append(verdict.reason)
    assert alarms_alone >= 10  # within-run intervals alone call most pairs different
    assert alarms == 0
    assert any("moves about" in r and "benchbot ab" in r for r in reasons)


def test_the_spread_reads_the_same_with_and_without_the_index(
        drifting: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = device_spreads(drifting)
    assert set(files) == {"local"} and files["local"].runs == 8
    index = open_index(drifting)  # a query makes the index; the spread then reads it
    assert index is not None
    index.close()
    assert device_spreads(drifting) == files
    monkeypatch.setenv("BENCHBOT_NO_INDEX", "1")
    assert device_spreads(drifting) == files
    early = device_spreads(drifting, before="2026-02-04T00:00:00.000+00:00")
    assert early["local"].runs == 3  # only the runs before the candidate count
    assert device_spreads(drifting, before="2026-02-03T00:00:00.000+00:00") == {}
    spreads, fallback = spread_option("auto", drifting, set())
    assert spreads == files and fallback == ASSUMED
    assert spread_option("2%", drifting, set()) == ({}, assumed(0.02))
    with pytest.raises(ConfigError, match="--session-spread.*or auto"):
        spread_option("lots", drifting, set())


def test_a_case_of_several_processes_keeps_its_own_interval_beside_the_wider_one() -> None:
    case = make_case(runs=[[10.0, 10.1, 9.9, 10.0], [10.2, 10.1, 10.3, 10.2],
                           [9.8, 9.9, 9.7, 9.8]])
    wide = with_spread(case, ASSUMED)
    s = wide.stats
    assert s is not None and case.stats is not None
    assert (s.within_ci95_low_ms, s.within_ci95_high_ms) == (case.stats.ci95_low_ms,
                                                             case.stats.ci95_high_ms)
    assert s.ci95_low_ms < s.within_ci95_low_ms and s.ci95_high_ms > s.within_ci95_high_ms
    assert s.between_runs_sd == pytest.approx(DEFAULT_SPREAD) and s.between_runs_from == 0
    assert with_spread(wide, ASSUMED) == wide  # applied again: the same
    one = make_case(samples_ms=[10.0, 10.1, 9.9])
    assert with_spread(one, ASSUMED) == one  # one process: as measured
    off = with_spread(case, assumed(0.0))
    assert off.stats is not None and off.stats.ci95_low_ms == pytest.approx(
        case.stats.ci95_low_ms)


def test_a_run_records_both_intervals_and_the_spread_it_used(models: dict[str, Path],
                                                             tmp_path: Path) -> None:
    results = tmp_path / "results"
    quick = ["--repeat", "3", "--warmup", "1", "--min-runs", "5", "--min-time", "0.05"]
    for _ in range(4):
        proc = benchbot("run", "-m", str(models["tiny_matmul.onnx"]), "--results", str(results),
                        *quick)
        assert proc.returncode == 0, proc.stderr
    runs = sorted((load_run(p) for p in results.glob("*.json")), key=lambda r: r.started_at)
    first, third, fourth = (r.cases[0].stats for r in (runs[0], runs[2], runs[3]))
    assert first is not None and third is not None and fourth is not None
    # the first three runs had too few earlier runs to tell: the default stood in
    assert first.between_runs_from == third.between_runs_from == 0
    assert first.between_runs_sd == pytest.approx(DEFAULT_SPREAD)
    assert first.within_ci95_low_ms is not None and first.ci95_low_ms is not None
    assert first.ci95_low_ms <= first.within_ci95_low_ms  # never narrower than its own
    assert fourth.between_runs_from == 3  # estimated from the three before it
    assert fourth.between_runs_sd == pytest.approx(
        device_spreads(results, {runs[3].run_id}, runs[3].started_at)["local"].sd)


def test_processes_that_agree_exactly_get_the_spread_between_runs_as_their_ci() -> None:
    """Identical processes leave the spread between runs alone in the CI: Welch–
    Satterthwaite then gives astronomically many degrees of freedom, which is the normal
    distribution (it overflowed before)."""
    from benchbot.stats.sessions import ASSUMED, DEFAULT_SPREAD, with_sessions
    from benchbot.stats.student import t_quantile

    low, high = with_sessions(10.0, 10.0 - 1e-13, 10.0 + 1e-13, 1, ASSUMED)
    assert low == pytest.approx(10.0 * math.exp(-1.959964 * DEFAULT_SPREAD), rel=1e-5)
    assert high == pytest.approx(10.0 * math.exp(1.959964 * DEFAULT_SPREAD), rel=1e-5)
    assert t_quantile(0.975, 4.8e55) == pytest.approx(1.959964, rel=1e-6)
