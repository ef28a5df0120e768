"""Energy per inference from power readings taken beside the timed loop (pure).

The device's power is read while it idles just before the measuring process starts and
while the timed loop runs; the model's share is the difference:

    mJ per inference = (mean load W - mean idle W) x loop seconds / inferences x 1000

with a 95% confidence interval of the difference of the two means by Welch's t
(unequal variances, Welch-Satterthwaite degrees of freedom). A counter (RAPL's µJ)
becomes one power reading per interval between two reads, its wrap at the counter's
range undone. What the CI does not hold: the phone's other consumers changing between
the idle baseline and the loop (screen, radios), hence airplane mode and screen off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import mean, variance
from typing import Sequence

from benchbot.stats.student import t_quantile


@dataclass(frozen=True)
class EnergyFigures:
    mj_per_inference: float
    ci95_low_mj: float | None
    ci95_high_mj: float | None
    idle_w: float
    load_w: float


def volts(raw: int) -> float:
    """A battery's voltage_now in volts: µV by the kernel's ABI; some vendors write mV."""
    return raw / 1e6 if raw > 100_000 else raw / 1e3


def amperes(raw: int) -> float:
    """|current_now| in amperes: µA by the ABI (a phone draws 50 mA-3 A, so from 10 000
    on); some vendors write mA. The sign differs by vendor (discharge negative on some,
    positive on others): only the size counts; the raw value is kept beside it."""
    size = abs(raw)
    return size / 1e6 if size >= 10_000 else size / 1e3


def battery_watts(current_raw: int | None, voltage_raw: int | None) -> float | None:
    """What the battery delivers now, from its raw readings (None: one is missing)."""
    if current_raw is None or not voltage_raw:
        return None
    return amperes(current_raw) * volts(voltage_raw)


def counter_powers(reads: Sequence[tuple[float, int]], range_uj: int | None) -> list[float]:
    """Watts over each interval between consecutive (seconds, µJ) counter reads; a counter
    that went down wrapped at ``range_uj`` (an interval is dropped when the range is
    unknown, or when no time passed)."""
    powers = []
    for (t0, e0), (t1, e1) in zip(reads, reads[1:]):
        used = e1 - e0
        if used < 0:
            if not range_uj:
                continue
            used += range_uj
        if t1 > t0:
            powers.append(used / 1e6 / (t1 - t0))
    return powers


def _half_width(idle: Sequence[float], load: Sequence[float]) -> float | None:
    """Welch's 95% half-width of mean(load) - mean(idle); None with fewer than 2 of each."""
    if len(idle) < 2 or len(load) < 2:
        return None
    a, b = variance(load) / len(load), variance(idle) / len(idle)
    if a + b == 0:
        return 0.0
    df = (a + b) ** 2 / (a * a / (len(load) - 1) + b * b / (len(idle) - 1))
    return t_quantile(0.975, df) * math.sqrt(a + b)


def energy_per_inference(idle_w: Sequence[float], load_w: Sequence[float], loop_s: float,
                         runs: int) -> EnergyFigures | None:
    """The figures, or None without an idle and a load reading or without inferences."""
    if not idle_w or not load_w or runs <= 0 or loop_s <= 0:
        return None
    idle, load = mean(idle_w), mean(load_w)
    per_run = loop_s / runs * 1000.0  # W x s per inference -> mJ
    half = _half_width(idle_w, load_w)
    mj = (load - idle) * per_run
    return EnergyFigures(mj_per_inference=mj,
                         ci95_low_mj=None if half is None else mj - half * per_run,
                         ci95_high_mj=None if half is None else mj + half * per_run,
                         idle_w=idle, load_w=load)


def charge_counter_watts(reads: Sequence[tuple[float, int, float]]) -> float | None:
    """Mean draw from the battery's charge counter: (seconds, µAh, volts) at the first and
    last read; None when the counter did not drop (too coarse for the span)."""
    if len(reads) < 2:
        return None
    (t0, q0, _), (t1, q1, _) = reads[0], reads[-1]
    if q1 >= q0 or t1 <= t0:
        return None
    volts = mean(v for _, _, v in reads)
    return (q0 - q1) * 3.6e-3 * volts / (t1 - t0)  # µAh -> coulombs (3.6 mC each)
