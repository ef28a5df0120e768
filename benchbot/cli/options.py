"""Options several commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import typer
from rich.markup import escape

from benchbot.profiles import profile_dirs

F = TypeVar("F", bound=Callable[..., Any])

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


def examples(*commands: str) -> Callable[[F], F]:
    """Append an 'Examples:' section to a command's help (its docstring), each command a
    paragraph of its own, brackets escaped so Rich prints them as written."""

    def add(fn: F) -> F:
        shown = "\n\n".join(f"  {escape(c)}" for c in commands)
        fn.__doc__ = (fn.__doc__ or "").rstrip() + "\n\nExamples:\n\n" + shown + "\n"
        return fn

    return add
