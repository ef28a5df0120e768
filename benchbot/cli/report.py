"""`benchbot report`: latency grids (markdown), or one row per case (CSV, JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from benchbot.cli.console import emit, warn
from benchbot.errors import ConfigError, UserError
from benchbot.report import (FORMATS, LAYOUTS, METRICS, Filters, build_grids, latest_entries,
                             render_csv, render_json, render_markdown)
from benchbot.store import find_run_files, load_run
from benchbot.modelcard import ModelCard
from benchbot.report.modelcols import add_model_columns, quantization_table
from benchbot.store.entries import Entry
from benchbot.store.queries import history_records, latest_entries_indexed
from benchbot.sweep.axes import PRECISIONS


def cards_by_case(entries: list[Entry]) -> dict[str, ModelCard]:
    """Case id -> the card of its model, as recorded with the case."""
    return {e.case.id: ModelCard.from_dict(e.case.card) for e in entries if e.case.card}


def _one_of(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{option}: {value!r} is not one of {', '.join(allowed)}")
    return value


def report_command(
    results: Optional[list[Path]] = typer.Option(
        None, "--results", "-r",
        help="Results folder(s) or run file(s); repeatable. (default: results)"),
    layout: str = typer.Option(
        "auto", help="devices: models x devices, one grid per thread count; precision-batch: "
                     "models x (precision, batch), one grid per device; auto: precision-batch "
                     "when several precisions or batches were measured; quantization: model x "
                     "precision rows with file size and latency."),
    model_columns: Optional[str] = typer.Option(
        None, help="Model facts beside the latencies: params, macs, flops, size "
                   "(comma-separated), from the model cards recorded with the cases."),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", help="Only this thread count."),
    precision: Optional[str] = typer.Option(None, help="Only this precision."),
    batch: Optional[int] = typer.Option(None, "--batch", "-b", help="Only this batch size."),
    device: Optional[str] = typer.Option(None, "--device", "-d", help="Only this device."),
    metric: str = typer.Option("median", help=f"Statistic shown: {', '.join(METRICS)}."),
    fmt: str = typer.Option("md", "--format", "-f",
                            help="md (grids), csv or json (one row per case), html (one "
                                 "self-contained page: grids and history plots)."),
    digits: int = typer.Option(4, help="Significant digits of the numbers in grids."),
    output: Optional[Path] = typer.Option(None, "--out", "-o",
                                          help="Write to this file instead of stdout."),
) -> None:
    """Tables of measured latencies, from every run in the results folder.

    Where several runs measured the same configuration, the latest run's value
    is shown. A configuration not measured prints '-'; a failed one '- [n]'
    with the reason in footnote n.
    """
    _one_of(layout, (*LAYOUTS, "quantization"), "--layout")
    _one_of(metric, tuple(METRICS), "--metric")
    _one_of(fmt, FORMATS, "--format")
    if precision is not None:
        _one_of(precision, PRECISIONS, "--precision")
    if digits < 1 or (threads is not None and threads < 1) or (batch is not None and batch < 1):
        raise ConfigError("--digits, --threads and --batch must be positive integers")
    paths = list(results or [Path("results")])
    files = find_run_files(paths)
    if not files:
        raise UserError(f"no results in {', '.join(map(str, results or ['results']))}: "
                        "run `benchbot run` first, or point --results at a folder of runs")
    filters = Filters(threads=threads, batch=batch, precision=precision, device=device)
    # the results index picks the cases; only the runs that hold them are read
    entries = latest_entries_indexed(paths, filters, warn)
    records = None
    if entries is None:
        records = [load_run(f) for f in files]
        entries = latest_entries(records, filters)
    cards = cards_by_case(entries)
    if fmt == "md" and layout == "quantization":
        text = quantization_table(entries, cards, metric, digits)
    elif fmt == "md":
        grids = build_grids(entries, layout, metric)
        if model_columns:
            which = [w.strip() for w in model_columns.split(",")]
            by_model = {e.case.model_name: cards[e.case.id] for e in entries if e.case.id in cards}
            grids = [add_model_columns(g, by_model, which) for g in grids]
        text = render_markdown(grids, digits)
    elif fmt == "html":
        from benchbot.report.html import html_report  # matplotlib only when asked for

        if records is None:  # history plots from the index: no run file read
            records = history_records(paths, {e.case.model_name for e in entries}, warn)
        text = html_report(records or [], entries, layout, metric, digits)
    else:
        text = render_csv(entries) if fmt == "csv" else render_json(entries)
    emit(text, output)
