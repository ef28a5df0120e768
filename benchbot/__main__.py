"""`python -m benchbot` runs the CLI."""

from benchbot.cli.main import entry

entry()
