"""The figures of a sustained series (``run --sustained``), from its windows (pure).

A window is (start_s, end_s, median_ms): the median latency of the inferences that ended
in it. The figures set a short burst (what a published grid measures) against the long
run:

* burst: the median of the window medians in the first ``BURST_S`` seconds;
* sustained: the median of the window medians in the last ``SUSTAINED_SHARE`` of the run;
* sustained / burst: above 1 the device got slower;
* time to throttle: the start of the first window from which every window median stays
  above ``THROTTLE_FACTOR`` x burst (None: the series never settles there).

Medians of window medians weigh every second alike, whatever the inference rate in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Sequence

BURST_S = 10.0
SUSTAINED_SHARE = 0.2
THROTTLE_FACTOR = 1.1


@dataclass(frozen=True)
class WindowTime:
    """What the figures need of one window."""

    start_s: float
    end_s: float
    median_ms: float


@dataclass(frozen=True)
class SustainedFigures:
    burst_median_ms: float | None
    sustained_median_ms: float | None
    sustained_over_burst: float | None
    time_to_throttle_s: float | None


def burst_median(windows: Sequence[WindowTime], burst_s: float = BURST_S) -> float | None:
    """Median of the medians of the windows that end within ``burst_s`` (at least the first)."""
    if not windows:
        return None
    first = [w.median_ms for w in windows if w.end_s <= burst_s] or [windows[0].median_ms]
    return float(median(first))


def sustained_median(windows: Sequence[WindowTime],
                     share: float = SUSTAINED_SHARE) -> float | None:
    """Median of the medians of the windows that end in the last ``share`` of the series
    (at least the last window)."""
    if not windows:
        return None
    end = windows[-1].end_s
    last = [w.median_ms for w in windows if w.end_s >= end * (1.0 - share)]
    return float(median(last or [windows[-1].median_ms]))


def time_to_step(flags: Sequence[tuple[float, bool]]) -> float | None:
    """The time of the first flag from which every later flag is true (None: the last is
    false, or there are none). ``flags``: (window start in s, whether it is past the step)."""
    found: float | None = None
    for start_s, past in flags:
        if past and found is None:
            found = start_s
        elif not past:
            found = None
    return found


def time_to_throttle(windows: Sequence[WindowTime], burst_ms: float | None,
                     factor: float = THROTTLE_FACTOR) -> float | None:
    """Start of the first window from which every median stays above ``factor`` x burst."""
    if burst_ms is None or burst_ms <= 0:
        return None
    return time_to_step([(w.start_s, w.median_ms > factor * burst_ms) for w in windows])


def sustained_figures(windows: Sequence[WindowTime]) -> SustainedFigures:
    """Burst, sustained, their ratio and the time to throttle of a series."""
    burst = burst_median(windows)
    steady = sustained_median(windows)
    ratio = steady / burst if burst and steady is not None else None
    return SustainedFigures(burst_median_ms=burst, sustained_median_ms=steady,
                            sustained_over_burst=ratio,
                            time_to_throttle_s=time_to_throttle(windows, burst))
