"""Numbers as people read them in latency tables: consistent significant digits."""

from __future__ import annotations

import math

DEFAULT_DIGITS = 4


def format_ms(value: float, digits: int = DEFAULT_DIGITS) -> str:
    """``digits`` significant digits, never scientific notation: 48.22, 0.8138, 1083."""
    if not math.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if abs(float(f"{value:.{digits - 1}e}")) >= 10 ** (exponent + 1):
        exponent += 1  # rounding carried into the next power of ten: 9.99996 -> 10.00
    return f"{value:.{max(digits - 1 - exponent, 0)}f}"


def duration_unit(values_ms: "list[float] | tuple[float, ...]") -> tuple[str, float]:
    """The unit that reads best for values of this size, and the factor from ms to it:
    ('µs', 1000.0) when the largest is under 1 ms, ('s', 0.001) from 10 s, else ('ms', 1.0)."""
    finite = [abs(v) for v in values_ms if math.isfinite(v)]
    top = max(finite, default=1.0)
    if top < 1.0:
        return "µs", 1000.0
    if top >= 10_000.0:
        return "s", 0.001
    return "ms", 1.0


def format_duration(value_ms: float, digits: int = 3) -> str:
    """A duration in the unit that suits it: 1.79 µs, 48.2 ms, 12.5 s."""
    if not math.isfinite(value_ms):
        return "-"
    unit, factor = duration_unit([value_ms])
    return f"{format_ms(value_ms * factor, digits)} {unit}"
