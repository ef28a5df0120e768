"""`benchbot compare BASELINE CANDIDATE`: which cases got slower, with statistics.

Exit codes: 0 nothing slower; 1 at least one case slower; 2 bad input.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from benchbot.cli.console import emit, err, warn_once
from benchbot.cli.outcome import Outcome
from benchbot.verdicts import (CompareSettings, EstimateSettings, Kind,
                              ThresholdPolicy, compare, parse_threshold)
from benchbot.report.comparison import render_json, render_markdown
from benchbot.runs.baselines import SPEC_HELP, resolve_side
from benchbot.runs.spread import spread_option
from benchbot.verdicts.sides import Side
from benchbot.verdicts.verdict import CompareReport
from benchbot.errors import ConfigError
from benchbot.store import find_run_files, load_run
from benchbot.store.entries import labelled

FORMATS = ("md", "json", "html")

EXAMPLES = """Examples:

  benchbot compare baseline:main latest

  benchbot compare rolling:5 latest --threshold 3% --override mobilenet_v2=8%

  benchbot compare baseline:main latest --format html --out compare.html
"""


def _advice(report_kinds: dict[Kind, int], welch: int, changed: int) -> list[str]:
    """Warnings for stderr, each naming what to do next."""
    notes = []
    if report_kinds[Kind.SLOWER]:
        notes.append(f"{report_kinds[Kind.SLOWER]} case(s) slower: rerun the candidate to "
                     "confirm before bisecting (a second slower verdict rules out a bad "
                     "moment of the device)")
    if report_kinds[Kind.UNCERTAIN]:
        notes.append(f"{report_kinds[Kind.UNCERTAIN]} case(s) uncertain: each case's reason "
                     "(--format json) says what would decide it")
    if report_kinds[Kind.FAILED]:
        notes.append(f"{report_kinds[Kind.FAILED]} case(s) failed on a side: see the reasons "
                     "with --format json, fix them and rerun")
    if welch:
        notes.append(f"{welch} case(s) compared on means (Welch's t-test): the native tool "
                     "gave no per-run samples; use the agent runner for robust medians")
    if changed:
        notes.append(f"{changed} case(s) ran different model bytes under the same name: the "
                     "change includes the model's own; compare runs of one model file to "
                     "isolate the runtime's part")
    return notes


def _html(report: CompareReport, base: Side, cand: Side, results: Path,
          specs: tuple[str, str]) -> str:
    """The comparison page: the records of both sides give its header and charts."""
    from benchbot.report.html import html_report  # matplotlib only when asked for

    wanted = set(base.run_ids) | set(cand.run_ids)
    files = find_run_files([results, *(Path(s) for s in specs if Path(s).is_file())])
    records = [r for r in (load_run(f) for f in files if f.stem in wanted or f.is_file()
                           and any(f.stem.startswith(w) for w in wanted))
               if r.run_id in wanted]
    records = list({r.run_id: r for r in records}.values())
    return html_report(records, labelled(list(cand.entries)), comparison=report,
                       title=f"benchbot: {report.candidate_label} against "
                             f"{report.baseline_label}")


def compare_command(
    baseline: str = typer.Argument(..., help=f"The reference: {SPEC_HELP}."),
    candidate: str = typer.Argument(..., help=f"What to check: {SPEC_HELP}."),
    threshold: str = typer.Option(
        "5%", "--threshold",
        help="Smallest change that matters (5% or 0.05): slower needs more than this."),
    override: Optional[list[str]] = typer.Option(
        None, "--override", metavar="NAME=N%",
        help="Threshold for one model (MODEL=8%), device (device:NAME=10%) or both "
             "(MODEL@DEVICE=12%); repeatable."),
    fmt: str = typer.Option("md", "--format", "-f",
                            help="md (a table), json, or html (one self-contained page: "
                                 "verdicts in colour, provenance, grids and charts)."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    results: Path = typer.Option(Path("results"), "--results", "-r",
                                 help="Results folder with the runs and baselines/."),
    alpha: float = typer.Option(0.01, help="Significance level of the tests."),
    method: str = typer.Option(
        "hl", help="CI of the ratio with samples: hl (Hodges-Lehmann, default) or bootstrap "
                   "(ratio of medians). Aggregates-only cases always use Welch."),
    output: Optional[Path] = typer.Option(None, "--out", "-o",
                                          help="Write to this file instead of stdout."),
    session_spread: str = typer.Option(
        "auto", "--session-spread",
        help="How far a device moves between runs, added to the CI of two runs' ratio: auto "
             "(estimated per device from the folder's other runs of the same models; 5% until "
             "a device has 3 runs of one), or N% for every device (0% leaves it out)."),
) -> Outcome:
    """Compare two runs case by case: slower, faster, unchanged or uncertain.

    A case is slower only when the change is significant (p < alpha and the 95%
    CI of candidate/baseline above 1) and larger than the threshold; unchanged
    when the CI stays within the threshold; uncertain otherwise.
    """
    if as_json:
        if fmt not in ("md", "json"):
            raise ConfigError(f"--json is --format json; it cannot go with --format {fmt}")
        fmt = "json"
    if fmt not in FORMATS:
        raise ConfigError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    policy = ThresholdPolicy(default=parse_threshold(threshold, "--threshold"))
    settings = CompareSettings(alpha=alpha, thresholds=policy.with_overrides(override or []),
                               estimation=EstimateSettings(method=method))
    said = warn_once()  # a broken run in the folder: skipped, said once
    cand = resolve_side(candidate, results, warn=said)
    base = resolve_side(baseline, results, other=cand, warn=said)
    spreads, assumed = spread_option(session_spread, results, set(cand.run_ids),
                                     cand.started_at)
    settings = replace(settings, spreads=spreads, assumed_spread=assumed)
    report = compare(base, cand, settings)
    if fmt == "html":
        text = _html(report, base, cand, results, (baseline, candidate))
    else:
        text = render_markdown(report) if fmt == "md" else render_json(report)
    emit(text, output, report.summary_line())
    kinds = {kind: report.count(kind) for kind in Kind}
    welch = sum(1 for c in report.comparisons if c.estimate and c.estimate.method == "welch")
    changed = sum(1 for c in report.comparisons if c.model_changed)
    for note in _advice(kinds, welch, changed):
        err.print(f"[yellow]warning:[/] {escape(note)}")
    return Outcome.of(regressions=len(report.slower),
                      failures=[None] * report.count(Kind.FAILED))


compare_command.__doc__ = (compare_command.__doc__ or "") + "\n" + EXAMPLES
