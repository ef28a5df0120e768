"""The consoles of the CLI: stdout carries data, stderr carries chatter."""

from __future__ import annotations

import sys

from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)


def out(text: str) -> None:
    """Write data (tables, JSON) to stdout exactly as given."""
    sys.stdout.write(text)
    sys.stdout.flush()
