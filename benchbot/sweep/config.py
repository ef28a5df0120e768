"""Sweep files: the axes of `benchbot run` written down in TOML.

    devices   = ["local"]
    models    = ["models/tiny_conv.onnx", "models/tiny_fc.tflite"]
    threads   = [1, 4]
    batch     = [1, 4]
    precision = ["fp32"]
    backend   = ["cpu"]   # cpu | cuda | tensorrt (ONNX Runtime); xnnpack | gpu | nnapi (TFLite)
    runtime   = ["openvino"]  # optional: the runtime(s) that run each model (default: by
                              # suffix); each model runs on those of them that read its format

    [measure]
    warmup = 5
    min_runs = 20
    max_runs = 10000    # cap, for microsecond models
    min_time = 1.0      # seconds
    max_time = 20.0     # seconds
    case_timeout = 120  # seconds
    profile_ops = false # an op profile per case, in a pass after the timed runs
    min_cosine = 0.99   # fp16/int8 outputs less similar to fp32 are flagged inaccurate
    sustained = "2m"    # sustained mode: one long process per case, a time series
    window = 1.0        # seconds per point of the series (sustained mode)
    rate = 30.0         # inferences per second (sustained mode; default back to back)
    max_temp = 45.0     # °C: a sustained case stops when the CPU gets hotter
    energy = true       # sustained mode: mJ per inference where the device reports power
    input_shape = "1,3,224,224"  # for tools that cannot read it (Paddle Lite .nb)

    [meta]              # recorded with the run, shown in every report (like --meta k=v)
    phone_build = "QP1A.190711"

Model paths are relative to the sweep file; zoo references (``zoo:NAME``) and absolute
paths are taken as written. Command-line options override it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchbot.errors import ConfigError
from benchbot.sweep import axes
from benchbot.store.settings import check_seconds
from benchbot.sweep.plan import parse_duration

ZOO_PREFIX = "zoo:"  # as benchbot.zoo.REF_PREFIX (a sibling layer: not imported)
_TOP = {"devices", "models", "threads", "batch", "precision", "backend", "runtime", "measure",
        "meta"}
# [measure] keys and their kinds: "seconds" are checked as time limits
_MEASURE: dict[str, Any] = {"warmup": int, "min_runs": int, "max_runs": int,
                            "min_time": "seconds", "max_time": "seconds",
                            "case_timeout": "seconds", "repeat": int, "max_repeat": int,
                            "target_ci": float, "valid_ci": float, "case_budget": "seconds",
                            "order": str, "seed": int, "profile_ops": bool,
                            "min_cosine": float, "input_shape": str,
                            "sustained": "duration", "window": "seconds", "rate": float,
                            "max_temp": float, "energy": bool}
MEASURE_KEYS = tuple(_MEASURE)
_KIND_NAMES = {int: "whole number", float: "number", "seconds": "number of seconds",
               str: "string", bool: "true or false",
               "duration": "duration such as \"2m\" or a number of seconds"}


@dataclass(frozen=True)
class SweepSpec:
    """Axes and measurement options; None where the source did not say."""

    devices: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    threads: tuple[int, ...] | None = None
    batch: tuple[int, ...] | None = None
    precision: tuple[str, ...] | None = None
    backend: tuple[str, ...] | None = None
    runtime: tuple[str, ...] | None = None  # None: each model's by its suffix
    measure: dict[str, float] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)

    def overridden_by(self, other: SweepSpec) -> SweepSpec:
        """This spec with every value ``other`` gives taken from ``other``."""
        pick = {name: getattr(other, name) if getattr(other, name) is not None
                else getattr(self, name)
                for name in ("devices", "models", "threads", "batch", "precision", "backend",
                             "runtime")}
        return SweepSpec(**pick, measure={**self.measure, **other.measure},
                         meta={**self.meta, **other.meta})


def _measure(path: Path | str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'measure' must be a table ([measure])")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        kind = _MEASURE.get(key)
        if kind is None:
            raise ConfigError(f"{path}: unknown key 'measure.{key}' "
                              f"(known: {', '.join(sorted(_MEASURE))})")
        if kind == "duration":
            value = parse_duration(value, f"{path}: 'measure.{key}'")
            ok = True
        elif kind is str:
            ok = isinstance(value, str)
        elif kind is bool:
            ok = isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise ConfigError(f"{path}: 'measure.{key}' must be a {_KIND_NAMES[kind]}, "
                              f"got {value!r}")
        if kind == "seconds":
            check_seconds(f"{path}: 'measure.{key}'", value)
        out[key] = value
    return out


def _meta(path: Path | str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'meta' must be a table ([meta]) of key = \"value\"")
    out: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ConfigError(f"{path}: 'meta.{key}' must be a string or a number, got {value!r}")
        out[str(key)] = str(value)
    return out


def _not_a_relative_path(model: str) -> bool:
    """A zoo reference (``zoo:NAME``) or an absolute path: never joined onto the file's folder."""
    return model.startswith(ZOO_PREFIX) or Path(model).is_absolute()


def read_toml(path: Path, what: str = "sweep file") -> dict[str, Any]:
    """A TOML file as a dict; ConfigError naming the file when it is missing or malformed."""
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder, not a TOML file: name the file in it")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except OSError as exc:  # unreadable: permissions, a broken mount
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_sweep_file(path: Path) -> SweepSpec:
    """Read and validate a sweep file; every problem is a ConfigError naming file and key."""
    return spec_from_mapping(read_toml(path), path)


def spec_from_mapping(data: dict[str, Any], path: Path) -> SweepSpec:
    """Validate the sweep keys of a parsed file (paths relative to ``path``'s folder)."""
    return spec_from_values(data, str(path), path.parent)


def spec_from_values(data: dict[str, Any], where: str, base: Path | None = None) -> SweepSpec:
    """Validate sweep keys and values (a sweep file's, or ``benchbot.run()``'s arguments):
    every problem is a ConfigError starting with ``where``; relative model paths are
    joined onto ``base`` where one is given."""
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(sorted(_TOP))})")

    def get(key: str, parse: Any) -> Any:
        if key not in data:
            return None
        value = data[key]
        value = [value] if isinstance(value, (str, int)) and not isinstance(value, bool) else value
        if not isinstance(value, list):
            raise ConfigError(f"{where}: '{key}' must be a list, got {value!r}")
        return parse(value, f"{where}: '{key}'")

    models = get("models", axes.names)
    if models is not None and base is not None:
        models = tuple(m if _not_a_relative_path(m) else str(base / m) for m in models)
    return SweepSpec(devices=get("devices", axes.names), models=models,
                     threads=get("threads", axes.threads),
                     batch=get("batch", axes.batches),
                     precision=get("precision",
                                   lambda v, o: axes.choices(v, o, axes.PRECISIONS)),
                     backend=get("backend", lambda v, o: axes.choices(v, o, axes.BACKENDS)),
                     runtime=get("runtime", lambda v, o: axes.choices(v, o, axes.RUNTIMES)),
                     measure=_measure(where, data.get("measure", {})),
                     meta=_meta(where, data.get("meta", {})))
