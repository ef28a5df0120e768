"""Options several commands share: ``run`` and ``ab`` declare their sweep, measuring and
device options here, once, with each default read from the value it defaults to (so no
help text can drift from the code), and each choice list from its registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import typer
from rich.markup import escape

from benchbot import runtimes
from benchbot.devices import DeviceOptions
from benchbot.profiles import profile_dirs
from benchbot.sweep import MeasureSettings
from benchbot.sweep import axes

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


MEASURE = MeasureSettings()  # the measuring defaults
DEVICE = DeviceOptions()  # the device defaults
DEFAULT_DEVICE = "local"

# --- the sweep ---------------------------------------------------------------------------------

DeviceOption = typer.Option(
    None, "--device", "-d",
    help=f"Device profile name(s), comma-separated. (default: {DEFAULT_DEVICE})")
ThreadsOption = typer.Option(
    None, "--threads", "-t",
    help=f"Thread counts, e.g. 1,4; each 1 to {axes.MAX_THREADS}. (default: 1)")
BatchOption = typer.Option(
    None, "--batch", "-b",
    help=f"Batch sizes, e.g. 1,4; each 1 to {axes.MAX_BATCH}. (default: 1)")
PrecisionOption = typer.Option(
    None, "--precision",
    help=f"Precisions: {', '.join(axes.PRECISIONS)}. (default: {axes.PRECISIONS[0]})")
BackendOption = typer.Option(
    None, "--backend", help=f"What executes the model: {runtimes.backends_text()}. A "
                            "backend that does not apply to a model's runtime is skipped for "
                            "it. (default: cpu)")
RuntimeOption = typer.Option(
    None, "--runtime", help=f"Runtimes that run each model, among {', '.join(axes.RUNTIMES)}: "
                            "a model runs on those that read its format. (default: by the "
                            "model's suffix)")
ZooDirOption = typer.Option(Path("models/zoo"),
                            help="Where zoo:NAME models are exported once and reused.")

# --- measuring in each process -------------------------------------------------------------------

WarmupOption = typer.Option(
    None, help=f"Warm-up runs before timing, first inference included. "
               f"(default: {MEASURE.warmup})")
MinRunsOption = typer.Option(None, help=f"Timed runs at least. (default: {MEASURE.min_runs})")
MinTimeOption = typer.Option(
    None, help="Seconds of timed runs at least; given without --max-runs, the process times "
               f"for that long however fast the model. (default: {MEASURE.min_time_s:g})")
MaxTimeOption = typer.Option(
    None, help=f"Seconds of timed runs at most; caps --min-runs. "
               f"(default: {MEASURE.max_time_s:g})")


def repeat_option(fixed: str, adaptive: str) -> Any:
    """--repeat: ``fixed`` says what it fixes, ``adaptive`` what happens without it."""
    return typer.Option(None, help=f"{fixed} (default: adaptive: {adaptive})")


def max_repeat_option(text: str, default: int) -> Any:
    """--max-repeat, whose default is ``default`` (the command's, read from its value)."""
    return typer.Option(None, help=f"{text} (default: {default})")


def target_ci_option(text: str) -> Any:
    """--target-ci: ``text`` says which CI; the default is the measuring settings'."""
    return typer.Option(None, help=f"{text} (default: {MEASURE.target_ci:g}, i.e. "
                                   f"+-{MEASURE.target_ci:.0%})")


# --- the device ----------------------------------------------------------------------------------

SerialOption = typer.Option(
    None, help="ADB serial of the phone to use, when several are attached.")
AdbServerOption = typer.Option(
    None, help="host:port of the adb server (a farm host's); overrides the profiles'.")
BatteryFloorOption = typer.Option(
    DEVICE.battery_floor, help="Refuse a phone whose battery is under this percentage, "
                               "0 to 100 (0: never).")
