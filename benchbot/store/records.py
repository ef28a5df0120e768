"""Results as typed values (schema 3): one CaseResult per case, one RunRecord per run.

    RunRecord            a run: where and how it ran, its plan, every case finished so far
    ├── HostFacts        the host that drove it (:mod:`benchbot.store.facts`)
    ├── DeviceFacts      each device: a host, phone or server, as read when it was opened
    ├── MeasureSettings  how every case was measured (:mod:`benchbot.store.settings`)
    ├── PlannedCase      each case of the plan: its id and CaseConfig (for --resume)
    └── CaseResult       one case: its configuration, status, process runs and statistics
        ├── CaseConfig   every axis that changes the measurement, the model by content
        │   └── ModelRef the model file: path as given, absolute path, sha256, size, name
        ├── VariantRef   the derived file measured (fp16/int8/fixed batch), if any
        ├── ProcessRun   one measuring process: samples (or a tool's aggregates), load
        │                time, first inference, peak RSS, provider, threads, affinity...
        ├── Failure      why it failed: a kind from FAILURE_KINDS, the message, tool output
        ├── Validity     whether its figure can be trusted, and the codes saying why not
        ├── OpProfile, Placement, Accuracy   where the time goes, what ran where, how
        │                far a variant's outputs are from fp32 (:mod:`benchbot.store.findings`)
        ├── ModelCard    the model's card (:mod:`benchbot.store.card`)
        ├── Sustained    a sustained case's time series (SeriesPoint, each with the
        │                DeviceSample the host read beside it) and its figures
        └── FarmPlacement which farm worker and phone measured it

Everything is frozen; JSON encoding and decoding live in :mod:`benchbot.store.codec`
(by schema_version: :mod:`benchbot.store.formats`); a case's identity across runs is
:class:`benchbot.store.casekey.CaseKey`.
Tool-specific extras (a native tool's argv and parsed figures, the agent's
interpreter versions) stay in small opaque ``extras`` mappings that no control
flow branches on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from benchbot.errors import printable
from benchbot.stats import Summary
from benchbot.store.card import ModelCard
from benchbot.store.facts import DeviceFacts, HostFacts
from benchbot.store.findings import Accuracy, OpProfile, Placement, Validity
from benchbot.store.settings import MeasureSettings

SCHEMA_VERSION = 3  # the history of the format: benchbot.store.formats
RUN_KINDS = ("sweep", "ab")  # ab: `benchbot ab`, nightly's confirmation (two model files)

STATUSES = ("ok", "failed")
FAILURE_KINDS = ("bad_input", "device_unavailable", "device_lost", "timeout", "runtime_error",
                 "tool_error", "interrupted")
# failures that say the infrastructure, not the model, is at fault (exit code 3)
DEVICE_FAILURES = frozenset({"device_unavailable", "device_lost"})


@dataclass(frozen=True)
class ModelRef:
    """A model file by content: its path as given and absolute, sha256, size, display name."""

    path: str
    sha256: str
    size_bytes: int
    abs_path: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        # shown in progress lines and grids: escaped (a newline in a file name, ...)
        object.__setattr__(self, "name", printable(self.name or stem_of(self.path)))
        if not self.abs_path:
            object.__setattr__(self, "abs_path", self.path)

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6


def stem_of(path: str) -> str:
    """The file name without its suffix: 'models/v1/net.onnx' -> 'net'."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


@dataclass(frozen=True)
class CaseConfig:
    """One point of a sweep, as recorded: every axis that changes what is measured."""

    model: ModelRef
    device: str
    runtime: str
    threads: int
    batch: int
    precision: str
    backend: str = "cpu"
    runner: str = "agent"
    int8_mode: str | None = None  # how an int8 variant was made (static or dynamic QDQ)


@dataclass(frozen=True)
class VariantRef:
    """The file actually measured when the host derived one (precision, fixed batch)."""

    path: str
    sha256: str
    size_bytes: int
    derivation: Mapping[str, Any] = field(default_factory=dict)

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6


@dataclass(frozen=True)
class TensorInfo:
    """An input the measuring process fed: name, dtype and the shape it was given."""

    name: str
    dtype: str
    shape: tuple[int | str, ...]


# what each memory figure counts; a figure is stored with its scope, so a reader never
# has to guess why two tools disagree (LiteRT's 178 MB against dumpsys's 76 MB)
MEMORY_SCOPES: Mapping[str, str] = {
    "peak_rss": "peak resident set of the measuring process (VmHWM / ru_maxrss): the "
                "runtime, the model, Python and numpy; shared libraries counted whole",
    "pss": "proportional set size after the timed runs (smaps_rollup Pss): pages shared "
           "with other processes divided among them",
    "private_dirty": "pages only this process wrote, after the timed runs (smaps_rollup "
                     "Private_Dirty): heap, arenas, weights copied into the runtime",
    "load_delta": "resident set after loading the model minus just before, in the same "
                  "process (Python and numpy already loaded)",
    "gpu_process": "GPU memory nvidia-smi lists for the measuring process (its Processes "
                   "table): the CUDA context, weights, workspaces",
}


@dataclass(frozen=True)
class MemoryFigure:
    """One memory figure of a measuring process, with what it counts (``scope``)."""

    name: str  # a key of MEMORY_SCOPES, or "tool_peak" (a native tool's own figure)
    mb: float
    scope: str


@dataclass(frozen=True)
class ProcessRun:
    """One measuring process (the agent, or one run of a native tool) and what it saw.

    A native tool gives ``aggregates`` (its own figures) and no samples; the agent gives
    raw ``samples_ms``. ``device_state`` is the device before and after (clocks,
    temperatures, the cool-down waited), as read by the hygiene step.
    """

    samples_ms: tuple[float, ...] = ()
    aggregates: Summary | None = None
    started_at: str = ""
    ended_at: str = ""
    runtime_version: str | None = None
    provider: str | None = None  # provider or delegate actually used
    threads_applied: int | None = None
    cpu_affinity: tuple[int, ...] | None = None
    load_ms: float | None = None
    first_inference_ms: float | None = None
    peak_rss_mb: float | None = None
    stop_reason: str | None = None
    inputs: tuple[TensorInfo, ...] = ()
    device_state: Mapping[str, Any] | None = None
    throttled: bool = False  # the pinned cores' clock ceiling was capped after the process
    thermal_gate_timeout: bool = False  # the device never cooled below the profile's limit
    memory: tuple[MemoryFigure, ...] = ()  # each figure with its scope
    extras: Mapping[str, Any] = field(default_factory=dict)
    # a native tool's whole stdout and stderr: held here until the store writes it beside
    # the results (``log_file``, relative to the results folder; gzip when large)
    log_file: str | None = None
    log: str | None = field(default=None, compare=False, repr=False)


SUSTAINED_STOPS = ("duration", "battery_floor", "temperature_ceiling", "host")


@dataclass(frozen=True)
class DeviceSample:
    """The device's state, read by the host (never the measuring process) during a case."""

    windows_done: int  # windows the agent had closed when this was read
    at_s: float  # host seconds since the measuring process was started
    big_cur_khz: int | None = None  # the big cluster's clock now
    big_max_khz: int | None = None  # its ceiling now (scaling_max_freq)
    throttled: bool | None = None  # the big cluster's ceiling below its hardware maximum
    cpu_temp_c: float | None = None  # hottest CPU thermal zone
    battery_temp_c: float | None = None
    battery_level: int | None = None
    # energy (run --energy): the power the device reported now, normalised to watts, or
    # an energy counter (RAPL); the raw battery readings and charge counter as read
    power_w: float | None = None
    energy_uj: int | None = None
    charging: bool | None = None
    current_raw: int | None = None  # battery current_now as read (vendor unit and sign)
    voltage_raw: int | None = None  # battery voltage_now as read
    charge_counter_uah: int | None = None


@dataclass(frozen=True)
class SeriesPoint:
    """One window of a sustained series: latency in it, and the device just after it."""

    index: int
    start_s: float
    end_s: float
    runs: int
    median_ms: float
    p90_ms: float
    device: DeviceSample | None = None


@dataclass(frozen=True)
class Sustained:
    """A sustained case (``run --sustained``): the series and what it shows.

    ``burst_median_ms``: median of the window medians of the first 10 s;
    ``sustained_median_ms``: of the last 20% of the series; ``time_to_throttle_s``: the
    start of the first window from which every window median stays above 1.1 x burst
    (None: never); ``clock_throttle_s``: the same for the device reporting capped clocks.
    """

    duration_s: float  # asked for
    window_s: float
    elapsed_s: float
    total_runs: int
    stop_reason: str  # one of SUSTAINED_STOPS
    windows: tuple[SeriesPoint, ...]
    burst_median_ms: float | None = None
    sustained_median_ms: float | None = None
    sustained_over_burst: float | None = None
    time_to_throttle_s: float | None = None
    clock_throttle_s: float | None = None
    rate_hz: float | None = None
    late_runs: int = 0  # at a fixed rate: inferences that started late

    def __post_init__(self) -> None:
        if self.stop_reason not in SUSTAINED_STOPS:
            raise ValueError(f"a sustained stop reason is one of {', '.join(SUSTAINED_STOPS)}, "
                             f"not {self.stop_reason!r}")


@dataclass(frozen=True)
class Energy:
    """Energy per inference (``run --energy``), or why there is none (``note``).

    The device's power is sampled by the host during the timed loop and over an idle
    baseline just before the process starts; mJ per inference = (load W - idle W) x the
    loop's seconds / its inferences, with a 95% CI from both means (Welch).
    """

    source: str | None  # e.g. "battery current_now x voltage_now"; None: no source
    note: str | None = None  # why there is no figure, or what to keep in mind
    mj_per_inference: float | None = None
    ci95_low_mj: float | None = None
    ci95_high_mj: float | None = None
    idle_w: float | None = None
    load_w: float | None = None
    idle_samples: int = 0
    load_samples: int = 0
    sample_hz: float | None = None  # power readings per second during the loop
    charging: bool | None = None
    charge_counter_w: float | None = None  # cross-check of load_w from the charge counter


@dataclass(frozen=True)
class Failure:
    """Why a case failed: its kind (see FAILURE_KINDS), the message, the tool's own words."""

    kind: str
    message: str
    output: str = ""
    exit_code: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAILURE_KINDS:
            raise ValueError(f"failure kind must be one of {', '.join(FAILURE_KINDS)}, "
                             f"not {self.kind!r}")


@dataclass(frozen=True)
class FarmPlacement:
    """Where on the farm a case was measured."""

    worker: str
    address: str
    serial: str | None = None


@dataclass(frozen=True)
class CaseResult:
    """One case as measured (or failed), with every measuring process and the summary."""

    id: str
    config: CaseConfig
    status: str  # "ok" or "failed"
    runs: tuple[ProcessRun, ...] = ()
    stats: Summary | None = None
    stats_source: str = "samples"  # or "aggregates": a native tool's own figures
    failure: Failure | None = None
    warnings: tuple[str, ...] = ()
    started_at: str = ""
    ended_at: str = ""
    attempts: int = 1
    variant: VariantRef | None = None
    card: ModelCard | None = None  # the model card (params, MACs, FLOPs, IO)
    farm: FarmPlacement | None = None
    validity: Validity = Validity()
    op_profile: OpProfile | None = None
    placement: Placement | None = None
    accuracy: Accuracy | None = None
    sustained: Sustained | None = None
    energy: Energy | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"case status must be ok or failed, not {self.status!r}")
        if self.status == "ok" and self.stats is None:
            raise ValueError("a case that succeeded has statistics")
        if self.status == "failed" and self.failure is None:
            raise ValueError("a failed case says why (its failure)")

    # the v1 names, which reports, scripts and comparisons read
    @property
    def model(self) -> str:
        return self.config.model.path

    @property
    def model_sha256(self) -> str:
        return self.config.model.sha256

    @property
    def model_size_mb(self) -> float:
        return round(self.config.model.size_mb, 6)

    @property
    def model_name(self) -> str:
        return self.config.model.name

    @property
    def device(self) -> str:
        return self.config.device

    @property
    def runtime(self) -> str:
        return self.config.runtime

    @property
    def threads(self) -> int:
        return self.config.threads

    @property
    def batch(self) -> int:
        return self.config.batch

    @property
    def precision(self) -> str:
        return self.config.precision

    @property
    def backend(self) -> str:
        return self.config.backend

    @property
    def runner(self) -> str:
        return self.config.runner

    @property
    def error(self) -> str | None:
        return self.failure.message if self.failure is not None else None

    @property
    def samples_ms(self) -> tuple[float, ...]:
        """Every sample of the case, all processes in order."""
        if len(self.runs) == 1:
            return self.runs[0].samples_ms
        return tuple(x for run in self.runs for x in run.samples_ms)

    @property
    def runtime_version(self) -> str | None:
        return next((r.runtime_version for r in self.runs if r.runtime_version), None)

    @property
    def inputs(self) -> tuple[TensorInfo, ...]:
        return next((r.inputs for r in self.runs if r.inputs), ())

    @property
    def valid(self) -> bool:
        return self.validity.valid

    @property
    def device_lost(self) -> bool:
        return self.failure is not None and self.failure.kind == "device_lost"

    def with_model_name(self, name: str) -> CaseResult:
        """This case with its model shown under another name (a disambiguated label)."""
        if name == self.config.model.name:
            return self
        model = dataclasses.replace(self.config.model, name=name)
        return dataclasses.replace(self, config=dataclasses.replace(self.config, model=model))

    def with_device_state(self, state: Mapping[str, Any], warnings: list[str]) -> CaseResult:
        """This result with what the device looked like around its last process."""
        runs = self.runs or (ProcessRun(),)
        last = dataclasses.replace(runs[-1], device_state=dict(state))
        return dataclasses.replace(self, runs=(*runs[:-1], last),
                                   warnings=(*self.warnings, *warnings))


@dataclass(frozen=True)
class RunOwner:
    """The process measuring a run, so that a resume elsewhere can refuse to race it."""

    host: str
    pid: int
    started_at: str = ""


@dataclass(frozen=True)
class GitInfo:
    """The code a run measured: the commit of the working directory's git checkout."""

    commit: str
    branch: str | None = None
    dirty: bool = False


@dataclass(frozen=True)
class Schedule:
    """In what order the processes of a run were measured."""

    order: str = "sequential"  # interleaved: round-robin over shuffled cases; ab: A B B A
    seed: int | None = None


@dataclass(frozen=True)
class PlannedCase:
    """One case of a run's plan: its id and configuration, enough to measure it again
    from any directory (``--resume``, ``run --dry-run --json``)."""

    id: str
    config: CaseConfig


@dataclass(frozen=True)
class RunRecord:
    """A whole run: where and how it ran, and every case finished so far."""

    run_id: str
    started_at: str
    command: tuple[str, ...]
    benchbot_version: str
    host: HostFacts = HostFacts()
    devices: Mapping[str, DeviceFacts] = field(default_factory=dict)
    settings: MeasureSettings = MeasureSettings()
    planned_cases: int = 0
    status: str = "running"  # running | complete | interrupted
    plan: tuple[PlannedCase, ...] = ()  # every planned case, so a run can be resumed
    ended_at: str | None = None
    cases: tuple[CaseResult, ...] = ()
    owner: RunOwner | None = None
    meta: Mapping[str, str] = field(default_factory=dict)  # --meta key=value
    git: GitInfo | None = None
    schedule: Schedule = Schedule()
    kind: str = "sweep"  # one of RUN_KINDS
    schema_version: int = SCHEMA_VERSION  # as read (1 for a migrated v1 file)

    def __post_init__(self) -> None:
        if self.kind not in RUN_KINDS:
            raise ValueError(f"a run kind is one of {', '.join(RUN_KINDS)}, not {self.kind!r}")

    def with_case(self, case: CaseResult) -> RunRecord:
        """This record with ``case`` added, replacing an earlier attempt of the same case."""
        kept = tuple(c for c in self.cases if c.id != case.id)
        return dataclasses.replace(self, cases=(*kept, case))

    def finished(self, status: str, ended_at: str) -> RunRecord:
        return dataclasses.replace(self, status=status, ended_at=ended_at)

    @property
    def runtime_versions(self) -> dict[str, str]:
        return {c.runtime: str(c.runtime_version) for c in self.cases if c.runtime_version}

    @property
    def is_ab(self) -> bool:
        """An A/B session (`benchbot ab`, nightly's confirmation): two model files pitted
        against each other, not a sweep's result; reports and rolling baselines skip it."""
        return self.kind == "ab"

    def label_of(self, device: str) -> str:
        """The device's label as its profile gave it ("" when the run did not record it)."""
        facts = self.devices.get(device)
        return facts.label if facts is not None else ""

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if c.status == "failed")
