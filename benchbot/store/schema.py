"""The JSON Schema (draft 2020-12) of results files, kept beside the codec that writes them.

``benchbot schema results`` prints it. The test suite validates every results file and
journal line it writes against it (with the ``jsonschema`` package), so the schema and
:mod:`benchbot.store.codec` cannot drift apart. A journal line is a ``case``
(``#/$defs/case``); a results file is the whole document, whose ``cases`` are absent
while a run is being measured (its ``journal`` names the file holding them).
"""

from __future__ import annotations

from typing import Any

from benchbot.store.facts import DEVICE_KINDS
from benchbot.store.records import FAILURE_KINDS, RUN_KINDS, SCHEMA_VERSION, STATUSES
from benchbot.store.settings import ORDERS
from benchbot.store.series import energy_schema, sample_schema, sustained_schema

_NUM = {"type": "number"}
_INT = {"type": "integer"}
_STR = {"type": "string"}
_OBJ = {"type": "object"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], required: tuple[str, ...] = (),
            description: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "object", "properties": properties,
                           "required": list(required)}
    if description:
        doc["description"] = description
    return doc


_STATS = _object({name: _nullable(_NUM) for name in (
    "mean_ms", "median_ms", "p90_ms", "p99_ms", "std_ms", "min_ms", "max_ms", "mad_ms",
    "ci95_low_ms", "ci95_high_ms", "between_cv", "within_cv", "within_ci95_low_ms",
    "within_ci95_high_ms", "between_runs_sd")} | {
        "n": _INT, "processes": {**_INT, "minimum": 1},
        "between_runs_from": _nullable({**_INT, "minimum": 0})}, ("n", "mean_ms"),
    "Statistics in milliseconds; null where a native tool printed no such figure.")

_MODEL = _object({"path": {**_STR, "description": "the path as given"},
                  "abs_path": _STR, "sha256": _STR, "size_bytes": _INT,
                  "name": {**_STR, "description": "the file's stem"}},
                 ("path", "sha256", "size_bytes"))

_VARIANT = _object({"path": _STR, "sha256": _STR, "size_bytes": _INT, "size_mb": _NUM,
                    "derivation": _OBJ}, ("path", "sha256"),
                   "The derived file measured (precision, fixed batch), when there is one.")

_RUN = _object({
    "sample_count": {**_INT, "minimum": 0,
                     "description": "this process's samples: the next sample_count values "
                                    "of the case's samples_ms"},
    "aggregates": _nullable({"$ref": "#/$defs/stats"}),
    "started_at": _STR, "ended_at": _STR,
    "runtime_version": _nullable(_STR),
    "provider": _nullable({**_STR, "description": "provider or delegate actually used"}),
    "threads_applied": _nullable(_INT),
    "cpu_affinity": _nullable({"type": "array", "items": _INT}),
    "load_ms": _nullable(_NUM), "first_inference_ms": _nullable(_NUM),
    "peak_rss_mb": _nullable(_NUM), "stop_reason": _nullable(_STR),
    "inputs": {"type": "array", "items": _object(
        {"name": _STR, "dtype": _STR,
         "shape": {"type": "array", "items": {"type": ["integer", "string"]}}})},
    "device_state": _nullable(_OBJ),
    "throttled": {"type": "boolean"}, "thermal_gate_timeout": {"type": "boolean"},
    "log_file": _nullable({**_STR, "description": "a native tool's whole output, beside the "
                                                  "results (RUN_ID.logs/...; .gz when large)"}),
    "extras": {**_OBJ, "description": "tool-specific figures (argv, parsed output, ...)"},
    "memory": {"type": "array", "items": _object(
        {"name": _STR, "mb": _NUM, "scope": {**_STR, "description": "what the figure counts"}},
        ("name", "mb", "scope"))},
}, ("sample_count",), "One measuring process.")

_FAILURE = _object({"kind": {"enum": list(FAILURE_KINDS)}, "message": _STR, "output": _STR,
                    "exit_code": _nullable(_INT)}, ("kind", "message"))

_CASE = _object({
    "id": _STR, "model": {**_STR, "description": "the model path as given (v1 meaning)"},
    "model_sha256": _STR, "model_size_mb": _NUM, "device": _STR, "runtime": _STR,
    "threads": {**_INT, "minimum": 1}, "batch": {**_INT, "minimum": 1}, "precision": _STR,
    "status": {"enum": list(STATUSES)}, "error": _nullable(_STR),
    "samples_ms": {"type": "array", "items": _NUM,
                   "description": "every sample of the case, all processes in order"},
    "stats": _nullable({"$ref": "#/$defs/stats"}),
    "ci_parts": _nullable(_object({
        "half": _NUM, "run_half": _NUM, "within": _NUM, "between_processes": _nullable(_NUM),
        "between_runs": _nullable(_NUM), "between_runs_assumed": {"type": "boolean"},
        "dominant": {"enum": ["within", "between_processes", "between_runs"]},
        "advice": _STR}, ("half", "dominant"),
        "what stats.ci95_* is made of, as half-widths relative to the median (0.02: +-2%; "
        "each as it would be alone; they add about in quadrature): within processes, between processes, between runs; "
        "the dominant part and what would narrow it")),
    "backend": _STR, "runner": _STR, "int8_mode": _nullable(_STR),
    "model_ref": {"$ref": "#/$defs/model"}, "variant": _nullable({"$ref": "#/$defs/variant"}),
    "runs": {"type": "array", "items": {"$ref": "#/$defs/run"}},
    "stats_source": {"enum": ["samples", "aggregates"]},
    "failure": _nullable({"$ref": "#/$defs/failure"}),
    "warnings": {"type": "array", "items": _STR}, "started_at": _STR, "ended_at": _STR,
    "attempts": {**_INT, "minimum": 1}, "card": _nullable({"$ref": "#/$defs/card"}),
    "farm": _nullable(_object({"worker": _STR, "address": _STR, "serial": _nullable(_STR)},
                              ("worker",))),
    "valid": {"type": "boolean"},
    "validity": {"type": "array", "items": _object(
        {"code": _STR, "detail": _STR, "advice": _STR}, ("code",)),
        "description": "why the case is not valid (empty when it is)"},
    "op_profile": _nullable(_object({
        "ops": {"type": "array", "items": _object(
            {"node": _STR, "op_type": _STR, "provider": _STR, "ms": _NUM, "share": _NUM},
            ("node", "op_type", "ms", "share"))},
        "total_ms": _nullable(_NUM), "profiled_runs": _INT, "source": _STR,
        "reason": _nullable(_STR)})),
    "placement": _nullable(_object({
        "nodes_by_provider": {"type": "object", "additionalProperties": _INT},
        "requested": _STR, "fallback_nodes": {"type": "array", "items": _STR}},
        ("nodes_by_provider",))),
    "accuracy": _nullable(_object({
        "reference": _STR, "reason": _nullable(_STR),
        "outputs": {"type": "array", "items": _object(
            {"name": _STR, "max_abs_err": _NUM, "mean_abs_err": _NUM, "cosine": _NUM,
             "top1_agreement": _nullable(_NUM)},
            ("name", "max_abs_err", "mean_abs_err", "cosine"))}})),
    "sustained": _nullable({"$ref": "#/$defs/sustained"}),
    "energy": _nullable({"$ref": "#/$defs/energy"}),
}, ("id", "model", "model_sha256", "device", "runtime", "threads", "batch", "precision",
    "status", "samples_ms", "stats", "runs"), "One case (also one line of a run's journal).")


_TENSOR = _object({"name": _STR, "dtype": _STR,
                   "shape": {"type": "array", "items": {"type": ["integer", "string"]}}},
                  ("name", "dtype", "shape"))

_CARD = _object({
    "name": _STR, "path": _STR, "format": _STR, "runtime": _STR, "sha256": _STR,
    "size_bytes": _INT, "size_mb": _NUM, "inputs": {"type": "array", "items": _TENSOR},
    "outputs": {"type": "array", "items": _TENSOR}, "params": _nullable(_INT),
    "macs": _nullable(_INT), "flops": _nullable(_INT), "opset": _nullable(_INT),
    "producer": _nullable(_STR), "ir_version": _nullable(_INT),
    "weight_types": {"type": "array", "items": _STR}, "notes": {"type": "array", "items": _STR}},
    ("name", "path", "format", "runtime", "sha256", "size_bytes"),
    "The model card: interface, parameters, MACs and FLOPs per inference at batch 1.")

_KHZ = {"type": "object", "additionalProperties": _INT}
_HOST = _object({"hostname": _STR, "os": _nullable(_STR), "machine": _nullable(_STR),
                 "cpu_model": _nullable(_STR), "cores": _nullable(_INT), "max_freq_khz": _KHZ,
                 "memory_gb": _nullable(_NUM), "python": _nullable(_STR)}, ("hostname",),
                "The host that drove the run.")

_DEVICE = _object({
    "kind": {"enum": list(DEVICE_KINDS)}, "profile": _STR, "label": _STR, "transport": _STR,
    "runner": _STR, "hostname": _nullable(_STR), "host": _nullable(_STR),
    "os": _nullable(_STR), "machine": _nullable(_STR), "cpu_model": _nullable(_STR),
    "cores": _nullable(_INT), "max_freq_khz": _nullable(_KHZ), "memory_gb": _nullable(_NUM),
    "python": _nullable(_STR), "gpus": _nullable({"type": "array", "items": _object(
        {"name": _STR}, ("name",))}), "cuda": _nullable(_STR),
    "serial": _nullable(_STR), "adb_server": _nullable(_STR), "model": _nullable(_STR),
    "manufacturer": _nullable(_STR), "soc": _nullable(_STR), "platform": _nullable(_STR),
    "android": _nullable(_STR), "sdk": _nullable(_STR), "abi": _nullable(_STR),
    "clusters": _nullable({"type": "array", "items": _object(
        {"cpus": {"type": "array", "items": _INT}, "max_freq_khz": _nullable(_INT)},
        ("cpus",))}),
    "max_temp_c": _nullable(_NUM), "battery": _nullable(_OBJ),
    "farm": _object({"phones": {"type": "object", "additionalProperties": _STR}})},
    ("kind", "profile", "label", "transport", "runner"),
    "A device: its profile, and what was read from it (the fields of its kind).")

_SETTINGS = _object({
    **{name: _INT for name in ("warmup", "min_runs", "max_runs", "max_repeat")},
    **{name: _NUM for name in ("min_time_s", "max_time_s", "target_ci", "valid_ci", "alpha",
                                "budget_s", "min_cosine", "window_s")},
    **{name: _nullable(_NUM) for name in ("timeout_s", "sustained_s", "rate_hz",
                                          "max_temp_c")},
    "repeat": _nullable(_INT), "seed": _nullable(_INT), "order": {"enum": list(ORDERS)},
    "profile_ops": {"type": "boolean"}, "energy": {"type": "boolean"},
    "input_shape": _nullable({"type": "array", "items": _INT})},
    ("warmup", "min_runs", "max_runs", "min_time_s", "max_time_s", "order"),
    "How every case was measured.")

_PLANNED = _object({
    "id": _STR, "model": _STR, "model_abs_path": _STR, "model_sha256": _STR,
    "model_size_bytes": _INT, "device": _STR, "runtime": _STR, "threads": _INT,
    "batch": _INT, "precision": _STR, "backend": _STR, "runner": _STR,
    "int8_mode": _nullable(_STR)},
    ("id", "model", "model_sha256", "device", "runtime", "threads", "batch", "precision"),
    "A planned case: enough to measure it again (--resume).")


def results_schema() -> dict[str, Any]:
    """The JSON Schema of a results file written by this benchbot."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://benchbot.dev/schema/results-v{SCHEMA_VERSION}.json",
        "title": f"benchbot results file, schema v{SCHEMA_VERSION}",
        "type": "object",
        "required": ["schema_version", "run_id", "started_at", "status", "command",
                     "benchbot_version", "host", "devices", "settings", "planned_cases",
                     "plan", "kind"],
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "run_id": _STR, "kind": {"enum": list(RUN_KINDS),
                                     "description": "ab: an A/B session (benchbot ab)"},
            "status": {"enum": ["running", "complete", "interrupted"]},
            "started_at": _STR, "ended_at": _nullable(_STR),
            "command": {"type": "array", "items": _STR}, "benchbot_version": _STR,
            "host": {"$ref": "#/$defs/host"},
            "devices": {"type": "object", "additionalProperties": {"$ref": "#/$defs/device"}},
            "runtime_versions": {"type": "object", "additionalProperties": _STR},
            "settings": {"$ref": "#/$defs/settings"}, "planned_cases": {**_INT, "minimum": 0},
            "plan": {"type": "array", "items": {"$ref": "#/$defs/planned"}},
            "owner": _nullable(_object({"host": _STR, "pid": _INT, "started_at": _STR},
                                       ("host", "pid"))),
            "journal": {**_STR, "description": "while measured: the file of finished cases"},
            "meta": {"type": "object", "additionalProperties": _STR},
            "git": _nullable(_object({"commit": _STR, "branch": _nullable(_STR),
                                      "dirty": {"type": "boolean"}}, ("commit",))),
            "schedule": _object({"order": {"enum": list(ORDERS)},
                                 "seed": _nullable(_INT)}),
            "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}},
        },
        "$defs": {"case": _CASE, "run": _RUN, "stats": _STATS, "model": _MODEL,
                  "variant": _VARIANT, "failure": _FAILURE, "sustained": sustained_schema(),
                  "device_sample": sample_schema(), "energy": energy_schema(),
                  "card": _CARD, "host": _HOST, "device": _DEVICE, "settings": _SETTINGS,
                  "planned": _PLANNED},
    }
