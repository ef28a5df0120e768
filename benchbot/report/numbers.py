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
