"""Markdown latency tables: a caption, the grid, a numbered footnote per failed cell
(``- [1]``), and for cells whose case is not valid (``12.3†``) one footnote per reason."""

from __future__ import annotations

from typing import Sequence

from benchbot.report.grid import Cell, Grid, cell_number, grid_unit, with_unit
from benchbot.report.numbers import DEFAULT_DIGITS


def cell_text(cell: str | Cell, digits: int, factor: float = 1.0) -> str:
    if isinstance(cell, str):
        return cell
    text = "-" if cell.value is None else cell_number(cell.value, factor, digits)
    if cell.invalid:
        text += "†"
    return text if cell.footnote is None else f"{text} [{cell.footnote}]"


def table_cell(text: str) -> str:
    """``text`` safe inside a markdown table cell: ``|`` escaped (a model or device name may
    hold one; unescaped it would split the cell), line breaks as spaces."""
    return " ".join(text.splitlines()).replace("|", "\\|")


def render_grid(grid: Grid, digits: int = DEFAULT_DIGITS) -> str:
    """The grid in the unit its values read best in (:func:`grid_unit`), named in its
    caption and headers."""
    unit, factor = grid_unit(grid)
    header = [table_cell(with_unit(h, unit)) for h in grid.header]
    lines = [with_unit(grid.caption, unit), "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(grid.header)]
    for row in grid.rows:
        lines.append("| " + " | ".join(table_cell(cell_text(c, digits, factor))
                                       for c in row) + " |")
    if grid.footnotes or grid.marks:
        lines.append("")
        lines.extend(f"[{i}] {note}" for i, note in enumerate(grid.footnotes, start=1))
        lines.extend(grid.marks)
    return "\n".join(lines) + "\n"


def render_markdown(grids: Sequence[Grid], digits: int = DEFAULT_DIGITS) -> str:
    if not grids:
        return "No measured cases match.\n"
    return "\n".join(render_grid(g, digits) for g in grids)
