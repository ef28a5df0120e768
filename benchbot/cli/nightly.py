"""`benchbot nightly --config nightly.toml`: the device farm's nightly job in one command."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

from benchbot import session
from benchbot.cli import options
from benchbot.cli.console import err, out
from benchbot.cli.progress import SweepProgress
from benchbot.compare import CompareSettings, Side, compare, render_markdown, side_of_run
from benchbot.compare.baselines import resolve_side
from benchbot.devices import DeviceOptions
from benchbot.errors import UserError
from benchbot.nightly import load_nightly, summary_markdown, suspects
from benchbot.store import RunRecord, write_atomic
from benchbot.sweep import Plan
from benchbot.variants import DEFAULT_CACHE_DIR


def _measure(plan: Plan, profiles: list, device_options: DeviceOptions, results: Path,
             record: RunRecord | None = None) -> RunRecord:
    with SweepProgress(err, plan) as progress:
        return session.measure(plan, profiles, device_options, results, progress, err.print,
                               record=record)


def nightly_command(
    config: Path = typer.Option(..., "--config", "-c", help="Nightly file (TOML): the sweep, "
                                "[nightly] baseline/alpha/confirm/summary, [thresholds]."),
    results: Path = typer.Option(Path("results"), "--results",
                                 help="Results folder: tonight's run goes here, baselines "
                                      "are read from here."),
    profiles: Optional[list[Path]] = options.ProfilesOption,
    adb_server: Optional[str] = typer.Option(None, help="host:port of the adb server."),
    zoo_dir: Path = typer.Option(Path("models/zoo"), help="Where zoo:NAME models live."),
) -> None:
    """Measure the sweep, compare it with the baseline, re-measure suspected regressions
    once, write the markdown verdict. Exit code: 0 nothing slower, 1 slower, 2 bad input."""
    cfg = load_nightly(config)
    found = session.profiles_of(cfg.spec.devices or ("local",), options.dirs(profiles), None)
    plan = session.prepare(session.plan_of(cfg.spec, found, zoo_dir), found, "static",
                           Path(DEFAULT_CACHE_DIR), err.print)
    device_options = DeviceOptions(adb_server=adb_server)
    base_spec = cfg.baseline
    if not base_spec.startswith("rolling:"):
        resolve_side(base_spec, results)  # a bad baseline fails before the night's measuring
    record = _measure(plan, found, device_options, results)
    settings = CompareSettings(alpha=cfg.alpha, thresholds=cfg.thresholds)
    try:
        baseline = resolve_side(base_spec, results, other=side_of_run(record))
    except UserError:
        if not base_spec.startswith("rolling:"):
            raise
        # the first nights: nothing to roll over yet, so tonight starts the history
        baseline = Side(label=f"{base_spec} (no earlier runs yet)", entries=())
    report = compare(baseline, side_of_run(record, "tonight"), settings)
    rechecked: dict[str, str] = {}
    suspect_ids = suspects(report) if cfg.confirm else set()
    if suspect_ids:
        err.print(f"re-measuring {len(suspect_ids)} suspected regression(s) once")
        again = replace(plan, cases=tuple(c for c in plan.cases if c.id in suspect_ids))
        record = _measure(again, found, device_options, results, record=record)
        report = compare(baseline, side_of_run(record, "tonight"), settings)
        final = {c.candidate.case.id: c.verdict.kind for c in report.comparisons
                 if c.candidate is not None}
        rechecked = {c.label: str(final.get(c.id, "?")) for c in again.cases}
    text = summary_markdown(record.run_id, baseline.label, report, render_markdown(report),
                            rechecked)
    target = cfg.summary or results / f"nightly-{record.run_id}.md"
    write_atomic(target, text)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    out(text)
    err.print(f"verdict written to {target}: {report.summary_line()}")
    if report.slower:
        raise typer.Exit(1)
