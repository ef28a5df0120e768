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


def dirs(extra: Optional[list[Path]]) -> list[Path]:
    return profile_dirs(extra=list(extra or []))
