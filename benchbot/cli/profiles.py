"""`benchbot profiles list|show`: the device profiles benchbot knows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from benchbot.cli import options
from benchbot.cli.console import out
from benchbot.profiles import get_profile, list_profiles

app = typer.Typer(help="Device profiles: built-in ones, $BENCHBOT_PROFILES and --profiles DIR.",
                  no_args_is_help=True)


@app.command("list")
@options.examples('benchbot profiles list', 'benchbot profiles list --profiles ./my-profiles')
def list_command(profiles: Optional[list[Path]] = options.ProfilesOption,
                 as_json: bool = typer.Option(False, "--json", help="JSON instead of a table.")
                 ) -> None:
    """List every known device profile."""
    found = list_profiles(options.dirs(profiles))
    if as_json:
        out(json.dumps([p.to_dict() for p in found], indent=1) + "\n")
        return
    lines = ["| Name | Transport | Runner | Description | File |", "|---|---|---|---|---|"]
    lines += [f"| {p.name} | {p.transport} | {p.runner.kind} | {p.description} | {p.source} |"
              for p in found]
    out("\n".join(lines) + "\n")


@app.command("show")
@options.examples('benchbot profiles show sd855', 'benchbot profiles show local')
def show_command(name: str = typer.Argument(..., help="Profile name, e.g. local."),
                 profiles: Optional[list[Path]] = options.ProfilesOption) -> None:
    """Show one profile, as benchbot validated it (JSON)."""
    out(json.dumps(get_profile(name, options.dirs(profiles)).to_dict(), indent=1) + "\n")
