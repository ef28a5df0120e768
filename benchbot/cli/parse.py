"""`benchbot parse TOOL LOGFILE`: the figures benchbot reads from a native tool's output.

Useful to check a log captured by hand (or by a device farm) before trusting a
native runner with it. Exit codes: 0 when the log holds timings; 1 when it
holds none (the tool's failed run, or a text that is not the tool's log): the
figures are still printed, and stderr says why in one line; 2 for an unknown
tool or a missing file.
"""

from __future__ import annotations

import gzip

import json
from pathlib import Path

import typer

from benchbot.cli import options

from benchbot.cli.console import out
from benchbot.errors import ParseFailed, UserError, printable
from benchbot.runners.native import TOOLS, Measurement
from benchbot.runners.native.result import NO_TIMINGS, single


def _rows(result: object) -> list[tuple[str, object]]:
    """The table's rows: every field; a breakdown as one row per part and figure."""
    rows: list[tuple[str, object]] = []
    for key, value in result.to_dict().items():  # type: ignore[attr-defined]
        if isinstance(value, dict):
            rows += [(f"{key}.{part}.{name}", figure) for part, figures in value.items()
                     for name, figure in figures.items()]
        else:
            rows.append((key, value))
    return rows


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return printable(str(value).replace("\n", "; ")).replace("|", "\\|")


def render_table(measurements: list[Measurement]) -> str:
    """One two-column markdown table per measurement (a heading when there are several)."""
    blocks = []
    for m in measurements:
        rows = ["| Figure | Value |", "|---|---|"]
        rows += [f"| {key} | {_cell(value)} |" for key, value in _rows(m.result)]
        heading = [f"## {printable(m.label)}", ""] if len(measurements) > 1 else []
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


@options.examples('benchbot parse tflite_benchmark_model run.log', 'benchbot parse trtexec trtexec.log --json')
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
    if tool not in TOOLS:
        raise UserError(f"unknown tool {printable(repr(tool))}: choose one of {', '.join(TOOLS)}")
    shown = printable(str(logfile))
    if not logfile.is_file():
        raise UserError(f"log file not found: {shown}")
    try:
        raw = logfile.read_bytes()
        if logfile.suffix == ".gz":  # a large log kept beside the results (RUN_ID.logs/)
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8", errors="surrogateescape")  # shown escaped: printable()
    except (OSError, EOFError) as exc:
        raise UserError(f"cannot read {shown}: "
                        f"{printable(str(getattr(exc, 'strerror', None) or exc))}") from None
    try:
        measurements = TOOLS[tool].parse_all(text)
    except ValueError as exc:  # a parser met figures it cannot make sense of
        raise ParseFailed(f"{shown} is not a {tool} log benchbot can read "
                          f"({printable(str(exc))}); give the "
                          "tool's console output") from None
    if as_json:
        out(render_json(measurements, tool))
    else:
        out(render_table(measurements or [Measurement("", single([], tool))]))
    if not any(m.result.ok for m in measurements):
        reason = single(measurements, tool).error or NO_TIMINGS
        raise ParseFailed(f"no timings in {shown}: " + printable(reason.splitlines()[0])
                          + ("" if measurements and measurements[0].result.error != NO_TIMINGS
                             else f"; is it the console output of {tool}?"))
