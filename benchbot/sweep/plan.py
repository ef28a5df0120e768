"""A sweep plan: the cartesian product of the axes, one Case per point (pure)."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from benchbot.errors import ConfigError, printable
from benchbot.store.modelfile import ModelFile
from benchbot import runtimes

# A week: any longer time limit is a typo (1e308), and would overflow the clocks it meets.
MAX_SECONDS = 7 * 24 * 3600.0
# The option that sets each seconds field (the sweep file's [measure] key drops "--").
SECONDS_OPTIONS = {"min_time_s": "--min-time", "max_time_s": "--max-time",
                   "timeout_s": "--case-timeout"}


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


def check_seconds(option: str, value: float) -> None:
    """A time limit must be a finite number of seconds, at most :data:`MAX_SECONDS`;
    ConfigError naming ``option`` otherwise (NaN and Infinity never reach a results file)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{option} must be a finite number of seconds, got {value!r}")
    if value > MAX_SECONDS:
        raise ConfigError(f"{option} {value:g} s is more than a week ({MAX_SECONDS:g} s); "
                          "give it in seconds, e.g. 20")


ORDERS = ("interleaved", "sequential", "ab")  # ab: `benchbot ab`'s A B B A ... alternation
MIN_PROCESSES = 3  # the adaptive default's first processes per case
# max_runs when --min-time is given without --max-runs: the time decides, not the cap
NO_RUN_CAP = 1_000_000_000


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
class MeasureSettings:
    """How every case of a sweep is measured."""

    warmup: int = 5
    min_runs: int = 20
    max_runs: int = 10000
    min_time_s: float = 1.0
    max_time_s: float = 20.0
    timeout_s: float | None = None  # per process; None: derived from max_time_s
    # measuring processes per case: a fixed count, or None: adaptive (at least
    # MIN_PROCESSES, then more up to max_repeat until the CI is within target_ci)
    repeat: int | None = None
    max_repeat: int = 10
    target_ci: float = 0.02  # half-width of the 95% CI of the median, relative
    # a case whose 95% CI is wider than +- this is marked not valid (wide_ci); apart from
    # target_ci, which only says when the adaptive rule stops adding processes
    valid_ci: float = 0.05
    # benchbot ab: the significance level of its paired test; its fewest pairs and the
    # level of the interval it stops on follow from it (benchbot.stats.paired)
    alpha: float = 0.01
    budget_s: float = 120.0  # seconds of measuring processes per case, at most (adaptive)
    order: str = "interleaved"  # or "sequential": one case's processes back to back
    seed: int | None = None  # of the interleaved order; None: drawn and recorded per run
    profile_ops: bool = False  # an op profile in a separate pass after the timed runs
    min_cosine: float = 0.99  # a variant whose outputs are less similar to fp32 is inaccurate
    # sustained mode (--sustained): each case is one process of this many seconds, with a
    # time series of windows; None: the usual short burst
    sustained_s: float | None = None
    window_s: float = 1.0  # one point of the series
    rate_hz: float | None = None  # inferences started at this rate; None: back to back
    max_temp_c: float | None = None  # a sustained case stops when the CPU gets hotter
    energy: bool = False  # sustained mode: mJ per inference where the device reports power
    # the model's full input shape for tools that cannot read it (Paddle Lite's .nb);
    # its first dimension is replaced by each case's batch
    input_shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for name, option in SECONDS_OPTIONS.items():  # first: NaN fails no comparison below
            if getattr(self, name) is not None:
                check_seconds(option, getattr(self, name))
        if self.warmup < 0 or self.min_runs < 1 or self.max_runs < 1:
            raise ConfigError("--warmup must be >= 0, --min-runs and --max-runs >= 1")
        if self.min_runs > self.max_runs:
            raise ConfigError(f"--min-runs ({self.min_runs}) is above --max-runs "
                              f"({self.max_runs}); raise --max-runs")
        if self.min_time_s < 0 or self.max_time_s <= 0:
            raise ConfigError("--min-time must be >= 0 and --max-time > 0 (seconds)")
        if self.min_time_s > self.max_time_s:
            raise ConfigError(f"--min-time ({self.min_time_s}s) is longer than --max-time "
                              f"({self.max_time_s}s); raise --max-time")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ConfigError("--case-timeout must be > 0 seconds")
        if self.repeat is not None and not 1 <= self.repeat <= 1000:
            raise ConfigError(f"--repeat must be between 1 and 1000 processes, got {self.repeat}")
        if not 1 <= self.max_repeat <= 1000:
            raise ConfigError(f"--max-repeat must be between 1 and 1000, got {self.max_repeat}")
        if not (math.isfinite(self.target_ci) and 0 < self.target_ci < 1):
            raise ConfigError(f"--target-ci is a fraction of the median, e.g. 0.02 for +-2%, "
                              f"got {self.target_ci!r}")
        if not (math.isfinite(self.valid_ci) and 0 < self.valid_ci < 1):
            raise ConfigError(f"--valid-ci is a fraction of the median, e.g. 0.05 for +-5%, "
                              f"got {self.valid_ci!r}")
        if not (math.isfinite(self.alpha) and 0 < self.alpha < 1):
            raise ConfigError(f"--alpha must be between 0 and 1, e.g. 0.01, got {self.alpha!r}")
        check_seconds("--case-budget", self.budget_s)
        if self.budget_s <= 0:
            raise ConfigError(f"--case-budget must be > 0 seconds, got {self.budget_s:g}")
        if self.seed is not None and not 0 <= self.seed < 1 << 63:
            raise ConfigError(f"--seed must be between 0 and 2**63 - 1, got {self.seed}")
        if self.order not in ORDERS:
            raise ConfigError(f"--order: {self.order!r} is not one of {', '.join(ORDERS)}")
        if self.input_shape is not None and (not self.input_shape or any(
                not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in self.input_shape)):
            raise ConfigError(f"--input-shape must be positive integers such as 1,3,224,224, "
                              f"got {self.input_shape!r}")
        if not -1.0 <= self.min_cosine <= 1.0:
            raise ConfigError(f"--min-cosine must be between -1 and 1, not {self.min_cosine:g}")
        self._check_sustained()

    def _check_sustained(self) -> None:
        for option, value in (("--sustained", self.sustained_s), ("--window", self.window_s)):
            if value is not None:
                check_seconds(option, value)
                if value <= 0:
                    raise ConfigError(f"{option} must be more than 0 seconds, e.g. 2m or 30s")
        if self.rate_hz is not None and not (math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise ConfigError(f"--rate is inferences per second, more than 0, got {self.rate_hz!r}")
        if self.max_temp_c is not None and not (math.isfinite(self.max_temp_c)
                                                and 0 < self.max_temp_c < 150):
            raise ConfigError(f"--max-temp is in degrees Celsius, e.g. 45, got {self.max_temp_c!r}")
        if self.sustained_s is None:
            if self.rate_hz is not None or self.max_temp_c is not None or self.energy:
                raise ConfigError("--rate, --max-temp and --energy apply to sustained runs: "
                                  "add --sustained DURATION (e.g. 2m)")
            return
        if self.repeat not in (None, 1):
            raise ConfigError(f"--sustained measures each case as one long process; drop "
                              f"--repeat {self.repeat}")
        if self.window_s * 2 > self.sustained_s:
            raise ConfigError(f"--window {self.window_s:g}s leaves fewer than 2 windows in "
                              f"--sustained {self.sustained_s:g}s: shorten the window")

    @property
    def min_processes(self) -> int:
        """Processes every case gets: the fixed --repeat, else MIN_PROCESSES (capped)."""
        if self.repeat is not None:
            return self.repeat
        if self.sustained_s is not None:
            return 1
        return min(MIN_PROCESSES, self.max_repeat)

    @property
    def adaptive(self) -> bool:
        return self.repeat is None and self.sustained_s is None

    @property
    def case_timeout_s(self) -> float:
        """Wall-clock limit of one case: timing cap plus room for loading and warm-up."""
        if self.timeout_s is not None:
            return self.timeout_s
        if self.sustained_s is not None:  # the series, plus loading and warm-up
            return self.sustained_s * 1.5 + 120
        return self.max_time_s * 2 + 60

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


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
    card: Mapping[str, Any] | None = field(default=None, compare=False)
    accuracy: Any = field(default=None, compare=False)  # the variant's outputs against fp32

    @property
    def runtime(self) -> str:
        return self.model.runtime

    def key(self) -> dict[str, object]:
        """What identifies the case across runs: every axis that changes the measurement,
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
        blob = json.dumps(self.key(), sort_keys=True).encode()
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
