"""The one JSON codec of results (schema 3), used by the store, --resume, --dry-run --json
and the farm protocol; decodes each earlier schema by its ``schema_version`` (the
history: :mod:`benchbot.store.formats`), schema 1 by migrating it
(:mod:`benchbot.store.codec_v1`). The header's values (settings, facts, plan, model
card) are in :mod:`benchbot.store.codec_values`, re-exported here.

A case's JSON keeps the v1 keys with their v1 meaning (``model`` the path as given,
``model_sha256``, ``model_size_mb``, ``device``, ``runtime``, ``threads``, ``batch``,
``precision``, ``status``, ``error``, ``samples_ms`` = every sample of the case,
``stats``); the v2 parts sit beside them: ``model_ref``, ``backend``, ``runner``,
``int8_mode``, ``variant``, ``runs`` (one per measuring process; a run's samples are
its ``sample_count`` consecutive values of ``samples_ms``, so no sample is written
twice), ``failure``, ``attempts``, ``card``, ``farm``.

Decoding validates deeply: a malformed field raises :class:`SchemaError` naming the
field's place (``cases[3].runs[0].load_ms``), which the loader turns into a one-line
error naming the file.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from datetime import datetime
from typing import Any

from benchbot.stats import Summary
from benchbot.store.card import ModelCard
from benchbot.store.facts import HostFacts
from benchbot.store.settings import MeasureSettings
from benchbot.stats.parts import ci_parts
from benchbot.store.jsonread import (At, SchemaError, finite, listed, mapping, number,
                                     one_of, optional, text, whole)
from benchbot.store.findings import (Validity, accuracy_doc, accuracy_of_doc, op_profile_doc,
                                     op_profile_of_doc, placement_doc, placement_of_doc,
                                     validity_doc, validity_of_doc)
from benchbot.store.series import energy_doc, energy_of_doc, sustained_doc, sustained_of_doc
from benchbot.store.codec_values import (card_doc, card_of_doc, config_doc, device_doc,
                                         device_of_doc, facts_of_device, host_doc, host_of_doc,
                                         planned_doc, planned_of_doc, settings_doc,
                                         settings_of_doc, with_phone)
from benchbot.store.formats import CURRENT, version_of
from benchbot.store.records import (FAILURE_KINDS, RUN_KINDS, SCHEMA_VERSION, STATUSES,
                                    CaseConfig, CaseResult, Failure, FarmPlacement, GitInfo,
                                    MemoryFigure, ModelRef, ProcessRun, RunOwner, RunRecord,
                                    Schedule, TensorInfo, VariantRef)

__all__ = ["SchemaError", "card_doc", "card_of_doc", "case_doc", "case_of_doc", "config_doc",
           "device_doc", "device_of_doc", "facts_of_device", "header_doc", "header_of_doc",
           "host_doc", "host_of_doc", "planned_doc", "planned_of_doc", "record_doc",
           "record_of_doc", "run_doc", "settings_doc", "settings_of_doc", "version_of",
           "with_phone"]

# ------------------------------------------------------------------ encoding

def _summary_doc(s: Summary | None) -> dict[str, Any] | None:
    return None if s is None else asdict(s)


def _parts_doc(s: Summary | None) -> dict[str, Any] | None:
    """What the case's 95% CI (stats.ci95_*) is made of; derived, never read back."""
    parts = ci_parts(s)
    return None if parts is None else parts.to_dict()


def run_doc(run: ProcessRun) -> dict[str, Any]:
    return {"sample_count": len(run.samples_ms), "aggregates": _summary_doc(run.aggregates),
            "started_at": run.started_at, "ended_at": run.ended_at,
            "runtime_version": run.runtime_version, "provider": run.provider,
            "threads_applied": run.threads_applied,
            "cpu_affinity": None if run.cpu_affinity is None else list(run.cpu_affinity),
            "load_ms": run.load_ms, "first_inference_ms": run.first_inference_ms,
            "peak_rss_mb": run.peak_rss_mb, "stop_reason": run.stop_reason,
            "inputs": [{"name": i.name, "dtype": i.dtype, "shape": list(i.shape)}
                       for i in run.inputs],
            "device_state": None if run.device_state is None else dict(run.device_state),
            "throttled": run.throttled, "thermal_gate_timeout": run.thermal_gate_timeout,
            "memory": [{"name": m.name, "mb": m.mb, "scope": m.scope} for m in run.memory],
            "extras": dict(run.extras), "log_file": run.log_file}


def model_doc(m: ModelRef) -> dict[str, Any]:
    return {"path": m.path, "abs_path": m.abs_path, "sha256": m.sha256,
            "size_bytes": m.size_bytes, "name": m.name}


def variant_doc(v: VariantRef | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {"path": v.path, "sha256": v.sha256, "size_bytes": v.size_bytes,
            "size_mb": round(v.size_mb, 6), "derivation": dict(v.derivation)}


def case_doc(case: CaseResult) -> dict[str, Any]:
    """The case as JSON (see the module docstring for the layout)."""
    c = case.config
    f = case.failure
    return finite({
        "id": case.id, "model": c.model.path, "model_sha256": c.model.sha256,
        "model_size_mb": case.model_size_mb, "device": c.device, "runtime": c.runtime,
        "threads": c.threads, "batch": c.batch, "precision": c.precision,
        "status": case.status, "error": case.error, "samples_ms": list(case.samples_ms),
        "stats": _summary_doc(case.stats),
        "ci_parts": _parts_doc(case.stats),
        "backend": c.backend, "runner": c.runner, "int8_mode": c.int8_mode,
        "model_ref": model_doc(c.model), "variant": variant_doc(case.variant),
        "runs": [run_doc(r) for r in case.runs], "stats_source": case.stats_source,
        "failure": None if f is None else {"kind": f.kind, "message": f.message,
                                           "output": f.output, "exit_code": f.exit_code},
        "warnings": list(case.warnings), "started_at": case.started_at,
        "ended_at": case.ended_at, "attempts": case.attempts,
        "card": None if case.card is None else card_doc(case.card),
        "farm": None if case.farm is None else asdict(case.farm),
        "valid": case.valid, "validity": validity_doc(case.validity)["codes"],
        "op_profile": None if case.op_profile is None else op_profile_doc(case.op_profile),
        "placement": None if case.placement is None else placement_doc(case.placement),
        "accuracy": None if case.accuracy is None else accuracy_doc(case.accuracy),
        "sustained": None if case.sustained is None else sustained_doc(case.sustained),
        "energy": None if case.energy is None else energy_doc(case.energy)})


def header_doc(record: RunRecord, journal: str | None = None) -> dict[str, Any]:
    """Everything of the run but its cases."""
    doc = {"schema_version": SCHEMA_VERSION, "run_id": record.run_id, "kind": record.kind,
           "status": record.status, "started_at": record.started_at,
           "ended_at": record.ended_at, "command": list(record.command),
           "benchbot_version": record.benchbot_version, "host": host_doc(record.host),
           "devices": {name: device_doc(d) for name, d in record.devices.items()},
           "runtime_versions": record.runtime_versions,
           "settings": settings_doc(record.settings), "planned_cases": record.planned_cases,
           "plan": [planned_doc(p) for p in record.plan],
           "owner": None if record.owner is None else asdict(record.owner),
           "meta": dict(record.meta), "git": None if record.git is None else asdict(record.git),
           "schedule": asdict(record.schedule)}
    if journal is not None:
        doc["journal"] = journal
    return finite(doc)


def record_doc(record: RunRecord) -> dict[str, Any]:
    """The whole run as one JSON document (the form of a finished results file)."""
    return {**header_doc(record), "cases": [case_doc(c) for c in record.cases]}


# ------------------------------------------------------------------ decoding

def _summary(v: Any, where: str) -> Summary:
    at = At(v, where)
    values = {f.name: at.get(f.name, optional(number), None) for f in fields(Summary)}
    values["n"] = at.get("n", whole)
    values["processes"] = at.get("processes", whole, 1)
    values["between_runs_from"] = at.get("between_runs_from", optional(whole), None)
    if values["mean_ms"] is None:
        raise SchemaError(f"{where}.mean_ms: missing")
    return Summary(**values)


def _iso_time(v: Any, where: str) -> str:
    value = text(v, where)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise SchemaError(f"{where}: {value!r} is not an ISO 8601 time such as "
                          "2025-01-31T12:00:00+00:00") from None
    return value


def _flag(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise SchemaError(f"{where}: expected true or false, got {v!r}")
    return v


def _shape_dim(v: Any, where: str) -> int | str:
    if isinstance(v, str):
        return v
    return whole(v, where)


def _tensor(v: Any, where: str) -> TensorInfo:
    at = At(v, where)
    return TensorInfo(name=at.get("name", text, ""), dtype=at.get("dtype", text, ""),
                      shape=at.get("shape", listed(_shape_dim), ()))


def _run(v: Any, where: str, samples: list[float], start: int) -> tuple[ProcessRun, int]:
    at = At(v, where)
    count = at.get("sample_count", whole, 0)
    if start + count > len(samples):
        raise SchemaError(f"{where}.sample_count: {count} samples from index {start}, but "
                          f"the case has {len(samples)}")
    state = at.get("device_state", mapping, None)
    run = ProcessRun(samples_ms=tuple(samples[start:start + count]),
                     aggregates=at.get("aggregates", optional(_summary), None),
                     started_at=at.get("started_at", text, ""),
                     ended_at=at.get("ended_at", text, ""),
                     runtime_version=at.get("runtime_version", optional(text), None),
                     provider=at.get("provider", optional(text), None),
                     threads_applied=at.get("threads_applied", optional(whole), None),
                     cpu_affinity=at.get("cpu_affinity", optional(listed(whole)), None),
                     load_ms=at.get("load_ms", optional(number), None),
                     first_inference_ms=at.get("first_inference_ms", optional(number), None),
                     peak_rss_mb=at.get("peak_rss_mb", optional(number), None),
                     stop_reason=at.get("stop_reason", optional(text), None),
                     inputs=at.get("inputs", listed(_tensor), ()),
                     device_state=state, extras=at.get("extras", mapping, {}),
                     throttled=at.get("throttled", _flag, False),
                     thermal_gate_timeout=at.get("thermal_gate_timeout", _flag, False),
                     memory=at.get("memory", listed(_memory), ()),
                     log_file=at.get("log_file", optional(text), None))
    return run, start + count


def _memory(v: Any, where: str) -> MemoryFigure:
    at = At(v, where)
    return MemoryFigure(name=at.get("name", text), mb=at.get("mb", number),
                        scope=at.get("scope", text, ""))


def _model_ref(at: At, version: int) -> ModelRef:
    if version == 1:  # the flat keys are all there is
        size_mb = at.get("model_size_mb", number, 0.0)
        return ModelRef(path=at.get("model", text), sha256=at.get("model_sha256", text, ""),
                        size_bytes=round(size_mb * 1e6))
    ref = At(at.get("model_ref", mapping), at._place("model_ref"))
    return ModelRef(path=ref.get("path", text), sha256=ref.get("sha256", text),
                    size_bytes=ref.get("size_bytes", whole), abs_path=ref.get("abs_path", text, ""),
                    name=ref.get("name", text, ""))


def _variant(v: Any, where: str, version: int = CURRENT) -> VariantRef:
    at = At(v, where)
    if version == 1:  # the size in MB only
        size = round(at.get("size_mb", number, 0.0) * 1e6)
    else:
        size = at.get("size_bytes", whole)
    return VariantRef(path=at.get("path", text), sha256=at.get("sha256", text),
                      size_bytes=size, derivation=at.get("derivation", mapping, {}))


def _failure(v: Any, where: str) -> Failure:
    at = At(v, where)
    return Failure(kind=at.get("kind", one_of(FAILURE_KINDS)),
                   message=at.get("message", text), output=at.get("output", text, ""),
                   exit_code=at.get("exit_code", optional(whole), None))


def _farm(v: Any, where: str) -> FarmPlacement:
    at = At(v, where)
    return FarmPlacement(worker=at.get("worker", text), address=at.get("address", text, ""),
                         serial=at.get("serial", optional(text), None))


def case_of_doc(doc: Any, where: str = "case", version: int = CURRENT) -> CaseResult:
    """A case from its JSON, written in schema ``version`` (the version of the results
    file, or of the farm job, it came in); SchemaError naming the bad field."""
    at = At(doc, where)
    if version == 1:
        from benchbot.store.codec_v1 import case_of_v1

        return case_of_v1(at)
    samples = list(at.get("samples_ms", listed(number), ()))
    raw_runs = at.get("runs", lambda v, w: listed(lambda x, _: x)(v, w))
    runs, start = [], 0
    for i, raw in enumerate(raw_runs):
        run, start = _run(raw, f"{at._place('runs')}[{i}]", samples, start)
        runs.append(run)
    if start != len(samples):
        raise SchemaError(f"{at._place('runs')}: the runs hold {start} samples, "
                          f"samples_ms has {len(samples)}")
    case = _case(at, tuple(runs), at.get("failure", optional(_failure), None),
                 attempts=at.get("attempts", whole, 1),
                 card=at.get("card", optional(card_of_doc), None),
                 farm=at.get("farm", optional(_farm), None),
                 variant=at.get("variant", optional(_variant), None))
    codes = at.get("validity", lambda v, w: validity_of_doc({"codes": v}, w), None)
    return replace(case, validity=codes or Validity(),
                   op_profile=at.get("op_profile", optional(op_profile_of_doc), None),
                   placement=at.get("placement", optional(placement_of_doc), None),
                   accuracy=at.get("accuracy", optional(accuracy_of_doc), None),
                   sustained=at.get("sustained", optional(sustained_of_doc), None),
                   energy=at.get("energy", optional(energy_of_doc), None))


def _case(at: At, runs: tuple[ProcessRun, ...], failure: Failure | None, *, attempts: int,
          card: ModelCard | None, farm: FarmPlacement | None,
          variant: VariantRef | None, version: int = CURRENT) -> CaseResult:
    status = at.get("status", one_of(STATUSES))
    config = CaseConfig(model=_model_ref(at, version), device=at.get("device", text),
                        runtime=at.get("runtime", text), threads=at.get("threads", whole),
                        batch=at.get("batch", whole), precision=at.get("precision", text),
                        backend=at.get("backend", text, "cpu"),
                        runner=at.get("runner", text, "agent"),
                        int8_mode=at.get("int8_mode", optional(text), None))
    stats = at.get("stats", optional(_summary), None)
    if status == "ok" and stats is None:
        raise SchemaError(f"{at._place('stats')}: an ok case has statistics")
    if status == "failed" and failure is None:
        failure = Failure("runtime_error", at.get("error", text, "") or "failed")
    return CaseResult(id=at.get("id", text), config=config, status=status, runs=runs,
                      stats=stats, stats_source=at.get("stats_source",
                                                       one_of(("samples", "aggregates")),
                                                       "samples"),
                      failure=failure, warnings=at.get("warnings", listed(text), ()),
                      started_at=at.get("started_at", text, ""),
                      ended_at=at.get("ended_at", text, ""), attempts=attempts,
                      variant=variant, card=card, farm=farm)


def _kind(at: At, version: int) -> str:
    """Schema 3 says whether a run is an A/B session; before it, its ``meta`` did."""
    if version >= 3:
        return at.get("kind", one_of(RUN_KINDS))
    return "ab" if "ab_baseline" in at.get("meta", mapping, {}) else "sweep"


def header_of_doc(doc: Any) -> RunRecord:
    """The run without its cases (they come from ``cases`` or the journal), decoded by
    its ``schema_version``."""
    version = version_of(doc)
    at = At(doc, "")
    owner, git, schedule = at.sub("owner"), at.sub("git"), at.sub("schedule")

    def devices(v: Any, where: str) -> dict[str, Any]:
        return {str(k): device_of_doc(d, f"{where}.{k}", version)
                for k, d in mapping(v, where).items()}

    return RunRecord(
        run_id=at.get("run_id", text), started_at=at.get("started_at", _iso_time),
        command=at.get("command", listed(text), ()),
        benchbot_version=at.get("benchbot_version", text, ""),
        host=at.get("host", lambda v, w: host_of_doc(v, w, version), HostFacts()),
        devices=at.get("devices", devices, {}),
        settings=at.get("settings", lambda v, w: settings_of_doc(v, w, version),
                        MeasureSettings()),
        planned_cases=at.get("planned_cases", whole, 0),
        status=at.get("status", one_of(("running", "complete", "interrupted")), "complete"),
        ended_at=at.get("ended_at", optional(text), None),
        plan=at.get("plan", listed(lambda v, w: planned_of_doc(v, w, version)), ()),
        owner=None if owner is None else RunOwner(host=owner.get("host", text),
                                                  pid=owner.get("pid", whole),
                                                  started_at=owner.get("started_at", text, "")),
        meta={k: text(v, f"meta.{k}") for k, v in at.get("meta", mapping, {}).items()},
        git=None if git is None else GitInfo(commit=git.get("commit", text),
                                             branch=git.get("branch", optional(text), None),
                                             dirty=bool(git.get("dirty", lambda v, w: v, False))),
        schedule=Schedule(order=schedule.get("order", one_of(("sequential", "interleaved", "ab")),
                                             "sequential"),
                          seed=schedule.get("seed", optional(whole), None))
        if schedule is not None else Schedule(),
        kind=_kind(at, version), schema_version=version)


def record_of_doc(doc: Any) -> RunRecord:
    """A whole run from its JSON document, decoded by its ``schema_version``."""
    header = header_of_doc(doc)
    cases = listed(lambda v, w: case_of_doc(v, w, header.schema_version))(
        doc.get("cases", []), "cases")
    return replace(header, cases=cases)
