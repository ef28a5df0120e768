"""`benchbot index rebuild`: the results index (a cache of the run files) made again."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from benchbot.cli import options
from benchbot.cli.console import err, warn
from benchbot.errors import UserError
from benchbot.store.index import INDEX_NAME, rebuild_index

app = typer.Typer(no_args_is_help=True, help="The results index (results/index.sqlite), a "
                  "cache of the run files: deleting it loses nothing.")


@app.command("rebuild")
@options.examples("benchbot index rebuild", "benchbot index rebuild --results /srv/farm/results")
def rebuild_command(
    results: Path = typer.Option(Path("results"), "--results", "-r",
                                 help="Results folder whose index to rebuild."),
) -> None:
    """Delete the index and index every run file of the folder again."""
    if not results.is_dir():
        raise UserError(f"no results folder at {results}: run `benchbot run` first, or point "
                        "--results at a folder of runs")
    count = rebuild_index(results, warn)
    err.print(f"rebuilt {escape(str(results / INDEX_NAME))}: {count} case(s)")
