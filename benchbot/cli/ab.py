"""`benchbot ab BASELINE CANDIDATE`: two models measured interleaved in one session, and the
verdict: is the candidate slower?

Exit codes: 0 not slower; 1 the candidate is slower beyond the threshold; 2 bad input;
3 a device unavailable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from benchbot.cli import options
from benchbot.cli.console import err, out
from benchbot.cli.progress import SweepProgress
from benchbot.cli.outcome import Outcome
from benchbot.cli.run import outcome_of, spec_from_options
from benchbot.verdicts import CompareSettings, Kind, ThresholdPolicy, parse_threshold
from benchbot.devices import DeviceOptions
from benchbot.report.comparison import render_json, render_markdown
from benchbot.runs import session
from benchbot.runs.ab import ab_plan, run_ab
from benchbot.stats.paired import fewest_pairs
from benchbot.sweep import MeasureSettings
from benchbot.variants import DEFAULT_CACHE_DIR

# a pair's processes differ by the device's moment-to-moment noise: on a shared machine a
# tenth of the change; 20 pairs give the signed-rank interval room to exclude 1 at alpha
AB_MAX_PAIRS = 20
DEFAULT_ALPHA = MeasureSettings().alpha


@options.examples(
    "benchbot ab models/net_before.onnx models/net_after.onnx",
    "benchbot ab old.tflite new.tflite --device sd855 --threads 1,4 --repeat 6",
    "benchbot ab zoo:resnet18 resnet18_pruned.onnx --threshold 3% --json")
def ab_command(
    baseline: str = typer.Argument(..., help="The model as it was (A): a file or zoo:NAME."),
    candidate: str = typer.Argument(..., help="The model as it is now (B)."),
    device: Optional[str] = options.DeviceOption,
    threads: Optional[str] = options.ThreadsOption,
    batch: Optional[str] = options.BatchOption,
    precision: Optional[str] = options.PrecisionOption,
    backend: Optional[str] = options.BackendOption,
    runtime: Optional[str] = options.RuntimeOption,
    repeat: Optional[int] = options.repeat_option(
        "Pairs of processes.",
        f"at least the pairs the test needs to reach --alpha, {fewest_pairs(DEFAULT_ALPHA)} "
        f"at {DEFAULT_ALPHA:g}, then more up to --max-repeat until the CI is within "
        "--target-ci"),
    max_repeat: Optional[int] = options.max_repeat_option(
        "Pairs of processes at most, when adaptive; never fewer than the test needs to reach "
        "--alpha.", AB_MAX_PAIRS),
    target_ci: Optional[float] = options.target_ci_option(
        f"Stop adding pairs once the paired CI of B/A (at 1 - alpha, {1 - DEFAULT_ALPHA:.0%} "
        "by default) is within +- this."),
    warmup: Optional[int] = options.WarmupOption,
    min_runs: Optional[int] = options.MinRunsOption,
    min_time: Optional[float] = options.MinTimeOption,
    max_time: Optional[float] = options.MaxTimeOption,
    threshold: str = typer.Option("5%", help="The smallest slowdown that counts."),
    alpha: float = typer.Option(
        DEFAULT_ALPHA, help="Significance level of the paired test; the CI is at 1 - alpha "
                            f"({1 - DEFAULT_ALPHA:.0%})."),
    serial: Optional[str] = options.SerialOption,
    adb_server: Optional[str] = options.AdbServerOption,
    battery_floor: int = options.BatteryFloorOption,
    results: Path = typer.Option(Path("results"), help="Folder the session's run is saved in."),
    profiles: Optional[list[Path]] = options.ProfilesOption,
    zoo_dir: Path = options.ZooDirOption,
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the comparison records (as compare --format json)."),
) -> Outcome:
    """Is CANDIDATE slower than BASELINE? Both measured interleaved in one session.

    BASELINE (A) and CANDIDATE (B) run on one device, their processes alternating
    A B B A ...; each pair ran in the same conditions (temperature, clocks, other load),
    so what differs within it is the model. The verdict uses the pairs' ratios: the exact
    signed-rank test at --alpha and its interval at the same level (99% for 0.01), so
    the two never disagree: slower when that CI of B/A lies above 1 and the change
    exceeds the threshold (always when the whole CI lies above it). The fewest pairs
    that can reach alpha come first (the test's smallest p-value is 2/2^pairs); pairs are
    added from there until the CI is within --target-ci, up to --max-repeat.
    """
    measure = {"warmup": warmup, "min_runs": min_runs, "min_time": min_time,
               "max_time": max_time, "repeat": repeat,
               "max_repeat": AB_MAX_PAIRS if max_repeat is None else max_repeat,
               "target_ci": target_ci, "alpha": alpha}
    spec = spec_from_options(device, [baseline], threads, batch, precision, backend, measure,
                             runtime=runtime)
    found = session.profiles_of(spec.devices or (options.DEFAULT_DEVICE,), options.dirs(profiles), None)
    plan = ab_plan(baseline, candidate, spec, found, zoo_dir)
    plan = session.prepare(plan, found, "static", Path(DEFAULT_CACHE_DIR), err.print)
    settings = CompareSettings(alpha=alpha, thresholds=ThresholdPolicy(
        default=parse_threshold(threshold, "--threshold")))
    with SweepProgress(err, plan) as progress:
        outcome = run_ab(plan, found, DeviceOptions(serial=serial, adb_server=adb_server,
                                                    battery_floor=battery_floor),
                         results, progress, err.print, settings)
    out(render_json(outcome.report) if as_json else render_markdown(outcome.report))
    err.print(f"{outcome.report.summary_line()}; the session's run: {outcome.record.run_id}")
    return outcome_of(outcome.record, regressions=outcome.report.count(Kind.SLOWER))
