"""A device that changes speed by itself during a run, told apart from processes that merely
land differently (benchbot.stats.drift), on simulated interleaved runs."""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import datetime, timedelta, timezone

from benchbot.cli.run import drift_lines
from benchbot.report.environment import environment_rows
from benchbot.stats.drift import MIN_NEIGHBOURS, drift_of
from benchbot.verdicts.processes import drift_by_device
from benchbot.store import RunRecord, Validity
from tests.support.cases import make_case

CASES, ROUNDS = 8, 5


def interleaved(rng: random.Random, speed, process_sd: float) -> list[tuple[int, float]]:
    """A run in benchbot's interleaved order: each round measures every case once, in a
    shuffled order; process i runs when the device's speed factor is speed(i)."""
    order: list[tuple[int, float]] = []
    for _ in range(ROUNDS):
        cases = list(range(CASES))
        rng.shuffle(cases)
        for case in cases:
            level = (1.0 + case) * math.exp(rng.gauss(0.0, process_sd))
            order.append((case, level * speed(len(order))))
    return order


def test_a_slow_stretch_in_the_middle_of_the_run_is_seen():
    run = interleaved(random.Random(1), lambda i: 1.3 if 15 <= i < 30 else 1.0, 0.01)
    drift = drift_of(run)
    assert drift is not None and drift.seen()
    assert drift.correlation > 0.5 and drift.neighbours > 30


def test_a_device_switching_between_two_speeds_is_seen_in_most_runs():
    """As this project's 2-vCPU VM does: stretches of a few processes at 4 ms or 6.3 ms."""
    seen = 0
    for seed in range(40):
        rng = random.Random(seed)
        modes, mode = [], 1.0
        while len(modes) < CASES * ROUNDS:
            mode = 6.3 / 4.0 if mode == 1.0 else 1.0
            modes += [mode] * rng.randint(3, 8)
        drift = drift_of(interleaved(rng, modes.__getitem__, 0.01), permutations=400)
        seen += drift is not None and drift.seen()
    assert seen >= 36


def test_processes_landing_differently_raise_few_false_alarms():
    """No drift, processes spread by 8%: p < 0.01 in about 1% of runs, never many."""
    alarms = 0
    runs = 300
    for seed in range(runs):
        drift = drift_of(interleaved(random.Random(seed), lambda i: 1.0, 0.08),
                         permutations=200)
        alarms += drift is not None and drift.seen()
    assert alarms <= 0.03 * runs


def test_no_reading_without_enough_neighbours_of_different_cases():
    # sequential order: a case's processes back to back; neighbours across cases only at
    # the seams between cases
    rng = random.Random(3)
    sequential = [(case, (1.0 + case) * math.exp(rng.gauss(0, 0.05)))
                  for case in range(4) for _ in range(5)]
    assert drift_of(sequential) is None
    # cases measured once carry no deviation and are left out
    once = [(case, 1.0 + case) for case in range(MIN_NEIGHBOURS * 3)]
    assert drift_of(once) is None


def _record(slow: bool) -> RunRecord:
    """Eight cases of five processes on 'local' in interleaved order, the device slower for
    a stretch (``slow``) or not; every case marked unstable, as such a run would be."""
    rng = random.Random(7)
    start = datetime(2026, 12, 7, tzinfo=timezone.utc)
    order = interleaved(rng, (lambda i: 1.3 if 10 <= i < 25 else 1.0) if slow
                        else (lambda i: 1.0), 0.01)
    cases = []
    for case in range(CASES):
        made = make_case(id=f"case{case:08d}", threads=case + 1,
                         runs=[[m] * 20 for c, m in order if c == case])
        at = [start + timedelta(seconds=i) for i, (c, _) in enumerate(order) if c == case]
        runs = tuple(dataclasses.replace(r, started_at=t.isoformat(),
                                         ended_at=(t + timedelta(seconds=0.9)).isoformat())
                     for r, t in zip(made.runs, at))
        cases.append(dataclasses.replace(made, runs=runs, validity=Validity().with_code(
            "unstable_between_processes", "the processes' medians spread by 12%")))
    return RunRecord(run_id="r", started_at=start.isoformat(), command=("run",),
                     benchbot_version="0", cases=tuple(cases))


def test_a_run_names_its_drifting_device_once():
    record = _record(slow=True)
    assert drift_by_device(record.cases)["local"].seen()
    lines = drift_lines(record)
    assert len(lines) == 1
    assert lines[0].startswith("local changed speed by itself during the run")
    assert "quiet it" in lines[0]
    # and the report's environment says it beside the run
    rows = dict(environment_rows([record]))
    assert rows["Changed speed by itself"].startswith("local in run r (correlation ")


def test_no_line_for_a_steady_device_or_valid_cases():
    assert drift_lines(_record(slow=False)) == []
    steady = _record(slow=True)
    valid = dataclasses.replace(steady, cases=tuple(
        dataclasses.replace(c, validity=Validity()) for c in steady.cases))
    assert drift_lines(valid) == []
    assert "Changed speed by itself" not in dict(environment_rows([valid]))
