"""`benchbot nightly --config nightly.toml`: the device farm's nightly job in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from benchbot.cli import options
from benchbot.cli.console import err, out
from benchbot.cli.progress import SweepProgress
from benchbot.devices import DeviceOptions
from benchbot.run import session
from benchbot.run.nightly import load_nightly, run_nightly
from benchbot.variants import DEFAULT_CACHE_DIR


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
    outcome = run_nightly(cfg, found, plan, DeviceOptions(adb_server=adb_server), results,
                          lambda p: SweepProgress(err, p), err.print)
    out(outcome.text)
    err.print(f"verdict written to {outcome.summary_path}: {outcome.report.summary_line()}")
    if outcome.report.slower:
        raise typer.Exit(1)
