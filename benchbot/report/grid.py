"""Latency grids, built from cases (pure): the layouts of the published tables.

- ``devices``: model rows x device columns, one grid per (threads, batch, precision).
- ``precision-batch``: model rows x (precision, batch) columns with an input-size
  column, one grid per (device, threads).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from benchbot.store.entries import Entry, metric_value
from benchbot.store import CaseResult
from benchbot.store.findings import VALIDITY_ADVICE, VALIDITY_MEANING
from benchbot.report.numbers import format_ms

LAYOUTS = ("auto", "devices", "precision-batch")


@dataclass(frozen=True)
class Cell:
    """A value in ms, or a missing configuration; a failure points at its footnote; a value
    whose case is not valid is marked † (the grid's ``marks`` explain each code once)."""

    value: float | None = None
    footnote: int | None = None
    invalid: bool = False


@dataclass(frozen=True)
class Grid:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...], ...]  # a row's label and text columns, then cells
    footnotes: tuple[str, ...]
    # one line per validity code of the grid's † cells: what it means, in how many cells,
    # and what would fix it ("† wide_ci: ... (3 cells); raise --max-repeat ...")
    marks: tuple[str, ...] = ()


MICRO_BELOW_MS = 0.1  # a grid whose every value is under this reads in µs


def grid_unit(grid: Grid) -> tuple[str, float]:
    """The unit a grid's values read best in, and the factor from ms: µs when every value
    is under 0.1 ms (0.0005360 ms reads as 0.5360 µs), else ms."""
    values = [abs(c.value) for row in grid.rows for c in row
              if isinstance(c, Cell) and c.value is not None]
    if values and max(values) < MICRO_BELOW_MS:
        return "µs", 1000.0
    return "ms", 1.0


def cell_number(value_ms: float, factor: float, digits: int) -> str:
    """A cell's value in its grid's unit (``factor`` from ms); in a ms grid, a value under
    0.1 ms in µs, saying so ("0.7710 µs", not "0.0007710")."""
    if factor == 1.0 and abs(value_ms) < MICRO_BELOW_MS and value_ms != 0:
        return f"{format_ms(value_ms * 1000.0, digits)} µs"
    return format_ms(value_ms * factor, digits)


def with_unit(text: str, unit: str) -> str:
    """A caption or header naming ms, naming ``unit`` instead: 'Latency (median, µs)'."""
    return re.sub(r"\bms\)", f"{unit})", text) if unit != "ms" else text


def validity_marks(cases: Iterable[CaseResult]) -> tuple[str, ...]:
    """The footnotes of the † cells, by reason: one per code, with its count of cells and
    its advice (a case's own when every cell with the code shares it)."""
    invalid = [c for c in cases if c is not None and c.status == "ok" and not c.valid]
    counts = Counter(code.code for c in invalid for code in c.validity.codes)
    marks = []
    for code, n in counts.items():
        found = [k for c in invalid for k in c.validity.codes if k.code == code]
        advice = {k.advice for k in found}
        meaning = VALIDITY_MEANING.get(code, code)
        limits = {m.group(1) for k in found
                  for m in [re.search(r"wider than (\+-[\d.]+%)", k.detail)] if m}
        if code == "wide_ci" and len(limits) == 1:
            meaning = meaning.replace("--valid-ci", next(iter(limits)))
        fix = advice.pop() if len(advice) == 1 else VALIDITY_ADVICE.get(code, "")
        marks.append(f"† {code}: {meaning} ({n} cell{'s' if n != 1 else ''})"
                     + (f"; {fix}" if fix else ""))
    return tuple(marks)


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
        return Cell(value=value, invalid=not case.valid)


def _grid(cases: Sequence[CaseResult], caption: str, columns: list[tuple[str, Callable]],
          metric: str, size_column: bool, order: Sequence[str] = ()) -> Grid:
    seen = set(c.model_name for c in cases)
    models = [m for m in order if m in seen] + [m for m in _unique(c.model_name for c in cases)
                                                if m not in order]
    notes = _Footnotes()
    shown: list[CaseResult] = []
    rows = []
    for model in models:
        mine = [c for c in cases if c.model_name == model]
        row: list[str | Cell] = [model]
        if size_column:
            sized = [c for c in mine if c.inputs]
            row.append(input_size(sized[0]) if sized else "-")
        for _, match in columns:
            case = next((c for c in mine if match(c)), None)
            row.append(notes.cell(case, metric))
            if case is not None:
                shown.append(case)
        rows.append(tuple(row))
    header = ("Model", *(("Size",) if size_column else ()), *(title for title, _ in columns))
    return Grid(caption=caption, header=header, rows=tuple(rows), footnotes=tuple(notes.notes),
                marks=validity_marks(shown))


def model_order(cases: Iterable[CaseResult]) -> list[str]:
    """The rows of every grid of one report, in one order: the models as first measured."""
    return _unique(c.model_name for c in cases)


def devices_grids(cases: Sequence[CaseResult], metric: str,
                  titles: Mapping[str, str] | None = None) -> list[Grid]:
    """Grid A: model rows x device columns, one grid per (threads, batch, precision)."""
    titles = titles or {}
    order = model_order(cases)
    grids = []
    for config in _unique((c.threads, c.batch, c.precision, c.backend) for c in cases):
        threads, batch, precision, backend = config
        group = [c for c in cases if (c.threads, c.batch, c.precision, c.backend) == config]
        columns = [(titles.get(d, d), lambda c, d=d: c.device == d)
                   for d in _unique(c.device for c in group)]
        caption = (f"Latency ({metric}, ms), {threads_text(threads)}, batch {batch}, "
                   f"{precision.upper()}{_backend(backend)}")
        grids.append(_grid(group, caption, columns, metric, size_column=False, order=order))
    return grids


def precision_batch_grids(cases: Sequence[CaseResult], metric: str,
                          titles: Mapping[str, str] | None = None) -> list[Grid]:
    """Grids B and C: model rows x (precision, batch) columns, one grid per (device, threads)."""
    titles = titles or {}
    order = model_order(cases)
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
        grids.append(_grid(group, caption, columns, metric, size_column=True, order=order))
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
