"""A run from start to end: plan it, open its devices, measure, keep the record.

`benchbot run`, `benchbot run --resume` and `benchbot nightly` all go through
here; the CLI only parses options and renders.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from benchbot._version import __version__
from benchbot.devices import Device, DeviceOptions, open_device
from benchbot.errors import ConfigError, UserError
from benchbot.run.executor import Progress, Retry, execute
from benchbot.devices.facts import host_facts
from benchbot.modelcard import model_card
from benchbot.store.modelfile import ModelFile, inspect_model
from benchbot.profiles import Profile, get_profile
from benchbot.runners.native.runner import precision_applies
from benchbot.store import RunRecord, find_run_files, load_run, new_run_id, utc_now
from benchbot.sweep import Case, MeasureSettings, Plan, SweepSpec, make_plan
from benchbot.variants import VariantError, derive_cases


def model_path(ref: str, zoo_dir: Path) -> Path:
    """A model file, or a zoo architecture (zoo:NAME) exported once into ``zoo_dir``."""
    if not ref.startswith("zoo:"):
        return Path(ref)
    from benchbot.zoo import resolve_zoo_ref  # onnx and the architectures, only when asked

    return resolve_zoo_ref(ref, zoo_dir)


def settings_of(measure: dict[str, float]) -> MeasureSettings:
    d = MeasureSettings()
    return MeasureSettings(warmup=int(measure.get("warmup", d.warmup)),
                           min_runs=int(measure.get("min_runs", d.min_runs)),
                           max_runs=int(measure.get("max_runs", d.max_runs)),
                           min_time_s=float(measure.get("min_time", d.min_time_s)),
                           max_time_s=float(measure.get("max_time", d.max_time_s)),
                           timeout_s=measure.get("case_timeout"))


def plan_of(spec: SweepSpec, profiles: Sequence[Profile], zoo_dir: Path) -> Plan:
    """The cases of a sweep spec on the given devices."""
    if not spec.models:
        raise ConfigError("no model to measure: give --model PATH (or models = [...] in --config)")
    models = tuple(dict.fromkeys(inspect_model(model_path(m, zoo_dir)) for m in spec.models))
    return make_plan(models, tuple(p.name for p in profiles), spec.threads or (1,),
                     spec.batch or (1,), spec.precision or ("fp32",), settings_of(spec.measure),
                     spec.backend or ("cpu",))


def _precision_to_derive(case: Case, runner: str) -> str:
    """fp32 where the runtime or tool makes the case's precision itself (TensorRT fp16,
    trtexec --fp16, a GPU delegate's fp16), else the case's precision."""
    if runner == "agent":
        makes_it = case.backend == "tensorrt" and case.precision == "fp16"
    else:
        makes_it = case.precision != "fp32" and precision_applies(runner, case.backend,
                                                                  case.precision)
    return "fp32" if makes_it else case.precision


def _card(model: ModelFile) -> dict[str, Any] | None:
    try:
        return model_card(model.path).to_dict()
    except Exception:  # a model the host cannot read is still measured; it has no card
        return None


def prepare(plan: Plan, profiles: Sequence[Profile], int8_mode: str, cache_dir: Path,
            say: Callable[[str], None]) -> Plan:
    """Each case with the file it measures (a cached precision/batch variant where one is
    needed, or why none can be made) and its model's card, all derived on the host."""
    runners = {p.name: p.runner.kind for p in profiles}
    proxies = {c.id: replace(c, precision=_precision_to_derive(c, runners[c.device]))
               for c in plan.cases}
    variants = derive_cases(proxies.values(), int8_mode, cache_dir, say)
    cards: dict[str, dict[str, Any] | None] = {}
    cases = []
    for case in plan.cases:
        made = variants[proxies[case.id].id]
        if case.model.sha256 not in cards:
            cards[case.model.sha256] = _card(case.model)
        failed = isinstance(made, VariantError)
        cases.append(replace(case, variant=None if failed else made,
                             variant_error=str(made) if failed else None,
                             card=cards[case.model.sha256]))
    return replace(plan, cases=tuple(cases))


def plan_entries(plan: Plan) -> tuple[dict[str, object], ...]:
    return tuple({"id": c.id, "model": str(c.model.path), "model_sha256": c.model.sha256,
                  "device": c.device, "threads": c.threads, "batch": c.batch,
                  "precision": c.precision, "backend": c.backend} for c in plan.cases)


@contextmanager
def opened(profiles: Sequence[Profile], options: DeviceOptions,
           say: Callable[[str], None]) -> Iterator[dict[str, Device]]:
    """The devices, connected; cleaned up and closed however the block ends."""
    devices: dict[str, Device] = {}
    try:
        for p in profiles:
            devices[p.name] = open_device(p, options, say=say)
        yield devices
    finally:
        for d in devices.values():
            d.close()


def new_record(plan: Plan, devices: dict[str, Device]) -> RunRecord:
    return RunRecord(run_id=new_run_id(), started_at=utc_now(), command=tuple(sys.argv),
                     benchbot_version=__version__, host=host_facts(),
                     devices={n: d.facts for n, d in devices.items()},
                     settings=plan.settings.to_dict(), planned_cases=len(plan),
                     plan=plan_entries(plan))


def measure(plan: Plan, profiles: Sequence[Profile], options: DeviceOptions, results: Path,
            progress: Progress, say: Callable[[str], None], wait: bool = True,
            record: RunRecord | None = None, retry: Retry = Retry()) -> RunRecord:
    """Open the devices, measure every case of the plan into a (new or given) record."""
    with opened(profiles, options, say) as devices:
        if record is None:
            record = new_record(plan, devices)
        else:
            record = replace(record, status="running", ended_at=None,
                             devices={**record.devices, **{n: d.facts for n, d in
                                                           devices.items()}})
        return execute(plan, devices, record, results, progress, wait=wait, retry=retry)


def find_record(run_id: str, results: Path) -> RunRecord:
    """The run with this id (or unique id prefix) in the results folder."""
    matches = [f for f in find_run_files([results]) if f.stem.startswith(run_id)]
    if len(matches) != 1:
        found = "no run" if not matches else f"{len(matches)} runs"
        raise UserError(f"{found} with id {run_id!r} in {results}; see the file names there")
    return load_run(matches[0])


def resume_plan(record: RunRecord) -> Plan:
    """The cases of a run that are missing or failed, rebuilt from its stored plan."""
    if not record.plan:
        raise UserError(f"run {record.run_id} stored no plan (an older benchbot wrote it); "
                        "start it again instead")
    done = {c.id for c in record.cases if c.status == "ok"}
    models: dict[str, ModelFile] = {}
    cases = []
    for entry in record.plan:
        if entry["id"] in done:
            continue
        path = str(entry["model"])
        if path not in models:
            models[path] = inspect_model(Path(path))
            if models[path].sha256 != entry["model_sha256"]:
                raise UserError(f"{path} changed since run {record.run_id} measured it; "
                                "resuming would mix two models: start a new run")
        case = Case(model=models[path], device=str(entry["device"]),
                    threads=int(entry["threads"]), batch=int(entry["batch"]),
                    precision=str(entry["precision"]), backend=str(entry["backend"]))
        cases.append(case)
    return Plan(cases=tuple(cases), settings=settings_of_record(record))


def settings_of_record(record: RunRecord) -> MeasureSettings:
    s = record.settings
    return MeasureSettings(warmup=int(s["warmup"]), min_runs=int(s["min_runs"]),
                           max_runs=int(s.get("max_runs", MeasureSettings().max_runs)),
                           min_time_s=float(s["min_time_s"]), max_time_s=float(s["max_time_s"]),
                           timeout_s=s.get("timeout_s"))


def profiles_of(names: Sequence[str], dirs: list[Path], runner: str | None) -> list[Profile]:
    found = [get_profile(name, dirs) for name in dict.fromkeys(names)]
    return [p.with_runner(runner) if runner else p for p in found]
