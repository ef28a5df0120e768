"""The `benchbot` command: the one place where errors become exit codes.

Exit codes (also in ``benchbot --help`` and the README):

    0    success: every case ok, nothing slower
    1    a regression found (compare, nightly, ab), or a case failed at run time
    2    bad input: an option, a file, a profile, a model (one line on stderr)
    3    a device unavailable, busy or unreachable: the infrastructure, not the model
    130  interrupted by Ctrl-C (results saved)
    143  terminated by SIGTERM (results saved)
"""

from __future__ import annotations

import errno
import signal
import sys
from types import FrameType

import typer
from rich.markup import escape

from benchbot._version import __version__
from benchbot.cli import (ab, baseline, compare, devices, farm, history, models, nightly, parse,
                          profiles, report, run, schema, zoo)
from benchbot.cli.console import err
from benchbot.errors import BenchbotError, DeviceUnavailable, Terminated, UserError

EXIT_CODES = """Exit codes: 0 success; 1 a regression found, or a case failed at run time; 2 bad
input; 3 a device unavailable, busy or unreachable; 130 Ctrl-C; 143 SIGTERM (results are
saved in every case)."""

app = typer.Typer(name="benchbot", no_args_is_help=True, add_completion=True,
                  pretty_exceptions_enable=False,
                  help="On-device latency benchmarking of ML models (ONNX, TFLite).\n\n"
                       "Typical use: benchbot run --model m.onnx --threads 1,4, then "
                       "benchbot report.\n\n" + EXIT_CODES)
app.command("run")(run.run_command)
app.command("ab")(ab.ab_command)
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
app.add_typer(schema.app, name="schema")


@app.callback(invoke_without_command=True)
def _root(version: bool = typer.Option(False, "--version", help="Print the version.")) -> None:
    if version:
        typer.echo(f"benchbot {__version__}")
        raise typer.Exit(0)


def _fail(message: str, code: int) -> int:
    err.print(f"[red]error:[/] {escape(message)}")
    return code


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def _os_error(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"no space left on the disk of{where}: free some space, or write elsewhere"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied:{where}: pick a path you can write, or fix its permissions"
    if exc.errno == errno.EISDIR:
        return f"{where.strip()} is a folder: give a file path"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"{where.strip()}: a file is in the way of a folder: give another path"
    return f"{exc.strerror or exc}:{where}: check the path"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (used by the console script via sys.exit)."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)  # saved and reported like Ctrl-C
    try:
        code = app(args=argv, prog_name="benchbot", standalone_mode=False)
    except typer.TyperException as exc:  # typer's own usage errors: unknown option, bad value
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            return 2  # typer has printed the help already
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        return _fail(f"{exc.format_message()}{hint}", 2)
    except Terminated:
        return _fail("terminated (SIGTERM)", 143)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", 130)
    except UserError as exc:
        return _fail(str(exc), 2)
    except DeviceUnavailable as exc:
        return _fail(str(exc), 3)
    except BenchbotError as exc:
        return _fail(str(exc), 1)
    except OSError as exc:  # the environment: a path, a disk, a permission
        return _fail(_os_error(exc), 2)
    return code if isinstance(code, int) else 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
