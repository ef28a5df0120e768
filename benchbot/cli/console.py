"""The consoles of the CLI: stdout carries data, stderr carries chatter."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.markup import escape

from benchbot.store import write_atomic

err = Console(stderr=True, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """A warning on stderr (it names the next action)."""
    err.print(f"[yellow]warning:[/] {escape(message)}")


def stdout_closed() -> None:
    """The reader of stdout is gone (``| head``): what is left to print goes nowhere, and
    the command ends as if it had been read (its exit code is what it found)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def warn_once() -> Callable[[str], None]:
    """:func:`warn`, saying each message once (a folder read twice warns once)."""
    said: set[str] = set()

    def say(message: str) -> None:
        if message not in said:
            said.add(message)
            warn(message)

    return say


def out(text: str) -> None:
    """Write data (tables, JSON) to stdout exactly as given."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_closed()


def emit(text: str, output: Path | None, note: str = "") -> None:
    """Data to stdout, or atomically to ``output`` with a line on stderr saying so."""
    if output is None:
        out(text)
        return
    write_atomic(output, text)
    err.print(f"wrote {escape(str(output))}{': ' + escape(note) if note else ''}")
