"""`benchbot report`: latency grids (markdown), or one row per case (CSV, JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rich.markup import escape

from benchbot.cli.console import emit, err, warn
from benchbot.errors import ConfigError, UserError
from benchbot.report import (FORMATS, LAYOUTS, METRICS, Filters, build_grids, latest_entries,
                             render_csv, render_json, render_markdown)
from benchbot.store import RunRecord, find_run_files, load_run
from benchbot.store import load_runs as store_load_runs
from benchbot.modelcard import ModelCard
from benchbot.report.environment import provenance_note
from benchbot.report.modelcols import add_model_columns, quantization_table
from benchbot.report.ops import GROUPINGS, ops_report
from benchbot.report.memory import memory_table
from benchbot.report.sustained import sustained_table
from benchbot.report.tabular import provenance_of
from benchbot.store.entries import Entry
from benchbot.store.queries import history_records, latest_entries_indexed
from benchbot.sweep.axes import PRECISIONS


def cards_by_case(entries: list[Entry]) -> dict[str, ModelCard]:
    """Case id -> the card of its model, as recorded with the case."""
    return {e.case.id: e.case.card for e in entries if e.case.card is not None}


def load_runs(paths: list[Path]) -> list[RunRecord]:
    """The runs of ``paths``; a broken run in a folder is skipped with a warning."""
    return store_load_runs(paths, lambda reason: err.print(f"[yellow]warning:[/] "
                                                           f"{escape(reason)}", soft_wrap=True))


def out_file(output: Optional[Path], example: str) -> Optional[Path]:
    """``--out`` checked before any work: a folder there is refused with the fix."""
    if output is not None and output.is_dir():
        raise UserError(f"--out {output} is a folder: name a file in it, e.g. "
                        f"--out {output / example}")
    return output


def _one_of(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{option}: {value!r} is not one of {', '.join(allowed)}")
    return value


MAX_DIGITS = 15
EXAMPLES = """Examples:

  benchbot report --layout devices --threads 1

  benchbot report --format html --out report.html

  benchbot report --json | jq '.[] | {model, device, median_ms}'
"""

# which options apply to which formats: the rest are errors, never silently ignored
_APPLIES = {"--layout": ("md", "html"), "--model-columns": ("md", "html"),
            "--metric": ("md", "html"), "--digits": ("md", "html")}


def _refuse_inapplicable(fmt: str, given: dict[str, object]) -> None:
    wrong = [name for name, value in given.items()
             if value is not None and fmt not in _APPLIES[name]]
    if wrong:
        formats = " or ".join(_APPLIES[wrong[0]])
        raise ConfigError(f"{', '.join(wrong)} only apply to --format {formats}: the {fmt} "
                          "format has one row per case with every statistic; drop "
                          f"{'them' if len(wrong) > 1 else 'it'}, or choose --format {formats}")


def report_command(
    results: Optional[list[Path]] = typer.Option(
        None, "--results", "-r",
        help="Results folder(s) or run file(s); repeatable. (default: results)"),
    layout: Optional[str] = typer.Option(
        None, help="devices: models x devices, one grid per thread count; precision-batch: "
                   "models x (precision, batch), one grid per device; auto: precision-batch "
                   "when several precisions or batches were measured; quantization: model x "
                   "precision rows with file size, latency and accuracy (md only); ops: where "
                   "the time goes per case (runs with --profile-ops); sustained: burst -> "
                   "sustained latency per model and device (runs with --sustained; in html "
                   "the default grids and one chart over time per device); memory: every "
                   "memory figure per case with what it counts (md only). (default: auto)"),
    model_columns: Optional[str] = typer.Option(
        None, help="Model facts beside the latencies: params, macs, flops, size "
                   "(comma-separated), from the model cards recorded with the cases."),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", help="Only this thread count."),
    precision: Optional[str] = typer.Option(None, help="Only this precision."),
    batch: Optional[int] = typer.Option(None, "--batch", "-b", help="Only this batch size."),
    device: Optional[str] = typer.Option(None, "--device", "-d", help="Only this device."),
    metric: Optional[str] = typer.Option(
        None, help=f"Statistic shown: {', '.join(METRICS)}. (default: median)"),
    fmt: str = typer.Option("md", "--format", "-f",
                            help="md (grids), csv or json (one row per case), html (one "
                                 "self-contained page: provenance, grids, charts)."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    digits: Optional[int] = typer.Option(
        None, help="Significant digits of the numbers in grids, 1 to 15. (default: 4)"),
    output: Optional[Path] = typer.Option(None, "--out", "-o",
                                          help="Write to this file instead of stdout."),
    top: int = typer.Option(10, "--top", help="--layout ops: op types (or nodes) shown per "
                                              "case; the rest make one 'other' row."),
    by: str = typer.Option("op-type", "--by", help="--layout ops: op-type or node."),
) -> None:
    """Tables of measured latencies, from every run in the results folder.

    Where several runs measured the same configuration, the latest run's value
    is shown. A configuration not measured prints '-'; a failed one '- \\[n]'
    with the reason in footnote n. Rows follow the models in the order they were given.
    """
    if as_json:
        if fmt not in ("md", "json"):
            raise ConfigError(f"--json is --format json; it cannot go with --format {fmt}")
        fmt = "json"
    _one_of(fmt, FORMATS, "--format")
    _refuse_inapplicable(fmt, {"--layout": layout, "--model-columns": model_columns,
                               "--metric": metric, "--digits": digits})
    layout = _one_of(layout or "auto", (*LAYOUTS, "quantization", "ops", "sustained", "memory"),
                     "--layout")
    _one_of(by, GROUPINGS, "--by")
    metric = _one_of(metric or "median", tuple(METRICS), "--metric")
    digits = 4 if digits is None else digits
    if fmt == "html" and layout in ("quantization", "ops", "memory"):
        raise ConfigError(f"--layout {layout} is a markdown table: use --format md, or "
                          "another layout with --format html")
    if precision is not None:
        _one_of(precision, PRECISIONS, "--precision")
    if digits < 1 or (threads is not None and threads < 1) or (batch is not None and batch < 1):
        raise ConfigError("--digits, --threads and --batch must be positive integers")
    if digits > MAX_DIGITS:  # a float64 has 15 to 17 significant digits; the rest is noise
        raise ConfigError(f"--digits {digits} is more than a measurement holds: give 1 to "
                          f"{MAX_DIGITS}")
    output = out_file(output, "report.html" if fmt == "html" else f"report.{fmt}")
    paths = list(results or [Path("results")])
    files = find_run_files(paths)
    if not files:
        raise UserError(f"no results in {', '.join(map(str, paths))}: "
                        "run `benchbot run` first, or point --results at a folder of runs")
    filters = Filters(threads=threads, batch=batch, precision=precision, device=device)
    # the results index picks the cases; only the runs that hold them are read
    # (the HTML page shows every run's header and history: it reads the run files)
    said: list[str] = []
    entries = None if fmt == "html" else latest_entries_indexed(paths, filters, said.append)
    if not entries:  # nothing indexed (or no index): the run files say why
        entries = None
    for message in said if entries is not None else ():
        warn(message)
    indexed = entries is not None
    if entries is None:
        records = load_runs(paths)
        entries = latest_entries(records, filters)
    else:  # the runs that hold the chosen cases
        shown = {e.run_id for e in entries}
        records = [load_run(f) for f in files if f.stem in shown]
    shown = {e.run_id for e in entries}
    provenance = [r for r in records if r.run_id in shown]  # of the cases shown, either way
    cards = cards_by_case(entries)
    if fmt == "md" and layout == "ops":
        text = ops_report(entries, top, by)
    elif fmt == "md" and layout == "sustained":
        text = sustained_table(entries)
    elif fmt == "md" and layout == "memory":
        text = memory_table(entries)
    elif fmt == "md" and layout == "quantization":
        text = quantization_table(entries, cards, metric, digits)
    elif fmt in ("md", "html"):
        grids = build_grids(entries, "auto" if layout == "sustained" else layout, metric)
        if model_columns:
            which = [w.strip() for w in model_columns.split(",")]
            by_model = {e.case.model_name: cards[e.case.id] for e in entries if e.case.id in cards}
            grids = [add_model_columns(g, by_model, which) for g in grids]
        if fmt == "md":
            text = render_markdown(grids, digits) + provenance_note(provenance)
        else:
            from benchbot.report.html import html_report  # matplotlib only when asked for

            if indexed:  # history plots from the index: no run file read for them
                records = history_records(paths, {e.case.model_name for e in entries},
                                          warn) or records
            text = html_report(records, entries, layout, metric, digits, grids=grids)
    else:
        given = provenance_of(provenance)
        text = render_csv(entries, given) if fmt == "csv" else render_json(entries, given)
    try:
        emit(text, output)
    except OSError as exc:
        raise UserError(f"cannot write --out {output}: {exc.strerror or exc}; name a file in a "
                        "folder you can write to") from None


report_command.__doc__ = (report_command.__doc__ or "") + "\n" + EXAMPLES
