"""`benchbot publish --results DIR --out SITE`: the results' history as a static site."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from benchbot.cli import options
from benchbot.cli.console import err, warn
from benchbot.errors import ConfigError
from benchbot.report.site.publish import RUN_CHARTS, RUN_REPORTS, publish_site


@options.examples("benchbot publish --results results --out site",
                  "benchbot publish -r /srv/bench/results -o /var/www/bench  "
                  "# after each night: only what changed is rewritten",
                  "xdg-open site/index.html")
def publish_command(
    results: Path = typer.Option(Path("results"), "--results", "-r",
                                 help="Results folder to publish (read through its index)."),
    out: Path = typer.Option(Path("site"), "--out", "-o",
                             help="Folder of the site; made if missing. Publishing again "
                                  "rewrites only the files that changed."),
    run_reports: int = typer.Option(RUN_REPORTS, "--run-reports", metavar="N",
                                    help="The newest N runs get a report page (today's report "
                                         "--format html, the one part that reads a run file "
                                         "whole); a page once made is kept. Every run has "
                                         "its run page (run.html) and raw files either way."),
    run_charts: int = typer.Option(RUN_CHARTS, "--run-charts", metavar="N",
                                   help="The newest N runs' report pages draw the report's "
                                        "charts (most of a page's cost); older ones show its "
                                        "tables. A page is made once, when its run is new."),
    jobs: int = typer.Option(None, "--jobs", "-j", metavar="N", show_default="one per core",
                             help="Processes that compute the verdicts and make the run "
                                  "pages of a first publish (a republish has few to make)."),
) -> None:
    """Publish every model x device series across runs as a static site.

    Pages: an overview (latest median of every series, its change and sparkline, the
    latest verdicts), a page per series (median and 95% CI over runs, regressions and A/B
    confirmations marked where they appeared, hover, zoom, pan), a page per run (its cases
    and verdicts, report page, raw results file and tool logs) and a comparison of any two
    runs. It opens
    from file:// or any static host and loads nothing from the network. Needs plotly
    (pip install 'benchbot\\[publish]'), whose plotly.js is copied into the site.
    """
    for flag, value in (("--run-reports", run_reports), ("--run-charts", run_charts)):
        if value < 0:
            raise ConfigError(f"{flag} {value}: give 0 or more runs")
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs {jobs}: give 1 or more processes")
    done = publish_site(results, out, warn, run_charts, workers=jobs, run_reports=run_reports)
    err.print(f"published {escape(str(out / 'index.html'))}: {done.series} series, "
              f"{done.runs} run(s); {len(done.written)} file(s) written, {done.unchanged} "
              "unchanged")
