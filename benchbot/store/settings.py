"""How every case of a run is measured (:class:`MeasureSettings`), a value of the run
header: validated on construction, encoded and decoded by :mod:`benchbot.store.codec`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchbot.errors import ConfigError

# A week: any longer time limit is a typo (1e308), and would overflow the clocks it meets.
MAX_SECONDS = 7 * 24 * 3600.0
# The option that sets each seconds field (the sweep file's [measure] key drops "--").
SECONDS_OPTIONS = {"min_time_s": "--min-time", "max_time_s": "--max-time",
                   "timeout_s": "--case-timeout"}


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
# the fields the sweep file's [measure] table (and run's options) names otherwise
MEASURE_NAMES = {"min_time": "min_time_s", "max_time": "max_time_s", "case_timeout": "timeout_s",
                 "case_budget": "budget_s", "sustained": "sustained_s", "window": "window_s",
                 "rate": "rate_hz", "max_temp": "max_temp_c"}
# max_runs when --min-time is given without --max-runs: the time decides, not the cap
NO_RUN_CAP = 1_000_000_000


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
