"""A sweep plan: the cartesian product of the axes, one Case per point (pure)."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from benchbot import runtimes
from benchbot.errors import ConfigError, printable
from benchbot.store.card import ModelCard
from benchbot.store.modelfile import ModelFile
from benchbot.store.settings import MeasureSettings, check_seconds

_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | float, option: str) -> float:
    """Seconds from '90', '90s', '2m', '1.5h' or a number; ConfigError naming ``option``."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        raw = str(text).strip().lower()
        unit = _DURATION_UNITS.get(raw[-1:], None)
        number = raw[:-1] if unit is not None else raw
        try:
            value = float(number) * (unit or 1.0)
        except ValueError:
            raise ConfigError(f"{option}: {text!r} is not a duration; give e.g. 30s, 2m or "
                              "1h (a bare number is seconds)") from None
    check_seconds(option, value)
    return value


def parse_shape(text: str) -> tuple[int, ...]:
    """'1,3,224,224' as a shape; ConfigError naming the form otherwise."""
    try:
        shape = tuple(int(d) for d in str(text).replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if not shape or any(d < 1 for d in shape):
        raise ConfigError(f"--input-shape: {text!r} is not a shape such as 1,3,224,224")
    return shape


@dataclass(frozen=True)
class Case:
    """One point of a sweep: a model on a device in one configuration."""

    model: ModelFile
    device: str
    threads: int
    batch: int
    precision: str
    backend: str = "cpu"  # execution provider (ONNX Runtime) or delegate (TFLite)
    runner: str = "agent"  # what measures it: benchbot's agent or a native tool
    int8_mode: str | None = None  # how an int8 file is made (static/dynamic); int8 cases only
    side: str | None = None  # "A" or "B" in a `benchbot ab` session (the same model twice)
    # What the host prepared for the case (not part of its identity): the file to
    # measure when it differs from the model (a precision or batch variant), why it
    # could not be made, and the model's card.
    variant: Any = field(default=None, compare=False)
    variant_error: str | None = field(default=None, compare=False)
    card: ModelCard | None = field(default=None, compare=False)
    accuracy: Any = field(default=None, compare=False)  # the variant's outputs against fp32

    @property
    def runtime(self) -> str:
        return self.model.runtime

    def id_fields(self) -> dict[str, object]:
        """What the case's id hashes (not its identity in reports, which is
        :class:`benchbot.store.casekey.CaseKey`): every axis that changes the measurement,
        the model by content, not by path. The runner and int8 mode count only where
        they differ from the agent / apply, so that ids of plain cases stay as they were."""
        key: dict[str, object] = {
            "model_sha256": self.model.sha256, "device": self.device,
            "runtime": self.runtime, "threads": self.threads, "batch": self.batch,
            "precision": self.precision, "backend": self.backend}
        if self.runner != "agent":
            key["runner"] = self.runner
        if self.precision == "int8" and self.int8_mode:
            key["int8_mode"] = self.int8_mode
        if self.side is not None:
            key["side"] = self.side
        return key

    @property
    def id(self) -> str:
        """Stable id: the same configuration gets the same id in every run."""
        blob = json.dumps(self.id_fields(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    @property
    def label(self) -> str:
        backend = "" if self.backend == "cpu" else f", {self.backend}"
        if self.precision == "int8" and self.int8_mode:
            backend += f" ({self.int8_mode})"
        return (f"{printable(self.model.name)} on {self.device}: {self.threads} thread"
                f"{'s' if self.threads > 1 else ''}, batch {self.batch}, {self.precision}"
                f"{backend}")


@dataclass(frozen=True)
class Plan:
    """The cases of a sweep, in the order they run, and how each is measured."""

    cases: tuple[Case, ...]
    settings: MeasureSettings
    meta: Mapping[str, str] = field(default_factory=dict)  # recorded with the run (--meta)
    # model files given under several paths with one content: each group is measured
    # once, as its first path (see merge_notes)
    merged: tuple[tuple[str, ...], ...] = ()

    def __len__(self) -> int:
        return len(self.cases)


def make_plan(models: tuple[ModelFile, ...], devices: tuple[str, ...], threads: tuple[int, ...],
              batches: tuple[int, ...], precisions: tuple[str, ...],
              settings: MeasureSettings, backends: tuple[str, ...] = ("cpu",),
              runners: Mapping[str, str] | None = None, int8_mode: str = "static",
              tool_backends: Mapping[str, tuple[str, ...]] | None = None) -> Plan:
    """The cartesian product devices x models x backends x threads x batch x precision.

    ``runners`` names each device's runner (agent by default); ``int8_mode`` is recorded
    on the int8 cases; ``tool_backends`` the backends a device's native tool runs beyond
    its models' runtimes' (OpenVINO's GPU and NPU on an ONNX file).

    A backend that does not apply to a model's runtime on a device (CUDA for a .tflite
    file) is left out for that model; a model no backend applies to is a ConfigError.
    """
    extra = tool_backends or {}

    def applies(backend: str, m: ModelFile, device: str) -> bool:
        return backend in runtimes.runtime(m.runtime).backends or backend in extra.get(device, ())

    for m in models:
        if not any(applies(b, m, d) for b in backends for d in devices):
            raise ConfigError(f"--backend: none of {', '.join(backends)} runs {m.path.name} "
                              f"({m.runtime}: {', '.join(runtimes.runtime(m.runtime).backends)})")
    runner_of = runners or {}
    cases = tuple(Case(model=m, device=d, threads=t, batch=b, precision=p, backend=k,
                       runner=runner_of.get(d, "agent"),
                       int8_mode=int8_mode if p == "int8" else None)
                  for d, m, k, t, b, p in itertools.product(devices, models, backends, threads,
                                                            batches, precisions)
                  if applies(k, m, d))
    unique: dict[str, Case] = {}
    paths: dict[str, dict[str, None]] = {}
    for case in cases:  # the same content twice (another path, a repeated value) runs once
        unique.setdefault(case.id, case)
        paths.setdefault(case.id, {})[case.model.as_given] = None
    merged = tuple(dict.fromkeys(tuple(p) for p in paths.values() if len(p) > 1))
    return Plan(cases=tuple(unique.values()), settings=settings, merged=merged)


def merge_notes(plan: Plan) -> list[str]:
    """One line per group of model files with the same content, which run as one model."""
    return [printable(f"{', '.join(group)} have the same content: measured once, as "
                      f"{group[0]}") for group in plan.merged]
