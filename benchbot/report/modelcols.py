"""Model-card columns beside latency grids, and the size-and-latency table by precision.

Pure: model cards and measured cases in, table values or markdown out. Figures follow
the published model tables: "Params (M)", "MACs (G)", "FLOPs (G)" and "Size (MB)"
(1e6 bytes) with three decimals.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from benchbot.errors import ConfigError
from benchbot.report.grid import Cell, Grid, model_order, threads_text, validity_marks
from benchbot.report.markdown import render_grid
from benchbot.report.numbers import DEFAULT_DIGITS
from benchbot.store.entries import Entry, metric_value
from benchbot.store import CaseResult

if TYPE_CHECKING:
    from benchbot.modelcard import ModelCard

# which -> (header, card attribute, scale)
MODEL_COLUMNS = {"params": ("Params (M)", "params", 1e6), "macs": ("MACs (G)", "macs", 1e9),
                 "flops": ("FLOPs (G)", "flops", 1e9), "size": ("Size (MB)", "size_bytes", 1e6)}
PRECISION_ORDER = ("fp32", "fp16", "int8")


def scaled(value: float | None, scale: float, decimals: int = 3) -> str:
    """``value / scale`` with ``decimals`` decimals, "-" when unknown: 11689512 -> 11.690."""
    return "-" if value is None else f"{value / scale:.{decimals}f}"


def model_columns(cards: Mapping[str, ModelCard], which: Sequence[str]
                  ) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """Headers and, per model name, the text of the columns ``which`` names
    ("params", "macs", "flops", "size"), in that order."""
    unknown = [w for w in which if w not in MODEL_COLUMNS]
    if unknown:
        raise ConfigError(f"unknown model column(s) {', '.join(unknown)}; choose from "
                          f"{', '.join(MODEL_COLUMNS)}")
    headers = tuple(MODEL_COLUMNS[w][0] for w in which)
    values = {name: tuple(scaled(getattr(card, MODEL_COLUMNS[w][1]), MODEL_COLUMNS[w][2])
                          for w in which)
              for name, card in cards.items()}
    return headers, values


def add_model_columns(grid: Grid, cards: Mapping[str, ModelCard], which: Sequence[str]) -> Grid:
    """``grid`` with the model columns inserted after its text columns (model, size),
    before the latency cells; "-" for a model without a card."""
    headers, values = model_columns(cards, which)
    if not headers:
        return grid
    width = next((i for i, c in enumerate(grid.rows[0]) if isinstance(c, Cell)),
                 len(grid.rows[0])) if grid.rows else len(grid.header)
    missing = ("-",) * len(headers)
    rows = tuple((*row[:width], *values.get(str(row[0]), missing), *row[width:])
                 for row in grid.rows)
    header = (*grid.header[:width], *headers, *grid.header[width:])
    return dataclasses.replace(grid, header=header, rows=rows)


def variant_size_mb(case: CaseResult, cards_by_case: Mapping[str, ModelCard]) -> float | None:
    """The size of the file a case measured: its variant's, its card's, or the model's."""
    if case.variant is not None:
        return round(case.variant.size_mb, 6)
    card = cards_by_case.get(case.id)
    if card is not None:
        return card.size_mb
    return case.model_size_mb or None


def _precision_label(case: CaseResult) -> str:
    derivation: Mapping[str, Any] = case.variant.derivation if case.variant is not None else {}
    mode = case.config.int8_mode or derivation.get("int8_mode")
    return case.precision.upper() + (f" ({mode})" if case.precision == "int8" and mode else "")


def _ratio(value: float | None, base: float | None, suffix: str = "") -> str:
    if value is None or base is None or value <= 0 or base <= 0:
        return "-"
    return f"{value / base:.3f}{suffix}"


def _accuracy_cells(case: CaseResult) -> tuple[str, str]:
    """Worst cosine and worst top-1 agreement against fp32; '-' when not checked."""
    a = case.accuracy
    if a is None or a.worst_cosine is None:
        return ("-", "-")
    flag = " (inaccurate)" if any(c.code == "inaccurate" for c in case.validity.codes) else ""
    top1 = [o.top1_agreement for o in a.outputs if o.top1_agreement is not None]
    return (f"{a.worst_cosine:.5f}{flag}", f"{min(top1):.1%}" if top1 else "-")


def _table(entries: Sequence[Entry], cards_by_case: Mapping[str, ModelCard], metric: str,
           caption: str, order: Sequence[str]) -> Grid:
    cases = [e.case for e in entries]
    models = [m for m in order if any(c.model_name == m for c in cases)]
    rows: list[tuple[str | Cell, ...]] = []
    notes: list[str] = []
    rank = {p: i for i, p in enumerate(PRECISION_ORDER)}
    for model in models:
        mine = sorted((c for c in cases if c.model_name == model),
                      key=lambda c: (rank.get(c.precision, len(rank)), c.precision))
        base = next((c for c in mine if c.precision == "fp32"), None)
        base_size = variant_size_mb(base, cards_by_case) if base else None
        base_ms = metric_value(base, metric) if base and base.status == "ok" else None
        for case in mine:
            size = variant_size_mb(case, cards_by_case)
            if case.status != "ok":
                notes.append(f"{model}, {case.precision}: failed: {case.error}")
                latency, ms = Cell(footnote=len(notes)), None
            else:
                ms = metric_value(case, metric)
                latency = Cell(value=ms, invalid=not case.valid)
            speedup = "-" if ms is None or base_ms is None else f"{base_ms / ms:.2f}x"
            rows.append((model, _precision_label(case), scaled(size, 1.0),
                         _ratio(size, base_size), latency, speedup, *_accuracy_cells(case)))
    header = ("Model", "Precision", "Size (MB)", "Size / FP32", f"Latency ({metric}, ms)",
              "Speedup vs FP32", "Worst cosine", "Top-1 agreement")
    return Grid(caption=caption, header=header, rows=tuple(rows), footnotes=tuple(notes),
                marks=validity_marks(cases))


def quantization_tables(entries: Sequence[Entry], cards_by_case: Mapping[str, ModelCard],
                        metric: str) -> list[Grid]:
    """Model x precision rows with size and latency, one grid per (device, threads, batch,
    backend): the layout of published INT8 tables ("22.457 MB before, 11.9 MB after")."""
    groups: dict[tuple[str, int, int, str], list[Entry]] = {}
    for e in entries:
        c = e.case
        groups.setdefault((e.device_title, c.threads, c.batch, c.backend), []).append(e)
    grids = []
    order = model_order(e.case for e in entries)  # the rows of every grid in one order
    for (device, threads, batch, backend), group in groups.items():
        extra = "" if backend == "cpu" else f", {backend}"
        caption = (f"Size and latency by precision ({metric}, ms) on {device}, "
                   f"{threads_text(threads)}, batch {batch}{extra}")
        grids.append(_table(group, cards_by_case, metric, caption, order))
    return grids


def quantization_table(entries: Sequence[Entry], cards_by_case: Mapping[str, ModelCard],
                       metric: str, digits: int = DEFAULT_DIGITS) -> str:
    """Markdown of :func:`quantization_tables`. ``cards_by_case`` maps a case id to the
    card of the file it measured (used when the case records no variant size)."""
    grids = quantization_tables(entries, cards_by_case, metric)
    if not grids:
        return "No measured cases match.\n"
    return "\n".join(render_grid(g, digits) for g in grids)
