"""`benchbot report`: latency grids (markdown), or one row per case (CSV, JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

from rich.markup import escape

from benchbot.cli.console import emit, err
from benchbot.errors import ConfigError, UserError
from benchbot.modelcard import ModelCard
from benchbot.report import METRICS, Filters
from benchbot.report.numbers import DEFAULT_DIGITS
from benchbot.report.ops import GROUPINGS
from benchbot.report.renderers import (RENDERERS, Renderer, ReportInput, format_help,
                                       formats, formats_with_layouts, layout_help, layouts,
                                       renderer_for)
from benchbot.store.entries import Entry
from benchbot.store.queries import select_entries
from benchbot.sweep.axes import PRECISIONS


def cards_by_case(entries: list[Entry]) -> dict[str, ModelCard]:
    """Case id -> the card of its model, as recorded with the case."""
    return {e.case.id: e.case.card for e in entries if e.case.card is not None}


def _warn(reason: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(reason)}", soft_wrap=True)


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
DEFAULT_METRIC = next(iter(METRICS))
DEFAULT_FORMAT = formats()[0]
EXAMPLES = """Examples:

  benchbot report --layout devices --threads 1

  benchbot report --format html --out report.html

  benchbot report --json | jq '.[] | {model, device, median_ms}'
"""


@dataclass(frozen=True)
class Shape:
    """How the report is made: its renderer and the options that shape a layout."""

    renderer: Renderer
    metric: str
    digits: int
    model_columns: tuple[str, ...]


def _refuse_inapplicable(fmt: str, given: dict[str, object]) -> None:
    """--layout, --model-columns, --metric and --digits shape a layout: the formats
    without layouts (one row per case) refuse them, never silently ignore them."""
    shaped = formats_with_layouts()
    wrong = [name for name, value in given.items() if value is not None]
    if wrong and fmt not in shaped:
        formats_text = " or ".join(shaped)
        raise ConfigError(f"{', '.join(wrong)} only apply to --format {formats_text}: the {fmt} "
                          "format has one row per case with every statistic; drop "
                          f"{'them' if len(wrong) > 1 else 'it'}, or choose --format "
                          f"{formats_text}")


def _renderer(fmt: str, layout: str | None) -> Renderer:
    _one_of(layout or "auto", layouts(), "--layout")
    found = renderer_for(fmt, layout)
    if found is None:
        made = [r for (f, lay), r in RENDERERS.items() if lay == layout]
        raise ConfigError(f"--layout {layout} is a {made[0].kind}: use --format "
                          f"{' or '.join(r.format for r in made)}, or another layout with "
                          f"--format {fmt}")
    return found


def _shape(fmt: str, as_json: bool, layout: str | None, model_columns: str | None,
           metric: str | None, digits: int | None, threads: int | None, batch: int | None,
           precision: str | None, by: str) -> Shape:
    """Every option checked, before any file is read."""
    if as_json:
        if fmt not in (DEFAULT_FORMAT, "json"):
            raise ConfigError(f"--json is --format json; it cannot go with --format {fmt}")
        fmt = "json"
    _one_of(fmt, formats(), "--format")
    _refuse_inapplicable(fmt, {"--layout": layout, "--model-columns": model_columns,
                               "--metric": metric, "--digits": digits})
    renderer = _renderer(fmt, layout)
    _one_of(by, GROUPINGS, "--by")
    metric = _one_of(metric or DEFAULT_METRIC, tuple(METRICS), "--metric")
    digits = DEFAULT_DIGITS if digits is None else digits
    if precision is not None:
        _one_of(precision, PRECISIONS, "--precision")
    if digits < 1 or (threads is not None and threads < 1) or (batch is not None and batch < 1):
        raise ConfigError("--digits, --threads and --batch must be positive integers")
    if digits > MAX_DIGITS:  # a float64 has 15 to 17 significant digits; the rest is noise
        raise ConfigError(f"--digits {digits} is more than a measurement holds: give 1 to "
                          f"{MAX_DIGITS}")
    columns = tuple(w.strip() for w in model_columns.split(",")) if model_columns else ()
    return Shape(renderer, metric, digits, columns)


def report_command(
    results: Optional[list[Path]] = typer.Option(
        None, "--results", "-r",
        help="Results folder(s) or run file(s); repeatable. (default: results)"),
    layout: Optional[str] = typer.Option(None, help=layout_help() + " (default: auto)"),
    model_columns: Optional[str] = typer.Option(
        None, help="Model facts beside the latencies: params, macs, flops, size "
                   "(comma-separated), from the model cards recorded with the cases."),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", help="Only this thread count."),
    precision: Optional[str] = typer.Option(None, help="Only this precision."),
    batch: Optional[int] = typer.Option(None, "--batch", "-b", help="Only this batch size."),
    device: Optional[str] = typer.Option(None, "--device", "-d", help="Only this device."),
    metric: Optional[str] = typer.Option(
        None, help=f"Statistic shown: {', '.join(METRICS)}. (default: {DEFAULT_METRIC})"),
    fmt: str = typer.Option(DEFAULT_FORMAT, "--format", "-f", help=format_help()),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    digits: Optional[int] = typer.Option(
        None, help=f"Significant digits of the numbers in grids, 1 to {MAX_DIGITS}. "
                   f"(default: {DEFAULT_DIGITS})"),
    output: Optional[Path] = typer.Option(None, "--out", "-o",
                                          help="Write to this file instead of stdout."),
    top: int = typer.Option(10, "--top", help="--layout ops: op types (or nodes) shown per "
                                              "case; the rest make one 'other' row."),
    by: str = typer.Option(GROUPINGS[0], "--by",
                           help=f"--layout ops: {' or '.join(GROUPINGS)}."),
) -> None:
    """Tables of measured latencies, from every run in the results folder.

    Where several runs measured the same configuration, the latest run's value
    is shown. A configuration not measured prints '-'; a failed one '- \\[n]'
    with the reason in footnote n. Rows follow the models in the order they were given.
    """
    shape = _shape(fmt, as_json, layout, model_columns, metric, digits, threads, batch,
                   precision, by)
    fmt = shape.renderer.format
    output = out_file(output, "report.html" if fmt == "html" else f"report.{fmt}")
    paths = list(results or [Path("results")])
    filters = Filters(threads=threads, batch=batch, precision=precision, device=device)
    # the results index picks the cases, and only the runs that hold them are read; a
    # renderer that shows every run's header and history (the HTML page) reads them all
    shown = select_entries(paths, filters, _warn, use_index=not shape.renderer.reads_every_run)
    text = shape.renderer.render(ReportInput(
        entries=shown.entries, records=shown.records, provenance=shown.provenance,
        cards=cards_by_case(shown.entries), layout=layout or "auto", metric=shape.metric,
        digits=shape.digits, model_columns=shape.model_columns, top=top, by=by))
    try:
        emit(text, output)
    except OSError as exc:
        raise UserError(f"cannot write --out {output}: {exc.strerror or exc}; name a file in a "
                        "folder you can write to") from None


report_command.__doc__ = (report_command.__doc__ or "") + "\n" + EXAMPLES
