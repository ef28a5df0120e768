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
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    return f"{value:.{max(decimals, 0)}f}"
