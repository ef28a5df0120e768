"""Latency grids, built from cases (pure): the layouts of the published tables.

- ``devices``: model rows x device columns, one grid per (threads, batch, precision).
- ``precision-batch``: model rows x (precision, batch) columns with an input-size
  column, one grid per (device, threads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from benchbot.store.entries import Entry, metric_value
from benchbot.store import CaseResult

LAYOUTS = ("auto", "devices", "precision-batch")


@dataclass(frozen=True)
class Cell:
    """A value in ms, or a missing configuration; failures point at a footnote, and so does
    a value whose case is not valid (marked †, the footnote names the codes)."""

    value: float | None = None
    footnote: int | None = None
    invalid: bool = False


@dataclass(frozen=True)
class Grid:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...], ...]  # a row's label and text columns, then cells
    footnotes: tuple[str, ...]


def _unique(values: Iterable[object]) -> list:
    return list(dict.fromkeys(values))


def threads_text(n: int) -> str:
    return "1 thread" if n == 1 else f"{n} threads"


def _backend(name: str) -> str:
    return "" if name == "cpu" else f", {name}"


def input_size(case: CaseResult) -> str:
    """The spatial input size (224, 320x240) or feature size of the case's first input."""
    inputs = case.inputs
    shape = list(inputs[0].shape) if inputs else []
    if len(shape) == 4:  # NCHW when the channels are few, else NHWC
        h, w = (shape[2], shape[3]) if shape[1] <= 4 else (shape[1], shape[2])
        return str(h) if h == w else f"{h}x{w}"
    return "x".join(str(d) for d in shape[1:]) or "-"


class _Footnotes:
    def __init__(self) -> None:
        self.notes: list[str] = []

    def cell(self, case: CaseResult | None, metric: str) -> Cell:
        if case is None:
            return Cell()
        where = (f"{case.model_name}, {case.device}, {threads_text(case.threads)}, "
                 f"batch {case.batch}, {case.precision}")
        if case.status != "ok":
            self.notes.append(f"{where}: failed: {case.error}")
            return Cell(footnote=len(self.notes))
        value = metric_value(case, metric)
        if value is None:  # a native tool that printed no such figure
            self.notes.append(f"{where}: the {case.runner} runner reports no {metric}; "
                              "the mean is shown")
            return Cell(value=metric_value(case, "mean"), footnote=len(self.notes),
                        invalid=not case.valid)
        if not case.valid:
            self.notes.append(f"{where}: not valid: " + "; ".join(
                f"{c.code} ({c.detail}; {c.advice})" if c.advice else c.code
                for c in case.validity.codes))
            return Cell(value=value, footnote=len(self.notes), invalid=True)
        return Cell(value=value)


def _grid(cases: Sequence[CaseResult], caption: str, columns: list[tuple[str, Callable]],
          metric: str, size_column: bool) -> Grid:
    models = _unique(c.model_name for c in cases)
    notes = _Footnotes()
    rows = []
    for model in models:
        mine = [c for c in cases if c.model_name == model]
        row: list[str | Cell] = [model]
        if size_column:
            sized = [c for c in mine if c.inputs]
            row.append(input_size(sized[0]) if sized else "-")
        for _, match in columns:
            row.append(notes.cell(next((c for c in mine if match(c)), None), metric))
        rows.append(tuple(row))
    header = ("Model", *(("Size",) if size_column else ()), *(title for title, _ in columns))
    return Grid(caption=caption, header=header, rows=tuple(rows), footnotes=tuple(notes.notes))


def devices_grids(cases: Sequence[CaseResult], metric: str,
                  titles: Mapping[str, str] | None = None) -> list[Grid]:
    """Grid A: model rows x device columns, one grid per (threads, batch, precision)."""
    titles = titles or {}
    grids = []
    for config in _unique((c.threads, c.batch, c.precision, c.backend) for c in cases):
        threads, batch, precision, backend = config
        group = [c for c in cases if (c.threads, c.batch, c.precision, c.backend) == config]
        columns = [(titles.get(d, d), lambda c, d=d: c.device == d)
                   for d in _unique(c.device for c in group)]
        caption = (f"Latency ({metric}, ms), {threads_text(threads)}, batch {batch}, "
                   f"{precision.upper()}{_backend(backend)}")
        grids.append(_grid(group, caption, columns, metric, size_column=False))
    return grids


def precision_batch_grids(cases: Sequence[CaseResult], metric: str,
                          titles: Mapping[str, str] | None = None) -> list[Grid]:
    """Grids B and C: model rows x (precision, batch) columns, one grid per (device, threads)."""
    titles = titles or {}
    grids = []
    for device, threads, backend in _unique((c.device, c.threads, c.backend) for c in cases):
        group = [c for c in cases if (c.device, c.threads, c.backend) == (device, threads,
                                                                            backend)]
        pairs = [(p, b) for p in _unique(c.precision for c in group)
                 for b in sorted({c.batch for c in group})]
        columns = [(f"{p.upper()} bs={b}", lambda c, p=p, b=b: (c.precision, c.batch) == (p, b))
                   for p, b in pairs]
        caption = (f"Latency ({metric}, ms) on {titles.get(device, device)}, "
                   f"{threads_text(threads)}{_backend(backend)}")
        grids.append(_grid(group, caption, columns, metric, size_column=True))
    return grids


def build_grids(entries: Sequence[Entry], layout: str, metric: str) -> list[Grid]:
    """The grids of a report; ``auto`` picks precision-batch when several are measured."""
    cases = [e.case for e in entries]
    if layout == "auto":
        several = len({c.batch for c in cases}) > 1 or len({c.precision for c in cases}) > 1
        layout = "precision-batch" if several else "devices"
    build = precision_batch_grids if layout == "precision-batch" else devices_grids
    return build(cases, metric, device_titles(entries))


def device_titles(entries: Sequence[Entry]) -> dict[str, str]:
    """Device name -> column title: its label, with the name added where labels collide."""
    titles = {e.case.device: e.device_title for e in entries}
    shared = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    return {d: f"{t} ({d})" if t in shared and t != d else t for d, t in titles.items()}
