"""`benchbot schema results`: the JSON Schema of results files, for validators and editors."""

from __future__ import annotations

import json

import typer

from benchbot.cli import options

from benchbot.cli.console import out
from benchbot.store.schema import results_schema

app = typer.Typer(no_args_is_help=True, help="JSON Schemas of benchbot's files.")


@app.command("results")
@options.examples('benchbot schema results > results.schema.json')
def results_command() -> None:
    """Print the JSON Schema (draft 2020-12) of results files (RUN_ID.json).

    A journal line (RUN_ID.cases.jsonl, while a run is measured) is its #/$defs/case.

    Examples:

        benchbot schema results > results.schema.json

        python -m jsonschema -i results/RUN_ID.json results.schema.json
    """
    out(json.dumps(results_schema(), indent=1) + "\n")
