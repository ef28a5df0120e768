"""The JSON of a sustained case's series (:class:`benchbot.store.records.Sustained`) and of
the device samples in it; decoding validates as the rest of the codec does (pure).

    "sustained": {"duration_s": 120, "window_s": 1.0, "elapsed_s": 120.4, "total_runs": 9512,
                  "stop_reason": "duration", "burst_median_ms": 11.9, ...,
                  "windows": [{"index": 0, "start_s": 0.0, "end_s": 1.0, "runs": 83,
                               "median_ms": 11.8, "p90_ms": 12.4,
                               "device": {"windows_done": 1, "at_s": 1.9, "big_cur_khz": ...}}]}
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from benchbot.store.jsonread import (At, SchemaError, listed, number, one_of, optional, text,
                                     whole)
from benchbot.store.records import (SUSTAINED_STOPS, DeviceSample, Energy, SeriesPoint,
                                    Sustained)

# DeviceSample fields by kind, for reading them back
_SAMPLE_WHOLE = ("big_cur_khz", "big_max_khz", "battery_level", "energy_uj", "current_raw",
                 "voltage_raw", "charge_counter_uah")
_SAMPLE_FLAG = ("throttled", "charging")


def _flag(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise SchemaError(f"{where}: expected true or false, got {v!r}")
    return v


def sample_doc(sample: DeviceSample) -> dict[str, Any]:
    return asdict(sample)


def sample_of_doc(doc: Any, where: str) -> DeviceSample:
    at = At(doc, where)
    values: dict[str, Any] = {"windows_done": at.get("windows_done", whole),
                              "at_s": at.get("at_s", number)}
    for f in fields(DeviceSample):
        if f.name in values:
            continue
        check = whole if f.name in _SAMPLE_WHOLE else _flag if f.name in _SAMPLE_FLAG else number
        values[f.name] = at.get(f.name, optional(check), None)
    return DeviceSample(**values)


def _point_doc(p: SeriesPoint) -> dict[str, Any]:
    return {"index": p.index, "start_s": p.start_s, "end_s": p.end_s, "runs": p.runs,
            "median_ms": p.median_ms, "p90_ms": p.p90_ms,
            "device": None if p.device is None else sample_doc(p.device)}


def _point_of_doc(doc: Any, where: str) -> SeriesPoint:
    at = At(doc, where)
    return SeriesPoint(index=at.get("index", whole), start_s=at.get("start_s", number),
                       end_s=at.get("end_s", number), runs=at.get("runs", whole),
                       median_ms=at.get("median_ms", number), p90_ms=at.get("p90_ms", number),
                       device=at.get("device", optional(sample_of_doc), None))


_FIGURES = ("burst_median_ms", "sustained_median_ms", "sustained_over_burst",
            "time_to_throttle_s", "clock_throttle_s", "rate_hz")


def sustained_doc(s: Sustained) -> dict[str, Any]:
    return {"duration_s": s.duration_s, "window_s": s.window_s, "elapsed_s": s.elapsed_s,
            "total_runs": s.total_runs, "late_runs": s.late_runs,
            "stop_reason": s.stop_reason, **{name: getattr(s, name) for name in _FIGURES},
            "windows": [_point_doc(p) for p in s.windows]}


def sustained_of_doc(doc: Any, where: str) -> Sustained:
    at = At(doc, where)
    return Sustained(duration_s=at.get("duration_s", number), window_s=at.get("window_s", number),
                     elapsed_s=at.get("elapsed_s", number),
                     total_runs=at.get("total_runs", whole),
                     late_runs=at.get("late_runs", whole, 0),
                     stop_reason=at.get("stop_reason", one_of(SUSTAINED_STOPS)),
                     windows=at.get("windows", listed(_point_of_doc), ()),
                     **{name: at.get(name, optional(number), None) for name in _FIGURES})


_NUM = {"type": "number"}
_INT = {"type": "integer"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def sample_schema() -> dict[str, Any]:
    """The JSON Schema of a device sample."""
    props: dict[str, Any] = {"windows_done": {**_INT, "minimum": 0}, "at_s": _NUM}
    for f in fields(DeviceSample):
        if f.name not in props:
            kind = _INT if f.name in _SAMPLE_WHOLE else (
                {"type": "boolean"} if f.name in _SAMPLE_FLAG else _NUM)
            props[f.name] = _nullable(kind)
    return {"type": "object", "properties": props, "required": ["windows_done", "at_s"],
            "description": "the device as the host read it during the case"}


def sustained_schema() -> dict[str, Any]:
    """The JSON Schema of a case's ``sustained`` section."""
    point = {"type": "object", "required": ["index", "start_s", "end_s", "runs", "median_ms",
                                            "p90_ms"],
             "properties": {"index": _INT, "start_s": _NUM, "end_s": _NUM,
                            "runs": {**_INT, "minimum": 1}, "median_ms": _NUM, "p90_ms": _NUM,
                            "device": _nullable({"$ref": "#/$defs/device_sample"})}}
    return {"type": "object",
            "required": ["duration_s", "window_s", "elapsed_s", "total_runs", "stop_reason",
                         "windows"],
            "properties": {"duration_s": _NUM, "window_s": _NUM, "elapsed_s": _NUM,
                           "total_runs": _INT, "late_runs": _INT,
                           "stop_reason": {"enum": list(SUSTAINED_STOPS)},
                           **{name: _nullable(_NUM) for name in _FIGURES},
                           "windows": {"type": "array", "items": point}},
            "description": "run --sustained: the time series and its figures"}


_ENERGY_NUMBERS = ("mj_per_inference", "ci95_low_mj", "ci95_high_mj", "idle_w", "load_w",
                   "sample_hz", "charge_counter_w")


def energy_doc(e: Energy) -> dict[str, Any]:
    return asdict(e)


def energy_of_doc(doc: Any, where: str) -> Energy:
    at = At(doc, where)
    return Energy(source=at.get("source", optional(text), None),
                  note=at.get("note", optional(text), None),
                  idle_samples=at.get("idle_samples", whole, 0),
                  load_samples=at.get("load_samples", whole, 0),
                  charging=at.get("charging", optional(_flag), None),
                  **{name: at.get(name, optional(number), None) for name in _ENERGY_NUMBERS})


def energy_schema() -> dict[str, Any]:
    """The JSON Schema of a case's ``energy`` section."""
    string = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {"type": "object", "required": ["source"],
            "properties": {"source": string, "note": string, "idle_samples": _INT,
                           "load_samples": _INT, "charging": _nullable({"type": "boolean"}),
                           **{name: _nullable(_NUM) for name in _ENERGY_NUMBERS}},
            "description": "run --energy: mJ per inference with its CI, or why there is none"}
