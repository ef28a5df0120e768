"""The one JSON codec of results (schema v2), used by the store, --resume, --dry-run --json
and the farm protocol; reads schema v1 documents by migrating them.

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

import math
from dataclasses import asdict, fields
from typing import Any, Callable, Mapping, TypeVar

from benchbot.stats import Summary
from benchbot.store.records import (FAILURE_KINDS, SCHEMA_VERSION, STATUSES, CaseConfig,
                                    CaseResult, Failure, FarmPlacement, ModelRef, ProcessRun,
                                    RunOwner, RunRecord, TensorInfo, VariantRef)

T = TypeVar("T")


class SchemaError(ValueError):
    """A results document does not have the shape of the schema; says where."""


# ------------------------------------------------------------------ encoding

def finite(value: Any) -> Any:
    """JSON has no NaN or Infinity: non-finite floats become null (deeply)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def _summary_doc(s: Summary | None) -> dict[str, Any] | None:
    return None if s is None else asdict(s)


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
            "extras": dict(run.extras)}


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
        "backend": c.backend, "runner": c.runner, "int8_mode": c.int8_mode,
        "model_ref": model_doc(c.model), "variant": variant_doc(case.variant),
        "runs": [run_doc(r) for r in case.runs], "stats_source": case.stats_source,
        "failure": None if f is None else {"kind": f.kind, "message": f.message,
                                           "output": f.output, "exit_code": f.exit_code},
        "warnings": list(case.warnings), "started_at": case.started_at,
        "ended_at": case.ended_at, "attempts": case.attempts,
        "card": None if case.card is None else dict(case.card),
        "farm": None if case.farm is None else asdict(case.farm)})


def config_doc(case_id: str, c: CaseConfig) -> dict[str, Any]:
    """A planned case (the header's ``plan``, ``run --dry-run --json``): enough to measure
    it again from any directory."""
    return {"id": case_id, "model": c.model.path, "model_abs_path": c.model.abs_path,
            "model_sha256": c.model.sha256, "model_size_bytes": c.model.size_bytes,
            "device": c.device, "runtime": c.runtime, "threads": c.threads, "batch": c.batch,
            "precision": c.precision, "backend": c.backend, "runner": c.runner,
            "int8_mode": c.int8_mode}


def config_of_doc(doc: Any, where: str = "plan entry") -> tuple[str, CaseConfig]:
    """A planned case's id and configuration (v1 plan entries included), validated."""
    at = _At(doc, where)
    model = ModelRef(path=at.get("model", _str), sha256=at.get("model_sha256", _str),
                     size_bytes=at.get("model_size_bytes", _int, 0),
                     abs_path=at.get("model_abs_path", _str, ""))
    precision = at.get("precision", _str)
    return at.get("id", _str), CaseConfig(
        model=model, device=at.get("device", _str), runtime=at.get("runtime", _str, ""),
        threads=at.get("threads", _int), batch=at.get("batch", _int), precision=precision,
        backend=at.get("backend", _str, "cpu"), runner=at.get("runner", _str, "agent"),
        int8_mode=at.get("int8_mode", _opt(_str), "static" if precision == "int8" else None))


def header_doc(record: RunRecord, journal: str | None = None) -> dict[str, Any]:
    """Everything of the run but its cases."""
    doc = {"schema_version": SCHEMA_VERSION, "run_id": record.run_id,
           "status": record.status, "started_at": record.started_at,
           "ended_at": record.ended_at, "command": list(record.command),
           "benchbot_version": record.benchbot_version, "host": dict(record.host),
           "devices": dict(record.devices), "runtime_versions": record.runtime_versions,
           "settings": dict(record.settings), "planned_cases": record.planned_cases,
           "plan": [dict(p) for p in record.plan],
           "owner": None if record.owner is None else asdict(record.owner)}
    if journal is not None:
        doc["journal"] = journal
    return finite(doc)


def record_doc(record: RunRecord) -> dict[str, Any]:
    """The whole run as one JSON document (the form of a finished results file)."""
    return {**header_doc(record), "cases": [case_doc(c) for c in record.cases]}


# ------------------------------------------------------------------ decoding

class _At:
    """A JSON object being read, with its place in the document for error messages."""

    def __init__(self, doc: Any, where: str) -> None:
        if not isinstance(doc, dict):
            raise SchemaError(f"{where or 'the document'}: expected an object, "
                              f"got {type(doc).__name__}")
        self.doc = doc
        self.where = where

    def _place(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, check: Callable[[Any, str], T], default: Any = ...) -> T:
        if key not in self.doc or (self.doc[key] is None and default is not ...):
            if default is ...:
                raise SchemaError(f"{self._place(key)}: missing")
            return default  # type: ignore[no-any-return]
        return check(self.doc[key], self._place(key))

    def sub(self, key: str) -> _At | None:
        value = self.doc.get(key)
        return None if value is None else _At(value, self._place(key))


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise SchemaError(f"{where}: expected a string, got {v!r}")
    return v


def _int(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise SchemaError(f"{where}: expected a whole number, got {v!r}")
    return v


def _num(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise SchemaError(f"{where}: expected a finite number, got {v!r}")
    return float(v)


def _opt(check: Callable[[Any, str], T]) -> Callable[[Any, str], T | None]:
    return lambda v, where: None if v is None else check(v, where)


def _list(check: Callable[[Any, str], T]) -> Callable[[Any, str], tuple[T, ...]]:
    def read(v: Any, where: str) -> tuple[T, ...]:
        if not isinstance(v, list):
            raise SchemaError(f"{where}: expected a list, got {type(v).__name__}")
        return tuple(check(x, f"{where}[{i}]") for i, x in enumerate(v))
    return read


def _map(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise SchemaError(f"{where}: expected an object, got {type(v).__name__}")
    return v


def _one_of(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def read(v: Any, where: str) -> str:
        if v not in choices:
            raise SchemaError(f"{where}: expected one of {', '.join(choices)}, got {v!r}")
        return str(v)
    return read


def _summary(v: Any, where: str) -> Summary:
    at = _At(v, where)
    values = {f.name: at.get(f.name, _opt(_num), None) for f in fields(Summary)}
    values["n"] = at.get("n", _int)
    if values["mean_ms"] is None:
        raise SchemaError(f"{where}.mean_ms: missing")
    return Summary(**values)


def _shape_dim(v: Any, where: str) -> int | str:
    if isinstance(v, str):
        return v
    return _int(v, where)


def _tensor(v: Any, where: str) -> TensorInfo:
    at = _At(v, where)
    return TensorInfo(name=at.get("name", _str, ""), dtype=at.get("dtype", _str, ""),
                      shape=at.get("shape", _list(_shape_dim), ()))


def _run(v: Any, where: str, samples: list[float], start: int) -> tuple[ProcessRun, int]:
    at = _At(v, where)
    count = at.get("sample_count", _int, 0)
    if start + count > len(samples):
        raise SchemaError(f"{where}.sample_count: {count} samples from index {start}, but "
                          f"the case has {len(samples)}")
    state = at.get("device_state", _map, None)
    run = ProcessRun(samples_ms=tuple(samples[start:start + count]),
                     aggregates=at.get("aggregates", _opt(_summary), None),
                     started_at=at.get("started_at", _str, ""),
                     ended_at=at.get("ended_at", _str, ""),
                     runtime_version=at.get("runtime_version", _opt(_str), None),
                     provider=at.get("provider", _opt(_str), None),
                     threads_applied=at.get("threads_applied", _opt(_int), None),
                     cpu_affinity=at.get("cpu_affinity", _opt(_list(_int)), None),
                     load_ms=at.get("load_ms", _opt(_num), None),
                     first_inference_ms=at.get("first_inference_ms", _opt(_num), None),
                     peak_rss_mb=at.get("peak_rss_mb", _opt(_num), None),
                     stop_reason=at.get("stop_reason", _opt(_str), None),
                     inputs=at.get("inputs", _list(_tensor), ()),
                     device_state=state, extras=at.get("extras", _map, {}))
    return run, start + count


def _model_ref(at: _At) -> ModelRef:
    ref = at.sub("model_ref")
    if ref is None:  # v1: the flat keys are all there is
        size_mb = at.get("model_size_mb", _num, 0.0)
        return ModelRef(path=at.get("model", _str), sha256=at.get("model_sha256", _str, ""),
                        size_bytes=round(size_mb * 1e6))
    return ModelRef(path=ref.get("path", _str), sha256=ref.get("sha256", _str),
                    size_bytes=ref.get("size_bytes", _int), abs_path=ref.get("abs_path", _str, ""),
                    name=ref.get("name", _str, ""))


def _variant(v: Any, where: str) -> VariantRef:
    at = _At(v, where)
    size = at.get("size_bytes", _opt(_int), None)
    if size is None:  # v1 kept the size in MB only
        size = round(at.get("size_mb", _num, 0.0) * 1e6)
    return VariantRef(path=at.get("path", _str), sha256=at.get("sha256", _str),
                      size_bytes=size, derivation=at.get("derivation", _map, {}))


def _failure(v: Any, where: str) -> Failure:
    at = _At(v, where)
    return Failure(kind=at.get("kind", _one_of(FAILURE_KINDS)),
                   message=at.get("message", _str), output=at.get("output", _str, ""),
                   exit_code=at.get("exit_code", _opt(_int), None))


def _farm(v: Any, where: str) -> FarmPlacement:
    at = _At(v, where)
    return FarmPlacement(worker=at.get("worker", _str), address=at.get("address", _str, ""),
                         serial=at.get("serial", _opt(_str), None))


def case_of_doc(doc: Any, where: str = "case") -> CaseResult:
    """A case from its JSON (v2, or v1 migrated); SchemaError naming the bad field."""
    at = _At(doc, where)
    if "runs" not in at.doc:
        return _case_of_v1(at)
    samples = list(at.get("samples_ms", _list(_num), ()))
    raw_runs = at.get("runs", lambda v, w: _list(lambda x, _: x)(v, w))
    runs, start = [], 0
    for i, raw in enumerate(raw_runs):
        run, start = _run(raw, f"{at._place('runs')}[{i}]", samples, start)
        runs.append(run)
    if start != len(samples):
        raise SchemaError(f"{at._place('runs')}: the runs hold {start} samples, "
                          f"samples_ms has {len(samples)}")
    return _case(at, tuple(runs), at.get("failure", _opt(_failure), None),
                 attempts=at.get("attempts", _int, 1), card=at.get("card", _map, None),
                 farm=at.get("farm", _opt(_farm), None),
                 variant=at.get("variant", _opt(_variant), None))


def _case(at: _At, runs: tuple[ProcessRun, ...], failure: Failure | None, *, attempts: int,
          card: Mapping[str, Any] | None, farm: FarmPlacement | None,
          variant: VariantRef | None) -> CaseResult:
    status = at.get("status", _one_of(STATUSES))
    config = CaseConfig(model=_model_ref(at), device=at.get("device", _str),
                        runtime=at.get("runtime", _str), threads=at.get("threads", _int),
                        batch=at.get("batch", _int), precision=at.get("precision", _str),
                        backend=at.get("backend", _str, "cpu"),
                        runner=at.get("runner", _str, "agent"),
                        int8_mode=at.get("int8_mode", _opt(_str), None))
    stats = at.get("stats", _opt(_summary), None)
    if status == "ok" and stats is None:
        raise SchemaError(f"{at._place('stats')}: an ok case has statistics")
    if status == "failed" and failure is None:
        failure = Failure("runtime_error", at.get("error", _str, "") or "failed")
    return CaseResult(id=at.get("id", _str), config=config, status=status, runs=runs,
                      stats=stats, stats_source=at.get("stats_source",
                                                       _one_of(("samples", "aggregates")),
                                                       "samples"),
                      failure=failure, warnings=at.get("warnings", _list(_str), ()),
                      started_at=at.get("started_at", _str, ""),
                      ended_at=at.get("ended_at", _str, ""), attempts=attempts,
                      variant=variant, card=card, farm=farm)


# v1 kept what the runner reported in one ``measurement`` mapping
_V1_RUN_FIELDS = {"runtime_version": _opt(_str), "provider": _opt(_str),
                  "threads_applied": _opt(_int), "cpu_affinity": _opt(_list(_int)),
                  "load_ms": _opt(_num), "first_inference_ms": _opt(_num),
                  "peak_rss_mb": _opt(_num), "stop_reason": _opt(_str),
                  "inputs": _list(_tensor)}
_V1_CASE_KEYS = {"device_lost", "attempts", "model_card", "variant", "farm", "device_state"}


def _case_of_v1(at: _At) -> CaseResult:
    m = at.sub("measurement")
    measurement = m.doc if m is not None else {}
    values = {name: check(measurement[name], f"{m.where}.{name}")  # type: ignore[union-attr]
              for name, check in _V1_RUN_FIELDS.items() if measurement.get(name) is not None}
    extras = {k: v for k, v in measurement.items()
              if k not in _V1_RUN_FIELDS and k not in _V1_CASE_KEYS}
    samples = at.get("samples_ms", _list(_num), ())
    run = ProcessRun(samples_ms=samples, started_at=at.get("started_at", _str, ""),
                     ended_at=at.get("ended_at", _str, ""),
                     device_state=measurement.get("device_state"), extras=extras, **values)
    failure = None
    if at.get("status", _str) == "failed":
        kind = "device_lost" if measurement.get("device_lost") else "runtime_error"
        failure = Failure(kind, at.get("error", _opt(_str), None) or "failed")
    where = m.where if m is not None else at.where
    farm = _farm(measurement["farm"], f"{where}.farm") if measurement.get("farm") else None
    variant = (_variant(measurement["variant"], f"{where}.variant")
               if measurement.get("variant") else None)
    return _case(at, (run,), failure, attempts=int(measurement.get("attempts") or 1),
                 card=measurement.get("model_card"), farm=farm, variant=variant)


def header_of_doc(doc: Any) -> RunRecord:
    """The run without its cases (they come from ``cases`` or the journal)."""
    at = _At(doc, "")
    owner = at.sub("owner")
    return RunRecord(
        run_id=at.get("run_id", _str), started_at=at.get("started_at", _str),
        command=at.get("command", _list(_str), ()),
        benchbot_version=at.get("benchbot_version", _str, ""),
        host=at.get("host", _map, {}), devices=at.get("devices", _map, {}),
        settings=at.get("settings", _map, {}), planned_cases=at.get("planned_cases", _int, 0),
        status=at.get("status", _one_of(("running", "complete", "interrupted")), "complete"),
        ended_at=at.get("ended_at", _opt(_str), None),
        plan=at.get("plan", _list(_map), ()),
        owner=None if owner is None else RunOwner(host=owner.get("host", _str),
                                                  pid=owner.get("pid", _int),
                                                  started_at=owner.get("started_at", _str, "")),
        schema_version=at.get("schema_version", _int))


def record_of_doc(doc: Any) -> RunRecord:
    """A whole run from its JSON document (v2, or v1 migrated)."""
    from dataclasses import replace

    header = header_of_doc(doc)
    cases = _list(case_of_doc)(doc.get("cases", []), "cases")
    return replace(header, cases=cases)
