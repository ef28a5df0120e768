"""`benchbot nightly --config nightly.toml`: the device farm's nightly job in one command."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from benchbot.cli import options
from benchbot.cli.console import err, out
from benchbot.cli.outcome import DEVICE_FAILURES, Outcome
from benchbot.cli.progress import SweepProgress
from benchbot.cli.run import outcome_of
from benchbot.devices import DeviceOptions
from benchbot.report.comparison import render_json
from benchbot.runs import session
from benchbot.runs.nightly import load_nightly, run_nightly
from benchbot.runs.provenance import parse_meta
from benchbot.variants import DEFAULT_CACHE_DIR

EXAMPLES = """Examples:

  benchbot nightly --config nightly.toml

  benchbot nightly -c nightly.toml --results /srv/bench/results --meta build=$BUILD_ID

  benchbot nightly -c nightly.toml --json | jq .comparison.counts
"""


def nightly_command(
    config: Path = typer.Option(..., "--config", "-c", help="Nightly file (TOML): the sweep, "
                                "\\[nightly] baseline/alpha/confirm/summary, \\[thresholds], "
                                "\\[meta]."),
    results: Path = typer.Option(Path("results"), "--results",
                                 help="Results folder: tonight's run goes here, baselines "
                                      "are read from here."),
    profiles: Optional[list[Path]] = options.ProfilesOption,
    adb_server: Optional[str] = typer.Option(None, help="host:port of the adb server."),
    zoo_dir: Path = typer.Option(Path("models/zoo"), help="Where zoo:NAME models live."),
    meta: Optional[list[str]] = options.MetaOption,
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON (run id, "
                                 "summary file, every comparison) instead of the markdown."),
    site: Optional[Path] = typer.Option(None, "--site", help="The folder `benchbot publish` "
                                        "writes the history to: each slower case's series "
                                        "page in it is named (publish after the night)."),
) -> Outcome:
    """Measure the sweep, compare it with the baseline, re-measure suspected regressions
    once, write the markdown verdict (to its file and $GITHUB_STEP_SUMMARY).

    Exit code: 0 nothing slower, 1 slower, 2 bad input, 3 a device unavailable or lost.
    """
    cfg = load_nightly(config)
    cfg = replace(cfg, spec=replace(cfg.spec, meta={**cfg.spec.meta, **parse_meta(meta or [])}))
    found = session.profiles_of(cfg.spec.devices or ("local",), options.dirs(profiles), None)
    plan = session.prepare(session.plan_of(cfg.spec, found, zoo_dir), found, "static",
                           Path(DEFAULT_CACHE_DIR), err.print)
    outcome = run_nightly(cfg, found, plan, DeviceOptions(adb_server=adb_server), results,
                          lambda p: SweepProgress(err, p), err.print)
    if as_json:
        out(json.dumps({"run_id": outcome.record.run_id,
                        "summary_path": str(outcome.summary_path),
                        "regression": bool(outcome.report.slower),
                        "comparison": json.loads(render_json(outcome.report))}, indent=1) + "\n")
    else:
        out(outcome.text)
    err.print(f"verdict written to {outcome.summary_path}: {outcome.report.summary_line()}")
    if site is not None:
        from benchbot.report.site import slower_links

        for label, link in slower_links(outcome.report):
            err.print(f"slower: {escape(label)}: {escape(str(site / link))}")
    found = outcome_of(outcome.record, regressions=len(outcome.report.slower))
    if found.failures & DEVICE_FAILURES:
        err.print("[yellow]warning:[/] a device was unavailable or lost during the night: "
                  "check its connection and run the nightly again")
    return found


nightly_command.__doc__ = (nightly_command.__doc__ or "") + "\n" + EXAMPLES
