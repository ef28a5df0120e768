"""`benchbot run`: plan a sweep, measure every case, save the record, print the grid."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from benchbot import __version__
from benchbot.cli import options
from benchbot.cli.console import err, out
from benchbot.cli.progress import SweepProgress
from benchbot.devices import Device, DeviceOptions, open_device
from benchbot.errors import ConfigError
from benchbot.execute import execute
from benchbot.facts import host_facts
from benchbot.modelfile import inspect_model
from benchbot.profiles import RUNNER_KINDS, Profile, get_profile
from benchbot.report import Entry, build_grids, render_markdown
from benchbot.store import RunRecord, new_run_id, run_path, utc_now
from benchbot.sweep import MeasureSettings, Plan, SweepSpec, load_sweep_file, make_plan
from benchbot.sweep import axes
from benchbot.zoo import REF_PREFIX, resolve_zoo_ref

DEFAULTS = MeasureSettings()


def _spec_from_options(device: Optional[str], model: Optional[list[str]], threads: Optional[str],
                       batch: Optional[str], precision: Optional[str], backend: Optional[str],
                       measure: dict[str, float]) -> SweepSpec:
    models = None
    if model is not None:
        models = tuple(m for raw in model for m in axes.names(raw, "--model"))
    return SweepSpec(devices=axes.names(device, "--device") if device is not None else None, models=models,
                     threads=axes.positive_ints(threads, "--threads") if threads is not None else None,
                     batch=axes.positive_ints(batch, "--batch") if batch is not None else None,
                     precision=axes.choices(precision, "--precision", axes.PRECISIONS)
                     if precision is not None else None,
                     backend=axes.choices(backend, "--backend", axes.BACKENDS)
                     if backend is not None else None,
                     measure={k: v for k, v in measure.items() if v is not None})


def _settings(measure: dict[str, float]) -> MeasureSettings:
    return MeasureSettings(warmup=int(measure.get("warmup", DEFAULTS.warmup)),
                           min_runs=int(measure.get("min_runs", DEFAULTS.min_runs)),
                           max_runs=int(measure.get("max_runs", DEFAULTS.max_runs)),
                           min_time_s=float(measure.get("min_time", DEFAULTS.min_time_s)),
                           max_time_s=float(measure.get("max_time", DEFAULTS.max_time_s)),
                           timeout_s=measure.get("case_timeout"))


def _profiles(names: tuple[str, ...], dirs: list[Path], runner: Optional[str]) -> list[Profile]:
    if runner is not None and runner not in RUNNER_KINDS:
        raise ConfigError(f"--runner: {runner!r} is not one of {', '.join(RUNNER_KINDS)}")
    found = [get_profile(name, dirs) for name in names]
    return [p.with_runner(runner) if runner else p for p in found]


def _model_path(ref: str, zoo_dir: Path) -> Path:
    """A model file, or a zoo architecture (zoo:NAME) exported once into ``zoo_dir``."""
    if ref.startswith(REF_PREFIX):
        return resolve_zoo_ref(ref, zoo_dir)
    return Path(ref)


def _plan_text(plan: Plan) -> str:
    lines = [f"{len(plan)} cases; each in its own agent process (warm-up "
             f"{plan.settings.warmup}, at least {plan.settings.min_runs} runs and "
             f"{plan.settings.min_time_s:g}s, at most {plan.settings.max_time_s:g}s)", "",
             "| Case id | Model | Device | Runtime | Backend | Threads | Batch | Precision |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {c.id} | {c.model.path} | {c.device} | {c.runtime} | {c.backend} | "
              f"{c.threads} | {c.batch} | {c.precision} |" for c in plan.cases]
    return "\n".join(lines) + "\n"


def _plan_json(plan: Plan) -> str:
    return json.dumps({"settings": plan.settings.to_dict(), "cases": [
        {"id": c.id, "model": str(c.model.path), "model_sha256": c.model.sha256,
         "device": c.device, "runtime": c.runtime, "backend": c.backend,
         "threads": c.threads, "batch": c.batch,
         "precision": c.precision} for c in plan.cases]}, indent=1) + "\n"


def run_command(
    device: Optional[str] = typer.Option(
        None, "--device", "-d", help="Device profile name(s), comma-separated. (default: local)"),
    model: Optional[list[str]] = typer.Option(
        None, "--model", "-m", help="Model file(s) (.onnx, .tflite) or zoo architectures "
                                    "(zoo:resnet18; see benchbot zoo list); comma-separated or "
                                    "repeated."),
    zoo_dir: Path = typer.Option(Path("models/zoo"), help="Where zoo:NAME models are exported "
                                                          "once and reused."),
    threads: Optional[str] = typer.Option(None, "--threads", "-t",
                                          help="Thread counts, e.g. 1,4. (default: 1)"),
    batch: Optional[str] = typer.Option(None, "--batch", "-b",
                                        help="Batch sizes, e.g. 1,4. (default: 1)"),
    precision: Optional[str] = typer.Option(
        None, "--precision", help="Precisions: fp32, fp16, int8. (default: fp32)"),
    backend: Optional[str] = typer.Option(
        None, "--backend", help="What executes the model: cpu, cuda, tensorrt (ONNX Runtime "
                                "providers); xnnpack, gpu, nnapi (TFLite delegates). A backend "
                                "that does not apply to a model's runtime is skipped for it. "
                                "(default: cpu)"),
    warmup: Optional[int] = typer.Option(
        None, help=f"Warm-up runs before timing, first inference included. (default: {DEFAULTS.warmup})"),
    min_runs: Optional[int] = typer.Option(
        None, help=f"Timed runs at least. (default: {DEFAULTS.min_runs})"),
    max_runs: Optional[int] = typer.Option(
        None, help=f"Timed runs at most (a cap for microsecond models). (default: {DEFAULTS.max_runs})"),
    min_time: Optional[float] = typer.Option(
        None, help=f"Seconds of timed runs at least. (default: {DEFAULTS.min_time_s:g})"),
    max_time: Optional[float] = typer.Option(
        None, help=f"Seconds of timed runs at most; caps --min-runs. (default: {DEFAULTS.max_time_s:g})"),
    case_timeout: Optional[float] = typer.Option(
        None, help="Seconds before a case's agent is killed and the case failed. "
                   "(default: 2 x max-time + 60)"),
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", help="Sweep file (TOML) with the same axes; options override it."),
    results: Path = typer.Option(Path("results"), "--results",
                                 help="Folder the run's results file is written to."),
    runner: Optional[str] = typer.Option(
        None, help=f"Override the profile's runner: {', '.join(RUNNER_KINDS)}."),
    runner_bin: Optional[Path] = typer.Option(
        None, help="The native tool's binary on this host (e.g. an Android benchmark_model), "
                   "pushed to the device once; overrides the profile's [runner] binary."),
    serial: Optional[str] = typer.Option(
        None, help="ADB serial of the phone to use, when several are attached."),
    adb_server: Optional[str] = typer.Option(
        None, help="host:port of the adb server (a farm host's); overrides the profiles'."),
    keep: bool = typer.Option(False, "--keep",
                              help="Leave pushed files on the device after the run."),
    battery_floor: int = typer.Option(
        20, help="Refuse a phone whose battery is under this percentage (0: never)."),
    profiles: Optional[list[Path]] = options.ProfilesOption,
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the run's JSON document on stdout instead of the table."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; measure nothing."),
) -> None:
    """Measure models on devices over a sweep of threads x batch x precision.

    Each case runs in a fresh agent process: warm-up, then timed runs until both
    --min-runs and --min-time are reached (capped by --max-time). The results
    file is rewritten after every case, so an interrupted run keeps what it
    measured. Exit code: 0 all cases ok, 1 some case failed, 2 bad input.
    """
    measure = {"warmup": warmup, "min_runs": min_runs, "max_runs": max_runs, "min_time": min_time,
               "max_time": max_time, "case_timeout": case_timeout}
    spec = _spec_from_options(device, model, threads, batch, precision, backend, measure)
    if config is not None:
        spec = load_sweep_file(config).overridden_by(spec)
    if not spec.models:
        raise ConfigError("no model to measure: give --model PATH (or models = [...] in --config)")
    found = _profiles(spec.devices or ("local",), options.dirs(profiles), runner)
    models = tuple(dict.fromkeys(inspect_model(_model_path(m, zoo_dir)) for m in spec.models))
    settings = _settings(spec.measure)
    plan = make_plan(models, tuple(p.name for p in found), spec.threads or (1,),
                     spec.batch or (1,), spec.precision or ("fp32",), settings,
                     spec.backend or ("cpu",))
    if dry_run:
        out(_plan_json(plan) if as_json else _plan_text(plan))
        return
    device_options = DeviceOptions(serial=serial, keep=keep, battery_floor=battery_floor,
                                   runner_bin=runner_bin, adb_server=adb_server)
    devices: dict[str, Device] = {}
    try:
        for p in found:
            devices[p.name] = open_device(p, device_options, say=err.print)
    except BaseException:
        for d in devices.values():
            d.close()
        raise
    try:
        record = _measure(plan, devices, results, settings)
    finally:
        for d in devices.values():
            d.close()
    if as_json:
        out(json.dumps(record.to_dict(), indent=1) + "\n")
    else:
        entries = [Entry(record.run_id, c, str(record.devices[c.device].get("label", "")))
                   for c in record.cases]
        out(render_markdown(build_grids(entries, "auto", "median")))
    if record.failed:
        raise typer.Exit(1)


def _measure(plan: Plan, devices: dict[str, Device], results: Path,
             settings: MeasureSettings) -> RunRecord:
    record = RunRecord(run_id=new_run_id(), started_at=utc_now(), command=tuple(sys.argv),
                       benchbot_version=__version__, host=host_facts(),
                       devices={n: d.facts for n, d in devices.items()},
                       settings=settings.to_dict(), planned_cases=len(plan))
    path = run_path(results, record.run_id)
    err.print(f"run {record.run_id}: {len(plan)} cases -> {path}")
    try:
        with SweepProgress(err, len(plan)) as progress:
            record = execute(plan, devices, record, results, progress)
    except KeyboardInterrupt:
        err.print(f"interrupted: the cases finished so far are saved in {path}")
        raise typer.Exit(130) from None
    ok = len(record.cases) - len(record.failed)
    err.print(f"{ok} of {len(record.cases)} cases ok; results: {path}")
    return record
