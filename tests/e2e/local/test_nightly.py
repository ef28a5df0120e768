"""`benchbot nightly` end to end: a real sweep, compared with a baseline, exit codes for CI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchbot.verdicts import CompareSettings
from benchbot.store import CaseKey
from benchbot.verdicts.verdict import Comparison, CompareReport, Kind, Verdict
from benchbot.runs.nightly import load_nightly, summary_markdown
from benchbot.store.entries import Entry
from tests.support.cases import make_case
from benchbot.errors import ConfigError
from benchbot.runs.repeats import summary_of
from benchbot.store import load_run, save_run
from tests.conftest import benchbot


def nightly_file(tmp_path: Path, model: Path, baseline: str) -> Path:
    config = tmp_path / "nightly.toml"
    config.write_text(f"""
devices = ["local"]
models = ["{model}"]
threads = [1]
[measure]
warmup = 2
min_runs = 30
min_time = 0.2
max_time = 2.0
[nightly]
baseline = "{baseline}"
summary = "verdict.md"
[thresholds]
default = "5%"
""")
    return config


def scaled_copy(results: Path, factor: float, name: str, keep_model: bool = False) -> None:
    """A copy of the only run in ``results`` with every sample times ``factor``, started
    earlier, and named as a baseline: a past night that was faster or slower. Its model file
    is gone (moved), so a suspect is confirmed by measuring tonight's again, not by an A/B
    of the two files (the same bytes here: an A/B would rightly find no difference);
    ``keep_model`` leaves it in place, for the A/B."""
    record = load_run(next(results.glob("*.json")))

    def past_case(c):  # type: ignore[no-untyped-def]
        runs = tuple(dataclasses.replace(r, samples_ms=tuple(s * factor for s in r.samples_ms))
                     for r in c.runs)
        gone = c.config.model if keep_model else dataclasses.replace(
            c.config.model, path="gone/m.onnx", abs_path="/gone/m.onnx")
        return dataclasses.replace(c, runs=runs, stats=summary_of(runs),
                                   config=dataclasses.replace(c.config, model=gone))

    cases = tuple(past_case(c) for c in record.cases)
    past = dataclasses.replace(record, run_id="20200101T000000Z-past00",
                               started_at="2020-01-01T00:00:00.000+00:00", cases=cases)
    save_run(past, results)
    assert benchbot("baseline", "set", past.run_id, "--name", name, "--results",
                    str(results)).returncode == 0


def test_first_night_then_a_regression_then_an_improvement(models: dict[str, Path],
                                                           tmp_path: Path) -> None:
    results = tmp_path / "results"
    model = models["tiny_matmul.onnx"]
    first = benchbot("nightly", "--config", str(nightly_file(tmp_path, model, "rolling:3")),
                     "--results", str(results))
    assert first.returncode == 0, first.stderr
    assert "no earlier runs yet" in first.stdout and "1 added" in first.stdout
    assert (tmp_path / "verdict.md").read_text() == first.stdout

    # a past night four times as fast: tonight is a regression that no noise of this machine
    # between two nights (a microsecond model here) can hide
    scaled_copy(results, 0.25, "fast")
    summary = tmp_path / "step_summary.md"
    slow = benchbot("nightly", "--config", str(nightly_file(tmp_path, model, "baseline:fast")),
                    "--results", str(results), env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert slow.returncode == 1, slow.stderr
    assert "regressions found" in slow.stdout and "1 slower" in slow.stdout
    assert "re-measuring 1 suspected regression" in slow.stderr
    assert "slower → slower" in slow.stdout  # confirmed by the second measurement
    assert summary.read_text().startswith("## benchbot nightly: regressions found")

    for f in (results / "baselines").glob("*.json"):
        f.unlink()
    for f in results.glob("2020*.json"):
        f.unlink()
    scaled_copy(results, 4.0, "slow")  # a past night four times as slow: tonight is faster
    fast = benchbot("nightly", "--config", str(nightly_file(tmp_path, model, "baseline:slow")),
                    "--results", str(results))
    assert fast.returncode == 0, fast.stderr
    assert "no regression" in fast.stdout and "faster" in fast.stdout


def test_a_suspect_whose_baseline_file_is_here_is_settled_by_an_interleaved_ab(
        models: dict[str, Path], tmp_path: Path) -> None:
    """A baseline night four times as fast as tonight, but of the very file tonight
    measures: the A/B of the two in one session finds them alike, so it is no regression
    (what moved was the device, or the record)."""
    results = tmp_path / "results"
    model = models["tiny_matmul.onnx"]
    config = nightly_file(tmp_path, model, "baseline:fast")
    config.write_text(config.read_text().replace("min_time = 0.2", "min_time = 0.1\n"
                                                 "repeat = 3"))
    assert benchbot("run", "-m", str(model), "--results", str(results), "--repeat", "3",
                    "--min-time", "0.1").returncode == 0
    scaled_copy(results, 0.25, "fast", keep_model=True)
    night = benchbot("nightly", "--config", str(config), "--results", str(results))
    assert night.returncode == 0, night.stdout + night.stderr
    assert "confirming 1 suspected regression(s) with an interleaved A/B" in night.stderr
    assert "(interleaved A/B)" in night.stdout and "0 slower" in night.stdout
    sessions = [r for r in map(load_run, results.glob("*.json")) if r.is_ab]
    # --repeat 3 is raised to the 8 pairs that can reach alpha 0.01
    assert len(sessions) == 1 and [len(c.runs) for c in sessions[0].cases] == [8, 8]


def test_bad_nightly_files(tmp_path: Path) -> None:
    bad = tmp_path / "n.toml"
    bad.write_text('models = ["m.onnx"]\n[nightly]\nbaseline = 5\n')
    with pytest.raises(ConfigError, match="'nightly.baseline' must be a str"):
        load_nightly(bad)
    bad.write_text('models = ["m.onnx"]\n[nightly]\nwhen = "2am"\n')
    with pytest.raises(ConfigError, match="unknown key 'nightly.when'"):
        load_nightly(bad)
    bad.write_text('models = ["m.onnx"]\n[thresholds]\ndefault = "lots"\n')
    with pytest.raises(ConfigError, match="n.toml"):
        load_nightly(bad)
    proc = benchbot("nightly", "--config", str(tmp_path / "missing.toml"))
    assert proc.returncode == 2 and "nightly file not found" in proc.stderr
    cfg = tmp_path / "ok.toml"
    cfg.write_text('models = ["x.onnx"]\n[nightly]\nbaseline = "baseline:nope"\n')
    (tmp_path / "x.onnx").write_bytes(b"")
    proc = benchbot("nightly", "--config", str(cfg), "--results", str(tmp_path / "r"))
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")


def test_the_heading_over_the_rows_to_look_at_names_the_kinds_they_hold() -> None:
    case = make_case(runs=[[10.0] * 5] * 3)
    added = Comparison(CaseKey.of(case), Verdict(Kind.ADDED, "measured in the candidate only"),
                       None, Entry("r2", case, ""), None, 0.05)
    only_added = CompareReport("base", "cand", CompareSettings(), (added,))
    text = summary_markdown("r2", "rolling:5", only_added, {})
    assert "### Added" in text and "Slower" not in text
    slower = dataclasses.replace(added, verdict=Verdict(Kind.SLOWER, "+9%"),
                                 baseline=Entry("r1", case, ""))
    both = CompareReport("base", "cand", CompareSettings(), (slower, added))
    assert "### Slower, added" in summary_markdown("r2", "rolling:5", both, {})
