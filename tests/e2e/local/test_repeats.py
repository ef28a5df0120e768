"""Numbers that hold from one run to the next: statistics across measuring processes (by
simulation), the interleaved schedule, validity, compare's verdicts across processes, and
`benchbot ab` end to end on the local device (verdicts, never times)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from benchbot.verdicts import compare, side_of_run
from benchbot.runs.executor import schedule
from benchbot.errors import ConfigError
from benchbot.runs.repeats import assess, merge, needs_more, summary_of, with_spread
from benchbot.runs.session import settings_of
from benchbot.stats.parts import ADVICE, ci_parts
from benchbot.stats.sessions import ASSUMED
from benchbot.sweep.config import load_sweep_file
from benchbot.stats.processes import across_aggregates, across_processes
from benchbot.store import RunRecord, load_run
from benchbot.sweep import MeasureSettings
from tests.support.cases import make_case
from tests.conftest import benchbot

QUICK = ["--warmup", "1", "--min-runs", "5", "--min-time", "0.05", "--max-time", "2"]


# --- statistics across processes, by simulation -------------------------------------------


def test_the_95_ci_covers_the_true_median_of_a_two_level_noise_model() -> None:
    """1,000 simulated cases of 4 processes: each process has its own level (between-process
    sd 5%), its 60 samples scatter around it (within sd 3%); the truth is 10 ms."""
    rng = np.random.default_rng(12)
    hits = 0
    for i in range(1000):
        levels = 10.0 * np.exp(rng.normal(0.0, 0.05, 4))
        samples = [level * np.exp(rng.normal(0.0, 0.03, 60)) for level in levels]
        s = across_processes(samples, resamples=200, seed=i)
        hits += s.ci95_low_ms <= 10.0 <= s.ci95_high_ms
    assert 930 <= hits <= 970, hits


def test_aggregates_only_processes_cover_too() -> None:
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(1000):
        centrals = list(10.0 * np.exp(rng.normal(0.0, 0.05, 5)))
        s = across_aggregates(centrals)
        hits += s.ci95_low_ms <= 10.0 <= s.ci95_high_ms
    assert 930 <= hits <= 970, hits


def test_one_process_ci_would_not_hold_across_processes() -> None:
    """What the between-process CI fixes: one process's own CI misses other processes."""
    rng = np.random.default_rng(5)
    levels = 10.0 * np.exp(rng.normal(0.0, 0.05, 6))
    samples = [level * np.exp(rng.normal(0.0, 0.01, 500)) for level in levels]
    one = make_case(samples_ms=samples[0]).stats
    inside = sum(one.ci95_low_ms <= float(np.median(s)) <= one.ci95_high_ms for s in samples)
    across = across_processes(samples)
    assert inside < 6
    assert across.ci95_low_ms <= float(np.median(np.concatenate(samples))) <= across.ci95_high_ms
    assert across.between_cv is not None and across.between_cv > 0.01 > (across.within_cv or 1)


# --- the adaptive rule and validity --------------------------------------------------------


def _process(samples: list[float], start: str = "2026-01-01T00:00:00+00:00",
             end: str = "2026-01-01T00:00:01+00:00"):  # noqa: ANN202
    case = make_case(samples_ms=samples)
    run = case.runs[0].__class__(**{**case.runs[0].__dict__, "started_at": start,
                                    "ended_at": end})
    return make_case(samples_ms=samples).__class__(**{**case.__dict__, "runs": (run,)})


def test_adaptive_repeats_stop_at_the_target_or_the_cap() -> None:
    settings = MeasureSettings(max_repeat=5, target_ci=0.02, min_runs=3)
    steady = None
    for _ in range(3):
        steady = merge(steady, _process([10.0, 10.01, 9.99, 10.0, 10.02]), settings)
        assert steady.status == "ok"
    assert len(steady.runs) == 3 and not needs_more(steady, settings)  # tight: done at 3
    noisy = None
    rng = np.random.default_rng(0)
    while needs_more(noisy, settings):
        level = 10.0 * float(np.exp(rng.normal(0.0, 0.2)))
        noisy = merge(noisy, _process([level] * 5), settings)
    assert len(noisy.runs) == 5  # capped at --max-repeat
    codes = {c.code for c in noisy.validity.codes}
    assert "wide_ci" in codes and "unstable_between_processes" in codes
    assert not noisy.valid and steady.valid
    fixed = MeasureSettings(repeat=1, min_runs=3)
    once = merge(None, _process([10.0] * 5), fixed)
    assert not needs_more(once, fixed) and {c.code for c in once.validity.codes} == {
        "few_processes"}


def _spread_case(between: float, within: float, processes: int = 4, runs: int = 400,
                 seed: int = 0):  # noqa: ANN202
    """A case of ``processes`` whose levels differ by ``between`` (sd, log) and whose runs
    scatter by ``within`` around them."""
    rng = np.random.default_rng(seed)
    levels = 10.0 * np.exp(rng.normal(0.0, between, processes))
    return make_case(runs=[list(level * np.exp(rng.normal(0.0, within, runs)))
                           for level in levels])


def test_wide_ci_is_drawn_at_valid_ci_not_at_the_adaptive_target() -> None:
    """A +-3% interval is a good measurement: past --target-ci (2%), where the adaptive
    rule stops, but within --valid-ci (5%); past 5% it is marked, with what would help."""
    rng = np.random.default_rng(0)
    case = make_case(runs=[list(level * np.exp(rng.normal(0.0, 0.01, 400)))
                           for level in (9.8, 9.93, 10.07, 10.2)])  # 4 processes, +-2%
    parts = ci_parts(case.stats)
    assert parts is not None and 0.02 < parts.run < 0.05, parts
    settings = MeasureSettings(min_runs=3)
    assert assess(case, settings).valid
    strict = assess(case, MeasureSettings(min_runs=3, valid_ci=0.02))
    (code,) = [c for c in strict.codes if c.code == "wide_ci"]
    assert "wider than +-2%" in code.detail and "mostly between processes" in code.detail
    assert code.advice.startswith("raise --max-repeat")


def test_the_ci_parts_name_what_dominates_and_add_up() -> None:
    between = ci_parts(_spread_case(0.05, 0.01, seed=2).stats)
    assert between is not None and between.dominant == "between_processes"
    assert between.within**2 + between.between_processes**2 == pytest.approx(between.run**2)
    within = ci_parts(_spread_case(0.0005, 0.2, runs=50, seed=3).stats)
    assert within is not None and within.dominant == "within"
    assert ADVICE[within.dominant].startswith("raise --min-time")
    spread = ci_parts(with_spread(_spread_case(0.01, 0.01, seed=4), ASSUMED).stats)
    assert spread is not None and spread.dominant == "between_runs" and spread.runs_assumed
    assert spread.between_runs == pytest.approx(1.96 * ASSUMED.sd, rel=1e-3)
    assert spread.total >= max(spread.run, spread.between_runs)
    assert "benchbot ab" in ADVICE["between_runs"]
    assert spread.text().startswith(f"+-{spread.total:.1%}: within processes")


def test_valid_ci_is_a_sweep_key_and_an_option(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.toml"
    sweep.write_text('models = ["m.onnx"]\n[measure]\nvalid_ci = 0.08\n')
    assert settings_of(load_sweep_file(sweep).measure).valid_ci == 0.08
    with pytest.raises(ConfigError, match="--valid-ci"):
        MeasureSettings(valid_ci=1.5)


def test_a_failed_later_process_keeps_the_earlier_ones() -> None:
    settings = MeasureSettings(min_runs=3)
    case = merge(None, _process([10.0] * 5), settings)
    case = merge(case, make_case(status="failed", error="device went away"), settings)
    assert case.status == "ok" and len(case.runs) == 1
    assert any("device went away" in w for w in case.warnings)


def test_summary_of_several_processes_keeps_all_samples_and_counts_processes() -> None:
    case = make_case(runs=[[10.0] * 10, [11.0] * 10, [12.0] * 10])
    stats = summary_of(case.runs)
    assert stats.n == 30 and stats.processes == 3
    assert stats.ci95_low_ms < stats.median_ms < stats.ci95_high_ms


# --- the schedule --------------------------------------------------------------------------


def test_the_seed_reproduces_the_interleaved_order() -> None:
    cases = [(i, f"case-{i}") for i in range(8)]
    settings = MeasureSettings()
    first = schedule(cases, settings, 7)  # type: ignore[arg-type]
    assert first == schedule(cases, settings, 7) and first != cases  # type: ignore[arg-type]
    assert schedule(cases, MeasureSettings(order="sequential"), 7) == cases  # type: ignore


def _starts(case) -> list[tuple[datetime, str]]:  # type: ignore[no-untyped-def]
    return [(datetime.fromisoformat(r.started_at), case.id) for r in case.runs]


@pytest.mark.parametrize("order", ["interleaved", "sequential"])
def test_processes_follow_the_order(models: dict[str, Path], tmp_path: Path, order: str) -> None:
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "-b", "1,2", "--repeat", "3",
                    "--order", order, "--seed", "11", "--results", str(tmp_path), *QUICK)
    assert proc.returncode == 0, proc.stderr
    (path,) = tmp_path.glob("*.json")
    record = load_run(path)
    assert record.schedule.order == order and record.schedule.seed == 11
    sequence = [cid for _, cid in sorted(s for c in record.cases for s in _starts(c))]
    assert len(sequence) == 6 and all(len(c.runs) == 3 for c in record.cases)
    if order == "interleaved":  # every round measures each case once
        assert sequence[0] != sequence[1] and sequence[:2] == sequence[2:4] == sequence[4:]
    else:
        assert sequence[:3] == [sequence[0]] * 3 and sequence[3:] == [sequence[3]] * 3
    assert [c.batch for c in record.cases] == [1, 2]  # the record keeps the plan's order
    assert all(c.stats.processes == 3 for c in record.cases)
    # stderr is no terminal here: one line per finished case, with its processes and its
    # one CI, and no line per process started
    done = [line for line in proc.stderr.splitlines() if line.startswith("ok ")]
    assert len(done) == 2 and all("; 3 processes, n=" in line for line in done), proc.stderr
    assert all("95% CI" in line and "between processes" in line for line in done)
    assert not [line for line in proc.stderr.splitlines() if line.startswith("start")]


def test_run_says_how_many_cases_are_not_valid_and_marks_them(models: dict[str, Path],
                                                              tmp_path: Path) -> None:
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--repeat", "1",
                    "--results", str(tmp_path), *QUICK)
    assert proc.returncode == 0, proc.stderr  # not valid is not failed
    assert "1 of 1 cases are not valid" in proc.stderr and "few_processes" in proc.stderr
    assert "† |" in proc.stdout and "† few_processes: fewer than 3 measuring processes" \
        in proc.stdout and "(1 cell)" in proc.stdout
    doc = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert doc["cases"][0]["valid"] is False
    assert doc["cases"][0]["validity"][0]["code"] == "few_processes"


# --- compare across processes --------------------------------------------------------------


def _run(run_id: str, case) -> RunRecord:  # type: ignore[no-untyped-def]
    return RunRecord(run_id=run_id, started_at=f"2026-01-0{run_id[-1]}T00:00:00Z", command=(),
                     benchbot_version="t", planned_cases=1,
                     status="complete", cases=(case,))


def test_one_process_per_side_is_at_most_uncertain_and_processes_decide() -> None:
    rng = np.random.default_rng(2)
    fast = [list(10.0 * np.exp(rng.normal(0, 0.01, 200))) for _ in range(3)]
    slow = [list(13.0 * np.exp(rng.normal(0, 0.01, 200))) for _ in range(3)]
    single = compare(side_of_run(_run("r1", make_case(samples_ms=fast[0]))),
                     side_of_run(_run("r2", make_case(samples_ms=slow[0]))))
    (only,) = single.comparisons
    assert only.verdict.kind == "uncertain" and "one measuring process" in only.verdict.reason
    across = compare(side_of_run(_run("r1", make_case(runs=fast))),
                     side_of_run(_run("r2", make_case(runs=slow))))
    (row,) = across.comparisons
    assert row.verdict.kind == "slower" and row.estimate.method == "processes"
    same = compare(side_of_run(_run("r1", make_case(runs=fast))),
                   side_of_run(_run("r2", make_case(runs=fast[::-1]))))
    assert same.comparisons[0].verdict.kind not in ("slower", "faster")


# --- benchbot ab ---------------------------------------------------------------------------


def test_ab_calls_the_heavier_model_slower(models: dict[str, Path], tmp_path: Path) -> None:
    proc = benchbot("ab", str(models["tiny_conv.onnx"]), str(models["mid_conv.onnx"]),
                    "--repeat", "8", "--json", "--results", str(tmp_path), *QUICK, timeout=300)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    (row,) = doc["comparisons"]
    assert row["verdict"] == "slower" and row["model_changed"] is True
    sides = {line.split()[1]: line for line in proc.stderr.splitlines()
             if line.startswith("ok ")}
    assert set(sides) == {"A", "B"}, proc.stderr  # each side its own line, with its pairs
    assert "A tiny_conv" in sides["A"] and "B mid_conv" in sides["B"]
    assert all("; 8 pairs, n=" in line for line in sides.values())
    begun = [line for line in proc.stderr.splitlines() if line.startswith("pair ")]
    assert [line.split(":")[0] for line in begun] == [f"pair {n}" for n in range(1, 9)]
    record = load_run(next(tmp_path.glob("*.json")))
    assert record.schedule.order == "ab" and len(record.cases) == 2
    starts = sorted(s for c in record.cases for s in _starts(c))
    sides = [cid for _, cid in starts]
    assert sides[0] != sides[1] and sides[1] == sides[2] and sides[3] != sides[2]  # A B B A


def test_ab_of_a_model_against_itself_is_neither_slower_nor_faster(
        models: dict[str, Path], tmp_path: Path) -> None:
    model = str(models["tiny_matmul.onnx"])
    proc = benchbot("ab", model, model, "--repeat", "3", "--json", "--results", str(tmp_path),
                    *QUICK, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)["comparisons"]
    assert row["verdict"] == "uncertain"  # 3 pairs cannot reach alpha 0.01, and it says so
    assert row["reason"].startswith("needs 5 more pairs to reach alpha 0.01")
