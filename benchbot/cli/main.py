"""The `benchbot` command: the one place where errors become exit codes.

Exit codes: 0 success; 1 a case failed (results saved), or `compare` found a
case slower; 2 bad input; 130 interrupted (results saved).
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from benchbot._version import __version__
from benchbot.cli import (baseline, compare, devices, farm, history, models, nightly, parse,
                          profiles, report, run, zoo)
from benchbot.cli.console import err
from benchbot.errors import BenchbotError, UserError

app = typer.Typer(name="benchbot", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="On-device latency benchmarking of ML models (ONNX, TFLite).\n\n"
                       "Typical use: benchbot run --model m.onnx --threads 1,4, then "
                       "benchbot report.")
app.command("run")(run.run_command)
app.command("report")(report.report_command)
app.command("compare")(compare.compare_command)
app.command("history")(history.history_command)
app.command("parse")(parse.parse_command)
app.command("devices")(devices.devices_command)
app.command("nightly")(nightly.nightly_command)
app.add_typer(baseline.app, name="baseline")
app.add_typer(profiles.app, name="profiles")
app.add_typer(zoo.app, name="zoo")
app.add_typer(models.app, name="models")
app.add_typer(farm.app, name="farm")


@app.callback(invoke_without_command=True)
def _root(version: bool = typer.Option(False, "--version", help="Print the version.")) -> None:
    if version:
        typer.echo(f"benchbot {__version__}")
        raise typer.Exit(0)


def _fail(message: str, code: int) -> int:
    err.print(f"[red]error:[/] {escape(message)}")
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (used by the console script via sys.exit)."""
    try:
        code = app(args=argv, prog_name="benchbot", standalone_mode=False)
    except typer.TyperException as exc:  # typer's own usage errors: unknown option, bad value
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            return 2  # typer has printed the help already
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        return _fail(f"{exc.format_message()}{hint}", 2)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", 130)
    except UserError as exc:
        return _fail(str(exc), 2)
    except BenchbotError as exc:
        return _fail(str(exc), 1)
    return code if isinstance(code, int) else 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
