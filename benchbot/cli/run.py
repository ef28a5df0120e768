"""`benchbot run`: plan a sweep, measure every case, save the record, print the grid."""

from __future__ import annotations

import json
import shlex
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from benchbot import runtimes
from benchbot.runs import session
from benchbot.cli import options
from benchbot.cli.console import err, out
from benchbot.cli.outcome import Outcome
from benchbot.cli.progress import SweepProgress
from benchbot.devices import DeviceOptions
from benchbot.errors import BenchbotError, ConfigError, Terminated
from benchbot.profiles import Profile
from benchbot.runners.native import runner_kinds
from benchbot.report import build_grids, render_markdown
from benchbot.runs.executor import Retry
from benchbot.runs.provenance import parse_meta
from benchbot.runs.session import plan_entry
from benchbot.store.codec import settings_doc
from benchbot.stats.sessions import MIN_RUNS
from benchbot.store import RunRecord, load_run, new_run_id, record_doc, run_path
from benchbot.store.entries import entries_of, labelled
from benchbot.sweep import MeasureSettings, Plan, SweepSpec, load_sweep_file
from benchbot.sweep import axes
from benchbot.store.settings import MIN_PROCESSES
from benchbot.sweep.plan import merge_notes, parse_duration
from benchbot.variants import DEFAULT_CACHE_DIR, INT8_MODES

DEFAULTS = MeasureSettings()


def spec_from_options(device: Optional[str], model: Optional[list[str]], threads: Optional[str],
                       batch: Optional[str], precision: Optional[str], backend: Optional[str],
                       measure: dict[str, float], meta: Optional[list[str]] = None,
                       runtime: Optional[str] = None) -> SweepSpec:
    models = None
    if model is not None:
        # an existing file is one model even with a comma in its name; else a comma list
        models = tuple(m for raw in model
                       for m in ((raw,) if Path(raw).is_file() else axes.names(raw, "--model")))
    return SweepSpec(devices=axes.names(device, "--device") if device is not None else None, models=models,
                     threads=axes.threads(threads, "--threads") if threads is not None else None,
                     batch=axes.batches(batch, "--batch") if batch is not None else None,
                     precision=axes.choices(precision, "--precision", axes.PRECISIONS)
                     if precision is not None else None,
                     backend=axes.choices(backend, "--backend", axes.BACKENDS)
                     if backend is not None else None,
                     runtime=axes.choices(runtime, "--runtime", axes.RUNTIMES)
                     if runtime is not None else None,
                     measure={k: v for k, v in measure.items() if v is not None},
                     meta=parse_meta(meta or []))


def _plan_text(plan: Plan) -> str:
    s = plan.settings
    processes = (f"{s.repeat} fresh process{'es' if s.repeat != 1 else ''}" if not s.adaptive
                 else f"{s.min_processes} to {s.max_repeat} fresh processes (until the 95% CI "
                      f"is within +-{s.target_ci:.0%})")
    each = (f"each process: warm-up {s.warmup}, at least {s.min_runs} runs and "
            f"{s.min_time_s:g}s, at most {s.max_time_s:g}s")
    if s.sustained_s is not None:
        processes = "one sustained process"
        each = (f"each: warm-up {s.warmup}, then {s.sustained_s:g}s in {s.window_s:g}s windows"
                + (f" at {s.rate_hz:g} Hz" if s.rate_hz else " back to back"))
    lines = [f"{len(plan)} cases, each in {processes}, {s.order}; {each}", "",
             "| Case id | Model | Device | Runtime | Backend | Threads | Batch | Precision |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {c.id} | {c.model.path} | {c.device} | {c.runtime} | {c.backend} | "
              f"{c.threads} | {c.batch} | {c.precision} |" for c in plan.cases]
    return "\n".join(lines) + "\n"


def _plan_json(plan: Plan) -> str:
    return json.dumps({"settings": settings_doc(plan.settings),
                       "cases": [plan_entry(c) for c in plan.cases]}, indent=1) + "\n"


def _refuse_options_with_resume(given: dict[str, object]) -> None:
    named = [name for name, value in given.items() if value not in (None, False)]
    if named:
        raise ConfigError(f"--resume measures the run as it was planned; {', '.join(named)} "
                          "cannot change it: drop them, or start a new run with them")


@options.examples('benchbot run --model zoo:mobilenet_v3_small,models/tiny_fc.tflite --threads 1,4', 'benchbot run --config sweep.toml --meta build=1234 --json > run.json', 'benchbot run --resume 20250301T020000Z-1a2b3c')
def run_command(
    device: Optional[str] = options.DeviceOption,
    model: Optional[list[str]] = typer.Option(
        None, "--model", "-m", help=f"Model file(s) ({runtimes.formats_text()}) or zoo architectures "
                                    "(zoo:resnet18; see benchbot zoo list); comma-separated or "
                                    "repeated."),
    zoo_dir: Path = options.ZooDirOption,
    int8_mode: str = typer.Option("static", help="How int8 variants of ONNX models are made: "
                                                 "static (calibrated QDQ) or dynamic."),
    variant_cache: Path = typer.Option(Path(DEFAULT_CACHE_DIR),
                                       help="Where precision and batch variants are cached "
                                            "(by content: never rebuilt for the same model)."),
    threads: Optional[str] = options.ThreadsOption,
    batch: Optional[str] = options.BatchOption,
    precision: Optional[str] = options.PrecisionOption,
    backend: Optional[str] = options.BackendOption,
    runtime: Optional[str] = options.RuntimeOption,
    warmup: Optional[int] = options.WarmupOption,
    min_runs: Optional[int] = options.MinRunsOption,
    max_runs: Optional[int] = typer.Option(
        None, help=f"Timed runs at most (a cap for microsecond models). (default: {DEFAULTS.max_runs}; "
                   "no cap when --min-time is given without it: the time wins)"),
    min_time: Optional[float] = options.MinTimeOption,
    max_time: Optional[float] = options.MaxTimeOption,
    case_timeout: Optional[float] = typer.Option(
        None, help="Seconds before a measuring process is killed and the case failed. "
                   "(default: 2 x max-time + 60)"),
    repeat: Optional[int] = options.repeat_option(
        "Measuring processes per case.",
        f"at least {MIN_PROCESSES}, then more up to --max-repeat until the 95% CI is within "
        "--target-ci; 1 measures once, as benchbot 0.1 did"),
    max_repeat: Optional[int] = options.max_repeat_option(
        "Processes per case at most, when adaptive.", DEFAULTS.max_repeat),
    target_ci: Optional[float] = options.target_ci_option(
        "Stop adding processes once the 95% CI of the median is within +- this fraction "
        "of it."),
    valid_ci: Optional[float] = typer.Option(
        None, help="A case whose 95% CI (this run's part of it) is wider than +- this "
                   "fraction of the median is marked not valid (wide_ci); separate from "
                   f"--target-ci. (default: {DEFAULTS.valid_ci:g}, i.e. "
                   f"+-{DEFAULTS.valid_ci:.0%})"),
    case_budget: Optional[float] = typer.Option(
        None, help="Seconds of measuring per case at most, when adaptive. "
                   f"(default: {DEFAULTS.budget_s:g})"),
    order: Optional[str] = typer.Option(
        None, help="interleaved: processes round-robin over the cases in an order shuffled "
                   "per run (drift falls on every case alike); sequential: one case at a time. "
                   f"(default: {DEFAULTS.order})"),
    seed: Optional[int] = typer.Option(
        None, help="Seed of the interleaved order (recorded in the run; the same seed gives "
                   "the same order). (default: drawn per run)"),
    profile_ops: bool = typer.Option(
        False, "--profile-ops", help="After each case's timed runs, take an op profile in a "
                                     "separate pass (per node: op type, provider, ms) and the "
                                     "placement of its nodes; see report --layout ops."),
    min_cosine: Optional[float] = typer.Option(
        None, help="fp16/int8 variants whose outputs have a lower cosine similarity to fp32 "
                   f"are marked inaccurate. (default: {DEFAULTS.min_cosine:g})"),
    sustained: Optional[str] = typer.Option(
        None, metavar="DURATION",
        help="Sustained mode: each case is one process of this long (30s, 2m, 1h) with a "
             "time series of --window windows (median, p90, runs) and the device's clock, "
             "temperatures and battery read beside it; figures: burst (first 10 s), "
             "sustained (last 20%), their ratio, time to throttle. See report --layout "
             "sustained. Agent runner only."),
    window: Optional[float] = typer.Option(
        None, help=f"Sustained mode: seconds per point of the series. "
                   f"(default: {DEFAULTS.window_s:g})"),
    rate: Optional[float] = typer.Option(
        None, metavar="HZ", help="Sustained mode: start an inference HZ times a second (an "
                                 "app calling every frame) instead of back to back."),
    max_temp: Optional[float] = typer.Option(
        None, metavar="CELSIUS", help="Sustained mode: stop a case's series when a CPU "
                                      "thermal zone reads hotter than this."),
    energy: bool = typer.Option(
        False, "--energy", help="Sustained mode: energy per inference (mJ, with its 95% CI) "
                                "where the device reports its power: a phone's battery "
                                "current x voltage, nvidia-smi's power.draw, RAPL; an idle "
                                "baseline read just before is subtracted. Without a source "
                                "the case says so."),
    input_shape: Optional[str] = typer.Option(
        None, "--input-shape", metavar="N,C,H,W",
        help="The model's full input shape, for tools that cannot read it from the file "
             "(Paddle Lite's benchmark_bin on a .nb: required there); each case's batch "
             "replaces its first number. Sweep files: input_shape in [measure]."),
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", help="Sweep file (TOML) with the same axes; options override it."),
    results: Path = typer.Option(Path("results"), "--results",
                                 help="Folder the run's results file is written to."),
    runner: Optional[str] = typer.Option(
        None, help=f"Override the profile's runner: {', '.join(runner_kinds())}."),
    runner_bin: Optional[Path] = typer.Option(
        None, help="The native tool's binary on this host (e.g. an Android benchmark_model), "
                   "pushed to the device once; overrides the profile's [runner] binary."),
    serial: Optional[str] = options.SerialOption,
    adb_server: Optional[str] = options.AdbServerOption,
    keep: bool = typer.Option(False, "--keep",
                              help="Leave pushed files on the device after the run."),
    battery_floor: int = options.BatteryFloorOption,
    profiles: Optional[list[Path]] = options.ProfilesOption,
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the run's JSON document on stdout instead of the table."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; measure nothing."),
    resume: Optional[str] = typer.Option(
        None, metavar="RUN_ID", help="Finish an interrupted run: measure only its missing or "
                                     "failed cases, into the same results file."),
    retries: int = typer.Option(1, help="Times a case lost with its device (disconnected) is "
                                        "measured again once the device is back."),
    retry_wait: float = typer.Option(120.0, help="Seconds to wait for a disconnected device "
                                                 "to come back before giving its case up."),
    farm: Optional[str] = typer.Option(
        None, "--farm", metavar="ADDRESS",
        help="Measure on the farm of the Dask scheduler at ADDRESS (tcp://HOST:8786): each "
             "case runs on a worker that offers its device (benchbot farm worker); the "
             "results file is written here. Needs: pip install benchbot\\[farm]."),
    meta: Optional[list[str]] = options.MetaOption,
    no_wait: bool = typer.Option(False, "--no-wait",
                                 help="Fail at once when another benchbot holds a device, "
                                      "instead of waiting for it."),
) -> Optional[Outcome]:
    """Measure models on devices over a sweep of threads x batch x precision.

    Each case is measured in fresh agent processes (3 to --max-repeat, see --repeat):
    in each, warm-up, then timed runs until both --min-runs and --min-time are reached
    (capped by --max-time). Every finished process is appended to the run's journal,
    so an interrupted run keeps what it measured (--resume continues it). Exit code: 0
    all cases ok, 1 some case failed, 2 bad input, 3 a device unavailable, 130 Ctrl-C,
    143 terminated.
    """
    measure = {"warmup": warmup, "min_runs": min_runs, "max_runs": max_runs, "min_time": min_time,
               "max_time": max_time, "case_timeout": case_timeout, "repeat": repeat,
               "max_repeat": max_repeat, "target_ci": target_ci, "valid_ci": valid_ci,
               "case_budget": case_budget,
               "order": order, "seed": seed,
               "profile_ops": True if profile_ops else None, "min_cosine": min_cosine,
               "sustained": None if sustained is None else parse_duration(sustained,
                                                                          "--sustained"),
               "window": window, "rate": rate, "max_temp": max_temp,
               "energy": True if energy else None, "input_shape": input_shape}
    if runner is not None and runner not in runner_kinds():
        raise ConfigError(f"--runner: {runner!r} is not one of {', '.join(runner_kinds())}")
    if int8_mode not in INT8_MODES:
        raise ConfigError(f"--int8-mode: {int8_mode!r} is not one of {', '.join(INT8_MODES)}")
    if resume is not None and not resume.strip():
        raise ConfigError("--resume needs a run id: the name of a run's file in the results "
                          "folder, without .json")
    if retries < 0:
        raise ConfigError("--retries must be 0 or more")
    if not 0 <= retry_wait < float("inf"):
        raise ConfigError(f"--retry-wait must be 0 or more seconds, got {retry_wait:g}")
    device_options = DeviceOptions(serial=serial, keep=keep, battery_floor=battery_floor,
                                   runner_bin=runner_bin, adb_server=adb_server)
    dirs = options.dirs(profiles)
    record = None
    if resume is not None:
        _refuse_options_with_resume({
            "--device": device, "--model": model, "--threads": threads, "--batch": batch,
            "--precision": precision, "--backend": backend, "--runtime": runtime, "--config": config,
            "--runner": runner, "--meta": meta, **{f"--{k.replace('_', '-')}": v for k, v in measure.items()}})
        record = session.find_record(resume, results)
        session.check_not_running(record, results)
        plan = session.resume_plan(record)
        names = tuple(dict.fromkeys(c.device for c in plan.cases))
    else:
        spec = spec_from_options(device, model, threads, batch, precision, backend, measure,
                                  meta, runtime)
        if config is not None:
            spec = load_sweep_file(config).overridden_by(spec)
        names = spec.devices or (options.DEFAULT_DEVICE,)
        plan = session.plan_of(spec, session.profiles_of(names, dirs, runner), zoo_dir,
                               int8_mode, runner_bin)
    refuse_sustained_native(plan)
    if dry_run:
        for line in merge_notes(plan):
            err.print(line, markup=False)
        out(_plan_json(plan) if as_json else _plan_text(plan))
        return
    found = session.profiles_of(names, dirs, runner)
    plan = session.prepare(plan, found, int8_mode, variant_cache, err.print)
    if record is not None:
        err.print(f"resuming run {record.run_id}: {len(plan)} cases missing or failed")
    resume_with = resume_options(results, profiles, farm)
    record = _measure(plan, found, device_options, results, record, wait=not no_wait,
                      retry=Retry(attempts=retries, wait_s=retry_wait), farm=farm,
                      resume_with=resume_with)
    if as_json:
        out(json.dumps(record_doc(record), indent=1, allow_nan=False) + "\n")
    else:
        out(render_markdown(build_grids(labelled(entries_of(record)), "auto", "median")))
    return outcome_of(record)


def refuse_sustained_native(plan: Plan) -> None:
    """--sustained needs the agent's series: a native tool prints one figure per run."""
    if plan.settings.sustained_s is None:
        return
    native = next((c for c in plan.cases if c.runner != "agent"), None)
    if native is not None:
        raise ConfigError(f"--sustained needs benchbot's agent, but device '{native.device}' "
                          f"measures with {native.runner}, which gives no time series; use "
                          "--runner agent, or drop --sustained")


def validity_line(record: RunRecord) -> str | None:
    """'2 of 6 cases are not valid: wide_ci (2), few_processes (1); ...' or None."""
    invalid = [c for c in record.cases if c.status == "ok" and not c.valid]
    if not invalid:
        return None
    counts = Counter(code.code for c in invalid for code in c.validity.codes)
    advice = {code.code: code.advice for c in invalid for code in c.validity.codes}
    top = counts.most_common(1)[0][0]
    listed = ", ".join(f"{code} ({n})" for code, n in counts.most_common())
    return (f"{len(invalid)} of {len(record.cases)} cases are not valid (marked † in the "
            f"grids): {listed}; {top}: {advice[top]}")


def interrupt_message(what: str, saved: Path, resume: str) -> str:
    """One true line: what was saved where, and the command that finishes the run."""
    try:
        done = len(load_run(saved).cases)
    except (BenchbotError, OSError):
        return f"{what} before the run was saved; nothing was measured"
    cases = f"{done} finished case{'s' if done != 1 else ''}" if done else "no finished case yet"
    return f"{what}: the run ({cases}) is saved in {saved}; finish it with: {resume}"


def resume_options(results: Path, profiles: Optional[list[Path]], farm: Optional[str]) -> str:
    """The options a printed `benchbot run --resume ID` needs to work as printed."""
    words = [] if results == Path("results") else ["--results", str(results)]
    for folder in profiles or ():
        words += ["--profiles", str(folder)]
    if farm:
        words += ["--farm", farm]
    return "".join(f" {shlex.quote(w)}" for w in words)


def outcome_of(record: RunRecord, regressions: int = 0) -> Outcome:
    """What a run found: the failure kinds of its failed cases (cli/main.py decides the code)."""
    return Outcome.of(regressions=regressions,
                      failures=(c.failure.kind if c.failure is not None else None
                                for c in record.failed))


def _measure(plan: Plan, profiles: list[Profile], options: DeviceOptions, results: Path,
             record: RunRecord | None, wait: bool, retry: Retry,
             farm: str | None = None, resume_with: str = "") -> RunRecord:
    run_id = record.run_id if record is not None else new_run_id()
    try:
        with SweepProgress(err, plan) as progress:
            if farm is not None:
                from benchbot.farm.dask_client import measure_on_farm  # Dask only with --farm

                record = measure_on_farm(farm, plan, profiles, options, results, progress,
                                         err.print, wait=wait, record=record, retry=retry,
                                         run_id=run_id)
            else:
                record = session.measure(plan, profiles, options, results, progress,
                                         err.print, wait=wait, record=record, retry=retry,
                                         run_id=run_id)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): one line, then 130/143
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        raise type(exc)(interrupt_message(what, run_path(results, run_id),
                                          f"benchbot run --resume {run_id}{resume_with}")
                        ) from None
    path = run_path(results, record.run_id)
    ok = len(record.cases) - len(record.failed)
    err.print(f"{ok} of {len(record.cases)} cases ok; results: {path}")
    for line in (validity_line(record), *drift_lines(record), spread_line(record),
                 *energy_lines(record)):
        if line:
            err.print(line)
    return record


def drift_lines(record: RunRecord) -> list[str]:
    """Once per device whose processes spread because the device itself changed speed
    during the run (:mod:`benchbot.stats.drift`), where that made a case not valid."""
    from benchbot.verdicts.processes import drifting_devices  # numpy: only after measuring

    return [f"{device} changed speed by itself during the run: processes that ran one after "
            f"another were slow or fast together, whatever case they measured ({d.text()}); "
            "the spread between its processes is the device's: quiet it (other programs, a "
            "virtual machine's neighbours, heat), as more processes only average it"
            for device, d in drifting_devices(record.cases).items()]


def energy_lines(record: RunRecord) -> list[str]:
    """Once per device whose --energy cases got no figure: why ('no energy source: ...')."""
    said: dict[str, str] = {}
    for c in record.cases:
        e = c.energy
        if e is not None and e.mj_per_inference is None and e.note:
            said.setdefault(c.device, e.note)
    return [f"energy on {device}: {note}" for device, note in said.items()]


def spread_line(record: RunRecord) -> str | None:
    """What the CIs of several processes include beside the processes' own spread: 'the
    95% CIs include how far local moves between runs: 3.1% (from 8 earlier runs)'."""
    used: dict[str, tuple[float, int]] = {}
    for c in record.cases:
        s = c.stats
        if c.status == "ok" and s is not None and s.between_runs_sd is not None:
            used.setdefault(c.device, (s.between_runs_sd, s.between_runs_from or 0))
    if not used:
        return None
    assumed = f"assumed until the results folder has {MIN_RUNS} runs of a model on it"
    parts = [f"{device} {sd:.1%} ({f'from {n} earlier runs' if n else assumed})"
             for device, (sd, n) in sorted(used.items())]
    return "the 95% CIs include how far the device moves between runs: " + "; ".join(parts)
