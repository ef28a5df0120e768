"""What a native benchmark tool's console output says, as one immutable value.

Native tools print aggregates, not samples: a mean, sometimes a median and a
few percentiles. :class:`NativeResult` keeps exactly the figures the log
states (in milliseconds) and ``None`` for the ones it does not; nothing is
estimated or back-filled.

Two tool-specific figures ride along: ``delegate`` (the delegate the tool says
it applied, e.g. TFLite's "TfLiteXNNPackDelegate", with ``delegated_nodes`` of
``graph_nodes``) and ``breakdown`` (the parts of a latency the tool times on
their own, e.g. trtexec's ``gpu_compute``, each a dict of the
:data:`BREAKDOWN_FIGURES` it prints).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

STATUSES = ("ok", "failed")
NO_TIMINGS = "no inference timings in the log"
#: The figures one part of a breakdown may state (ms), in this order.
BREAKDOWN_FIGURES = ("mean_ms", "median_ms", "p90_ms", "p95_ms", "p99_ms", "min_ms", "max_ms")


@dataclass(frozen=True)
class NativeResult:
    """Figures parsed from one run of a native tool (times in ms, None = not in the log)."""

    status: str
    error: str | None = None
    count: int | None = None
    mean_ms: float | None = None
    median_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    min_ms: float | None = None
    max_ms: float | None = None
    std_ms: float | None = None
    init_ms: float | None = None
    first_ms: float | None = None
    warmup_mean_ms: float | None = None
    peak_memory_mb: float | None = None
    throughput_qps: float | None = None
    delegate: str | None = None  # as the tool names it; None: the log does not say
    delegated_nodes: int | None = None
    graph_nodes: int | None = None
    breakdown: dict[str, dict[str, float]] | None = None  # part -> {figure: ms}

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if self.status == "failed" and not self.error:
            raise ValueError("a failed NativeResult needs the error text")
        if self.status == "ok" and self.mean_ms is None and self.median_ms is None:
            raise ValueError("an ok NativeResult needs a mean or a median latency")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_ms", "_mb", "_qps")) and value is not None \
                    and not math.isfinite(value):
                raise ValueError(f"{f.name} is not a finite number: {value!r}")
        for part, figures in (self.breakdown or {}).items():
            for name, value in figures.items():
                if name not in BREAKDOWN_FIGURES or not math.isfinite(value):
                    raise ValueError(f"breakdown {part}.{name} is not a known finite figure: "
                                     f"{value!r}")

    @classmethod
    def failed(cls, error: str) -> NativeResult:
        """A run that produced no usable timings; ``error`` is the tool's own text."""
        return cls(status="failed", error=error)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def latency_ms(self) -> float:
        """The headline latency: the median where the tool states one, else the mean."""
        value = self.median_ms if self.median_ms is not None else self.mean_ms
        if value is None:
            raise ValueError(f"no latency in a {self.status} result: {self.error}")
        return value

    def to_dict(self) -> dict[str, str | int | float | None]:
        """Every field, in declaration order (the keys never change)."""
        return asdict(self)

    def to_stats(self) -> dict[str, float | None]:
        """The figures that line up with :class:`benchbot.stats.Summary`.

        Only what the tool stated: n is the tool's run count; a median, p90 or
        p99 the log does not print stays None (never estimated from the mean).
        """
        return {"n": None if self.count is None else float(self.count),
                "mean_ms": self.mean_ms, "median_ms": self.median_ms, "p90_ms": self.p90_ms,
                "p99_ms": self.p99_ms, "std_ms": self.std_ms, "min_ms": self.min_ms,
                "max_ms": self.max_ms}


@dataclass(frozen=True)
class Measurement:
    """One result of a log that may hold several (runs, models, thread counts)."""

    label: str
    result: NativeResult


def single(measurements: list[Measurement], tool: str) -> NativeResult:
    """The one result of a log, or a failure saying the log holds none or several.

    A runner drives one tool run per case, so a log with several summaries is
    not silently reduced to one of them: the caller gets a failure naming the
    runs, and ``benchbot parse`` shows each of them.
    """
    if not measurements:
        return NativeResult.failed(NO_TIMINGS)
    if len(measurements) == 1:
        return measurements[0].result
    labels = ", ".join(m.label for m in measurements)
    return NativeResult.failed(f"the {tool} log holds {len(measurements)} measurements "
                               f"({labels}); give the log of one run "
                               f"(`benchbot parse {tool} LOG` lists each)")
