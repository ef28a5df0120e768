"""JSON of the typed values a run header and a case carry: the measure settings, the
host's and devices' facts, the plan's cases, the model card. Part of the one codec
(:mod:`benchbot.store.codec` re-exports it); each decoder takes the document's
``schema_version`` (see :mod:`benchbot.store.formats`) and validates deeply, raising
SchemaError naming the field's place.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any, Mapping

from benchbot.errors import ConfigError
from benchbot.store.card import ModelCard, TensorSpec
from benchbot.store.facts import (DEVICE_KINDS, KIND_OF_TRANSPORT, Cluster, DeviceFacts, Gpu,
                                  HostFacts)
from benchbot.store.formats import CURRENT
from benchbot.store.jsonread import (At, SchemaError, listed, mapping, number, one_of, optional,
                                     text, whole)
from benchbot.store.records import CaseConfig, ModelRef, PlannedCase
from benchbot.store.settings import ORDERS, MeasureSettings

# ------------------------------------------------------------------ measure settings

def settings_doc(s: MeasureSettings) -> dict[str, Any]:
    doc = asdict(s)
    doc["input_shape"] = None if s.input_shape is None else list(s.input_shape)
    return doc


def _flag(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise SchemaError(f"{where}: expected true or false, got {v!r}")
    return v


_SETTING_CHECKS: Mapping[str, Any] = {
    "warmup": whole, "min_runs": whole, "max_runs": whole, "min_time_s": number,
    "max_time_s": number, "timeout_s": optional(number), "repeat": optional(whole),
    "max_repeat": whole, "target_ci": number, "valid_ci": number, "alpha": number,
    "budget_s": number, "order": one_of(ORDERS), "seed": optional(whole),
    "profile_ops": _flag, "min_cosine": number, "sustained_s": optional(number),
    "window_s": number, "rate_hz": optional(number), "max_temp_c": optional(number),
    "energy": _flag, "input_shape": optional(listed(whole))}
# schema 1 knew these; its runs measured one process per case, in plan order
_V1_SETTINGS = ("warmup", "min_runs", "max_runs", "min_time_s", "max_time_s", "timeout_s")


def settings_of_doc(doc: Any, where: str = "settings",
                    version: int = CURRENT) -> MeasureSettings:
    """The measure settings of a run (or of a farm job); a setting a document does not
    have takes its default (a setting added after the file was written)."""
    at = At(doc, where)
    names = _V1_SETTINGS if version == 1 else tuple(_SETTING_CHECKS)
    values = {name: at.get(name, _SETTING_CHECKS[name], None) for name in names}
    values = {k: v for k, v in values.items() if v is not None}  # absent or null: the default
    if version == 1:
        values.update(repeat=1, order="sequential")
    if values.get("input_shape") is not None:
        values["input_shape"] = tuple(values["input_shape"])
    try:
        return MeasureSettings(**values)
    except ConfigError as exc:
        raise SchemaError(f"{where}: {exc}") from None


# ------------------------------------------------------------------ host and device facts

def host_doc(h: HostFacts) -> dict[str, Any]:
    return {**asdict(h), "max_freq_khz": dict(h.max_freq_khz)}


def _khz(v: Any, where: str) -> dict[str, int]:
    return {str(k): whole(x, f"{where}.{k}") for k, x in mapping(v, where).items()}


def host_of_doc(doc: Any, where: str = "host", version: int = CURRENT) -> HostFacts:
    at = At(doc, where)
    return HostFacts(hostname=at.get("hostname", text, ""), os=at.get("os", optional(text), None),
                     machine=at.get("machine", optional(text), None),
                     cpu_model=at.get("cpu_model", optional(text), None),
                     cores=at.get("cores", optional(whole), None),
                     max_freq_khz=at.get("max_freq_khz", _khz, {}),
                     memory_gb=at.get("memory_gb", optional(number), None),
                     python=at.get("python", optional(text), None))


# the keys a device of each kind is written with (and the ones every device has)
_COMMON = ("profile", "label", "transport", "runner")
_OF_KIND: Mapping[str, tuple[str, ...]] = {
    "host": ("hostname", "os", "machine", "cpu_model", "cores", "max_freq_khz", "memory_gb",
             "python"),
    "server": ("host", "os", "cores", "cpu_model", "python", "gpus", "cuda"),
    "phone": ("serial", "adb_server", "model", "manufacturer", "soc", "platform", "android",
              "sdk", "abi", "clusters", "max_temp_c", "battery")}
_TEXTS = ("hostname", "host", "os", "machine", "cpu_model", "python", "cuda", "serial",
          "adb_server", "model", "manufacturer", "soc", "platform", "android", "sdk", "abi")


def device_doc(d: DeviceFacts) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": d.kind, **{k: getattr(d, k) for k in _COMMON}}
    for key in _OF_KIND[d.kind]:
        doc[key] = getattr(d, key)
    if d.max_freq_khz is not None and "max_freq_khz" in doc:
        doc["max_freq_khz"] = dict(d.max_freq_khz)
    if d.gpus is not None and "gpus" in doc:
        doc["gpus"] = [asdict(g) for g in d.gpus]
    if d.clusters is not None and "clusters" in doc:
        doc["clusters"] = [{"cpus": list(c.cpus), "max_freq_khz": c.max_freq_khz}
                           for c in d.clusters]
    if d.battery is not None and "battery" in doc:
        doc["battery"] = dict(d.battery)
    if d.farm_phones:
        doc["farm"] = {"phones": dict(d.farm_phones)}
    return {**dict(d.extras), **doc}


def _gpu(v: Any, where: str) -> Gpu:
    at = At(v, where)
    return Gpu(name=at.get("name", text), driver=at.get("driver", optional(text), None),
               **{f.name: at.get(f.name, optional(number), None) for f in fields(Gpu)
                  if f.name not in ("name", "driver")})


def _cluster(v: Any, where: str) -> Cluster:
    at = At(v, where)
    return Cluster(cpus=at.get("cpus", listed(whole), ()),
                   max_freq_khz=at.get("max_freq_khz", optional(whole), None))


def _loose_text(v: Any, where: str) -> str:
    """A fact read from a device's properties: text, or a number it printed."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    return text(v, where)


def device_of_doc(doc: Any, where: str = "device", version: int = CURRENT) -> DeviceFacts:
    """A device's facts. Before schema 3 its kind follows from its transport (a device
    recorded without one, by a test or a tool, counts as a host)."""
    at = At(doc, where)
    transport = at.get("transport", text, "")
    if version >= 3:
        kind = at.get("kind", one_of(DEVICE_KINDS))
    else:
        kind = KIND_OF_TRANSPORT.get(transport, "host")
    values: dict[str, Any] = {k: at.get(k, text, "") for k in _COMMON}
    for key in _TEXTS:
        values[key] = at.get(key, optional(_loose_text), None)
    farm = at.sub("farm")
    phones = farm.get("phones", mapping, {}) if farm is not None else {}
    known = {"kind", "farm", *_COMMON, *(k for keys in _OF_KIND.values() for k in keys)}
    return DeviceFacts(
        kind=kind, **values, cores=at.get("cores", optional(whole), None),
        max_freq_khz=at.get("max_freq_khz", optional(_khz), None),
        memory_gb=at.get("memory_gb", optional(number), None),
        gpus=at.get("gpus", optional(listed(_gpu)), None),
        clusters=at.get("clusters", optional(listed(_cluster)), None),
        max_temp_c=at.get("max_temp_c", optional(number), None),
        battery=at.get("battery", optional(mapping), None),
        farm_phones={str(k): text(v, f"{where}.farm.phones.{k}") for k, v in phones.items()},
        extras={k: v for k, v in at.doc.items() if k not in known})


def facts_of_device(raw: Mapping[str, Any], name: str = "device") -> DeviceFacts:
    """The facts :mod:`benchbot.devices` read when it opened a device (a mapping of the
    same keys as a results file's device), as a value; its kind from its transport."""
    kind = KIND_OF_TRANSPORT.get(str(raw.get("transport") or ""), "host")
    return device_of_doc({**raw, "kind": kind}, f"devices.{name}")


def with_phone(d: DeviceFacts, facts: DeviceFacts, serial: str, worker: str) -> DeviceFacts:
    """A farm device with the facts of a phone that measured one of its cases: the first
    phone's facts describe the device; every phone is listed with its worker."""
    kept = d if d.read else replace(facts, profile=d.profile or facts.profile,
                                    label=d.label or facts.label,
                                    transport=d.transport or facts.transport,
                                    runner=d.runner or facts.runner)
    return replace(kept, farm_phones={**d.farm_phones, serial: worker})


# ------------------------------------------------------------------ the plan

def config_doc(case_id: str, c: CaseConfig) -> dict[str, Any]:
    """A planned case (the header's ``plan``, ``run --dry-run --json``): enough to measure
    it again from any directory."""
    return {"id": case_id, "model": c.model.path, "model_abs_path": c.model.abs_path,
            "model_sha256": c.model.sha256, "model_size_bytes": c.model.size_bytes,
            "device": c.device, "runtime": c.runtime, "threads": c.threads, "batch": c.batch,
            "precision": c.precision, "backend": c.backend, "runner": c.runner,
            "int8_mode": c.int8_mode}


def planned_doc(p: PlannedCase) -> dict[str, Any]:
    return config_doc(p.id, p.config)


def planned_of_doc(doc: Any, where: str = "plan entry", version: int = CURRENT) -> PlannedCase:
    """A planned case, validated; schema 1 did not record an int8 case's mode (static)."""
    at = At(doc, where)
    model = ModelRef(path=at.get("model", text), sha256=at.get("model_sha256", text),
                     size_bytes=at.get("model_size_bytes", whole, 0),
                     abs_path=at.get("model_abs_path", text, ""))
    precision = at.get("precision", text)
    int8 = "static" if version == 1 and precision == "int8" else None
    return PlannedCase(at.get("id", text), CaseConfig(
        model=model, device=at.get("device", text), runtime=at.get("runtime", text, ""),
        threads=at.get("threads", whole), batch=at.get("batch", whole), precision=precision,
        backend=at.get("backend", text, "cpu"), runner=at.get("runner", text, "agent"),
        int8_mode=at.get("int8_mode", optional(text), int8)))


# ------------------------------------------------------------------ the model card

def _tensor_doc(t: TensorSpec) -> dict[str, Any]:
    return {"name": t.name, "dtype": t.dtype, "shape": list(t.shape)}


def card_doc(c: ModelCard) -> dict[str, Any]:
    return {"name": c.name, "path": c.path, "format": c.format, "runtime": c.runtime,
            "sha256": c.sha256, "size_bytes": c.size_bytes, "size_mb": round(c.size_mb, 6),
            "inputs": [_tensor_doc(t) for t in c.inputs],
            "outputs": [_tensor_doc(t) for t in c.outputs],
            "params": c.params, "macs": c.macs, "flops": c.flops, "opset": c.opset,
            "producer": c.producer, "ir_version": c.ir_version,
            "weight_types": list(c.weight_types), "notes": list(c.notes)}


def _dim(v: Any, where: str) -> int | str:
    return v if isinstance(v, str) else whole(v, where)


def _tensor_spec(v: Any, where: str) -> TensorSpec:
    at = At(v, where)
    return TensorSpec(name=at.get("name", text), dtype=at.get("dtype", text),
                      shape=at.get("shape", listed(_dim), ()))


def card_of_doc(doc: Any, where: str = "card", version: int = CURRENT) -> ModelCard:
    at = At(doc, where)
    return ModelCard(
        name=at.get("name", text), path=at.get("path", text), format=at.get("format", text),
        runtime=at.get("runtime", text), sha256=at.get("sha256", text),
        size_bytes=at.get("size_bytes", whole),
        inputs=at.get("inputs", listed(_tensor_spec), ()),
        outputs=at.get("outputs", listed(_tensor_spec), ()),
        params=at.get("params", optional(whole), None), macs=at.get("macs", optional(whole), None),
        flops=at.get("flops", optional(whole), None), opset=at.get("opset", optional(whole), None),
        producer=at.get("producer", optional(text), None),
        ir_version=at.get("ir_version", optional(whole), None),
        weight_types=at.get("weight_types", listed(text), ()),
        notes=at.get("notes", listed(text), ()))
