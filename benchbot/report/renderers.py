"""Report renderers registered by (format, layout): one frozen :class:`Renderer` each.

``benchbot report --format F --layout L`` looks its renderer up here; the choices in
its help text and its checks are read from :data:`RENDERERS`, so they cannot drift.
A format whose renderer has no layout (``csv``, ``json``: one row per case) takes none.
Adding a layout: a module in ``report/`` that turns a :class:`ReportInput` into text,
and one :func:`register` line below (per format it is made in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from benchbot.modelcard import ModelCard
from benchbot.report.environment import provenance_note
from benchbot.report.grid import LAYOUTS as GRID_LAYOUTS
from benchbot.report.grid import build_grids
from benchbot.report.markdown import render_markdown
from benchbot.report.memory import memory_table
from benchbot.report.modelcols import add_model_columns, quantization_table
from benchbot.report.numbers import DEFAULT_DIGITS
from benchbot.report.ops import ops_report
from benchbot.report.sustained import sustained_table
from benchbot.report.tabular import provenance_of, render_csv, render_json
from benchbot.store.entries import Entry
from benchbot.store.records import RunRecord

NO_LAYOUT = ""  # the key of a format made without a layout (one row per case)


@dataclass(frozen=True)
class ReportInput:
    """What every renderer may read: the cases shown and the runs they come from.

    ``records`` are the runs read (every run of the folders for a renderer that
    ``reads_every_run``, else those holding the cases); ``provenance`` the runs of the
    cases shown; ``cards`` the model card of each case id.
    """

    entries: Sequence[Entry]
    records: Sequence[RunRecord]
    provenance: Sequence[RunRecord]
    cards: Mapping[str, ModelCard]
    layout: str = "auto"
    metric: str = "median"
    digits: int = DEFAULT_DIGITS
    model_columns: tuple[str, ...] = ()
    top: int = 10
    by: str = "op-type"


@dataclass(frozen=True)
class Renderer:
    """One (format, layout): what it is (``kind``, for messages), what the layout shows
    (``summary``, for --help), and how it is made."""

    format: str
    layout: str
    kind: str
    render: Callable[[ReportInput], str]
    summary: str = ""
    reads_every_run: bool = False  # it shows every run's header and history, not the index's


# format -> what it is, for --help; a format is offered once a renderer of it is registered
FORMAT_SUMMARIES = {"md": "grids", "csv": "one row per case", "json": "one row per case",
                    "html": "one self-contained page: provenance, grids, charts"}

RENDERERS: dict[tuple[str, str], Renderer] = {}


def register(renderer: Renderer) -> Renderer:
    RENDERERS[(renderer.format, renderer.layout)] = renderer
    return renderer


def formats() -> tuple[str, ...]:
    """Every format with a registered renderer."""
    made = {f for f, _ in RENDERERS}
    return tuple(f for f in FORMAT_SUMMARIES if f in made)


def layouts(fmt: str | None = None) -> tuple[str, ...]:
    """Every registered layout (of ``fmt`` only, when given), in registration order."""
    return tuple(dict.fromkeys(lay for f, lay in RENDERERS
                               if lay != NO_LAYOUT and fmt in (None, f)))


def formats_with_layouts() -> tuple[str, ...]:
    """The formats that take --layout (and the options that shape a layout)."""
    return tuple(f for f in formats() if layouts(f))


def layout_help() -> str:
    """What each layout shows, and the formats it is made in when not in all of them."""
    parts = []
    for layout in layouts():
        made = [f for f in formats_with_layouts() if (f, layout) in RENDERERS]
        summary = next(r.summary for (f, lay), r in RENDERERS.items() if lay == layout)
        only = f" ({'/'.join(made)} only)" if len(made) < len(formats_with_layouts()) else ""
        parts.append(f"{layout}: {summary}{only}")
    return "; ".join(parts) + "."


def format_help() -> str:
    """Every format and what it is."""
    return ", ".join(f"{f} ({FORMAT_SUMMARIES[f]})" for f in formats()) + "."


def renderer_for(fmt: str, layout: str | None) -> Renderer | None:
    """The renderer of ``fmt`` in ``layout`` (its default, auto, when None); None when that
    format is not made in that layout."""
    if (fmt, NO_LAYOUT) in RENDERERS:
        return RENDERERS[(fmt, NO_LAYOUT)]
    return RENDERERS.get((fmt, layout or "auto"))


# --- the registered renderers ----------------------------------------------------------------

def _grids(given: ReportInput, layout: str) -> list:
    grids = build_grids(given.entries, layout, given.metric)
    if given.model_columns:
        by_model = {e.case.model_name: given.cards[e.case.id] for e in given.entries
                    if e.case.id in given.cards}
        grids = [add_model_columns(g, by_model, list(given.model_columns)) for g in grids]
    return grids


def _markdown_grids(given: ReportInput) -> str:
    return render_markdown(_grids(given, given.layout), given.digits) + provenance_note(
        given.provenance)


def _html_page(given: ReportInput) -> str:
    from benchbot.report.html import html_report  # matplotlib only when asked for

    # sustained in html: the default grids, and a chart over time per device
    grid_layout = "auto" if given.layout == "sustained" else given.layout
    return html_report(given.records, given.entries, given.layout, given.metric, given.digits,
                       grids=_grids(given, grid_layout))


_GRID_SUMMARIES = {
    "auto": "precision-batch when several precisions or batches were measured, else devices",
    "devices": "models x devices, one grid per thread count",
    "precision-batch": "models x (precision, batch), one grid per device"}
for _layout in GRID_LAYOUTS:
    register(Renderer("md", _layout, "markdown grid", _markdown_grids,
                      _GRID_SUMMARIES.get(_layout, "")))
register(Renderer("md", "quantization", "markdown table",
                  lambda g: quantization_table(g.entries, g.cards, g.metric, g.digits),
                  "model x precision rows with file size, latency and accuracy"))
register(Renderer("md", "ops", "markdown table", lambda g: ops_report(g.entries, g.top, g.by),
                  "where the time goes per case (runs with --profile-ops)"))
register(Renderer("md", "sustained", "markdown table", lambda g: sustained_table(g.entries),
                  "burst -> sustained latency per model and device (runs with --sustained; in "
                  "html the default grids and one chart over time per device)"))
register(Renderer("md", "memory", "markdown table", lambda g: memory_table(g.entries),
                  "every memory figure per case with what it counts"))
register(Renderer("csv", NO_LAYOUT, "CSV rows",
                  lambda g: render_csv(g.entries, provenance_of(g.provenance))))
register(Renderer("json", NO_LAYOUT, "JSON rows",
                  lambda g: render_json(g.entries, provenance_of(g.provenance))))
for _layout in (*GRID_LAYOUTS, "sustained"):
    register(Renderer("html", _layout, "HTML page", _html_page, reads_every_run=True))
