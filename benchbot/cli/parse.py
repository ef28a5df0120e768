"""`benchbot parse TOOL LOGFILE`: the figures benchbot reads from a native tool's output.

Useful to check a log captured by hand (or by a device farm) before trusting a
native runner with it. A failed run is a result, not an error: it prints its
status and the tool's error text, and exits 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from benchbot.cli.console import out
from benchbot.errors import UserError
from benchbot.runners.native import PARSE_ALL, TOOLS, Measurement
from benchbot.runners.native.result import single


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace("\n", "; ").replace("|", "\\|")


def render_table(measurements: list[Measurement]) -> str:
    """One two-column markdown table per measurement (a heading when there are several)."""
    blocks = []
    for m in measurements:
        rows = ["| Figure | Value |", "|---|---|"]
        rows += [f"| {key} | {_cell(value)} |" for key, value in m.result.to_dict().items()]
        heading = [f"## {m.label}", ""] if len(measurements) > 1 else []
        blocks.append("\n".join(heading + rows))
    return "\n\n".join(blocks) + "\n"


def render_json(measurements: list[Measurement], tool: str) -> str:
    """One run: its ``to_dict()``; several: a list of them, each with its label."""
    if len(measurements) == 1:
        doc: object = measurements[0].result.to_dict()
    elif not measurements:
        doc = single(measurements, tool).to_dict()
    else:
        doc = [{"label": m.label, **m.result.to_dict()} for m in measurements]
    return json.dumps(doc, indent=1) + "\n"


def parse_command(
    tool: str = typer.Argument(..., help=f"Tool kind: {', '.join(TOOLS)}."),
    logfile: Path = typer.Argument(..., help="The tool's console output, saved to a file."),
    as_json: bool = typer.Option(False, "--json", help="JSON (NativeResult.to_dict) "
                                                       "instead of a table."),
) -> None:
    """Parse a native benchmark tool's console output and print the figures found.

    Times are in milliseconds; '-' (null in JSON) marks a figure the log does
    not state. A log holding several runs prints each of them.
    """
    if tool not in PARSE_ALL:
        raise UserError(f"unknown tool {tool!r}: choose one of {', '.join(TOOLS)}")
    if not logfile.is_file():
        raise UserError(f"log file not found: {logfile}")
    try:
        text = logfile.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"cannot read {logfile}: {exc.strerror or exc}") from None
    measurements = PARSE_ALL[tool](text)
    if as_json:
        out(render_json(measurements, tool))
    else:
        out(render_table(measurements or [Measurement("", single([], tool))]))
