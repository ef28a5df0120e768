"""The `benchbot` command: the one place where outcomes and errors become exit codes.

Commands return an :class:`~benchbot.cli.outcome.Outcome`; the table of exit codes is
in :mod:`benchbot.cli.outcome` (also in ``benchbot --help`` and the README).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from types import FrameType
from typing import Any

from benchbot._version import __version__
from benchbot.errors import BenchbotError, DeviceUnavailable, Terminated, UserError

EXIT_CODES = ("Exit codes: 0 success; 1 a regression found, or a case failed at run time; "
              "2 bad input; 3 a device unavailable, busy, unreachable or lost; 130 Ctrl-C; "
              "143 SIGTERM (results are saved in every case). A regression outranks a lost "
              "device; a closed stdout (| head) does not change the code.")
ROOT_HELP = ("On-device latency benchmarking of ML models (ONNX, TFLite).\n\n"
             "Typical use: benchbot run --model m.onnx --threads 1,4, then "
             "benchbot report.\n\n" + EXIT_CODES)

# Every command, in the order `benchbot --help` lists them: (module, attribute, is a group).
COMMANDS = {
    "run": ("run", "run_command", False), "ab": ("ab", "ab_command", False),
    "report": ("report", "report_command", False),
    "compare": ("compare", "compare_command", False),
    "history": ("history", "history_command", False),
    "publish": ("publish", "publish_command", False),
    "parse": ("parse", "parse_command", False), "devices": ("devices", "devices_command", False),
    "nightly": ("nightly", "nightly_command", False), "baseline": ("baseline", "app", True),
    "profiles": ("profiles", "app", True), "zoo": ("zoo", "app", True),
    "models": ("models", "app", True), "farm": ("farm", "app", True),
    "schema": ("schema", "app", True), "index": ("index", "app", True),
}
# What `benchbot --help` says of each command, so that it need not import them (and what
# they import: numpy, the runtimes, the devices). tests/test_cli_startup.py holds these to
# the commands' own help: change both together.
COMMAND_HELP = {
    "run": "Measure models on devices over a sweep of threads x batch x precision.",
    "ab": "Is CANDIDATE slower than BASELINE? Both measured interleaved in one session.",
    "report": "Tables of measured latencies, from every run in the results folder.",
    "compare": "Compare two runs case by case: slower, faster, unchanged or uncertain.",
    "history": "Plot a model's median latency, with its 95% CI band, over runs.",
    "publish": "Publish every model x device series across runs as a static site.",
    "parse": "Parse a native benchmark tool's console output and print the figures found.",
    "devices": "List attached phones: model, SoC, Android, ABI, CPU clusters, temperature, "
               "battery,\nand the device profiles that match them (use one with --device).",
    "nightly": "Measure the sweep, compare it with the baseline, re-measure suspected "
               "regressions once, write the markdown verdict (to its file and "
               "$GITHUB_STEP_SUMMARY).",
    "baseline": "Named baselines: `baseline set RUN --name NAME`, then `compare baseline:NAME "
                "latest`.",
    "profiles": "Device profiles: built-in ones, $BENCHBOT_PROFILES and --profiles DIR.",
    "zoo": "Architecture zoo: standard vision models (AlexNet ... EfficientNet, SSDLite) as "
           "ONNX graphs with random weights, for latency benchmarks.",
    "models": "Model files: their cards (inputs, outputs, parameters, MACs, FLOPs, size), read "
              "on the host.",
    "farm": "A farm of hosts with phones, on Dask distributed (needs: pip install "
            "benchbot\\[farm]).",
    "schema": "JSON Schemas of benchbot's files.",
    "index": "The results index (results/index.sqlite), a cache of the run files: deleting it "
             "loses nothing.",
}


def _typer_app(light: bool = False, real: str | None = None) -> Any:
    """The CLI; ``light`` registers stand-ins that only carry each command's help (enough
    for ``benchbot --help``) for every command but ``real``, so that only the command
    invoked is imported (with what it imports)."""
    import importlib

    import typer

    app = typer.Typer(name="benchbot", no_args_is_help=True, add_completion=True,
                      pretty_exceptions_enable=False, help=ROOT_HELP)
    app.callback(invoke_without_command=True)(_root_callback())
    for name, (module, attr, group) in COMMANDS.items():
        if light and name != real:
            if group:
                app.add_typer(typer.Typer(help=COMMAND_HELP[name]), name=name)
            else:
                app.command(name, help=COMMAND_HELP[name])(lambda: None)
            continue
        target = getattr(importlib.import_module(f"benchbot.cli.{module}"), attr)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def _root_callback() -> Any:
    import typer

    def _root(version: bool = typer.Option(False, "--version",
                                           help="Print the version.")) -> None:
        if version:
            typer.echo(f"benchbot {__version__}")
            raise typer.Exit(0)
    return _root


_APP: Any = None


def __getattr__(name: str) -> Any:  # `benchbot.cli.main.app`, built on first use
    global _APP
    if name == "app":
        if _APP is None:
            _APP = _typer_app()
        return _APP
    raise AttributeError(name)


def _fail(message: str, code: int) -> int:
    from rich.markup import escape

    from benchbot.cli.console import err

    err.print(f"[red]error:[/] {escape(message)}")
    return code


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def _take_signals() -> None:
    """SIGTERM is handled like Ctrl-C (saved, one line, 143); both are unblocked here, so a
    signal that arrived before this point (a parent may start us with them blocked) is
    delivered now, inside main's handling, never before it."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # e.g. started with `nohup ... &`
        return
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


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


def _interrupted(exc: KeyboardInterrupt) -> int:
    """One line (the command's own, when it said what was saved), then 130 or 143."""
    from benchbot.cli.outcome import Outcome, exit_code

    signum = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
    default = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted (Ctrl-C)"
    return _fail(str(exc) or default, exit_code(Outcome(interrupted_by=signum)))


def _command(args: list[str]) -> Any:
    """Run the command ``args`` names; what it returns (an Outcome, an int, or None)."""
    import typer

    # the root's help lists the commands from COMMAND_HELP; a command imports only itself
    if args in ([], ["--help"]) or (args and args[0] in COMMANDS):
        cli = _typer_app(light=True, real=args[0] if args and args[0] in COMMANDS else None)
    else:
        cli = __getattr__("app")
    # the command is invoked here rather than through typer's own main, which turns Ctrl-C
    # and SIGTERM into a silent 130 and a closed stdout into 1: those are decided below
    command = typer.main.get_command(cli)
    try:
        with command.make_context("benchbot", args) as ctx:
            return command.invoke(ctx)
    except typer.Exit as exc:  # --help, --version
        return exc.exit_code
    except typer.TyperException as exc:  # typer's own usage errors: unknown option, bad value
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            return 2  # typer has printed the help already
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        return _fail(f"{exc.format_message()}{hint}", 2)
    except typer.Abort:
        raise KeyboardInterrupt() from None
    except SystemExit as exc:  # rich ends a print to a closed stdout (help | head) so:
        if _stdout_is_devnull():  # it put /dev/null there: the output counts as read
            return 0
        raise SystemExit(exc.code) from None


def _stdout_is_devnull() -> bool:
    try:
        here, null = os.fstat(sys.stdout.fileno()), os.stat(os.devnull)
    except (OSError, ValueError):
        return False
    return (here.st_dev, here.st_ino) == (null.st_dev, null.st_ino)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (used by the console script via sys.exit).

    The one place where what a command found (its :class:`~benchbot.cli.outcome.Outcome`)
    and the errors it raised become exit codes; nothing below the CLI decides one."""
    try:
        _take_signals()
        args = sys.argv[1:] if argv is None else list(argv)
        if args == ["--version"]:  # answered before typer, rich or any command is imported
            sys.stdout.write(f"benchbot {__version__}\n")
            return 0
        result = _command(args)
        if isinstance(result, int):
            return result
        from benchbot.cli.outcome import exit_code

        return exit_code(result)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated), at any moment
        return _interrupted(exc)
    except UserError as exc:
        return _fail(str(exc), 2)
    except DeviceUnavailable as exc:
        return _fail(str(exc), 3)
    except BenchbotError as exc:
        return _fail(str(exc), 1)
    except BrokenPipeError:  # stdout closed early (`| head`): as if the output was read
        from benchbot.cli.console import stdout_closed

        stdout_closed()
        return 0
    except OSError as exc:  # the environment: a path, a disk, a permission
        return _fail(_os_error(exc), 2)


def entry() -> None:
    try:
        code = main()
    except KeyboardInterrupt as exc:  # a second signal while the first was being reported
        code = 143 if isinstance(exc, Terminated) else 130
    sys.exit(code)


if __name__ == "__main__":
    entry()
