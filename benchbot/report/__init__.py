"""Reports from measured cases: markdown latency grids, CSV and JSON rows."""

from __future__ import annotations

from benchbot.report.grid import LAYOUTS, Cell, Grid, build_grids, input_size
from benchbot.report.markdown import render_grid, render_markdown
from benchbot.report.numbers import format_ms
from benchbot.store.entries import METRICS, Entry, Filters, latest_entries
from benchbot.report.tabular import render_csv, render_json

FORMATS = ("md", "csv", "json", "html")

__all__ = ["FORMATS", "LAYOUTS", "METRICS", "Cell", "Entry", "Filters", "Grid", "build_grids",
           "format_ms", "input_size", "latest_entries", "render_csv", "render_grid",
           "render_json", "render_markdown"]
