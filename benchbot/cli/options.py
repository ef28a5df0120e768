"""Options several commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from benchbot.profiles import profile_dirs

ProfilesOption = typer.Option(
    None, "--profiles", metavar="DIR",
    help="Folder of extra device profiles (NAME.toml); repeatable. Also read from "
         "$BENCHBOT_PROFILES. A profile there overrides a built-in one of the same name.")

MetaOption = typer.Option(
    None, "--meta", metavar="KEY=VALUE",
    help="A label recorded with the run and shown in every report (build=1234, "
         "phone=pixel7); repeatable; overrides the file's \\[meta]. The git commit, branch "
         "and dirty flag of the working directory are recorded by themselves.")


def dirs(extra: Optional[list[Path]]) -> list[Path]:
    return profile_dirs(extra=list(extra or []))
