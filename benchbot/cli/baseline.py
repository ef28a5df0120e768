"""`benchbot baseline set|list`: named pointers to runs, for `compare baseline:NAME`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from benchbot.cli import options
from rich.markup import escape

from benchbot.cli.console import err, out
from benchbot.runs.baselines import list_baselines, set_baseline

app = typer.Typer(help="Named baselines: `baseline set RUN --name NAME`, then "
                       "`compare baseline:NAME latest`.", no_args_is_help=True)

ResultsOption = typer.Option(Path("results"), "--results", "-r",
                             help="Results folder with the runs and baselines/.")


@app.command("set")
@options.examples('benchbot baseline set latest --name main', 'benchbot baseline set 20250301T020000Z-1a2b3c --name release-1.2')
def set_command(run: str = typer.Argument(..., help="A results file, a run id, or latest."),
                name: str = typer.Option(..., "--name", "-n", help="e.g. nightly, release-1.2"),
                results: Path = ResultsOption) -> None:
    """Point the baseline NAME at a run (a pointer file in <results>/baselines/)."""
    pointer = set_baseline(results, run, name)
    err.print(f"baseline {escape(name)} -> run {escape(pointer.run_id)} "
              f"({escape(pointer.path)})")


@app.command("list")
@options.examples('benchbot baseline list', 'benchbot baseline list --json')
def list_command(results: Path = ResultsOption,
                 as_json: bool = typer.Option(False, "--json", help="JSON instead of a table.")
                 ) -> None:
    """List the named baselines and the runs they point at."""
    pointers = list_baselines(results)
    if as_json:
        out(json.dumps([vars(p) for p in pointers], indent=1) + "\n")
        return
    if not pointers:
        err.print(f"no baselines in {escape(str(results))}: set one with "
                  "`benchbot baseline set RUN --name NAME`")
        return
    lines = ["| Name | Run | File | Set at |", "|---|---|---|---|"]
    lines += [f"| {p.name} | {p.run_id} | {p.path} | {p.set_at} |" for p in pointers]
    out("\n".join(lines) + "\n")
