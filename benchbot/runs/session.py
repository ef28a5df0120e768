"""A run from start to end: plan it, open its devices, measure, keep the record.

`benchbot run`, `benchbot run --resume` and `benchbot nightly` all go through
here; the CLI only parses options and renders.
"""

from __future__ import annotations

import os
import socket
import sys
from contextlib import contextmanager
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from benchbot import runtimes
from benchbot._version import __version__
from benchbot.devices import Device, DeviceOptions, open_device
from benchbot.errors import ConfigError, DeviceUnavailable, ProfileError, TransportError, UserError
from benchbot.runs.executor import Progress, Retry, execute
from benchbot.runs.repeats import needs_more
from benchbot.devices.facts import host_facts, thread_warnings
from benchbot.runs.provenance import git_info
from benchbot.modelcard import model_card
from benchbot.store import modelcache
from benchbot.store.modelfile import ModelFile, inspect_model
from benchbot.profiles import Profile, get_profile
from benchbot.profiles.transport_kinds import transport_kind
from benchbot.runners.native import runner_kinds, tool
from benchbot.runners.native.applies import refusal
from benchbot.runners.native.probe import cached as cached_dialect
from benchbot.runners.native.tools import ToolDialect
from benchbot.store import (DeviceFacts, ModelCard, PlannedCase, RunOwner, RunRecord,
                            find_run_files, load_run, new_run_id, utc_now)
from benchbot.store.codec import (SchemaError, card_doc, card_of_doc, facts_of_device,
                                  host_of_doc, planned_doc)
from benchbot.store.files import hold_run_lock, release_run_lock
from benchbot.store.records import ModelRef
from benchbot.store.settings import MEASURE_NAMES
from benchbot.runners.base import config_of
from benchbot.sweep import Case, MeasureSettings, Plan, SweepSpec, make_plan
from benchbot.store.settings import NO_RUN_CAP
from benchbot.sweep.plan import merge_notes, parse_shape
from benchbot.variants import VariantError, derive_cases


def model_path(ref: str, zoo_dir: Path) -> Path:
    """A model file, or a zoo architecture (zoo:NAME) exported once into ``zoo_dir``."""
    if not ref.startswith("zoo:"):
        return Path(ref)
    from benchbot.zoo import resolve_zoo_ref  # onnx and the architectures, only when asked

    return resolve_zoo_ref(ref, zoo_dir)


def settings_of(measure: Mapping[str, Any]) -> MeasureSettings:
    """Measure settings from the sweep file's [measure] names (options override them);
    what is not given takes MeasureSettings' default."""
    values = {MEASURE_NAMES.get(k, k): v for k, v in measure.items() if v is not None}
    # a --min-time given without --max-runs is a time to measure for: the default cap on
    # runs (there for microsecond models) must not end it early
    if "min_time_s" in values and "max_runs" not in values:
        values["max_runs"] = NO_RUN_CAP
    if "input_shape" in values:
        values["input_shape"] = parse_shape(values["input_shape"])
    if values.get("order") == "ab":  # a run so ordered would be recorded as an A/B session
        raise ConfigError("--order ab is benchbot ab's own A B B A order: run `benchbot ab "
                          "A.onnx B.onnx`, or give --order interleaved or sequential")
    kinds = {f.name: f.type for f in fields(MeasureSettings)}  # "float | None", "int", ...
    return MeasureSettings(**{k: float(v) if kinds[k].startswith("float") else v
                              for k, v in values.items() if k in kinds})


def plan_of(spec: SweepSpec, profiles: Sequence[Profile], zoo_dir: Path,
            int8_mode: str = "static", runner_bin: Path | None = None) -> Plan:
    """The cases of a sweep spec on the given devices (``runner_bin``: ``--runner-bin``);
    a case no native tool can measure as labelled is refused (ConfigError)."""
    if not spec.models:
        raise ConfigError("no model to measure: give --model PATH (or models = [...] in --config)")
    models = tuple(dict.fromkeys(found for m in spec.models
                                 for found in models_of(model_path(m, zoo_dir), spec.runtime)))
    plan = make_plan(models, tuple(p.name for p in profiles), spec.threads or (1,),
                     spec.batch or (1,), spec.precision or ("fp32",), settings_of(spec.measure),
                     spec.backend or ("cpu",), runners={p.name: p.runner.kind for p in profiles},
                     int8_mode=int8_mode,
                     tool_backends={p.name: tuple(b for d in tool(p.runner.kind).dialects
                                                  for b in d.backends)
                                    for p in profiles if p.runner.kind != "agent"})
    refuse_unapplicable(plan, known_dialects(profiles, runner_bin))
    return replace(plan, meta=dict(spec.meta))


def models_of(path: Path, runtime_names: Sequence[str] | None) -> tuple[ModelFile, ...]:
    """The model at ``path`` once per runtime that runs it: the one its suffix selects, or
    each of ``runtime_names`` that reads its format (ConfigError when none does)."""
    if runtime_names is None:
        return (inspect_model(path),)
    readers = [name for name in runtime_names if runtimes.runtime(name).format_for(path)]
    if not readers:
        raise ConfigError(f"--runtime: none of {', '.join(runtime_names)} reads {path.name} "
                          f"(it is a {runtimes.runtime_for(path).own_format.title} file)")
    return tuple(inspect_model(path, name) for name in readers)


def known_dialects(profiles: Sequence[Profile],
                   runner_bin: Path | None) -> dict[str, ToolDialect]:
    """Device -> the dialect its native tool speaks, where it is known before the tool is
    asked: ``--runner-bin auto`` (the binary LiteRT publishes), or a host binary whose
    dialect is cached by content."""
    found: dict[str, ToolDialect] = {}
    for profile in profiles:
        if profile.runner.kind == "agent":
            continue
        native = tool(profile.runner.kind)
        binary = runner_bin or profile.runner.binary
        fetched = str(binary) == "auto" or (binary is None
                                            and transport_kind(profile.transport).phones)
        if native.fetched_dialect is not None and fetched:
            found[profile.name] = native.dialect(native.fetched_dialect)
        elif binary is not None and binary.is_file() and \
                (known := cached_dialect(native, binary)) is not None:
            found[profile.name] = known.dialect
    return found


def refuse_unapplicable(plan: Plan,
                        dialects: Mapping[str, ToolDialect] | None = None) -> None:
    """ConfigError (exit 2), one line, when a native tool can apply a case's label in
    none of its dialects, or not in the one its device's binary is known to speak
    (batch on the CompiledModel tool, fp16 on a .nb, a backend the tool lacks): such a
    case is never measured under that label."""
    dialects = dialects or {}
    if plan.settings.input_shape is None and any(c.runner == "paddle_lite"
                                                  for c in plan.cases):
        raise ConfigError("Paddle Lite's benchmark_bin needs the model's input shape (it "
                          "cannot read it from a .nb): pass --input-shape 1,3,224,224 "
                          "(input_shape in a sweep file's [measure])")
    refused = [(c, reason) for c in plan.cases if c.runner != "agent"
               and (reason := refusal(tool(c.runner), c, dialects.get(c.device))) is not None]
    if refused:
        case, reason = refused[0]
        more = f" (and {len(refused) - 1} more case(s))" if len(refused) > 1 else ""
        raise ConfigError(f"{case.label}: {reason}{more}")


def _precision_to_derive(case: Case, runner: str) -> str:
    """fp32 where the runtime or tool makes the case's precision itself (TensorRT fp16,
    OpenVINO's f16 hint, trtexec --fp16, a GPU delegate's fp16), else the case's precision."""
    if runner == "agent":
        made = runtimes.runtime(case.runtime).makes_precision
        makes_it = (case.backend, case.precision) in made
    else:
        makes_it = case.precision != "fp32" and tool(runner).dialect().makes_precision(
            case.backend, case.precision)
    return "fp32" if makes_it else case.precision


def _card(model: ModelFile) -> ModelCard | None:
    """The model's card; cached by content, so a second run does not parse the model."""
    cached = modelcache.lookup(model.path)
    if cached.get("sha256") == model.sha256 and cached.get("card"):
        try:
            return card_of_doc(cached["card"])
        except SchemaError:
            pass  # a cache entry of another benchbot: read the model again
    try:
        card = model_card(model.path)
    except Exception:  # a model the host cannot read is still measured; it has no card
        return None
    modelcache.remember(model.path, sha256=model.sha256, card=card_doc(card))
    return card


def prepare(plan: Plan, profiles: Sequence[Profile], int8_mode: str, cache_dir: Path,
            say: Callable[[str], None]) -> Plan:
    """Each case with the file it measures (a cached precision/batch variant where one is
    needed, or why none can be made), its model's card and, for fp16/int8, how far the
    variant's outputs are from fp32's: all derived on the host."""
    for line in merge_notes(plan):
        say(line)
    runners = {p.name: p.runner.kind for p in profiles}
    proxies = {c.id: replace(c, precision=_precision_to_derive(c, runners[c.device]))
               for c in plan.cases}
    variants = derive_cases(proxies.values(), int8_mode, cache_dir, say)
    cards: dict[str, ModelCard | None] = {}
    cases = []
    for case in plan.cases:
        made = variants[proxies[case.id].id]
        if case.model.sha256 not in cards:
            cards[case.model.sha256] = _card(case.model)
        failed = isinstance(made, VariantError)
        cases.append(replace(case, variant=None if failed else made,
                             variant_error=str(made) if failed else None,
                             card=cards[case.model.sha256]))
    from benchbot.variants.accuracy import accuracy_of_cases  # numpy: only when measuring

    accuracy = accuracy_of_cases(cases, say=say)  # fp16/int8 outputs against fp32's
    return replace(plan, cases=tuple(replace(c, accuracy=accuracy.get(c.id)) for c in cases))


def planned(case: Case) -> PlannedCase:
    """A planned case as recorded: enough to measure it again from another directory."""
    return PlannedCase(case.id, config_of(case))


def plan_entry(case: Case) -> dict[str, object]:
    """A planned case as JSON (``run --dry-run --json``), as the run header keeps it."""
    return planned_doc(planned(case))


def device_facts(devices: Mapping[str, Device]) -> dict[str, DeviceFacts]:
    """The facts each open device read, as the run header's values."""
    return {n: facts_of_device(d.facts, n) for n, d in devices.items()}


@contextmanager
def opened(profiles: Sequence[Profile], options: DeviceOptions,
           say: Callable[[str], None]) -> Iterator[dict[str, Device]]:
    """The devices, connected; cleaned up and closed however the block ends."""
    devices: dict[str, Device] = {}
    try:
        for p in profiles:
            try:
                devices[p.name] = open_device(p, options, say=say)
            except TransportError as exc:  # unreachable: the infrastructure, exit code 3
                raise DeviceUnavailable(f"device '{p.name}' cannot be reached: {exc}") from None
        yield devices
    finally:
        for d in devices.values():
            d.close()


def owner() -> RunOwner:
    """This process, as the owner of the run it measures."""
    return RunOwner(host=socket.gethostname(), pid=os.getpid(), started_at=utc_now())


def new_record(plan: Plan, devices: dict[str, Device], run_id: str | None = None) -> RunRecord:
    return RunRecord(run_id=run_id or new_run_id(), started_at=utc_now(), command=tuple(sys.argv),
                     benchbot_version=__version__, host=host_of_doc(host_facts()),
                     devices=device_facts(devices), settings=plan.settings,
                     planned_cases=len(plan), plan=tuple(planned(c) for c in plan.cases),
                     owner=owner(), meta=dict(plan.meta), git=git_info(Path.cwd()),
                     kind="ab" if plan.settings.order == "ab" else "sweep")


def measure(plan: Plan, profiles: Sequence[Profile], options: DeviceOptions, results: Path,
            progress: Progress, say: Callable[[str], None], wait: bool = True,
            record: RunRecord | None = None, retry: Retry = Retry(),
            run_id: str | None = None) -> RunRecord:
    """Open the devices, measure every case of the plan into a (new or given) record."""
    with opened(profiles, options, say) as devices:
        for warning in thread_warnings(plan, device_facts(devices)):
            say(f"warning: {warning}")
        if record is None:
            record = new_record(plan, devices, run_id)
        else:
            record = replace(record, status="running", ended_at=None, owner=owner(),
                             devices={**record.devices, **device_facts(devices)})
        return execute(plan, devices, record, results, progress, wait=wait, retry=retry)


def find_record(run_id: str, results: Path) -> RunRecord:
    """The run with this id (or unique id prefix) in the results folder."""
    matches = [f for f in find_run_files([results]) if f.stem.startswith(run_id)]
    if len(matches) != 1:
        found = "no run" if not matches else f"{len(matches)} runs"
        raise UserError(f"{found} with id {run_id!r} in {results}; see the file names there")
    return load_run(matches[0])


def check_not_running(record: RunRecord, results: Path) -> None:
    """Refuse to resume a run that a live process is still measuring."""
    hold = hold_run_lock(results, record.run_id)  # UserError while its owner holds it
    release_run_lock(results, record.run_id, hold)
    o = record.owner
    if record.status == "running" and o is not None and o.host == socket.gethostname() \
            and o.pid != os.getpid() and _alive(o.pid):
        raise UserError(f"run {record.run_id} is still being measured by pid {o.pid} on "
                        f"{o.host}; wait for it to end (or stop it) before resuming it")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _model_of_entry(model: ModelRef, run_id: str, runtime: str) -> ModelFile:
    """The planned model, found by its absolute path (else the path as given), unchanged."""
    given = model.path
    path = Path(model.abs_path or given)
    if not path.is_file() and Path(given).is_file():
        path = Path(given)
    try:
        found = inspect_model(path, runtime)
    except UserError as exc:
        raise UserError(f"cannot resume run {run_id}: {exc}") from None
    if found.sha256 != model.sha256:
        raise UserError(f"{path} changed since run {run_id} measured it; resuming would mix "
                        "two models: start a new run")
    return replace(found, given=given) if path != Path(given) else found


def resume_plan(record: RunRecord) -> Plan:
    """The cases of a run that are missing or failed, rebuilt from its stored plan."""
    if not record.plan:
        raise UserError(f"run {record.run_id} stored no plan (an older benchbot wrote it); "
                        "start it again instead")
    settings = record.settings
    done = {c.id for c in record.cases if c.status == "ok" and not needs_more(c, settings)}
    models: dict[tuple[str, str], ModelFile] = {}
    cases = []
    for entry in record.plan:
        case_id, c = entry.id, entry.config
        if case_id in done:
            continue
        if (c.model.path, c.runtime) not in models:
            models[c.model.path, c.runtime] = _model_of_entry(c.model, record.run_id, c.runtime)
        cases.append(Case(model=models[c.model.path, c.runtime], device=c.device,
                          threads=c.threads, batch=c.batch, precision=c.precision, backend=c.backend,
                          runner=c.runner, int8_mode=c.int8_mode))
    return Plan(cases=tuple(cases), settings=settings, meta=dict(record.meta))


def profiles_of(names: Sequence[str], dirs: list[Path], runner: str | None) -> list[Profile]:
    """The named profiles, each measuring with ``runner`` when given; a runner that is
    not registered (:func:`benchbot.runners.native.runner_kinds`) is a one-line error."""
    known = runner_kinds()
    if runner is not None and runner not in known:
        raise ConfigError(f"--runner: {runner!r} is not one of {', '.join(known)}")
    found = [get_profile(name, dirs) for name in dict.fromkeys(names)]
    for profile in found:
        if not runner and profile.runner.kind not in known:
            raise ProfileError(f"{profile.source}: 'runner.kind' must be one of "
                               f"{', '.join(known)}, got {profile.runner.kind!r}")
    return [p.with_runner(runner) if runner else p for p in found]
